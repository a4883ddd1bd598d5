"""The help desk of a center or a facilitator: find a neighbor by phone number
and give them a new PIN when they forgot theirs, and answer the neighbors who
asked to be called back. Staff accounts are reset only by an administrator;
every look-up and reset is audited.

A center's staff also register a neighbor who stands beside them: the account
has no PIN until the neighbor chooses one at the center's kiosk, with the
claim code the desk prints, or by an SMS code; a neighbor without a phone has
this desk as their contact (site/domain/in_person.py)."""

import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, accounts, callbacks, in_person
from hamsayeh.web import auth
from hamsayeh.web.forms import Form, pin_problem
from hamsayeh.web.templating import local_name

bp = Blueprint("desk", __name__, url_prefix="/desk")

CALL_STATUS_LABELS = dict(
    zip(
        models.CallbackRequest.STATUSES,
        (_l("Waiting for a call"), _l("Called"), _l("Closed without a call")),
        strict=True,
    )
)


def member_or_404(user_id):
    """A neighbor this desk looks after; anyone else is not found, so that an
    id in the address tells nothing."""
    member = get_object_or_404(models.User.select(), models.User.id == user_id)
    if not access.serves_at_desk(g.user, g.roles, member):
        abort(404)
    return member


def callback_or_404(callback_id):
    """A call-back request this desk answers; another desk's is not found."""
    callback = get_object_or_404(models.CallbackRequest.select(), models.CallbackRequest.id == callback_id)
    if not access.answers_callback(g.user, g.roles, callback):
        abort(404)
    return callback


@bp.get("/")
@auth.requires(access.may_use_desk)
def index():
    return render_template("desk/index.html", form=Form(), member=None, serves=False)


@bp.post("/")
@auth.requires(access.may_use_desk)
def look_up():
    """A POST, so that phone numbers stay out of addresses, logs and history.
    Found: a neighbor the desk looks after, or one whose account was made for
    them and waits to be claimed here (an imported facilitator's too)."""
    form = Form(request.form)
    phone = form.phone()
    member = callbacks.look_up_member(g.user, phone) if form.ok else None
    serves = member is not None and access.serves_at_desk(g.user, g.roles, member)
    if form.ok and not serves and not (member and access.may_hand_claim_code(g.user, g.roles, member)):
        # The same words whether the number is unknown or someone else's.
        form.error("phone", _l("No neighbor you look after has this number."))
        member = None
    return render_template("desk/index.html", form=form, member=member, serves=serves), 200 if form.ok else 422


def new_pin():
    """Four digits that are not too easy to guess."""
    while True:
        pin = f"{secrets.randbelow(10000):04d}"
        if pin_problem(pin) is None:
            return pin


@bp.post("/<int:user_id>/pin")
@auth.requires(access.may_use_desk)
def reset_pin(user_id):
    member = member_or_404(user_id)
    pin = new_pin()
    accounts.reset_pin(member, pin, actor=g.user)
    return render_template("desk/pin.html", member=member, pin=pin)


@bp.post("/<int:user_id>/act")
@auth.requires(access.may_use_desk)
def act(user_id):
    """Use the site as the person, for example with them at the center's desk."""
    member = member_or_404(user_id)
    auth.start_acting(member)
    return redirect(url_for("simple.home"))


@bp.get("/calls")
@auth.requires(access.may_use_desk)
def calls():
    """Neighbors who asked to be called back, newest first, a page at a time."""
    status = request.args.get("status", "open")
    if status not in models.CallbackRequest.STATUSES:
        status = "open"
    page = persian.whole_number(request.args.get("page", "1"), 10000) or 1
    shown, older = callbacks.desk_calls(g.user, g.roles, status, page)
    return render_template(
        "desk/calls.html",
        calls=shown,
        status=status,
        status_labels=CALL_STATUS_LABELS,
        page=page,
        older=older,
    )


@bp.post("/calls/<int:callback_id>")
@auth.requires(access.may_use_desk)
def answer_call(callback_id):
    callback = callback_or_404(callback_id)
    status = "called" if request.form.get("status") == "called" else "closed"
    if not callbacks.close_callback(callback, status, g.user):
        flash(_("This request was answered already."))
    elif status == "called":
        flash(_("Thank you. The request is marked as answered."))
    else:
        flash(_("The request is closed."))
    return redirect(url_for("desk.calls"))


# --- Registering a neighbor in person -----------------------------------------------------


def registering_center(center_id):
    """The center whose desk registers: only its own staff (403 for another center's)."""
    center = get_object_or_404(models.Center.select(), models.Center.id == center_id)
    if not access.registers_at(g.user, g.roles, center):
        abort(403)
    return center


def render_register(center, form, status=200):
    hoods = in_person.neighborhoods_for(center)
    options = [(str(hood.id), local_name(hood)) for hood in hoods]
    return render_template("desk/register.html", center=center, form=form, options=options), status


@bp.get("/centers/<int:center_id>/register")
@auth.requires(access.may_register_in_person)
def register(center_id):
    center = registering_center(center_id)
    home = center.area_id if center.area.kind == "neighborhood" else None
    return render_register(center, Form(neighborhood=str(home) if home else None))


@bp.post("/centers/<int:center_id>/register")
@auth.requires(access.may_register_in_person)
def make_account(center_id):
    """The neighbor's account, and the claim code to print for them (none without a phone)."""
    center = registering_center(center_id)
    form = Form(request.form)
    name = form.person_name()
    phone = form.phone() if form["phone"] else None
    chosen = persian.whole_number(form["neighborhood"])
    neighborhood = next((hood for hood in in_person.neighborhoods_for(center) if hood.id == chosen), None)
    if neighborhood is None:
        form.error("neighborhood", _l("Choose the neighborhood where they live."))
    if form.ok:
        try:
            made = in_person.register(center, g.user, form.form_key(), name, phone, neighborhood)
        except accounts.SignupError:
            form.error("phone", _l("This number has an account already. Find it on the help desk's page."))
        else:
            return render_template("desk/registered.html", center=center, member=made.user, code=made.code)
    return render_register(center, form, 422)


@bp.post("/<int:user_id>/claim-code")
@auth.requires(access.may_register_in_person)
def claim_code(user_id):
    """A new claim code for a neighbor whose account waits to be claimed (the last one is void)."""
    member = get_object_or_404(models.User.select(), models.User.id == user_id)
    if not access.may_hand_claim_code(g.user, g.roles, member):
        abort(404)
    center = g.user.work_center
    code = in_person.hand_out_code(member, center, g.user)
    return render_template("desk/registered.html", center=center, member=member, code=code)


@bp.get("/without-phone")
@auth.requires(access.may_register_in_person)
def without_phone():
    """The neighbors without a phone whose contact is this desk, and their unread notices."""
    page = persian.whole_number(request.args.get("page", "1"), 10000) or 1
    shown, more = in_person.desk_contacts(g.user.work_center, page)
    return render_template("desk/without_phone.html", people=shown, page=page, more=more)
