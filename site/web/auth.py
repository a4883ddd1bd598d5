"""Who is asking: sessions (kept on the server, see `hamsayeh.web.sessions`),
time-outs, the chosen language and display preferences, and the one place
where roles are checked."""

import time
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from itsdangerous import BadData, TimestampSigner

from hamsayeh import persian
from hamsayeh.domain import accounts, acting
from hamsayeh.domain.access import may_act_for
from hamsayeh.web.catalog import catalog
from hamsayeh.web.sessions import MEMBER_KEY
from models import STAFF_ROLES, TEXT_SIZES, User

ROLE_LABELS = {
    "resident": _l("Resident"),
    "volunteer": _l("Volunteer"),
    "facilitator": _l("Facilitator"),
    "center_staff": _l("Center staff"),
    "charity_staff": _l("Charity staff"),
    "social_worker": _l("Social worker"),
    "admin": _l("Administrator"),
}

# (idle, absolute) seconds. Staff see other people's data: shorter sessions
# (ASVS V7.3.1/2). Residents on a phone of their own stay signed in longer.
SESSION_LIMITS = {
    "staff": (30 * 60, 12 * 3600),
    "member": (7 * 24 * 3600, 30 * 24 * 3600),
}
# Rewrite the session cookie's "last seen" at most this often.
SEEN_RESOLUTION = 60
PREFERENCES_COOKIE = "prefs"
LANGUAGE_COOKIE = "lang"
GUEST_NEIGHBORHOOD_COOKIE = "hood"
# Where a guest sent off to choose their neighborhood goes back to once they
# chose it: a name from this list, never an address (no open redirect).
RETURN_COOKIE = "then"
RETURNS = {"need": "simple.need_kind"}
COOKIE_MAX_AGE = 365 * 24 * 3600


def init_app(app):
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", SESSION_LIMITS["member"][1])
    app.before_request(load_user)
    app.after_request(record_acting_write)
    app.jinja_env.globals["light_csrf_token"] = light_csrf_token


def session_limits(roles):
    return SESSION_LIMITS["staff" if roles & STAFF_ROLES else "member"]


def load_user():
    g.user, g.roles, g.actor = None, frozenset(), None
    if request.endpoint == "static" or "uid" not in session:
        return
    user = User.get_or_none(User.id == session.get("uid"))
    if user is None or not user.is_active or session.get("epoch") != user.session_epoch:
        session.clear()
        return
    roles = frozenset(user.roles())
    idle, absolute = session_limits(roles)
    now = time.time()
    if now - session.get("seen", 0) > idle or now - session.get("issued", 0) > absolute:
        session.clear()
        flash(_("You were signed out because you were away for a while. Please sign in again."))
        return
    if now - session["seen"] > SEEN_RESOLUTION:
        session["seen"] = now
    if tuple(session.get("limits", ())) != (idle, absolute):  # roles changed since sign-in
        session["limits"] = (idle, absolute)
    g.user, g.roles = user, roles
    if "acting_for" in session:
        act_for(session["acting_for"])


def act_for(person_id):
    """Someone acting for a person sees the site as that person: g.user is the
    person, g.actor who is really there. Checked again on every request, so a
    helper the person removed stops at once."""
    person = User.get_or_none(User.id == person_id)
    if person is None or not may_act_for(g.user, g.roles, person):
        session.pop("acting_for", None)
        return
    g.actor, g.actor_roles = g.user, g.roles
    g.user, g.roles = person, frozenset(person.roles())


def start_acting(person):
    acting.record_acting("start", g.user, person)
    session["acting_for"] = person.id


def stop_acting():
    if g.get("actor") is not None:
        acting.record_acting("stop", g.actor, g.user)
    session.pop("acting_for", None)
    g.actor = None


def record_acting_write(response):
    """Every change made while acting for someone: who, for whom, what, when."""
    actor = g.get("actor")
    if actor is not None and request.method == "POST" and response.status_code < 400:
        acting.record_acting("write", actor, g.user, detail=request.path)
    return response


