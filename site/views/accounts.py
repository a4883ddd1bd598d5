"""Accounts: sign up, sign in, sign out, the member's own page and PIN."""

from functools import wraps

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh.domain import access, accounts, acting, claims, notifications, sessions
from hamsayeh.web import auth
from hamsayeh.web.forms import Form
from hamsayeh.web.sessions import device_summary
from hamsayeh.web.templating import digits

bp = Blueprint("accounts", __name__, url_prefix="/account")

ACCOUNT_EXISTS = _l("This number already has an account. Sign in instead, or ask your center to reset the PIN.")
CODE_PROBLEMS = {
    "wrong": _l("This code is not right. Check the SMS and type the 6 digits again."),
    "expired": _l(
        "This code no longer works: it is more than 10 minutes old, or it was tried too many times. "
        "Start again to get a new one."
    ),
    "taken": ACCOUNT_EXISTS,
    "used": _l("This code has already made your account. Sign in with your number and PIN."),
}
WRONG_CURRENT_PIN = _l("Your current PIN is not right.")

# The known-device cookie: signed, sent only to the account pages, and
# holding the tokens of the few accounts signed in on this browser.
DEVICE_COOKIE = "hamsayeh_device"
DEVICE_TOKENS_KEPT = 5


def _client_address():
    return request.remote_addr or "unknown"


def _device_signer():
    return URLSafeSerializer(current_app.secret_key, salt="hamsayeh.known-device")


def _device_tokens():
    """This browser's known-device tokens; none at a kiosk, which is everyone's device."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value or g.get("kiosk") is not None:
        return []
    try:
        tokens = _device_signer().loads(value)
    except BadSignature:
        return []
    if not isinstance(tokens, list):
        return []
    return [token for token in tokens if isinstance(token, str)][:DEVICE_TOKENS_KEPT]


def _remember_device(response, user):
    """Make this browser a known device of `user` (never a kiosk)."""
    if g.get("kiosk") is not None:
        return response
    tokens = _device_tokens()
    token = accounts.remember_device(user, tokens)
    tokens = [token, *(other for other in tokens if other != token)][:DEVICE_TOKENS_KEPT]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().dumps(tokens),
        max_age=int(models.KnownDevice.LIFETIME.total_seconds()),
        path=bp.url_prefix,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def wait_message(seconds):
    """The throttle's answer, in the page's digits."""
    minutes = max(1, round(seconds / 60))
    return _l("Too many wrong tries. For your safety, wait %(minutes)s minutes and try again.", minutes=digits(minutes))


def _code_sms(code):
    return _("Hamsayeh: your code is %(code)s. It works for 10 minutes. Never give it to anyone.", code=digits(code))


@bp.get("/sign-up")
def sign_up():
    return render_template("account/sign_up.html", form=Form())


@bp.post("/sign-up")
def create_account():
    """Step one: an SMS to the number, with a code or, when it already has an
    account, saying so. This page says the same either way."""
    form = Form(request.form)
    name = form.person_name()
    phone = form.phone()
    pin = form.new_pin()
    if form.ok:
        neighborhood = auth.chosen_neighborhood()
        asked = accounts.request_sign_up(
            phone,
            name,
            pin,
            neighborhood.id if neighborhood else None,
            _client_address(),
            code_text=_code_sms,
            exists_text=_(
                "Hamsayeh: someone asked to sign up with this number, but it already has an account. "
                "Sign in with your PIN; if you forgot it, a Mosbat-e Zendegi center can set a new one. "
                "If it was not you, ignore this message."
            ),
        )
        if asked.request_id:
            # This browser started the request: pressed twice at once, both presses sign it in.
            session["sign_up"] = asked.request_id
            return redirect(url_for("accounts.confirm_sign_up", request_id=asked.request_id))
        minutes = digits(max(1, round(asked.wait_seconds / 60)))
        form.error(
            "phone", _l("Many codes were asked for just now. Wait %(minutes)s minutes and try again.", minutes=minutes)
        )
    return render_template("account/sign_up.html", form=form), 422


# How long a second press of the same form, from the browser that asked, still signs in.
DOUBLE_SUBMIT_SECONDS = 60


def sign_up_request_or_404(request_id):
    asked = accounts.sign_up_request(request_id)
    if asked is None:
        abort(404)
    return asked


@bp.get("/sign-up/<request_id>")
def confirm_sign_up(request_id):
    """The code's page, while the code may be used (the number shown by its last digits only)."""
    asked = sign_up_request_or_404(request_id)
    if not accounts.still_open(asked):
        abort(404)
    return render_template("account/sign_up_code.html", form=Form(), asked=asked, request_id=request_id)


