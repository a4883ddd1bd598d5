"""Certificates of volunteer hours (issue 21, point 5): counted from the time
bank and the programs, printed with a QR code that opens a public page
showing what the certificate states and nothing else; an altered or unknown
address is 404; only the volunteer and the staff of their center print one."""

import datetime
import re
import secrets

import jdatetime
import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, certificates, timebank
from hamsayeh.views import certificates as certificate_views
from hamsayeh.web import templating
from tests.conftest import sign_in, submit
from tests.factories import activity
from tests.pages import check_page
from tests.printing import has_number, paper_mm, pdf_text_and_fonts, read_qr, reads_in_order

CHECK = re.compile(r"http://localhost(/certificates/([A-Za-z0-9_-]+))$")


@pytest.fixture
def center(people, places):
    item = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش", name_en="Tajrish center")
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


def days_ago_this_jalali_year(days):
    """The moment `days` ago or, when that fell in the last Jalali year (on 1 to 3
    Farvardin), a moment between the first of Farvardin and now in Tehran: a
    certificate of "this year" holds it whatever the day the tests run."""
    now = models.utcnow()
    year = jdatetime.date.fromgregorian(date=persian.tehran_time(now).date()).year
    first = datetime.datetime.combine(jdatetime.date(year, 1, 1).togregorian(), datetime.time(), persian.TEHRAN)
    began = first.astimezone(datetime.UTC).replace(tzinfo=None)
    return max(now - datetime.timedelta(days=days), began + (now - began) / 2)


def past_program(center, staff, title, days_ago, status="scheduled"):
    return models.Program.create(
        center=center,
        title=title,
        activity_type=activity("children"),
        starts_at=days_ago_this_jalali_year(days_ago),
        capacity=10,
        status=status,
        created_by=staff,
        form_key=f"test-{title}",
    )


@pytest.fixture
def served(people, center):
    """The volunteer's record: paid 90 minutes for a help and 60 more that were
    reversed; thanked by the center with 2 hours; given 30 minutes as a gift
    (not service); a place in one past program (and in a cancelled one, one to
    come, and on a waiting list); and, more than a year ago, 45 minutes of help."""
    volunteer, resident, staff = people["volunteer"], people["resident"], people["center_staff"]
    joined = models.utcnow() - datetime.timedelta(days=500)
    models.User.update(created_at=joined, name="معصومه نوری").where(models.User.id == volunteer.id).execute()
    mine, theirs = timebank.member_account(volunteer), timebank.member_account(resident)
    timebank.transfer(theirs, mine, 90, resident, kind="help")
    reversed_help = timebank.transfer(theirs, mine, 60, resident, kind="help")
    timebank.reverse_transfer(reversed_help, people["admin"], "paid twice")
    timebank.transfer(timebank.center_account(center), mine, 120, staff, reason="thanks for the book circle")
    timebank.transfer(theirs, mine, 30, resident, reason="a gift")
    old = timebank.transfer(theirs, mine, 45, resident, kind="help")
    models.TimeTransfer.update(created_at=models.utcnow() - datetime.timedelta(days=400)).where(
        models.TimeTransfer.id == old.id
    ).execute()
    for title, days_ago, status, place in (
        ("حلقهٔ کتاب‌خوانی", 3, "scheduled", "confirmed"),
        ("برنامهٔ لغوشده", 4, "cancelled", "confirmed"),
        ("برنامهٔ آینده", -3, "scheduled", "confirmed"),
        ("برنامهٔ پرشده", 5, "scheduled", "waiting"),
    ):
        program = past_program(center, staff, title, days_ago, status)
        models.ProgramSignup.create(program=program, user=volunteer, status=place)
    return models.User.get_by_id(volunteer.id)


def duration(app, minutes):
    with app.test_request_context():
        return str(templating.duration(minutes))


def issue(client, holder, period="all"):
    page = f"/certificates/people/{holder.id}"
    return submit(client, page, page, {"period": period, "form_key": secrets.token_urlsafe(16)})


def issued_pdf(client, holder, period="all"):
    response = issue(client, holder, period)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    answer = client.get(response.location)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    return answer.data


