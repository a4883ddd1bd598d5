"""What the rule of "my center" costs at national scale (centers.ServiceMap).

On a fresh SQLite file: the scale data set's tree (2,500 neighborhoods in 50
cities) with 70,000 members and a time account each, then 300 centers (most
in a neighborhood, some in a district) of which 20 are closed, and 100
neighborhoods set to serve. Measures (median of 50, after one warm-up)
- making the map (what a process pays once per change to a center or the tree),
  and its size in memory (tracemalloc),
- home_center of a member, with the map kept (what every statement asks),
- a center's neighborhoods (its page), its accounts' first page (/time/center)
  and whether it looks after one member (a certificate, the desk),
for the center that serves the most neighborhoods.
Prints a Markdown table and writes it to bench/out/center_rule.md.

    .venv/bin/python bench/center_rule.py
"""

import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CENTERS, CLOSED, SERVED, REPEAT = 300, 20, 100, 50


def median_ms(action):
    action()
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def build(rng):
    import models
    from hamsayeh.domain import scale

    scale.generate(neighborhoods=2500, volunteers=20_000, requests=1000, residents=50_000, echo=lambda *_: None)
    values = models.User.select(models.SQL("'member'"), models.User.id, 0, 0, False, models.utcnow())
    fields = ["kind", "user", "balance", "floor", "pool_pays", "created_at"]
    models.TimeAccount.insert_from(values, [getattr(models.TimeAccount, name) for name in fields]).execute()
    hoods = list(models.Area.select().where(models.Area.kind == "neighborhood"))
    districts = list(models.Area.select().where(models.Area.kind == "district"))
    made = []
    for index in range(CENTERS):
        place = rng.choice(hoods if rng.random() < 0.85 else districts)
        made.append(models.Center.create(area=place, name=f"مرکز سنجش {index}"))
    for center in rng.sample(made, CLOSED):
        models.Center.update(closed_at=models.utcnow()).where(models.Center.id == center.id).execute()
    rows = {(rng.choice(made).id, rng.choice(hoods).id) for _ in range(SERVED)}
    models.CenterArea.insert_many(rows, fields=[models.CenterArea.center, models.CenterArea.area]).execute()
    return hoods


def main():
    sys.path.insert(0, str(ROOT))
    import models
    from app import create_app
    from hamsayeh.domain import centers, timebank
    from hamsayeh.web import cli

    rng = random.Random(21)
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/rule.sqlite3"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-only", "START_CHECKS": False})
        with app.app_context(), models.db.connection_context():
            cli.migrate()
            build(rng)
            tracemalloc.start()
            kept = centers.ServiceMap()
            size = tracemalloc.get_traced_memory()[0] / 1024
            tracemalloc.stop()
            making = median_ms(centers.ServiceMap)
            open_ids = list(kept.place)
            busiest = max(
                (models.Center.get_by_id(center_id) for center_id in open_ids),
                key=lambda center: centers.center_neighborhoods(center).count(),
            )
            served = centers.center_neighborhoods(busiest).count()
            members = centers.looked_after(busiest)
            looked_after = models.User.select().where(members).count()
            member = models.User.select().where(members).order_by(models.User.id.desc()).first()
            assert centers.home_center(member).id == busiest.id and centers.looks_after(busiest, member)
            rows = [
                ("make the map (once per change)", making),
                ("home_center of a member", median_ms(lambda: centers.home_center(member))),
                ("a center's neighborhoods", median_ms(lambda: list(centers.center_neighborhoods(busiest)))),
                (
                    "its accounts' first page (30)",
                    median_ms(lambda: list(timebank.center_member_accounts(busiest).limit(31))),
                ),
                ("looks after one member", median_ms(lambda: centers.looks_after(busiest, member))),
            ]
    table = "\n".join(
        [
            f"Map of {len(open_ids)} open centers: {size:.0f} KB. The center measured serves "
            f"{served} neighborhoods and looks after {looked_after} members.",
            "",
            "| step | median |",
            "| --- | --- |",
            *(f"| {name} | {ms:.2f} ms |" for name, ms in rows),
        ]
    )
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "center_rule.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
