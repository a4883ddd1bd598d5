"""The kiosk in Chromium. A slow typist is kept for three minutes, with and
without JavaScript (real time, production limits); with JavaScript the "still
there?" dialog comes, a touch dismisses it, and an idle kiosk finds its start
page; without it, a form's page says it waits five minutes and the big number
pad types by posting the form. A kiosk left idle returns to its start page,
Back shows nothing of the previous person, and no staff page opens. The page
fills a portrait 1080 × 1920 screen. axe-core scans every page visited."""

import datetime
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, centers
from tests.factories import activity, make_post

pytestmark = pytest.mark.browser

SECONDS_BETWEEN_KEYS = 10
KEYSTROKES = 18  # three minutes


@pytest.fixture
def center(people, places):
    item = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


def become_kiosk(site, live_server, center, staff):
    """This browser holds a kiosk's cookie, as after staff made it the center's kiosk."""
    token = centers.make_kiosk(center, "پایانهٔ ورودی", staff)
    site.page.context.add_cookies([{"name": "kiosk", "value": token, "url": live_server}])


def another_site(site, live_server):
    """One more browser with scripts, in the same Chromium (a second kiosk)."""
    context = site.page.context.browser.new_context(
        base_url=live_server, viewport={"width": 360, "height": 740}, locale="fa-IR"
    )
    context.set_default_timeout(10000)
    return type(site)(context.new_page(), scanner=None)


def value(site, field):
    return site.page.input_value(f"#f-{field}")


def send(site, last_field):
    """Enter in the form's last field sends it, as the form's own button does."""
    with site.page.expect_navigation():
        site.page.press(f"#f-{last_field}", "Enter")
    site.check()


def path_of(site):
    return urlsplit(site.page.url).path


def dialog_open(site):
    return site.page.evaluate("document.getElementById('kiosk-still').open")


