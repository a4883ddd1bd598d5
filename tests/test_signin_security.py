"""Issue 14, findings 3, 4 and 5, tried as an attacker would: a number under
attack still lets its owner in; no answer tells whether a number has an
account or whose it is; the PIN change guesses no faster than sign-in; and a
helper acts only once they have accepted."""

import datetime
import hashlib
import logging
import re
import threading
import time

import models
from hamsayeh import persian
from hamsayeh.domain import access, accounts, acting, audit
from tests.conftest import PIN, sign_in, submit
from tests.factories import person, sent_code, sign_up
from tests.pages import check_page

LATIN_DIGIT = re.compile("[0-9]")
PERSIAN_DIGIT = re.compile("[۰-۹]")


def audit_count(action):
    return models.AuditEntry.select().where(models.AuditEntry.action == action).count()


def error_of(html, field):
    return re.search(rf'id="f-{field}-error">([^<]*)<', html).group(1)


def at(address):
    """A browser at network address `address`."""
    return {"environ_base": {"REMOTE_ADDR": address}}


class CountingHasher:
    """The PIN hasher, counting its checks; `pause` makes each check take as
    long as a real one, so that checks sent at once overlap."""

    def __init__(self, inner, pause=0.0):
        self.inner, self.verified, self.pause = inner, 0, pause
        self.lock = threading.Lock()

    def hash(self, pin):
        return self.inner.hash(pin)

    def verify(self, pin_hash, pin):
        with self.lock:
            self.verified += 1
        time.sleep(self.pause)
        return self.inner.verify(pin_hash, pin)


# --- Finding 3: slow the attacker, never lock out the owner ------------------------------


def test_owner_signs_in_at_the_first_try_after_500_wrong_pins_from_10_addresses(people):
    owner = people["resident"]
    now = models.utcnow()
    # The owner signed in on their phone once before: it is a known device.
    phone_of_owner = accounts.remember_device(owner, now=now)
    for attempt in range(500):
        address = f"10.0.0.{attempt % 10}"
        assert accounts.sign_in(owner.phone, f"{1000 + attempt}", address, now=now).user is None
        now += datetime.timedelta(seconds=1)
    # The attack was slowed: most guesses were refused without being checked.
    assert audit_count("signin.failed") <= 20
    assert audit_count("signin.refused_locked") >= 480
    # An attacking address waits even with the right PIN ...
    assert accounts.sign_in(owner.phone, PIN, "10.0.0.3", now=now) == (
        None,
        accounts.seconds_to_wait(owner.phone, "10.0.0.3", now),
    )
    assert accounts.seconds_to_wait(owner.phone, "10.0.0.3", now) > 60
    # ... and so does a device the number never signed in on, whatever its address ...
    assert accounts.seconds_to_wait(owner.phone, "192.168.1.20", now) > 60
    # ... while the owner, on their own phone, gets in at once, even at an attacking address.
    assert accounts.sign_in(owner.phone, PIN, "192.168.1.20", now=now, device_tokens=[phone_of_owner]).user == owner
    assert accounts.sign_in(owner.phone, PIN, "10.0.0.3", now=now, device_tokens=[phone_of_owner]).user == owner


def test_the_owner_at_their_own_address_gets_in_at_the_first_try_without_the_cookie(people):
    """Issue 14's words: after 500 wrong PINs from 10 addresses the owner signs
    in at the first try from their own address, where the account signed in
    before, even in a browser that holds no known-device cookie."""
    owner = people["resident"]
    now = models.utcnow()
    assert accounts.sign_in(owner.phone, PIN, "172.16.5.9", now=now).user == owner  # home, last month
    assert accounts.sign_in(owner.phone, PIN, "2001:db8:7:7::1", now=now).user == owner  # the phone's network
    now += datetime.timedelta(days=30)
    for attempt in range(500):
        accounts.sign_in(owner.phone, f"{1000 + attempt}", f"10.0.0.{attempt % 10}", now=now)
        now += datetime.timedelta(seconds=1)
    assert audit_count("signin.failed") <= 20
    assert accounts.seconds_to_wait(owner.phone, "192.168.1.20", now) > 60  # anywhere else waits
    assert accounts.sign_in(owner.phone, PIN, "172.16.5.9", now=now).user == owner
    # On IPv6 the phone's own address is its whole /64: the next address there is still its own.
    assert accounts.sign_in(owner.phone, PIN, "2001:db8:7:7:abcd::42", now=now).user == owner


