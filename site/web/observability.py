"""What an operator sees of a running site, and the checks it passes before
serving anyone.

- `/healthz`: the process is alive (nothing else is asked).
- `/readyz`: the database answers, the queue answers, and every migration of
  this code is applied; 503 otherwise, saying what failed (and which
  migrations are pending) only to this machine or with the metrics token:
  anyone else hears "ready" or "unavailable", nothing more.
- `/metrics`: Prometheus metrics from the official client (requests and their
  latency by endpoint, the queue's depth, how long print batches take), summed
  over gunicorn's processes (PROMETHEUS_MULTIPROC_DIR); only from this machine
  itself or with the token in HAMSAYEH_METRICS_TOKEN.
- A request log in JSON lines (logger `hamsayeh.requests`): method, path,
  endpoint, status, duration and a request id. Never a query string, nor a
  path that is not made of numbers alone (a sign-up's id, a signed token), nor
  an unknown path someone typed: phone numbers, codes, PINs and national codes
  go in forms and query strings, so none of them reaches the log.

All of it is one WSGI middleware around the application: the probes answer
before Flask opens a session or a database connection, and what each request
costs here is a clock read, two metric updates and, when the log is on, one
line (see README, "Observability")."""

import hmac
import json
import logging
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from werkzeug.routing.converters import IntegerConverter

import models
from hamsayeh.domain import maintenance

REQUEST_LOG = logging.getLogger("hamsayeh.requests")
ENCODE = json.JSONEncoder(separators=(",", ":")).encode  # made once: json.dumps with options makes one a call
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600)
# A request id a trusted proxy may pass on (nginx's $request_id is 32 hex digits).
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
LOOPBACK = ("127.0.0.1", "::1")
JSON = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
# Where the request's URL rule is left for the middleware (Flask clears its
# own request from the environ when the request ends).
RULE_KEY = "hamsayeh.url_rule"


class StartupError(RuntimeError):
    """A node that must not serve: the message says why and what to do."""


# --- Start-up checks ----------------------------------------------------------------------


def without_password(url):
    parts = urlsplit(url)
    if parts.password:
        host = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=host))
    return url


def check_database(app):
    """The database answers, or a sentence saying which one does not."""
    try:
        with models.connection():
            models.ping()
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StartupError(
            f"The database at {without_password(app.config['DATABASE_URL'])} does not answer ({reason}). "
            "Start it (PostgreSQL: pg_ctlcluster 15 main start) or correct DATABASE_URL."
        ) from error


def check_schema(app):
    """A node refuses to serve a database whose schema is behind its code."""
    with models.connection():
        pending = maintenance.pending_migrations(migration_names(app))
    if pending:
        raise StartupError(
            f"The database schema is behind this code: {len(pending)} migration(s) not applied "
            f"({', '.join(pending[:3])}{', …' if len(pending) > 3 else ''}). "
            "Run `flask --app app migrate` (on any one node: the others wait for it), then start again."
        )


def check_redis(app):
    """Every Redis the site names (sessions, queue, limits) answers."""
    import redis

    for name in ("SESSION_URL", "QUEUE_URL", "LIMITS_URL"):
        url = app.config.get(name, "")
        if not url.startswith(("redis://", "rediss://", "unix://")):
            continue
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except redis.RedisError as error:
            setting = {"SESSION_URL": "HAMSAYEH_SESSION_URL", "QUEUE_URL": "HAMSAYEH_QUEUE_URL"}.get(
                name, "HAMSAYEH_LIMITS_URL"
            )
            raise StartupError(
                f"Redis at {without_password(url)} ({setting}) does not answer ({error}). "
                "Start it (systemctl start redis-server) or correct the address."
            ) from error


def check_before_serving(app):
    """What gunicorn's workers (and `flask worker`) check before taking work."""
    check_redis(app)
    check_schema(app)


def migration_names(app):
    found = app.extensions.get("migration_names")
    if found is None:
        found = app.extensions["migration_names"] = maintenance.migration_names(str(Path(app.root_path) / "migrations"))
    return found


# --- Metrics ------------------------------------------------------------------------------


