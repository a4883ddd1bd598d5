"""A volunteer of a neighborhood without a center, and a closed center, in
Chromium at 360 px without JavaScript: every page scanned by axe-core."""

import pytest

import models
from hamsayeh.domain import centers, demo
from tests.factories import volunteer

pytestmark = pytest.mark.browser


def test_a_volunteer_without_a_center_nearby_finds_their_center_and_certificates(site_without_js, people, places):
    site = site_without_js
    demo.add_area(places["District 1"], {"name": "دربند", "name_en": "Darband", "kind": "neighborhood"})
    darband = models.Area.get(models.Area.name_en == "Darband")
    tajrish = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش", address="میدان تجریش")
    helper = volunteer("داوطلب دربند", "09126660001", darband).user

    site.sign_in(helper.phone)
    site.visit("/")
    assert "مرکز مثبت زندگی تجریش" in site.text()
    site.visit("/time/")
    site.follow(f"/certificates/people/{helper.id}")
    site.visit(f"/centers/{tajrish.id}")
    assert "دربند" in site.text()

    centers.close_center(tajrish, people["admin"], "بازسازی ساختمان")
    site.visit(f"/centers/{tajrish.id}")
    assert "این مرکز بسته است." in site.text() and "بازسازی ساختمان" in site.text()