@pytest.mark.timeout(420)
def test_a_slow_typist_is_kept_for_three_minutes_then_an_idle_kiosk_starts_again(
    site, site_without_js, live_server, people, center
):
    """Real time and the production limits (two minutes idle, five on a form
    without the script): a keystroke or a touch every ten seconds for three
    minutes in three kiosks at once. With the script, the sign-up form, and a
    member touching their own page (which, without the script, would have gone
    back to the start at two minutes: the Refresh header is cancelled, and the
    script's signs keep the server from forgetting them); without it, the
    sign-up form, which waits five minutes. Then the scripted kiosk is left
    alone: the browser's clock is moved on (the server's need not: the script
    itself goes back to the start), the dialog comes, a touch dismisses it, and
    then the start page."""
    staff = people["center_staff"]
    scripted, plain, member = site, site_without_js, another_site(site, live_server)
    for kiosk in (scripted, plain, member):
        become_kiosk(kiosk, live_server, center, staff)
    scripted.page.clock.install()

    scripted.visit("/account/sign-up")
    assert scripted.page.is_hidden("#kiosk-note") and scripted.page.is_visible("#kiosk-note-js")
    assert "۲ دقیقه" in scripted.page.inner_text("#kiosk-note-js")
    response = plain.visit("/account/sign-up")
    assert response.headers["refresh"] == "300; url=/kiosk/"
    assert "۵ دقیقه" in plain.page.inner_text("#kiosk-note")  # without the script, the form's page says 5 minutes
    member.visit("/kiosk/me")  # their own page asks for the number and PIN first
    member.fill("phone", people["resident"].phone)
    member.fill("pin", "2580")
    send(member, "pin")
    assert path_of(member) == "/kiosk/me"

    name, plain_typing = "پروین", "پروین اعتصامی09125"
    scripted.page.focus("#f-name")
    plain.page.focus("#f-name")
    started = time.monotonic()
    for step in range(KEYSTROKES):
        scripted.page.wait_for_timeout(SECONDS_BETWEEN_KEYS * 1000)
        # With the script: the name on the keyboard, then the phone on the big keys (one erased and typed again).
        if step < len(name):
            scripted.page.keyboard.type(name[step])
        else:
            digit = "09125556677"[step - len(name)] if step - len(name) < 11 else ("back" if step == 16 else "7")
            scripted.page.click(f"#f-phone-pad button[value='phone:{digit}']")
        # Without it: the keyboard, which tells the server nothing.
        if step == plain_typing.index("0"):
            plain.page.focus("#f-phone")
        plain.page.keyboard.type(plain_typing[step])
        member.page.click("main h1")  # a touch on the page's text
    assert time.monotonic() - started >= 180

    # Three minutes on: every page is where it was, with all that was typed.
    assert path_of(scripted) == "/account/sign-up" and not dialog_open(scripted)
    assert (value(scripted, "name"), value(scripted, "phone")) == ("پروین", "09125556677")
    assert path_of(plain) == "/account/sign-up"
    assert (value(plain, "name"), value(plain, "phone")) == ("پروین اعتصامی", "09125")
    assert path_of(member) == "/kiosk/me"

    # The member, still signed in on the server, opens their messages.
    member.follow("/inbox/")
    assert path_of(member) == "/inbox/"
    member.page.context.close()

    # Without the script, the big keys post the form and it comes back with the digit, the name kept.
    for digit in "556677":
        with plain.page.expect_navigation():
            plain.page.click(f"#f-phone-pad button[value='phone:{digit}']")
    plain.check()
    assert (value(plain, "name"), value(plain, "phone")) == ("پروین اعتصامی", "09125556677")
    plain.page.click("#f-pin-pad summary")
    for digit in "2468":
        with plain.page.expect_navigation():
            plain.page.click(f"#f-pin-pad button[value='pin:{digit}']")
    assert value(plain, "pin") == "2468" and "2468" not in plain.page.url
    plain.check()
    plain.page.fill("#f-pin_again", "2468")
    send(plain, "pin_again")
    assert "/account/sign-up/" in plain.page.url  # the code's page: the server had not forgotten them

    # With the script, the PIN on the big keys, then the form is sent: the server had not forgotten them either.
    scripted.page.focus("#f-pin")
    assert scripted.page.is_visible("#f-pin-pad button[value='pin:2']")  # the chosen field's pad opens
    for digit in "2468":
        scripted.page.click(f"#f-pin-pad button[value='pin:{digit}']")
    scripted.page.focus("#f-pin_again")
    scripted.page.keyboard.type("2468")
    send(scripted, "pin_again")
    assert "/account/sign-up/" in scripted.page.url

    # Left alone: at 100 seconds the dialog asks, with the focus in it, in Persian digits.
    scripted.page.focus("#f-code")
    scripted.page.clock.fast_forward("01:41")
    scripted.page.wait_for_selector("#kiosk-still[open]")
    assert scripted.page.evaluate("document.activeElement.closest('dialog') !== null")
    left = persian.whole_number(scripted.page.inner_text("#kiosk-count"))
    assert 0 < left < 20 and scripted.page.inner_text("#kiosk-count")[0] in "۰۱۲۳۴۵۶۷۸۹"
    scripted.check()  # axe, with the dialog open
    scripted.screenshot("kiosk-still-there-360")
    # A touch anywhere dismisses it, and the focus goes back where it was.
    scripted.page.mouse.click(5, 5)
    assert not dialog_open(scripted)
    expect(scripted.page.locator("#f-code")).to_be_focused()
    assert "/account/sign-up/" in scripted.page.url
    # Two more minutes without a touch: the start page, and the guest forgotten.
    scripted.page.clock.fast_forward("02:01")
    scripted.page.wait_for_url("**/kiosk/")
    scripted.check()
    assert "مرکز مثبت زندگی تجریش" in scripted.page.inner_text("h1")


