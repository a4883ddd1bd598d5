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

from hamsayeh import persian
from hamsayeh.domain import acting
from hamsayeh.domain.access import may_act_for
from hamsayeh.web.catalog import catalog
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
COOKIE_MAX_AGE = 365 * 24 * 3600


def init_app(app):
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", SESSION_LIMITS["member"][1])
    app.before_request(load_user)
    app.after_request(record_acting_write)


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

    @classmethod
    def from_cookie(cls, value):
        """'t1c0s0': text size 1, normal contrast, full mode."""
        prefs = cls()
        if value and len(value) == 6 and value[0] == "t" and value[2] == "c" and value[4] == "s":
            if persian.whole_number(value[1]) in TEXT_SIZES:
                prefs.text_size = int(value[1])
            prefs.high_contrast = value[3] == "1"
            prefs.simple_mode = value[5] == "1"
        return prefs

    def to_cookie(self):
        return f"t{self.text_size}c{int(self.high_contrast)}s{int(self.simple_mode)}"


def current_preferences():
    user = g.get("user")
    if user is not None:
        return Preferences(user.text_size, user.high_contrast, user.simple_mode)
    return Preferences.from_cookie(request.cookies.get(PREFERENCES_COOKIE))


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
