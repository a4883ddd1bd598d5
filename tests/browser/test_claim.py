"""Claiming an account made for someone (at a desk or by an import) from the
sign-in page, and the desk's list of neighbors without a phone, in Chromium
without JavaScript, with axe-core on every page."""

from urllib.parse import urlsplit

import pytest

import models
from hamsayeh.domain import accounts, claims
from tests.factories import sent_code

pytestmark = pytest.mark.browser

PHONE = "09125557788"


def test_an_account_made_at_the_desk_is_claimed_from_the_sign_in_page(site_without_js, people, places):
    site = site_without_js
    member = claims.register_for(PHONE, "مریم سالمند", places["Tajrish"].id, "desk", people["center_staff"])
    site.visit("/account/sign-in")
    site.follow("/account/claim")
    site.fill("phone", "۰۹۱۲۵۵۵۷۷۸۸")
    site.submit("/account/claim")
    code_page = urlsplit(site.page.url).path
    assert "۷۷۸۸" in site.text() and "۰۹۱۲۵۵۵۷۷۸۸" not in site.text()
    # A wrong code: a Persian message beside the field, nothing claimed.
    site.fill("code", "111111" if sent_code(PHONE) == "000000" else "000000")
    site.fill("pin", "7391")
    site.fill("pin_again", "7391")
    site.submit(code_page)
    assert site.page.inner_text("#f-code-error").strip()
    assert models.User.get_by_id(member.id).claimed_at is None
    site.fill("code", sent_code(PHONE))
    site.fill("pin", "7391")
    site.fill("pin_again", "7391")
    site.submit(code_page)
    assert models.User.get_by_id(member.id).claimed_at is not None
    assert accounts.sign_in(PHONE, "7391", "10.0.0.9").user.id == member.id


def test_the_desk_lists_its_neighbors_without_a_phone(site_without_js, people, places):
    site = site_without_js
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    site.sign_in(people["center_staff"].phone)
    site.visit("/desk/without-phone")
    assert site.page.locator("h1").count() == 1