def test_a_forged_cookie_cannot_pass_for_an_address(people):
    """The address rows share the table with devices: a cookie holding the text
    an address row is hashed from is still no known device."""
    owner = people["resident"]
    now = models.utcnow()
    accounts.sign_in(owner.phone, PIN, "172.16.5.9", now=now)
    forged = [f"address:{owner.phone}:172.16.5.9"]
    assert accounts.known_device(owner.phone, forged, now) is None


def test_the_owner_gets_in_over_http_while_others_attack_the_number(app, people):
    owner = people["resident"]
    # The owner signed in on this browser before: it is a known device.
    mine = app.test_client()
    sign_in(mine, owner.phone)
    submit(mine, "/account/", "/account/sign-out", {})
    for index in range(10):
        attacker = app.test_client()
        for guess in range(5):
            data = {"phone": owner.phone, "pin": f"{3000 + guess}"}
            response = submit(attacker, "/account/sign-in", "/account/sign-in", data, **at(f"10.1.0.{index}"))
            assert response.status_code == 422
    # The refusal names the wait in Persian digits.
    message = error_of(check_page(response, status=422), "pin")
    assert PERSIAN_DIGIT.search(message) and not LATIN_DIGIT.search(message)
    response = submit(
        mine, "/account/sign-in", "/account/sign-in", {"phone": owner.phone, "pin": PIN}, **at("10.2.0.1")
    )
    assert response.status_code == 302
    assert mine.get("/account/", **at("10.2.0.1")).status_code == 200


def test_delays_grow_by_doubling_up_to_a_cap(people):
    phone, address = people["resident"].phone, "10.3.0.1"
    now, delays = models.utcnow(), []
    for _ in range(14):
        now += datetime.timedelta(seconds=accounts.seconds_to_wait(phone, address, now))
        accounts.sign_in(phone, "0000", address, now=now)
        delays.append(accounts.seconds_to_wait(phone, address, now))
    assert delays[:2] == [0, 0] and 0 < delays[2] <= 31
    assert delays == sorted(delays)
    assert delays[5] > delays[4] * 1.9
    assert delays[-1] <= accounts.THROTTLE_CAP.total_seconds() + 1 and delays[-1] == delays[-2]


def test_known_and_unknown_numbers_cost_the_same_one_hash_check(people, monkeypatch):
    counting = CountingHasher(models.pin_hasher)
    monkeypatch.setattr(models, "pin_hasher", counting)
    disabled = person("09121110001")
    accounts.set_active(disabled, False)
    for phone in (people["resident"].phone, "09359998877", disabled.phone):
        before = counting.verified
        assert accounts.sign_in(phone, "9753", "10.4.0.1").user is None
        assert counting.verified - before == 1, phone
    # A disabled account with its right PIN fails like the rest.
    assert accounts.sign_in(disabled.phone, PIN, "10.4.0.2").user is None


def test_a_sign_up_on_an_existing_number_is_no_failure_against_it(app, people):
    owner = people["resident"]
    for _ in range(3):
        sign_up(app.test_client(), phone=owner.phone, pin="9753", pin_again="9753")
    assert models.LoginThrottle.select().count() == 0
    sign_in(app.test_client(), owner.phone)


# --- Finding 4: sign-up says nothing about the number -------------------------------------


def code_page(response):
    """The code page, with what differs from one request to another taken out."""
    html = check_page(response)
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    html = re.sub(r"/account/sign-up/[\w-]+", "", html)
    return re.sub(r'<bdi dir="ltr">[^<]*</bdi>', "", html)


def test_sign_up_answers_alike_for_new_and_taken_numbers(app, people):
    taken, new = people["resident"].phone, "09125550001"
    pages = []
    for phone in (taken, new):
        browser = app.test_client()
        data = {"name": "کسی", "phone": phone, "pin": "9753", "pin_again": "9753"}
        response = submit(browser, "/account/sign-up", "/account/sign-up", data)
        assert response.status_code == 302 and response.location.startswith("/account/sign-up/")
        pages.append(code_page(browser.get(response.location)))
    assert pages[0] == pages[1]
    assert models.User.by_phone(new) is None  # not before the code
    assert sent_code(new) is not None
    assert sent_code(taken) is None
    told = models.SmsMessage.select().where(models.SmsMessage.phone == taken).get()
    assert told.status == "queued" and told.direction == "out"


