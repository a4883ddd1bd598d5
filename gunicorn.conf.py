"""gunicorn's settings for Hamsayeh: read by `make run` and by the systemd unit
in the README (`gunicorn -c gunicorn.conf.py`). Everything that differs
between machines comes from the environment:

  HAMSAYEH_BIND      where to listen (127.0.0.1:5000; behind nginx, 127.0.0.1:8000)
  HAMSAYEH_WORKERS   worker processes (default: 2 per core, at least 2; see the README's sizing table)
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
# A worker is replaced after this many requests (with jitter so that they are not replaced at once).
max_requests = 20_000
max_requests_jitter = 2_000
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
