"""Mosbat-e Zendegi centers: their pages, programs with sign-ups and a waiting
list, cancelling with notice, and the printed notices with a QR code back."""

import jdatetime
import pytest

import models
from hamsayeh.domain import accounts, centers
from tests.conftest import PIN, sign_in, submit
from tests.factories import make_post, read_qr
from tests.pages import check_page
from tests.printing import pdf_text_and_fonts


@pytest.fixture
def center(people, places):
    """A center in Tajrish, where the center staff member works."""
    item = models.Center.create(
        area=places["Tajrish"], name="مرکز مثبت زندگی تجریش", address="میدان تجریش، کوچهٔ مهر", hours="شنبه تا چهارشنبه"
    )
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


def tomorrow():
    return (jdatetime.date.today() + jdatetime.timedelta(days=1)).strftime("%Y/%m/%d")


def add_program(client, center, title="حلقهٔ کتاب‌خوانی کودکان", capacity="2", **extra):
    page = f"/centers/{center.id}/programs/new"
    data = {"title": title, "activity_type": "children", "date": tomorrow(), "time": "۱۷:۳۰", "capacity": capacity}
    response = submit(client, page, page, data | extra)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return models.Program.get(models.Program.title == title)


def test_staff_add_a_program_and_the_center_page_shows_it(client, people, places, center):
    make_post(people["resident"], places["Niavaran"], "کمک برای بردن کیسهٔ برنج به خانه")
    sign_in(client, people["center_staff"].phone)
    page = f"/centers/{center.id}/programs/new"
    check_page(client.get(page))
    wrong = {"title": "", "activity_type": "x", "date": "1400/01/01", "time": "25:00", "capacity": "0"}
    html = check_page(submit(client, page, page, wrong), 422)
    for name in ("title", "activity_type", "date", "time", "capacity"):
        assert f'id="f-{name}-error"' in html
    program = add_program(client, center, place="سالن مرکز", about="برای کودکان ۷ تا ۱۰ ساله")
    local = jdatetime.datetime.fromgregorian(datetime=program.starts_at.replace(tzinfo=None)) + jdatetime.timedelta(
        hours=3, minutes=30
    )
    assert (local.hour, local.minute) == (17, 30)  # Tehran time, stored in UTC
    html = check_page(client.get(f"/centers/{center.id}"))
    for text in ("حلقهٔ کتاب‌خوانی کودکان", "میدان تجریش", "کاربر center_staff", "نیاوران", "۱ نیاز باز"):
        assert text in html, text
    # Other members, and other centers' staff, do not add programs here.
    other = models.Center.create(area=places["Bazaar"], name="مرکز بازار")
    for phone in (people["resident"].phone, people["facilitator"].phone):
        sign_in(client, phone)
        assert client.get(page).status_code == 403
    accounts.set_work_center(people["center_staff"], other, people["admin"])
    sign_in(client, people["center_staff"].phone)
    assert client.get(page).status_code == 403


def test_sign_ups_fill_the_places_then_a_waiting_list_that_moves_up(client, people, places, center):
    sign_in(client, people["center_staff"].phone)
    program = add_program(client, center)
    page = f"/centers/programs/{program.id}"
    neighbors = [
        accounts.create_user(f"0912444000{i}", f"همسایه {i}", PIN, neighborhood=places["Tajrish"]) for i in range(3)
    ]
    for member in neighbors:
        sign_in(client, member.phone)
        submit(client, page, f"{page}/signup", {})
        submit(client, page, f"{page}/signup", {})  # a second press keeps the first place
    statuses = [models.ProgramSignup.get(models.ProgramSignup.user == m).status for m in neighbors]
    assert statuses == ["confirmed", "confirmed", "waiting"]
    assert "در فهرست انتظار" in check_page(client.get(page))
    sign_in(client, neighbors[0].phone)
    assert submit(client, page, f"{page}/leave", {}).status_code == 302
    assert models.ProgramSignup.get(models.ProgramSignup.user == neighbors[2]).status == "confirmed"
    assert models.Notification.get(models.Notification.kind == "program_place").user_id == neighbors[2].id

    sign_in(client, people["center_staff"].phone)
    assert "همسایه ۲" in check_page(client.get(page))
    assert 'id="f-reason-error"' in check_page(submit(client, page, f"{page}/cancel", {"reason": ""}), 422)
    assert models.Program.get_by_id(program.id).status == "scheduled"
    assert submit(client, page, f"{page}/cancel", {"reason": "سالن تعمیر می‌شود"}).status_code == 302
    told = {n.user_id for n in models.Notification.select().where(models.Notification.kind == "program_cancelled")}
    assert told == {neighbors[1].id, neighbors[2].id}
    sign_in(client, neighbors[2].phone)
    inbox = check_page(client.get("/inbox/"))
    assert "حلقهٔ کتاب‌خوانی کودکان" in inbox
    assert "سالن تعمیر می‌شود" in check_page(client.get(page))
    sign_in(client, neighbors[0].phone)
    submit(client, page, f"{page}/signup", {})
    assert models.ProgramSignup.get(models.ProgramSignup.user == neighbors[0]).status == "cancelled"