def test_the_code_creates_the_account_and_is_kept_only_as_a_hash(client, places):
    response = submit(
        client,
        "/account/sign-up",
        "/account/sign-up",
        {"name": "پروین", "phone": "09125550002", "pin": "9753", "pin_again": "9753"},
    )
    page, code = response.location, sent_code("09125550002")
    row = models.OneTimeCode.get()
    assert code not in row.code_hash and page.rsplit("/", 1)[1] != row.request_hash
    assert "9753" not in row.pin_hash
    html = check_page(submit(client, page, page, {"code": "000000" if code != "000000" else "111111"}), status=422)
    assert 'id="f-code-error"' in html
    assert submit(client, page, page, {"code": persian.to_persian_digits(code)}).status_code == 302
    user = models.User.by_phone("09125550002")
    assert user.name == "پروین" and user.check_pin("9753")
    assert client.get("/account/").status_code == 200


def test_a_code_is_bound_to_its_request_expires_and_has_five_tries(db):
    def ask(phone, address="10.5.0.1", now=None):
        return accounts.request_sign_up(phone, "کسی", "9753", None, address, "{}".format, "exists", now=now)

    first = ask("09125550003").request_id
    first_code = sent_code("09125550003")
    second = ask("09125550004").request_id
    # Another request's code does not work here.
    assert accounts.confirm_sign_up(second, first_code).problem == "wrong"
    # Five tries, then even the right code is refused.
    for _ in range(4):
        assert accounts.confirm_sign_up(first, "999999" if first_code != "999999" else "888888").problem == "wrong"
    assert accounts.confirm_sign_up(first, first_code).user is not None  # the fifth try
    third = ask("09125550005").request_id
    code = sent_code("09125550005")
    for _ in range(5):
        accounts.confirm_sign_up(third, "999999" if code != "999999" else "888888")
    assert accounts.confirm_sign_up(third, code) == (None, "expired")
    # Ten minutes later a code is dead.
    fourth = ask("09125550006").request_id
    later = models.utcnow() + datetime.timedelta(minutes=11)
    assert accounts.confirm_sign_up(fourth, sent_code("09125550006"), now=later) == (None, "expired")
    assert models.User.select().count() == 1


def test_codes_are_limited_per_number_and_per_address(db):
    def ask(phone, address):
        return accounts.request_sign_up(phone, "کسی", "9753", None, address, "{}".format, "exists")

    for index in range(3):
        assert ask("09125550007", f"10.6.{index}.1").request_id
    refused = ask("09125550007", "10.6.9.1")
    assert refused.request_id is None and refused.wait_seconds > 50 * 60
    # A center's kiosk shares one address: it may ask more, but not without end.
    more = accounts.SIGN_UP_LIMITS["address"] - 1
    for index in range(more):
        assert ask(f"091255501{index:02d}", "10.6.0.1").request_id
    assert ask("09125550200", "10.6.0.1").request_id is None
    assert models.SmsMessage.select().count() == 3 + more


def test_the_code_limit_message_is_in_persian_digits(app, db):
    for _ in range(4):
        data = {"name": "کسی", "phone": "09125550008", "pin": "9753", "pin_again": "9753"}
        response = submit(app.test_client(), "/account/sign-up", "/account/sign-up", data)
    message = error_of(check_page(response, status=422), "phone")
    assert PERSIAN_DIGIT.search(message) and not LATIN_DIGIT.search(message)


# --- Finding 5: the PIN change shares the throttle and is audited ---------------------------


def test_guessing_the_current_pin_is_slowed_and_audited(app, people):
    owner = people["resident"]
    thief = app.test_client()
    sign_in(thief, owner.phone)
    for guess in range(20):
        data = {"current_pin": f"{4000 + guess}", "pin": "3690", "pin_again": "3690"}
        response = submit(thief, "/account/pin", "/account/pin", data)
        assert response.status_code == 422
    message = error_of(check_page(response, status=422), "current_pin")
    assert PERSIAN_DIGIT.search(message) and not LATIN_DIGIT.search(message)
    # Slowed: only the first few guesses were checked, and every one is in the log.
    assert audit_count("account.pin_change_failed") == 20
    assert models.AuditEntry.select().where(models.AuditEntry.detail == "waiting").count() >= 15
    # Even the right PIN now waits at that address ...
    data = {"current_pin": PIN, "pin": "3690", "pin_again": "3690"}
    assert submit(thief, "/account/pin", "/account/pin", data).status_code == 422
    assert models.User.get_by_id(owner.id).check_pin(PIN)
    # ... while the owner, from a clean state, changes it.
    mine = app.test_client()
    submit(mine, "/account/sign-in", "/account/sign-in", {"phone": owner.phone, "pin": PIN}, **at("10.7.0.1"))
    assert submit(mine, "/account/pin", "/account/pin", data, **at("10.7.0.1")).status_code == 302
    assert models.User.get_by_id(owner.id).check_pin("3690")
    assert audit_count("account.pin_changed") == 1


# --- Finding 4: helpers by consent -----------------------------------------------------------


