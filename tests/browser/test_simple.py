"""The simple pages as a senior meets them: Chromium at 360 px, the largest text,
no JavaScript, and only the keyboard. Every page passes axe-core, 7:1 contrast
(AAA) and no sideways scrolling (the Site object checks each page), every
control has a Persian name and a target of at least 44 px."""

import pytest

import models
from hamsayeh.domain import accounts, acting, timebank

pytestmark = pytest.mark.browser

NAMES_AND_TARGETS = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select')) {
    if (el.closest('[lang=en]') || el.getAttribute('lang') === 'en') continue;
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    const name = (el.getAttribute('aria-label') || el.innerText || label || '').trim();
    if (!/[\\u0600-\\u06FF]/.test(name)) problems.push('no Persian name: ' + el.outerHTML.slice(0, 80));
    const box = el.getBoundingClientRect();
    const small = el.type === 'radio' || el.type === 'checkbox' ? el.closest('label') : el;
    const target = small.getBoundingClientRect();
    if (box.width && (target.height < 44 || target.width < 44)) problems.push('small target: ' + name + ' ' + Math.round(target.width) + 'x' + Math.round(target.height));
  }
  return problems;
}"""


def keyboard_choose(site, words):
    """Tab to the control whose text has `words`, then press Enter: no mouse."""
    for _ in range(40):
        site.page.keyboard.press("Tab")
        focused = site.page.evaluate("document.activeElement.innerText || ''")
        if words in focused:
            with site.page.expect_navigation():
                site.page.keyboard.press("Enter")
            check(site)
            return
    raise AssertionError(f"no control with {words!r} reachable by Tab on {site.page.url}")


def check(site):
    site.check()
    assert site.page.evaluate(NAMES_AND_TARGETS) == []


def test_a_senior_asks_for_help_with_the_keyboard_alone_and_no_javascript(site_without_js, live_server, people, places):
    site = site_without_js
    senior = people["resident"]
    models.User.update(simple_mode=True, text_size=2).where(models.User.id == senior.id).execute()
    site.page.context.add_cookies([{"name": "prefs", "value": "t2c0s1", "url": live_server}])
    site.sign_in(senior.phone)
    assert site.page.url.endswith("/simple/")
    check(site)
    assert site.page.evaluate("getComputedStyle(document.documentElement).fontSize") == "30px"
    keyboard_choose(site, "کمک می‌خواهم")  # 1
    keyboard_choose(site, "خرید و کارهای بیرون")  # 2
    keyboard_choose(site, "امروز")  # 3
    keyboard_choose(site, "به تلفنم زنگ بزنید")  # 4
    site.screenshot("simple-check-fa-largest-nojs")
    keyboard_choose(site, "بله، بفرست")  # 5
    post = models.HelpPost.get()
    assert (post.author_id, post.urgency, post.activity_type.slug) == (senior.id, 2, "errands")
    site.screenshot("simple-sent-fa-largest-nojs")
    for path in ("/simple/mine", "/simple/near", "/simple/call-me", "/simple/help-out"):
        site.visit(path)
        check(site)
    site.page.context.clear_cookies()
    site.sign_in(people["volunteer"].phone)
    site.visit("/board/")
    assert "خرید و کارهای بیرون" in site.text()


def test_a_guest_listens_and_asks_to_be_called_back(site, people, places):
    site.visit("/simple/")
    check(site)
    audio = site.page.request.get(site.page.get_attribute("a.listen", "href"))
    assert audio.ok and audio.headers["content-type"] == "audio/ogg" and audio.body()[:4] == b"OggS"
    site.follow("/simple/call-me")
    check(site)
    site.fill("phone", "۰۹۱۲۱۲۳۴۵۶۷")
    site.submit("/simple/call-me")
    check(site)
    assert models.CallbackRequest.get().phone == "09121234567"
    site.screenshot("simple-called-fa")
    site.sign_in(people["facilitator"].phone)
    site.visit("/desk/calls")
    assert "۰۹۱۲۱۲۳۴۵۶۷" in site.text()
    site.submit(f"/desk/calls/{models.CallbackRequest.get().id}")
    assert models.CallbackRequest.get().status == "called"


def test_a_relative_acts_for_a_senior_and_stops(site_without_js, people, places):
    site = site_without_js
    senior = people["resident"]
    son = accounts.create_user("09120000400", "پسر خانم", "2580", neighborhood=places["Niavaran"])
    acting.add_trusted_helper(senior, son)
    site.sign_in(son.phone)
    site.visit("/account/")  # a full page: checked by the Site object (AA), not for AAA targets
    site.submit(f"/account/act/{senior.id}")
    assert "به جای کاربر resident" in site.text()
    site.screenshot("acting-fa-nojs")
    site.submit("/account/act/stop")
    assert "به جای کاربر resident کار می‌کنید" not in site.text()


def test_the_desk_gives_a_new_pin_and_a_neighbor_signs_up_to_help(site_without_js, people, places):
    site = site_without_js
    resident = people["resident"]
    site.sign_in(people["facilitator"].phone)
    site.visit("/desk/")
    site.fill("phone", resident.phone)
    site.submit("/desk/")
    site.submit(f"/desk/{resident.id}/pin")
    assert "رمز تازه" in site.text()
    site.page.context.clear_cookies()
    accounts.change_pin(models.User.get_by_id(resident.id), "2580")
    site.sign_in(resident.phone)
    site.visit("/simple/help-out/days?type=food")
    check(site)
    site.page.click("button[name=days][value=weekend]")
    site.page.wait_for_load_state("load")
    check(site)
    assert models.VolunteerProfile.get(models.VolunteerProfile.user == resident).weekdays == 0b1100000


def test_center_staff_send_the_centers_hours(site, people, places):
    staff = people["center_staff"]
    staff.work_center = models.Center.create(area=places["District 1"], name="مرکز مثبت زندگی تجریش")
    staff.save()
    site.sign_in(staff.phone)
    site.visit("/time/center/send")
    site.fill("phone", people["volunteer"].phone)
    site.fill("minutes", "۶۰")
    site.fill("reason", "سپاس برای برنامهٔ کتاب‌خوانی")
    site.submit("/time/center/send")
    with site.page.expect_navigation():  # the confirmation, by number only
        site.page.click("button[name=confirmed]")
    site.check()
    assert timebank.member_account(people["volunteer"]).balance == 60
