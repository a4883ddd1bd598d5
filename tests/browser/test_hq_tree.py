"""Headquarters merges two neighborhoods through its pages, in Chromium at 360 px
without JavaScript (issue 18's "Done when"): each has posts, members and a
center; afterwards everything is under the survivor, and the old addresses
lead there. Every page visited is scanned by axe-core (conftest)."""

import uuid

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import centers
from tests.browser.test_board import switch_to
from tests.factories import make_post, person

pytestmark = pytest.mark.browser


def click(site, selector):
    with site.page.expect_navigation():
        site.page.click(selector)
    site.check()


def a_neighborhood_with_life(hood, tag, admin):
    members = [person(f"0913{tag}0000{i}", f"همسایهٔ {i}", neighborhood=hood) for i in range(2)]
    posts = [make_post(member, hood, text=f"کمک برای خرید هفتگی {hood.name} {i}") for i, member in enumerate(members)]
    center = centers.open_center(hood, admin, uuid.uuid4().hex, name=f"مرکز مثبت زندگی {hood.name}")
    return members, posts, center


def test_headquarters_merges_two_neighborhoods_and_the_old_address_leads_to_the_survivor(
    site_without_js, people, places
):
    site = site_without_js
    old, survivor = places["Niavaran"], places["Tajrish"]
    old_members, old_posts, old_center = a_neighborhood_with_life(old, "41", people["admin"])
    kept_members, kept_posts, kept_center = a_neighborhood_with_life(survivor, "42", people["admin"])

    site.sign_in(people["admin"].phone)
    site.visit("/hq/areas/")
    site.fill("q", "نیاوران")
    click(site, "form[role=search] button[type=submit]")
    site.follow(f"/hq/areas/{old.id}")
    site.follow(f"/hq/areas/{old.id}/merge")
    # What will move is told before anything moves.
    assert "۲" in site.page.inner_text("main table")
    site.fill("q", "تجریش")
    click(site, "form[role=search] button[type=submit]")
    site.page.check(f"input[name=other][value='{survivor.id}']")
    # Without a reason the merge waits, and says so beside the field.
    click(site, f"main form[method=post][action='/hq/areas/{old.id}/merge'] button[type=submit]")
    assert site.page.is_visible("#f-reason-error")
    assert models.Area.get_by_id(old.id).merged_into_id is None
    site.page.check(f"input[name=other][value='{survivor.id}']")
    site.page.fill("#f-reason", "دو محله در طرح تازهٔ شهرداری یکی شدند")
    click(site, f"main form[method=post][action='/hq/areas/{old.id}/merge'] button[type=submit]")
    assert site.page.url.endswith(f"/hq/areas/{survivor.id}")
    site.screenshot("hq-merge-360")

    # Everything is under the survivor.
    assert {post.neighborhood_id for post in models.HelpPost.select()} == {survivor.id}
    for member in old_members + kept_members:
        assert models.User.get_by_id(member.id).neighborhood_id == survivor.id
    assert {center.area_id for center in models.Center.select()} == {survivor.id}
    # The survivor's page in headquarters lists both centers; its history keeps who, when and why.
    text = site.text()
    assert old_center.name in text and kept_center.name in text
    site.follow(f"/hq/areas/{survivor.id}/history")
    assert "دو محله در طرح تازهٔ شهرداری یکی شدند" in site.text()

    # The old addresses lead to the survivor: its public page and its board.
    response = site.visit(f"/areas/{old.id}")
    assert site.page.url.endswith(f"/areas/{survivor.id}")
    assert response.request.redirected_from.response().status == 301
    site.visit(f"/board/?hood={old.id}")
    assert site.page.url.endswith(f"/board/?hood={survivor.id}")
    board = site.text()
    for post in old_posts + kept_posts:
        assert persian.to_persian_digits(post.text) in board

    # A member who lived in the old neighborhood finds their home there.
    switch_to(site, old_members[0].phone)
    site.visit(f"/centers/{old_center.id}")
    assert old_center.name in site.text()


def test_headquarters_opens_a_center_where_none_serves_and_sets_what_it_serves(site_without_js, people, places):
    site = site_without_js
    centers.open_center(places["Tajrish"], people["admin"], uuid.uuid4().hex, name="مرکز مثبت زندگی تجریش")
    bazaar = places["Bazaar"]
    site.sign_in(people["admin"].phone)
    site.visit("/hq/centers/")
    site.follow("/hq/centers/unserved")
    assert "بازار" in site.text()
    site.follow(f"/hq/centers/new?area={bazaar.id}")
    site.page.check("input[name=kind][value=mosque_hall]")
    site.fill("name", "حسینیهٔ بازار")
    site.fill("phone", "۱۲۳")
    site.submit("/hq/centers/new")
    assert site.page.is_visible("#f-phone-error") and site.page.input_value("#f-name") == "حسینیهٔ بازار"
    site.fill("phone", "۰۲۱ ۵۵۶۱ ۲۳۴۵")
    site.fill("latitude", "۳۵٫۶۷۴")
    site.fill("longitude", "۵۱٫۴۲۳")
    site.submit("/hq/centers/new")
    center = models.Center.get(models.Center.name == "حسینیهٔ بازار")
    assert (center.area_id, center.kind, center.latitude) == (bazaar.id, "mosque_hall", 35.674)
    site.follow(f"/hq/centers/{center.id}/served")
    site.fill("q", "نیاوران")
    click(site, "form[role=search] button[type=submit]")
    site.page.check(f"input[name=area][value='{places['Niavaran'].id}']")
    click(site, f"main form[method=post][action='/hq/centers/{center.id}/served'] button[type=submit]")
    assert centers.served_area_ids(center) == [places["Niavaran"].id]
    site.visit("/hq/centers/unserved")
    assert "همهٔ محله‌ها مرکزی دارند که به آن‌ها خدمت می‌دهد." in site.text()