def test_naming_a_helper_says_nothing_about_the_number(app, client, people):
    sign_in(client, people["resident"].phone)
    disabled = person("09121110002", name="نام پنهان")
    accounts.set_active(disabled, False)
    member = person("09121110003", name="نام دیگر")
    numbers = {
        "member": member.phone,
        "staff": people["admin"].phone,
        "disabled": disabled.phone,
        "no account": "09359990000",
    }
    answers = {}
    for who, phone in numbers.items():
        response = submit(client, "/account/", "/account/helpers", {"phone": phone})
        assert response.status_code == 302, who
        page = check_page(client.get(response.location))
        answers[who] = re.search(r'role="status">([^<]*)<', page).group(1)
        for name in ("نام پنهان", "نام دیگر", "کاربر admin"):
            assert name not in page, (who, name)
    assert len(set(answers.values())) == 1
    # Each one waits, shown by the number the person typed, never by a name.
    page = check_page(client.get("/account/"))
    assert page.count("Waiting for them to accept") + page.count("منتظر") >= 4


def test_a_helper_acts_only_once_they_accept(app, client, people, places):
    senior = people["resident"]
    son = person("09120000500", name="پسر", neighborhood=places["Tajrish"])
    sign_in(client, senior.phone)
    submit(client, "/account/", "/account/helpers", {"phone": son.phone})
    helper = app.test_client()
    sign_in(helper, son.phone)
    assert submit(helper, "/account/", f"/account/act/{senior.id}", {}).status_code == 404
    assert not access.may_act_for(son, son.roles(), senior)
    # The ask waits in his inbox and on his account page, where he answers.
    assert models.Notification.get(models.Notification.user == son).kind == "helper_asked"
    check_page(helper.get("/inbox/"))
    ask = acting.asked_of(son).get()
    stranger = app.test_client()
    sign_in(stranger, people["volunteer"].phone)
    assert submit(stranger, "/account/", f"/account/helper-asks/{ask.id}/accept", {}).status_code == 404
    assert submit(helper, "/account/", f"/account/helper-asks/{ask.id}/accept", {}).status_code == 302
    assert access.may_act_for(son, son.roles(), senior)
    assert submit(helper, "/account/", f"/account/act/{senior.id}", {}).status_code == 302
    assert "پسر" in check_page(client.get("/account/"))
    assert audit_count("acting.helper_accepted") == 1


def test_a_declined_or_withdrawn_ask_is_gone(app, client, people):
    senior, friend = people["resident"], people["volunteer"]
    sign_in(client, senior.phone)
    submit(client, "/account/", "/account/helpers", {"phone": friend.phone})
    other = app.test_client()
    sign_in(other, friend.phone)
    ask = acting.asked_of(friend).get()
    assert submit(other, "/account/", f"/account/helper-asks/{ask.id}/decline", {}).status_code == 302
    assert models.TrustedHelper.select().count() == 0
    submit(client, "/account/", "/account/helpers", {"phone": "09359990001"})
    ask = models.TrustedHelper.get()
    assert submit(client, "/account/", f"/account/helpers/asked/{ask.id}/withdraw", {}).status_code == 302
    assert models.TrustedHelper.select().count() == 0


def test_a_number_asked_before_it_had_an_account_finds_the_ask_after_signing_up(app, client, people):
    sign_in(client, people["resident"].phone)
    submit(client, "/account/", "/account/helpers", {"phone": "09125550300"})
    newcomer = app.test_client()
    assert sign_up(newcomer, phone="09125550300").status_code == 302
    assert "کاربر resident" in check_page(newcomer.get("/account/"))
    assert not access.may_act_for(models.User.by_phone("09125550300"), set(), people["resident"])


# --- The review of the hardening: many addresses, the owner's typo, guesses at once ----------


def test_a_thousand_addresses_get_no_more_than_a_few_guesses_at_a_number(people, monkeypatch):
    owner = people["resident"]
    now = models.utcnow()
    phone_of_owner = accounts.remember_device(owner, now=now)
    counting = CountingHasher(models.pin_hasher)
    monkeypatch.setattr(models, "pin_hasher", counting)
    for index in range(1000):
        address = f"10.8.{index // 256}.{index % 256}"
        assert accounts.sign_in(owner.phone, f"{1000 + index}", address, now=now).user is None
        now += datetime.timedelta(seconds=1)
    # One free guess per address would have been 1,000 checks.
    assert counting.verified <= accounts.NUMBER_UNDER_ATTACK
    # A device the number never signed in on waits, at a fresh address too ...
    wait = accounts.seconds_to_wait(owner.phone, "172.16.0.1", now)
    assert wait > 60 and accounts.sign_in(owner.phone, PIN, "172.16.0.1", now=now) == (None, wait)
    # ... while the owner's own phone gets in at the first try.
    checked = counting.verified
    assert accounts.sign_in(owner.phone, PIN, "172.16.0.2", now=now, device_tokens=[phone_of_owner]).user == owner
    assert counting.verified == checked + 1


