"""Facilitators' pages in Chromium at 360 px, without JavaScript."""

import pytest

from hamsayeh.domain import facilitators
from tests.browser.test_board import switch_to

pytestmark = pytest.mark.browser


def test_headquarters_assigns_and_the_neighborhood_shows_its_facilitator(site_without_js, people, places):
    site = site_without_js
    facilitator = people["facilitator"]
    site.sign_in(people["admin"].phone)
    site.visit("/facilitators/")
    site.fill("phone", facilitator.phone)
    site.submit("/facilitators/")
    site.page.select_option("#f-neighborhood", str(places["Bazaar"].id))
    with site.page.expect_navigation():
        site.page.click("form:has(#f-neighborhood) button[type=submit]")
    site.check()
    assert facilitators.facilitates(facilitator, places["Bazaar"].id)
    switch_to(site, facilitator.phone)
    site.visit("/facilitators/me")
    site.fill("contact", "مرکز بازار، صبح‌ها")
    site.submit("/facilitators/me")
    site.visit(f"/areas/{places['Bazaar'].id}")
    assert "مرکز بازار، صبح‌ها" in site.text()
