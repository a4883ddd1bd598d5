"""What a request costs beside a bare Flask "hello", served the same way.

Builds the demo site with the national-scale data set (`flask seed-demo`, then
`flask generate-scale`: 2,500 neighborhoods, 300,000 volunteers, 200,000 posts)
on a fresh SQLite database, and serves both a bare Flask application that
answers "hello" and the site through gunicorn with the project's
gunicorn.conf.py (2 sync workers each, the site's request log and metrics on,
as in production). wrk loads one page at a time over 16 connections, asking
for gzip, after a short warm-up; "hello" is loaded for half as long just
before and just after each page, and the page's ratio is to those two runs, so
that a machine whose load changes moves both alike. The board is a random
scale neighborhood's (the "hood" cookie of a guest who chose it), after every
board was asked eight times, as workers that have served for a while have them
in their caches; the center is a random one of the demo's. Workers are not
replaced during the run, as by default (HAMSAYEH_MAX_REQUESTS; bench/recycling.py
measures replacements).

Then the same pages in process, through the test client: the CPU time of one
request, the median of 300, with warm caches; less sensitive to a busy machine.

Prints a Markdown table, writes it to bench/out/throughput.md and into the
README between its throughput markers. wrk comes from Debian's package (the
script installs it when missing); without it, a Python load generator drives
both applications the same way, and the table says so.

    .venv/bin/python bench/throughput.py                  # about 4 minutes
    .venv/bin/python bench/throughput.py --seconds 3      # a quick check of the script
    .venv/bin/python bench/throughput.py --keep           # keep the database for --data
    .venv/bin/python bench/throughput.py --data FILE      # reuse it (the data set takes a minute)
"""

import argparse
import datetime
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CONNECTIONS, WORKERS, WARM_UP = 16, 2, 2
TARGETS = {"home": 0.30, "board": 0.30, "organizations": 0.20, "center": 0.20}
MEDIAN_TARGET_MS = 25
PAGES = {  # name: (label, path; the board and the center are drawn per request)
    "hello": ('bare Flask "hello"', "/"),
    "home": ("home", "/"),
    "board": ("a random neighborhood's board", "/board/"),
    "simple": ("simple home", "/simple/"),
    "organizations": ("organizations list", "/orgs/"),
    "center": ("a center's page", "/centers/{center}"),
}
MARKERS = ("<!-- throughput:start -->", "<!-- throughput:end -->")
# wrk draws the board's neighborhood or the center for each request.
WRK_SCRIPT = """
local ids = {%(ids)s}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", 1405 + threads)
end
function init(args)
  math.randomseed(seed)
end
request = function()
  local id = ids[math.random(#ids)]
  local headers = {["Accept-Encoding"] = "gzip"}
  %(body)s
end
"""
WRK_BOARD = 'headers["Cookie"] = "hood=" .. id\n  return wrk.format("GET", "/board/", headers)'
WRK_CENTER = 'return wrk.format("GET", "/centers/" .. id, headers)'


def hello_app():
    """The bare application every page is compared with (gunicorn imports it from here)."""
    from flask import Flask

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "Hello, world!")
    return hello


# --- The data -------------------------------------------------------------------------------


def prepare(data):
    """A database with the demo and the national-scale data set, migrated; its folder."""
    sys.path.insert(0, str(BENCH))
    from demo_site import demo_database  # beside this script; imported only when it runs

    if data:
        folder = Path(tempfile.mkdtemp(prefix="hamsayeh-bench-throughput-"))
        os.environ.update(
            DATABASE_URL=f"sqlite:///{Path(data).resolve()}",
            HAMSAYEH_QUEUE_FILE=str(folder / "queue.sqlite3"),
            HAMSAYEH_REGISTRY_KEY="bench-only",
            SECRET_KEY="bench-only",
            FLASK_APP="app",
        )
        flask("migrate")
        return folder
    folder = demo_database("throughput")
    print("generating the national-scale data set (about a minute)", flush=True)
    flask("generate-scale")
    return folder


def flask(*args):
    subprocess.run([BIN / "flask", *args], cwd=ROOT, env=os.environ, check=True, capture_output=True)


def sample_ids():
    """The scale province's neighborhoods and every center, read once."""
    sys.path.insert(0, str(ROOT))
    import models

    models.db.initialize(models.open_database(os.environ["DATABASE_URL"]))
    with models.connection():
        province = models.Area.get(models.Area.name_en == "Scale test province")
        hoods = models.Area.select(models.Area.id).where(
            models.Area.kind == "neighborhood", models.Area.path.startswith(province.path)
        )
        ids = {"board": [a.id for a in hoods], "center": [c.id for c in models.Center.select(models.Center.id)]}
    models.db.close()
    return ids


