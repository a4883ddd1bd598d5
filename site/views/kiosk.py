"""Kiosk mode: a touch terminal at a Mosbat-e Zendegi center. A staff member
turns the terminal into the center's kiosk once (a token in a cookie, bound to
the center, revocable by staff). The kiosk shows only the simple pages, signing
up and signing in, and the center's programs, with very large targets; any
other address is refused, whoever is signed in. After two idle minutes, or
when the person presses Finish, it forgets them: the session is cleared on the
server, every page is sent with no-store so that Back shows nothing, and a
refresh (the HTTP `Refresh` header, the equivalent of a meta refresh) brings
the start page back without JavaScript. Every kiosk page says so, and every
touch starts the two minutes again: the limit protects the next person's
privacy (WCAG 2.2.1's essential exception), and is announced, not sprung."""

import time

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh.domain import access, centers
from hamsayeh.web import auth
from hamsayeh.web.forms import Form

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

COOKIE = "kiosk"
IDLE_SECONDS = 120
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
        "kiosk.start",
        "kiosk.done",
    }
)
# Cookies a guest leaves behind (neighborhood, text size, language): the next person starts without them.
GUEST_COOKIES = ("hood", "prefs", "lang")
ALLOWED_BLUEPRINTS = frozenset({"simple"})


def init_app(app):
    app.config.setdefault("KIOSK_IDLE_SECONDS", IDLE_SECONDS)
    app.before_request(recognize)
    app.after_request(never_stored)
    app.context_processor(
        lambda: {"kiosk": g.get("kiosk"), "kiosk_minutes": max(1, current_app.config["KIOSK_IDLE_SECONDS"] // 60)}
    )


def recognize():
    """Runs before the session's member is loaded: at a kiosk, an idle session
    is forgotten first, and only the kiosk's pages are served."""
    g.kiosk = None
    token = request.cookies.get(COOKIE)
    if not token or request.endpoint == "static":
        return None
    kiosk = centers.kiosk_by_token(token)
    if kiosk is None:  # switched off: the terminal forgets whoever was signed in on it
        session.clear()
        g.kiosk_switched_off = True
        return None
    g.kiosk = kiosk
    now = time.time()
    if now - session.get("kiosk_seen", now) > current_app.config["KIOSK_IDLE_SECONDS"]:
        session.clear()
    session["kiosk_seen"] = now
    if request.endpoint == "main.home":  # where signing in, up or out leads elsewhere
        return redirect(url_for("kiosk.start"))
    if request.endpoint not in ALLOWED and request.blueprint not in ALLOWED_BLUEPRINTS:
        abort(403)
    return None


def never_stored(response):
    """Nothing a kiosk showed stays in its browser for the next person, and
    each page goes back to the start after the idle time."""
    if g.get("kiosk_switched_off"):
        response.delete_cookie(COOKIE)
    if g.get("kiosk") is not None:
        response.headers["Cache-Control"] = "no-store"
        # Every page, error pages too (a refused form still shows what was typed); not redirects.
        if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
            idle = current_app.config["KIOSK_IDLE_SECONDS"]
            response.headers["Refresh"] = f"{idle}; url={url_for('kiosk.start')}"
    return response


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
