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
