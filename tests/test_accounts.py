import datetime
import time

import models
from hamsayeh.domain import accounts
from tests.conftest import PIN, csrf_token, sign_in, submit
from tests.factories import sent_code, sign_up
from tests.pages import check_page


def test_sign_up_normalizes_and_signs_in(client, places):
    response = sign_up(client, name="علي  رضايي")
    assert response.status_code == 302
    user = models.User.by_phone("09125556677")
    assert user.name == "علی رضایی"
    assert user.roles() == {"resident"}
    assert user.pin_hash.startswith("$argon2")
    assert "علی رضایی" in check_page(client.get("/account/"))


def test_sign_up_with_bad_input_keeps_what_was_typed(client, db):
    response = sign_up(client, name="", phone="12345", pin="1234", pin_again="1234")
    html = check_page(response, status=422)
    assert "Enter your name." in html or "نام خود را بنویسید" in html
    assert 'value="12345"' in html
    assert 'aria-invalid="true"' in html
    assert 'href="#f-phone"' in html  # the error summary links to the field
    assert "09125556677" not in html
    assert models.User.select().count() == 0


def test_a_double_submitted_sign_up_creates_one_account_and_signs_in(app, db):
    browser = app.test_client()
    data = {"name": "پروین اعتصامی", "phone": "09125556677", "pin": "2468", "pin_again": "2468"}
    # The account is made by the second step, the code from the SMS: that is the form sent twice,
    # from one page with the cookie it had, as a double click sends it before the first answer.
    page = submit(browser, "/account/sign-up", "/account/sign-up", data).location
    form = {"csrf_token": csrf_token(browser, page), "code": sent_code("09125556677")}
    cookie = browser.get_cookie("hamsayeh_session").value
    second = app.test_client()
    second.set_cookie("hamsayeh_session", cookie)
    assert browser.post(page, data=form).status_code == 302
    assert second.post(page, data=form).status_code == 302
    assert browser.get("/account/").status_code == 200 and second.get("/account/").status_code == 200
    assert models.User.select().count() == 1
    # Another browser with the code from the SMS, but not the one that asked, gets nothing.
    stranger = app.test_client()
    # (The code's page is gone once the code is used: the stranger's token comes from the sign-up form.)
    assert stranger.get(page).status_code == 404
    response = stranger.post(page, data={"csrf_token": csrf_token(stranger, "/account/sign-up"), "code": form["code"]})
    assert response.status_code == 422 and stranger.get("/account/").status_code == 302


def test_sign_up_with_a_taken_number_and_another_pin_is_refused(client, db):
    assert sign_up(client).status_code == 302
    other = client.application.test_client()
    # The same answer as for a new number; the SMS, not the page, tells the owner.
    response = sign_up(other, name="کس دیگر", pin="3690", pin_again="3690")
    assert response.status_code == 302 and response.location.startswith("/account/sign-up/")
    assert sent_code("09125556677") is None
    assert other.get("/account/").status_code == 302
    assert models.User.select().count() == 1


def test_weak_or_mismatched_pins_are_refused(client, db):
    for pin, again in (("1111", "1111"), ("1234", "1234"), ("12", "12"), ("2468", "8642"), ("abc", "abc")):
        response = sign_up(client, pin=pin, pin_again=again)
        assert response.status_code == 422, pin
    assert models.User.select().count() == 0


def test_sign_in_with_persian_digits_and_international_form(client, people):
    response = submit(client, "/account/sign-in", "/account/sign-in", {"phone": "+98 912 000 0001", "pin": "۲۵۸۰"})
    assert response.status_code == 302
    assert "کاربر resident" in client.get("/account/").get_data(as_text=True)


def test_wrong_pin_says_nothing_about_the_number(client, people):
    wrong_pin = submit(client, "/account/sign-in", "/account/sign-in", {"phone": "09120000001", "pin": "9999"})
    no_account = submit(client, "/account/sign-in", "/account/sign-in", {"phone": "09350000000", "pin": "9999"})
    assert wrong_pin.status_code == no_account.status_code == 422
    for response in (wrong_pin, no_account):
        html = check_page(response, status=422)
        assert 'value="9999"' not in html  # a PIN is never echoed back


