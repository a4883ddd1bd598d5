"""A center's kiosk: made once by staff, bound to the center, refusing every
page but its own, forgetting each person (two minutes without a touch, five on
a page to fill in without the script, never while the script reports
activity), a number pad that works without JavaScript and leaks no PIN, a
member's own page and check-in to today's programs, and switched off by staff."""

import datetime
import re

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, centers, network, timebank
from hamsayeh.views import kiosk
from tests.conftest import csrf_token, sign_in, submit
from tests.factories import activity, make_post, person, sent_code
from tests.pages import check_page


@pytest.fixture
def center(people, places):
    item = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


@pytest.fixture
def terminal(client, center, people):
    """A kiosk of the center, made in this client as staff make one, nobody signed in."""
    make_kiosk(client, center, people["center_staff"])
    return client


def make_kiosk(client, center, staff):
    sign_in(client, staff.phone)
    page = f"/kiosk/centers/{center.id}"
    check_page(client.get(page))
    response = submit(client, page, page, {"name": "پایانهٔ ورودی"})
    assert response.status_code == 302 and response.location == "/kiosk/"
    assert client.get_cookie(kiosk.COOKIE) is not None
    return models.Kiosk.get()


def idle_for(client, seconds):
    """As if nobody had touched the kiosk for `seconds` since its last request."""
    with client.session_transaction() as state:
        state["kiosk_seen"] -= seconds


def refresh_of(response):
    return response.headers["Refresh"]


