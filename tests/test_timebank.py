"""The time bank: a confirmed help pays hours, hours sent by hand and to the
community pool, floors, corrections, the statement PDF, the neighborhood's
summary, and who may see whose account."""

import io
import re
import uuid

import jdatetime
import peewee
import pytest
from pypdf import PdfReader

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, board, timebank
from tests.conftest import sign_in, submit
from tests.factories import make_post
from tests.pages import check_page


def ledger_is_sound():
    wrong, total = timebank.verify_ledger()
    assert wrong == [] and total == 0


def accepted_help(people, places, author="resident", helper="volunteer", **fields):
    post = make_post(people[author], places["Tajrish"], "کمک برای بردن کیسه‌های خرید به خانه", **fields)
    response = board.respond_to_post(post, people[helper])
    board.accept_response(response, people[author])
    return post, models.HelpResponse.get_by_id(response.id)


def balance(user):
    return timebank.member_account(user).balance


def confirm(client, response, **data):
    return submit(client, f"/board/posts/{response.post_id}", f"/board/responses/{response.id}/confirm", data)


def test_a_confirmed_help_pays_the_estimate_from_the_helped_to_the_helper(client, people, places):
    post, response = accepted_help(people, places, estimate_minutes=90)
    sign_in(client, people["resident"].phone)
    html = check_page(client.get(f"/board/posts/{post.id}"))
    assert '<option value="90" selected>' in html
    confirm(client, response, minutes="90", thank_you="ممنون")
    assert balance(people["resident"]) == -90 and balance(people["volunteer"]) == 90
    paid = models.TimeTransfer.get()
    assert (paid.kind, paid.response_id, paid.made_by_id) == ("help", response.id, people["resident"].id)
    # Confirming again pays nothing more.
    confirm(client, response, minutes="90")
    assert models.TimeTransfer.select().count() == 1
    ledger_is_sound()
    html = check_page(client.get("/time/"))
    assert "−۱ ساعت و ۳۰ دقیقه" in html and "کاربر volunteer" in html


def test_the_helped_person_chooses_other_hours_or_none(client, people, places):
    _post, response = accepted_help(people, places)
    sign_in(client, people["resident"].phone)
    confirm(client, response, minutes="۱۵۰")
    assert models.TimeTransfer.get().minutes == 150
    models.TimeTransfer.delete().execute()  # a fresh ledger for the second case
    models.TimeAccount.update(balance=0).execute()
    other = accounts.create_user("09120000100", "همسایهٔ دیگر", "2580", neighborhood=places["Tajrish"])
    _post, gift = accepted_help(people, places, helper="admin")
    board.respond_to_post(gift.post, other)
    confirm(client, gift, minutes="0")
    assert models.HelpResponse.get_by_id(gift.id).status == "confirmed"
    assert models.TimeTransfer.select().count() == 0


@pytest.mark.parametrize("minutes", ["7", "1000", "-60", "یک ساعت", ""])
def test_hours_outside_the_list_confirm_nothing(client, people, places, minutes):
    _post, response = accepted_help(people, places)
    sign_in(client, people["resident"].phone)
    answer = confirm(client, response, minutes=minutes)
    assert answer.status_code == 302
    assert models.HelpResponse.get_by_id(response.id).status == "accepted"
    assert models.TimeTransfer.select().count() == 0
    assert "از فهرست" in client.get(answer.location).get_data(as_text=True)


def test_a_help_that_would_cross_the_floor_stays_unconfirmed(client, people, places):
    resident = people["resident"]
    timebank.transfer(timebank.member_account(resident), timebank.member_account(people["admin"]), 590, resident)
    _post, response = accepted_help(people, places)
    sign_in(client, resident.phone)
    answer = confirm(client, response, minutes="60")
    assert models.HelpResponse.get_by_id(response.id).status == "accepted"
    assert models.TimeTransfer.select().count() == 1
    html = client.get(answer.location).get_data(as_text=True)
    assert "کف" in html and "کمتر" in html
    confirm(client, response, minutes="0")
    assert models.HelpResponse.get_by_id(response.id).status == "confirmed"
    ledger_is_sound()