# --- Serving -------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(application, folder, probe):
    """gunicorn with the project's settings and WORKERS sync workers; (process, base URL)."""
    port = free_port()
    env = dict(
        os.environ,
        HAMSAYEH_WORKERS=str(WORKERS),
        # As gunicorn.conf.py's default: no worker is replaced during the run
        # (bench/recycling.py measures what replacements cost).
        HAMSAYEH_MAX_REQUESTS="0",
        HAMSAYEH_BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(folder / f"metrics-{port}"),
    )
    log = open(folder / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 (closed with the server)
    command = [BIN / "gunicorn", "-c", "gunicorn.conf.py", "--pythonpath", str(BENCH), application]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + probe, timeout=1).close()
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not start {application}: see {log.name}")


def stop(process):
    process.terminate()
    process.wait(timeout=30)


# --- Load ----------------------------------------------------------------------------------


def have_wrk():
    """wrk from Debian's package, installed when missing; False when it cannot be."""
    if shutil.which("wrk"):
        return True
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    print("installing wrk from Debian's packages", flush=True)
    done = subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=600", "wrk"], capture_output=True
    )
    return done.returncode == 0 and shutil.which("wrk") is not None


def wrk(base, name, ids, seconds, folder):
    """(requests/s, median ms, p99 ms, errors) of one page under wrk."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-H", "Accept-Encoding: gzip"]
    if name in ("board", "center"):
        script = folder / f"{name}.lua"
        body = WRK_BOARD if name == "board" else WRK_CENTER
        script.write_text(WRK_SCRIPT % {"ids": ", ".join(map(str, ids[name])), "body": body})
        command += ["-s", str(script)]
    url = base + PAGES[name][1].format(center=ids["center"][0])
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(found.group(1))
    if errors:
        print(name, "errors:", *re.findall(r"(Socket errors: .*|Non-2xx or 3xx responses: .*)", out), flush=True)
    return rate, wrk_latency(out, "50%"), wrk_latency(out, "99%"), errors


def wrk_latency(out, percentile):
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)\b", out).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def python_load(base, name, ids, seconds, folder):
    """The same measure without wrk: CONNECTIONS threads, each on one kept-alive connection."""
    host, port = base.removeprefix("http://").split(":")
    stop_at = time.monotonic() + seconds
    latencies, errors = [], [0]

    def client(index):
        rng = random.Random(1405 + index)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        while time.monotonic() < stop_at:
            headers = {"Accept-Encoding": "gzip"}
            path = PAGES[name][1].format(center=rng.choice(ids["center"]))
            if name == "board":
                headers["Cookie"] = f"hood={rng.choice(ids['board'])}"
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status < 400
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            latencies.append(time.perf_counter() - start)
            errors[0] += not ok

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return (
        len(ordered) / seconds,
        ordered[len(ordered) // 2] * 1000,
        ordered[len(ordered) * 99 // 100] * 1000,
        errors[0],
    )


def warm_boards(base, hoods, passes=8, clients=CONNECTIONS):
    """Every scale neighborhood's board asked `passes` times (in a shuffled
    order, by many clients), so that each worker has most of them in its
    caches, as it would after serving for a while: the run measures the
    board's steady state, not its first minute."""
    order = [hood for _ in range(passes) for hood in hoods]
    random.Random(1405).shuffle(order)

    def client(index):
        for hood in order[index::clients]:
            headers = {"Cookie": f"hood={hood}", "Accept-Encoding": "gzip"}  # as wrk asks
            request = urllib.request.Request(base + "/board/", headers=headers)
            urllib.request.urlopen(request, timeout=60).close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- In process --------------------------------------------------------------------------


def in_process(ids, runs=300, boards=100):
    """CPU milliseconds of one request through the test client, the median of
    `runs`, per page, with its caches warm (the board drawn from `boards`
    neighborhoods, each asked once before)."""
    from app import create_app

    applications = {"hello": hello_app(), "site": create_app()}
    rng = random.Random(1405)
    drawn = {"board": rng.sample(ids["board"], boards), "center": ids["center"]}
    costs = {}
    for name, (_label, path) in PAGES.items():
        client = applications["hello" if name == "hello" else "site"].test_client()
        first = drawn.get(name, [None] * 10)  # each drawn id once, or ten requests: caches warm
        timed = [rng.choice(drawn[name]) if name in drawn else None for _ in range(runs)]
        times = []
        for chosen in first + timed:
            client.delete_cookie("hood")
            if name == "board":
                client.set_cookie("hood", str(chosen))
            start = time.thread_time()
            response = client.get(path.format(center=chosen), headers={"Accept-Encoding": "gzip"})
            spent = time.thread_time() - start
            assert response.status_code == 200, (name, response.status_code)
            times.append(spent)
        costs[name] = statistics.median(times[len(first) :]) * 1000
    return costs