def test_the_addresses_of_one_ipv6_network_count_as_one(people, monkeypatch):
    owner = people["resident"]
    counting = CountingHasher(models.pin_hasher)
    monkeypatch.setattr(models, "pin_hasher", counting)
    now = models.utcnow()
    for index in range(200):
        accounts.sign_in(owner.phone, f"{1000 + index}", f"2001:db8:5:7::{index + 1:x}", now=now)
    # The number allows 3 before its delay at an address that failed on it: the /64 is that address.
    assert counting.verified == 3
    assert accounts.seconds_to_wait(owner.phone, "2001:db8:5:7:ffff:1:2:3", now) > 0
    assert accounts.seconds_to_wait(owner.phone, "2001:db8:5:8::1", now) == 0
    # An IPv4 address written the IPv6 way is that IPv4 address.
    accounts.sign_in(owner.phone, "1111", "10.13.0.1", now=now)
    accounts.sign_in(owner.phone, "1112", "10.13.0.1", now=now + datetime.timedelta(minutes=20))
    assert accounts.seconds_to_wait(owner.phone, "::ffff:10.13.0.1", now + datetime.timedelta(minutes=20)) > 0


def test_the_known_device_cookie_is_signed_httponly_lax_and_secure_over_https(app, people, monkeypatch):
    owner = people["resident"]
    browser = app.test_client()
    response = sign_in(browser, owner.phone)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("hamsayeh_device="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/account" in cookie
    assert "Max-Age=15552000" in cookie and "Secure" not in cookie
    # The table keeps a hash of the token, never the token.
    devices = models.KnownDevice.select().where(models.KnownDevice.kind == "device")
    row = devices.get()
    assert row.user_id == owner.id and row.token_hash not in cookie
    token = accounts.remember_device(owner, [])  # another device's
    assert devices.where(models.KnownDevice.token_hash != row.token_hash).get().token_hash != token
    # A cookie made up without the site's key holds no known device (from an address not the owner's).
    forged = app.test_client()
    forged.environ_base["REMOTE_ADDR"] = "10.99.0.1"
    forged.set_cookie("hamsayeh_device", f'["{token}"]', path="/account")
    now = models.utcnow()
    for attempt in range(12):
        accounts.sign_in(owner.phone, f"{5000 + attempt}", f"10.14.0.{attempt}", now=now)
    response = submit(forged, "/account/sign-in", "/account/sign-in", {"phone": owner.phone, "pin": PIN})
    assert response.status_code == 422
    # The browser where the owner signed in is known: it gets in at the first try.
    assert (
        submit(browser, "/account/sign-in", "/account/sign-in", {"phone": owner.phone, "pin": PIN}).status_code == 302
    )
    # Over HTTPS the cookie is sent over HTTPS only.
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = sign_in(app.test_client(), people["volunteer"].phone)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("hamsayeh_device="))
    assert "Secure" in cookie


def test_a_typo_on_the_owners_own_device_never_makes_them_wait_for_the_number(app, people):
    owner = people["resident"]
    home = at("192.168.7.2")
    mine = app.test_client()
    assert (
        submit(mine, "/account/sign-in", "/account/sign-in", {"phone": owner.phone, "pin": PIN}, **home).status_code
        == 302
    )
    submit(mine, "/account/", "/account/sign-out", {}, **home)
    # One typo at home, then the number is attacked from ten addresses.
    wrong = {"phone": owner.phone, "pin": "9999"}
    assert submit(mine, "/account/sign-in", "/account/sign-in", wrong, **home).status_code == 422
    now = models.utcnow()
    for attempt in range(50):
        accounts.sign_in(owner.phone, f"{6000 + attempt}", f"10.15.0.{attempt % 10}", now=now)
    # A browser elsewhere waits for the number ...
    other = app.test_client()
    right = {"phone": owner.phone, "pin": PIN}
    assert submit(other, "/account/sign-in", "/account/sign-in", right, **at("192.168.99.4")).status_code == 422
    # ... the owner's own browser does not: the typo made their own device no suspect ...
    assert submit(mine, "/account/sign-in", "/account/sign-in", right, **home).status_code == 302
    # ... and home, where the account signed in before, is the owner's own address for any browser.
    assert submit(other, "/account/sign-in", "/account/sign-in", right, **home).status_code == 302


