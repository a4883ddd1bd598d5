"""The help desk: center staff and facilitators give a neighbor a new PIN,
never to a staff account or to someone they do not look after."""

import re

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