# --- The table ---------------------------------------------------------------------------


def table(results, hello_runs, costs, tool, load_averages):
    """One row a page; each page's ratio is to the "hello" measured just before and after it."""
    hello_rate = statistics.mean(run[0] for run in hello_runs)
    rows = {"hello": (hello_rate, statistics.median(run[1] for run in hello_runs), max(run[2] for run in hello_runs))}
    errors = {"hello": sum(run[3] for run in hello_runs)}
    ratios = {"hello": 1.0}
    for name, (rate, median, p99, failed, beside) in results.items():
        rows[name], errors[name], ratios[name] = (rate, median, p99), failed, rate / beside
    lines = [
        "| page | requests/s | ratio to hello | median | p99 | errors | in process (CPU) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, (rate, median, p99) in rows.items():
        target = f" (target {TARGETS[name]:.2f})" if name in TARGETS else ""
        slow = f" (target {MEDIAN_TARGET_MS} ms)" if median > MEDIAN_TARGET_MS else ""
        lines.append(
            f"| {PAGES[name][0]} | {rate:,.0f} | {ratios[name]:.2f}{target} | {median:.1f} ms{slow} | {p99:.1f} ms "
            f"| {errors[name]} | {costs[name]:.2f} ms |"
        )
    note = "wrk" if tool == "wrk" else "a Python load generator (wrk was missing), for both"
    busy = " and ".join(f"{value:.1f}" for value in load_averages)
    return "\n".join(lines) + (
        f"\n\nRun {datetime.date.today().isoformat()} on {os.cpu_count()} cores (load average over a minute, "
        f"before and after: {busy}). Load: {note}, {CONNECTIONS} connections; {WORKERS} sync workers for each "
        "application."
    )


def write_readme(text):
    readme = ROOT / "README.md"
    content = readme.read_text(encoding="utf-8")
    start, end = MARKERS
    if start in content and end in content:
        before, rest = content.split(start, 1)
        after = rest.split(end, 1)[1]
        readme.write_text(f"{before}{start}\n{text}\n{end}{after}", encoding="utf-8")
    else:
        print("README.md has no throughput markers: the table is in bench/out/throughput.md")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="load per page (default 10)")
    parser.add_argument("--data", help="an SQLite file with the data set, from an earlier --keep")
    parser.add_argument("--keep", action="store_true", help="keep the database and the servers' logs")
    parser.add_argument("--no-readme", action="store_true", help="print and write bench/out only")
    parser.add_argument("--pages", nargs="+", choices=[n for n in PAGES if n != "hello"], help="only these pages")
    args = parser.parse_args()
    folder = prepare(args.data)
    ids = sample_ids()
    tool = "wrk" if have_wrk() else "python"
    load = wrk if tool == "wrk" else python_load
    half = max(1, args.seconds // 2)
    started_busy = os.getloadavg()[0]  # another program's load shows in the table
    servers = []
    try:
        servers.append(serve("throughput:hello_app()", folder, "/"))
        servers.append(serve("app:create_app()", folder, "/readyz"))
        (_, hello), (_, site) = servers
        load(hello, "hello", ids, WARM_UP, folder)
        if "board" in (args.pages or ["board"]):
            warm_boards(site, ids["board"])
        results, hello_runs = {}, []
        for name in args.pages or [n for n in PAGES if n != "hello"]:
            load(site, name, ids, WARM_UP, folder)  # every worker's caches filled
            # "hello" just before and after each page: a busy machine moves both alike.
            before = load(hello, "hello", ids, half, folder)
            rate, median, p99, errors = load(site, name, ids, args.seconds, folder)
            after = load(hello, "hello", ids, half, folder)
            hello_runs += [before, after]
            results[name] = (rate, median, p99, errors, (before[0] + after[0]) / 2)
            print(name, results[name], flush=True)
        for process, _base in servers:
            stop(process)
        servers.clear()
        text = table(results, hello_runs, in_process(ids), tool, (started_busy, os.getloadavg()[0]))
    finally:
        for process, _base in servers:
            stop(process)
        if args.keep:
            print(f"kept: {folder} (the database, unless --data named one: {folder / 'bench.sqlite3'})")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    out = BENCH / "out"
    out.mkdir(exist_ok=True)
    (out / "throughput.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    if not args.no_readme:
        write_readme(text)


if __name__ == "__main__":
    main()
