"""Notices a center pins on its wall (issue 21, point 5; issue 20's printed
SMS words): each names the center with its address, phone and hours, prints
the SMS line and its words beside them, fills its page, carries no page
number when it is one page, and comes in A5, A4 and, for a program, A3. Also
the week's programs on one page, and a program's attendance sheet, which
only the program's keepers print."""

import datetime
import uuid

import jdatetime
import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, centers, organizations
from tests.conftest import sign_in
from tests.factories import make_post
from tests.printing import has_number, ink_box, paper_mm, pdf_text_and_fonts, read_qr, reads_in_order, squeezed

SMS_LINE = "30004040"
WORDS = ("کمک", "وضعیت", "لغو", "بله", "راهنما")
PAPERS = {"A5": (148, 210), "A4": (210, 297), "A3": (297, 420)}


@pytest.fixture
def center(people, places):
    """The Tajrish center, with its details, where the center staff member works."""
    item = models.Center.create(
        area=places["Tajrish"],
        name="مرکز مثبت زندگی تجریش",
        address="میدان قدس، کوچهٔ گلستان، پلاک ۴",
        phone="02122712345",
        hours="شنبه تا چهارشنبه، ۸ تا ۱۸",
    )
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


@pytest.fixture
def sms_line(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_NUMBER", SMS_LINE)
    return SMS_LINE


def tehran_moment(day, hour, minute=0):
    local = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=persian.TEHRAN)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def add_program(center, title, starts_at, staff, **fields):
    return models.Program.create(
        center=center,
        title=title,
        activity_type=models.ActivityType.get(models.ActivityType.slug == "children"),
        starts_at=starts_at,
        capacity=fields.pop("capacity", 15),
        created_by=staff,
        form_key=uuid.uuid4().hex,
        **fields,
    )


def in_two_days(hour=17, minute=30):
    return tehran_moment(persian.tehran_time(models.utcnow()).date() + datetime.timedelta(days=2), hour, minute)


def jalali_day(app, day):
    """A day as a Persian page writes it: «چهارشنبه ۱۱ آذر ۱۴۰۵»."""
    with app.test_request_context():
        return persian.to_persian_digits(str(persian.jalali_date(day, weekday=True)))


def has_center_and_sms(text):
    """The center's address, phone (grouped, in Persian digits) and hours, the
    SMS line, and the five words a phone without a browser sends."""
    flat = squeezed(text)
    found = {
        "address": squeezed("کوچهٔ گلستان، پلاک ۴") in flat,
        "phone": has_number(text, "021 2271 2345"),
        "hours": squeezed("شنبه تا چهارشنبه") in flat,
        "sms line": has_number(text, "3000 4040"),
    }
    found.update({word: f"«{word}" in flat or f"»{word}" in flat for word in WORDS})
    return found


def test_a_flyer_on_a5_a4_and_a3_names_the_center_prints_the_sms_words_and_fills_its_page(
    app, client, people, center, sms_line, tmp_path
):
    program = add_program(center, "کارگاه آشپزی سالم", in_two_days(), people["center_staff"], place="سالن مرکز")
    for size, (width, height) in PAPERS.items():
        answer = client.get(f"/centers/programs/{program.id}/flyer.pdf", query_string={"size": size})
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
        reader, text, fonts = pdf_text_and_fonts(answer.data)
        assert paper_mm(answer.data) == (width, height), size
        assert len(reader.pages) == 1
        assert any("Vazirmatn" in font for font in fonts), fonts
        day = jalali_day(app, persian.tehran_time(program.starts_at))
        assert reads_in_order(text, ["مرکز مثبت زندگی تجریش", "کارگاه آشپزی سالم", day, "سالن مرکز", "کودکان"]), text
        assert has_number(text, "17:30") and has_number(text, day.split()[-1]), text  # Tehran's clock, the year
        assert all(has_center_and_sms(text).values()), has_center_and_sms(text)
        # One page: no «۱ / ۱» at its foot.
        assert not has_number(text, "1 / 1") and "1/1" not in squeezed(text)
        folder = tmp_path / size
        folder.mkdir()
        assert read_qr(answer.data, folder) == f"http://localhost/centers/programs/{program.id}"
        assert squeezed(f"localhost/centers/programs/{program.id}") in squeezed(text)  # the short address, printed
        # The page is filled: ink from the top margin down to the bottom one
        # (before, the A4 flyer stopped at two thirds of its page).
        _left, top, _right, bottom = ink_box(answer.data, folder)
        assert top < 0.08 and bottom > 0.9, (size, top, bottom)


