"""Issue 14, findings 3, 4 and 5, tried as an attacker would: a number under
attack still lets its owner in; no answer tells whether a number has an
account or whose it is; the PIN change guesses no faster than sign-in; and a
helper acts only once they have accepted."""

import datetime
import re

import models
from hamsayeh import persian
from hamsayeh.domain import access, accounts, acting
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
    """The PIN hasher, counting its checks."""

    def __init__(self, inner):
        self.inner, self.verified = inner, 0

    def hash(self, pin):
        return self.inner.hash(pin)

    def verify(self, pin_hash, pin):
        self.verified += 1
        return self.inner.verify(pin_hash, pin)


# --- Finding 3: slow the attacker, never lock out the owner ------------------------------


def test_owner_signs_in_at_the_first_try_after_500_wrong_pins_from_10_addresses(people):
    owner = people["resident"]
    now = models.utcnow()
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
    # ... while the owner, at an address of their own, gets in at once.
    assert accounts.sign_in(owner.phone, PIN, "192.168.1.20", now=now).user == owner


def test_the_owner_gets_in_over_http_while_others_attack_the_number(app, people):
    owner = people["resident"]
    for index in range(10):
        attacker = app.test_client()
        for guess in range(5):
            data = {"phone": owner.phone, "pin": f"{3000 + guess}"}
            response = submit(attacker, "/account/sign-in", "/account/sign-in", data, **at(f"10.1.0.{index}"))
            assert response.status_code == 422
    # The refusal names the wait in Persian digits.
    message = error_of(check_page(response, status=422), "pin")
    assert PERSIAN_DIGIT.search(message) and not LATIN_DIGIT.search(message)
    mine = app.test_client()
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
    assert delays[-1] <= models.THROTTLE_CAP.total_seconds() + 1 and delays[-1] == delays[-2]


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
        assert ask("09125550007", f"10.6.0.{index}").request_id
    refused = ask("09125550007", "10.6.0.9")
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
