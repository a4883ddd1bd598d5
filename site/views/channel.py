"""Announcements both ways. Headquarters or a facilitator speaks to an area (a
neighborhood, a district, a city, everyone): it reaches members there through
their inbox and the area's channel page, where they reply or ask. Facilitators
raise a neighborhood's problem to headquarters, which answers it."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh.domain import access, network
from hamsayeh.web import auth
from hamsayeh.web.forms import Form, new_key

bp = Blueprint("channel", __name__, url_prefix="/channel")

EVERYONE = 0  # the channel's "area" that means the whole country
PAGE_SIZE = 20


def area_or_404(area_id):
    if area_id == EVERYONE:
        return None
    return get_object_or_404(models.Area.select(), models.Area.id == area_id)


def announced_area_or_403(area_id):
    """An area (None: everyone) the signed-in member may speak to."""
    area = area_or_404(area_id)
    if not access.may_announce(g.user, g.roles, area):
        abort(403)
    return area


@bp.get("/")
def index():
    hood = auth.chosen_neighborhood()
    return redirect(url_for("channel.show", area_id=hood.id if hood else EVERYONE))


@bp.get("/<int:area_id>")
def show(area_id):
    return render_channel(area_or_404(area_id), Form(form_key=new_key()))


def render_channel(area, form, status=200):
    announcements = network.announcements_to_everyone() if area is None else network.channel_of(area)
    return (
        render_template(
            "channel/show.html",
            area=area,
            area_id=area.id if area else EVERYONE,
            announcements=list(announcements.limit(PAGE_SIZE)),
            may_announce=access.may_announce(g.user, g.roles, area),
            form=form,
        ),
        status,
    )


def validate(form):
    title = form.text("title", models.Announcement.TITLE_MAX, 3, _l("Write a title of at least 3 letters."))
    body = form.text("body", models.Announcement.BODY_MAX, 10, _l("Write at least 10 letters."))
    return title, body


@bp.post("/<int:area_id>")
@auth.requires(access.may_post_to_channels)
def announce(area_id):
    area = announced_area_or_403(area_id)
    form = Form(request.form)
    title, body = validate(form)
    if not form.ok:
        return render_channel(area, form, 422)
    item = network.announce(g.user, area, title, body, form.form_key())
    flash(_("The announcement is posted. Members there will find it in their inbox."))
    return redirect(url_for("channel.announcement", item_id=item.id))


def item_or_404(item_id):
    """An announcement, or a problem the signed-in member may read (another
    problem is as if it did not exist)."""
    item = get_object_or_404(models.Announcement.select(), models.Announcement.id == item_id)
    if not access.may_read_channel_item(g.user, g.roles, item):
        abort(404)
    return item


def render_item(item, form, status=200):
    replies = list(network.replies_to(item))
    return render_template("channel/item.html", item=item, replies=replies, form=form), status


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
    answers = access.answers_problem(g.user, g.roles, item)
    network.reply_to(item, g.user, body, form.form_key(), answers=answers)
    flash(_("Your answer is sent.") if answers else _("Your reply is posted."))
    return redirect(url_for("channel.announcement", item_id=item.id))


@bp.get("/problems")
@auth.requires(access.may_post_to_channels)
def problems():
    return render_problems(Form(form_key=new_key()))


def render_problems(form, status=200):
    """Headquarters sees every problem; a facilitator those of their neighborhoods."""
    hoods = list(network.assigned_neighborhoods(g.user)) if access.is_facilitator(g.user, g.roles) else []
    everywhere = access.is_headquarters(g.user, g.roles)
    problems = list(network.problems_of(None if everywhere else hoods))
    return render_template("channel/problems.html", problems=problems, hoods=hoods, form=form), status


@bp.post("/problems")
@auth.requires(access.is_facilitator)
def raise_problem():
    form = Form(request.form)
    hood = next((hood for hood in network.assigned_neighborhoods(g.user) if str(hood.id) == form["neighborhood"]), None)
    if hood is None:
        form.error("neighborhood", _l("Choose one of the neighborhoods you serve."))
    title, body = validate(form)
    if not form.ok:
        return render_problems(form, 422)
    item = network.announce(g.user, hood, title, body, form.form_key(), kind="problem")
    flash(_("The problem is sent to headquarters."))
    return redirect(url_for("channel.announcement", item_id=item.id))
