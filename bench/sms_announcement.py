"""An announcement to a 10,000-member area: how long posting it takes, with
every member's inbox line and every SMS queued (all 10,000 asked for
announcements by SMS: the worst case). The target: under 5 s.

On a fresh SQLite database with the demo data (and on PostgreSQL when it is
reachable, in a database of its own, `hamsayeh_bench_sms`), adds 10,000
members to one neighborhood, then posts 3 announcements to its district
through `network.announce`, the operation the page calls. Each is one
transaction: one INSERT … SELECT for the inbox and one per language for the
outbox. Prints a Markdown table and writes it to bench/out/sms_announcement.md.

    .venv/bin/python bench/sms_announcement.py
"""

import statistics
import sys
import time
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_site, here and in the worker process
MEMBERS = 10_000
REPEAT = 3
BUDGET = 5.0


def crowd(neighborhood, count):
    """`count` members of `neighborhood` who want announcements by SMS, written in bulk."""
    now = models.utcnow()
    rows = [
        {
            "phone": f"0935{n:07d}",
            "name": f"همسایهٔ {n}",
            "pin_hash": "",
            "neighborhood": neighborhood,
            "sms_announcements": True,
            "origin": "import",
            "created_at": now,
        }
        for n in range(count)
    ]
    with models.db.atomic():
        for start in range(0, count, 1000):
            models.User.insert_many(rows[start : start + 1000]).execute()


def measure(label):
    from hamsayeh.domain import network

    with models.db.connection_context():
        district = models.Area.get(models.Area.kind == "district")
        neighborhood = district.children.first()
        crowd(neighborhood, MEMBERS)
        author = models.User.by_phone("09120000003")  # the demo's facilitator
        seconds, queued = [], []
        for run in range(REPEAT):
            before = models.SmsMessage.select().count()
            started = time.perf_counter()
            network.announce(
                author, district, f"پاک‌سازی پارک محله، جمعه ساعت ۹ (نوبت {run + 1})", "متن", f"bench-{run}"
            )
            seconds.append(time.perf_counter() - started)
            queued.append(models.SmsMessage.select().count() - before)
        # The same form again: nothing more.
        network.announce(author, district, "تکرار", "متن", "bench-0")
        assert models.SmsMessage.select().count() - before == queued[-1]
    median, worst = statistics.median(seconds), max(seconds)
    print(f"{label}: {median:.2f} s (worst {worst:.2f} s), {queued[-1]} SMS queued", file=sys.stderr)
    return label, queued[-1], median, worst


def run(label, url=None):
    from demo_site import seeded_database  # beside this script; imported only when it runs

    seeded_database("sms", url)
    from app import create_app

    create_app({"SECRET_KEY": "bench-only", "REGISTRY_KEY": "bench-only"})
    return measure(label)


def main():
    import multiprocessing

    rows = []
    # Each database in a process of its own: one application, one database proxy.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        rows.append(pool.apply(run, ("SQLite",)))
    from demo_site import postgres_database  # beside this script; imported only when it runs

    url = postgres_database("sms")
    if url:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            rows.append(pool.apply(run, ("PostgreSQL", url)))
    lines = [
        f"| database | SMS queued | median (s) | worst (s) | under {BUDGET:.0f} s |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {label} | {queued:,} | {median:.2f} | {worst:.2f} | {'yes' if worst < BUDGET else 'NO'} |"
            for label, queued, median, worst in rows
        ),
    ]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "sms_announcement.md").write_text(table + "\n")
    return 0 if all(worst < BUDGET for _label, _queued, _median, worst in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
