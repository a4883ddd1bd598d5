"""A newcomer's first visit, in Chromium at 360 px, with scripts on and off."""

import re
from urllib.parse import urlsplit

import pytest

import models
from tests.conftest import PIN
from tests.factories import sent_code

pytestmark = pytest.mark.browser
PERSIAN = re.compile("[\u0600-\u06ff]")


def sign_up_and_choose_a_neighborhood(site, places):
    site.visit("/account/sign-up")
    site.fill("name", "پروین اعتصامی")
    site.fill("phone", "۰۹۱۲۷۷۷۸۸۹۹")
    site.fill("pin", "۲۴۶۸")
    site.fill("pin_again", "2468")
    site.submit("/account/sign-up")
    # The account is made once the code sent by SMS is typed in.
    site.fill("code", sent_code("09127778899"))
    site.submit(urlsplit(site.page.url).path)
    assert models.User.by_phone("09127777888") is None
    assert models.User.by_phone("09127778899").name == "پروین اعتصامی"
    # A new member without a neighborhood is sent to find one: search for it.
    site.page.fill("#area-q", "نياوران")
    with site.page.expect_navigation():
        site.page.click("form[role=search] button")
    site.check()
    site.follow(f"/areas/{places['Niavaran'].id}")
    site.submit(f"/areas/{places['Niavaran'].id}/choose")
    assert "نیاوران" in site.text()
    assert models.User.by_phone("09127778899").neighborhood_id == places["Niavaran"].id


def set_largest_text_and_high_contrast(site):
    site.page.click("footer a[href^='/preferences']")
    site.page.wait_for_load_state("load")
    site.check()
    site.page.check("input[name=text_size][value='2']")
    site.page.check("input[name=high_contrast][value='1']")
    site.submit("/preferences")
    assert site.page.evaluate("document.documentElement.className") == "ts2 hc"


def switch_language(site, to):
    with site.page.expect_navigation():
        site.page.click(f"footer button[name=language][value={to}]")
    site.check()
    assert site.page.evaluate("document.documentElement.lang") == to


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_newcomer_signs_up_chooses_neighborhood_sets_text_and_language(request, javascript, places):
    site = request.getfixturevalue("site" if javascript else "site_without_js")
    sign_up_and_choose_a_neighborhood(site, places)
    set_largest_text_and_high_contrast(site)
    switch_language(site, "en")
    assert "Neighbors helping neighbors" in site.page.title()
    site.screenshot(f"home-en-{'js' if javascript else 'nojs'}")
    switch_language(site, "fa")
    site.screenshot(f"home-fa-{'js' if javascript else 'nojs'}")


def test_sign_in_and_a_failed_form_without_javascript(site_without_js, people):
    site = site_without_js
    site.visit("/account/sign-in")
    site.fill("phone", people["volunteer"].phone)
    site.fill("pin", "0000")
    site.submit("/account/sign-in")
    # The mistake is shown beside the field and in the summary; the number stays.
    assert site.page.input_value("#f-phone") == people["volunteer"].phone
    assert site.page.get_attribute("#f-pin", "aria-invalid") == "true"
    site.fill("pin", PIN)
    site.submit("/account/sign-in")
    site.visit("/account/")
    assert site.page.input_value("#f-name") == "کاربر volunteer"
    assert "۰۹۱۲۰۰۰۰۰۰۲" in site.text()


def test_htmx_speeds_up_links_and_forms_that_work_without_it(site, people):
    site.visit("/")
    site.page.wait_for_function("window.htmx !== undefined")
    site.page.evaluate("window.notReloaded = true")
    site.page.click("header a[href='/account/sign-in']")
    site.page.wait_for_url("**/account/sign-in")
    site.check()
    site.fill("phone", people["resident"].phone)
    site.fill("pin", "1357")
    site.page.click("form[action='/account/sign-in'] button[type=submit]")
    site.page.wait_for_selector("#f-pin-error")
    site.check()
    site.fill("pin", PIN)
    site.page.click("form[action='/account/sign-in'] button[type=submit]")
    site.page.wait_for_selector("form[action='/account/sign-out']")
    site.check()
    # The page was swapped, never reloaded: the script's state survived.
    assert site.page.evaluate("window.notReloaded") is True


