"""Headquarters' imports at the campaign's scale (issue 18), on SQLite and PostgreSQL.

For each database: a fresh one built by the migrations, with one
administrator; then generated files of 2,500 neighborhoods (one province,
50 cities, 5 districts each, with English names and codes), 500 centers
(with kinds, map points and two neighborhoods served each) and 20,000
volunteers (activity types and days by name), imported as `flask import-…`
imports them (`bulk.run`: reading the CSV, checking every row, writing in one
transaction), each timed; then the same three files again, which must add
nothing (every table's row count unchanged). Last, a
file of 10,000 more volunteers (the most a page takes) through the import
page, as a request. Target: each import under 60 s.

Prints a Markdown table, writes it to bench/out/imports.md, and puts it in the
README between <!-- imports:start --> and <!-- imports:end -->.

    .venv/bin/python bench/imports.py            # both databases
    .venv/bin/python bench/imports.py sqlite     # one
"""

import csv
import datetime
import io
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from app import create_app  # noqa: E402
from hamsayeh.domain import accounts  # noqa: E402
from hamsayeh.web import bulk, cli  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "imports_bench"
CITIES, DISTRICTS, NEIGHBORHOODS = 50, 5, 10  # 2,500 neighborhoods
CENTERS, VOLUNTEERS, PAGE_VOLUNTEERS = 500, 20_000, bulk.PAGE_ROWS
ADMIN = "09120000007"
PROVINCE = "استان آزمون واردات"
FIRST = ("علی", "زهرا", "محمد", "فاطمه", "حسین", "مریم", "رضا", "سارا", "مهدی", "نرگس", "امیر", "لیلا")
LAST = ("احمدی", "رضایی", "کریمی", "حسینی", "موسوی", "جعفری", "قاسمی", "نوری", "صادقی", "رحیمی")
ACTIVITIES = ("آموزش و کمک درسی", "سلامت", "مشاوره", "حمایت از سالمندان", "کودکان", "غذا", "تعمیرات خانه")
DAYS = ("شنبه", "یکشنبه", "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنج‌شنبه", "جمعه")
TIMES = ("", "صبح", "عصر", "صبح، بعدازظهر")