def test_the_pool_pays_for_members_staff_chose_and_for_neighbors_without_an_account(client, people, places):
    giver = people["charity_staff"]
    pool = timebank.pool_account(places["District 1"])
    timebank.transfer(timebank.member_account(giver), pool, 120, giver, reason="هدیه")
    senior = people["resident"]
    timebank.set_floor(timebank.member_account(senior), -20 * 60, True, people["admin"])
    _post, response = accepted_help(people, places)
    board.confirm_help(response, senior, minutes=90)
    assert balance(senior) == 0 and models.TimeAccount.get_by_id(pool.id).balance == 30
    # The pool has too little for the next help: the member pays it.
    _post, second = accepted_help(people, places, helper="social_worker")
    board.confirm_help(second, senior, minutes=60)
    assert balance(senior) == -60 and models.TimeAccount.get_by_id(pool.id).balance == 30
    # A need filed for a neighbor without an account: only the pool may pay.
    filed = make_post(
        people["center_staff"],
        places["Tajrish"],
        "خانم رحیمی برای رفتن به درمانگاه همراه می‌خواهد",
        filed_by=people["center_staff"],
        on_behalf_name="خانم رحیمی",
        on_behalf_contact="مرکز تجریش",
    )
    answer = board.respond_to_post(filed, people["volunteer"])
    board.accept_response(answer, people["center_staff"])
    # A second person, the neighborhood's facilitator, confirms it (issue 14: not the one who filed it).
    board.confirm_help(models.HelpResponse.get_by_id(answer.id), people["facilitator"], minutes=30)
    assert models.TimeAccount.get_by_id(pool.id).balance == 0 and balance(people["center_staff"]) == 0
    ledger_is_sound()


def send_page(client):
    return client.get("/time/send").get_data(as_text=True)


def form_key(html):
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize(
    ("phone", "minutes", "field", "words"),
    [
        ("09120000003", "", "minutes", "چند دقیقه"),
        ("09120000003", "abc", "minutes", "عدد"),
        ("09120000003", "-30", "minutes", "عدد"),
        ("09120000003", "۰", "minutes", "بیشتر از صفر"),
        ("09120000003", "۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹", "minutes", "حداکثر"),
        ("09120000003", "2.5", "minutes", "عدد"),
        ("09129999999", "30", "phone", "نشد"),
        ("0912", "30", "phone", "۱۱"),
        ("09120000001", "30", "phone", "خودتان"),
    ],
)
def test_a_wrong_transfer_gets_a_message_beside_the_field_and_writes_nothing(
    client, people, phone, minutes, field, words
):
    sign_in(client, people["resident"].phone)
    data = {"phone": phone, "minutes": minutes, "reason": "برای درس‌های سه‌شنبه", "form_key": uuid.uuid4().hex}
    data["confirmed"] = "1"  # past the confirmation page, where the number is first looked up
    html = check_page(submit(client, "/time/send", "/time/send", data), status=422)
    error = re.search(rf'<p class="error" id="f-{field}-error">([^<]*)</p>', html)
    assert error and words in error.group(1), html
    assert 'value="برای درس‌های سه‌شنبه"' in html  # what was typed is kept
    assert models.TimeTransfer.select().count() == 0 and models.TimeAccount.select().count() == 0


def test_send_hours_in_persian_digits_and_a_double_submit_sends_once(client, people):
    sign_in(client, people["resident"].phone)
    key = form_key(send_page(client))
    data = {"phone": "۰۹۱۲۰۰۰۰۰۰۳", "minutes": "۹۰", "reason": "سپاس برای کلاس", "form_key": key, "confirmed": "1"}
    for _ in range(2):
        assert submit(client, "/time/send", "/time/send", data).status_code == 302
    sent = models.TimeTransfer.get()
    assert (sent.minutes, sent.kind, sent.reason) == (90, "manual", "سپاس برای کلاس")
    assert balance(people["facilitator"]) == 90 and balance(people["resident"]) == -90
    ledger_is_sound()


def test_a_transfer_past_the_floor_is_refused_with_the_floor_named(client, people):
    sign_in(client, people["resident"].phone)
    data = {"phone": "09120000003", "minutes": "601", "reason": "آزمایش", "form_key": uuid.uuid4().hex}
    html = check_page(submit(client, "/time/send", "/time/send", data), status=422)
    assert "۱۰ ساعت" in html and 'id="f-minutes-error"' in html
    assert models.TimeTransfer.select().count() == 0
    account = timebank.member_account(people["resident"])
    with pytest.raises(peewee.IntegrityError), models.db.atomic():
        # The database itself refuses a balance below the floor.
        models.TimeAccount.update(balance=-601).where(models.TimeAccount.id == account.id).execute()


