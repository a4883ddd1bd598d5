"""Registering in person (issue 18): a center's staff make an account for a
neighbor beside them; the neighbor chooses their own PIN at the center's
kiosk with the code the desk printed (or by an SMS code); a neighbor without a
phone has the desk as their contact. Only that center's staff register there,
and every account made this way is audited."""

import re

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, imports, inbox, notifications
from hamsayeh.views import kiosk
from tests.conftest import csrf_token, sign_in, submit
from tests.factories import person
from tests.pages import check_page

NEIGHBOR = "۰۹۱۲ ۴۴۴ ۵۵۶۶"
NEIGHBOR_PHONE = "09124445566"


@pytest.fixture
def centers(people, places):
    """Center A in Tajrish, where center_staff works; center B in Bazaar, with its own staff member."""
    first = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    second = models.Center.create(area=places["Bazaar"], name="مرکز مثبت زندگی بازار")
    accounts.set_work_center(people["center_staff"], first, people["admin"])
    other = person("09125550000", "کارکن بازار", roles=("center_staff",), neighborhood=places["Bazaar"])
    accounts.set_work_center(other, second, people["admin"])
    return {"A": first, "B": second, "staff_A": people["center_staff"], "staff_B": other}


def register(client, center, **fields):
    page = f"/desk/centers/{center.id}/register"
    data = {"name": "صغری بانو", "phone": NEIGHBOR, "neighborhood": str(center.area_id), **fields}
    return submit(client, page, page, data)


def printed_code(html):
    found = re.search(r'id="claim-code">([^<]+)<', html)
    return persian.to_latin_digits(found.group(1)).replace(" ", "") if found else None


def make_kiosk(app, center, staff):
    """A terminal of `center` made into its kiosk by its staff, nobody signed in on it."""
    terminal = app.test_client()
    sign_in(terminal, staff.phone)
    page = f"/kiosk/centers/{center.id}"
    assert submit(terminal, page, page, {"name": "پایانهٔ ورودی"}).status_code == 302
    assert terminal.get_cookie(kiosk.COOKIE) is not None
    return terminal


def claim_at(terminal, code, phone=NEIGHBOR, pin="2468"):
    return submit(
        terminal, "/kiosk/claim", "/kiosk/claim", {"phone": phone, "code": code, "pin": pin, "pin_again": pin}
    )


def test_staff_register_a_neighbor_who_chooses_their_own_pin_at_the_kiosk(app, client, centers, places):
    sign_in(client, centers["staff_A"].phone)
    form = check_page(client.get(f"/desk/centers/{centers['A'].id}/register"))
    assert f'<option value="{places["Tajrish"].id}" selected>' in form  # the center's own neighborhood first
    html = check_page(register(client, centers["A"]))
    code = printed_code(html)
    assert code and len(code) == 8
    neighbor = models.User.by_phone(NEIGHBOR_PHONE)
    assert (neighbor.origin, neighbor.pin_hash, neighbor.claimed_at) == ("desk", "", None)
    assert neighbor.neighborhood_id == places["Tajrish"].id and neighbor.roles() == {"resident"}
    made = models.AuditEntry.get(models.AuditEntry.action == "account.made_at_desk")
    assert (made.actor_id, made.subject) == (centers["staff_A"].id, f"user:{neighbor.id}")
    assert models.DeskRegistration.get().made_by_id == centers["staff_A"].id
    # Nobody signs in to it until its holder chose a PIN.
    stranger = app.test_client()
    assert (
        submit(stranger, "/account/sign-in", "/account/sign-in", {"phone": NEIGHBOR, "pin": "2580"}).status_code == 422
    )
    terminal = make_kiosk(app, centers["A"], centers["staff_A"])
    check_page(terminal.get("/kiosk/claim"))
    done = claim_at(terminal, persian.to_persian_digits(code[:4] + " " + code[4:]))
    assert done.status_code == 302 and done.location == "/kiosk/me"
    assert "صغری بانو" in terminal.get("/kiosk/me").get_data(as_text=True)
    neighbor = models.User.get_by_id(neighbor.id)
    assert neighbor.check_pin("2468") and neighbor.claimed_at is not None
    claimed = models.AuditEntry.get(models.AuditEntry.action == "account.claimed")
    assert claimed.actor_id == neighbor.id and "desk code" in claimed.detail
    # The code is used: typed again, it opens nothing.
    again = app.test_client()
    again.set_cookie(kiosk.COOKIE, terminal.get_cookie(kiosk.COOKIE).value)
    assert claim_at(again, code, pin="9753").status_code == 422
    assert models.User.get_by_id(neighbor.id).check_pin("2468")


