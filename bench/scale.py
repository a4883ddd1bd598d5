"""The help board and matching at national scale, on SQLite and PostgreSQL.

For each database: builds a fresh one with the migrations, generates the
national-scale data set (`flask generate-scale`: 2,500 neighborhoods, 300,000
volunteers, 200,000 requests), then measures
- matching for a random open need (p50 and p95 over 200),
- the board page of a random neighborhood with its district's neighbors,
  rendered by the app (p50 and p95 over 200),
- throughput of that page through gunicorn (4 workers) under 8 concurrent
  clients for 15 s: first from cold (every worker fills its caches) and
  then again, warm (how a page compares with a bare Flask application is
  bench/throughput.py's to measure, never against a view of this site),
- the peak resident memory of a gunicorn worker.
Prints a Markdown table and writes it to bench/out/scale.md.

    .venv/bin/python bench/scale.py            # both databases
    .venv/bin/python bench/scale.py sqlite     # one
"""

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

from hamsayeh.domain import volunteers

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/hamsayeh_bench"
SAMPLES, CLIENTS, SECONDS, WORKERS = 200, 8, 15, 4
# The table's head, as the README shows it: no column compares with a view of this site.
HEADER = (
    "| database | generate | matching p50 / p95 | board page p50 / p95 | board through gunicorn, cold / warm "
    "| peak worker memory |"
)


def run_flask(env, *args):
    subprocess.run([BIN / "flask", *args], cwd=ROOT, env=env, check=True, capture_output=True)


def percentiles(samples):
    return statistics.median(samples) * 1000, statistics.quantiles(samples, n=20)[18] * 1000


def measure_in_process(url):
    sys.path.insert(0, str(ROOT))
    import models
    from app import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-only"})
    rng = random.Random(7)
    with models.db.connection_context():
        province = models.Area.get(models.Area.name_en == "Scale test province")
        hoods = [
            a.id
            for a in models.Area.select(models.Area.id).where(
                models.Area.kind == "neighborhood", models.Area.path.startswith(province.path)
            )
        ]
        needs = [
            p.id
            for p in models.HelpPost.select(models.HelpPost.id)
            .where(models.HelpPost.status == "open", models.HelpPost.kind == "request")
            .limit(20000)
        ]
        match_times = []
        for _ in range(SAMPLES):
            post = models.HelpPost.get_by_id(rng.choice(needs))
            start = time.perf_counter()
            found = list(volunteers.match_volunteers(post))
            match_times.append(time.perf_counter() - start)
            assert found, "every need in the data set has volunteers within reach"
    client = app.test_client()
    board_times = []
    for _ in range(SAMPLES):
        client.set_cookie("hood", str(rng.choice(hoods)))
        start = time.perf_counter()
        response = client.get("/board/")
        board_times.append(time.perf_counter() - start)
        assert response.status_code == 200
    models.db.close()
    return percentiles(match_times), percentiles(board_times), hoods


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(url, cookie_values):
    """Requests per second from CLIENTS threads for SECONDS."""
    done = [0] * CLIENTS
    stop = time.monotonic() + SECONDS

    def client(index):
        rng = random.Random(index)
        while time.monotonic() < stop:
            request = urllib.request.Request(url)
            if cookie_values:
                request.add_header("Cookie", f"hood={rng.choice(cookie_values)}")
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / SECONDS


def peak_memory_mb(master_pid):
    children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def measure_server(env, hoods):
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookies = [str(h) for h in hoods]
        cold = load(base + "/board/", cookies)
        warm = load(base + "/board/", cookies)
        memory = peak_memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    return cold, warm, memory


def bench(name, url):
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-only", FLASK_APP="app")
    run_flask(env, "migrate")
    start = time.perf_counter()
    run_flask(env, "generate-scale")
    generated = time.perf_counter() - start
    (match_p50, match_p95), (board_p50, board_p95), hoods = measure_in_process(url)
    cold, warm, memory = measure_server(env, hoods)
    return (
        f"| {name} | {generated:.0f} s | {match_p50:.1f} / {match_p95:.1f} ms | {board_p50:.1f} / {board_p95:.1f} ms "
        f"| {cold:.0f} / {warm:.0f} req/s | {memory:.0f} MB |"
    )


def main():
    wanted = sys.argv[1:] or ["sqlite", "postgresql"]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        if "sqlite" in wanted:
            rows.append(bench("SQLite", f"sqlite:///{workdir}/scale.sqlite3"))
        if "postgresql" in wanted:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS hamsayeh_bench")
                conn.execute("CREATE DATABASE hamsayeh_bench")
            rows.append(bench("PostgreSQL", PG_BENCH))
    table = "\n".join(
        [
            HEADER,
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "scale.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