def start_session(user):
    """A fresh session, with a new id, for a freshly signed-in person (no
    session fixation): the one they had before ends here."""
    session.clear()
    session.permanent = True
    now = time.time()
    limits = session_limits(frozenset(user.roles()))
    session.update(uid=user.id, epoch=user.session_epoch, issued=now, seen=now, limits=limits)


def end_session():
    """Sign out: the session is deleted on the server, so a copy of its cookie opens nothing."""
    session.clear()


def current_session_key():
    """The stored hash of this browser's session id, or None for a guest."""
    record = getattr(session, "record", None)
    return record.id_hash if record is not None else None


def requires(rule=None):
    """Only signed-in people for whom `rule(user, roles)` holds (a function of
    `access`; any member when there is none) reach the view; a guest signs in
    first, anyone else gets the 403 page. The one guard of a whole page; an
    object's own rule is asked by the view's loader."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
            if rule is not None and not rule(g.user, g.roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access_rule = rule
        return wrapped

    return decorator


def requires_role(*roles):
    """Only signed-in people holding one of `roles` (any member when none are named)."""
    return requires((lambda user, user_roles: bool(user_roles & set(roles))) if roles else None)


signed_in_only = requires_role()


def safe_next(target, default="main.home"):
    """A place on this site to go back to; never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default)


def selected_locale():
    languages = current_app.config["LANGUAGES"]
    user = g.get("user")
    if user is not None and user.language in languages:
        return user.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@dataclass
class Preferences:
    text_size: int = 0
    high_contrast: bool = False
    simple_mode: bool = False
    # A guest chose the size and contrast on this device: the next sign-in keeps them.
    chosen: bool = False

    @classmethod
    def from_cookie(cls, value):
        """'t1c0s0': text size 1, normal contrast, full mode; 't1c0s0p': the
        same, chosen by a guest on this device."""
        prefs = cls()
        if value and len(value) in (6, 7) and value[0] == "t" and value[2] == "c" and value[4] == "s":
            if persian.whole_number(value[1]) in TEXT_SIZES:
                prefs.text_size = int(value[1])
            prefs.high_contrast = value[3] == "1"
            prefs.simple_mode = value[5] == "1"
            prefs.chosen = value[6:] == "p"
        return prefs

    def to_cookie(self):
        chosen = "p" if self.chosen else ""
        return f"t{self.text_size}c{int(self.high_contrast)}s{int(self.simple_mode)}{chosen}"


def current_preferences():
    user = g.get("user")
    if user is not None:
        return Preferences(user.text_size, user.high_contrast, user.simple_mode)
    return Preferences.from_cookie(request.cookies.get(PREFERENCES_COOKIE))


def keep_guest_display(user, response):
    """At sign-in: the text size and contrast this browser chose as a guest
    win over the account's saved ones and are saved to it (a senior who made
    the text large before signing in keeps it large). Never at a kiosk, which
    is everyone's device. The cookie then stops saying "chosen": the account
    holds the choice from now on."""
    prefs = Preferences.from_cookie(request.cookies.get(PREFERENCES_COOKIE))
    if not prefs.chosen or g.get("kiosk") is not None:
        return response
    accounts.update_profile(user, text_size=prefs.text_size, high_contrast=prefs.high_contrast)
    kept = Preferences(prefs.text_size, prefs.high_contrast, user.simple_mode)
    return remember_cookie(response, PREFERENCES_COOKIE, kept.to_cookie())


