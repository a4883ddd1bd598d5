"""Claiming an account made at a center's desk or by an import: the number's
holder proves it with a one-time SMS code and chooses a PIN. The page answers
alike for every number, the code is kept only as a hash, and the same limits
hold as for every code."""

import re

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, claims
from tests.conftest import sign_in, submit
from tests.factories import person, sent_code

PHONE = "09125557788"


def made_at_desk(places, people, phone=PHONE):
    return claims.register_for(phone, "مریم سالمند", places["Tajrish"].id, "desk", people["center_staff"])


def ask_code(client, phone=PHONE):
    return submit(client, "/account/claim", "/account/claim", {"phone": persian.to_persian_digits(phone)})


def test_an_account_made_at_the_desk_is_claimed_with_a_code_and_a_new_pin(client, places, people):
    member = made_at_desk(places, people)
    assert not accounts.sign_in(PHONE, "2580", "10.0.0.1").user  # no PIN opens it yet
    asked = ask_code(client)
    assert asked.status_code == 302 and "/account/claim/" in asked.location
    code = sent_code(PHONE)
    row = models.OneTimeCode.get(models.OneTimeCode.phone == PHONE)
    assert row.purpose == "claim" and code not in row.code_hash and models.verify_pin(row.code_hash, code)
    done = submit(client, asked.location, asked.location, {"code": code, "pin": "7391", "pin_again": "۷۳۹۱"})
    assert done.status_code == 302
    assert "مریم" in client.get("/account/").get_data(as_text=True)  # signed in
    claimed = models.User.get_by_id(member.id)
    assert claimed.claimed_at is not None and claimed.origin == "desk"
    assert accounts.sign_in(PHONE, "7391", "10.0.0.2").user.id == member.id
    # Claimed once: the same code again, or a new request, claims nothing.
    again = submit(client, asked.location, asked.location, {"code": code, "pin": "1470", "pin_again": "1470"})
    assert again.status_code == 422 and "پیش‌تر به کار رفته" in again.get_data(as_text=True)
    other = client.application.test_client()
    ask_code(other)
    assert "حسابی برای پذیرفتن" in models.SmsMessage.select().order_by(models.SmsMessage.id.desc()).first().body
    assert accounts.sign_in(PHONE, "7391", "10.0.0.3").user is not None


def test_the_page_says_the_same_for_a_number_with_nothing_to_claim(client, places, people):
    made_at_desk(places, people)
    person("09125557799", "عضو با رمز", neighborhood=places["Tajrish"])
    answers = [ask_code(client.application.test_client(), phone) for phone in (PHONE, "09125557799", "09125550000")]
    assert all(answer.status_code == 302 for answer in answers)
    pages = [client.get(answer.location).get_data(as_text=True) for answer in answers]
    shapes = {re.sub(r"[۰-۹\d]|/account/claim/[\w-]+", "", page) for page in pages}
    assert len(shapes) == 1  # the same page, but for the number shown
    assert sent_code(PHONE) and sent_code("09125557799") is None and sent_code("09125550000") is None


def test_a_wrong_code_keeps_nothing_typed_and_five_tries_end_it(client, places, people):
    made_at_desk(places, people)
    asked = ask_code(client)
    for _ in range(models.OneTimeCode.TRIES):
        wrong = submit(client, asked.location, asked.location, {"code": "000000", "pin": "7391", "pin_again": "7391"})
        assert wrong.status_code == 422 and "7391" not in wrong.get_data(as_text=True)
    last = submit(
        client, asked.location, asked.location, {"code": sent_code(PHONE), "pin": "7391", "pin_again": "7391"}
    )
    assert last.status_code == 422 and models.User.get(models.User.phone == PHONE).claimed_at is None


def test_a_staff_account_is_never_claimed_by_sms(client, places, people):
    staff = people["center_staff"]
    models.User.update(origin="import", claimed_at=None).where(models.User.id == staff.id).execute()
    ask_code(client, staff.phone)
    assert sent_code(staff.phone) is None


def test_claim_codes_share_the_limits_of_every_code(client, places, people):
    made_at_desk(places, people)
    for _ in range(accounts.SIGN_UP_LIMITS["phone"]):
        assert ask_code(client.application.test_client()).status_code == 302
    refused = ask_code(client)
    assert refused.status_code == 422 and "دقیقه" in refused.get_data(as_text=True)


def test_a_claimed_member_signs_in_as_any_other(client, places, people):
    made_at_desk(places, people)
    asked = ask_code(client)
    submit(client, asked.location, asked.location, {"code": sent_code(PHONE), "pin": "7391", "pin_again": "7391"})
    fresh = client.application.test_client()
    sign_in(fresh, PHONE, "7391")


def test_the_code_page_shows_the_numbers_last_digits_only_and_is_gone_once_used_or_expired(client, places, people):
    """Its address stays in a kiosk's history and in logs: it shows no whole
    number, and nothing at all once the code can no longer be used."""
    made_at_desk(places, people)
    asked = ask_code(client)
    html = client.get(asked.location).get_data(as_text=True)
    assert "…۷۷۸۸" in html and PHONE[1:] not in persian.to_latin_digits(html)
    submit(client, asked.location, asked.location, {"code": sent_code(PHONE), "pin": "7391", "pin_again": "7391"})
    stranger = client.application.test_client()
    assert client.get(asked.location).status_code == stranger.get(asked.location).status_code == 404
    waiting = ask_code(stranger, "09125557799")
    assert stranger.get(waiting.location).status_code == 200
    models.OneTimeCode.update(expires_at=models.utcnow()).where(models.OneTimeCode.phone == "09125557799").execute()
    assert stranger.get(waiting.location).status_code == 404