def test_staff_make_a_kiosk_which_shows_only_its_own_pages(client, people, center):
    made = make_kiosk(client, center, people["center_staff"])
    assert made.token_hash != client.get_cookie(kiosk.COOKIE).value  # only its hash is kept
    response = client.get("/kiosk/")
    html = check_page(response, budget=8 * 1024)
    assert response.headers["Cache-Control"] == "no-store"
    assert refresh_of(response) == "120; url=/kiosk/" and "مرکز مثبت زندگی تجریش" in html
    assert "۲ دقیقه" in html  # the time limit is announced on every kiosk page
    assert "کاربر center_staff" not in html  # the staff member was signed out on the terminal
    for path in ("/simple/", "/simple/need", "/simple/call-me", "/account/sign-in", f"/centers/{center.id}"):
        assert client.get(path).status_code in (200, 302), path
    # Even an administrator who signs in at the kiosk reaches no other page.
    sign_in(client, people["admin"].phone)
    for path in ("/registry/", "/desk/", "/hq/", "/people/", "/time/", "/account/", f"/kiosk/centers/{center.id}"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "این صفحه در کیوسک نشان داده نمی‌شود" in refused.get_data(as_text=True)
        assert refused.headers["Refresh"] == "120; url=/kiosk/"  # a refused page goes back to the start too
    # Where signing in leads: their own page, not the start (which forgets them).
    assert client.get("/").location == "/kiosk/me"
    submit(client, "/kiosk/", "/kiosk/done", {})
    assert client.get("/").location == "/kiosk/"  # where signing out leads
    assert client.post("/people/", data={}).status_code in (400, 403)


def test_the_kiosk_forgets_a_person_when_idle_or_finished(app, client, people, places, center):
    make_kiosk(client, center, people["center_staff"])
    make_post(people["resident"], places["Tajrish"], "کمک برای بردن کیسهٔ برنج به خانه")
    sign_in(client, people["resident"].phone)
    mine = client.get("/simple/mine")
    html = check_page(mine, budget=8 * 1024)
    assert "/account/sign-in" not in html and mine.headers["Cache-Control"] == "no-store"
    # Two minutes without a touch on a page with nothing to fill in: the next request finds nobody signed in.
    idle_for(client, app.config["KIOSK_IDLE_SECONDS"] + 1)
    assert client.get("/simple/mine").status_code == 302
    sign_in(client, people["resident"].phone)
    assert submit(client, "/kiosk/", "/kiosk/done", {}).location == "/kiosk/"
    assert client.get("/simple/mine").status_code == 302
    # The start page forgets whoever was there, and the neighborhood a guest chose.
    sign_in(client, people["resident"].phone)
    client.set_cookie("hood", str(places["Bazaar"].id))
    client.get("/kiosk/")
    assert client.get("/simple/mine").status_code == 302
    assert client.get_cookie("hood") is None


def test_the_production_limits_and_what_each_page_announces(app, terminal):
    """The limits a browser test may shorten are asserted here, as production has them."""
    assert (kiosk.IDLE_SECONDS, kiosk.FORM_SECONDS, kiosk.WARNING_SECONDS, kiosk.PING_SECONDS) == (120, 300, 20, 30)
    assert app.config["KIOSK_IDLE_SECONDS"] == 120 and app.config["KIOSK_FORM_SECONDS"] == 300
    # A page with a field to fill in waits five minutes without the script, and says so; the
    # script's own sentence (two minutes without a touch) is there for it to show instead.
    form_page = terminal.get("/account/sign-up")
    html = check_page(form_page, budget=16 * 1024)
    assert refresh_of(form_page) == "300; url=/kiosk/"
    note = re.search(r'<p class="note" id="kiosk-note">(.*?)</p>', html).group(1)
    assert "۵ دقیقه" in note and "پر کنید" in note
    assert re.search(r'<p class="note" id="kiosk-note-js" hidden>[^<]*۲ دقیقه', html)
    # Pages without a field: two minutes, with or without the script.
    for path in ("/kiosk/", "/simple/", "/simple/need"):
        response = terminal.get(path)
        assert refresh_of(response) == "120; url=/kiosk/", path
        assert "kiosk-note-js" not in response.get_data(as_text=True)
    # The script's clock reads the same limits, and the dialog is in the page, closed.
    dialog = re.search(r"<dialog [^>]*>", html).group(0)
    for attribute in ('data-idle="120"', 'data-warn="20"', 'data-ping="30"', 'data-ping-url="/kiosk/still-here"'):
        assert attribute in dialog
    assert 'aria-labelledby="kiosk-still-title"' in dialog and " open" not in dialog
    assert "هنوز اینجا هستید؟" in html and '<span id="kiosk-count">۲۰</span>' in html


def test_the_script_is_served_by_this_site_deferred_and_only_at_a_kiosk(app, client, terminal):
    html = terminal.get("/account/sign-in").get_data(as_text=True)
    src = re.search(r'<script src="(/kiosk/script-[0-9a-f]{16}\.js)" defer></script>', html).group(1)
    script = terminal.get(src, headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"  # not the kiosk's no-store
    assert script.headers["Content-Encoding"] == "gzip"
    assert terminal.get("/kiosk/script-0000000000000000.js").status_code == 404
    assert "script-src 'self'" in terminal.get("/kiosk/").headers["Content-Security-Policy"]
    assert "<script>" not in html  # nothing inline
    elsewhere = app.test_client().get("/account/sign-in").get_data(as_text=True)
    assert "/kiosk/script-" not in elsewhere and "kiosk-still" not in elsewhere and "kiosk_key" not in elsewhere


def test_a_form_page_keeps_a_slow_guest_for_five_minutes_without_the_script(app, terminal):
    """Typing makes no request without the script: the form's page, and the
    server, wait five minutes from the page (the form token stays valid)."""
    terminal.get("/account/sign-up")
    idle_for(terminal, app.config["KIOSK_FORM_SECONDS"] - 10)
    data = {"name": "پروین اعتصامی", "phone": "09125556677", "pin": "2468", "pin_again": "2468"}
    with terminal.session_transaction() as state:
        token = state["csrf_token"]
    sent = submit(terminal, "/account/sign-up", "/account/sign-up", data)
    assert sent.status_code == 302 and sent.location.startswith("/account/sign-up/")
    with terminal.session_transaction() as state:
        assert state["csrf_token"] == token  # the same visit, not a forgotten one
    # Past the five minutes, the guest is forgotten: their form token with them.
    terminal.get("/account/sign-up")
    with terminal.session_transaction() as state:
        token = state["csrf_token"]
    idle_for(terminal, app.config["KIOSK_FORM_SECONDS"] + 1)
    terminal.get("/kiosk/")
    with terminal.session_transaction() as state:
        assert state.get("csrf_token") != token


def form_token(response):
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_the_scripts_signs_keep_an_active_member_and_come_too_late_after_the_limit(app, client, people, center):
    make_kiosk(client, center, people["center_staff"])
    sign_in(client, people["resident"].phone)
    page = client.get("/kiosk/me")
    assert refresh_of(page) == "120; url=/kiosk/"
    token, idle = form_token(page), app.config["KIOSK_IDLE_SECONDS"]
    # Someone touching the one page for almost seven minutes: the script's sign every 100 seconds keeps them.
    for _ in range(4):
        idle_for(client, idle - 20)
        assert client.post("/kiosk/still-here", data={"csrf_token": token}).status_code == 204
    assert client.get("/kiosk/me").status_code == 200  # still signed in
    # Without a sign, the limit forgets; a sign after it comes too late (205: back to the start).
    idle_for(client, idle + 1)
    assert client.post("/kiosk/still-here", data={"csrf_token": token}).status_code == 205
    assert client.get("/kiosk/me").status_code == 302
    # Without its form token the sign is refused; away from a kiosk there is nothing to sign.
    assert client.post("/kiosk/still-here").status_code == 400
    assert submit(app.test_client(), "/account/sign-in", "/kiosk/still-here", {}).status_code == 404


def press(client, page, key, **fields):
    """Press a key of the pad without the script: the whole form goes to the page's own address."""
    return client.post(page, data={"csrf_token": csrf_token(client, page), "kiosk_key": key, **fields})


def field_value(html, name):
    found = re.search(rf'<input id="f-{name}" name="{name}" type="[a-z]+"(?: value="([^"]*)")?', html)
    assert found, name
    return found.group(1) or ""


def test_the_number_pad_types_without_the_script_and_keeps_the_rest_of_the_form(terminal):
    html = check_page(terminal.get("/account/sign-up"), budget=16 * 1024)
    assert re.search(r'<details class="pad" id="f-phone-pad" open>', html)  # the first pad is open
    assert '<details class="pad" id="f-pin-pad">' in html
    assert 'formaction="/account/sign-up#f-phone"' in html and "۷</button>" in html  # Persian digits on the keys
    typed = {"name": "پروین اعتصامی", "phone": "0912555667", "pin": "", "pin_again": ""}
    page = press(terminal, "/account/sign-up", "phone:7", **typed)
    html = check_page(page, budget=16 * 1024)
    assert field_value(html, "phone") == "09125556677" and field_value(html, "name") == "پروین اعتصامی"
    assert '<details class="pad" id="f-phone-pad" open>' in html  # the pad just used stays open
    assert refresh_of(page) == "300; url=/kiosk/" and page.headers["Cache-Control"] == "no-store"
    # Digits typed in Persian, erase one, erase all.
    assert (
        field_value(press(terminal, "/account/sign-up", "phone:back", phone="۰۹۱۲").get_data(as_text=True), "phone")
        == "091"
    )
    assert (
        field_value(press(terminal, "/account/sign-up", "phone:clear", phone="0912").get_data(as_text=True), "phone")
        == ""
    )
    # Nothing was sent: no sign-up was asked for, no SMS.
    assert models.SmsMessage.select().count() == 0
    # A key that is not the pad's, or a field the form does not have, is refused.
    for key in ("phone:x", "nothing:1", "csrf_token:1"):
        assert press(terminal, "/account/sign-up", key, phone="0912").status_code == 400, key


def test_a_pin_typed_on_the_pad_never_shows_nor_stays_behind(app, terminal, people):
    """As an attacker at the kiosk after the person left: the PIN is in no
    address, shows only masked in its own field, and Back brings nothing."""
    sign_ins = models.AuditEntry.select().where(models.AuditEntry.action.startswith("signin."))
    tried = sign_ins.count()
    page = press(terminal, "/account/sign-in?next=/kiosk/me", "pin:5", phone=people["resident"].phone, pin="258")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<details class="pad" id="f-pin-pad" open>' in html
    assert re.search(r'<input id="f-pin" name="pin" type="password" value="2585"', html)
    assert html.count("2585") == 1  # only in the masked field: not in an address, a key, or a message
    assert "2585" not in page.headers.get("Location", "") and "?next=/kiosk/me" in html  # keys keep where to go
    assert 'formaction="/account/sign-in?next=/kiosk/me#f-pin"' in html
    # The request itself carried it in its body only; nothing was tried against the account.
    assert sign_ins.count() == tried
    # The person presses Finish. A replay of the key (Back, then "send again") opens nothing.
    replay = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)}
    submit(terminal, "/kiosk/", "/kiosk/done", {})
    again = terminal.post("/account/sign-in", data={**replay, "kiosk_key": "pin:5", "phone": "x", "pin": "258"})
    assert again.status_code == 400 and "258" not in again.get_data(as_text=True)


