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
from hamsayeh import persian
from hamsayeh.domain import acting, board, timebank
from hamsayeh.web import limits
from tests.conftest import sign_in, submit
from tests.factories import activity, make_post, person
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
    this_month = timebank.jalali_month_bounds(*persian.jalali_month())[0]
    # 4,880 transfers over five years, then 120 in this month: 5,000 in all.
    busy_history(resident, other, 4880, now - datetime.timedelta(days=5 * 365), this_month, reason=REASON)
    busy_history(resident, other, 120, this_month, now, reason=REASON)
    assert timebank.verify_ledger() == ([], 0)
    account = timebank.member_account(resident)
    assert models.TimeTransfer.select().count() == 5000

    year, month = persian.jalali_month(now - datetime.timedelta(days=400))
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
        opening, lines, more = timebank.month_statement(account, *persian.jalali_month(), part)
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
    """A relative the resident named, and who accepted, acts for her: only
    such a helper moves her hours (staff acting at a desk do not)."""
    resident = people["resident"]
    relative = person("09120000302", "پسر ساکن", neighborhood=resident.neighborhood)
    acting.add_trusted_helper(resident, relative)
    sign_in(client, relative.phone)
    assert submit(client, "/account/", f"/account/act/{resident.id}", {}).status_code == 302
    return relative, resident


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
    data["confirmed"] = "1"
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
        data = {"phone": phone, "minutes": minutes, "reason": "آزمایش", "form_key": uuid.uuid4().hex, "confirmed": "1"}
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


def on_behalf_need(filer, neighborhood, name="خانم رحیمی", kind="request"):
    """A need (or offer) filed for a neighbor without an account."""
    return make_post(
        filer,
        neighborhood,
        f"{name} برای خرید هفتگی همراه می‌خواهد",
        kind=kind,
        filed_by=filer,
        on_behalf_name=name,
        on_behalf_contact="مرکز تجریش",
    )


def confirm_page(client, response, minutes):
    """Confirm from the post's page; the page it then shows."""
    page = f"/board/posts/{response.post_id}"
    answer = submit(client, page, f"/board/responses/{response.id}/confirm", {"minutes": minutes, "thank_you": ""})
    assert answer.status_code in (302, 403)
    return check_page(client.get(page)) if answer.status_code == 302 else None


def test_a_volunteer_answering_the_needs_they_filed_from_a_second_account_draws_nothing_from_the_pool(
    client, app, people, places
):
    """The reviewer's attack: a volunteer files needs for neighbors without an
    account, answers them from a second account and confirms them, and the
    district's pool would pay each time. Now the one who filed a need confirms
    it only as a gift; a second person (the neighborhood's facilitator, or a
    center's staff) confirms it with hours, and the pool pays for one filer's
    posts at most POOL_PAYMENTS_A_DAY times a day."""
    pool = timebank.pool_account(places["District 1"])
    giver = people["charity_staff"]
    timebank.transfer(timebank.member_account(giver), pool, 600, giver, reason="هدیه")
    filer, facilitator = people["volunteer"], people["facilitator"]
    second = person("09120000310", "حساب دوم", neighborhood=places["Tajrish"])
    answers = []
    for number in range(5):
        post = on_behalf_need(filer, places["Tajrish"], name=f"همسایهٔ {number}")
        answer = board.respond_to_post(post, second)
        board.accept_response(answer, filer)
        answers.append(models.HelpResponse.get_by_id(answer.id))

    # The filer's page offers only a gift, and says why.
    sign_in(client, filer.phone)
    html = check_page(client.get(f"/board/posts/{answers[0].post_id}"))
    assert 'name="minutes" value="0"' in html and f'id="f-minutes-{answers[0].id}"' not in html
    assert "نه کسی که درخواست را ثبت کرده است" in html
    # Hours asked for anyway are refused, in words that say who confirms instead.
    for answer in answers:
        html = confirm_page(client, answer, "60")
        assert "فقط وقتی می‌پردازد که تسهیل‌گر محله یا کارکنان مرکز آن را تأیید کنند" in html
        assert models.HelpResponse.get_by_id(answer.id).status == "accepted"
    with pytest.raises(timebank.TransferError) as refused:
        board.confirm_help(answers[0], filer, minutes=60)
    assert refused.value.reason == "filer"
    assert models.TimeTransfer.select().where(models.TimeTransfer.kind == "help").count() == 0
    # The second account gave the help: it confirms nothing.
    sign_in(client, second.phone)
    assert confirm_page(client, answers[0], "60") is None
    # The filer may confirm one as a gift: no hours move.
    sign_in(client, filer.phone)
    confirm_page(client, answers[0], "0")
    assert models.HelpResponse.get_by_id(answers[0].id).status == "confirmed"
    assert models.TimeTransfer.select().where(models.TimeTransfer.kind == "help").count() == 0

    # The neighborhood's facilitator, a second person, confirms the others with hours.
    sign_in(client, facilitator.phone)
    html = check_page(client.get(f"/board/posts/{answers[1].post_id}"))
    assert f'id="f-pool-minutes-{answers[1].id}"' in html
    for answer in answers[1:4]:
        confirm_page(client, answer, "60")
        paid = models.TimeTransfer.get(models.TimeTransfer.response == answer.id)
        assert (paid.source_id, paid.made_by_id, paid.minutes) == (pool.id, facilitator.id, 60)
        confirmed = models.PostEvent.get(
            models.PostEvent.post == answer.post_id, models.PostEvent.action == "confirmed"
        )
        assert confirmed.actor_id == facilitator.id
    # The fourth pool payment of the day for this filer's needs is refused.
    assert timebank.pool_payments_today(filer) == timebank.POOL_PAYMENTS_A_DAY
    html = confirm_page(client, answers[4], "60")
    assert "صندوق محله امروز به اندازهٔ کافی" in html
    assert models.HelpResponse.get_by_id(answers[4].id).status == "accepted"
    assert timebank.current_account(pool).balance == 600 - 3 * 60
    assert timebank.current_account(timebank.member_account(second)).balance == 3 * 60
    assert timebank.verify_ledger() == ([], 0)