def remember_cookie(response, name, value):
    response.set_cookie(
        name,
        value,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def send_to_choose_neighborhood(then):
    """To the neighborhood finder, remembering (for half an hour) the step to
    come back to: a first-time guest asking for help does not start again."""
    response = redirect(url_for("areas.index"))
    response.set_cookie(
        RETURN_COOKIE,
        then,
        max_age=1800,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def after_choosing_neighborhood():
    """The page a guest goes to once a neighborhood is chosen: the step they
    were sent from, or the home page."""
    response = redirect(url_for(RETURNS.get(request.cookies.get(RETURN_COOKIE, ""), "main.home")))
    response.delete_cookie(RETURN_COOKIE)
    return response


def chosen_neighborhood():
    """The signed-in member's neighborhood, or the one a guest chose."""
    if g.user is not None:
        hood_id = g.user.neighborhood_id
    elif g.get("kiosk") is not None:
        hood_id = g.kiosk.center.area_id
    else:
        hood = request.cookies.get(GUEST_NEIGHBORHOOD_COOKIE, "")
        hood_id = persian.whole_number(hood)
    return catalog().neighborhood(hood_id) if hood_id is not None else None


# --- Forms a guest sends from any page, without a session ------------------------------
#
# Every form carries a CSRF token. Flask-WTF's is kept in the session, so a
# guest's first page with a form would start a session and set its cookie. The
# language and simple-mode switches sit in every page's footer: for a guest
# they carry a light token instead, signed by the site and the same for every
# guest for an hour, so a public page sets no cookie and writes no session.
# What those two forms change is this browser's own display; the light token
# opens no other form, and is refused when the browser says the form was sent
# from another site. Every other form (signing in or up above all) keeps the
# session's token.

LIGHT_FORMS = frozenset({"main.set_language", "simple.set_mode"})
LIGHT_TOKEN_PREFIX = "light."  # noqa: S105 (a marker, not a secret)
LIGHT_TOKEN_MAX_AGE = 24 * 3600
# Seconds a process reuses the token it signed: a guest's whole page, kept by each process
# (cache.guest_page), is made again when it changes.
LIGHT_TOKEN_RENEWAL = 3600
CSRF_SESSION_KEY = "csrf_token"  # where Flask-WTF keeps the session's token


def light_csrf_token(endpoint):
    """The token of a footer form that posts to `endpoint` (one of LIGHT_FORMS):
    the session's own for a member or a guest who has one, else a light one."""
    if endpoint not in LIGHT_FORMS:
        raise ValueError(f"{endpoint} is not a form a guest may send without a session")
    if MEMBER_KEY in session or CSRF_SESSION_KEY in session:
        return generate_csrf()
    token, made = current_app.extensions.get("light_csrf_token", (None, 0))
    now = time.time()
    if now - made > LIGHT_TOKEN_RENEWAL:
        token = LIGHT_TOKEN_PREFIX + _light_signer().sign(LIGHT_TOKEN_PREFIX).decode()
        current_app.extensions["light_csrf_token"] = (token, now)
    return token


def _light_signer():
    return TimestampSigner(current_app.secret_key, salt="hamsayeh-light-form")


def check_light_token(token):
    """A guest's light token: signed here, fresh, sent to one of LIGHT_FORMS
    and not from another site. Raises CSRFError (the "form has expired" page)."""
    try:
        _light_signer().unsign(token[len(LIGHT_TOKEN_PREFIX) :], max_age=LIGHT_TOKEN_MAX_AGE)
    except BadData:
        raise CSRFError("The light token is invalid or expired.") from None
    if request.endpoint not in LIGHT_FORMS:
        raise CSRFError("A light token opens only the footer's forms.")
    if posted_from_another_site():
        raise CSRFError("The form was sent from another site.")


def posted_from_another_site():
    """What the browser says of where the form was: Sec-Fetch-Site, else the
    Origin, else the Referer (this site sends it to itself, Referrer-Policy
    same-origin). A client that says nothing is not a browser sending a form
    from another page, or one too old to tell."""
    site = request.headers.get("Sec-Fetch-Site")
    if site:
        return site not in ("same-origin", "none")
    source = request.headers.get("Origin") or request.headers.get("Referer")
    return source is not None and urlsplit(source).netloc != request.host


class CSRF(CSRFProtect):
    """Flask-WTF's CSRF protection, which also takes a guest's light token."""

    def protect(self, apply_exemptions=False):
        if request.method in current_app.config["WTF_CSRF_METHODS"] and MEMBER_KEY not in session:
            token = self._get_csrf_token()
            if token and token.startswith(LIGHT_TOKEN_PREFIX):
                check_light_token(token)
                g.csrf_valid = True
                return
        super().protect(apply_exemptions=apply_exemptions)