def test_a_known_device_is_slowed_by_its_own_failures_only(people):
    owner = people["resident"]
    phone_of_owner, tablet_of_owner = accounts.remember_device(owner), accounts.remember_device(owner)
    now = models.utcnow()
    for _ in range(4):
        assert accounts.sign_in(owner.phone, "9999", "192.168.7.2", now=now, device_tokens=[phone_of_owner]) == (
            None,
            0,
        )
    assert accounts.seconds_to_wait(owner.phone, "192.168.7.2", now, device_tokens=[phone_of_owner]) == 0
    accounts.sign_in(owner.phone, "9999", "192.168.7.2", now=now, device_tokens=[phone_of_owner])
    # Five wrong PINs from the device: it waits, even with the right PIN ...
    refused = accounts.sign_in(owner.phone, PIN, "192.168.7.2", now=now, device_tokens=[phone_of_owner])
    assert refused.user is None and refused.wait_seconds > 0
    # ... the owner's other device, at the same address, does not.
    assert accounts.sign_in(owner.phone, PIN, "192.168.7.2", now=now, device_tokens=[tablet_of_owner]).user == owner
    # A token of the owner's is no known device for another number.
    other = people["volunteer"]
    for attempt in range(3):
        accounts.sign_in(other.phone, f"{7000 + attempt}", "192.168.7.3", now=now, device_tokens=[tablet_of_owner])
    assert accounts.seconds_to_wait(other.phone, "192.168.7.3", now, device_tokens=[tablet_of_owner]) > 0


def test_a_pin_change_or_reset_forgets_the_known_devices(app, people):
    owner = people["resident"]
    phone_of_owner = accounts.remember_device(owner)
    accounts.reset_pin(models.User.get_by_id(owner.id), "3690", people["admin"])
    assert accounts.known_device(owner.phone, [phone_of_owner]) is None
    tablet_of_owner = accounts.remember_device(owner)
    accounts.change_pin(models.User.get_by_id(owner.id), "2580")
    assert accounts.known_device(owner.phone, [tablet_of_owner]) is None
    # The browser that changed the PIN proved it knows the new one: it is known again.
    browser = app.test_client()
    sign_in(browser, owner.phone)
    data = {"current_pin": PIN, "pin": "3690", "pin_again": "3690"}
    response = submit(browser, "/account/pin", "/account/pin", data)
    assert response.status_code == 302
    assert (
        models.KnownDevice.select()
        .where(models.KnownDevice.user == owner.id, models.KnownDevice.kind == "device")
        .count()
        == 1
    )
    assert any(h.startswith("hamsayeh_device=") for h in response.headers.getlist("Set-Cookie"))
    # Devices unused for 180 days are forgotten.
    later = models.utcnow() + models.KnownDevice.LIFETIME + datetime.timedelta(days=1)
    token = accounts.remember_device(owner, now=models.utcnow())
    assert accounts.known_device(owner.phone, [token], now=later) is None


def test_no_device_is_remembered_at_a_kiosk(app, client, people, places):
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    sign_in(client, people["center_staff"].phone)
    page = f"/kiosk/centers/{center.id}"
    assert submit(client, page, page, {"name": "پایانهٔ ورودی"}).status_code == 302
    response = sign_in(client, people["resident"].phone)
    assert not any(h.startswith("hamsayeh_device=") for h in response.headers.getlist("Set-Cookie"))
    # Nor is the kiosk's address made anyone's own.
    assert models.KnownDevice.select().where(models.KnownDevice.user == people["resident"].id).count() == 0


def test_guesses_sent_at_once_never_pass_the_limit(people, monkeypatch):
    owner = people["resident"]
    counting = CountingHasher(models.pin_hasher, pause=0.05)
    monkeypatch.setattr(models, "pin_hasher", counting)
    # The number allows 3 wrong PINs at an address before its delay; 8 are sent at once.
    barrier, answers = threading.Barrier(8), []

    def guess(index):
        with models.db.connection_context():
            barrier.wait()
            answers.append(accounts.sign_in(owner.phone, f"{8000 + index}", "10.16.0.1"))

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8 and all(answer.user is None for answer in answers)
    assert counting.verified <= 3
    assert sum(1 for answer in answers if answer.wait_seconds) >= 5


def test_the_right_pin_takes_back_the_failure_counted_before_its_check(people):
    owner = people["resident"]
    for attempt in range(20):
        assert accounts.sign_in(owner.phone, PIN, f"10.17.0.{attempt}").user == owner
    assert models.LoginThrottle.select().count() == 0


# --- A PIN change, a reset and disabling write only their own columns --------------------------


