"""The facilitators' network walked as its people would, in Chromium at 360 px:
a facilitator's record, an idea's whole trail, an announcement to a district,
a problem raised and answered, and headquarters' counts with a coverage gap."""

import pytest

import models
from hamsayeh.domain import accounts
from tests.browser.test_board import switch_to

pytestmark = pytest.mark.browser


def click(site, selector):
    with site.page.expect_navigation():
        site.page.click(selector)
    site.check()


def test_the_facilitators_network_from_record_to_headquarters(site_without_js, people, places):
    site = site_without_js
    tajrish, district = places["Tajrish"], places["District 1"]
    neighbors = [accounts.create_user(f"0912777000{i}", f"همسایه {i}", "2580", neighborhood=tajrish) for i in range(2)]

    # A facilitator records a need, an asset and a lesson for their neighborhood.
    site.sign_in(people["facilitator"].phone)
    site.visit("/facilitators/me")
    site.follow(f"/stories/neighborhood/{tajrish.id}")
    for kind, title in (
        ("need", "سالمندان تنها خرید ندارند"),
        ("asset", "گروه جوانان مسجد"),
        ("lesson", "بازارچه کم‌رونق"),
    ):
        site.follow(f"/stories/neighborhood/{tajrish.id}/new?kind={kind}")
        site.fill("title", title)
        site.fill("narrative", "روایتی کوتاه از آنچه در محله دیدیم و شنیدیم.")
        if kind == "need":
            site.fill("how_many", "۱۲")
            site.page.check("input[name=activity] >> nth=0")
        site.submit(f"/stories/neighborhood/{tajrish.id}/new")
        assert title in site.text()
        site.follow(f"/stories/neighborhood/{tajrish.id}")
    site.screenshot("story-360")
    assert models.Story.select().where(models.Story.neighborhood == tajrish).count() == 3

    # A resident proposes an idea; two neighbors support it.
    switch_to(site, people["resident"].phone)
    site.visit("/ideas/")
    site.follow("/ideas/new")
    site.fill("title", "کتابخانهٔ کوچک در پارک")
    site.fill("text", "قفسه‌ای کنار نیمکت‌ها که هر کس کتابی بگذارد و کتابی بردارد.")
    site.submit("/ideas/new")
    idea = models.Idea.get()
    for member in neighbors:
        switch_to(site, member.phone)
        site.visit(f"/ideas/{idea.id}")
        site.submit(f"/ideas/{idea.id}/support")
    assert idea.support_count() == 2

    # The facilitator forwards it; headquarters accepts it.
    switch_to(site, people["facilitator"].phone)
    site.visit("/ideas/review")
    site.follow(f"/ideas/{idea.id}")
    click(site, "button[value=forward]")
    switch_to(site, people["admin"].phone)
    site.visit("/ideas/review")
    site.follow(f"/ideas/{idea.id}")
    site.fill("note", "شهرداری منطقه قفسه را می‌سازد.")
    click(site, "button[value=accept]")

    # The resident sees the whole trail.
    switch_to(site, people["resident"].phone)
    site.visit(f"/ideas/{idea.id}")
    text = site.text()
    for step in ("پیشنهاد شد", "به ستاد فرستاده شد", "شهرداری منطقه قفسه را می‌سازد", "۲ حامی"):
        assert step in text, step
    site.screenshot("idea-trail-360")

    # Headquarters announces to the district; a member of a neighborhood in it hears.
    switch_to(site, people["admin"].phone)
    site.visit(f"/channel/{district.id}")
    site.fill("title", "واکسن آنفولانزای سالمندان")
    site.fill("body", "از شنبه در مرکز تجریش، صبح‌ها.")
    site.submit(f"/channel/{district.id}")
    switch_to(site, neighbors[0].phone)
    site.visit("/inbox/")
    assert "واکسن آنفولانزای سالمندان" in site.text()
    item = models.Announcement.get()
    site.follow(f"/channel/items/{item.id}")
    site.fill("reply", "برای همراه سالمندان هم جا هست؟")
    site.submit(f"/channel/items/{item.id}/reply")
    site.visit(f"/channel/{tajrish.id}")

    # A problem goes up and its answer comes back.
    switch_to(site, people["facilitator"].phone)
    site.visit("/channel/problems")
    site.page.select_option("#f-neighborhood", str(tajrish.id))
    site.fill("title", "قطعی آب کوچه‌ها")
    site.fill("body", "سه روز است آب کوچهٔ شمالی قطع است.")
    site.submit("/channel/problems")
    problem = models.Announcement.get(models.Announcement.kind == "problem")
    switch_to(site, people["admin"].phone)
    site.visit("/channel/problems")
    site.follow(f"/channel/items/{problem.id}")
    site.fill("reply", "با آبفای منطقه هماهنگ شد.")
    site.submit(f"/channel/items/{problem.id}/reply")

    # Headquarters' view: the neighborhood's counts and the coverage gap.
    site.visit(f"/hq/?area={tajrish.parent.parent_id}")
    text = site.text()
    assert "۱ از ۳ محله تسهیل‌گر ندارد" in text
    site.screenshot("hq-360")
    site.visit(f"/hq/?area={tajrish.id}")
    site.visit(f"/stories/?area={tajrish.id}")