def test_after_a_refused_post_the_pad_still_posts_to_the_page_it_came_from(terminal, people):
    """A sign-in page shown again after a wrong PIN has the post's address; its keys keep where to go next."""
    token = csrf_token(terminal, "/account/sign-in?next=/kiosk/me")
    refused = terminal.post(
        "/account/sign-in",
        data={"csrf_token": token, "phone": people["resident"].phone, "pin": "1111", "next": "/kiosk/me"},
        headers={"Referer": "http://localhost/account/sign-in?next=/kiosk/me"},
    )
    assert refused.status_code in (200, 422)
    assert 'formaction="/account/sign-in?next=/kiosk/me#f-phone"' in refused.get_data(as_text=True)
    # The pad without the script, then the real button: the member is signed in and lands on their page.
    page = terminal.post(
        "/account/sign-in?next=/kiosk/me",
        data={"csrf_token": token, "kiosk_key": "pin:0", "phone": people["resident"].phone, "pin": "258"},
    )
    assert field_value(page.get_data(as_text=True), "pin") == "2580"
    signed_in = terminal.post(
        "/account/sign-in",
        data={"csrf_token": token, "phone": people["resident"].phone, "pin": "2580", "next": "/kiosk/me"},
    )
    assert signed_in.location == "/kiosk/me"