def test_failures_first_slow_down_then_lock_the_number(client, people):
    phone = people["resident"].phone
    for _ in range(3):
        submit(client, "/account/sign-in", "/account/sign-in", {"phone": phone, "pin": "0000"})
    wait = accounts.seconds_locked([accounts._throttle_key("phone", phone)])
    assert 0 < wait <= 31
    # Two more wrong tries, each after the short wait, lock it for 15 minutes.
    later = models.utcnow()
    for _ in range(2):
        later += datetime.timedelta(seconds=wait + 1)
        assert accounts.sign_in(phone, "0000", "127.0.0.1", now=later).user is None
    # Even the right PIN is refused while the number is locked.
    response = submit(client, "/account/sign-in", "/account/sign-in", {"phone": phone, "pin": PIN})
    html = check_page(response, status=422)
    assert "15" in html or "۱۵" in html
    assert accounts.seconds_locked([accounts._throttle_key("phone", phone)], now=later) > 14 * 60
    assert models.AuditEntry.select().where(models.AuditEntry.action == "signin.refused_locked").count() == 1


def test_a_locked_number_does_not_lock_another(client, people):
    for _ in range(3):
        submit(client, "/account/sign-in", "/account/sign-in", {"phone": people["resident"].phone, "pin": "0000"})
    sign_in(client, people["volunteer"].phone)


def test_sign_out_ends_the_session(client, people):
    sign_in(client, people["resident"].phone)
    assert client.get("/account/").status_code == 200
    response = submit(client, "/", "/account/sign-out", {})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(client, people):
    response = client.get("/account/pin")
    assert response.status_code == 302 and "next=/account/pin" in response.location
    data = {"phone": people["resident"].phone, "pin": PIN, "next": "/account/pin"}
    assert submit(client, "/account/sign-in", "/account/sign-in", data).location == "/account/pin"
    evil = client.application.test_client()
    data["next"] = "//evil.example/steal"
    assert submit(evil, "/account/sign-in", "/account/sign-in", data).location == "/"


def test_changing_the_pin_ends_other_sessions(app, people):
    phone = people["resident"].phone
    laptop, phone_browser = app.test_client(), app.test_client()
    sign_in(laptop, phone)
    sign_in(phone_browser, phone)
    response = submit(laptop, "/account/pin", "/account/pin", {"current_pin": PIN, "pin": "3690", "pin_again": "3690"})
    assert response.status_code == 302
    assert laptop.get("/account/").status_code == 200
    assert phone_browser.get("/account/").status_code == 302
    sign_in(app.test_client(), phone, "3690")


def test_change_pin_needs_the_current_one(client, people):
    sign_in(client, people["resident"].phone)
    response = submit(
        client, "/account/pin", "/account/pin", {"current_pin": "0000", "pin": "3690", "pin_again": "3690"}
    )
    check_page(response, status=422)
    assert models.User.get_by_id(people["resident"].id).check_pin(PIN)


def test_disabling_an_account_ends_its_sessions(client, people):
    user = people["resident"]
    sign_in(client, user.phone)
    accounts.set_active(user, False)
    assert client.get("/account/").status_code == 302
    response = submit(client, "/account/sign-in", "/account/sign-in", {"phone": user.phone, "pin": PIN})
    assert response.status_code == 422


def test_staff_sessions_end_after_half_an_hour_idle(client, people):
    sign_in(client, people["social_worker"].phone)
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    response = client.get("/account/")
    assert response.status_code == 302
    html = check_page(client.get(response.location))
    assert "signed out because you were away" in html or "چون مدتی" in html


def test_resident_sessions_survive_half_an_hour_idle(client, people):
    sign_in(client, people["resident"].phone)
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    assert client.get("/account/").status_code == 200


def test_every_session_has_an_absolute_limit(client, people):
    sign_in(client, people["resident"].phone)
    with client.session_transaction() as session:
        session["issued"] = time.time() - 31 * 24 * 3600
    assert client.get("/account/").status_code == 302


def test_session_cookie_flags(client, people):
    response = sign_in(client, people["resident"].phone)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forms_without_the_csrf_token_are_refused(client, people):
    response = client.post("/account/sign-in", data={"phone": people["resident"].phone, "pin": PIN})
    html = check_page(response, status=400)
    assert "expired" in html or "منقضی" in html


def test_profile_name_change_and_validation(client, people):
    sign_in(client, people["resident"].phone)
    assert submit(client, "/account/", "/account/", {"name": "  نام  تازه "}).status_code == 302
    assert models.User.get_by_id(people["resident"].id).name == "نام تازه"
    response = submit(client, "/account/", "/account/", {"name": "۱۲۳"})
    html = check_page(response, status=422)
    assert 'value="123"' in html


def test_account_pages_are_never_cached(client, people):
    sign_in(client, people["resident"].phone)
    assert client.get("/account/").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-store"
