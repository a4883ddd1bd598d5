"""Announcements both ways. Headquarters or a facilitator speaks to an area (a
neighborhood, a district, a city, everyone): it reaches members there through
their inbox and the area's channel page, where they reply or ask. Facilitators
raise a neighborhood's problem to headquarters, which answers it."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh.domain import facilitators, network
from hamsayeh.web import auth
from hamsayeh.web.forms import Form, new_key

bp = Blueprint("channel", __name__, url_prefix="/channel")

EVERYONE = 0  # the channel's "area" that means the whole country
PAGE_SIZE = 20


def area_or_404(area_id):
    if area_id == EVERYONE:
        return None
    return models.Area.get_or_none(models.Area.id == area_id) or abort(404)


def assigned_neighborhoods():
    return (
        models.Area.select()
        .join(models.FacilitatorAssignment)
        .join(models.FacilitatorProfile)
        .where(models.FacilitatorProfile.user == g.user)
        .order_by(models.Area.name)
    )


def may_announce(area):
    """Headquarters speaks anywhere; a facilitator to the neighborhoods they
    serve and to those neighborhoods' districts."""
    if g.user is None:
        return False
    if "admin" in g.roles:
        return True
    if "facilitator" not in g.roles or area is None:
        return False
    return any(area.id in (hood.id, hood.parent_id) for hood in assigned_neighborhoods())


@bp.get("/")
def index():
    hood = auth.chosen_neighborhood()
    return redirect(url_for("channel.show", area_id=hood.id if hood else EVERYONE))


@bp.get("/<int:area_id>")
def show(area_id):
    return render_channel(area_or_404(area_id), Form(form_key=new_key()))


def render_channel(area, form, status=200):
    if area is None:
        announcements = models.Announcement.select(models.Announcement, models.User).join(models.User)
        announcements = announcements.where(
            models.Announcement.kind == "announcement", models.Announcement.area.is_null()
        ).order_by(models.Announcement.created_at.desc())
    else:
        announcements = network.channel_of(area)
    return (
        render_template(
            "channel/show.html",
            area=area,
            area_id=area.id if area else EVERYONE,
            announcements=list(announcements.limit(PAGE_SIZE)),
            may_announce=may_announce(area),
            form=form,
        ),
        status,
    )


def validate(form):
    title = form.text("title", models.Announcement.TITLE_MAX, 3, _l("Write a title of at least 3 letters."))
    body = form.text("body", models.Announcement.BODY_MAX, 10, _l("Write at least 10 letters."))
    return title, body


@bp.post("/<int:area_id>")
@auth.requires_role("admin", "facilitator")
def announce(area_id):
    area = area_or_404(area_id)
    if not may_announce(area):
        abort(403)
    form = Form(request.form)
    title, body = validate(form)
    if not form.ok:
        return render_channel(area, form, 422)
    item = network.announce(g.user, area, title, body, form.form_key())
    flash(_("The announcement is posted. Members there will find it in their inbox."))
    return redirect(url_for("channel.announcement", item_id=item.id))


def may_read(item):
    """Announcements are public; a problem is between the facilitators of its
    neighborhood and headquarters."""
    if item.kind == "announcement":
        return True
    if g.user is None:
        return False
    return "admin" in g.roles or ("facilitator" in g.roles and facilitators.facilitates(g.user, item.area_id))


def item_or_404(item_id):
    item = models.Announcement.get_or_none(models.Announcement.id == item_id)
    if item is None or not may_read(item):
        abort(404)
    return item


def render_item(item, form, status=200):
    replies = (
        models.AnnouncementReply.select(models.AnnouncementReply, models.User)
        .join(models.User)
        .where(models.AnnouncementReply.announcement == item)
        .order_by(models.AnnouncementReply.id)
    )
    return render_template("channel/item.html", item=item, replies=list(replies), form=form), status


@bp.get("/items/<int:item_id>")
def announcement(item_id):
    return render_item(item_or_404(item_id), Form(form_key=new_key()))


@bp.post("/items/<int:item_id>/reply")
@auth.signed_in_only
def reply(item_id):
    item = item_or_404(item_id)
    form = Form(request.form)
    body = form.text("reply", models.AnnouncementReply.BODY_MAX, 2, _l("Write your reply or question."))
    if not form.ok:
        return render_item(item, form, 422)
    answers = item.kind == "problem" and "admin" in g.roles
    network.reply_to(item, g.user, body, form.form_key(), answers=answers)
    flash(_("Your answer is sent.") if answers else _("Your reply is posted."))
    return redirect(url_for("channel.announcement", item_id=item.id))


@bp.get("/problems")
@auth.requires_role("admin", "facilitator")
def problems():
    return render_problems(Form(form_key=new_key()))


def render_problems(form, status=200):
    query = models.Announcement.select(models.Announcement, models.User).join(models.User)
    query = query.where(models.Announcement.kind == "problem")
    hoods = list(assigned_neighborhoods()) if "facilitator" in g.roles else []
    if "admin" not in g.roles:
        query = query.where(models.Announcement.area.in_([hood.id for hood in hoods]))
    query = query.order_by(models.Announcement.status.desc(), models.Announcement.created_at.desc())
    return (
        render_template("channel/problems.html", problems=list(query.limit(100)), hoods=hoods, form=form),
        status,
    )


@bp.post("/problems")
@auth.requires_role("facilitator")
def raise_problem():
    form = Form(request.form)
    hood = next((hood for hood in assigned_neighborhoods() if str(hood.id) == form["neighborhood"]), None)
    if hood is None:
        form.error("neighborhood", _l("Choose one of the neighborhoods you serve."))
    title, body = validate(form)
    if not form.ok:
        return render_problems(form, 422)
    item = network.announce(g.user, hood, title, body, form.form_key(), kind="problem")
    flash(_("The problem is sent to headquarters."))
    return redirect(url_for("channel.announcement", item_id=item.id))