def write_csv(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def neighborhoods():
    for c in range(CITIES):
        for d in range(DISTRICTS):
            for n in range(NEIGHBORHOODS):
                yield c, d, n


def areas_file():
    rows = [["استان", "نام انگلیسی استان", "شهر", "نام انگلیسی شهر", "منطقه", "محله", "نام انگلیسی محله", "کد محله"]]
    for c, d, n in neighborhoods():
        rows.append(
            [
                PROVINCE,
                "Import test province",
                f"شهر {c + 1}",
                f"City {c + 1}",
                f"منطقه {d + 1}",
                f"محله {n + 1}",
                f"Neighborhood {n + 1}",
                f"T{c:02d}{d}{n}",
            ]
        )
    return write_csv(rows)


def centers_file(rng):
    """A center in every fifth neighborhood, named by its area's code, serving the next two of its district."""
    rows = [
        [
            "نام مرکز",
            "نوع",
            "کد محدوده",
            "نشانی",
            "تلفن",
            "ساعت کار",
            "عرض جغرافیایی",
            "طول جغرافیایی",
            "محله‌های تحت پوشش",
        ]
    ]
    hoods = list(neighborhoods())
    for i, (c, d, n) in enumerate(hoods[:: len(hoods) // CENTERS][:CENTERS]):
        served = "، ".join(f"T{c:02d}{d}{(n + k) % NEIGHBORHOODS}" for k in (1, 2))
        rows.append(
            [
                f"مرکز مثبت زندگی شهر {c + 1} منطقه {d + 1} شمارهٔ {i + 1}",
                rng.choice(("مرکز مثبت زندگی", "مسجد", "مدرسه")),
                f"T{c:02d}{d}{n}",
                f"خیابان {i + 1}، پلاک {n + 1}",
                f"0{2100000000 + i}",
                "شنبه تا چهارشنبه، ۸ تا ۱۸",
                f"{35 + rng.random():.4f}",
                f"{51 + rng.random():.4f}",
                served,
            ]
        )
    return write_csv(rows)


def volunteers_file(rng, count, first_phone):
    rows = [["تلفن همراه", "نام", "کد محدوده", "فعالیت‌ها", "روزها", "ساعت‌ها"]]
    hoods = list(neighborhoods())
    for i in range(count):
        c, d, n = hoods[rng.randrange(len(hoods))]
        rows.append(
            [
                f"0{first_phone + i}",
                f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                f"T{c:02d}{d}{n}",
                "، ".join(rng.sample(ACTIVITIES, rng.randrange(1, 4))),
                "، ".join(rng.sample(DAYS, rng.randrange(1, 5))),
                rng.choice(TIMES),
            ]
        )
    return write_csv(rows)


def counts():
    kept = [model for model in models.MODELS if model not in (models.RateHit, models.Session)]
    return {model.__name__: model.select().count() for model in kept}


def timed(kind, data, admin):
    start = time.perf_counter()
    result = bulk.run(kind, data, admin, most_rows=bulk.COMMAND_ROWS)
    took = time.perf_counter() - start
    assert result.ok, [(p.row, p.code, p.values) for p in result.problems[:5]]
    return took, result.counts


def page_import(app, data):
    """The page's request: sign in as the administrator, send the file."""
    client = app.test_client()
    page = client.get("/account/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    signed = client.post("/account/sign-in", data={"csrf_token": token, "phone": ADMIN, "pin": "2580"})
    assert signed.status_code == 302, signed.status_code
    page = client.get("/hq/imports/volunteers").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = {"csrf_token": token, "action": "import", "file": (io.BytesIO(data), "volunteers.csv")}
    start = time.perf_counter()
    response = client.post("/hq/imports/volunteers", data=body, content_type="multipart/form-data")
    took = time.perf_counter() - start
    assert response.status_code == 200, re.findall(r"<td>[^<]*</td>", response.get_data(as_text=True))[:6]
    return took


def bench(name, url):
    rng = random.Random(1405)
    files = {
        "areas": areas_file(),
        "centers": centers_file(rng),
        "volunteers": volunteers_file(rng, VOLUNTEERS, 9350000000),
    }
    page_file = volunteers_file(rng, PAGE_VOLUNTEERS, 9360000000)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-only", "AUDIT_KEY": "bench-only", "TESTING": True})
    with app.app_context():
        cli.migrate()
        with models.connection():
            admin = accounts.create_user(ADMIN, "سارا جعفری", "2580", roles=("admin",))
            first = {kind: timed(kind, data, admin) for kind, data in files.items()}
            assert first["areas"][1]["added"] == 1 + CITIES * (1 + DISTRICTS * (1 + NEIGHBORHOODS))
            assert first["centers"][1]["added"] == CENTERS
            assert first["volunteers"][1]["profiles"] == VOLUNTEERS
            before = counts()
            second = {kind: timed(kind, data, admin) for kind, data in files.items()}
            assert counts() == before, "a second import added rows"
            assert (second["areas"][1]["added"], second["centers"][1]["added"]) == (0, 0)
            assert (second["volunteers"][1]["accounts"], second["volunteers"][1]["profiles"]) == (0, 0)
    page = page_import(app, page_file)  # outside the app context above: each request has its own
    size = len(files["volunteers"]) / 1024 / 1024
    return (
        f"| {name} | {first['areas'][0]:.1f} s | {first['centers'][0]:.1f} s | {first['volunteers'][0]:.1f} s "
        f"| {sum(took for took, _counts in first.values()):.1f} s "
        f"| {sum(took for took, _counts in second.values()):.1f} s, 0 rows added | {page:.1f} s |"
    ), size


def main():
    wanted = sys.argv[1:] or ["sqlite", "postgresql"]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        if "sqlite" in wanted:
            rows.append(bench("SQLite", f"sqlite:///{workdir}/imports.sqlite3"))
        if "postgresql" in wanted:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
                conn.execute(f"CREATE DATABASE {PG_DATABASE}")
            try:
                rows.append(bench("PostgreSQL", f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"))
            finally:
                models.db.close_all()
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    size = rows[0][1]
    table = "\n".join(
        [
            f"Run {datetime.date.today().isoformat()}; the volunteers' file is {size:.1f} MB of CSV.",
            "",
            "| database | 2,500 neighborhoods | 500 centers | 20,000 volunteers | all three | the same files again "
            f"| {PAGE_VOLUNTEERS:,} more volunteers through the page |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *(row for row, _size in rows),
        ]
    )
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "imports.md").write_text(table + "\n")
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- imports:start -->", "<!-- imports:end -->"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        readme.write_text(before + start + "\n" + table + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
