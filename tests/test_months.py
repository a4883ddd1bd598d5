"""Reports and summaries counted by month count Jalali months, and a moment
falls in the month of its day in Tehran (issue 21): one helper,
`persian.jalali_month`, answers for the registry's report and its CSV, the
time bank's statements and its monthly summary."""

import csv
import datetime
import io
import uuid
from zoneinfo import ZoneInfo

import jdatetime
import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, board, registry, timebank
from hamsayeh.domain.demo import national_code
from tests.conftest import PIN, REGISTRY_KEY, sign_in
from tests.factories import assembly, make_post
from tests.pages import check_page

AZAR_1405, ABAN_1405 = (1405, 9), (1405, 8)
TEHRAN = ZoneInfo("Asia/Tehran")
# 21:00 UTC on 21 November 2026 is half past midnight on 1 Azar 1405 in Tehran.
FIRST_OF_AZAR_IN_TEHRAN = datetime.datetime(2026, 11, 21, 21, 0)


def test_a_day_is_in_its_own_jalali_month_and_a_moment_in_its_month_in_tehran():
    assert persian.jalali_month(datetime.date(2026, 11, 30)) == AZAR_1405  # 9 Azar
    assert persian.jalali_month(datetime.date(2026, 11, 21)) == ABAN_1405  # 30 Aban
    assert persian.jalali_month(FIRST_OF_AZAR_IN_TEHRAN) == AZAR_1405
    assert persian.jalali_month(datetime.datetime(2026, 11, 21, 20, 29)) == ABAN_1405  # 23:59 in Tehran
    aware = datetime.datetime(2026, 11, 22, 0, 30, tzinfo=persian.TEHRAN)
    assert persian.jalali_month(aware) == AZAR_1405
    azar = persian.JalaliMonth(*AZAR_1405)
    assert azar.first_day == datetime.date(2026, 11, 22)
    assert (azar.previous(), azar.next()) == (ABAN_1405, (1405, 10))
    assert persian.JalaliMonth(1405, 12).next() == (1406, 1) and persian.JalaliMonth(1406, 1).previous() == (1405, 12)
    assert sorted([azar, persian.JalaliMonth(1404, 12), persian.JalaliMonth(*ABAN_1405)]) == [
        (1404, 12),
        ABAN_1405,
        azar,
    ]


@pytest.fixture
def charity(people, places):
    """A charity of Tehran's assembly, and its staff member (the charity_staff of `people`)."""
    city = places["Tajrish"].parent.parent
    organization = models.Organization.create(name="خیریهٔ الف", kind="charity", county=city)
    assembly(city, "مجمع خیریه‌های تهران", members=[organization])
    staff = people["charity_staff"]
    models.OrganizationMember.create(organization=organization, user=staff, role="staff")
    return organization, staff


def give_services(organization, staff, days):
    """One food service to a new person on each of `days`."""
    for index, day in enumerate(days):
        number = national_code(f"00781234{index}")
        record, _new = registry.record_beneficiary(
            organization, staff, REGISTRY_KEY, "national", number, name="خانواده", household_size=3
        )
        registry.record_service(record, staff, uuid.uuid4().hex, category="food", given_on=day)


def test_the_registry_counts_a_service_of_9_azar_under_azar(charity):
    organization, staff = charity
    # 14 Aban and 9 Azar 1405 share November 2026; 30 Aban is its last day.
    give_services(
        organization, staff, [datetime.date(2026, 11, 5), datetime.date(2026, 11, 21), datetime.date(2026, 11, 30)]
    )
    counts = registry.services_by(models.Assembly.get(), datetime.date(2000, 1, 1), "month")
    assert counts == {ABAN_1405: {"food": 2}, AZAR_1405: {"food": 1}}


def by_month_rows(html):
    """(month, count) of the report's table of services by month."""
    section = html.split('id="by-month"')[1].split('id="by-area"')[0]
    rows = []
    for row in section.split("<tr>")[2:]:
        label = row.split('<th scope="row">')[1].split("</th>")[0]
        count = row.split('<td class="num">')[1].split("</td>")[0]
        rows.append((label, count))
    return rows