def test_the_figures_count_service_only(people, center, served):
    today = persian.tehran_time(models.utcnow()).date()
    everything, this_year = certificates.periods(served)[:2]
    assert everything[0] == "all" and this_year[2] == today
    figures = certificates.hours_served(served, everything[1], everything[2])
    assert figures == {"help_minutes": 135, "helps": 2, "program_minutes": 120, "programs": 1}
    figures = certificates.hours_served(served, this_year[1], this_year[2])
    assert figures == {"help_minutes": 90, "helps": 1, "program_minutes": 120, "programs": 1}


def test_a_volunteer_prints_a_certificate_whose_qr_code_opens_a_page_with_the_same_figures(
    app, client, people, center, served, tmp_path
):
    sign_in(client, served.phone)
    html = check_page(client.get(f"/certificates/people/{served.id}"))
    assert "گواهی‌های ساعت خدمت من" in html and duration(app, 255) in html
    data = issued_pdf(client, served)
    reader, text, fonts = pdf_text_and_fonts(data)
    assert len(reader.pages) == 1 and paper_mm(data) == (297, 210)  # A4, across
    assert any("Vazirmatn" in font for font in fonts)
    assert not has_number(text, "1 / 1")
    hours = duration(app, 255)
    assert reads_in_order(
        text, ["گواهی ساعت‌های خدمت داوطلبانه", served.name, hours, "کمک به همسایه‌ها", "مرکز مثبت زندگی تجریش"]
    ), text
    assert has_number(text, "4") and has_number(text, "15")  # ۴ ساعت و ۱۵ دقیقه
    found = read_qr(data, tmp_path)
    match = CHECK.fullmatch(found)
    assert match, found
    item = models.Certificate.get()
    assert (item.help_minutes, item.helps, item.program_minutes, item.programs) == (135, 2, 120, 1)
    assert item.holder_name == served.name and item.center_name == "مرکز مثبت زندگی تجریش"

    # Anyone holding the paper opens the page, signed in or not.
    page = check_page(app.test_client().get(match[1]))
    for shown in (served.name, hours, duration(app, 135), duration(app, 120), "مرکز مثبت زندگی تجریش"):
        assert shown in page, shown
    start, end = item.period_start, item.period_end
    with app.test_request_context():
        for day in (start, end):
            assert persian.to_persian_digits(str(persian.jalali_date(day))) in page
    # ... and nothing else: no phone, in any digits; no account; not who paid; no program.
    digits_only = persian.to_latin_digits(re.sub(r"\D", "", persian.to_latin_digits(page)))
    for phone in (served.phone, people["resident"].phone, people["center_staff"].phone):
        assert phone not in digits_only and phone[1:] not in digits_only
    for hidden in (
        f"/certificates/people/{served.id}",
        f"/admin/people/{served.id}",
        ".pdf",
        people["resident"].name,
        "حلقهٔ کتاب‌خوانی",
        item.token_hash,
        item.salt,
        ">تجریش<",  # the holder's neighborhood (the center's name holds the word)
    ):
        assert hidden not in page, hidden
    response = app.test_client().get(match[1])
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_an_altered_or_unknown_address_finds_no_certificate(client, people, center, served):
    sign_in(client, served.phone)
    issued_pdf(client, served)
    item = models.Certificate.get()
    token = certificates.certificate_token(item, "test-secret-key")
    assert client.get(f"/certificates/{token}").status_code == 200
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (
        flipped,
        token.upper() if token.upper() != token else token.lower(),
        token[:-1],
        token + "A",
        secrets.token_urlsafe(16),
        item.token_hash,  # what the table keeps opens nothing
        item.salt,
        f"{item.id}",
        "%27%20OR%201=1",
    ):
        assert client.get(f"/certificates/{wrong}").status_code == 404, wrong
    # The table alone gives no address: without the site's key, the salt makes another token.
    assert certificates.certificate_token(item, "another-key") is None
    other = certificates._token(item.salt, "another-key")
    assert other != token and client.get(f"/certificates/{other}").status_code == 404


def test_when_the_key_changes_the_printed_copies_still_open_their_page(
    app, client, people, center, served, monkeypatch
):
    sign_in(client, served.phone)
    issued_pdf(client, served)
    item = models.Certificate.get()
    token = certificates.certificate_token(item, app.config["SECRET_KEY"])
    # The site's key is replaced (its sessions too: only the certificates' use of it is changed here).
    monkeypatch.setattr(certificate_views, "signing_key", lambda: "a-new-secret-key")
    assert client.get(f"/certificates/{token}").status_code == 200
    assert client.get(f"/certificates/{item.id}.pdf").status_code == 404  # it cannot be printed again


