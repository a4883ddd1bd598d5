"""What replacing a worker costs the visitors waiting: gunicorn replaces a
worker after `max_requests` (gunicorn.conf.py, against slow leaks), and the
p99 of a loaded page showed it (about a second, bench/throughput.py before).

Serves the site on the national-scale data set through gunicorn with the
project's gunicorn.conf.py and 2 sync workers, and loads the home page with
wrk over 16 connections for 10 seconds, with workers replaced after a few
thousand requests (so that each run sees replacements) in three set-ups:

- "together": a jitter of a thirtieth, as before (20,000 ± 2,000 on workers
  that share the load evenly, so they reach their count together);
- "spread": a jitter of half, as gunicorn.conf.py sets when HAMSAYEH_MAX_REQUESTS
  asks for replacements;
- "never": no replacement, gunicorn.conf.py's default.

Every set-up warms new workers before they take a request, as gunicorn.conf.py
does (app.warm_up in post_worker_init). Prints a Markdown table and writes it
into the README between its recycling markers.

    .venv/bin/python bench/recycling.py --data FILE   # the data set of bench/throughput.py --keep
    .venv/bin/python bench/recycling.py               # builds the data set first (a minute or two)
"""

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import throughput  # noqa: E402 (beside this script)

SETUPS = {  # name: (max_requests, jitter)
    "together": (3_000, 100),
    "spread": (3_000, 1_500),
    "never": (0, 0),
}
SECONDS = 10


def serve(folder, max_requests, jitter):
    port = throughput.free_port()
    env = dict(
        os.environ,
        HAMSAYEH_WORKERS=str(throughput.WORKERS),
        HAMSAYEH_BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(folder / f"metrics-{port}"),
    )
    command = [throughput.BIN / "gunicorn", "-c", "gunicorn.conf.py"]
    command += ["--max-requests", str(max_requests), "--max-requests-jitter", str(jitter)]
    log = open(folder / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 (closed with the server)
    process = subprocess.Popen([*command, "app:create_app()"], cwd=throughput.ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1).close()
            return process, base, folder / f"gunicorn-{port}.log"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not start: see {log.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="an SQLite file with the data set, from bench/throughput.py --keep")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    folder = throughput.prepare(args.data)
    ids = throughput.sample_ids()
    if not throughput.have_wrk():
        raise SystemExit("wrk is needed (Debian's package)")
    rows = []
    try:
        for name, (max_requests, jitter) in SETUPS.items():
            process, base, log = serve(folder, max_requests, jitter)
            try:
                throughput.wrk(base, "home", ids, 2, folder)
                rate, median, p99, errors = throughput.wrk(base, "home", ids, SECONDS, folder)
            finally:
                throughput.stop(process)
            replaced = log.read_text(errors="replace").count("Autorestarting worker")
            rows.append((name, max_requests, jitter, replaced, rate, median, p99, errors))
            print(rows[-1], flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = [
        "| workers replaced | max_requests ± jitter | replacements in the run | requests/s | median | p99 | errors |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, max_requests, jitter, replaced, rate, median, p99, errors in rows:
        setting = f"{max_requests:,} ± {jitter:,}" if max_requests else "never"
        lines.append(f"| {name} | {setting} | {replaced} | {rate:,.0f} | {median:.1f} ms | {p99:.1f} ms | {errors} |")
    day = datetime.date.today().isoformat()
    lines += ["", f"Run {day} on {os.cpu_count()} cores: the home page, wrk with 16 connections, 2 sync workers."]
    text = "\n".join(lines)
    print(text)
    if not args.no_readme:
        readme = throughput.ROOT / "README.md"
        content = readme.read_text(encoding="utf-8")
        block = f"<!-- recycling:start -->\n{text}\n<!-- recycling:end -->"
        content, found = re.subn(r"<!-- recycling:start -->.*?<!-- recycling:end -->", block, content, flags=re.S)
        if found:
            readme.write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
