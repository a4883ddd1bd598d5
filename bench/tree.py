"""Headquarters keeping the tree at national scale (issue 18): on a fresh
SQLite database with the demo data and the scale set (2,500 neighborhoods,
20,000 volunteers, 20,000 requests, 5,000 more residents) and 46 centers,
measures through the application (the test client, one worker's view) the
pages headquarters reads, and through the domain a merge of two
neighborhoods (each with its posts, members and volunteers) and a move of a
district with its 10 neighborhoods and their volunteers. Prints a Markdown
table and writes it to bench/out/tree.md.

    .venv/bin/python bench/tree.py
"""

import statistics
import sys
import time
import uuid
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parents[1]
REPEAT = 3
CENTERS = 46


def timed(action, repeat=REPEAT):
    spent, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        spent.append(time.perf_counter() - start)
    return statistics.median(spent), max(spent), result


def main():
    from demo_site import demo_database  # beside this script; imported only when it runs

    demo_database("tree")
    from app import create_app
    from hamsayeh.domain import areas_admin, centers, scale

    app = create_app({"SECRET_KEY": "bench-only", "WTF_CSRF_ENABLED": False, "REGISTRY_KEY": "bench-only"})
    with models.db.connection_context():
        scale.generate(neighborhoods=2500, volunteers=20_000, requests=20_000, residents=5_000, echo=lambda *_: None)
        admin = models.User.by_phone("09120000007")
        province = models.Area.get(models.Area.name == "استان آزمون مقیاس")
        hoods = list(
            models.Area.select()
            .where(models.Area.kind == "neighborhood", models.Area.path.startswith(province.path))
            .order_by(models.Area.id)
        )
        for index in range(CENTERS):
            hood = hoods[index * len(hoods) // CENTERS]
            centers.open_center(hood, admin, uuid.uuid4().hex, name=f"مرکز مثبت زندگی {hood.id}")
        city = province.sorted_children().first()
        district = city.sorted_children().first()
        posts = models.HelpPost.select().where(models.HelpPost.neighborhood == hoods[1]).count()
        members = models.User.select().where(models.User.neighborhood == hoods[1]).count()

    client = app.test_client()
    signed = client.post("/account/sign-in", data={"phone": admin.phone, "pin": "2580"})
    assert signed.status_code == 302, signed.status_code
    rows = []

    def page(label, path):
        median, worst, response = timed(lambda: client.get(path))
        assert response.status_code == 200, (path, response.status_code)
        rows.append((label, median, worst))
        print(f"{label}: {median:.3f} s (worst {worst:.3f} s)", file=sys.stderr)

    page("Neighborhoods no center serves, page 1 (2,500 neighborhoods, 46 centers)", "/hq/centers/unserved")
    page("The same, searched in Persian", "/hq/centers/unserved?q=محله ۱۲")
    page("The same, page 20", "/hq/centers/unserved?page=20")
    page("A city's page in the tree (its districts)", f"/hq/areas/{city.id}")
    page("Finding an area by name", "/hq/areas/?q=محله ۷")
    page("Every center, searched", "/hq/centers/?q=مرکز")

    with models.db.connection_context():
        spent = []
        for pair in range(REPEAT):
            old, survivor = hoods[1 + 2 * pair], hoods[2 + 2 * pair]
            start = time.perf_counter()
            areas_admin.merge_areas(old, survivor, admin, "بنچمارک", uuid.uuid4().hex)
            spent.append(time.perf_counter() - start)
        label = f"Merging two neighborhoods (about {posts} posts and {members} members each)"
        rows.append((label, statistics.median(spent), max(spent)))
        other_city = list(province.sorted_children())[1]
        # Every city has a "District 1": the one that moves takes a name of its own first.
        areas_admin.rename_area(district, "منطقهٔ جابه‌جاشده", "Moved district", admin, "بنچمارک", uuid.uuid4().hex)
        start = time.perf_counter()
        areas_admin.move_area(district, other_city, admin, "بنچمارک", uuid.uuid4().hex)
        moved = time.perf_counter() - start
        rows.append(("Moving a district and its neighborhoods to another city", moved, moved))

    table = ["| what | median (s) | worst (s) |", "| --- | ---: | ---: |"]
    table += [f"| {label} | {median:.3f} | {worst:.3f} |" for label, median, worst in rows]
    text = "\n".join(table) + "\n"
    print(text)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "tree.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