def test_without_an_sms_line_no_sms_words_are_printed(app, client, people, center, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_NUMBER", "")
    program = add_program(center, "کارگاه آشپزی سالم", in_two_days(), people["center_staff"])
    _reader, text, _fonts = pdf_text_and_fonts(client.get(f"/centers/programs/{program.id}/flyer.pdf").data)
    found = has_center_and_sms(text)
    assert found["address"] and found["phone"] and found["hours"]
    assert not any(found[word] for word in WORDS) and not found["sms line"]


def test_an_organizations_flyer_prints_its_contact(client, people, places, sms_line):
    county = places["Tajrish"].ancestors()[0]
    opened = organizations.open_organization("خیریهٔ امید", "charity", county, people["charity_staff"], people["admin"])
    models.Organization.update(contact="تلفن دفتر ۲۲۷۱۰۰۰۰").where(models.Organization.id == opened.id).execute()
    program = models.Program.create(
        organization=opened,
        title="توزیع بستهٔ غذایی",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "errands"),
        starts_at=in_two_days(),
        capacity=30,
        created_by=people["charity_staff"],
        form_key="test-org-program",
    )
    _reader, text, _fonts = pdf_text_and_fonts(client.get(f"/centers/programs/{program.id}/flyer.pdf").data)
    assert reads_in_order(text, ["خیریهٔ امید", "توزیع بستهٔ غذایی", "تلفن دفتر"]), text
    assert "راهنما" in text


def test_a_flyer_with_the_longest_text_is_never_cut_off(client, people, center, sms_line):
    """Too much to say for one page: it goes on to a second one, numbered,
    rather than losing its foot."""
    about = "\n".join(["برنامه‌ای برای همهٔ همسایه‌ها با بازی، کتاب و گفت‌وگو."] * 16) + "\nپایان متن"
    program = add_program(
        center, "ب" * models.Program.TITLE_MAX, in_two_days(), people["center_staff"], place="پ" * 200, about=about
    )
    reader, text, _fonts = pdf_text_and_fonts(client.get(f"/centers/programs/{program.id}/flyer.pdf").data)
    assert "پایان متن" in text and "راهنما" in text and has_number(text, "021 2271 2345")
    if len(reader.pages) > 1:
        assert has_number(text, f"1 / {len(reader.pages)}"), text


def test_the_needs_and_the_call_for_volunteers_name_the_center_and_fill_their_page(
    client, people, places, center, sms_line, tmp_path
):
    make_post(people["resident"], places["Niavaran"], "کمک برای بردن کیسهٔ برنج به خانه")
    sign_in(client, people["center_staff"].phone)
    for path, title, target in (
        (f"/centers/{center.id}/needs.pdf", "نیازهای محلهٔ ما در این هفته", "http://localhost/board/"),
        (f"/centers/{center.id}/volunteers.pdf", "همسایه‌هایتان به شما نیاز دارند", "http://localhost/volunteer/"),
    ):
        for size in ("A4", "A5"):
            answer = client.get(path, query_string={"size": size})
            reader, text, _fonts = pdf_text_and_fonts(answer.data)
            assert paper_mm(answer.data) == PAPERS[size] and len(reader.pages) == 1, (path, size)
            assert reads_in_order(text, ["مرکز مثبت زندگی تجریش", title]), text
            assert all(has_center_and_sms(text).values()), (path, has_center_and_sms(text))
            assert "کیسهٔ برنج" not in text and "کاربر resident" not in text
            folder = tmp_path / f"{title[:5]}{size}"
            folder.mkdir()
            assert read_qr(answer.data, folder) == target
            assert ink_box(answer.data, folder)[3] > 0.9, (path, size)
    # The needs notice names the neighborhoods around the center.
    _reader, text, _fonts = pdf_text_and_fonts(client.get(f"/centers/{center.id}/needs.pdf").data)
    assert "تجریش" in text and "نیاوران" in text


