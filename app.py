"""The Hamsayeh web application: `create_app()` wires configuration, the
database, translations, CSRF, htmx, the blueprints, template filters and the
command-line commands together. Nothing runs at import time."""

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel
from htmx_flask import Htmx
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

import models
from hamsayeh import views
from hamsayeh.domain import audit, registry, sessions
from hamsayeh.views import kiosk, sms
from hamsayeh.web import auth, backups, cli, compression, errors, observability, tasks, templating
from hamsayeh.web.sessions import ServerSessionInterface

LANGUAGES = ("fa", "en")
DEFAULT_DATABASE = "sqlite:///{instance}/hamsayeh.sqlite3"
# Smaller bodies are not worth the CPU, and a compressed tiny page can be larger.
GZIP_MIN_BYTES = 600
# Hosts a developer's own browser and the tests use, beside the public address.
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class Site(Flask):
    """Flask, with outside addresses built from the configured public one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plain_addresses = {}

    def url_for(self, endpoint, *, _external=None, **values):
        """An address for outside the page (a printed URL, a QR code) names the
        configured public address, never the Host a request brought."""
        public = self.config.get("PUBLIC_URL")
        if _external and public:
            values.pop("_scheme", None)
            return public + super().url_for(endpoint, _external=False, **values)
        if values or _external or endpoint.startswith(".") or not has_request_context():
            return super().url_for(endpoint, _external=_external, **values)
        # An address with no values (the menu's, the footer's: a dozen a page)
        # is the same for every request under one root path: built once
        # (while no url_defaults function could add values to it).
        key = (endpoint, request.script_root)
        address = self.plain_addresses.get(key)
        if address is None:
            address = super().url_for(endpoint)
            if not any(self.url_default_functions.values()):
                self.plain_addresses[key] = address
        return address


def create_app(config=None):
    app = Site(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
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
        PUBLIC_URL=os.environ.get("HAMSAYEH_PUBLIC_URL", ""),
        SESSION_URL=os.environ.get("HAMSAYEH_SESSION_URL", ""),
        QUEUE_URL=os.environ.get("HAMSAYEH_QUEUE_URL", ""),
        QUEUE_FILE=os.environ.get("HAMSAYEH_QUEUE_FILE") or str(Path(app.instance_path) / "queue.sqlite3"),
        # Several nodes: files the site makes in a shared folder (default: the
        # database), the limits' counts in Redis (default: the sessions' or
        # queue's Redis, else the database), and who may read /metrics.
        FILES_DIR=os.environ.get("HAMSAYEH_FILES_DIR", ""),
        LIMITS_URL=os.environ.get("HAMSAYEH_LIMITS_URL", ""),
        METRICS_TOKEN=os.environ.get("HAMSAYEH_METRICS_TOKEN", ""),
        BACKUP_DIR=os.environ.get("HAMSAYEH_BACKUP_DIR") or str(Path(app.instance_path) / "backups"),
    )
    app.config.update(config or {})
    # A server checks Redis and the schema before serving; a `flask` command
    # does not (`flask migrate` is what brings the schema up), nor a test.
    app.config.setdefault("START_CHECKS", os.environ.get("FLASK_RUN_FROM_CLI") != "true" and not app.testing)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key(app)
    app.config.setdefault("REGISTRY_KEY", _registry_key(app))
    app.config["AUDIT_KEY"] = app.config.get("AUDIT_KEY") or _audit_key(app)
    app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"].rstrip("/")
    app.config["TRUSTED_HOSTS"] = app.config.get("TRUSTED_HOSTS") or _trusted_hosts(app)

    _keep_database_private(app.config["DATABASE_URL"])
    if not app.config["QUEUE_URL"].startswith("redis://"):
        _keep_database_private(f"sqlite:///{app.config['QUEUE_FILE']}")
    models.db.initialize(models.open_database(app.config["DATABASE_URL"]))  # noqa: TID251 (the one place that wires it)
    audit.use_audit_key(app.config["AUDIT_KEY"])
    sessions.use_store(_session_store(app))
    app.session_interface = ServerSessionInterface(before_open=_connect_database)
    observability.check_database(app)
    _check_registry_key(app)
    app.before_request(_connect_database)
    app.teardown_appcontext(_close_database)

    Babel(app, locale_selector=auth.selected_locale, timezone_selector=lambda: "Asia/Tehran")
    auth.CSRF(app)  # Flask-WTF's, which also takes a guest's light token (see auth)
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
    app.register_error_handler(SecurityError, _unknown_host)
    app.config["SECURITY_HEADERS"] = _security_header_values(app)
    app.after_request(_security_headers)
    app.after_request(_compress)
    if app.config["START_CHECKS"]:
        observability.check_before_serving(app)
    observability.init_app(app)  # outermost: the probes answer before anything else runs
    return app


# The pages most asked for: their templates compiled before a server process takes a request.
WARM_TEMPLATES = (
    "layout.html",
    "main/home.html",
    "board/index.html",
    "board/_heading.html",
    "board/_listing.html",
    "simple/home.html",
    "orgs/directory.html",
    "centers/show.html",
    "areas/show.html",
    "account/sign_in.html",
    "errors/error.html",
)


def warm_up(app):
    """Pay before a server process takes its first request what that request
    would otherwise pay (a few hundred milliseconds on the national tree): the
    catalog and the map of centers read from the database, each language's
    messages, and the templates of the pages most asked for. gunicorn calls it
    for every new worker (gunicorn.conf.py, post_worker_init), so that a
    worker replaced after its share of requests comes back warm."""
    from flask_babel import force_locale

    from hamsayeh.domain import centers
    from hamsayeh.web.catalog import catalog

    with app.test_request_context("/"):
        _connect_database()
        catalog()
        centers.service_map()
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                templating.locale_context()
        for name in WARM_TEMPLATES:
            app.jinja_env.get_template(name)


def _secret_key(app):
    """From the environment; in development only, a random key kept in the
    instance folder so that sessions survive a restart."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if app.config["PRODUCTION"] and not app.config.get("TESTING"):
        raise RuntimeError("SECRET_KEY must be set in the environment when HAMSAYEH_ENV=production")
    return cli.key_file(Path(app.instance_path) / "secret_key")


