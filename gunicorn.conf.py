"""gunicorn's settings for Hamsayeh: read by `make run` and by the systemd unit
in the README (`gunicorn -c gunicorn.conf.py`). Everything that differs
between machines comes from the environment:

  HAMSAYEH_BIND      where to listen (127.0.0.1:5000; behind nginx, 127.0.0.1:8000)
  HAMSAYEH_WORKERS   worker processes (default: 2 per core, at least 2; see the README's sizing table)
  HAMSAYEH_MAX_REQUESTS   requests after which a worker is replaced, give or take half (default 0: never)
  PROMETHEUS_MULTIPROC_DIR   where the workers' metrics meet (default: instance/metrics)

Sync workers: a page takes milliseconds, a PDF up to a second, and nothing
waits on a slow client because nginx buffers requests and responses."""

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# Before any worker imports prometheus_client: each one writes its metrics
# there, and /metrics adds them up.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(ROOT / "instance" / "metrics"))

wsgi_app = "app:create_app()"
chdir = str(ROOT)
bind = os.environ.get("HAMSAYEH_BIND", "127.0.0.1:5000").split(",")
workers = int(os.environ.get("HAMSAYEH_WORKERS") or max(2, 2 * (os.cpu_count() or 1)))
worker_class = "sync"
# Each worker makes its own application, database pool and caches after the
# fork: nothing is shared by accident between processes.
preload_app = False
timeout = 30  # a worker silent this long is killed and replaced (no request may take 2 s)
graceful_timeout = 20
keepalive = 5
# Workers are not replaced after a number of requests unless asked to
# (HAMSAYEH_MAX_REQUESTS, against a slow leak; every cache here is bounded).
# Workers share the load evenly, so they reach such a count together: when
# both were replaced in the same second, no worker took requests while the
# new ones started, and the waiting connections made the p99 of a loaded page
# more than a second, with any jitter (bench/recycling.py). When asked for,
# the jitter is half the count, and a new worker warms up (post_worker_init
# below) before it takes a request.
max_requests = int(os.environ.get("HAMSAYEH_MAX_REQUESTS") or 0)
max_requests_jitter = max_requests // 2
# Heartbeat files in memory, not on a disk that may stall (gunicorn makes them with mkstemp).
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
# Behind nginx on the same machine; the application trusts its forwarded
# headers only when HAMSAYEH_TRUSTED_PROXIES says so.
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = "hamsayeh"
# No control socket in $HOME: two servers on one machine (nodes, tests) would share it, and
# systemd's ProtectHome hides it. Signals (HUP, TERM) do what is needed.
control_socket_disable = True

# No access log of gunicorn's own: it would write query strings, and
# building it costs every request. The application writes one JSON line a
# request instead (logger hamsayeh.requests, set up in on_starting below).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("HAMSAYEH_LOG_LEVEL", "info")


def on_starting(server):
    """The request log on stdout (the workers inherit it), and the metrics of
    processes that are gone cleared (a previous run's), while those of live
    ones (the worker, started beside gunicorn) are kept."""
    requests = logging.getLogger("hamsayeh.requests")
    if not requests.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        requests.addHandler(handler)
        requests.setLevel(logging.INFO)
        requests.propagate = False
    # The database's own debug log would write queries with their values (phone numbers among them).
    logging.getLogger("peewee").setLevel(logging.WARNING)
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for file in directory.glob("*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            file.unlink(missing_ok=True)


def post_worker_init(worker):
    """The new worker reads its catalog and compiles its templates before it
    accepts a connection (app.warm_up), not while a visitor waits. (Another
    application served with these settings, the benchmark's "hello", has nothing to warm.)"""
    from app import Site, warm_up

    if isinstance(worker.wsgi, Site):
        warm_up(worker.wsgi)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
