"""An agency's coverage list of 100,000 national codes, imported at the
welfare desk the way its supervisor does it: the file sent to the page
(`POST /cases/exchange/coverage`), read, each code checked, hashed with the
registry's key and written as keyed hashes only. Then the same file again,
which must change nothing. The target: each under 60 s.

On a fresh SQLite database with the demo data (and on PostgreSQL when it is
reachable, in a database of its own, `hamsayeh_bench_casework`), as a CSV
and as an XLSX file. Prints a Markdown table and writes it to
bench/out/casework_import.md.

    .venv/bin/python bench/casework_import.py
"""

import io
import re
import sys
import time
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
CODES = 100_000
BUDGET = 60.0
SUPERVISOR = "09120000042"  # the demo's district supervisor (site/domain/casework_demo.py)


def national_code(first_nine):
    total = sum(int(digit) * (10 - i) for i, digit in enumerate(first_nine))
    remainder = total % 11
    return first_nine + str(remainder if remainder < 2 else 11 - remainder)


def agency_list(kind):
    """100,000 valid codes, one a row under a header, as the agency sends them."""
    codes = [national_code(f"{400_000_000 + n * 7:09d}") for n in range(CODES)]
    if kind == "csv":
        return ("کد ملی\n" + "\n".join(codes) + "\n").encode()
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["کد ملی"])
    for code in codes:
        sheet.append([code])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot():
    rows = models.AgencyCoverage.select(models.AgencyCoverage.id, models.AgencyCoverage.listed_at)
    return models.AgencyCoverage.select().count(), hash(tuple(rows.order_by(models.AgencyCoverage.id).tuples()))


def measure(label, app):
    client = app.test_client()
    page = client.get("/account/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/account/sign-in", data={"csrf_token": token, "phone": SUPERVISOR, "pin": "2580"})
    rows = []
    for kind, agency in (("csv", "relief"), ("xlsx", "welfare")):
        data = agency_list(kind)
        seconds = []
        for _attempt in range(2):
            page = client.get("/cases/exchange").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            form = {"csrf_token": token, "agency": agency, "file": (io.BytesIO(data), f"list.{kind}")}
            started = time.perf_counter()
            response = client.post("/cases/exchange/coverage", data=form, content_type="multipart/form-data")
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            with models.db.connection_context():
                state = snapshot()
            if _attempt == 0:
                first_state = state
        with models.db.connection_context():
            listed = models.AgencyCoverage.select().where(models.AgencyCoverage.agency == agency).count()
        assert listed == CODES, listed
        unchanged = state == first_state
        print(f"{label} {kind}: {seconds[0]:.1f} s, again {seconds[1]:.1f} s, unchanged {unchanged}", file=sys.stderr)
        rows.append((label, kind, len(data), seconds[0], seconds[1], unchanged))
    return rows


def run(label, url=None):
    from demo_site import seeded_database  # beside this script; imported only when it runs

    seeded_database("casework", url)
    from app import create_app

    app = create_app({"SECRET_KEY": "bench-only", "REGISTRY_KEY": "bench-only"})
    return measure(label, app)


def main():
    import multiprocessing

    rows = []
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        rows += pool.apply(run, ("SQLite",))
    from demo_site import postgres_database  # beside this script; imported only when it runs

    url = postgres_database("casework")
    if url:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            rows += pool.apply(run, ("PostgreSQL", url))
    lines = [
        "| database | file | size | first import | the same file again | changed nothing | under 60 s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {label} | {kind.upper()} | {size / 1e6:.1f} MB | {first:.1f} s | {again:.1f} s | "
            f"{'yes' if unchanged else 'NO'} | {'yes' if max(first, again) < BUDGET else 'NO'} |"
            for label, kind, size, first, again, unchanged in rows
        ),
    ]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "casework_import.md").write_text(table + "\n")
    ok = all(unchanged and max(first, again) < BUDGET for _l, _k, _s, first, again, unchanged in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