def _audit_key(app):
    """The key of the audit chain's HMAC: without it, nobody can rewrite the
    chain after deleting an entry. From the environment; in development, a
    random key kept in the instance folder."""
    if key := os.environ.get("HAMSAYEH_AUDIT_KEY"):
        return key
    if app.config["PRODUCTION"] and not app.config.get("TESTING"):
        raise RuntimeError("HAMSAYEH_AUDIT_KEY must be set in the environment when HAMSAYEH_ENV=production")
    return cli.key_file(Path(app.instance_path) / "audit_key")


def _keep_database_private(url):
    """A SQLite database, its WAL and shared-memory files readable by their
    owner only. SQLite gives the files it makes beside a database that
    database's mode, so the database is made here, empty, with 0600. A
    database in memory (or a `file:` URI) has no file to make."""
    path = backups.sqlite_file(url)
    if path is None:
        return
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists():
            file.chmod(0o600)


def _trusted_hosts(app):
    """Requests naming another Host get 400 (Flask checks it): the public
    address's host, and this machine's own names outside production."""
    if not app.config["PUBLIC_URL"] and app.config["PRODUCTION"] and not app.config.get("TESTING"):
        raise RuntimeError("HAMSAYEH_PUBLIC_URL must be set when HAMSAYEH_ENV=production, like https://hamsayeh.ir")
    hosts = [urlsplit(app.config["PUBLIC_URL"]).hostname] if app.config["PUBLIC_URL"] else []
    if not app.config["PRODUCTION"] or app.config.get("TESTING"):
        hosts += LOCAL_HOSTS
    return hosts


def _session_store(app):
    """Redis when the site names one for its sessions or its queue; the database's table otherwise."""
    queue_url = app.config.get("QUEUE_URL", "")
    url = app.config["SESSION_URL"] or (queue_url if queue_url.startswith("redis://") else "")
    return sessions.RedisStore(url) if url else sessions.TableStore()


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
    # may hold the thread's connection around a request. Called twice a
    # request (by the session, then as a before_request hook): once counts.
    if "opened_database" not in g:
        g.opened_database = models.connect()


def _close_database(exc):
    if g.pop("opened_database", False):
        models.disconnect()


def _unknown_host(error):
    """A Host outside TRUSTED_HOSTS: a bare 400, since no page of this site
    can be addressed (nor any link built) under a name it does not trust."""
    return current_app.response_class("Bad Request: unknown host", status=400, mimetype="text/plain")


def _security_headers(response):
    headers = response.headers
    # One pass over the few headers there are: a missing one looked up by
    # name costs Werkzeug an exception, and these run on every response.
    present = {name.lower() for name, _value in headers}
    for name, value in current_app.config["SECURITY_HEADERS"]:
        if name.lower() not in present:
            headers.add(name, value)
    vary = []
    # Anything sent to a signed-in person (a page, a statement, cards, a CSV)
    # may hold personal data: keep it out of every cache and out of the Back
    # button of a shared phone or kiosk (ASVS V14.3.2).
    # The exception is what a view declares public and the same for everyone
    # (the pinned htmx file, Listen's audio of signed words).
    if g.get("user") is not None and not response.cache_control.public:
        headers["Cache-Control"] = "no-store"
        present.add("cache-control")
        vary.append("Cookie")
    if response.mimetype == "text/html":
        vary += ["HX-Request", "Cookie"]
        if "cache-control" not in present:
            headers["Cache-Control"] = "no-cache"
    if vary:
        response.vary.update(vary)
    return response


def _security_header_values(app):
    """The headers every response carries unless its view set them."""
    return (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; "
            f"style-src 'self' '{app.config['INLINE_CSS_HASH']}'; "
            "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
    )


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
    response.set_data(compression.gzip_body(body))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response
