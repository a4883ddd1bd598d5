"""A volunteer's certificates of hours, and the page its QR code opens, in
Chromium at 360 px without JavaScript."""

import pytest

import models
from hamsayeh.domain import accounts, certificates, timebank

pytestmark = pytest.mark.browser


def test_a_volunteer_asks_for_a_certificate_and_anyone_checks_it(site_without_js, app, people, places):
    site = site_without_js
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    volunteer = people["volunteer"]
    resident = timebank.member_account(people["resident"])
    timebank.transfer(resident, timebank.member_account(volunteer), 90, people["resident"], kind="help")

    site.sign_in(volunteer.phone)
    site.visit(f"/certificates/people/{volunteer.id}")
    assert "۱ ساعت و ۳۰ دقیقه" in site.text()
    # A period with nothing in it is refused beside the choice, and the page stays whole.
    site.page.evaluate("document.querySelector('input[name=period]').value = '1300'")
    site.page.check("input[name=period]")
    with site.page.expect_navigation():
        site.page.click(f"form[action$='/certificates/people/{volunteer.id}'] button")
    site.check()
    assert "دوره‌ای را که گواهی در بر می‌گیرد انتخاب کنید" in site.text()
    site.screenshot("certificates-360")

    item = certificates.issue_certificate(volunteer, volunteer, "all", "browser", app.config["SECRET_KEY"])
    token = certificates.certificate_token(item, app.config["SECRET_KEY"])
    site.page.context.clear_cookies()  # whoever holds the paper, signed in or not
    site.visit(f"/certificates/{token}")
    assert "۱ ساعت و ۳۰ دقیقه" in site.text() and volunteer.name in site.text()
    site.screenshot("certificate-check-360")