def this_week():
    """The Saturday that starts this week in Tehran, and its seven days."""
    first = centers.week_start(models.utcnow())
    return first, [first + datetime.timedelta(days=offset) for offset in range(7)]


def test_the_weeks_programs_fit_on_one_page_day_by_day(app, client, people, center, sms_line, tmp_path):
    first, days = this_week()
    add_program(center, "کلاس خوشنویسی", tehran_moment(days[2], 10), people["center_staff"])
    add_program(center, "حلقهٔ کتاب‌خوانی", tehran_moment(days[0], 17, 30), people["center_staff"], place="سالن")
    add_program(
        center, "برنامهٔ هفتهٔ بعد", tehran_moment(days[6] + datetime.timedelta(days=1), 9), people["center_staff"]
    )
    cancelled = add_program(center, "برنامهٔ لغوشده", tehran_moment(days[1], 9), people["center_staff"])
    models.Program.update(status="cancelled").where(models.Program.id == cancelled.id).execute()
    page = f"/centers/{center.id}/week.pdf"
    assert client.get(page).status_code == 302  # staff print it
    sign_in(client, people["resident"].phone)
    assert client.get(page).status_code == 403
    sign_in(client, people["center_staff"].phone)
    answer = client.get(page)
    reader, text, _fonts = pdf_text_and_fonts(answer.data)
    assert len(reader.pages) == 1 and paper_mm(answer.data) == PAPERS["A4"]
    saturday = jalali_day(app, first)
    assert reads_in_order(text, ["برنامه‌های هفتهٔ مرکز", saturday, "حلقهٔ کتاب‌خوانی", "کلاس خوشنویسی"]), text
    assert "برنامهٔ هفتهٔ بعد" not in text and "برنامهٔ لغوشده" not in text
    assert all(has_center_and_sms(text).values())
    assert not has_number(text, "1 / 1")
    assert read_qr(answer.data, tmp_path) == f"http://localhost/centers/{center.id}"
    next_week = client.get(page, query_string={"week": "next"})
    _reader, text, _fonts = pdf_text_and_fonts(next_week.data)
    assert "برنامهٔ هفتهٔ بعد" in text and "کلاس خوشنویسی" not in text


def test_a_busy_week_stays_on_one_page(client, people, center, sms_line):
    _first, days = this_week()
    for day in days:
        for hour in range(9, 14):  # five a day: three are printed, the others counted
            add_program(center, f"برنامهٔ ساعت {hour} با عنوانی بلند", tehran_moment(day, hour), people["center_staff"])
    sign_in(client, people["center_staff"].phone)
    for size in ("A4", "A5"):
        reader, text, _fonts = pdf_text_and_fonts(client.get(f"/centers/{center.id}/week.pdf?size={size}").data)
        assert len(reader.pages) == 1, size
        assert squeezed(text).count(squeezed("برنامهٔ دیگر در سایت")) == 7 and "راهنما" in text


# --- The attendance sheet -------------------------------------------------------------------------


def sign_ups(program, count, pin_hash, neighborhood):
    """`count` members with places (and the rest waiting), signed up in order."""
    members = []
    for number in range(count):
        member = models.User.create(
            phone=f"0935{number:07d}", name=f"همسایهٔ شمارهٔ {number + 1}", pin_hash=pin_hash, neighborhood=neighborhood
        )
        centers.sign_up(program, member)
        members.append(member)
    return members


