"""Expensive responses: no request may hold a worker for more than 2 s.

On a fresh SQLite database with the demo data, makes two members who sent
15 minutes back and forth 5,000 times (the attack of issue 14, finding 1):
4,000 transfers over the last four years and 1,000 in this month. Then
measures through the application (the test client, one worker's view of a
request) the time-bank page and the statement PDF (this month, an old
month, the last part of this month), and the other heavy endpoints: the
center's printed notices, headquarters' overview and its CSV, and the
registry's report, its CSV and an import of the largest list allowed (1,000 rows).
Prints a Markdown table and writes it to bench/out/expensive.md.

    .venv/bin/python bench/expensive.py
"""

import datetime
import io
import statistics
import sys
import time
from pathlib import Path

import models
from hamsayeh import persian
from hamsayeh.domain import timebank
from hamsayeh.web import imports

ROOT = Path(__file__).resolve().parents[1]


REPEAT = 3
BUDGET = 2.0  # seconds a request may hold a worker
STEP = 15  # minutes in each transfer of the attack


def busy_history(first, second, count, since, until, reason="سپاس"):
    """`count` transfers of 15 minutes back and forth between two members,
    evenly from `since` to `until`, first → second first. Written in bulk;
    each account's balance moves by the sum of its transfers and never
    crosses its floor, so the ledger's check holds as if each were made."""
    a, b = timebank.member_account(first), timebank.member_account(second)
    step = (until - since) / count
    rows = [
        {
            "kind": "manual",
            "source": a if i % 2 == 0 else b,
            "target": b if i % 2 == 0 else a,
            "made_by": first if i % 2 == 0 else second,
            "minutes": STEP,
            "reason": reason,
            "created_at": since + i * step,
        }
        for i in range(count)
    ]
    moved = STEP if count % 2 else 0
    with models.db.atomic():
        for start in range(0, count, 500):
            models.TimeTransfer.insert_many(rows[start : start + 500]).execute()
        for account, change in ((a, -moved), (b, moved)):
            models.TimeAccount.update(balance=models.TimeAccount.balance + change).where(
                models.TimeAccount.id == account.id
            ).execute()
    return a, b


def national_code(serial):
    """A valid Iranian national code (its check digit right) from a serial number."""
    digits = [int(d) for d in f"{serial:09d}"]
    remainder = sum(d * (10 - i) for i, d in enumerate(digits)) % 11
    return f"{serial:09d}{remainder if remainder < 2 else 11 - remainder}"


def timed(ask):
    """Median and worst seconds of REPEAT calls of `ask`, and the last status."""
    seconds, status = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        status = ask().status_code
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds), status


def signed_in(app, phone):
    client = app.test_client()
    answer = client.post("/account/sign-in", data={"phone": phone, "pin": "2580"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return client


def main():
    from demo_site import demo_database  # beside this script; imported only when it runs

    demo_database("expensive")
    from app import create_app
    from hamsayeh.domain import accounts

    # The figures are of the work a request does: the per-member limit on
    # PDFs (ten in ten minutes) would answer most of the repeats with 429.
    app = create_app(
        {"SECRET_KEY": "bench-only", "WTF_CSRF_ENABLED": False, "RATE_LIMITS": False, "REGISTRY_KEY": "bench-only"}
    )
    now = models.utcnow()
    with models.db.connection_context():
        first = accounts.create_user("09130000001", "پرکار یک", "2580")
        second = accounts.create_user("09130000002", "پرکار دو", "2580")
        this_month = timebank.jalali_month_bounds(*persian.jalali_month())[0]
        busy_history(first, second, 4000, now - datetime.timedelta(days=4 * 365), this_month)
        busy_history(first, second, 1000, this_month, now)
        assert timebank.verify_ledger() == ([], 0)
        old_year, old_month = persian.jalali_month(now - datetime.timedelta(days=400))
        center = models.User.by_phone("09120000004").work_center

    rows = []

    def measure(label, path, ask):
        median, worst, status = timed(ask)
        rows.append((label, path, status, median, worst))
        print(f"{label}: {median:.2f} s (worst {worst:.2f} s), {status}", file=sys.stderr)

    def page(label, client, path):
        measure(label, path, lambda: client.get(path))

    member = signed_in(app, first.phone)
    member.get("/time/statement.pdf")  # warm-up: imports WeasyPrint
    page("Time bank page (5,000 transfers)", member, "/time/")
    page("Statement PDF, this month (1,000 transfers: part 1)", member, "/time/statement.pdf")
    page("Statement PDF, this month's last part", member, "/time/statement.pdf?part=20")
    page("Statement PDF, a month a year ago", member, f"/time/statement.pdf?month={old_year}-{old_month:02d}")

    staff = signed_in(app, "09120000004")
    page("Center's needs notice (PDF)", staff, f"/centers/{center.id}/needs.pdf")
    page("Center's call for volunteers (PDF)", staff, f"/centers/{center.id}/volunteers.pdf")

    admin = signed_in(app, "09120000007")
    page("Headquarters overview", admin, "/hq/")
    page("Headquarters CSV", admin, "/hq/overview.csv")

    manager = signed_in(app, "09120000005")
    listing = "\n".join(f"{national_code(100000 + i)},خانوادهٔ شمارهٔ {i},4" for i in range(imports.MAX_ROWS)).encode()
    measure(
        "Registry import, 1,000 rows, the most a file may hold (the first time, then again)",
        "POST /registry/import",
        lambda: manager.post("/registry/import", data={"file": (io.BytesIO(listing), "list.csv")}),
    )
    page("Registry report", manager, "/registry/reports")
    page("Registry report CSV", manager, "/registry/reports.csv")

    lines = [
        "| request | path | status | median (s) | worst (s) | under 2 s |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {label} | `{path}` | {status} | {median:.2f} | {worst:.2f} | {'yes' if worst < BUDGET else '**no**'} |"
            for label, path, status, median, worst in rows
        ),
    ]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "expensive.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
