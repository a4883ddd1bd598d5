"""The help desk: center staff and facilitators give a neighbor a new PIN,
never to a staff account or to someone they do not look after."""

import datetime
import re

import pytest

import models
from hamsayeh.domain import accounts, callbacks
from tests.conftest import sign_in, submit
from tests.pages import check_page


def find(client, phone, status=200):
    return check_page(submit(client, "/desk/", "/desk/", {"phone": phone}), status=status)


def test_a_facilitator_gives_a_neighbor_who_forgot_a_new_pin(client, app, people, places):
    resident = people["resident"]
    other = app.test_client()
    sign_in(other, resident.phone)
    sign_in(client, people["facilitator"].phone)
    html = find(client, "۰۹۱۲۰۰۰۰۰۰۱")
    assert "کاربر resident" in html
    html = check_page(submit(client, "/desk/", f"/desk/{resident.id}/pin", {}))
    pin = re.search(r'<p class="big" dir="ltr">([۰-۹]{4})</p>', html).group(1)
    latin = pin.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    assert other.get("/time/").status_code == 302  # the person's old sessions ended
    sign_in(other, resident.phone, pin=latin)
    actions = [entry.action for entry in models.AuditEntry.select()]
    assert "desk.lookup" in actions and "account.pin_reset" in actions


def test_staff_accounts_and_strangers_are_out_of_reach(client, people, places):
    far = accounts.create_user("09120000300", "ساکن بازار", "2580", neighborhood=places["Bazaar"])
    sign_in(client, people["facilitator"].phone)
    for phone in (people["admin"].phone, people["center_staff"].phone, far.phone, "09129999999"):
        html = find(client, phone, status=422)
        assert 'id="f-phone-error"' in html
    for target in (people["admin"], far):
        assert submit(client, "/desk/", f"/desk/{target.id}/pin", {}).status_code == 404
    sign_in(client, people["resident"].phone)
    assert client.get("/desk/").status_code == 403


def test_center_staff_serve_the_members_of_their_center(client, people, places):
    staff = people["center_staff"]
    sign_in(client, staff.phone)
    find(client, people["resident"].phone, status=422)  # no center yet: nobody
    staff.work_center = models.Center.create(area=places["District 1"], name="مرکز تجریش")
    staff.save()
    assert "کاربر resident" in find(client, people["resident"].phone)


def test_call_back_requests_reach_the_desks_that_serve_them(client, people, places):
    near = callbacks.request_callback(phone="09121111111", neighborhood=places["Niavaran"])
    unplaced = callbacks.request_callback(phone="09122222222", source="sms")
    far = callbacks.request_callback(phone="09123333333", neighborhood=places["Bazaar"])
    sign_in(client, people["facilitator"].phone)
    html = check_page(client.get("/desk/calls"))
    assert "۰۹۱۲۱۱۱۱۱۱۱" in html and "۰۹۱۲۲۲۲۲۲۲۲" in html and "۰۹۱۲۳۳۳۳۳۳۳" not in html
    assert submit(client, "/desk/calls", f"/desk/calls/{near.id}", {"status": "called"}).status_code == 302
    assert submit(client, "/desk/calls", f"/desk/calls/{far.id}", {"status": "called"}).status_code == 404
    assert models.CallbackRequest.get_by_id(near.id).status == "called"
    assert "۰۹۱۲۱۱۱۱۱۱۱" not in check_page(client.get("/desk/calls"))
    assert models.CallbackRequest.get_by_id(unplaced.id).status == "open"
    sign_in(client, people["resident"].phone)
    assert client.get("/desk/calls").status_code == 403


def ask_to_be_called(client, phone, key):
    data = {"phone": phone, "form_key": key}
    return submit(client, "/simple/call-me", "/simple/call-me", data)


