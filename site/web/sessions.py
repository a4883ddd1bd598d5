"""Flask's session, kept on the server once someone signs in.

A guest's session (a form token, a flashed message, the kiosk's clock) stays
in a signed cookie, as Flask keeps it: an anonymous page view writes nothing
on the server. A member's session lives in the store of
`hamsayeh.domain.sessions`, and the signed cookie carries only its random id.
`session.clear()` ends the stored session at the end of the request and the
next member gets a new id (no session fixation, ASVS V7.2.4)."""

import datetime
import re

from flask import request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from itsdangerous import BadSignature

from hamsayeh.domain import sessions
from models import utcnow

# What the cookie of a member's session carries, and what makes a session a member's.
ID_KEY = "sid"
MEMBER_KEY = "uid"
# The store forgets a session this long after its time-out: until then the
# site itself ends it, and says why ("you were away for a while").
GRACE = datetime.timedelta(hours=1)


class ServerSession(SecureCookieSession):
    def __init__(self, initial=None, record=None):
        super().__init__(initial)
        self.record = record  # where it is stored, for a member's session
        self.ended = []  # stored sessions this request ended

    def clear(self):
        """Forget everything, and end the stored session with it."""
        super().clear()
        self.regenerate()

    def regenerate(self):
        """The stored session ends now; what is kept from here on gets a new id."""
        if self.record is not None:
            self.ended.append(self.record.id_hash)
            self.record = None
        self.modified = True


class ServerSessionInterface(SecureCookieSessionInterface):
    # Not Flask's own salt: a cookie signed before sessions moved to the server opens nothing.
    salt = "hamsayeh-server-session"
    session_class = ServerSession

    def __init__(self, before_open=None):
        # The session is opened before any before_request hook runs: whoever
        # opens the request's database connection must do it here first, or
        # the store's read opens one that nothing closes.
        self.before_open = before_open

    def open_session(self, app, request):
        if self.before_open is not None:
            self.before_open()
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = signer.loads(value, max_age=max_age)
        except BadSignature:
            return self.session_class()
        if not isinstance(data, dict) or MEMBER_KEY in data:
            return self.session_class()
        if ID_KEY not in data:
            return self.session_class(data)
        record = sessions.load(sessions.id_hash(data[ID_KEY]))
        if record is None:  # ended, or timed out: the cookie is a guest's now
            session = self.session_class()
            session.modified = True
            return session
        return self.session_class(self.serializer.loads(record.data), record=record)

    def save_session(self, app, session, response):
        if session.ended:
            sessions.end(*session.ended)
        if MEMBER_KEY not in session:
            if session.record is not None:
                session.regenerate()
                sessions.end(*session.ended)
            return super().save_session(app, session, response)
        response.vary.add("Cookie")
        data = self.serializer.dumps(dict(session))
        expires_at = expiry(session)
        if session.record is None:
            session_id, session.record = sessions.start(
                session[MEMBER_KEY], data, request.headers.get("User-Agent", ""), expires_at
            )
            self.set_cookie(app, session, response, self.get_signing_serializer(app).dumps({ID_KEY: session_id}))
        elif session.modified:
            session.record.data, session.record.seen_at, session.record.expires_at = data, utcnow(), expires_at
            if not sessions.save(session.record):
                self.delete_cookie(app, response)

    def set_cookie(self, app, session, response, value):
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            partitioned=self.get_cookie_partitioned(app),
        )

    def delete_cookie(self, app, response):
        response.delete_cookie(
            self.get_cookie_name(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            partitioned=self.get_cookie_partitioned(app),
            httponly=self.get_cookie_httponly(app),
            samesite=self.get_cookie_samesite(app),
        )


def expiry(session):
    """When the store may forget the session: the sooner of its idle and
    absolute time-outs (the `limits` the sign-in gave it), and a grace."""
    idle, absolute = session.get("limits", (0, 0))
    ends = min(session.get("seen", 0) + idle, session.get("issued", 0) + absolute)
    return datetime.datetime.fromtimestamp(ends, datetime.UTC).replace(tzinfo=None) + GRACE


# (pattern, name) in order: the first that matches names the browser or system.
BROWSERS = (
    (r"Edg/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser", "Samsung Internet"),
    (r"Firefox/", "Firefox"),
    (r"Chrome/|Chromium/|CriOS/", "Chrome"),
    (r"Safari/", "Safari"),
)
SYSTEMS = (
    (r"Android", "Android"),
    (r"iPhone|iPad|iPod", "iOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def device_summary(user_agent):
    """'Chrome on Android': enough for a member to know their own devices."""
    browser = next((name for pattern, name in BROWSERS if re.search(pattern, user_agent or "")), None)
    system = next((name for pattern, name in SYSTEMS if re.search(pattern, user_agent or "")), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("An unknown device")
