"""The Hamsayeh web application: `create_app()` wires configuration, the
database, translations, CSRF, htmx, the blueprints, template filters and the
command-line commands together. Nothing runs at import time."""

import gzip
import os
import secrets
from pathlib import Path

from flask import Flask, current_app, g, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

import models
from hamsayeh import views
from hamsayeh.domain import registry
from hamsayeh.views import kiosk, sms
from hamsayeh.web import auth, cli, errors, tasks, templating

LANGUAGES = ("fa", "en")
DEFAULT_DATABASE = "sqlite:///{instance}/hamsayeh.sqlite3"
# Smaller bodies are not worth the CPU, and a compressed tiny page can be larger.
GZIP_MIN_BYTES = 600


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE.format(instance=app.instance_path),
        BABEL_DEFAULT_LOCALE="fa",
        BABEL_DEFAULT_TIMEZONE="Asia/Tehran",
        LANGUAGES=LANGUAGES,
        SESSION_COOKIE_NAME="hamsayeh_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("HAMSAYEH_HTTPS") == "1",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=True,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        PRODUCTION=os.environ.get("HAMSAYEH_ENV") == "production",
        TRUSTED_PROXIES=int(os.environ.get("HAMSAYEH_TRUSTED_PROXIES", "0")),
    )
    app.config.update(config or {})
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key(app)
    app.config.setdefault("REGISTRY_KEY", _registry_key(app))

    models.db.initialize(models.open_database(app.config["DATABASE_URL"]))  # noqa: TID251 (the one place that wires it)
    _check_registry_key(app)
    app.before_request(_connect_database)
    app.teardown_appcontext(_close_database)

    Babel(app, locale_selector=auth.selected_locale, timezone_selector=lambda: "Asia/Tehran")
    CSRFProtect(app)
    Htmx(app)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)

    kiosk.init_app(app)  # before auth: at a kiosk, an idle session is forgotten first
    auth.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    tasks.init_app(app)
    for blueprint in views.blueprints():
        app.register_blueprint(blueprint)
    sms.init_app(app)
    app.after_request(_security_headers)
    app.after_request(_compress)
    return app


def _secret_key(app):
    """From the environment; in development only, a random key kept in the
    instance folder so that sessions survive a restart."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if app.config["PRODUCTION"] and not app.config.get("TESTING"):
        raise RuntimeError("SECRET_KEY must be set in the environment when HAMSAYEH_ENV=production")
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _registry_key(app):
    """The key of the registry's identifier hashes: from the environment, or in
    development from the file `flask registry-key` made. Never made here: a
    new key would silently lose everyone already in the registry."""
    if key := os.environ.get("HAMSAYEH_REGISTRY_KEY"):
        return key
    path = Path(app.instance_path) / "registry_key"
    if not app.config["PRODUCTION"] and path.exists():
        return path.read_text().strip()
    return ""


def _check_registry_key(app):
    """Stop at start-up, with a clear message, when the registry's key is lost
    or changed (once the schema exists: `flask migrate` runs before it)."""
    with models.connection():
        if models.has_table(models.Setting):
            registry.check_registry_key(app.config["REGISTRY_KEY"])


def _connect_database():
    # Close at teardown only what this request opened: a CLI command or a test
    # may hold the thread's connection around a request.
    g.opened_database = models.connect()


def _close_database(exc):
    if g.pop("opened_database", False):
        models.disconnect()


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; "
        f"style-src 'self' '{current_app.config['INLINE_CSS_HASH']}'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
        response.vary.add("Cookie")
        # A page for a signed-in person may hold personal data: keep it out of
        # every cache and out of the Back button of a shared phone or kiosk.
        if g.get("user") is not None:
            response.headers["Cache-Control"] = "no-store"
        else:
            response.headers.setdefault("Cache-Control", "no-cache")
    return response


def _compress(response):
    if (
        response.direct_passthrough
        or response.status_code < 200
        or "Content-Encoding" in response.headers
        or not (response.mimetype.startswith("text/") or response.mimetype in ("application/json", "image/svg+xml"))
        or "gzip" not in request.headers.get("Accept-Encoding", "")
    ):
        return response
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response