def test_a_double_submit_makes_one_account_and_only_the_last_code_works(app, client, centers):
    sign_in(client, centers["staff_A"].phone)
    page = f"/desk/centers/{centers['A'].id}/register"
    data = {"name": "صغری بانو", "phone": NEIGHBOR, "neighborhood": str(centers["A"].area_id), "form_key": "k" * 32}
    first = printed_code(submit(client, page, page, data).get_data(as_text=True))
    second = printed_code(check_page(submit(client, page, page, data)))
    assert models.User.select().where(models.User.phone == NEIGHBOR_PHONE).count() == 1
    assert models.DeskRegistration.select().count() == 1
    terminal = make_kiosk(app, centers["A"], centers["staff_A"])
    assert first != second
    html = claim_at(terminal, first).get_data(as_text=True)
    assert "این کد دیگر کار نمی‌کند" in html or "شماره یا کد درست نیست" in html
    assert claim_at(terminal, second).status_code == 302


def test_five_wrong_codes_void_it_and_a_code_works_only_at_its_centers_kiosk(app, client, centers):
    sign_in(client, centers["staff_A"].phone)
    code = printed_code(register(client, centers["A"]).get_data(as_text=True))
    elsewhere = make_kiosk(app, centers["B"], centers["staff_B"])
    assert "شماره یا کد درست نیست" in claim_at(elsewhere, code).get_data(as_text=True)
    terminal = make_kiosk(app, centers["A"], centers["staff_A"])
    wrong = "00000000" if code != "00000000" else "11111111"
    for _try in range(5):
        assert claim_at(terminal, wrong).status_code == 422
    refused = claim_at(terminal, code)
    assert refused.status_code == 422 and "از میز کمک کد تازه‌ای بخواهید" in refused.get_data(as_text=True)
    assert models.User.by_phone(NEIGHBOR_PHONE).pin_hash == ""
    # An unknown number is answered like a wrong code.
    assert "شماره یا کد درست نیست" in claim_at(terminal, code, phone="09120009999").get_data(as_text=True)


def test_a_neighbor_without_a_phone_has_the_desk_as_their_contact(app, client, centers, places):
    sign_in(client, centers["staff_A"].phone)
    for name in ("حاج آقا رحیمی", "خانم صدری"):  # two people without a number: no clash
        html = check_page(register(client, centers["A"], name=name, phone=""))
        assert printed_code(html) is None and "تلفن ندارد" in html
    neighbor = models.User.get(models.User.name == "حاج آقا رحیمی")
    assert neighbor.phone is None and neighbor.contact_center_id == centers["A"].id
    assert not notifications.wants_sms(neighbor)
    assert models.AuditEntry.get(models.AuditEntry.subject == f"user:{neighbor.id}").detail == "no phone"
    inbox.notify(neighbor, "helper_asked")
    listed = check_page(client.get("/desk/without-phone"))
    assert "حاج آقا رحیمی" in listed and "۱ پیام تازه" in listed and "خانم صدری" in listed
    # The desk acts for them, with them beside it, to read their messages.
    acting = submit(client, "/desk/without-phone", f"/desk/{neighbor.id}/act", {})
    assert acting.status_code == 302
    assert "پیام" in check_page(client.get("/inbox/"))
    # "Call me back" for them asks for a number, or a name at a center: they have none of their own.
    page = check_page(client.get("/simple/call-me"))
    assert 'name="mine"' not in page
    assert submit(client, "/simple/call-me", "/simple/call-me", {"mine": "1", "form_key": "x" * 20}).status_code == 422
    # Another center's desk neither lists them nor acts for them.
    other = app.test_client()
    sign_in(other, centers["staff_B"].phone)
    assert "حاج آقا رحیمی" not in other.get("/desk/without-phone").get_data(as_text=True)
    assert submit(other, "/desk/", f"/desk/{neighbor.id}/act", {}).status_code == 404


