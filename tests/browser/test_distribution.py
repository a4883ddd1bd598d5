"""A round of a voucher distribution in Chromium at 360 px without
JavaScript, as a mosque's volunteer's basic phone sees it: three points, 100
households (made through the domain, as the mosques nominate them), a
second pickup refused at another point, a paper sheet entered later with one
double reported, and the registry showing the services."""

import pytest

import models
from hamsayeh import persian
from tests import factories
from tests.browser.test_board import switch_to

pytestmark = pytest.mark.browser


def give(site, point, code):
    site.visit(f"/points/{point.id}")
    site.fill("code", code)
    site.submit(f"/points/{point.id}")
    return site.text()


def test_a_round_through_three_mosques(site_without_js, places, people):
    site = site_without_js
    made = factories.distribution(places, people, households=100)
    points, helpers, codes = made["points"], made["volunteers"], made["codes"]
    assert len(codes) == 100

    # The first mosque's volunteer gives households 1 and 6 their vouchers (6 was expected at the third mosque).
    site.sign_in(helpers[0].phone)
    text = give(site, points[0], persian.to_persian_digits(codes[1]))
    assert "تحویل شد" in text and "خانوار ۱" in text
    give(site, points[0], codes[6])
    site.screenshot("distribution-point-360")

    # At the second mosque, household 1 comes again: refused, with where and when.
    switch_to(site, helpers[1].phone)
    text = give(site, points[1], codes[1])
    assert "پیش‌تر تحویل گرفته" in text and points[0].name in text
    # A wrong code says only that it is wrong.
    text = give(site, points[1], "1234 5678 9012")
    assert "این کد درست نیست" in text
    give(site, points[1], codes[2])

    # The third mosque had no connection: its paper sheet is entered later; household 6 is a double.
    switch_to(site, helpers[2].phone)
    site.visit(f"/points/{points[2].id}")
    site.follow(f"/points/{points[2].id}/sheet?round={made['round'].id}")
    site.fill("references", "۳، ۶، ۹، ۱۲")
    site.submit(f"/points/{points[2].id}/sheet")
    text = site.text()
    assert "۳ تحویل ثبت شد" in text and "۱ تحویل تکراری رد شد" in text
    assert points[0].name in text  # where household 6 collected first
    site.screenshot("distribution-sheet-360")

    assert models.Pickup.select().count() == 6
    assert models.PickupRefusal.select().count() == 2
    assert models.Service.select().count() == 6

    # The office's report: per point, the doubles, the households waiting.
    switch_to(site, made["worker"].phone)
    site.visit(f"/campaigns/rounds/{made['round'].id}/report")
    text = site.text()
    assert "۶ خانوار از ۱۰۰ تحویل گرفته‌اند" in text and "۲ تحویل تکراری رد شد" in text
    site.visit(f"/campaigns/{made['campaign'].id}")

    # The first mosque asks the assembly's registry about household 1: one food service on record.
    _mosque, manager = made["mosques"][0]
    switch_to(site, manager.phone)
    site.visit("/registry/")
    site.fill("number", factories.national_code(100000))
    site.submit("/registry/inquiry")
    assert "۱ خدمت" in site.text()