def test_only_the_volunteer_and_the_staff_of_their_center_print_a_certificate(app, people, places, center, served):
    other = models.Center.create(area=places["Bazaar"], name="مرکز مثبت زندگی بازار")
    elsewhere = accounts.create_user("09350002222", "کارمند بازار", "2580", roles=("center_staff",))
    accounts.set_work_center(elsewhere, other, people["admin"])
    owner = app.test_client()
    sign_in(owner, served.phone)
    issued_pdf(owner, served)
    item = models.Certificate.get()
    pages = (f"/certificates/people/{served.id}", f"/certificates/{item.id}.pdf")
    found = {}
    for role, member in [*people.items(), ("another center's staff", elsewhere)]:
        client = app.test_client()
        sign_in(client, member.phone)
        found[role] = tuple(client.get(page).status_code for page in pages)
        found[role] += (issue(client, served).status_code,)
    assert found == {
        "resident": (403, 403, 403),
        "volunteer": (200, 200, 302),  # the volunteer themself
        "facilitator": (403, 403, 403),
        "center_staff": (200, 200, 302),  # staff of the center whose member they are
        "charity_staff": (403, 403, 403),
        "social_worker": (403, 403, 403),
        "admin": (403, 403, 403),  # a certificate is a center's word, not headquarters'
        "another center's staff": (403, 403, 403),
    }
    guest = app.test_client()
    assert all(guest.get(page).status_code == 302 for page in pages)
    # Staff print none for another staff account, even one living in their center's area.
    staff = app.test_client()
    sign_in(staff, people["center_staff"].phone)
    assert staff.get(f"/certificates/people/{people['facilitator'].id}").status_code == 403
    # The hours staff looked at are in the audit log; the holder's own look is not.
    viewed = models.AuditEntry.select().where(models.AuditEntry.action == "certificate.hours_viewed")
    assert {entry.actor_id for entry in viewed} == {people["center_staff"].id}


def test_staff_issue_in_their_centers_name_and_the_volunteer_in_their_own_centers(app, people, places, center, served):
    niavaran = models.Center.create(area=places["Niavaran"], name="مرکز مثبت زندگی نیاوران")
    models.VolunteerProfile.create(
        user=served,
        neighborhood=places["Tajrish"],
        district=places["District 1"],
        city=places["Tehran"],
        center=niavaran,
    )
    owner = app.test_client()
    sign_in(owner, served.phone)
    issued_pdf(owner, served)
    staff = app.test_client()
    sign_in(staff, people["center_staff"].phone)
    issued_pdf(staff, served)
    names = [item.center_name for item in models.Certificate.select().order_by(models.Certificate.id)]
    assert names == ["مرکز مثبت زندگی نیاوران", "مرکز مثبت زندگی تجریش"]
    # The staff see the center's cards page link to it.
    assert f"/certificates/people/{served.id}" in staff.get(f"/centers/{center.id}/cards").get_data(as_text=True)


def test_a_double_submit_issues_one_certificate_and_an_empty_period_none(app, client, people, center, served):
    sign_in(client, served.phone)
    page = f"/certificates/people/{served.id}"
    data = {"period": "all", "form_key": "the-same-form"}
    first = submit(client, page, page, data)
    second = submit(client, page, page, data)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    assert models.Certificate.select().count() == 1
    # A year in which nothing was served, and a period that is not offered.
    newcomer = app.test_client()
    sign_in(newcomer, people["resident"].phone)
    answer = issue(newcomer, people["resident"])
    assert answer.status_code == 422
    assert "در این دوره هنوز نه ساعتی ثبت شده و نه برنامه‌ای" in check_page(answer, status=422)
    answer = issue(client, served, period="1300")
    assert answer.status_code == 422 and "دوره‌ای را که گواهی در بر می‌گیرد انتخاب کنید" in answer.get_data(as_text=True)
    assert models.Certificate.select().count() == 1


def test_the_check_page_speaks_the_readers_language(app, client, people, center, served):
    sign_in(client, served.phone)
    issued_pdf(client, served)
    token = certificates.certificate_token(models.Certificate.get(), app.config["SECRET_KEY"])
    reader = app.test_client()
    submit(reader, "/", "/language", {"language": "en"})
    page = check_page(reader.get(f"/certificates/{token}"))
    assert '<html lang="en" dir="ltr"' in page and "Tajrish center" in page and "4 h 15 min" in page
