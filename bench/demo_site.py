"""What the benchmarks share: a fresh SQLite database in a folder of its own,
migrated and filled with the demo data by the same commands `make run` uses."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def demo_database(name):
    """Point this process at a new demo database (and queue) and fill it; the folder."""
    folder = Path(tempfile.mkdtemp(prefix=f"hamsayeh-bench-{name}-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "HAMSAYEH_QUEUE_FILE": str(folder / "queue.sqlite3"),
        "HAMSAYEH_REGISTRY_KEY": "bench-only",
        "SECRET_KEY": "bench-only",
        "FLASK_APP": "app",
    }
    os.environ.update(env)
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run([BIN / "flask", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return folder


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_database(name):
    """A fresh, empty PostgreSQL database `hamsayeh_bench_<name>` on this
    machine; its address, or None (said on stderr) when none is reachable."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS hamsayeh_bench_{name}")
            conn.execute(f"CREATE DATABASE hamsayeh_bench_{name}")
    except Exception as error:
        print(f"PostgreSQL not reachable ({type(error).__name__}): SQLite only", file=sys.stderr)
        return None
    return f"postgresql://postgres@127.0.0.1:5432/hamsayeh_bench_{name}"


def seeded_database(name, url=None):
    """Point this process at `url` (PostgreSQL), migrated and filled with the
    demo data, or at a new SQLite demo database when `url` is None."""
    if url is None:
        return demo_database(name)
    env = {**os.environ, "DATABASE_URL": url, "HAMSAYEH_REGISTRY_KEY": "bench-only", "SECRET_KEY": "bench-only"}
    env["FLASK_APP"] = "app"
    os.environ.update(env)
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run([BIN / "flask", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return None
