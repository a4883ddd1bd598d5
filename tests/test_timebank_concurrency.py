"""Many transfers at the same moment through the real server: gunicorn with
four worker processes on the test database (SQLite, or PostgreSQL when the
suite runs on it). No account passes its floor, no update is lost, a double
submit pays once, a worker killed mid-run loses nothing, and afterwards every
balance agrees with the ledger."""

import os
import random
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import models
from hamsayeh.domain import accounts, timebank
from tests.conftest import PIN
from tests.live_site import Browser, gunicorn

WORKERS = 4


@pytest.fixture
def server(app, db):
    with gunicorn(app, WORKERS) as running:
        yield running


class Member(Browser):
    """A member's browser on the transfer form."""

    def __init__(self, base, user):
        super().__init__(base, user, "/time/send")

    def send(self, to, minutes, key):
        data = {"phone": to.phone, "minutes": str(minutes), "reason": "هم‌زمان", "form_key": key, "confirmed": "1"}
        return self.post("/time/send", {**data, "csrf_token": self.csrf})


def members(base, places, count):
    users = [
        accounts.create_user(f"0913000{i:04d}", f"همسایه {i}", PIN, neighborhood=places["Tajrish"])
        for i in range(count)
    ]
    return [Member(base, user) for user in users]


def ledger_agrees():
    wrong, total = timebank.verify_ledger()
    assert wrong == [] and total == 0
    below = models.TimeAccount.select().where(models.TimeAccount.balance < models.TimeAccount.floor).count()
    assert below == 0


def test_concurrent_spends_never_pass_the_floor(server, places):
    base, _process = server
    spender, receiver = members(base, places, 2)
    floor = -models.DEFAULT_FLOOR
    # Twice what the floor allows, all at once: exactly half succeed.
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: spender.send(receiver.user, 60, uuid.uuid4().hex), range(2 * floor // 60)))
    assert statuses.count(302) == floor // 60 and statuses.count(422) == floor // 60
    assert timebank.member_account(spender.user).balance == -floor
    assert timebank.member_account(receiver.user).balance == floor
    ledger_agrees()


def test_a_crowd_of_transfers_with_double_submits_and_a_killed_worker(server, places):
    base, process = server
    crowd = members(base, places, 8)
    rng = random.Random(1405)
    orders = [(rng.choice(crowd), rng.choice(crowd), rng.randrange(15, 151), uuid.uuid4().hex) for _ in range(160)]
    orders = [order for order in orders if order[0] is not order[1]]
    outcomes = {}
    lock = threading.Lock()

    def place(order):
        source, target, minutes, key = order
        try:
            status = source.send(target.user, minutes, key)
        except OSError:
            status = None  # the worker died under this request
        with lock:
            outcomes.setdefault(key, []).append(status)

    def kill_a_worker():
        time.sleep(0.5)
        workers = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        os.kill(int(workers[0]), signal.SIGKILL)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    # Every order twice at the same moment, like a double tap on a slow phone.
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(place, [order for order in orders for _ in range(2)]))
    killer.join()
    # Whatever the dead worker was doing is either done or not: sending the
    # same form again settles it, and never pays twice.
    for order in orders:
        if None in outcomes[order[3]]:
            place(order)
    paid = {t.form_key: t for t in models.TimeTransfer.select()}
    for source, target, minutes, key in orders:
        if 302 in outcomes[key]:
            made = paid[key]
            assert (made.minutes, made.source.user_id, made.target.user_id) == (minutes, source.user.id, target.user.id)
        else:
            assert key not in paid and 422 in outcomes[key]
    assert len(paid) == sum(1 for key, statuses in outcomes.items() if 302 in statuses)
    ledger_agrees()