def test_a_pin_change_racing_with_disabling_leaves_the_account_disabled(people):
    owner, admin = people["resident"], people["admin"]
    # The PIN change read the account; then staff disabled it; then the change is written.
    read_by_the_change = models.User.get_by_id(owner.id)
    accounts.set_active(models.User.get_by_id(owner.id), False, admin)
    assert accounts.change_pin(read_by_the_change, "3690") is False
    account = models.User.get_by_id(owner.id)
    assert not account.is_active and account.check_pin(PIN)
    assert not read_by_the_change.is_active  # re-read: a later save writes nothing stale
    # The member's own form, sent from a page loaded before the account was disabled: the same.
    read_by_the_form = models.User.get_by_id(owner.id)
    read_by_the_form.is_active = True
    assert accounts.change_own_pin(read_by_the_form, PIN, "3690", "10.21.0.1") == (False, 0)
    assert models.User.get_by_id(owner.id).check_pin(PIN)
    # A reset from a stale read sets the PIN and leaves the account disabled.
    read_by_the_reset = models.User.get_by_id(owner.id)
    accounts.set_active(models.User.get_by_id(owner.id), True, admin)
    accounts.set_active(models.User.get_by_id(owner.id), False, admin)
    accounts.reset_pin(read_by_the_reset, "3690", admin)
    account = models.User.get_by_id(owner.id)
    assert not account.is_active and account.check_pin("3690")
    # Disabling from a read made before the reset keeps the new PIN.
    read_before = models.User.get_by_id(owner.id)
    accounts.reset_pin(models.User.get_by_id(owner.id), "1470", admin)
    epoch = models.User.get_by_id(owner.id).session_epoch
    accounts.set_active(read_before, True, admin)
    account = models.User.get_by_id(owner.id)
    assert account.is_active and account.check_pin("1470") and account.session_epoch == epoch + 1


# --- Sign-up codes: used once, limited, and not kept --------------------------------------------


def test_a_used_code_signs_no_one_in_again(app, db):
    browser = app.test_client()
    data = {"name": "پروین", "phone": "09125550600", "pin": "9753", "pin_again": "9753"}
    page = submit(browser, "/account/sign-up", "/account/sign-up", data).location
    code = sent_code("09125550600")
    assert submit(browser, page, page, {"code": code}).status_code == 302
    row = models.OneTimeCode.get()
    assert row.user_id is not None and row.pin_hash == "" and row.name == "" and row.tries == row.TRIES
    # Someone who saw the page's address (a kiosk's history, a log) finds no page there now...
    other = app.test_client()
    assert other.get(page).status_code == 404
    # ...and sending the code with it, from another browser, opens nothing.
    response = submit(other, "/account/sign-up", page, {"code": code})
    assert 'id="f-code-error"' in check_page(response, status=422)
    assert other.get("/account/").status_code == 302
    assert accounts.confirm_sign_up(page.rsplit("/", 1)[1], code) == (None, "used")
    # The same browser pressing the button again is signed in already: it goes on.
    assert submit(browser, "/account/", page, {"code": code}).status_code == 302
    assert browser.get("/account/").status_code == 200
    assert models.User.select().count() == 1


def test_the_sign_up_code_page_shows_the_numbers_last_digits_only_and_is_gone_once_expired(app, db):
    browser = app.test_client()
    data = {"name": "پروین", "phone": "09125550601", "pin": "9753", "pin_again": "9753"}
    page = submit(browser, "/account/sign-up", "/account/sign-up", data).location
    html = check_page(browser.get(page))
    assert "…۰۶۰۱" in html and "9125550601" not in persian.to_latin_digits(html)
    models.OneTimeCode.update(expires_at=models.utcnow()).execute()
    assert browser.get(page).status_code == 404


def ask_code(phone, address, now):
    return accounts.request_sign_up(phone, "کسی", "9753", None, address, "{}".format, "exists", now=now)


def test_codes_to_one_number_are_limited_per_day(db):
    start = models.utcnow()
    sent = 0
    for hour in range(4):
        for minute in range(3):
            when = start + datetime.timedelta(hours=hour, minutes=minute)
            sent += ask_code("09125550700", f"10.18.{hour}.{minute}", when).request_id is not None
    assert sent == accounts.SIGN_UP_LIMITS["phone_per_day"] == 5
    refused = ask_code("09125550700", "10.18.9.9", start + datetime.timedelta(hours=5))
    assert refused.request_id is None and refused.wait_seconds > 18 * 3600
    assert models.SmsMessage.select().where(models.SmsMessage.phone == "09125550700").count() == 5
    assert ask_code("09125550700", "10.18.9.9", start + datetime.timedelta(days=1, minutes=1)).request_id


