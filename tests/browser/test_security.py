"""The hardening's new pages in Chromium at 360 px, scripts off: where a member
is signed in (and ending it elsewhere), and an organization's invitation."""

import pytest

import models
from hamsayeh.domain import demo, organizations

pytestmark = pytest.mark.browser

COUNTY = {"name": "دماوند", "name_en": "Damavand", "kind": "county", "children": []}


def test_a_member_ends_the_session_left_on_another_phone(browser, live_server, site_without_js, people):
    from tests.browser.conftest import _context

    resident = people["resident"]
    other_phone = _context(browser, live_server, javascript=False)
    elsewhere = other_phone.new_page()
    elsewhere.goto("/account/sign-in")
    elsewhere.fill("#f-phone", resident.phone)
    elsewhere.fill("#f-pin", "2580")
    with elsewhere.expect_navigation():
        elsewhere.click("form[action='/account/sign-in'] button[type=submit]")

    site = site_without_js
    site.sign_in(resident.phone)
    site.visit("/account/sessions")
    assert "این دستگاه" in site.text()
    assert len(site.page.query_selector_all("main li")) == 2
    site.screenshot("sessions-fa-360")
    site.submit("/account/sessions/end-others")
    # The other phone's next page asks it to sign in again.
    elsewhere.goto("/account/")
    assert "/account/sign-in" in elsewhere.url
    other_phone.close()
    assert models.Session.select().count() == 1


def test_an_invited_neighbor_accepts_on_the_invitations_page(site_without_js, people, places):
    demo.add_area(places["Tajrish"].ancestors()[0], COUNTY)
    county = models.Area.get(models.Area.kind == "county")
    manager, neighbor = people["charity_staff"], people["resident"]
    organization = organizations.open_organization("خیریهٔ امام رضا", "charity", county, manager, people["admin"])

    site = site_without_js
    site.sign_in(manager.phone)
    site.visit(f"/orgs/{organization.id}/members")
    site.fill("phone", "۰" + neighbor.phone[1:].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    site.page.select_option("#f-role", "staff")
    site.submit(f"/orgs/{organization.id}/members")
    assert neighbor.name not in site.text()  # the page never says whose number it is
    site.submit("/account/sign-out")

    site.sign_in(neighbor.phone)
    site.visit("/orgs/invitations")
    assert "خیریهٔ امام رضا" in site.text()
    site.screenshot("invitation-fa-360")
    site.submit("/orgs/invitations")
    membership = models.OrganizationMember.get(models.OrganizationMember.user == neighbor.id)
    assert membership.is_active and membership.role == "staff"


def test_the_eleventh_printout_is_a_persian_page_that_says_to_wait(app, site_without_js, people, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMITS", True)
    app.extensions.pop("rate_limits", None)  # counts of earlier tests in this process
    site = site_without_js
    site.sign_in(people["resident"].phone)
    for _ in range(10):
        assert site.page.request.get("/time/statement.pdf").status == 200
    response = site.visit("/time/statement.pdf")
    assert response.status == 429 and response.headers["retry-after"] == "600"
    assert "ده دقیقه" in site.text()
    app.extensions.pop("rate_limits", None)
