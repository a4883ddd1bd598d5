"""A distribution round's voucher cards, 30,000 of them, made by the worker
while the site keeps answering.

On a fresh SQLite demo database, a mosque nominates 30,000 households (rows
written in bulk, as an import would: the figures are of the cards), its
organizer verifies them, and the round is frozen by the product's own
`distributions.freeze` (30,000 codes). Then, with the site served by gunicorn
(two workers) and a real worker (`flask worker`, its own process), the
organizer asks for the cards as the round's page does, and this measures
- the wall time from the request to the last file (1,000 cards a file),
- the worker's peak resident memory (VmHWM),
- the latency of the campaign's public page, asked every half second while
  the worker ran (median, 95th percentile, worst).
Targets: under 10 minutes, under 300 MB. Prints a Markdown table, writes it
to bench/out/voucher_cards.md and into the README between
<!-- voucher_cards:start --> and <!-- voucher_cards:end -->.

    .venv/bin/python bench/voucher_cards.py [cards]
"""

import datetime
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CARDS = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
MINUTES, MEGABYTES = 10, 300


def peak_memory_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def family(pid):
    """The process and all its descendants (the worker forks the processes that lay the cards out)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += family(int(child))
    return found


def memory_now_mb(pid):
    """The worker's memory now: the proportional set size (PSS) of it and its
    children, so pages they share after the fork count once."""
    total = 0
    for member in family(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def national_code(serial):
    body = f"{serial:09d}"
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
    return body + str(total if total < 2 else 11 - total)


def seed_round(cards):
    """A frozen round of `cards` households; the round and the campaign's id."""
    import models
    from hamsayeh.domain import assemblies, campaigns, distributions, organizations

    admin = models.User.by_phone("09120000001")
    tehran = models.Area.get(models.Area.name == "تهران", models.Area.kind == "city")
    district = (
        models.Area.select().where(models.Area.path.startswith(tehran.path), models.Area.kind == "district").first()
    )
    hood = models.Area.select().where(models.Area.parent == district).first()
    manager = models.User.create(
        phone="09139990000", name="امام جماعت", pin_hash=admin.pin_hash, created_at=models.utcnow()
    )
    mosque = organizations.open_organization("مسجد آزمون بار", "mosque", tehran, manager, admin)
    assembly = assemblies.of_area(district) or assemblies.create("district", district, None, "مجمع آزمون بار", admin)
    assemblies.add_member(assembly, mosque, admin)
    today = datetime.date.today()
    campaign = campaigns.create(
        manager,
        uuid.uuid4().hex,
        ("organization", mosque),
        "بن کارت شهروند",
        "آزمون بار",
        "distribution",
        [district.id],
        today,
        today + datetime.timedelta(days=60),
        "households",
        cards,
    )
    point = distributions.add_point(campaign, manager, uuid.uuid4().hex, "مسجد آزمون بار", hood, organization=mosque)
    round_ = distributions.add_round(campaign, manager, uuid.uuid4().hex, "نوبت اول", "بن کارت ۵ میلیون ریالی")
    key, now = "bench-only", models.utcnow()
    for start in range(0, cards, 1000):
        serials = range(start, min(cards, start + 1000))
        hashes = {n: models.identifier_hash(key, "national", national_code(100_000 + n)) for n in serials}
        models.Beneficiary.insert_many(
            [
                {
                    "assembly": assembly,
                    "id_kind": "national",
                    "identifier_hash": h,
                    "last_digits": national_code(100_000 + n)[-4:],
                    "created_at": now,
                }
                for n, h in hashes.items()
            ]
        ).execute()
        people = dict(
            models.Beneficiary.select(models.Beneficiary.identifier_hash, models.Beneficiary.id)
            .where(models.Beneficiary.identifier_hash.in_(list(hashes.values())))
            .tuples()
        )
        models.BeneficiaryRecord.insert_many(
            [
                {
                    "beneficiary": people[h],
                    "organization": mosque,
                    "name": f"خانوار شمارهٔ {n + 1}",
                    "household_size": 1 + n % 6,
                    "area": hood,
                    "recorded_by": manager,
                    "created_at": now,
                }
                for n, h in hashes.items()
            ]
        ).execute()
        records = dict(
            models.BeneficiaryRecord.select(models.BeneficiaryRecord.beneficiary, models.BeneficiaryRecord.id)
            .where(models.BeneficiaryRecord.beneficiary.in_(list(people.values())))
            .tuples()
        )
        models.Nomination.insert_many(
            [
                {
                    "round": round_,
                    "organization": mosque,
                    "record": records[people[h]],
                    "id_kind": "national",
                    "identifier_hash": h,
                    "last_digits": national_code(100_000 + n)[-4:],
                    "name": f"خانوار شمارهٔ {n + 1}",
                    "household_size": 1 + n % 6,
                    "area": hood,
                    "point": point,
                    "status": "verified",
                    "nominated_by": manager,
                    "verified_by": manager,
                    "verified_at": now,
                    "form_key": uuid.uuid4().hex,
                    "created_at": now,
                }
                for n, h in hashes.items()
            ]
        ).execute()
    started = time.perf_counter()
    count = distributions.freeze(round_, manager, os.environ["SECRET_KEY"])
    return distributions.get_round(round_.id), campaign, manager, count, time.perf_counter() - started