def test_give_hours_to_the_districts_pool(client, people, places):
    sign_in(client, people["resident"].phone)
    html = check_page(client.get("/time/give"))
    data = {"minutes": "45", "reason": "", "form_key": form_key(html)}
    assert submit(client, "/time/give", "/time/give", data).status_code == 302
    pool = models.TimeAccount.get(models.TimeAccount.area == places["District 1"])
    assert pool.balance == 45 and pool.kind == "pool"
    html = check_page(client.get(f"/time/areas/{places['District 1'].id}"))
    assert "۴۵ دقیقه" in html


def test_the_neighborhoods_summary_counts_hours_by_kind_without_names(client, people, places):
    _post, response = accepted_help(people, places)
    board.confirm_help(response, people["resident"], minutes=120)
    html = check_page(client.get(f"/time/areas/{places['District 1'].id}"))
    assert "خرید و کارهای بیرون" in html and "۲ ساعت" in html
    today = jdatetime.date.today()
    with client.application.test_request_context():
        first_day = jdatetime.date(today.year, today.month, 1).togregorian()
        month_start = persian.to_persian_digits(persian.jalali_date(first_day))
    assert month_start in html
    assert "کاربر" not in html  # no member's name
    html = check_page(client.get(f"/time/areas/{places['District 12'].id}"))
    assert "خرید و کارهای بیرون" not in html
    check_page(client.get("/time/areas/999999"), status=404)