def test_keyboard_only_reaches_the_skip_link_first_with_a_visible_focus(site, places):
    site.visit("/")
    site.page.keyboard.press("Tab")
    focused = site.page.evaluate(
        "(() => { const e = document.activeElement, s = getComputedStyle(e);"
        " return {cls: e.className, outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; })()"
    )
    assert focused["cls"] == "skip"
    assert focused["outline"] == "solid" and focused["width"] >= 2
    site.page.keyboard.press("Enter")
    assert site.page.evaluate("location.hash") == "#main"


def test_every_control_has_a_persian_name_and_a_big_target(site, people):
    site.visit("/account/sign-up")
    for path in ("/", "/account/sign-up", "/account/sign-in", "/areas/", "/preferences"):
        site.visit(path)
        names = site.page.evaluate(
            "[...document.querySelectorAll('main input:not([type=hidden]), main button, header a, header button')]"
            ".map(e => (e.labels && e.labels[0] ? e.labels[0].innerText : e.innerText).trim())"
        )
        assert names and all(PERSIAN.search(name) for name in names), (path, names)
        small = site.page.evaluate(
            # A radio's target is its whole label; a link inside a sentence is exempt (WCAG 2.5.8).
            "[...document.querySelectorAll('a, button, input:not([type=hidden]), label.choice')]"
            ".filter(e => e.getClientRects().length && !e.closest('label.choice input, p, dd'))"
            ".filter(e => !(e.matches('input') && e.closest('label.choice')))"
            ".map(e => e.getBoundingClientRect()).filter(r => r.height < 48 || r.width < 48).length"
        )
        assert small == 0, path


@pytest.mark.parametrize("path", ["/", "/areas/", "/account/sign-in", "/account/sign-up", "/preferences", "/nowhere"])
def test_no_sideways_scrolling_at_200_percent_text(site, places, path):
    site.visit(path)
    site.page.evaluate("document.documentElement.style.fontSize = '250%'")
    overflow = site.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_signed_in_pages_pass_the_checks(site, people, places):
    site.sign_in(people["admin"].phone)
    for path in ("/account/", "/account/pin", f"/areas/{places['District 1'].id}", f"/areas/{places['Tajrish'].id}"):
        site.visit(path)
    site.screenshot("account-fa")


def test_admin_pages_and_the_refusal_page_pass_the_checks(site, people):
    site.sign_in(people["admin"].phone)
    site.visit("/admin/people/")
    site.fill("phone", "۰۹۱۲۰۰۰۰۰۰۱")
    site.submit("/admin/people/")
    site.follow(f"/admin/people/{people['resident'].id}")
    site.page.check("input[name=role][value=volunteer]")
    site.submit(f"/admin/people/{people['resident'].id}/roles")
    assert models.User.get_by_id(people["resident"].id).roles() == {"resident", "volunteer"}
    site.screenshot("admin-member-fa")


def test_the_refusal_page_for_a_resident(site, people):
    site.sign_in(people["resident"].phone)
    response = site.visit("/admin/people/")
    assert response.status == 403
    assert "دسترسی ندارید" in site.text()


def test_the_list_of_kinds_of_help_without_javascript(site_without_js, people):
    site = site_without_js
    site.sign_in(people["admin"].phone)
    site.visit("/admin/people/")
    site.follow("/admin/activity-types/")
    site.page.fill("#f-slug", "x")
    site.page.fill("#f-name", "مراقبت در خانه")
    site.submit("/admin/activity-types/")
    assert site.page.get_attribute("#f-slug", "aria-invalid") == "true"
    assert site.page.input_value("#f-name") == "مراقبت در خانه"
    site.page.fill("#f-slug", "home_care")
    site.submit("/admin/activity-types/")
    added = models.ActivityType.get(models.ActivityType.slug == "home_care")
    with models.db.atomic():
        added.delete_instance()
