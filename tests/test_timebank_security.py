"""The time bank under attack (issue 14): a busy history cannot make a
statement that freezes the site, PDFs are rate-limited per member, staff
never manage their own account, someone acting for a member can neither take
their hours nor hide behind their name, and the send form tells no one who
has an account."""

import datetime
import io
import re
import uuid

import pytest
from pypdf import PdfReader

import models
from bench.expensive import busy_history
from hamsayeh.domain import timebank
from hamsayeh.web import limits
from tests.conftest import sign_in, submit
from tests.factories import activity, person
from tests.pages import check_page

REASON = "سپاس"


def pdf_text(answer):
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)


def month_value(year, month):
    return f"{year}-{month:02d}"


def test_a_statement_holds_one_month_in_bounded_parts_of_a_5000_transfer_history(client, people):
    resident, other = people["resident"], people["volunteer"]
    now = models.utcnow()
    this_month = timebank.jalali_month_bounds(*timebank.jalali_month())[0]
    # 4,880 transfers over five years, then 120 in this month: 5,000 in all.
    busy_history(resident, other, 4880, now - datetime.timedelta(days=5 * 365), this_month, reason=REASON)
    busy_history(resident, other, 120, this_month, now, reason=REASON)
    assert timebank.verify_ledger() == ([], 0)
    account = timebank.member_account(resident)
    assert models.TimeTransfer.select().count() == 5000

    year, month = timebank.jalali_month(now - datetime.timedelta(days=400))
    start, end = timebank.jalali_month_bounds(year, month)
    in_month = (
        models.TimeTransfer.select()
        .where(models.TimeTransfer.created_at >= start, models.TimeTransfer.created_at < end)
        .count()
    )
    assert timebank.STATEMENT_LINES < in_month < 2 * timebank.STATEMENT_LINES
    sign_in(client, resident.phone)
    html = check_page(client.get("/time/"))
    assert f'<option value="{month_value(year, month)}">' in html
    # The month's lines, and only those, in two parts of a bounded size.
    statement = f"/time/statement.pdf?month={month_value(year, month)}"
    first, second = pdf_text(client.get(statement)), pdf_text(client.get(f"{statement}&part=2"))
    assert first.count(REASON) == timebank.STATEMENT_LINES
    assert second.count(REASON) == in_month - timebank.STATEMENT_LINES

    # This month's 120 transfers come in parts of at most STATEMENT_LINES lines,
    # each opening with the balance the one before closed with.
    parts, part, closing = [], 1, None
    while True:
        opening, lines, more = timebank.month_statement(account, *timebank.jalali_month(), part)
        assert closing is None or opening == closing
        closing = lines[-1][-1]
        parts.append(len(lines))
        if not more:
            break
        part += 1
    assert sum(parts) == 120 and max(parts) == timebank.STATEMENT_LINES
    assert closing == timebank.current_account(account).balance
    last = pdf_text(client.get(f"/time/statement.pdf?part={len(parts)}"))
    assert last.count(REASON) == parts[-1]
    assert client.get("/time/statement.pdf?month=1403-13").status_code == 404


@pytest.fixture
def rate_limits(app, monkeypatch):
    """The production's limits, from an empty count."""
    monkeypatch.setitem(app.config, "RATE_LIMITS", True)
    app.extensions.pop("rate_limits", None)
    yield
    app.extensions.pop("rate_limits", None)


def test_the_eleventh_pdf_in_ten_minutes_is_refused_to_that_member_only(client, app, people, rate_limits):
    count, _seconds = limits.EXPENSIVE
    sign_in(client, people["resident"].phone)
    for _ in range(count):
        assert client.get("/time/statement.pdf").status_code == 200
    answer = client.get("/time/statement.pdf")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "600"
    assert "ده دقیقه صبر کنید" in check_page(answer, status=429)
    other = app.test_client()
    sign_in(other, people["volunteer"].phone)
    assert other.get("/time/statement.pdf").status_code == 200


