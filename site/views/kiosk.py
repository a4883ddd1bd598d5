"""Kiosk mode: a touch terminal at a Mosbat-e Zendegi center. A staff member
turns the terminal into the center's kiosk once (a token in a cookie, bound to
the center, revocable by staff). The kiosk shows only the simple pages, signing
up and signing in, the center's programs and news, and a signed-in member's
own page (inbox, time balance, check-in to today's programs), with very large
targets; any other address is refused, whoever is signed in. When nobody
touches it, or when the person presses Finish, it forgets them: the session is
cleared on the server, every page is sent with no-store so that Back shows
nothing, and the start page comes back by itself.

How long it waits (WCAG 2.2.1: the limit protects the next person's privacy,
the essential exception, so it is announced on every page, never sprung):

- With JavaScript (static/js/kiosk.js), every touch and keystroke gives the
  person the two minutes again; the last 20 seconds ask "still there?" in a
  dialog that a touch dismisses. The script tells the server of the activity
  (`still_here`, at most every 30 seconds, and always once after the last
  touch), so that the server's own deadline is never before the script's.
- Without it, the HTTP `Refresh` header brings the start page back: after two
  minutes, or five on a page with a field to fill in, and the server forgets
  the person at the same time. (Not a `<meta refresh>`: axe's rule for WCAG
  2.2.1 refuses a timed one in the page, while the header is the equivalent
  that the same rule leaves to the page's text to announce.)
- The two meet without a race: the header is always sent, and the script,
  once the page has loaded, stops it (`window.stop()` cancels a pending
  refresh in Chromium, Firefox and Safari) and keeps its own clock. A page on
  which the script failed to run keeps the header: it fails towards privacy.

The big number pad under each phone, PIN or code field works the same two
ways: the script types the digit into the field; without it, each key sends
the form to the page's own address, and the page comes back with what was
typed so far (`typed_on_the_keys`). The digits travel in the request's body
only, never in an address, and the PIN comes back only as the value of its
own masked field, on a no-store page whose form token dies with the session."""

import hashlib
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from playhouse.flask_utils import get_object_or_404
from werkzeug.exceptions import HTTPException

import models
from hamsayeh import persian
from hamsayeh.domain import access, centers, in_person, network, timebank
from hamsayeh.web import auth, errors
from hamsayeh.web.forms import Form

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

COOKIE = "kiosk"
IDLE_SECONDS = 120  # without a touch (with the script), or on a page without a field to fill in
FORM_SECONDS = 300  # a page with a field to fill in, without the script: nothing tells of the typing
WARNING_SECONDS = 20  # the "still there?" dialog, before the idle time runs out
PING_SECONDS = 30  # the script tells the server of activity at most this often
# What a kiosk may show. Everything else answers 403 at a kiosk.
ALLOWED = frozenset(
    {
        "static",
        "main.htmx_script",
        "accounts.sign_in",
        "accounts.start_session",
        "accounts.sign_up",
        "accounts.create_account",
        "accounts.confirm_sign_up",
        "accounts.finish_sign_up",
        "accounts.end_session",
        "board.show",
        "centers.show",
        "centers.program",
        "centers.signup",
        "centers.leave",
        "areas.index",
        "areas.show",
        "areas.choose",
        "board.index",
        "orgs.show",
        "centers.flyer",
        "main.preferences",
        "main.save_preferences",
        "main.set_language",
        "inbox.index",
        "inbox.mark_read",
        "channel.show",
        "channel.announcement",
        "channel.reply",
        "kiosk.start",
        "kiosk.done",
        "kiosk.script",
        "kiosk.still_here",
        "kiosk.me",
        "kiosk.check_in",
        # Choosing one's own PIN for an account made at a desk or by an import:
        # with the desk's claim code, or with an SMS code.
        "kiosk.claim",
        "kiosk.finish_claim",
        "accounts.claim",
        "accounts.send_claim_code",
        "accounts.confirm_claim",
        "accounts.finish_claim",
        # A neighborhood fund's page and its proposals: a member votes at the center (issue 17).
        "funds.show",
        "funds.proposal",
        "funds.vote",
        # A distribution point at the center (issue 16): its volunteer types or scans a household's code.
        "points.show",
        "points.mark",
    }
)
# Cookies a guest leaves behind (neighborhood, text size, language): the next person starts without them.
GUEST_COOKIES = ("hood", "prefs", "lang")
ALLOWED_BLUEPRINTS = frozenset({"simple"})
# A field a person fills in (not a hidden value or a button): a page that has one waits longer without the script.
FIELD = re.compile(r'<(?:textarea|select)\b|<input\b(?![^>]*\btype="(?:hidden|submit|button|image|reset)")')
# The pad's keys: a digit, erase the last one, erase all.
PAD_KEYS = (*"1234567890", "back", "clear")
PAD_MOST = 32  # no phone, PIN or code is longer
# Announcements on a member's kiosk page; the channel's page has the rest.
NEWS_SHOWN = 3