def test_no_one_is_paid_through_a_neighbor_without_an_account_who_offered_help(client, people, places):
    """An offer filed for a neighbor: the neighbor gave the help, and paying
    would pay whoever filed it. Confirming records a gift."""
    pool = timebank.pool_account(places["District 1"])
    giver = people["charity_staff"]
    timebank.transfer(timebank.member_account(giver), pool, 300, giver, reason="هدیه")
    filer = people["volunteer"]
    offer = on_behalf_need(filer, places["Tajrish"], kind="offer")
    second = person("09120000311", "حساب دوم", neighborhood=places["Tajrish"])
    answer = board.respond_to_post(offer, second)
    board.accept_response(answer, filer)
    sign_in(client, second.phone)
    html = confirm_page(client, models.HelpResponse.get_by_id(answer.id), "60")
    assert "حسابی ندارد که ساعت بگیرد" in html
    assert models.TimeTransfer.select().where(models.TimeTransfer.kind == "help").count() == 0
    # Nor may the neighborhood's facilitator pay for it from the pool.
    sign_in(client, people["facilitator"].phone)
    assert confirm_page(client, models.HelpResponse.get_by_id(answer.id), "60") is None
    assert timebank.current_account(pool).balance == 300


def test_staff_acting_at_the_desk_move_none_of_the_members_hours(client, app, people, places):
    """The reviewer's second attack: staff acting for a member they look after
    (at the desk, without the member's acceptance) sent the member's hours to
    a second account of their own. Only a trusted helper the member accepted
    moves their hours, and never to themselves."""
    facilitator, resident = people["facilitator"], people["resident"]
    third = person("09120000312", "حساب سوم", neighborhood=places["Tajrish"])
    account = timebank.member_account(resident)
    timebank.transfer(timebank.member_account(people["volunteer"]), account, 120, people["volunteer"])
    post = make_post(resident, places["Tajrish"])
    answer = board.respond_to_post(post, third)
    board.accept_response(answer, resident)
    sign_in(client, facilitator.phone)
    assert submit(client, "/desk/", f"/desk/{resident.id}/act", {}).status_code == 302
    data = {"phone": third.phone, "minutes": "60", "reason": "کمک", "form_key": uuid.uuid4().hex, "confirmed": "1"}
    html = check_page(submit(client, "/time/send", "/time/send", data), status=422)
    assert "فقط همیار مورد اعتمادی که او پذیرفته است" in html
    give = {"minutes": "60", "reason": "هدیه", "form_key": uuid.uuid4().hex}
    check_page(submit(client, "/time/give", "/time/give", give), status=422)
    # Nor through a help: confirming with hours is refused; as a gift it stands.
    html = confirm_page(client, models.HelpResponse.get_by_id(answer.id), "60")
    assert "نمی‌توانید از ساعت‌های او بدهید" in html
    assert models.HelpResponse.get_by_id(answer.id).status == "accepted"
    for refused_call in (
        lambda: timebank.send_hours(account, third.phone, 60, resident, actor=facilitator),
        lambda: timebank.give_to_pool(resident, timebank.pool_account(places["District 1"]), 60, actor=facilitator),
        lambda: board.confirm_help(models.HelpResponse.get_by_id(answer.id), resident, minutes=60, made_by=facilitator),
    ):
        with pytest.raises(timebank.TransferError) as refused:
            refused_call()
        assert refused.value.reason == "acting"
    assert models.TimeTransfer.select().count() == 1
    assert timebank.current_account(account).balance == 120

    # A trusted helper she named and who accepted sends her hours to a third person.
    relative = person("09120000313", "دختر ساکن", neighborhood=places["Tajrish"])
    acting.add_trusted_helper(resident, relative)
    helper = app.test_client()
    sign_in(helper, relative.phone)
    assert submit(helper, "/account/", f"/account/act/{resident.id}", {}).status_code == 302
    data["form_key"] = uuid.uuid4().hex
    assert submit(helper, "/time/send", "/time/send", data).status_code == 302
    sent = models.TimeTransfer.get(models.TimeTransfer.form_key == data["form_key"])
    assert (sent.source_id, sent.target.user_id, sent.made_by_id) == (account.id, third.id, relative.id)
    assert timebank.verify_ledger() == ([], 0)


