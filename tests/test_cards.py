"""Volunteer cards: one at once, or all of a center's as one PDF made in the
background on the real task queue while the site keeps answering."""

import datetime
import io
import time

import pytest
from pypdf import PdfReader

import models
from hamsayeh.domain import accounts
from tests.conftest import sign_in, submit
from tests.factories import read_qr


@pytest.fixture
def center(people, places):
    item = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


def add_volunteers(places, count, pin_hash):
    """`count` volunteers of Tajrish, written in two statements."""
    hood = places["Tajrish"]
    models.User.insert_many(
        [
            {"phone": f"0913{i:07d}", "name": f"داوطلب {i}", "pin_hash": pin_hash, "neighborhood": hood}
            for i in range(count)
        ]
    ).execute()
    users = models.User.select().where(models.User.phone.startswith("0913"))
    models.VolunteerProfile.insert_many(
        [{"user": u, "neighborhood": hood, "district": hood.parent, "city": hood.parent.parent} for u in users]
    ).execute()
    errands = models.ActivityType.get(models.ActivityType.slug == "errands")
    models.VolunteerActivity.insert_many(
        [{"volunteer": p, "activity_type": errands} for p in models.VolunteerProfile.select()]
    ).execute()


def test_one_volunteer_card_has_the_name_the_center_and_a_qr_code(client, people, places, center, tmp_path):
    add_volunteers(places, 1, people["resident"].pin_hash)
    volunteer = models.User.get(models.User.phone == "09130000000")
    sign_in(client, people["center_staff"].phone)
    answer = client.get(f"/centers/{center.id}/cards/{volunteer.id}.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(answer.data)).pages[0].extract_text().replace("\u200c", "")
    for line in ("مرکز مثبت زندگی تجریش", "داوطلب", "خرید و کارهای بیرون"):
        assert line in text, text
    assert read_qr(answer.data, tmp_path) == f"http://localhost/centers/{center.id}"
    sign_in(client, people["resident"].phone)
    assert client.get(f"/centers/{center.id}/cards/{volunteer.id}.pdf").status_code == 403


def test_two_hundred_cards_are_made_in_the_background_while_the_site_answers(client, people, places, center, worker):
    add_volunteers(places, 200, people["resident"].pin_hash)
    sign_in(client, people["center_staff"].phone)
    page = f"/centers/{center.id}/cards"
    response = submit(client, page, page, {})
    assert response.status_code == 302
    batch = models.PrintBatch.get()
    answered, deadline = 0, time.monotonic() + 300
    while models.PrintBatch.get_by_id(batch.id).status in ("queued", "running"):
        assert time.monotonic() < deadline, "the batch did not finish"
        # The site keeps answering while the worker lays the cards out.
        assert client.get(f"/centers/{center.id}").status_code == 200
        assert client.get(response.location).status_code == 200
        answered += 1
        time.sleep(0.2)
    batch = models.PrintBatch.get_by_id(batch.id)
    assert batch.status == "done" and batch.done_count == batch.total == 200 and answered > 0
    html = client.get(response.location).get_data(as_text=True)
    assert f"/centers/{center.id}/batches/{batch.id}.pdf" in html
    download = client.get(f"/centers/{center.id}/batches/{batch.id}.pdf")
    assert download.status_code == 200 and len(PdfReader(io.BytesIO(download.data)).pages) == 200
    # Another center's staff, and members, do not get it.
    sign_in(client, people["resident"].phone)
    assert client.get(f"/centers/{center.id}/batches/{batch.id}.pdf").status_code == 403


def test_a_batch_a_dead_worker_left_behind_can_be_made_again(client, people, places, center, worker):
    add_volunteers(places, 3, people["resident"].pin_hash)
    stuck = models.PrintBatch.create(
        center=center,
        status="running",
        total=3,
        done_count=1,
        created_by=people["center_staff"],
        updated_at=models.utcnow() - datetime.timedelta(minutes=30),
    )
    sign_in(client, people["center_staff"].phone)
    page = f"/centers/{center.id}/batches/{stuck.id}"
    assert "/retry" in client.get(page).get_data(as_text=True)
    assert submit(client, page, f"{page}/retry", {}).status_code == 302
    deadline = time.monotonic() + 120
    while models.PrintBatch.get_by_id(stuck.id).status != "done":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "/retry" not in client.get(page).get_data(as_text=True)