def init_app(app):
    app.config.setdefault("KIOSK_IDLE_SECONDS", IDLE_SECONDS)
    app.config.setdefault("KIOSK_FORM_SECONDS", FORM_SECONDS)
    app.config.setdefault("KIOSK_WARNING_SECONDS", WARNING_SECONDS)
    app.config.setdefault("KIOSK_PING_SECONDS", PING_SECONDS)
    script = (Path(app.static_folder) / "js" / "kiosk.js").read_bytes()
    app.extensions["kiosk_script"] = (hashlib.sha256(script).hexdigest()[:16], script)
    app.before_request(recognize)
    app.after_request(never_stored)
    app.jinja_env.globals.update(kiosk_waits=page_waits, kiosk_typed=typed, kiosk_pad=number_pad)
    app.context_processor(lambda: {"kiosk": g.get("kiosk"), "kiosk_script": current_app.extensions["kiosk_script"][0]})


def allowed(endpoint, blueprint):
    return endpoint in ALLOWED or blueprint in ALLOWED_BLUEPRINTS


def recognize():
    """Runs before the session's member is loaded: at a kiosk, an idle session
    is forgotten first, and only the kiosk's pages are served."""
    g.kiosk = None
    token = request.cookies.get(COOKIE)
    if not token or request.endpoint in ("static", "kiosk.script"):
        return None
    kiosk = centers.kiosk_by_token(token)
    if kiosk is None:  # switched off: the terminal forgets whoever was signed in on it
        session.clear()
        g.kiosk_switched_off = True
        return None
    g.kiosk = kiosk
    now = time.time()
    # The wait the last page announced (two or five minutes), from its last request or the script's last sign.
    if now - session.get("kiosk_seen", now) > session.get("kiosk_wait", current_app.config["KIOSK_IDLE_SECONDS"]):
        session.clear()
        g.kiosk_forgot = True
    session["kiosk_seen"] = now
    if request.endpoint == "main.home":  # where signing in, up or out leads elsewhere
        # A member who just signed in finds their own page; the start page would forget them.
        return redirect(url_for("kiosk.me" if "uid" in session else "kiosk.start"))
    if not allowed(request.endpoint, request.blueprint):
        return errors.render_error(
            403,
            _l("This page is not shown at the kiosk"),
            _l(
                "Open it on your own phone or a computer. Here you can ask for help, sign up, and see your messages, hours and the center's programs."
            ),
        )
    return None


def never_stored(response):
    """Nothing a kiosk showed stays in its browser for the next person, and
    each page goes back to the start after its idle time."""
    if g.get("kiosk_switched_off"):
        response.delete_cookie(COOKIE)
    # What a view declares public is the same for everyone (the pinned scripts).
    if g.get("kiosk") is None or response.cache_control.public:
        return response
    response.headers["Cache-Control"] = "no-store"
    # Every page, error pages too (a refused form still shows what was typed); not redirects.
    if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
        wait = g.get("kiosk_wait", current_app.config["KIOSK_IDLE_SECONDS"])
        session["kiosk_wait"] = wait
        response.headers["Refresh"] = f"{wait}; url={url_for('kiosk.start')}"
    return response


