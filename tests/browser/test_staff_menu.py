"""Staff pages on the narrowest phones (issue 21): at 320 and 360 px no page
of a center's staff or of a member with many roles scrolls sideways, the
header is one row with the staff's menu closed, and the menu (a disclosure
that needs no script) opens from the keyboard and its links work. Residents,
with few links, keep the plain row. axe-core scans every page visited."""

import re

import pytest

import models
from hamsayeh.domain import accounts, network, timebank
from tests.factories import person

pytestmark = pytest.mark.browser

WIDTHS = (320, 360)
PERSIAN = re.compile("[\u0600-\u06ff]")
# The header's visible parts, and whether they share one row (every part
# starts above the bottom of every other).
HEADER = """() => {
  const parts = [...document.querySelectorAll('header.top .wrap > *')].filter((e) => e.getClientRects().length);
  const boxes = parts.map((e) => e.getBoundingClientRect());
  const oneRow = Math.max(...boxes.map((b) => b.top)) < Math.min(...boxes.map((b) => b.bottom));
  return {parts: parts.map((e) => e.tagName.toLowerCase()), oneRow};
}"""
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def staff(people, places):
    """A center with members who use the time bank (long names, long
    durations), its staff member, and a member with many roles who works
    there, facilitates, answers calls and runs headquarters."""
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش", address="میدان تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    many = person("09129990001", "حسین کریمی‌نژاد", neighborhood=places["Tajrish"])
    roles = ("resident", "volunteer", "facilitator", "center_staff", "social_worker", "admin")
    accounts.set_roles(many, roles, people["admin"])
    accounts.set_work_center(many, center, people["admin"])
    volunteer = timebank.member_account(people["volunteer"])
    for index in range(3):
        name = f"عضو بسیار طولانی‌نام شمارهٔ {index} از محلهٔ تجریش"
        member = person(f"0912999100{index}", name, neighborhood=places["Tajrish"])
        timebank.transfer(timebank.member_account(member), volunteer, 125 + index, member, reason="سپاس")
    network.propose_idea(people["resident"], places["Tajrish"], "کتابخانهٔ کوچک پارک", "قفسهٔ کتاب", "", "idea-1")
    return {"center": center, "staff": people["center_staff"], "many": many, "account": volunteer}


def staff_pages(staff, who):
    center, account = staff["center"].id, staff["account"].id
    pages = [
        "/time/center",
        f"/time/accounts/{account}",
        "/time/center/send",
        "/desk/",
        "/desk/calls",
        f"/centers/{center}",
        f"/centers/{center}/cards",
        f"/kiosk/centers/{center}",
        "/facilitators/",
        "/time/",
        "/inbox/",
    ]
    if who == "many":
        pages += ["/hq/", "/admin/people/", "/ideas/review", "/stories/", "/channel/problems", "/admin/activity-types/"]
    return pages


@pytest.mark.parametrize("who", ["staff", "many"])
def test_no_staff_page_scrolls_sideways_and_the_header_is_one_row(site, staff, who):
    site.sign_in(staff[who].phone)
    for width in WIDTHS:
        site.page.set_viewport_size({"width": width, "height": 740})
        for path in staff_pages(staff, who):
            assert site.visit(path).status == 200, path
            assert site.page.evaluate(SIDEWAYS) <= 0, f"{path} scrolls sideways at {width}px"
            header = site.page.evaluate(HEADER)
            assert header == {"parts": ["a", "details"], "oneRow": True}, (path, width, header)


def test_the_center_accounts_do_not_scroll_sideways_at_320px_with_the_largest_text(site, staff):
    accounts.update_profile(staff["staff"], text_size=2)
    site.page.set_viewport_size({"width": 320, "height": 740})
    site.sign_in(staff["staff"].phone)
    site.visit("/time/center")
    # The table's numbers wrap between their words rather than push the page wider.
    assert site.page.evaluate(SIDEWAYS) <= 0
    site.screenshot("staff-center-accounts-320-largest-text")


def tab_to(site, selector, most=40):
    """Press Tab until the element `selector` has the focus."""
    for _ in range(most):
        site.page.keyboard.press("Tab")
        if site.page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} never got the focus")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_staff_menu_opens_from_the_keyboard_and_its_links_work(request, staff, javascript, width):
    site = request.getfixturevalue("site" if javascript else "site_without_js")
    site.page.set_viewport_size({"width": width, "height": 740})
    site.sign_in(staff["many"].phone)
    site.visit("/board/")
    assert not site.page.is_visible("header nav")
    summary = site.page.locator("header summary")
    assert PERSIAN.search(summary.inner_text()) and summary.bounding_box()["height"] >= 48

    tab_to(site, "header summary")
    focus = site.page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert focus[0] == "solid" and focus[1] >= 2
    site.page.keyboard.press("Enter")
    assert site.page.get_attribute("header details", "open") is not None
    site.check()  # axe, contrast and sideways scrolling with the menu open
    site.screenshot(f"staff-menu-open-{width}-{'js' if javascript else 'nojs'}")
    links = site.page.evaluate(
        "[...document.querySelectorAll('header nav a, header nav button')].map((e) => {"
        " const r = e.getBoundingClientRect(); return [r.left, r.right, r.width, r.height, e.innerText.trim()]; })"
    )
    assert len(links) > 7
    for left, right, link_width, height, name in links:
        assert left >= 0 and right <= width and link_width >= 48 and height >= 48, (name, left, right, height)
        assert PERSIAN.search(name), name

    tab_to(site, "header nav a[href='/time/center']")
    with site.page.expect_navigation():
        site.page.keyboard.press("Enter")
    site.check()
    assert site.page.url.endswith("/time/center")
    assert site.page.inner_text("h1") == "حساب‌های زمان اعضای مرکز"
    # The page it opens has the menu closed again.
    assert not site.page.is_visible("header nav")


def test_a_resident_keeps_the_plain_row_of_links(site, people):
    site.page.set_viewport_size({"width": 360, "height": 740})
    site.sign_in(people["resident"].phone)
    site.visit("/board/")
    assert site.page.locator("header details").count() == 0
    assert site.page.is_visible("header nav a[href='/time/']")