def test_a_statement_for_an_odd_month_or_part_is_404_never_500(client, people):
    """jdatetime fails on year 0 and past its own last year: such months, and
    parts that are no whole number from 1, are answered 404."""
    sign_in(client, people["resident"].phone)
    for query in (
        "month=0000-01",
        "month=9377-12",
        "month=9378-01",
        "month=1299-12",
        "month=1501-01",
        "month=abcd",
        "month=1404-13",
        "month=1404-00",
        "part=-1",
        "part=0",
        "part=abc",
        "part=99999",
        "part=2",  # a quiet month has only its first part
    ):
        assert client.get(f"/time/statement.pdf?{query}").status_code == 404, query
    for query in ("month=1300-01", "month=۱۵۰۰-۱۲", "part=1", ""):
        assert client.get(f"/time/statement.pdf?{query}").status_code == 200, query


def send(client, phone, minutes="1", confirmed=True, form_key=None, page="/time/send"):
    data = {"phone": phone, "minutes": minutes, "reason": REASON, "form_key": form_key or uuid.uuid4().hex}
    if confirmed:
        data["confirmed"] = "1"
    return submit(client, page, page, data)


def test_sending_hours_asks_to_confirm_the_number_and_names_no_one(client, people, places):
    """Issue 14, finding 4: the send form shows only the number before the
    transfer, the same page for any number, and the answer after it names no
    one; an unknown number and one that cannot receive fail alike."""
    away = person("09120000302", "عضو غیرفعال", neighborhood=places["Tajrish"])
    models.User.update(is_active=False).where(models.User.id == away.id).execute()
    known = people["facilitator"]
    sign_in(client, people["resident"].phone)

    def confirmation(phone):
        response = send(client, phone, "30", confirmed=False, form_key="k-" + phone)
        html = check_page(response)
        assert response.status_code == 200 and "<bdi" in html
        assert known.name not in html and away.name not in html
        return html.replace(phone, "").replace(persian.to_persian_digits(phone), "")

    pages = [confirmation(phone) for phone in (known.phone, "09129999999", away.phone)]
    assert pages[0] == pages[1] == pages[2]
    assert "۰۹۱۲۰۰۰۰۰۰۳" in check_page(send(client, known.phone, "30", confirmed=False))
    assert models.TimeTransfer.select().count() == 0
    # "Change" goes back to the form with what was typed.
    data = {"phone": known.phone, "minutes": "30", "reason": REASON, "form_key": "k", "change": "1"}
    html = check_page(submit(client, "/time/send", "/time/send", data))
    assert 'id="f-phone"' in html and f'value="{REASON}"' in html

    # Confirmed: unknown and inactive numbers get the same refusal, and each is audited.
    refusals = [error_texts(check_page(send(client, phone), status=422)) for phone in ("09129999999", away.phone)]
    assert refusals[0] == refusals[1] and [field for field, _words in refusals[0]] == ["f-phone-error"]
    audited = models.AuditEntry.select().where(models.AuditEntry.action == "timebank.send_refused")
    assert audited.count() == 2 and all("0912" not in entry.subject for entry in audited)
    # Sent: the answer names the number, never the member.
    response = send(client, known.phone, "1")
    assert response.status_code == 302
    html = check_page(client.get(response.location))
    notes = re.findall(r'<p class="note" role="status">([^<]*)</p>', html)
    assert len(notes) == 1 and "۰۹۱۲۰۰۰۰۰۰۳" in notes[0] and known.name not in notes[0]
    assert timebank.member_account(known).balance == 1


def test_sends_by_hand_are_limited_per_member_an_hour(client, app, people, monkeypatch):
    """Each send names a number: a member makes or tries SENDS_AN_HOUR an
    hour, counted alike for numbers with and without an account."""
    monkeypatch.setattr(timebank, "SENDS_AN_HOUR", 3)
    resident, known = people["resident"], people["facilitator"]
    sign_in(client, resident.phone)
    assert send(client, known.phone).status_code == 302
    assert send(client, "09129999999").status_code == 422
    assert send(client, known.phone).status_code == 302
    for phone in (known.phone, "09129999998"):
        html = check_page(send(client, phone), status=422)
        (field, words), *_rest = error_texts(html)
        assert field == "f-phone-error" and words == error_texts(check_page(send(client, known.phone), 422))[0][1]
    assert models.TimeTransfer.select().count() == 2
    # The confirmation step is not counted, nor is another member held back.
    assert send(client, known.phone, confirmed=False).status_code == 200
    other = app.test_client()
    sign_in(other, people["volunteer"].phone)
    assert send(other, known.phone).status_code == 302
    # An hour later the member may send again.
    later = models.utcnow() + timebank.SENDS_WINDOW + datetime.timedelta(minutes=1)
    assert timebank.recent_sends(resident, now=later) == 0
