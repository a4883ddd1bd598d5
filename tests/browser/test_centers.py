"""A center's page, its programs and the printed flyer, in Chromium at 360 px
without JavaScript."""

import jdatetime
import pytest

import models
from hamsayeh.domain import accounts, volunteers
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_board import switch_to

pytestmark = pytest.mark.browser


def test_staff_add_a_program_neighbors_sign_up_and_the_flyer_prints(site_without_js, people, places):
    site = site_without_js
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش", address="میدان تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])

    site.sign_in(people["center_staff"].phone)
    site.visit(f"/areas/{places['Tajrish'].id}")
    site.follow(f"/centers/{center.id}")
    site.follow(f"/centers/{center.id}/programs/new")
    site.fill("title", "حلقهٔ کتاب‌خوانی کودکان")
    site.page.select_option("#f-activity_type", "children")
    site.fill("date", (jdatetime.date.today() + jdatetime.timedelta(days=2)).strftime("%Y/%m/%d"))
    site.fill("time", "۱۷:۳۰")
    site.fill("capacity", "۱")
    site.submit(f"/centers/{center.id}/programs/new")
    program = models.Program.get()
    site.screenshot("program-360")
    flyer = site.page.request.get(f"/centers/programs/{program.id}/flyer.pdf?size=A5")
    assert flyer.ok and flyer.headers["content-type"] == "application/pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "flyer-a5.pdf").write_bytes(flyer.body())

    for member in (people["resident"], people["volunteer"]):
        switch_to(site, member.phone)
        site.visit(f"/centers/{center.id}")
        site.follow(f"/centers/programs/{program.id}")
        site.submit(f"/centers/programs/{program.id}/signup")
    assert "فهرست انتظار" in site.text()
    site.submit(f"/centers/programs/{program.id}/leave")
    assert [s.status for s in models.ProgramSignup.select().order_by(models.ProgramSignup.id)] == [
        "confirmed",
        "cancelled",
    ]


def test_the_cards_and_kiosk_pages_of_a_center(site_without_js, people, places):
    site = site_without_js
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    volunteers.save_volunteer(
        people["volunteer"], places["Tajrish"], [models.ActivityType.get()], weekdays=1, time_slots=1
    )
    site.sign_in(people["center_staff"].phone)
    site.visit(f"/centers/{center.id}")
    site.follow(f"/centers/{center.id}/cards")
    site.submit(f"/centers/{center.id}/cards")  # no worker here: the batch waits, and says so
    assert "۰ از ۱ کارت" in site.text()
    site.visit(f"/kiosk/centers/{center.id}")
