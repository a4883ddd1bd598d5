"""What observability costs a request, in process: the middleware of
hamsayeh.web.observability (request id, timing, two metric updates and a JSON
log line) around a WSGI application that does nothing, against that
application alone. Run as `.venv/bin/python bench/request_cost.py`; it prints
microseconds per request for each set-up:

- metrics in one process (flask run, tests) or shared by gunicorn's workers
  (PROMETHEUS_MULTIPROC_DIR, files in memory-mapped pages), and
- the request log on (to a stream, as gunicorn's stdout) or off.

Each variant runs in a fresh interpreter, since prometheus_client chooses its
storage when it is first imported."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 200_000

MEASURE = """
import io, logging, os, sys, timeit
sys.path.insert(0, {root!r})
from app import create_app
from hamsayeh.web import observability

app = create_app({{"TESTING": True, "DATABASE_URL": "sqlite:///{db}", "QUEUE_FILE": "{queue}"}})
rule = app.url_map._rules_by_endpoint["board.show"][0]
log = logging.getLogger("hamsayeh.requests")
log.propagate = False
log.handlers[:] = [logging.StreamHandler(io.StringIO())] if {log_on} else []
log.setLevel(logging.INFO if {log_on} else logging.WARNING)

def bare(environ, start_response):
    environ[observability.RULE_KEY] = rule
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]

observed = observability.Observed(app, bare)
def start_response(status, headers, exc_info=None):
    return None
def environ():
    return {{"PATH_INFO": "/board/posts/7", "REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1"}}
for handler in (bare, observed):
    handler(environ(), start_response)
runs = {runs}
plain = min(timeit.repeat(lambda: bare(environ(), start_response), number=runs, repeat=3)) / runs
full = min(timeit.repeat(lambda: observed(environ(), start_response), number=runs, repeat=3)) / runs
with app.test_request_context("/board/posts/7"):
    from flask import request
    request.url_rule = rule
    hook = min(timeit.repeat(observability._leave_rule, number=runs, repeat=3)) / runs
print((full - plain + hook) * 1e6)
"""


def measure(multiprocess, log_on, workdir):
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if multiprocess:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(Path(workdir) / "metrics")
        Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    code = MEASURE.format(
        root=str(ROOT), db=f"{workdir}/bench.sqlite3", queue=f"{workdir}/queue.sqlite3", log_on=log_on, runs=RUNS
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main():
    with tempfile.TemporaryDirectory() as workdir:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", "migrate"],
            cwd=ROOT,
            env=dict(os.environ, DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3"),
            check=True,
            capture_output=True,
        )
        rows = []
        for multiprocess in (False, True):
            for log_on in (False, True):
                cost = measure(multiprocess, log_on, workdir)
                rows.append(
                    {
                        "metrics": "gunicorn (multiprocess)" if multiprocess else "one process",
                        "log": log_on,
                        "us": round(cost, 1),
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    print("| metrics | request log | added per request (µs) |")
    print("| --- | --- | --- |")
    for row in rows:
        print(f"| {row['metrics']} | {'on' if row['log'] else 'off'} | {row['us']} |")


if __name__ == "__main__":
    main()