def main():
    from demo_site import demo_database  # beside this script; imported only when it runs

    folder = demo_database("voucher_cards")
    sys.path.insert(0, str(ROOT))
    import models
    from app import create_app
    from hamsayeh.domain import distributions
    from hamsayeh.web import tasks, vouchers

    app = create_app({"SECRET_KEY": "bench-only", "RATE_LIMITS": False})
    with models.db.connection_context():
        round_, campaign, manager, count, freeze_seconds = seed_round(CARDS)
    assert count == CARDS, count

    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [BIN / "flask", "worker", "--workers", "1"],
        cwd=ROOT,
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    page = f"http://127.0.0.1:{port}/campaigns/{campaign.id}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(page, timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)
        answers = []
        with app.test_request_context(base_url=f"http://127.0.0.1:{port}"), models.connection():
            start = time.perf_counter()
            batch, _new = distributions.request_cards(round_, manager)  # what the round's button does
            tasks.voucher_cards(batch.id, f"http://127.0.0.1:{port}/")
            memory = []
            while models.VoucherBatch.get_by_id(batch.id).status in ("queued", "running"):
                memory.append(memory_now_mb(worker.pid))
                began = time.perf_counter()
                with urllib.request.urlopen(page, timeout=30) as response:
                    assert response.status == 200
                answers.append(time.perf_counter() - began)
                time.sleep(0.5)
                assert time.perf_counter() - start < 30 * 60, "gave up after 30 minutes"
            seconds = time.perf_counter() - start
            batch = models.VoucherBatch.get_by_id(batch.id)
            sizes = [
                len(models.StoredFile.get(models.StoredFile.name == f"vouchers/batch-{batch.id}-{part}.pdf").data)
                for part in range(1, batch.parts + 1)
            ]
        peak = max(memory)
        own_peak = peak_memory_mb(worker.pid)
    finally:
        worker.terminate()
        server.terminate()
        worker.wait(timeout=60)
        server.wait(timeout=60)
    assert batch.status == "done", batch.status
    cores = os.cpu_count()
    answers.sort()
    p95 = answers[min(len(answers) - 1, int(len(answers) * 0.95))]
    ok = seconds < MINUTES * 60 and peak < MEGABYTES
    lines = [
        f"| cards | files | PDF size | wall time | per card | worker memory, peak (its processes together) | "
        f"public page meanwhile, p50 / p95 / max | under {MINUTES} min and {MEGABYTES} MB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {batch.total:,} | {batch.parts} | {sum(sizes) / 1e6:.0f} MB | {seconds / 60:.1f} min | "
        f"{seconds / batch.total * 1000:.1f} ms | {peak:.0f} MB | {statistics.median(answers) * 1000:.0f} / "
        f"{p95 * 1000:.0f} / {answers[-1] * 1000:.0f} ms ({len(answers)} asks) | {'yes' if ok else 'NO'} |",
        "",
        f"Freezing the round ({count:,} codes, one transaction): {freeze_seconds:.1f} s. Worker memory is the sum of "
        f"the proportional set sizes (PSS) of the worker and the {vouchers.PROCESSES} processes it forks, sampled "
        f"every half second; the worker process alone peaked at {own_peak:.0f} MB resident (VmHWM). Measured "
        f"{datetime.date.today().isoformat()} on {cores} cores shared with three other agents' work "
        f"(load average {os.getloadavg()[0]:.1f} at the end), SQLite.",
    ]
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "voucher_cards.md").write_text(table + "\n")
    if CARDS == 30_000:
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        begin, end = "<!-- voucher_cards:start -->", "<!-- voucher_cards:end -->"
        if begin in text and end in text:
            before, rest = text.split(begin, 1)
            readme.write_text(before + begin + "\n" + table + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")
    print(f"(database in {folder})", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