class Metrics:
    """The application's metrics. Under gunicorn each worker writes its own
    files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them up."""

    def __init__(self, app):
        self.app = app
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hamsayeh_http_requests",
            "Requests answered, by endpoint, method and status.",
            ("endpoint", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "hamsayeh_http_request_duration_seconds",
            "Time to answer a request, by endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batches = Histogram(
            "hamsayeh_print_batch_duration_seconds",
            "Time the worker took to make a batch of printed cards.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.queue = QueueDepth(app)
        self.registry.register(self.queue)
        # The labelled children, found once: a label lookup costs more than the update.
        self.counted = {}
        self.timed = {}

    def observe(self, endpoint, method, status, seconds):
        key = (endpoint, method, status)
        counter = self.counted.get(key)
        if counter is None:
            counter = self.counted[key] = self.requests.labels(endpoint, method, status)
        counter.inc()
        histogram = self.timed.get(endpoint)
        if histogram is None:
            histogram = self.timed[endpoint] = self.latency.labels(endpoint)
        histogram.observe(seconds)

    def exposition(self):
        if os.environ.get(MULTIPROCESS_ENV):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            registry.register(self.queue)
        else:
            registry = self.registry
        return generate_latest(registry)


class QueueDepth:
    """Tasks waiting in the background queue, read when Prometheus asks."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        huey = self.app.extensions.get("huey")
        if huey is None:
            return
        try:
            depth = huey.pending_count()
        except Exception:  # an unreachable queue shows in /readyz, not as a failed scrape
            return
        yield GaugeMetricFamily("hamsayeh_queue_depth", "Tasks waiting in the background queue.", value=depth)


def batch_made(seconds, app=None):
    """The worker made a batch of cards in `seconds`."""
    from flask import current_app

    metrics = (app or current_app).extensions.get("metrics")
    if metrics is not None:
        metrics.batches.observe(seconds)


# --- The middleware -----------------------------------------------------------------------


class Observed:
    """Answers the probes itself; times, counts and logs everything else."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.metrics = app.extensions["metrics"]
        self.token = app.config.get("METRICS_TOKEN", "")
        self.trust_request_id = bool(app.config.get("TRUSTED_PROXIES"))
        self.probes = {"/healthz": self.healthz, "/readyz": self.readyz, "/metrics": self.metrics_page}
        self.safe_rules = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        probe = self.probes.get(path)
        if probe is not None:
            return probe(environ, start_response)
        started = time.perf_counter()
        request_id = environ.get("HTTP_X_REQUEST_ID", "") if self.trust_request_id else ""
        if not (request_id and REQUEST_ID.fullmatch(request_id)):
            # Unique, not secret: Python's generator (reseeded in each forked worker) costs a
            # tenth of a system call.
            request_id = f"{random.getrandbits(64):016x}"
        environ["hamsayeh.request_id"] = request_id
        status = []

        def respond(line, headers, exc_info=None):
            status.append(line)
            headers.append(("X-Request-Id", request_id))
            return start_response(line, headers, exc_info)

        try:
            return self.wsgi_app(environ, respond)
        except BaseException:
            status[:] = ["500"]
            raise
        finally:
            try:
                self.record(environ, path, status[0][:3] if status else "500", time.perf_counter() - started)
            except Exception:  # counting a request never breaks it
                logging.getLogger(__name__).exception("could not record a request")

    def record(self, environ, path, status, seconds):
        rule = environ.get(RULE_KEY)
        endpoint = rule.endpoint if rule is not None else "unmatched"
        method = environ.get("REQUEST_METHOD", "")
        self.metrics.observe(endpoint, method, status, seconds)
        if REQUEST_LOG.isEnabledFor(logging.INFO):
            line = {
                "time": round(time.time(), 3),
                "request_id": environ["hamsayeh.request_id"],
                "method": method,
                "path": self.loggable_path(rule, path),
                "endpoint": endpoint,
                "status": int(status),
                "ms": round(seconds * 1000, 2),
            }
            REQUEST_LOG.info(ENCODE(line))

    def loggable_path(self, rule, path):
        """The path when its variable parts are numbers (ids), the rule's own
        text when one is a string (`/account/sign-up/<request_id>`), nothing
        for an unknown path: whatever was typed there stays out of the log."""
        if rule is None:
            return None
        safe = self.safe_rules.get(id(rule))  # a Rule is not hashable; the app keeps each one for good
        if safe is None:
            safe = self.safe_rules[id(rule)] = rule.endpoint == "static" or all(
                isinstance(converter, IntegerConverter) for converter in rule._converters.values()
            )
        return path if safe else rule.rule

    # --- Probes: no session, no cookie, no Host check (a load balancer asks by address)

    def healthz(self, environ, start_response):
        start_response("200 OK", list(JSON))
        return [b'{"status":"ok"}']

    def readyz(self, environ, start_response):
        failed, pending = [], []
        try:
            with models.connection():
                pending = maintenance.pending_migrations(migration_names(self.app))
        except Exception:
            failed.append("database")
        if pending:
            failed.append("migrations")
        try:
            self.app.extensions["huey"].pending_count()
        except Exception:
            failed.append("queue")
        body = {"status": "unavailable" if failed else "ready"}
        if failed and self.may_read_metrics(environ):
            body.update(failed=failed, pending_migrations=pending)
        start_response("503 Service Unavailable" if failed else "200 OK", list(JSON))
        return [json.dumps(body).encode()]

    def metrics_page(self, environ, start_response):
        if not self.may_read_metrics(environ):
            start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
            return [b"Forbidden: metrics are read from this machine or with the metrics token\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")])
        return [self.metrics.exposition()]

    def may_read_metrics(self, environ):
        """With the token, or from this machine itself, not through the proxy
        (which runs here too, but adds X-Forwarded-For to what it passes on).
        Also who may read why /readyz fails."""
        given = environ.get("HTTP_AUTHORIZATION", "")
        if self.token and hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            return True
        return environ.get("REMOTE_ADDR") in LOOPBACK and "HTTP_X_FORWARDED_FOR" not in environ


def init_app(app):
    """Metrics, and the middleware outside everything else (ProxyFix included:
    /metrics judges the real peer address)."""
    if directory := os.environ.get(MULTIPROCESS_ENV):
        Path(directory).mkdir(parents=True, exist_ok=True)
    app.extensions["metrics"] = Metrics(app)
    app.teardown_request(_leave_rule)
    app.wsgi_app = Observed(app, app.wsgi_app)


def _leave_rule(error=None):
    current = request._get_current_object()  # one look-up through the proxy, not two
    current.environ[RULE_KEY] = current.url_rule
