"""Facilitators (تسهیل‌گران): headquarters (administrators) and center staff
assign them to neighborhoods and record their training; a facilitator keeps the
note that tells neighbors how to reach them; a neighborhood's page shows them."""

import datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import persian
from hamsayeh.domain import facilitators, volunteers
from hamsayeh.web import auth
from hamsayeh.web.forms import Form

bp = Blueprint("facilitators", __name__, url_prefix="/facilitators")
MANAGERS = ("admin", "center_staff")
CONTACT_MAX, COURSE_MAX, HOURS_MAX = 200, 160, 500


def assignable(user):
    """The neighborhoods this manager may assign: a center's staff those of the
    center's area; headquarters those of the facilitator's city."""
    if "admin" in g.roles:
        home = user.neighborhood
        area = volunteers.city_of(home) if home else None
    else:
        area = g.user.work_center.area if g.user.work_center_id else None
    if area is None:
        return []
    hoods = models.Area.select().where(models.Area.kind == "neighborhood", models.Area.path.startswith(area.path))
    return list(hoods.order_by(models.Area.name).limit(300))


def facilitator_or_404(user_id):
    user = models.User.get_or_none(models.User.id == user_id)
    if user is None or "facilitator" not in user.roles():
        abort(404)
    return user


@bp.get("/")
@auth.requires_role(*MANAGERS)
def find():
    return render_template("facilitators/find.html", form=Form())


@bp.post("/")
@auth.requires_role(*MANAGERS)
def look_up():
    form = Form(request.form)
    phone = form.phone()
    user = models.User.by_phone(phone) if form.ok else None
    if form.ok and (user is None or "facilitator" not in user.roles()):
        form.error("phone", _l("No facilitator has this number. An administrator gives the facilitator role."))
    if not form.ok:
        return render_template("facilitators/find.html", form=form), 422
    return redirect(url_for("facilitators.show", user_id=user.id))


def render_profile(user, form=None, status=200):
    profile = facilitators.facilitator_profile(user, create=False)
    return (
        render_template(
            "facilitators/show.html",
            member=user,
            profile=profile,
            assignments=list(profile.assignments.join(models.Area)) if profile else [],
            training=list(profile.training.order_by(models.Training.completed_on.desc())) if profile else [],
            hours=profile.training_hours() if profile else 0,
            choices=assignable(user),
            form=form or Form(),
        ),
        status,
    )


@bp.get("/<int:user_id>")
@auth.requires_role(*MANAGERS)
def show(user_id):
    return render_profile(facilitator_or_404(user_id))


@bp.post("/<int:user_id>/assign")
@auth.requires_role(*MANAGERS)
def assign(user_id):
    user = facilitator_or_404(user_id)
    chosen = persian.normalize(request.form.get("neighborhood"))
    hood = next((area for area in assignable(user) if str(area.id) == chosen), None) or abort(400)
    if request.form.get("remove") == "1":
        facilitators.unassign_facilitator(user, hood, g.user)
        flash(_("%(name)s no longer serves %(area)s.", name=user.name, area=hood.name))
    else:
        facilitators.assign_facilitator(user, hood, g.user)
        flash(_("%(name)s now serves %(area)s.", name=user.name, area=hood.name))
    return redirect(url_for("facilitators.show", user_id=user.id))


@bp.post("/<int:user_id>/training")
@auth.requires_role(*MANAGERS)
def add_training(user_id):
    user = facilitator_or_404(user_id)
    form = Form(request.form)
    course = form.required("course", _l("Write the course's name."))
    if len(course) > COURSE_MAX:
        form.error("course", _l("Write at most %(count)s letters.", count=COURSE_MAX))
    hours = form["hours"]
    if not persian.whole_number(hours, HOURS_MAX):
        form.error("hours", _l("Write the course's hours as a whole number from 1 to %(most)s.", most=HOURS_MAX))
    completed = persian.parse_jalali_date(form["completed_on"])
    if completed is None:
        form.error("completed_on", _l("Write the date like 1405/09/20."))
    elif completed > datetime.date.today():
        form.error("completed_on", _l("This date has not come yet."))
    if not form.ok:
        return render_profile(user, form, 422)
    profile = facilitators.facilitator_profile(user)
    with models.write_transaction():
        models.Training.create(
            facilitator=profile, course=course, hours=int(hours), completed_on=completed, recorded_by=g.user
        )
    flash(_("The training is recorded."))
    return redirect(url_for("facilitators.show", user_id=user.id))


@bp.get("/me")
@auth.requires_role("facilitator")
def mine():
    profile = facilitators.facilitator_profile(g.user, create=False)
    return render_mine(profile, Form(contact=profile.contact if profile else ""))


def render_mine(profile, form, status=200):
    return (
        render_template(
            "facilitators/mine.html",
            profile=profile,
            assignments=list(profile.assignments.join(models.Area)) if profile else [],
            hours=profile.training_hours() if profile else 0,
            form=form,
        ),
        status,
    )


@bp.post("/me")
@auth.requires_role("facilitator")
def save_mine():
    form = Form(request.form)
    if len(form["contact"]) > CONTACT_MAX:
        form.error("contact", _l("Write at most %(count)s letters.", count=CONTACT_MAX))
        return render_mine(facilitators.facilitator_profile(g.user, create=False), form, 422)
    profile = facilitators.facilitator_profile(g.user)
    with models.write_transaction():
        models.FacilitatorProfile.update(contact=form["contact"]).where(
            models.FacilitatorProfile.id == profile.id
        ).execute()
    flash(_("Your note for neighbors is saved."))
    return redirect(url_for("facilitators.mine"))