def test_a_guest_flooding_call_backs_is_refused_per_number_and_per_address(app, client, places):
    """Issue 14 finding 9: the web form had no limit."""
    answers = [ask_to_be_called(client, "09121234567", f"flood-{n}").status_code for n in range(30)]
    assert answers[: callbacks.PER_PHONE_PER_DAY] == [302] * callbacks.PER_PHONE_PER_DAY
    assert set(answers[callbacks.PER_PHONE_PER_DAY :]) == {429}
    refused = check_page(ask_to_be_called(client, "09121234567", "flood-last"), status=429)
    assert "چند بار" in refused and 'value="09121234567"' in refused  # why, and what was typed
    assert 'id="f-phone-error"' in refused
    # Other numbers from the same address: refused once the address has sent its share.
    answers = [ask_to_be_called(client, f"091200001{n:02d}", f"other-{n}").status_code for n in range(30)]
    allowed = callbacks.PER_ADDRESS_PER_HOUR - callbacks.PER_PHONE_PER_DAY
    assert answers[:allowed] == [302] * allowed and set(answers[allowed:]) == {429}
    assert "ساعت گذشته" in check_page(ask_to_be_called(client, "09120000999", "other-last"), status=429)
    assert models.CallbackRequest.select().count() == callbacks.PER_ADDRESS_PER_HOUR
    # A different neighbor, from their own address, still gets through.
    neighbor = app.test_client()
    neighbor.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    assert ask_to_be_called(neighbor, "09127654321", "neighbor-1").status_code == 302
    # The address is kept only as a hash.
    hashes = {row.address_hash for row in models.CallbackRequest.select()}
    assert hashes == {callbacks.address_hash("127.0.0.1"), callbacks.address_hash("10.20.30.40")}
    assert not any("127.0.0.1" in h or "10.20.30.40" in h for h in hashes)


def test_the_limit_per_number_also_holds_for_sms_and_a_day_later_it_is_lifted(places):
    yesterday = models.utcnow() - datetime.timedelta(days=1, minutes=1)
    for _n in range(callbacks.PER_PHONE_PER_DAY):
        callbacks.request_callback(phone="09121234567", source="sms", now=yesterday)
    for _n in range(callbacks.PER_PHONE_PER_DAY):
        callbacks.request_callback(phone="09121234567", source="sms")
    try:
        callbacks.request_callback(phone="09121234567", source="sms")
    except callbacks.LimitReached as limit:
        assert limit.reason == "phone"
    else:
        raise AssertionError("a fourth request of the day was accepted")
    # The same form sent again is the first request, not a new one.
    first = callbacks.request_callback(form_key="k-1", phone="09120000001", address="10.0.0.1")
    assert callbacks.request_callback(form_key="k-1", phone="09120000001", address="10.0.0.1").id == first.id


def test_the_desk_shows_the_newest_calls_and_pages_to_older_ones(client, people, places):
    start = models.utcnow() - datetime.timedelta(hours=30)
    made = [
        callbacks.request_callback(
            phone=f"091211111{n:02d}", neighborhood=places["Niavaran"], now=start + datetime.timedelta(hours=n)
        )
        for n in range(30)
    ]
    callbacks.close_callback(made[5], "called", people["admin"])
    sign_in(client, people["facilitator"].phone)
    first = check_page(client.get("/desk/calls"))
    assert "۰۹۱۲۱۱۱۱۱۲۹" in first and "۰۹۱۲۱۱۱۱۱۰۰" not in first  # the newest, not the oldest
    assert first.index("۰۹۱۲۱۱۱۱۱۲۹") < first.index("۰۹۱۲۱۱۱۱۱۲۸")
    assert "صفحه ۱" in first and "/desk/calls?status=open&amp;page=2" in first
    older = check_page(client.get("/desk/calls?status=open&page=۲"))
    assert "۰۹۱۲۱۱۱۱۱۰۰" in older and "۰۹۱۲۱۱۱۱۱۲۹" not in older
    assert "۰۹۱۲۱۱۱۱۱۰۵" not in first + older  # answered: not among the open ones
    called = check_page(client.get("/desk/calls?status=called"))
    assert "۰۹۱۲۱۱۱۱۱۰۵" in called and "۰۹۱۲۱۱۱۱۱۲۹" not in called
    assert 'aria-current="page"' in called
    assert check_page(client.get("/desk/calls?status=nonsense&page=x")).count("۰۹۱۲۱۱۱۱۱") == callbacks.CALLS_PER_PAGE


def test_a_phone_walking_its_ipv6_block_is_still_one_address(places):
    """Each phone is given a whole IPv6 /64: its 2^64 addresses count as one."""
    for n in range(callbacks.PER_ADDRESS_PER_HOUR):
        callbacks.request_callback(phone=f"091200002{n:02d}", address=f"2001:db8:1:2::{n + 1:x}")
    with pytest.raises(callbacks.LimitReached) as refused:
        callbacks.request_callback(phone="09120000300", address="2001:db8:1:2:ffff::9")
    assert refused.value.reason == "address"
    # The next block is someone else.
    assert callbacks.request_callback(phone="09120000301", address="2001:db8:1:3::1").id
