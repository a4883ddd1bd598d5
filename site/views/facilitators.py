"""Facilitators (تسهیل‌گران): headquarters (administrators) and center staff
assign them to neighborhoods and record their training; a facilitator keeps the
note that tells neighbors how to reach them; a neighborhood's page shows them."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, facilitators
from hamsayeh.web import auth
from hamsayeh.web.forms import Form
from hamsayeh.web.templating import local_name

bp = Blueprint("facilitators", __name__, url_prefix="/facilitators")


def facilitator_or_404(user_id):
    """A facilitator's account: 404 for anyone else's (the page guard has let a manager in)."""
    user = get_object_or_404(models.User, models.User.id == user_id)
    if not access.is_facilitator(user, user.roles()):
        abort(404)
    return user


def neighborhood_to_assign(user, chosen):
    """The neighborhood the manager chose for `user`: 400 when it is not one they may assign."""
    hood = models.Area.get_or_none(models.Area.id == persian.whole_number(chosen))
    if not access.may_assign_facilitator(g.user, g.roles, user, hood):
        abort(400)
    return hood


@bp.get("/")
@auth.requires(access.may_manage_facilitators)
def find():
    return render_template("facilitators/find.html", form=Form())


@bp.post("/")
@auth.requires(access.may_manage_facilitators)
def look_up():
    form = Form(request.form)
    phone = form.phone()
    user = models.User.by_phone(phone) if form.ok else None
    if form.ok and (user is None or not access.is_facilitator(user, user.roles())):
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
            assignments=facilitators.assignments_of(profile),
            training=facilitators.training_of(profile),
            hours=profile.training_hours() if profile else 0,
            choices=facilitators.neighborhoods_within(access.facilitator_area(g.user, g.roles, user)),
            form=form or Form(),
        ),
        status,
    )


@bp.get("/<int:user_id>")
@auth.requires(access.may_manage_facilitators)
def show(user_id):
    return render_profile(facilitator_or_404(user_id))


@bp.post("/<int:user_id>/assign")
@auth.requires(access.may_manage_facilitators)
def assign(user_id):
    user = facilitator_or_404(user_id)
    hood = neighborhood_to_assign(user, request.form.get("neighborhood"))
    if request.form.get("remove") == "1":
        facilitators.unassign_facilitator(user, hood, g.user)
        flash(_("%(name)s no longer serves %(area)s.", name=user.name, area=local_name(hood)))
    else:
        facilitators.assign_facilitator(user, hood, g.user)
        flash(_("%(name)s now serves %(area)s.", name=user.name, area=local_name(hood)))
    return redirect(url_for("facilitators.show", user_id=user.id))


@bp.post("/<int:user_id>/training")
@auth.requires(access.may_manage_facilitators)
def add_training(user_id):
    user = facilitator_or_404(user_id)
    form = Form(request.form)
    course = form.required("course", _l("Write the course's name."))
    if len(course) > models.Training.COURSE_MAX:
        form.error("course", _l("Write at most %(count)s letters.", count=models.Training.COURSE_MAX))
    hours = persian.whole_number(form["hours"], models.Training.HOURS_MAX)
    if not hours:
        form.error(
            "hours",
            _l("Write the course's hours as a whole number from 1 to %(most)s.", most=models.Training.HOURS_MAX),
        )
    completed = persian.parse_jalali_date(form["completed_on"])
    if completed is None:
        form.error("completed_on", _l("Write the date like 1405/09/20."))
    elif completed > persian.today():
        form.error("completed_on", _l("This date has not come yet."))
    if not form.ok:
        return render_profile(user, form, 422)
    facilitators.record_training(user, course, hours, completed, g.user)
    flash(_("The training is recorded."))
    return redirect(url_for("facilitators.show", user_id=user.id))


@bp.get("/me")
@auth.requires(access.is_facilitator)
def mine():
    profile = facilitators.facilitator_profile(g.user, create=False)
    return render_mine(profile, Form(contact=profile.contact if profile else ""))


def render_mine(profile, form, status=200):
    return (
        render_template(
            "facilitators/mine.html",
            profile=profile,
            assignments=facilitators.assignments_of(profile),
            hours=profile.training_hours() if profile else 0,
            form=form,
        ),
        status,
    )


@bp.post("/me")
@auth.requires(access.is_facilitator)
def save_mine():
    form = Form(request.form)
    if len(form["contact"]) > models.FacilitatorProfile.CONTACT_MAX:
        form.error("contact", _l("Write at most %(count)s letters.", count=models.FacilitatorProfile.CONTACT_MAX))
        return render_mine(facilitators.facilitator_profile(g.user, create=False), form, 422)
    facilitators.save_contact(g.user, form["contact"])
    flash(_("Your note for neighbors is saved."))
    return redirect(url_for("facilitators.mine"))
