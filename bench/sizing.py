"""How many requests a second one machine serves with 1, 2 and 4 gunicorn
workers: the README's sizing table. Builds a fresh demo database (SQLite, as
`make run` does), starts gunicorn with the project's gunicorn.conf.py (request
log and metrics on, as in production) and drives a few pages with wrk (Debian's
package) over 16 connections. Run as `.venv/bin/python bench/sizing.py`."""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKERS = (1, 2, 4)
CONNECTIONS = 16
SECONDS = 8
PORT = 5793
PAGES = {
    "home": "/",
    "areas (search)": "/areas/?q=%D8%AA%D8%AC%D8%B1%DB%8C%D8%B4",
    "a neighborhood": "/areas/{hood}",
    "simple home": "/simple/",
    "organizations": "/orgs/",
    "a center": "/centers/{center}",
}


def ids():
    import models
    from app import create_app

    create_app()
    with models.connection():
        center = models.Center.select().order_by(models.Center.id).first()
        return {"hood": center.area_id, "center": center.id}


def wrk(url):
    done = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    median = re.search(r"50%\s+([\d.]+)(us|ms|s)", done.stdout)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[median.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    return rate, float(median.group(1)) * scale, int(errors.group(1)) if errors else 0


def serve(workers, folder):
    env = dict(
        os.environ,
        HAMSAYEH_WORKERS=str(workers),
        HAMSAYEH_BIND=f"127.0.0.1:{PORT}",
        PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"),
    )
    log = open(folder / f"gunicorn-{workers}.log", "wb")  # noqa: SIM115 (closed with the server)
    process = subprocess.Popen([BIN / "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start: see {folder}")


def main():
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    from demo_site import demo_database  # beside this script; imported only when it runs

    sys.path.insert(0, str(ROOT))
    folder = demo_database("sizing")
    values = ids()
    rows = {}
    for workers in WORKERS:
        process = serve(workers, folder)
        try:
            for name, path in PAGES.items():
                url = f"http://127.0.0.1:{PORT}{path.format(**values)}"
                for _ in range(20):  # every worker's caches warm
                    urllib.request.urlopen(url, timeout=10).close()
                rows.setdefault(name, {})[workers] = wrk(url)
                print(name, workers, rows[name][workers], flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"\n| page | {' | '.join(f'{w} worker' + ('s' if w > 1 else '') for w in WORKERS)} |")
    print("| --- |" + " --- |" * len(WORKERS))
    for name, results in rows.items():
        cells = [
            f"{rate:,.0f} req/s, median {median:.1f} ms" + (f", {errors} errors" if errors else "")
            for rate, median, errors in results.values()
        ]
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