@bp.post("/sign-up/<request_id>")
def finish_sign_up(request_id):
    """Step two: the code from the SMS creates the account and signs in."""
    asked = sign_up_request_or_404(request_id)
    if asked.user_id is not None and g.user is not None and g.user.id == asked.user_id:
        # The button pressed twice: the first press made the account and signed this browser in.
        return redirect(url_for("main.home"))
    form = Form(request.form)
    code = form.required("code", _l("Type the code from the SMS."))
    if form.ok:
        result = accounts.confirm_sign_up(request_id, code)
        if result.user is None and session.get("sign_up") == request_id:
            # Sent twice at once from the browser that asked: the first press made the account.
            result = result._replace(user=accounts.account_made_by(request_id, DOUBLE_SUBMIT_SECONDS))
        if result.user is not None:
            auth.start_session(result.user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=result.user.name))
            home = url_for("areas.index") if result.user.neighborhood_id is None else url_for("main.home")
            return auth.keep_guest_display(result.user, _remember_device(redirect(home), result.user))
        form.error("code", CODE_PROBLEMS[result.problem])
    form.data.pop("code", None)
    return render_template("account/sign_up_code.html", form=form, asked=asked, request_id=request_id), 422


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
        result = accounts.sign_in(
            phone, pin, _client_address(), device_tokens=_device_tokens(), shared=g.get("kiosk") is not None
        )
        if result.user is not None:
            auth.start_session(result.user)
            # A member who chose the simple pages lands on them.
            home = "simple.home" if result.user.simple_mode else "main.home"
            response = _remember_device(redirect(auth.safe_next(form["next"], home)), result.user)
            return auth.keep_guest_display(result.user, response)
        if result.wait_seconds:
            form.error("pin", wait_message(result.wait_seconds))
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
            sms_events=notifications.wants_sms(g.user),
            role_labels=auth.ROLE_LABELS,
            helpers=list(acting.helpers_of(g.user)),
            asks=[] if g.actor else list(acting.asked_of(g.user)),
            people=[] if g.actor else list(acting.helped_by(g.user)),
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
    """Ask a relative or friend to act for me. The answer is the same for any
    number: it never says whether the number has an account, or whose it is."""
    form = Form(request.form)
    phone = form.phone()
    if phone and phone == g.user.phone:
        form.error("phone", _l("This is your own number."))
    if form.ok:
        try:
            acting.ask_helper(g.user, phone)
        except acting.TooManyAsks:
            form.error("phone", _l("You have asked many people today. Try again tomorrow."))
    if not form.ok:
        return render_profile(Form(name=g.user.name), form, 422)
    flash(
        _(
            "We asked the holder of this number. If they are a member, they can accept on their account page; "
            "only then may they act for you."
        )
    )
    return redirect(url_for("accounts.profile"))


@bp.post("/helpers/asked/<int:ask_id>/withdraw")
@auth.signed_in_only
@not_while_acting
def withdraw_ask(ask_id):
    ask = helper_link_or_404(
        access.names_helper, models.TrustedHelper.id == ask_id, models.TrustedHelper.status == "asked"
    )
    if not acting.withdraw_ask(g.user, ask.id):
        abort(404)
    flash(_("Your request is taken back."))
    return redirect(url_for("accounts.profile"))


def helper_link_or_404(rule, *where):
    """A trusted-helper link (or ask) that `rule` says is this member's; 404 for anyone else's."""
    link = get_object_or_404(models.TrustedHelper.select(), *where)
    if not rule(g.user, g.roles, link):
        abort(404)
    return link


def ask_for_me_or_404(ask_id):
    return helper_link_or_404(
        access.is_named_helper, models.TrustedHelper.id == ask_id, models.TrustedHelper.status == "asked"
    )


@bp.post("/helper-asks/<int:ask_id>/accept")
@auth.signed_in_only
@not_while_acting
def accept_ask(ask_id):
    ask = ask_for_me_or_404(ask_id)
    acting.answer_ask(ask, accept=True)
    flash(_("You may now act for %(name)s.", name=ask.person.name))
    return redirect(url_for("accounts.profile"))


@bp.post("/helper-asks/<int:ask_id>/decline")
@auth.signed_in_only
@not_while_acting
def decline_ask(ask_id):
    ask = ask_for_me_or_404(ask_id)
    acting.answer_ask(ask, accept=False)
    flash(_("You said no. You will not act for them."))
    return redirect(url_for("accounts.profile"))