def test_the_attendance_sheet_lists_those_signed_up_with_a_column_to_sign(client, people, places, center):
    program = add_program(center, "ویزیت فشار خون", in_two_days(), people["center_staff"], capacity=2)
    sign_ups(program, 3, people["resident"].pin_hash, places["Tajrish"])
    page = f"/centers/programs/{program.id}/attendance.pdf"
    sign_in(client, people["center_staff"].phone)
    answer = client.get(page)
    reader, text, fonts = pdf_text_and_fonts(answer.data)
    assert len(reader.pages) == 1 and paper_mm(answer.data) == PAPERS["A4"]
    assert any("Vazirmatn" in font for font in fonts)
    assert reads_in_order(
        text,
        ["مرکز مثبت زندگی تجریش", "برگهٔ حضور و غیاب", "ویزیت فشار خون", "امضا", "همسایهٔ شمارهٔ", "جا دارد"],
    ), text
    assert "در انتظار" in text  # the third is on the waiting list
    assert not has_number(text, "1 / 1")
    # Names left the site on paper: the print is in the audit log.
    assert models.AuditEntry.select().where(models.AuditEntry.action == "program.attendance_printed").count() == 1
    # The program's page offers it to its keepers.
    assert page in client.get(f"/centers/programs/{program.id}").get_data(as_text=True)


def test_a_long_attendance_sheet_is_numbered_page_by_page(client, people, places, center):
    program = add_program(center, "جشن محله", in_two_days(), people["center_staff"], capacity=60)
    sign_ups(program, 40, people["resident"].pin_hash, places["Tajrish"])
    sign_in(client, people["center_staff"].phone)
    reader, text, _fonts = pdf_text_and_fonts(client.get(f"/centers/programs/{program.id}/attendance.pdf").data)
    assert len(reader.pages) >= 2
    assert has_number(text, f"1 / {len(reader.pages)}") and has_number(text, f"2 / {len(reader.pages)}"), text
    assert has_number(text, "40") and squeezed("همسایهٔ شمارهٔ") in squeezed(text)


def test_the_attendance_sheet_is_refused_to_everyone_but_the_programs_keepers(app, people, places, center):
    program = add_program(center, "ویزیت فشار خون", in_two_days(), people["center_staff"])
    sign_ups(program, 1, people["resident"].pin_hash, places["Tajrish"])
    other = models.Center.create(area=places["Niavaran"], name="مرکز مثبت زندگی نیاوران")
    elsewhere = accounts.create_user("09350001111", "کارمند نیاوران", "2580", roles=("center_staff",))
    accounts.set_work_center(elsewhere, other, people["admin"])
    page = f"/centers/programs/{program.id}/attendance.pdf"
    found = {}
    for role, member in [*people.items(), ("other center's staff", elsewhere)]:
        client = app.test_client()
        sign_in(client, member.phone)
        found[role] = client.get(page).status_code
    assert found == {
        "resident": 403,
        "volunteer": 403,
        "facilitator": 403,
        "center_staff": 200,
        "charity_staff": 403,
        "social_worker": 403,
        "admin": 200,  # headquarters keeps every program, as on the program's page
        "other center's staff": 403,
    }
    assert app.test_client().get(page).status_code == 302  # a guest signs in first
    # And the program's page does not offer it to them.
    client = app.test_client()
    sign_in(client, people["resident"].phone)
    assert page not in client.get(f"/centers/programs/{program.id}").get_data(as_text=True)


def test_a_jalali_week_starts_on_saturday_in_tehran():
    # Friday 27 November 2026 is 6 Azar 1405; at 23:00 UTC it is already
    # 02:30 on Saturday 7 Azar in Tehran, the first day of the next week.
    friday_night = datetime.datetime(2026, 11, 27, 23, 0)
    assert centers.week_start(friday_night) == jdatetime.date(1405, 9, 7).togregorian()
    assert centers.week_start(friday_night, later=True) == jdatetime.date(1405, 9, 14).togregorian()
    assert centers.week_start(datetime.datetime(2026, 11, 27, 12, 0)) == jdatetime.date(1405, 8, 30).togregorian()