def test_the_registrys_report_and_its_csv_have_a_row_for_each_jalali_month(client, charity, app):
    """The first day of this Jalali month and the day before it always share a
    Gregorian month (Jalali months begin on the 19th to the 23rd): grouped by
    Gregorian month, both fell under the older Jalali month's name."""
    organization, staff = charity
    today = jdatetime.date.today()
    first_day = jdatetime.date(today.year, today.month, 1)
    before = first_day - jdatetime.timedelta(days=1)
    days = [day.togregorian() for day in (first_day, before, first_day)]
    give_services(organization, staff, days)
    sign_in(client, staff.phone)
    html = check_page(client.get("/registry/reports"))
    with app.test_request_context():
        names = [persian.to_persian_digits(f"{persian.MONTHS[d.month - 1]} {d.year}") for d in (before, first_day)]
    assert by_month_rows(html) == [(names[0], "۱"), (names[1], "۲")]
    rows = list(csv.reader(io.StringIO(client.get("/registry/reports.csv").get_data(as_text=True))))
    assert [(row[1], row[3]) for row in rows if row[1] in names] == [(names[0], "1"), (names[1], "2")]


def test_a_transfer_half_an_hour_into_azar_in_tehran_is_on_azars_statement(people):
    resident, helper = people["resident"], people["volunteer"]
    made = timebank.transfer(timebank.member_account(resident), timebank.member_account(helper), 30, resident)
    models.TimeTransfer.update(created_at=FIRST_OF_AZAR_IN_TEHRAN).where(models.TimeTransfer.id == made.id).execute()
    account = timebank.member_account(resident)
    assert timebank.statement_months(account)[-1] == AZAR_1405
    _opening, lines, _more = timebank.month_statement(account, *AZAR_1405)
    assert [line[0].id for line in lines] == [made.id]
    _opening, lines, _more = timebank.month_statement(account, *ABAN_1405)
    assert lines == []


def test_the_areas_summary_counts_from_midnight_in_tehran_on_the_first_of_the_month(client, people, places):
    resident, helper = people["resident"], people["volunteer"]
    # Midnight in Tehran that began this Jalali month, in the naive UTC the ledger keeps.
    tehran_now = datetime.datetime.now(TEHRAN)
    first = jdatetime.date.fromgregorian(date=tehran_now.date()).replace(day=1).togregorian()
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=TEHRAN)
    start = start.astimezone(datetime.UTC).replace(tzinfo=None)
    paid = []
    for minutes, moment in ((60, start + datetime.timedelta(minutes=30)), (45, start - datetime.timedelta(minutes=30))):
        post = make_post(resident, places["Tajrish"], "خرید داروی همسایه")
        response = board.respond_to_post(post, helper)
        board.accept_response(response, resident)
        board.confirm_help(models.HelpResponse.get_by_id(response.id), resident, minutes=minutes)
        transfer = models.TimeTransfer.get(models.TimeTransfer.response == response.id)
        models.TimeTransfer.update(created_at=moment).where(models.TimeTransfer.id == transfer.id).execute()
        paid.append(transfer)
    html = check_page(client.get(f"/time/areas/{places['District 1'].id}"))
    assert "۱ ساعت" in html and "۴۵ دقیقه" not in html


def test_a_moment_before_the_first_of_the_month_in_tehran_stays_in_the_month_before(people):
    resident = accounts.create_user("09120009001", "همسایهٔ دیرخواب", PIN)
    helper = people["volunteer"]
    made = timebank.transfer(timebank.member_account(resident), timebank.member_account(helper), 15, resident)
    # 20:29 UTC on 21 November is 23:59 on 30 Aban in Tehran.
    moment = datetime.datetime(2026, 11, 21, 20, 29)
    models.TimeTransfer.update(created_at=moment).where(models.TimeTransfer.id == made.id).execute()
    account = timebank.member_account(resident)
    assert timebank.statement_months(account)[-1] == ABAN_1405
    assert [line[0].id for line in timebank.month_statement(account, *ABAN_1405)[1]] == [made.id]