def test_a_guests_printouts_are_counted_by_address(app, people, places, rate_limits):
    center = models.Center.create(area=places["Tajrish"], name="مرکز تجریش")
    program = models.Program.create(
        center=center,
        title="کلاس قرآن",
        activity_type=activity("errands"),
        starts_at=models.utcnow() + datetime.timedelta(days=3),
        capacity=20,
        created_by=people["admin"],
        form_key=uuid.uuid4().hex,
    )
    guest, neighbor = app.test_client(), app.test_client()
    flyer = f"/centers/programs/{program.id}/flyer.pdf"
    for _ in range(limits.EXPENSIVE[0]):
        assert guest.get(flyer, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200
    assert guest.get(flyer, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 429
    assert neighbor.get(flyer, environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 200


def center_staff_at_home(people, places):
    """Center staff who live in their own center's area: members of it themselves."""
    staff = people["center_staff"]
    staff.work_center = models.Center.create(area=places["District 1"], name="مرکز مثبت زندگی تجریش")
    staff.save()
    return staff


def test_staff_never_manage_their_own_time_account(client, people, places):
    staff = center_staff_at_home(people, places)
    own = timebank.member_account(staff)
    colleague = person("09120000300", "همکار مرکز", roles=("center_staff",), neighborhood=places["Tajrish"])
    colleague_account = timebank.member_account(colleague)
    resident = timebank.member_account(people["resident"])
    paid = timebank.transfer(own, resident, 60, staff, reason="کمک")
    sign_in(client, staff.phone)
    html = check_page(client.get("/time/center"))
    assert f"/time/accounts/{own.id}" not in html and f"/time/accounts/{colleague_account.id}" not in html
    for account in (own, colleague_account):
        page = f"/time/accounts/{account.id}"
        assert client.get(page).status_code == 404
        # A lower floor, and the pool paying for them.
        answer = submit(client, "/time/center", f"{page}/floor", {"floor": "100", "pool_pays": "1"})
        assert answer.status_code == 404
    # Correcting their own transfer would give the hours back to themselves.
    assert submit(client, "/time/center", f"/time/transfers/{paid.id}/reverse", {}).status_code == 404
    assert f"/time/transfers/{paid.id}/reverse" not in check_page(client.get(f"/time/accounts/{resident.id}"))
    # The center's hours cannot go to the staff member who sends them.
    data = {"phone": staff.phone, "minutes": "600", "reason": "برای خودم", "form_key": uuid.uuid4().hex}
    html = check_page(submit(client, "/time/center/send", "/time/center/send", data), status=422)
    assert 'id="f-phone-error"' in html
    own = timebank.current_account(own)
    assert (own.floor, own.pool_pays, own.balance) == (models.DEFAULT_FLOOR, False, -60)
    assert models.TimeTransfer.select().count() == 1
    # The same holds for headquarters, and in the domain itself.
    admin = people["admin"]
    sign_in(client, admin.phone)
    admin_account = timebank.member_account(admin)
    assert client.get(f"/time/accounts/{admin_account.id}").status_code == 404
    check_page(client.get(f"/time/accounts/{own.id}"))
    with pytest.raises(timebank.TransferError):
        timebank.set_floor(admin_account, -100 * 60, True, admin)
    given = timebank.transfer(admin_account, resident, 30, admin)
    with pytest.raises(timebank.TransferError):
        timebank.reverse_transfer(given, admin, "")
    assert timebank.verify_ledger() == ([], 0)


def act_for_resident(client, people):
    """The facilitator acts for the resident at the help desk."""
    sign_in(client, people["facilitator"].phone)
    resident = people["resident"]
    assert submit(client, "/desk/", f"/desk/{resident.id}/act", {}).status_code == 302
    return people["facilitator"], resident


def test_acting_for_a_member_cannot_take_their_hours(client, people):
    actor, resident = act_for_resident(client, people)
    data = {"phone": actor.phone, "minutes": "120", "reason": "برای من", "form_key": uuid.uuid4().hex}
    html = check_page(submit(client, "/time/send", "/time/send", data), status=422)
    error = re.search(r'<p class="error" id="f-phone-error">([^<]*)</p>', html)
    assert error and "مال شما نیست" in error.group(1)
    assert models.TimeTransfer.select().count() == 0
    with pytest.raises(timebank.TransferError) as refused:
        timebank.send_hours(timebank.member_account(resident), actor.phone, 120, resident, actor=actor)
    assert refused.value.reason == "own"
    assert timebank.verify_ledger() == ([], 0)


def test_a_transfer_made_while_acting_names_the_actor_and_the_member_sees_it(client, app, people):
    actor, resident = act_for_resident(client, people)
    data = {"phone": people["volunteer"].phone, "minutes": "45", "reason": "کلاس", "form_key": uuid.uuid4().hex}
    assert submit(client, "/time/send", "/time/send", data).status_code == 302
    sent = models.TimeTransfer.get()
    assert (sent.source.user_id, sent.made_by_id) == (resident.id, actor.id)
    holder = app.test_client()
    sign_in(holder, resident.phone)
    html = check_page(holder.get("/time/"))
    assert f"ثبت به دست {actor.name} برای شما" in html
    # pypdf turns the Latin part of the name around: the words before it are compared.
    assert "ثبت به دست" in pdf_text(holder.get("/time/statement.pdf"))


def error_texts(html):
    return re.findall(r'<p class="error" id="(f-\w+-error)">([^<]*)</p>', html)


def test_the_send_form_answers_alike_for_an_unknown_number_and_one_that_cannot_receive(client, people, places):
    away = person("09120000301", "عضو غیرفعال", neighborhood=places["Tajrish"])
    models.User.update(is_active=False).where(models.User.id == away.id).execute()
    known, unknown = people["facilitator"].phone, "09129999999"
    sign_in(client, people["resident"].phone)

    def answer(phone, minutes):
        data = {"phone": phone, "minutes": minutes, "reason": "آزمایش", "form_key": uuid.uuid4().hex}
        html = check_page(submit(client, "/time/send", "/time/send", data), status=422)
        return error_texts(html)

    # No account, or one that cannot receive: the same words, beside the number.
    assert answer(unknown, "30") == answer(away.phone, "30")
    assert [field for field, _words in answer(unknown, "30")] == ["f-phone-error"]
    # Until the rest is right, the number is not looked up: a known one and an
    # unknown one get the same answer, with no name.
    for minutes in ("", "601", "۰"):
        assert answer(known, minutes) == answer(unknown, minutes) == answer(away.phone, minutes)
        assert all(field == "f-minutes-error" for field, _words in answer(unknown, minutes))
    assert models.TimeTransfer.select().count() == 0
