"""The help desk of a center or a facilitator: find a neighbor by phone number
and give them a new PIN when they forgot theirs. Staff accounts are reset only
by an administrator; every look-up and reset is audited."""

import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh.domain import access, accounts, audit, callbacks
from hamsayeh.web import auth
from hamsayeh.web.forms import Form, pin_problem

bp = Blueprint("desk", __name__, url_prefix="/desk")
DESK_ROLES = ("center_staff", "facilitator")


def serves(member):
    return access.looks_after(g.user, g.roles, member)


@bp.get("/")
@auth.requires_role(*DESK_ROLES)
def index():
    return render_template("desk/index.html", form=Form(), member=None)


@bp.post("/")
@auth.requires_role(*DESK_ROLES)
def look_up():
    """A POST, so that phone numbers stay out of addresses, logs and history."""
    form = Form(request.form)
    phone = form.phone()
    member = models.User.by_phone(phone) if form.ok else None
    if form.ok:
        audit.audit("desk.lookup", actor=g.user, subject=f"user:{member.id}" if member else "none")
        if member is None or not serves(member):
            # The same words whether the number is unknown or someone else's.
            form.error("phone", _l("No neighbor you look after has this number."))
            member = None
    return render_template("desk/index.html", form=form, member=member), 200 if form.ok else 422


def new_pin():
    """Four digits that are not too easy to guess."""
    while True:
        pin = f"{secrets.randbelow(10000):04d}"
        if pin_problem(pin) is None:
            return pin


@bp.post("/<int:user_id>/pin")
@auth.requires_role(*DESK_ROLES)
def reset_pin(user_id):
    member = models.User.get_or_none(models.User.id == user_id)
    if member is None or not serves(member):
        abort(404)
    pin = new_pin()
    accounts.reset_pin(member, pin, actor=g.user)
    return render_template("desk/pin.html", member=member, pin=pin)


@bp.post("/<int:user_id>/act")
@auth.requires_role(*DESK_ROLES)
def act(user_id):
    """Use the site as the person, for example with them at the center's desk."""
    member = models.User.get_or_none(models.User.id == user_id)
    if member is None or not serves(member):
        abort(404)
    auth.start_acting(member)
    return redirect(url_for("simple.home"))


CALLS_SHOWN = 50


@bp.get("/calls")
@auth.requires_role(*DESK_ROLES)
def calls():
    """Neighbors who asked to be called back, oldest first."""
    waiting = list(callbacks.callbacks_for(g.user, g.roles).limit(CALLS_SHOWN))
    audit.audit("desk.calls_viewed", actor=g.user, detail=f"{len(waiting)} shown")
    return render_template("desk/calls.html", calls=waiting)


@bp.post("/calls/<int:callback_id>")
@auth.requires_role(*DESK_ROLES)
def answer_call(callback_id):
    callback = callbacks.callbacks_for(g.user, g.roles).where(models.CallbackRequest.id == callback_id).first()
    if callback is None:
        abort(404)
    status = "called" if request.form.get("status") == "called" else "closed"
    callbacks.close_callback(callback, status, g.user)
    flash(_("Thank you. The request is marked as answered.") if status == "called" else _("The request is closed."))
    return redirect(url_for("desk.calls"))