@bp.post("/helpers/<int:helper_id>/remove")
@auth.signed_in_only
@not_while_acting
def remove_helper(helper_id):
    link = helper_link_or_404(
        access.names_helper, models.TrustedHelper.person == g.user, models.TrustedHelper.helper == helper_id
    )
    acting.remove_trusted_helper(g.user, link.helper_id)
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
    pin = form.new_pin()
    if form.ok:
        result = accounts.change_own_pin(g.user, current, pin, _client_address(), device_tokens=_device_tokens())
        if result.changed:
            auth.start_session(g.user)
            flash(_("Your new PIN is saved. You were signed out on your other devices."))
            # The new PIN forgot every known device; this one proved it knows the PIN.
            return _remember_device(redirect(url_for("accounts.profile")), g.user)
        form.error("current_pin", wait_message(result.wait_seconds) if result.wait_seconds else WRONG_CURRENT_PIN)
    for field in ("current_pin", "pin", "pin_again"):
        form.data.pop(field, None)
    return render_template("account/pin.html", form=form), 422


# --- The member's sessions: where they are signed in, and ending them ---------------


@bp.get("/sessions")
@auth.signed_in_only
@not_while_acting
def list_sessions():
    return render_template(
        "account/sessions.html",
        sessions=sessions.active(g.user),
        current=auth.current_session_key(),
        device_summary=device_summary,
    )


@bp.post("/sessions/<key>/end")
@auth.signed_in_only
@not_while_acting
def end_one_session(key):
    if key == auth.current_session_key():
        auth.end_session()
        flash(_("You have signed out."))
        return redirect(url_for("main.home"))
    if not sessions.end_one(g.user, key):
        abort(404)
    flash(_("You are signed out on that device."))
    return redirect(url_for("accounts.list_sessions"))


@bp.post("/sessions/end-others")
@auth.signed_in_only
@not_while_acting
def end_other_sessions():
    sessions.end_all(g.user, keep=auth.current_session_key())
    flash(_("You are signed out on every other device."))
    return redirect(url_for("accounts.list_sessions"))


# --- SMS: what the member is told by SMS ---------------------------------------------


@bp.post("/sms")
@auth.signed_in_only
def save_sms():
    """SMS of my own events (on by default on the simple pages and for
    accounts made by SMS or at a desk), and announcements (only when asked)."""
    events = request.form.get("sms_events") == "1"
    announcements = request.form.get("sms_announcements") == "1"
    accounts.update_profile(g.user, sms_events=events, sms_announcements=announcements)
    flash(_("Your SMS choices are saved."))
    return redirect(url_for("accounts.profile"))


# --- Claiming an account made at a desk or by an import, with an SMS code -------------

CLAIM_PROBLEMS = {
    **CODE_PROBLEMS,
    "used": _l("This code has already been used. Sign in with your number and PIN."),
    "none": _l("There is no account to claim with this number. Sign in, or sign up."),
}


def _claim_sms(code):
    return _("Hamsayeh: your code is %(code)s. It works for 10 minutes. Never give it.", code=digits(code))


@bp.get("/claim")
def claim():
    return render_template("account/claim.html", form=Form())


@bp.post("/claim")
def send_claim_code():
    """Step one: an SMS to the number, with a code or, when it has no account
    to claim, saying so. This page says the same either way."""
    form = Form(request.form)
    phone = form.phone()
    if form.ok:
        asked = claims.send_claim_code(
            phone,
            _client_address(),
            _claim_sms,
            _("Hamsayeh: there is no account to claim with this number."),
        )
        if asked.request_id:
            return redirect(url_for("accounts.confirm_claim", request_id=asked.request_id))
        minutes = digits(max(1, round(asked.wait_seconds / 60)))
        form.error(
            "phone", _l("Many codes were asked for just now. Wait %(minutes)s minutes and try again.", minutes=minutes)
        )
    return render_template("account/claim.html", form=form), 422


def claim_request_or_404(request_id):
    asked = claims.claim_request(request_id)
    if asked is None:
        abort(404)
    return asked


@bp.get("/claim/<request_id>")
def confirm_claim(request_id):
    """The code's page, while the code may be used (the number shown by its last digits only)."""
    asked = claim_request_or_404(request_id)
    if not accounts.still_open(asked):
        abort(404)
    return render_template("account/claim_code.html", form=Form(), asked=asked, request_id=request_id)


@bp.post("/claim/<request_id>")
def finish_claim(request_id):
    """Step two: the code from the SMS and a new PIN make the account mine, and sign me in."""
    asked = claim_request_or_404(request_id)
    form = Form(request.form)
    code = form.required("code", _l("Type the code from the SMS."))
    pin = form.new_pin()
    if form.ok:
        result = claims.claim(request_id, code, pin)
        if result.user is not None:
            auth.start_session(result.user)
            flash(_("Welcome, %(name)s. Your account is yours now, with your own PIN.", name=result.user.name))
            home = "simple.home" if result.user.simple_mode else "main.home"
            return _remember_device(redirect(url_for(home)), result.user)
        form.error("code", CLAIM_PROBLEMS[result.problem])
    for field in ("code", "pin", "pin_again"):
        form.data.pop(field, None)
    return render_template("account/claim_code.html", form=form, asked=asked, request_id=request_id), 422
