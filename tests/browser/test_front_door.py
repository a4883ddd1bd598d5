"""Issue 20's front door, as a senior meets it: Chromium on a 320 × 640 screen,
the largest text, JavaScript off. Every tap (a click on a link or a button)
from `/` to a sent request is counted; typing into a field is no tap. Each
page reached passes axe-core, 7:1 contrast and no sideways scrolling (the
Site object), and the send button is on the screen without scrolling."""

import pytest

import models
from tests.factories import sent_code

pytestmark = pytest.mark.browser
SCREEN = {"width": 320, "height": 640}
GUEST_PHONE = "09125550303"
MOST_TAPS = 5
# Every control on the simple pages: a Persian name and a target of 48 × 48 px at least (AAA).
SMALL_OR_NAMELESS = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('main a[href], main button, main input:not([type=hidden]), header a')) {
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    const name = (el.getAttribute('aria-label') || el.innerText || label || '').trim();
    if (!/[\\u0600-\\u06FF]/.test(name)) problems.push('no Persian name: ' + el.outerHTML.slice(0, 80));
    const box = el.getBoundingClientRect();
    if (box.height < 48 || box.width < 48) problems.push(`small: ${name} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return problems;
}"""


class Taps:
    """Clicks on links and buttons, each one counted, each page checked."""

    def __init__(self, site):
        self.site, self.count = site, 0

    def tap(self, selector):
        target = self.site.page.locator(selector)
        assert target.count() == 1, f"{selector} on {self.site.page.url}"
        assert target.evaluate("el => el.matches('a[href], button')"), f"{selector} is no link or button"
        self.count += 1
        with self.site.page.expect_navigation():
            target.click()
        self.site.check()
        if "/simple/" in self.site.page.url:
            assert self.site.page.evaluate(SMALL_OR_NAMELESS) == [], self.site.page.url


def on_a_small_phone(site):
    site.page.set_viewport_size(SCREEN)


def choose_the_largest_text(site, high_contrast=False):
    """As a guest, from any page's footer (not counted: it is no part of asking)."""
    site.visit("/")
    with site.page.expect_navigation():
        site.page.click("footer a[href^='/preferences']")
    site.check()
    site.page.check("input[name=text_size][value='2']")
    if high_contrast:
        site.page.check("input[name=high_contrast][value='1']")
    site.submit("/preferences")
    assert font_size(site) == "30px"


def font_size(site):
    return site.page.evaluate("getComputedStyle(document.documentElement).fontSize")


def in_view_without_scrolling(site, selector):
    """The control is wholly on the screen as the page opens (nothing scrolled)."""
    assert site.page.evaluate("window.scrollY") == 0
    box = site.page.locator(selector).bounding_box()
    assert box is not None and box["y"] >= 0, selector
    bottom = box["y"] + box["height"]
    height = site.page.evaluate("document.documentElement.scrollHeight")
    assert bottom <= SCREEN["height"], (
        f"{selector} ends at {bottom:.0f} px, below the fold; the page is {height} px tall"
    )
    return bottom, height


def test_a_guest_asks_for_help_in_five_taps_typing_only_a_number_and_its_code(site_without_js, live_server, places):
    site = site_without_js
    on_a_small_phone(site)
    # A guest who told the site where they live (the home page's search keeps it in a cookie).
    site.page.context.add_cookies([{"name": "hood", "value": str(places["Tajrish"].id), "url": live_server}])
    choose_the_largest_text(site, high_contrast=True)
    taps = Taps(site)
    site.visit("/")
    in_view_without_scrolling(site, "main a.big-choice[href='/simple/need']")
    taps.tap("main a.big-choice[href='/simple/need']")  # I need help
    taps.tap("main a.big-choice[href*='type=errands']")  # shopping and errands
    taps.tap("main a.big-choice[href*='when=today']")  # today
    site.fill("phone", "۰۹۱۲۵۵۵۰۳۰۳")
    taps.tap("main button[name=reach][value=phone]")  # call my phone: the code goes out
    site.fill("code", sent_code(GUEST_PHONE))
    bottom, height = in_view_without_scrolling(site, "main form button[type=submit]")
    print(f"guest's send page: button ends at {bottom:.0f} px of a {height} px page")
    site.screenshot("front-door-guest-code-320-largest-nojs")
    taps.tap("main form button[type=submit]")  # yes, send it
    assert taps.count <= MOST_TAPS, taps.count
    post = models.HelpPost.get()
    owner = models.User.by_phone(GUEST_PHONE)
    assert (post.author_id, post.neighborhood_id, post.urgency, post.reach_by) == (
        owner.id,
        places["Tajrish"].id,
        2,
        "phone",
    )
    # The size and contrast chosen as a guest are the new account's, and this browser is signed in to it.
    assert (owner.text_size, owner.high_contrast) == (2, True) and font_size(site) == "30px"
    assert site.page.evaluate("document.documentElement.className") == "ts2 hc"
    assert "درخواست شما فرستاده شد" in site.text()
    site.visit("/simple/mine")
    assert "در انتظار پاسخ همسایه‌ها" in site.text()


def test_a_guest_asks_to_be_called_back_in_two_taps(site_without_js, places):
    site = site_without_js
    on_a_small_phone(site)
    choose_the_largest_text(site)
    taps = Taps(site)
    site.visit("/")
    taps.tap("main a.big-choice[href='/simple/call-me']")  # call me back
    site.fill("phone", "۰۹۱۲۵۵۵۰۳۰۴")
    taps.tap("main form button.big-choice[type=submit]")  # call me back: sent
    assert taps.count == 2
    assert models.CallbackRequest.get().phone == "09125550304"


def test_a_member_keeps_the_guests_size_at_sign_in_and_asks_in_five_taps(site_without_js, people, places):
    site = site_without_js
    on_a_small_phone(site)
    resident = people["resident"]
    assert resident.text_size == 0
    choose_the_largest_text(site)
    site.sign_in(resident.phone)
    assert font_size(site) == "30px", "the size chosen as a guest survives sign-in"
    assert models.User.get_by_id(resident.id).text_size == 2, "and is saved to the account"
    taps = Taps(site)
    site.visit("/")
    taps.tap("main a.big-choice[href='/simple/need']")
    taps.tap("main a.big-choice[href*='type=errands']")
    taps.tap("main a.big-choice[href*='when=today']")
    taps.tap("main a.big-choice[href*='reach=phone']")
    bottom, height = in_view_without_scrolling(site, "main form button[type=submit]")
    print(f"member's send page: button ends at {bottom:.0f} px of a {height} px page")
    site.screenshot("front-door-member-check-320-largest-nojs")
    taps.tap("main form button[type=submit]")
    assert taps.count <= MOST_TAPS, taps.count
    assert models.HelpPost.get().author_id == resident.id
    assert "درخواست شما فرستاده شد" in site.text()


def test_a_simple_mode_member_starts_on_the_simple_pages_and_answers_an_offer_there(site_without_js, people, places):
    from hamsayeh.domain import board
    from tests.factories import make_post

    site = site_without_js
    on_a_small_phone(site)
    resident = people["resident"]
    models.User.update(simple_mode=True, text_size=2).where(models.User.id == resident.id).execute()
    answer = board.respond_to_post(make_post(resident, places["Tajrish"]), people["volunteer"])
    site.sign_in(resident.phone)
    site.visit("/")
    assert site.page.url.endswith("/simple/")
    assert "پیام‌ها (۱ جدید)" in site.text()
    site.visit("/simple/mine")
    assert "کاربر volunteer پیشنهاد داده که به شما کمک کند." in site.text()
    site.screenshot("front-door-my-requests-offer-320-largest-nojs")
    site.submit(f"/simple/mine/answers/{answer.id}/accept")
    assert "کاربر volunteer برای کمک به شما می‌آید." in site.text()
    assert models.HelpResponse.get_by_id(answer.id).status == "accepted"
