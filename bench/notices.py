"""Printed notices: how long one page takes, and what a batch of 200 volunteer
cards costs the background worker.

On a fresh SQLite database with the demo data and 200 volunteers of one
center, measures
- a program's flyer (A4) rendered by the app and then kept by the process,
  and one volunteer card, through the routes as staff would ask for them
  (median and worst of 20, after one warm-up that imports WeasyPrint),
- a batch of 200 cards made by a real worker (`flask worker`, its own
  process): wall time from the request to the finished file, seconds per card,
  and the worker's peak resident memory (VmHWM),
- how fast the site answered its center page while the batch ran.
Prints a Markdown table and writes it to bench/out/notices.md.

    .venv/bin/python bench/notices.py
"""

import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from hamsayeh.domain import centers

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


CARDS, REPEAT = 200, 20


def peak_memory_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    from demo_site import demo_database  # beside this script; imported only when it runs

    demo_database("notices")
    sys.path.insert(0, str(ROOT))
    import models
    from app import create_app

    # The figures are of the work a request does: the per-member limit on PDFs
    # (ten in ten minutes) would answer most of the repeats with 429.
    app = create_app({"SECRET_KEY": "bench-only", "WTF_CSRF_ENABLED": False, "RATE_LIMITS": False})
    with models.db.connection_context():
        staff = models.User.by_phone("09120000004")
        center = staff.work_center
        hood = center.area
        pin_hash = staff.pin_hash
        models.User.insert_many(
            [
                {"phone": f"0913{i:07d}", "name": f"داوطلب شمارهٔ {i}", "pin_hash": pin_hash, "neighborhood": hood}
                for i in range(CARDS)
            ]
        ).execute()
        users = list(models.User.select().where(models.User.phone.startswith("0913")))
        models.VolunteerProfile.insert_many(
            [
                {"user": u, "neighborhood": hood, "district": hood.parent, "city": hood.parent.parent, "center": center}
                for u in users
            ]
        ).execute()
        activity = models.ActivityType.get(models.ActivityType.slug == "errands")
        program = models.Program.create(
            center=center,
            title="حلقهٔ کتاب‌خوانی کودکان",
            activity_type=activity,
            starts_at=models.utcnow() + datetime.timedelta(days=2),
            place="سالن مرکز",
            capacity=20,
            created_by=staff,
            form_key="bench-flyer",
        )
        total_cards = centers.center_volunteers(center).count()

    client = app.test_client()
    # Signed in as a person is: sessions are kept on the server.
    assert client.post("/account/sign-in", data={"phone": staff.phone, "pin": "2580"}).status_code == 302
    rows = []
    flyer = f"/centers/programs/{program.id}/flyer.pdf"
    for label, path, forget in (
        ("program flyer, A4, rendered", flyer, True),
        ("program flyer, A4, kept by the process", flyer, False),
        ("one volunteer card", f"/centers/{center.id}/cards/{users[0].id}.pdf", False),
    ):
        assert client.get(path).status_code == 200  # warm-up: imports WeasyPrint
        times = []
        for _ in range(REPEAT):
            if forget:  # measure the rendering, not the process's copy of it
                app.extensions.get("fragment_caches", {}).pop("flyers", None)
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append(time.perf_counter() - start)
        rows.append((label, statistics.median(times), max(times)))

    worker = subprocess.Popen(
        [BIN / "flask", "worker", "--workers", "1"],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)
        start = time.perf_counter()
        response = client.post(f"/centers/{center.id}/cards")
        assert response.status_code == 302
        answers = []
        with models.db.connection_context():
            batch = models.PrintBatch.select().order_by(models.PrintBatch.id.desc()).first()
            while models.PrintBatch.get_by_id(batch.id).status in ("queued", "running"):
                began = time.perf_counter()
                assert client.get(f"/centers/{center.id}").status_code == 200
                answers.append(time.perf_counter() - began)
                time.sleep(0.1)
                assert time.perf_counter() - start < 600
            status = models.PrintBatch.get_by_id(batch.id).status
        batch_seconds = time.perf_counter() - start
        peak = peak_memory_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert status == "done", status

    lines = [
        "| notice | median | worst of 20 |",
        "| --- | --- | --- |",
        *[f"| {label} | {median:.3f} s | {worst:.3f} s |" for label, median, worst in rows],
        "",
        "| batch | cards | wall time | per card | worker peak memory | center page while it ran, p50 / max |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| volunteer cards | {total_cards} | {batch_seconds:.1f} s | {batch_seconds / total_cards:.3f} s | "
        f"{peak:.0f} MB | {statistics.median(answers) * 1000:.0f} / {max(answers) * 1000:.0f} ms |",
    ]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "notices.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
