"""A center's kiosk: made once by staff, bound to the center, refusing every
page but its own, forgetting each person, and switched off by staff."""

import pytest

import models
from hamsayeh.domain import accounts
from hamsayeh.views import kiosk
from tests.conftest import sign_in, submit
from tests.factories import make_post, sent_code
from tests.pages import check_page


@pytest.fixture
def center(people, places):
    item = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


def make_kiosk(client, center, staff):
    sign_in(client, staff.phone)
    page = f"/kiosk/centers/{center.id}"
    check_page(client.get(page))
    response = submit(client, page, page, {"name": "پایانهٔ ورودی"})
    assert response.status_code == 302 and response.location == "/kiosk/"
    assert client.get_cookie(kiosk.COOKIE) is not None
    return models.Kiosk.get()


def test_staff_make_a_kiosk_which_shows_only_its_own_pages(client, people, center):
    made = make_kiosk(client, center, people["center_staff"])
    assert made.token_hash != client.get_cookie(kiosk.COOKIE).value  # only its hash is kept
    response = client.get("/kiosk/")
    html = check_page(response, budget=8 * 1024)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Refresh"] == "120; url=/kiosk/" and "مرکز مثبت زندگی تجریش" in html
    assert "۲ دقیقه" in html  # the time limit is announced on every kiosk page
    assert "کاربر center_staff" not in html  # the staff member was signed out on the terminal
    for path in ("/simple/", "/simple/need", "/simple/call-me", "/account/sign-in", f"/centers/{center.id}"):
        assert client.get(path).status_code in (200, 302), path
    # Even an administrator who signs in at the kiosk reaches no other page.
    sign_in(client, people["admin"].phone)
    for path in ("/registry/", "/desk/", "/hq/", "/people/", "/time/", "/account/", f"/kiosk/centers/{center.id}"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert refused.headers["Refresh"] == "120; url=/kiosk/"  # a refused page goes back to the start too
    assert client.get("/").location == "/kiosk/"  # where signing in or out would lead
    assert client.post("/people/", data={}).status_code in (400, 403)


def test_the_kiosk_forgets_a_person_when_idle_or_finished(app, client, people, places, center):
    make_kiosk(client, center, people["center_staff"])
    post = make_post(people["resident"], places["Tajrish"], "کمک برای بردن کیسهٔ برنج به خانه")
    sign_in(client, people["resident"].phone)
    html = check_page(client.get("/simple/mine"), budget=8 * 1024)
    assert f"/board/posts/{post.id}" in html and client.get("/simple/mine").headers["Cache-Control"] == "no-store"
    # Two minutes without a touch: the next request finds nobody signed in.
    with client.session_transaction() as state:
        state["kiosk_seen"] -= app.config["KIOSK_IDLE_SECONDS"] + 1
    assert client.get("/simple/mine").status_code == 302
    sign_in(client, people["resident"].phone)
    assert submit(client, "/kiosk/", "/kiosk/done", {}).location == "/kiosk/"
    assert client.get("/simple/mine").status_code == 302
    # The start page forgets whoever was there, and the neighborhood a guest chose.
    sign_in(client, people["resident"].phone)
    client.set_cookie("hood", str(places["Bazaar"].id))
    client.get("/kiosk/")
    assert client.get("/simple/mine").status_code == 302
    assert client.get_cookie("hood") is None


def test_only_the_centers_staff_make_or_switch_off_its_kiosks(client, people, places, center):
    for role in ("resident", "volunteer", "facilitator"):
        sign_in(client, people[role].phone)
        assert client.get(f"/kiosk/centers/{center.id}").status_code == 403
    other = models.Center.create(area=places["Bazaar"], name="مرکز بازار")
    sign_in(client, people["center_staff"].phone)
    assert client.get(f"/kiosk/centers/{other.id}").status_code == 403
    made = make_kiosk(client, center, people["center_staff"])
    # Switched off from another browser, the terminal is an ordinary browser again.
    staff_browser = client.application.test_client()
    sign_in(staff_browser, people["center_staff"].phone)
    page = f"/kiosk/centers/{center.id}"
    sign_in(client, people["resident"].phone)  # someone is signed in on the terminal
    assert submit(staff_browser, page, f"{page}/{made.id}/revoke", {}).status_code == 302
    assert models.Kiosk.get_by_id(made.id).revoked_at is not None
    assert client.get("/board/").status_code == 200
    assert client.get_cookie(kiosk.COOKIE) is None and client.get("/simple/mine").status_code == 302
    assert "no-store" not in client.get("/board/").headers.get("Cache-Control", "")


def test_a_neighbor_signs_up_at_the_kiosk_through_both_steps(client, people, center):
    """Sign-up is two pages (the form, then the SMS code): the kiosk serves both."""
    make_kiosk(client, center, people["center_staff"])
    phone = "09125556677"
    data = {"name": "پروین اعتصامی", "phone": phone, "pin": "2468", "pin_again": "2468"}
    check_page(client.get("/account/sign-up"), budget=16 * 1024)
    asked = submit(client, "/account/sign-up", "/account/sign-up", data)
    assert asked.status_code == 302 and asked.location.startswith("/account/sign-up/")
    check_page(client.get(asked.location), budget=16 * 1024)
    done = submit(client, asked.location, asked.location, {"code": sent_code(phone)})
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    assert client.get(done.location).status_code != 403
    user = models.User.by_phone(phone)
    assert user is not None and user.name == "پروین اعتصامی"
    # The kiosk still forgets them at Finish.
    assert submit(client, "/kiosk/", "/kiosk/done", {}).location == "/kiosk/"
    assert client.get("/simple/mine").status_code == 302
