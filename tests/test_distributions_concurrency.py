"""Twenty pickups of one household's code at the same moment, through the
real server: gunicorn with four worker processes on the test database
(SQLite, or PostgreSQL when the suite runs on it), from five volunteers at
three points and the campaign's staff. Exactly one pickup is made, one
service reaches the registry, and every other point hears where and when."""

from concurrent.futures import ThreadPoolExecutor

import pytest

import models
from hamsayeh.domain import distributions
from tests import factories
from tests.live_site import Browser, gunicorn

WORKERS = 4
ATTEMPTS = 20


@pytest.fixture
def server(app, db):
    with gunicorn(app, WORKERS) as (base, _process):
        yield base


class Volunteer(Browser):
    """A volunteer's phone at a distribution point."""

    def __init__(self, base, user, point):
        super().__init__(base, user, f"/points/{point.id}")
        self.point = point

    def give(self, round_, code):
        return self.submit(f"/points/{self.point.id}", {"csrf_token": self.csrf, "round": round_.id, "code": code})


def test_twenty_simultaneous_pickups_of_one_code_give_exactly_one(server, places, people):
    made = factories.distribution(places, people, households=6)
    points, worker = made["points"], made["worker"]
    extra = [factories.person(f"0914300{i:04d}", f"داوطلب اضافه {i}") for i in range(2)]
    for helper, point in zip(extra, points[1:], strict=True):
        distributions.add_volunteer(point, helper, worker)
    phones = [
        *zip(made["volunteers"], points, strict=True),
        *zip(extra, points[1:], strict=True),
        (worker, points[0]),  # the campaign's staff, at a point of their own campaign
    ]
    volunteers = [Volunteer(server, user, point) for user, point in phones]
    code = made["codes"][1]
    orders = [volunteers[i % len(volunteers)] for i in range(ATTEMPTS)]
    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        answers = list(pool.map(lambda v: v.give(made["round"], code), orders))
    statuses = [status for status, _html in answers]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == ATTEMPTS - 1, statuses
    pickup = models.Pickup.get()
    winner = points[[p.id for p in points].index(pickup.point_id)]
    for status, html in answers:
        if status == 409:  # the losers hear where it was collected
            assert winner.name in html
    assert models.Pickup.select().count() == 1
    assert models.PickupRefusal.select().count() == ATTEMPTS - 1
    assert models.Service.select().count() == 1
    assert models.Service.get().id == pickup.service_id
