"""A crisis call to 5,000 volunteers: how long asking them takes, with every
call, every inbox line and every SMS queued (none of them turned SMS off:
the worst case). The target: under 5 s.

On a fresh SQLite database with the demo data (and on PostgreSQL when it is
reachable, in a database of its own, `hamsayeh_bench_crisis`), adds 5,000
volunteers to the neighborhoods of Damavand county, then three times
declares a flood there, asks its volunteers through
`crisis_callout.call_volunteers` (the operation the coordinator's button
calls) and ends it. Each call is one transaction: one INSERT … SELECT per
distance for the calls, one for the inbox and one per language for the
outbox. Prints a Markdown table, writes it to bench/out/crisis_callout.md
and into the README between <!-- crisis_callout:start --> and
<!-- crisis_callout:end -->.

    .venv/bin/python bench/crisis_callout.py
"""

import datetime
import statistics
import sys
import time
import uuid
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_site, here and in the worker process
VOLUNTEERS = 5_000
REPEAT = 3
BUDGET = 5.0


def volunteers_of(county, count):
    """`count` volunteers spread over the county's neighborhoods, written in bulk."""
    hoods = list(
        models.Area.select().where(models.Area.path.startswith(county.path), models.Area.kind == "neighborhood")
    )
    now = models.utcnow()
    users = [
        {
            "phone": f"0936{n:07d}",
            "name": f"داوطلب {n}",
            "pin_hash": "",
            "neighborhood": hoods[n % len(hoods)],
            "origin": "import",
            "created_at": now,
        }
        for n in range(count)
    ]
    with models.db.atomic():
        for start in range(0, count, 1000):
            models.User.insert_many(users[start : start + 1000]).execute()
        made = models.User.select().where(models.User.phone.startswith("0936")).order_by(models.User.id)
        profiles = [
            {
                "user": user.id,
                "neighborhood": user.neighborhood_id,
                "district": hoods[0].parent_id,
                "city": hoods[0].parent_id,
                "skills_text": "امدادگر",
                "reach": "city",
                "updated_at": now,
            }
            for user in made
        ]
        for start in range(0, count, 1000):
            models.VolunteerProfile.insert_many(profiles[start : start + 1000]).execute()


def measure(label):
    from hamsayeh.domain import crisis, crisis_callout

    with models.db.connection_context():
        county = models.Area.get(models.Area.kind == "county", models.Area.name == "دماوند")
        volunteers_of(county, VOLUNTEERS)
        admin = models.User.by_phone("09120000007")
        seconds, asked, queued = [], [], []
        for _run in range(REPEAT):
            flood = crisis.declare(
                admin,
                county,
                uuid.uuid4().hex,
                kind="flood",
                what_to_do="از کنار رودخانه دور شوید.",
                where_to_go="سالن ورزشی شهید چمران",
                started_on=datetime.date.today(),
            )
            before = models.SmsMessage.select().count()
            started = time.perf_counter()
            asked.append(crisis_callout.call_volunteers(admin, flood))
            seconds.append(time.perf_counter() - started)
            queued.append(models.SmsMessage.select().count() - before)
            # Asked once: a second press asks no one again.
            assert crisis_callout.call_volunteers(admin, flood) == 0
            crisis.end(admin, flood)
    median, worst = statistics.median(seconds), max(seconds)
    print(f"{label}: {median:.2f} s (worst {worst:.2f} s), {asked[-1]} asked, {queued[-1]} SMS", file=sys.stderr)
    return label, asked[-1], queued[-1], median, worst


def run(label, url=None):
    from demo_site import seeded_database  # beside this script; imported only when it runs

    seeded_database("crisis", url)
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

    url = postgres_database("crisis")
    if url:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            rows.append(pool.apply(run, ("PostgreSQL", url)))
    lines = [
        f"| database | volunteers asked | SMS queued | median (s) | worst (s) | under {BUDGET:.0f} s |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {label} | {asked:,} | {queued:,} | {median:.2f} | {worst:.2f} | {'yes' if worst < BUDGET else 'NO'} |"
            for label, asked, queued, median, worst in rows
        ),
    ]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "crisis_callout.md").write_text(table + "\n")
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- crisis_callout:start -->", "<!-- crisis_callout:end -->"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        readme.write_text(before + start + "\n" + table + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")
    return 0 if all(row[-1] < BUDGET for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