def test_sign_up_codes_have_a_site_wide_hourly_budget(db, monkeypatch):
    monkeypatch.setitem(accounts.CODE_BUDGETS, "sign_up", 6)
    now = models.utcnow()
    for index in range(6):
        assert ask_code(f"091255508{index:02d}", f"10.19.{index}.1", now).request_id
    refused = ask_code("09125550899", "10.19.99.1", now)
    assert refused.request_id is None and refused.wait_seconds > 50 * 60
    assert models.SmsMessage.select().count() == 6
    assert ask_code("09125550899", "10.19.99.1", now + datetime.timedelta(hours=1, seconds=1)).request_id


def test_each_purpose_has_its_own_budget_and_a_spent_one_is_logged_without_numbers(db, monkeypatch, caplog):
    """Whoever spends the sign-ups' budget, from many networks, does not shut
    the front door: a guest still gets a code to ask for help, and a neighbor
    one to claim their account. The operator is told which budget is spent."""
    monkeypatch.setitem(accounts.CODE_BUDGETS, "sign_up", 4)
    now = models.utcnow()
    for index in range(4):
        assert ask_code(f"091255512{index:02d}", f"10.21.{index}.1", now).request_id
    with caplog.at_level(logging.WARNING, logger="hamsayeh.codes"):
        assert ask_code("09125551299", "10.21.50.1", now).request_id is None
    assert "budget of 4 codes for sign_up is spent" in caplog.text
    assert "09125551299" not in caplog.text and "9125551299" not in caplog.text
    asked = accounts.send_code("ask_help", "09125551298", "10.21.51.1", "{}".format, now=now)
    claimed = accounts.send_code("claim", "09125551297", "10.21.52.1", "{}".format, now=now)
    assert asked.request_id and claimed.request_id
    assert accounts.CODE_BUDGETS["ask_help"] > max(accounts.CODE_BUDGETS["sign_up"], accounts.CODE_BUDGETS["claim"])


def test_codes_from_one_ipv4_network_of_256_addresses_share_its_limit(db, monkeypatch, caplog):
    monkeypatch.setitem(accounts.SIGN_UP_LIMITS, "address", 3)
    now = models.utcnow()
    for index in range(3):  # three addresses of one /24
        assert ask_code(f"091255513{index:02d}", f"10.22.7.{index * 80 + 1}", now).request_id
    with caplog.at_level(logging.WARNING, logger="hamsayeh.codes"):
        assert ask_code("09125551310", "10.22.7.254", now).request_id is None
    assert "the network 10.22.7.0/24 has asked for 3 codes this hour" in caplog.text
    assert "9125551310" not in caplog.text
    assert ask_code("09125551311", "10.22.8.1", now).request_id  # the next /24 is another network
    assert ask_code("09125551312", "::ffff:10.22.7.9", now).request_id is None  # the same, written as IPv6


def test_sign_ups_from_one_ipv6_network_share_the_address_limit(db, monkeypatch):
    monkeypatch.setitem(accounts.SIGN_UP_LIMITS, "address", 3)
    now = models.utcnow()
    for index in range(3):
        assert ask_code(f"091255509{index:02d}", f"2001:db8:9:1::{index + 1}", now).request_id
    assert ask_code("09125550910", "2001:db8:9:1:abcd::1", now).request_id is None
    assert ask_code("09125550911", "2001:db8:9:2::1", now).request_id


def test_old_codes_are_deleted_when_new_ones_are_asked_for(db):
    now = models.utcnow()
    ask_code("09125551000", "10.20.0.1", now - models.OneTimeCode.LIFETIME - datetime.timedelta(days=1, minutes=1))
    ask_code("09125551001", "10.20.0.2", now - datetime.timedelta(hours=23))
    assert models.OneTimeCode.select().count() == 2
    ask_code("09125551002", "10.20.0.3", now)
    assert sorted(row.phone for row in models.OneTimeCode.select()) == ["09125551001", "09125551002"]


def test_the_log_names_a_number_by_a_keyed_hash_only(people):
    """ASVS V16.2.5: a failed sign-in is logged without the number, and an
    unkeyed hash (which the few billion mobile numbers would undo) is not used."""
    accounts.sign_in("09129998877", "1357", "10.1.2.3")
    entry = models.AuditEntry.get(models.AuditEntry.action == "signin.failed")
    assert "09129998877" not in entry.subject + entry.detail
    assert entry.subject == audit.phone_subject("09129998877")
    assert entry.subject != "phone:" + hashlib.sha256(b"phone:09129998877").hexdigest()[:12]
