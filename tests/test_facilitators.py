"""Facilitators: assigned to neighborhoods by headquarters or center staff, with
their training; a neighborhood's page shows them; matching, the desk and the
call-back queue follow the assignments."""

import datetime

import jdatetime

import models
from hamsayeh.domain import facilitators
from tests.conftest import sign_in, submit
from tests.factories import make_post
from tests.pages import check_page


def test_headquarters_assigns_a_neighborhood_and_records_training(client, people, places):
    facilitator = people["facilitator"]
    sign_in(client, people["admin"].phone)
    page = f"/facilitators/{facilitator.id}"
    assert submit(client, "/facilitators/", "/facilitators/", {"phone": facilitator.phone}).location == page
    html = check_page(submit(client, "/facilitators/", "/facilitators/", {"phone": people["resident"].phone}), 422)
    assert 'id="f-phone-error"' in html
    assert "بازار" in check_page(client.get(page))
    bazaar = places["Bazaar"]
    assert submit(client, page, f"{page}/assign", {"neighborhood": str(bazaar.id)}).status_code == 302
    assert facilitators.facilitates(facilitator, bazaar.id)
    today = jdatetime.date.today().strftime("%Y/%m/%d")
    data = {"course": "آشنایی با کار محله‌محور", "hours": "۱۶", "completed_on": today}
    assert submit(client, page, f"{page}/training", data).status_code == 302
    html = check_page(client.get(page))
    assert "آموزش: ۱۶ ساعت" in html
    for wrong in (
        {"course": "", "hours": "x", "completed_on": "1405/13/40"},
        {"course": "دوره", "hours": "0", "completed_on": "1499/01/01"},
    ):
        html = check_page(submit(client, page, f"{page}/training", wrong), status=422)
        assert 'id="f-hours-error"' in html and 'id="f-completed_on-error"' in html
    submit(client, page, f"{page}/assign", {"neighborhood": str(bazaar.id), "remove": "1"})
    assert not facilitators.facilitates(facilitator, bazaar.id)
    assert html  # the page kept what was typed
    del html
    assert models.Training.get().completed_on <= datetime.date.today()


def test_the_neighborhood_page_shows_its_facilitator_and_their_note(client, people, places):
    sign_in(client, people["facilitator"].phone)
    html = check_page(client.get("/facilitators/me"))
    assert "تجریش" in html and "نیاوران" in html
    note = "مرکز تجریش، شنبه تا چهارشنبه، صبح‌ها"
    assert submit(client, "/facilitators/me", "/facilitators/me", {"contact": note}).status_code == 302
    html = check_page(client.get(f"/areas/{places['Tajrish'].id}"))
    assert "کاربر facilitator" in html and note in html and people["facilitator"].phone not in html
    assert "کاربر facilitator" not in check_page(client.get(f"/areas/{places['Bazaar'].id}"))


def test_center_staff_assign_only_within_their_center(client, people, places):
    staff = people["center_staff"]
    staff.work_center = models.Center.create(area=places["District 12"], name="مرکز بازار")
    staff.save()
    sign_in(client, staff.phone)
    page = f"/facilitators/{people['facilitator'].id}"
    assert (
        submit(client, "/facilitators/", f"{page}/assign", {"neighborhood": str(places["Tajrish"].id)}).status_code
        == 400
    )
    assert (
        submit(client, "/facilitators/", f"{page}/assign", {"neighborhood": str(places["Bazaar"].id)}).status_code
        == 302
    )
    assert client.get(f"/facilitators/{people['resident'].id}").status_code == 404
    sign_in(client, people["resident"].phone)
    assert client.get("/facilitators/").status_code == 403


def test_matches_are_shown_to_the_facilitator_assigned_to_the_neighborhood(client, people, places):
    from tests.factories import volunteer

    volunteer("داوطلب بازار", "09120000500", places["Bazaar"])
    post = make_post(people["resident"], places["Bazaar"], "کمک برای بردن کیسهٔ برنج به خانه")
    sign_in(client, people["facilitator"].phone)
    assert "داوطلب بازار" not in check_page(client.get(f"/board/posts/{post.id}"))
    facilitators.assign_facilitator(people["facilitator"], places["Bazaar"], people["admin"])
    assert "داوطلب بازار" in check_page(client.get(f"/board/posts/{post.id}"))