@pytest.mark.parametrize("who", ["staff_B", "resident", "volunteer", "facilitator", "admin"])
def test_only_the_centers_own_staff_register_into_its_desk(app, client, centers, people, who):
    member = centers[who] if who == "staff_B" else people[who]
    sign_in(client, member.phone)
    before = models.User.select().count()
    page = f"/desk/centers/{centers['A'].id}/register"
    assert client.get(page).status_code == 403
    token = csrf_token(client, "/account/")
    data = {"csrf_token": token, "name": "صغری بانو", "phone": NEIGHBOR, "neighborhood": str(centers["A"].area_id)}
    assert client.post(page, data=data).status_code == 403
    assert models.User.select().count() == before


def test_a_guest_is_sent_to_sign_in(client, centers):
    response = client.get(f"/desk/centers/{centers['A'].id}/register")
    assert response.status_code == 302 and "/account/sign-in" in response.location


def test_the_desk_hands_a_claim_code_to_people_a_list_brought(app, client, centers, people, places):
    lines = [
        ["تلفن همراه", "نام", "استان", "شهر", "محله", "فعالیت‌ها", "روزها"],
        ["09126660001", "پروین داوطلب", "تهران", "تهران", "تجریش", "سلامت", "شنبه"],
    ]
    assert imports.run(imports.VolunteersImport(), lines, people["admin"]).ok
    facilitators = [
        ["تلفن همراه", "نام", "استان", "شهر", "محله"],
        ["09126660002", "لیلا تسهیل‌گر", "تهران", "تهران", "تجریش"],
    ]
    assert imports.run(imports.FacilitatorsImport(), facilitators, people["admin"]).ok
    sign_in(client, centers["staff_A"].phone)
    for phone in ("09126660001", "09126660002"):
        found = check_page(submit(client, "/desk/", "/desk/", {"phone": phone}))
        assert "دادن کد پذیرش حساب" in found
        member = models.User.by_phone(phone)
        code = printed_code(check_page(submit(client, "/desk/", f"/desk/{member.id}/claim-code", {})))
        terminal = make_kiosk(app, centers["A"], centers["staff_A"])
        assert claim_at(terminal, code, phone=phone).status_code == 302
        assert models.User.by_phone(phone).check_pin("2468")
    # Once claimed, the account is the person's: no more codes for it.
    member = models.User.by_phone("09126660001")
    assert submit(client, "/desk/", f"/desk/{member.id}/claim-code", {}).status_code == 404
    # Another center's staff give no code for a member of this one.
    sign_in(client, centers["staff_B"].phone)
    other = imports.run(
        imports.VolunteersImport(),
        [lines[0], ["09126660003", "بهار", "تهران", "تهران", "تجریش", "سلامت", "شنبه"]],
        None,
    )
    assert other.ok
    member = models.User.by_phone("09126660003")
    assert submit(client, "/desk/", f"/desk/{member.id}/claim-code", {}).status_code == 404


def test_the_kiosk_shows_the_sms_claim_too(app, centers):
    terminal = make_kiosk(app, centers["A"], centers["staff_A"])
    start = terminal.get("/kiosk/").get_data(as_text=True)
    assert "/kiosk/claim" in start
    assert terminal.get("/account/claim").status_code == 200