def test_the_kiosk_fills_a_portrait_screen_and_its_keys_are_big_and_keyboard_operable(
    site, live_server, people, center
):
    become_kiosk(site, live_server, center, people["center_staff"])
    site.page.set_viewport_size({"width": 1080, "height": 1920})
    site.visit("/kiosk/")
    site.screenshot("kiosk-start-1080x1920")
    layout = site.page.evaluate(
        """() => {
          const last = document.querySelector('main .choices li:last-child').getBoundingClientRect();
          return {
            choicesBottom: last.bottom, height: innerHeight, scroll: document.documentElement.scrollHeight,
            font: parseFloat(getComputedStyle(document.documentElement).fontSize),
            choice: document.querySelector('.big-choice').getBoundingClientRect().height,
          };
        }"""
    )
    # No empty half-screen: the choices reach down the screen, and the page is one screen tall.
    assert layout["choicesBottom"] > 0.6 * layout["height"], layout
    assert layout["scroll"] <= layout["height"] + 1, layout
    assert layout["font"] >= 32 and layout["choice"] >= 200, layout

    site.visit("/account/sign-in")
    site.screenshot("kiosk-sign-in-1080x1920")
    keys = site.page.eval_on_selector_all(
        "#f-phone-pad .key", "keys => keys.map(k => [k.textContent, k.getBoundingClientRect().height])"
    )
    assert [text for text, _ in keys] == [*"۱۲۳۴۵۶۷۸۹", "پاک کردن همه", "۰", "پاک کردن یکی"]
    assert min(height for _, height in keys) >= 80
    # Keyboard alone: Tab to the keys, Enter and Space type; the focus stays on the key.
    site.page.focus("#f-phone")
    site.page.keyboard.press("Tab")
    assert site.page.evaluate("document.activeElement.tagName") == "SUMMARY"
    site.page.keyboard.press("Tab")
    site.page.keyboard.press("Enter")
    site.page.keyboard.press("Tab")
    site.page.keyboard.press("Space")
    assert value(site, "phone") == "12"
    assert site.page.evaluate("document.activeElement.value") == "phone:2"
    site.check()

    # A member signs in there and checks in to today's program at the center.
    noon = persian.tehran_time(models.utcnow()).replace(hour=12, minute=0, second=0, microsecond=0)
    program = models.Program.create(
        center=center,
        title="کلاس خوشنویسی",
        activity_type=activity("education"),
        starts_at=noon.astimezone(datetime.UTC).replace(tzinfo=None),
        capacity=10,
        created_by=people["center_staff"],
        form_key="calligraphy",
    )
    models.ProgramSignup.create(program=program, user=people["resident"], status="confirmed")
    site.visit("/kiosk/me")
    site.fill("phone", people["resident"].phone)
    site.fill("pin", "2580")
    send(site, "pin")
    assert path_of(site) == "/kiosk/me" and "کلاس خوشنویسی" in site.text()
    site.screenshot("kiosk-me-1080x1920")
    with site.page.expect_navigation():
        site.page.click("form[action='/kiosk/check-in'] button")
    site.check()
    assert "حضور شما در «کلاس خوشنویسی» ثبت شد" in site.text()
    assert models.ProgramSignup.get(program=program).checked_in_at is not None


@pytest.fixture
def short_idle(app):
    """Limits of seconds, for the refresh without the script: the same code
    path (the header and the server's deadline read the configuration);
    production's own values are asserted in tests/test_kiosk.py."""
    app.config.update(KIOSK_IDLE_SECONDS=3, KIOSK_FORM_SECONDS=6)
    yield 3
    app.config.update(KIOSK_IDLE_SECONDS=120, KIOSK_FORM_SECONDS=300)


def test_an_idle_kiosk_forgets_the_person_and_refuses_staff_pages(site_without_js, people, places, short_idle):
    site = site_without_js
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    make_post(people["resident"], places["Tajrish"], "کمک برای بردن کیسهٔ برنج به خانه")
    their_request = activity("errands").name

    site.sign_in(people["center_staff"].phone)
    site.visit(f"/kiosk/centers/{center.id}")
    site.submit(f"/kiosk/centers/{center.id}")
    assert site.page.url.endswith("/kiosk/")
    site.screenshot("kiosk-start-360")

    # A neighbor checks "my requests" with their number and PIN.
    site.follow("/simple/mine")
    site.fill("phone", people["resident"].phone)
    site.fill("pin", "2580")
    send(site, "pin")
    site.visit("/simple/mine")
    assert site.page.url.endswith("/simple/mine") and their_request in site.text()

    # Left alone, the kiosk goes back to its start page by itself (the Refresh header).
    site.page.wait_for_url("**/kiosk/", timeout=(short_idle + 5) * 1000)
    site.check()
    # Back shows nothing of them: the page is fetched again, and nobody is signed in.
    site.page.go_back()
    site.page.wait_for_load_state("load")
    assert their_request not in site.text()
    assert "/account/sign-in" in site.page.url or site.page.url.endswith("/kiosk/")

    # A page with a form waits longer, and also goes back to the start.
    site.visit("/account/sign-up")
    site.fill("name", "پروین")
    site.page.wait_for_url("**/kiosk/", timeout=(6 + 5) * 1000)

    # A staff member's page, typed in, is refused, whoever signs in.
    site.page.goto("/account/sign-in")
    site.fill("phone", people["admin"].phone)
    site.fill("pin", "2580")
    send(site, "pin")
    for path in ("/registry/", "/hq/", "/desk/"):
        assert site.page.goto(path).status == 403
    site.check()