def page_waits(main_html):
    """How long this kiosk page waits without the script, in seconds: longer
    when it has a field to fill in. Asked by the page's header, once its
    content is made; the Refresh header and the server's deadline follow it."""
    config = current_app.config
    g.kiosk_wait = config["KIOSK_FORM_SECONDS"] if FIELD.search(str(main_html)) else config["KIOSK_IDLE_SECONDS"]
    return g.kiosk_wait


# --- The big number pad ------------------------------------------------------------------


def typed(name):
    """What was typed so far into field `name`, when a key of the pad sent the
    form without the script; None otherwise (the page shows its own value)."""
    return g.get("kiosk_typed", {}).get(name)


def number_pad(name, label):
    """The pad under a phone, PIN or code field, at a kiosk only. Its keys
    post the form back to the page's own address; the first pad of a page is
    open, or the one whose key was just pressed."""
    if g.get("kiosk") is None:
        return ""
    pressed = g.get("kiosk_pad")
    is_open = name == pressed if pressed else not g.get("kiosk_pads")
    g.kiosk_pads = g.get("kiosk_pads", 0) + 1
    pad = render_template("kiosk/_pad.html", name=name, label=label, action=page_address(), open=is_open)
    return Markup(pad)  # noqa: S704 (a template's own output, escaped as it was made)


def page_address():
    """The address of the page being shown. A page shown again after a
    refused post (or after a key) has the post's address, without the query
    its page was opened with (where to go next, the choices made so far): the
    browser's Referer, from this same page, still has it."""
    if request.method == "GET" or request.query_string:  # a key's own post carries the page's query
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path == request.path and referrer.query:
        return f"{request.path}?{referrer.query}"
    return request.path


def page_rule(adapter, path):
    """The rule, and its values, of the page (GET) at `path`."""
    try:
        return adapter.match(path, method="GET", return_rule=True)
    except HTTPException:
        abort(404)


@bp.before_app_request
def typed_on_the_keys():
    """A key of the pad pressed without the script: the page itself comes
    back, from its own view, with every field as typed and the key applied.
    Runs after the member is loaded (a blueprint's hook follows the app's);
    the form token was checked before it, as for any post."""
    if g.get("kiosk") is None or request.method != "POST" or "kiosk_key" not in request.form:
        return None
    name, _sep, key = request.form["kiosk_key"].partition(":")
    values = {field: persian.normalize(value)[:1000] for field, value in request.form.items()}
    if name not in values or name in ("csrf_token", "kiosk_key", "form_key", "next") or key not in PAD_KEYS:
        abort(400)
    value = values[name]
    if key == "back":
        value = value[:-1]
    elif key == "clear":
        value = ""
    else:
        value = (value + key)[:PAD_MOST]
    values[name] = value
    g.kiosk_typed, g.kiosk_pad = values, name
    adapter = current_app.url_map.bind_to_environ(request.environ)
    rule, args = page_rule(adapter, request.path)
    if not allowed(rule.endpoint, rule.endpoint.partition(".")[0]):
        abort(403)
    request.url_rule, request.view_args = rule, args
    return current_app.view_functions[rule.endpoint](**args)


# --- The kiosk's own pages -----------------------------------------------------------------


def forget(make_response):
    """The next person finds nothing of this one: no session (cleared before
    the page is made, so that its form token is the new session's), no guest
    cookies."""
    session.clear()
    response = make_response()
    for name in GUEST_COOKIES:
        response.delete_cookie(name)
    return response


@bp.get("/")
def start():
    """The start page: the previous person is forgotten here."""
    if g.kiosk is None:
        return redirect(url_for("simple.home"))
    return forget(lambda: current_app.make_response(render_template("kiosk/start.html", center=g.kiosk.center)))


@bp.post("/done")
def done():
    return forget(lambda: redirect(url_for("kiosk.start")))


@bp.get("/script-<version>.js")
def script(version):
    """The kiosk's script, from this site (CSP: script-src 'self'), cached for
    a year: its address changes with its content."""
    current, body = current_app.extensions["kiosk_script"]
    if version != current:
        abort(404)
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.post("/still-here")
def still_here():
    """The script's sign that someone touched the page: the clock was moved
    in `recognize`. 205 (reset the page) when it came too late and the
    person was already forgotten."""
    if g.kiosk is None:
        abort(404)
    return "", 205 if g.get("kiosk_forgot") else 204