def today_at_noon():
    """Noon of today in Tehran, in the naive UTC the database keeps: always "today"."""
    noon = persian.tehran_time(models.utcnow()).replace(hour=12, minute=0, second=0, microsecond=0)
    return noon.astimezone(datetime.UTC).replace(tzinfo=None)


def program(center, staff, title, starts_at, capacity=10):
    return models.Program.create(
        center=center,
        title=title,
        activity_type=activity("education"),
        starts_at=starts_at,
        capacity=capacity,
        created_by=staff,
        form_key=title,
    )


def place(item, user, status="confirmed"):
    return models.ProgramSignup.create(program=item, user=user, status=status)


def test_a_member_checks_in_at_the_kiosk_to_todays_programs_only(app, client, people, places, center):
    staff, member = people["center_staff"], people["resident"]
    today = program(center, staff, "کلاس خوشنویسی", today_at_noon())
    tomorrow = program(center, staff, "کارگاه آشپزی", today_at_noon() + datetime.timedelta(days=1))
    elsewhere = program(
        models.Center.create(area=places["Bazaar"], name="مرکز بازار"), staff, "گردش بازار", today_at_noon()
    )
    waiting = program(center, staff, "کلاس ورزش", today_at_noon())
    for item in (today, tomorrow, elsewhere):
        place(item, member)
    place(waiting, member, status="waiting")
    neighbor = person("09129990000", "همسایهٔ دیگر")
    theirs = program(center, staff, "کلاس قرآن", today_at_noon())
    place(theirs, neighbor)

    make_kiosk(client, center, staff)
    assert client.get("/kiosk/me").location.startswith("/account/sign-in?next=/kiosk/me")
    sign_in(client, member.phone)
    html = check_page(client.get("/kiosk/me"), budget=8 * 1024)
    assert "کلاس خوشنویسی" in html
    for other in ("کارگاه آشپزی", "گردش بازار", "کلاس ورزش", "کلاس قرآن"):
        assert other not in html
    # Pressed twice (or from two screens): the first time stays.
    first = submit(client, "/kiosk/me", "/kiosk/check-in", {"program": str(today.id)})
    assert first.location == "/kiosk/me"
    checked = models.ProgramSignup.get(program=today, user=member).checked_in_at
    assert checked is not None
    submit(client, "/kiosk/me", "/kiosk/check-in", {"program": persian.to_persian_digits(str(today.id))})
    assert models.ProgramSignup.get(program=today, user=member).checked_in_at == checked
    html = client.get("/kiosk/me").get_data(as_text=True)
    assert "حضورتان در" in html and 'name="program"' not in html
    # Tomorrow's, another center's, a waiting list's, someone else's: nothing is marked.
    for item in (tomorrow, elsewhere, waiting, theirs):
        refused = submit(client, "/kiosk/me", "/kiosk/check-in", {"program": str(item.id)})
        assert refused.location == "/kiosk/me"
        assert "از کارکنان مرکز بپرسید" in client.get("/kiosk/me").get_data(as_text=True)
    assert models.ProgramSignup.select().where(models.ProgramSignup.checked_in_at.is_null(False)).count() == 1
    for junk in ("", "abc", "99999", "-1"):
        assert submit(client, "/kiosk/me", "/kiosk/check-in", {"program": junk}).status_code == 302
    # Away from a kiosk there is no check-in: it marks that the member is at the center.
    away = app.test_client()
    sign_in(away, member.phone)
    assert submit(away, "/simple/", "/kiosk/check-in", {"program": str(today.id)}).status_code == 404
    assert away.get("/kiosk/me").status_code == 404


