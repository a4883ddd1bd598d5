"""Accounts: sign up, sign in, sign out, the member's own page and PIN."""

from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh.domain import access, accounts, acting
from hamsayeh.web import auth
from hamsayeh.web.forms import Form

bp = Blueprint("accounts", __name__, url_prefix="/account")

ACCOUNT_EXISTS = _l("This number already has an account. Sign in instead, or ask your center to reset the PIN.")


def _client_address():
    return request.remote_addr or "unknown"


@bp.get("/sign-up")
def sign_up():
    return render_template("account/sign_up.html", form=Form())


@bp.post("/sign-up")
def create_account():
    form = Form(request.form)
    name = form.person_name()
    phone = form.phone()
    pin = form.new_pin()
    if form.ok:
        try:
            user = accounts.create_user(phone, name, pin, neighborhood=auth.chosen_neighborhood())
        except accounts.SignupError:
            # A second press of the button, or a person who forgot they have an
            # account: the right PIN signs them in (throttled like any sign-in).
            user = accounts.sign_in(phone, pin, _client_address()).user
            if user is None:
                form.error("phone", ACCOUNT_EXISTS)
        if form.ok:
            auth.start_session(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name))
            return redirect(url_for("areas.index") if user.neighborhood is None else url_for("main.home"))
    return render_template("account/sign_up.html", form=form), 422


@bp.get("/sign-in")
def sign_in():
    form = Form(next=request.args.get("next"))
    return render_sign_in(form)


def render_sign_in(form):
    """The simple pages ask for the number and PIN on a simple page of their own."""
    simple = form["next"].startswith("/simple/")
    return render_template("simple/sign_in.html" if simple else "account/sign_in.html", form=form)


@bp.post("/sign-in")
def start_session():
    form = Form(request.form)
    phone = form.phone()
    pin = form.required("pin", _l("Enter your PIN."))
    if form.ok:
        result = accounts.sign_in(phone, pin, _client_address())
        if result.user is not None:
            auth.start_session(result.user)
            # A member who chose the simple pages lands on them.
            return redirect(auth.safe_next(form["next"], "simple.home" if result.user.simple_mode else "main.home"))
        if result.wait_seconds:
            minutes = max(1, round(result.wait_seconds / 60))
            form.error(
                "pin",
                _l("Too many wrong tries. For your safety, wait %(minutes)s minutes and try again.", minutes=minutes),
            )
        else:
            form.error("pin", _l("The number or the PIN is not right. Check them and try again."))
    form.data.pop("pin", None)
    return render_sign_in(form), 422


@bp.post("/sign-out")
def end_session():
    auth.end_session()
    flash(_("You have signed out."))
    return redirect(url_for("main.home"))


def render_profile(form, helper_form=None, status=200):
    return (
        render_template(
            "account/profile.html",
            form=form,
            helper_form=helper_form or Form(),
            role_labels=auth.ROLE_LABELS,
            helpers=[row.helper for row in g.user.trusted_helpers],
            people=[]
            if g.actor
            else [row.person for row in models.TrustedHelper.select().where(models.TrustedHelper.helper == g.user)],
        ),
        status,
    )


@bp.get("/")
@auth.signed_in_only
def profile():
    return render_profile(Form(name=g.user.name))


def not_while_acting(view):
    """The PIN and who may act for a person are theirs alone to change."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.actor is not None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.post("/helpers")
@auth.signed_in_only
@not_while_acting
def add_helper():
    """Let a relative or friend (a member) act for me."""
    form = Form(request.form)
    phone = form.phone()
    helper = models.User.by_phone(phone) if phone else None
    if phone and (helper is None or not helper.is_active):
        form.error("phone", _l("No member has this number. Ask them to sign up first."))
    elif helper is not None and helper.id == g.user.id:
        form.error("phone", _l("This is your own number."))
    if not form.ok:
        return render_profile(Form(name=g.user.name), form, 422)
    acting.add_trusted_helper(g.user, helper)
    flash(_("%(name)s may now act for you. You can take it back here at any time.", name=helper.name))
    return redirect(url_for("accounts.profile"))


@bp.post("/helpers/<int:helper_id>/remove")
@auth.signed_in_only
@not_while_acting
def remove_helper(helper_id):
    acting.remove_trusted_helper(g.user, helper_id)
    flash(_("They may no longer act for you."))
    return redirect(url_for("accounts.profile"))


@bp.post("/act/<int:person_id>")
@auth.signed_in_only
@not_while_acting
def act(person_id):
    """Use the site for a person who named me as their helper."""
    person = models.User.get_or_none(models.User.id == person_id)
    if person is None or not access.may_act_for(g.user, g.roles, person):
        abort(404)
    auth.start_acting(person)
    return redirect(url_for("simple.home" if person.simple_mode else "main.home"))


@bp.post("/act/stop")
@auth.signed_in_only
def stop_acting():
    auth.stop_acting()
    flash(_("You are yourself again."))
    return redirect(url_for("accounts.profile"))


@bp.post("/")
@auth.signed_in_only
def update_profile():
    form = Form(request.form)
    name = form.person_name()
    if form.ok:
        accounts.update_profile(g.user, name=name)
        flash(_("Your name is saved."))
        return redirect(url_for("accounts.profile"))
    return render_profile(form, status=422)


@bp.get("/pin")
@auth.signed_in_only
@not_while_acting
def change_pin():
    return render_template("account/pin.html", form=Form())


@bp.post("/pin")
@auth.signed_in_only
@not_while_acting
def save_pin():
    form = Form(request.form)
    current = form.required("current_pin", _l("Enter your current PIN."))
    if current and not g.user.check_pin(current):
        form.error("current_pin", _l("Your current PIN is not right."))
    pin = form.new_pin()
    if form.ok:
        accounts.change_pin(g.user, pin)
        auth.start_session(g.user)
        flash(_("Your new PIN is saved. You were signed out on your other devices."))
        return redirect(url_for("accounts.profile"))
    for field in ("current_pin", "pin", "pin_again"):
        form.data.pop(field, None)
    return render_template("account/pin.html", form=form), 422