def kiosk_or_404():
    if g.kiosk is None:
        abort(404)
    return g.kiosk


@bp.get("/me")
@auth.signed_in_only
def me():
    """A member's own page at the kiosk: their hours, their messages, the
    center's news, and today's programs they hold a place in, to check in."""
    center = kiosk_or_404().center
    return render_template(
        "kiosk/me.html",
        center=center,
        account=timebank.member_account(g.user, create=False),
        places=list(centers.todays_places(center, g.user)),
        news=list(network.channel_of(center.area).limit(NEWS_SHOWN)),
    )


@bp.post("/check-in")
@auth.signed_in_only
def check_in():
    """The member came: only to a program of today, at this kiosk's center,
    that they hold a place in (the domain finds it by the member)."""
    center = kiosk_or_404().center
    program_id = persian.whole_number(Form(request.form)["program"])
    signup = centers.check_in(center, g.user, program_id) if program_id else None
    if signup is None:
        flash(_("This is not one of your programs today. Ask the center's staff."))
    else:
        flash(_("Welcome! You are checked in for “%(title)s”.", title=signup.program.title))
    return redirect(url_for("kiosk.me"))


# --- Claiming an account with the desk's code ------------------------------------------------

CLAIM_PROBLEMS = {
    "wrong": _l("The number or the code is not right. Check them, or ask the desk."),
    "expired": _l("This code no longer works. Ask the desk for a new one."),
}


@bp.get("/claim")
def claim():
    """A neighbor registered at this center's desk chooses their own PIN."""
    kiosk_or_404()
    return render_template("kiosk/claim.html", form=Form())


@bp.post("/claim")
def finish_claim():
    center = kiosk_or_404().center
    form = Form(request.form)
    phone = form.phone()
    code = persian.normalize(form.required("code", _l("Type the code the desk gave you."))).replace(" ", "")
    pin = form.new_pin()
    if form.ok:
        result = in_person.claim_at_kiosk(center, phone, code, pin)
        if result.user is not None:
            auth.start_session(result.user)
            flash(_("Welcome, %(name)s. Your account is yours now, with your own PIN.", name=result.user.name))
            return redirect(url_for("kiosk.me"))
        form.error("code", CLAIM_PROBLEMS[result.problem])
    for field in ("code", "pin", "pin_again"):
        form.data.pop(field, None)
    return render_template("kiosk/claim.html", form=form), 422


# --- Staff: turning a terminal into a kiosk, and switching kiosks off ----------------


def managed_center(center_id):
    center = get_object_or_404(models.Center, models.Center.id == center_id)
    if not access.may_manage_kiosks(g.user, g.roles, center):
        abort(403)
    return center


@bp.get("/centers/<int:center_id>")
@auth.requires(access.may_run_a_center)
def manage(center_id):
    return render_manage(managed_center(center_id), Form(name=_("Entrance terminal")))


def render_manage(center, form, status=200):
    return render_template("kiosk/manage.html", center=center, kiosks=centers.kiosks_of(center), form=form), status


@bp.post("/centers/<int:center_id>")
@auth.requires(access.may_run_a_center)
def make(center_id):
    """This terminal becomes the center's kiosk; the staff member is signed
    out on it, so that the next person never finds their session."""
    center = managed_center(center_id)
    form = Form(request.form)
    name = form.text("name", models.Kiosk.NAME_MAX, 2, _l("Name the terminal, like: Entrance terminal."))
    if not form.ok:
        return render_manage(center, form, 422)
    token = centers.make_kiosk(center, name, g.user)
    session.clear()
    response = redirect(url_for("kiosk.start"))
    response.set_cookie(
        COOKIE,
        token,
        max_age=5 * 365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.post("/centers/<int:center_id>/<int:kiosk_id>/revoke")
@auth.requires(access.may_run_a_center)
def revoke(center_id, kiosk_id):
    center = managed_center(center_id)
    changed = centers.revoke_kiosk(center, kiosk_id, g.user)
    flash(_("The kiosk is switched off.") if changed else _("This kiosk was already switched off."))
    return redirect(url_for("kiosk.manage", center_id=center.id))