def test_check_in_is_one_conditional_write(people, places, center):
    """The domain alone: two presses at once both answer with the first time."""
    member = people["resident"]
    item = program(center, people["center_staff"], "کلاس خوشنویسی", today_at_noon())
    place(item, member)
    early = today_at_noon() - datetime.timedelta(hours=1)
    first = centers.check_in(center, member, item.id, now=early)
    second = centers.check_in(center, member, item.id, now=early + datetime.timedelta(minutes=1))
    assert first.checked_in_at == second.checked_in_at == early
    assert centers.check_in(center, people["volunteer"], item.id, now=early) is None
    assert centers.check_in(center, member, item.id, now=early + datetime.timedelta(days=1)) is None


def test_a_members_kiosk_page_shows_their_hours_messages_and_the_centers_news(client, people, places, center):
    member, staff = people["resident"], people["center_staff"]
    payer = person("09127770000", "پرداخت‌کننده")
    timebank.transfer(timebank.member_account(payer), timebank.member_account(member), 90, payer, form_key="k1")
    network.announce(people["facilitator"], places["Tajrish"], "جشن محله در پارک", "همه دعوت‌اند به جشن.", "a1")
    network.announce(people["admin"], places["Bazaar"], "خبر بازار", "فقط برای بازار است.", "a2")
    make_kiosk(client, center, staff)
    sign_in(client, member.phone)
    html = check_page(client.get("/kiosk/me"), budget=8 * 1024)
    assert "۱ ساعت و ۳۰ دقیقه" in html
    assert "۱ پیام تازه دارید" in html  # the announcement reached their inbox
    assert "جشن محله در پارک" in html and "خبر بازار" not in html
    # The inbox and the area's news are kiosk pages; the time bank's own page (sending hours, PDFs) is not.
    for path in ("/inbox/", f"/channel/{places['Tajrish'].id}"):
        check_page(client.get(path))
    assert client.get("/time/").status_code == 403
    # The start page offers them to everyone: the member's own page asks for the PIN first.
    start = check_page(client.get("/kiosk/"), budget=8 * 1024)
    assert 'href="/kiosk/me"' in start and f'href="/channel/{places["Tajrish"].id}"' in start


def test_only_the_centers_staff_make_or_switch_off_its_kiosks(client, people, places, center):
    for role in ("resident", "volunteer", "facilitator"):
        sign_in(client, people[role].phone)
        assert client.get(f"/kiosk/centers/{center.id}").status_code == 403
    other = models.Center.create(area=places["Bazaar"], name="مرکز بازار")
    sign_in(client, people["center_staff"].phone)
    assert client.get(f"/kiosk/centers/{other.id}").status_code == 403
    made = make_kiosk(client, center, people["center_staff"])
    # Switched off from another browser, the terminal is an ordinary browser again.
    staff_browser = client.application.test_client()
    sign_in(staff_browser, people["center_staff"].phone)
    page = f"/kiosk/centers/{center.id}"
    sign_in(client, people["resident"].phone)  # someone is signed in on the terminal
    assert submit(staff_browser, page, f"{page}/{made.id}/revoke", {}).status_code == 302
    assert models.Kiosk.get_by_id(made.id).revoked_at is not None
    assert client.get("/board/").status_code == 200
    assert client.get_cookie(kiosk.COOKIE) is None and client.get("/simple/mine").status_code == 302
    assert "no-store" not in client.get("/board/").headers.get("Cache-Control", "")


def test_a_neighbor_signs_up_at_the_kiosk_through_both_steps(client, people, center):
    """Sign-up is two pages (the form, then the SMS code): the kiosk serves both."""
    make_kiosk(client, center, people["center_staff"])
    phone = "09125556677"
    data = {"name": "پروین اعتصامی", "phone": phone, "pin": "2468", "pin_again": "2468"}
    check_page(client.get("/account/sign-up"), budget=16 * 1024)
    asked = submit(client, "/account/sign-up", "/account/sign-up", data)
    assert asked.status_code == 302 and asked.location.startswith("/account/sign-up/")
    check_page(client.get(asked.location), budget=16 * 1024)
    # The code's page has the pad too: its keys post to the page's own address.
    code = sent_code(phone)
    typed = client.post(
        asked.location,
        data={"csrf_token": csrf_token(client, asked.location), "kiosk_key": f"code:{code[-1]}", "code": code[:-1]},
    )
    assert field_value(typed.get_data(as_text=True), "code") == code
    done = submit(client, asked.location, asked.location, {"code": code})
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    assert client.get(done.location).status_code != 403
    user = models.User.by_phone(phone)
    assert user is not None and user.name == "پروین اعتصامی"
    # The kiosk still forgets them at Finish.
    assert submit(client, "/kiosk/", "/kiosk/done", {}).location == "/kiosk/"
    assert client.get("/simple/mine").status_code == 302