def test_the_statement_pdf_has_the_persian_lines_in_order_and_its_own_font(client, people, places, tmp_path):
    from tests.factories import read_qr

    _post, response = accepted_help(people, places)
    board.confirm_help(response, people["resident"], minutes=60)
    resident = timebank.member_account(people["resident"])
    timebank.transfer(
        resident, timebank.member_account(people["facilitator"]), 30, people["resident"], reason="کتاب قصه"
    )
    sign_in(client, people["resident"].phone)
    answer = client.get("/time/statement.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    text = reader.pages[0].extract_text()
    # Persian runs in logical order, line after line (pypdf drops the ZWNJ, and
    # turns runs of digits and Latin words around: those are not compared).
    expected = ["صورت‌حساب بانک زمان", "ماندهٔ آغاز", "خرید و کارهای بیرون", "فرستادن دستی", "کتاب قصه"]
    positions = [text.replace("\u200c", "").find(line.replace("\u200c", "")) for line in expected]
    assert -1 not in positions and positions == sorted(positions), text
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert any("Vazirmatn" in font for font in fonts), fonts
    assert read_qr(answer.data, tmp_path) == "http://localhost/time/"


def test_only_the_account_holder_sees_their_history(client, people, places):
    _post, response = accepted_help(people, places)
    board.confirm_help(response, people["resident"], minutes=60)
    sign_in(client, people["charity_staff"].phone)
    html = check_page(client.get("/time/"))
    assert "کاربر volunteer" not in html and "کاربر resident" not in html
    account = timebank.member_account(people["resident"])
    for path in ("/time/center", f"/time/accounts/{account.id}"):
        assert client.get(path).status_code == 403


def make_center(places, name="مرکز مثبت زندگی تجریش", area="District 1"):
    return models.Center.create(area=places[area], name=name)


def test_center_staff_look_after_their_own_members_only(client, people, places):
    staff = people["center_staff"]
    center = make_center(places)
    sign_in(client, people["admin"].phone)
    page = f"/admin/people/{staff.id}"
    assert "مرکز مثبت زندگی تجریش" in check_page(client.get(page))
    assert submit(client, page, f"{page}/center", {"center": str(center.id)}).status_code == 302
    assert models.User.get_by_id(staff.id).work_center_id == center.id
    assert submit(client, page, f"{page}/center", {"center": "99999"}).status_code == 400
    resident = timebank.member_account(people["resident"])
    # Bazaar has a center of its own: its residents are that center's members, not this one's.
    make_center(places, "مرکز مثبت زندگی بازار", "Bazaar")
    outsider = accounts.create_user("09120000200", "ساکن بازار", "2580", neighborhood=places["Bazaar"])
    far_account = timebank.member_account(outsider)
    sign_in(client, staff.phone)
    html = check_page(client.get("/time/center"))
    assert "کاربر resident" in html and "ساکن بازار" not in html
    check_page(client.get(f"/time/accounts/{resident.id}"))
    assert client.get(f"/time/accounts/{far_account.id}").status_code == 404
    assert models.AuditEntry.select().where(models.AuditEntry.action == "time.account_viewed").count() == 1
    # A lower floor for a senior, and the pool pays for them.
    page = f"/time/accounts/{resident.id}"
    answer = submit(client, page, f"{page}/floor", {"floor": "۲۵", "pool_pays": "1"})
    assert answer.status_code == 302
    resident = models.TimeAccount.get_by_id(resident.id)
    assert (resident.floor, resident.pool_pays) == (-25 * 60, True)
    for wrong in ("-5x", "۵۰۰", ""):
        html = check_page(submit(client, page, f"{page}/floor", {"floor": wrong}), status=422)
        assert 'id="f-floor-error"' in html
    assert submit(client, page, f"/time/accounts/{far_account.id}/floor", {"floor": "50"}).status_code == 404
    ledger_is_sound()


def test_a_mistake_is_corrected_by_a_transfer_back_once(client, people, places):
    staff = people["center_staff"]
    staff.work_center = make_center(places)
    staff.save()
    resident = timebank.member_account(people["resident"])
    wrong = timebank.transfer(resident, timebank.member_account(people["volunteer"]), 300, people["resident"])
    sign_in(client, people["resident"].phone)
    assert submit(client, "/time/", f"/time/transfers/{wrong.id}/reverse", {}).status_code == 403
    sign_in(client, staff.phone)
    page = f"/time/accounts/{resident.id}"
    for _ in range(2):
        assert submit(client, page, f"/time/transfers/{wrong.id}/reverse", {"reason": "اشتباه"}).status_code == 302
    back = models.TimeTransfer.get(models.TimeTransfer.kind == "reversal")
    assert (back.reverses_id, back.source_id, back.target_id, back.minutes) == (
        wrong.id,
        wrong.target_id,
        resident.id,
        300,
    )
    assert models.TimeTransfer.select().count() == 2
    assert balance(people["resident"]) == 0 and balance(people["volunteer"]) == 0
    with pytest.raises(timebank.TransferError):
        timebank.reverse_transfer(back, staff, "")
    ledger_is_sound()


def test_the_ledger_check_finds_a_balance_that_drifted(db, people):
    account = timebank.member_account(people["resident"])
    models.TimeAccount.update(balance=5).where(models.TimeAccount.id == account.id).execute()
    assert timebank.verify_ledger() == ([account.id], 5)


def test_center_staff_thank_a_volunteer_with_the_centers_hours(client, people, places):
    staff = people["center_staff"]
    sign_in(client, staff.phone)
    assert client.get("/time/center/send").status_code == 404  # not assigned to a center yet
    staff.work_center = make_center(places)
    staff.save()
    html = check_page(client.get("/time/center/send"))
    data = {
        "phone": people["volunteer"].phone,
        "minutes": "120",
        "reason": "برنامهٔ کتاب‌خوانی",
        "form_key": form_key(html),
        "confirmed": "1",
    }
    assert submit(client, "/time/center/send", "/time/center/send", data).status_code == 302
    center = timebank.center_account(staff.work_center)
    assert center.balance == -120 and balance(people["volunteer"]) == 120
    sign_in(client, people["volunteer"].phone)
    assert client.get("/time/center/send").status_code == 403
    ledger_is_sound()


def test_a_floor_above_what_a_member_owes_is_refused(client, people, places):
    staff = people["center_staff"]
    staff.work_center = make_center(places)
    staff.save()
    resident = timebank.member_account(people["resident"])
    timebank.transfer(resident, timebank.member_account(people["volunteer"]), 300, people["resident"])
    sign_in(client, staff.phone)
    page = f"/time/accounts/{resident.id}"
    html = check_page(submit(client, page, f"{page}/floor", {"floor": "2"}), status=422)
    assert "۵ ساعت" in html and 'id="f-floor-error"' in html
    assert models.TimeAccount.get_by_id(resident.id).floor == models.DEFAULT_FLOOR


def test_an_empty_pool_says_so_when_it_cannot_pay(client, people, places):
    staff = people["center_staff"]
    filed = make_post(
        staff,
        places["Tajrish"],
        "آقای کاظمی برای خرید نان همراه می‌خواهد",
        filed_by=staff,
        on_behalf_name="آقای کاظمی",
        on_behalf_contact="مرکز تجریش",
    )
    answer = board.respond_to_post(filed, people["volunteer"])
    board.accept_response(answer, staff)
    # The neighborhood's facilitator confirms for the pool (issue 14: not the one who filed it).
    sign_in(client, people["facilitator"].phone)
    reply = confirm(client, models.HelpResponse.get_by_id(answer.id), minutes="60")
    assert "صندوق محله فقط" in client.get(reply.location).get_data(as_text=True)
    confirm(client, models.HelpResponse.get_by_id(answer.id), minutes="0")
    assert models.HelpResponse.get_by_id(answer.id).status == "confirmed"