def test_a_programs_flyer_is_persian_with_its_own_font_and_a_qr_code_back(client, people, center, tmp_path):
    sign_in(client, people["center_staff"].phone)
    program = add_program(client, center, title="کارگاه آشپزی سالم")
    for size, width in (("A4", 595), ("A5", 420)):
        answer = client.get(f"/centers/programs/{program.id}/flyer.pdf", query_string={"size": size})
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
        reader, text, fonts = pdf_text_and_fonts(answer.data)
        assert round(float(reader.pages[0].mediabox.width)) == width
        lines = ["مرکز مثبت زندگی تجریش", "کارگاه آشپزی سالم", "کودکان"]
        positions = [text.find(line.replace("\u200c", "")) for line in lines]
        assert -1 not in positions and positions == sorted(positions), text
        assert any("Vazirmatn" in font for font in fonts), fonts
        folder = tmp_path / size
        folder.mkdir()
        assert read_qr(answer.data, folder) == f"http://localhost/centers/programs/{program.id}"


def test_the_neighborhoods_needs_and_the_call_for_volunteers_print_without_names(
    client, people, places, center, tmp_path
):
    make_post(people["resident"], places["Niavaran"], "کمک برای بردن کیسهٔ برنج به خانه")
    assert client.get(f"/centers/{center.id}/needs.pdf").status_code == 302  # staff print them
    sign_in(client, people["center_staff"].phone)
    answer = client.get(f"/centers/{center.id}/needs.pdf")
    _reader, text, _fonts = pdf_text_and_fonts(answer.data)
    assert "نیازهای محلهٔ ما در این هفته" in text and "خرید و کارهای بیرون" in text
    assert "کیسهٔ برنج" not in text and "کاربر resident" not in text
    assert read_qr(answer.data, tmp_path) == "http://localhost/board/"
    answer = client.get(f"/centers/{center.id}/volunteers.pdf")
    _reader, text, _fonts = pdf_text_and_fonts(answer.data)
    assert "همسایه‌هایتان به شما نیاز دارند".replace("\u200c", "") in text  # pypdf drops the ZWNJ


def test_many_sign_ups_at_once_never_overfill_a_program(people, places, center):
    """Parallel requests for the last places: the program's row is held while
    its places are counted, so exactly `capacity` get one."""
    import datetime
    import threading

    program = models.Program.create(
        center=center,
        title="ویزیت رایگان چشم",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "health"),
        starts_at=models.utcnow() + datetime.timedelta(days=1),
        capacity=3,
        created_by=people["center_staff"],
        form_key="eye-visit",
    )
    members = [accounts.create_user(f"0912555100{i}", f"همسایه {i}", PIN) for i in range(8)]
    barrier = threading.Barrier(len(members))

    def sign(member):
        with models.db.connection_context():
            barrier.wait()
            centers.sign_up(program, member)

    threads = [threading.Thread(target=sign, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [row.status for row in models.ProgramSignup.select()]
    assert statuses.count("confirmed") == 3 and statuses.count("waiting") == 5
