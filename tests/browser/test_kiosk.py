"""A kiosk left idle returns to its start page, and Back shows nothing of the
previous person; a kiosk cannot open a staff page. Chromium, no JavaScript."""

import time

import pytest

import models
from hamsayeh.domain import accounts
from tests.factories import make_post

pytestmark = pytest.mark.browser


@pytest.fixture
def short_idle(app):
    app.config["KIOSK_IDLE_SECONDS"] = 3
    yield 3
    app.config["KIOSK_IDLE_SECONDS"] = 120


def test_an_idle_kiosk_forgets_the_person_and_refuses_staff_pages(site_without_js, people, places, short_idle):
    site = site_without_js
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    post = make_post(people["resident"], places["Tajrish"], "کمک برای بردن کیسهٔ برنج به خانه")

    site.sign_in(people["center_staff"].phone)
    site.visit(f"/kiosk/centers/{center.id}")
    site.submit(f"/kiosk/centers/{center.id}")
    assert site.page.url.endswith("/kiosk/")
    site.screenshot("kiosk-start-360")

    # A neighbor checks "my requests" with their number and PIN.
    site.follow("/simple/mine")
    site.fill("phone", people["resident"].phone)
    site.fill("pin", "2580")
    site.submit("/account/sign-in")
    site.visit("/simple/mine")
    assert f"/board/posts/{post.id}" in site.page.content()

    # Left alone, the kiosk goes back to its start page by itself (a meta refresh).
    site.page.wait_for_url("**/kiosk/", timeout=(short_idle + 5) * 1000)
    site.check()
    # Back shows nothing of them: the page is fetched again, and nobody is signed in.
    site.page.go_back()
    site.page.wait_for_load_state("load")
    assert f"/board/posts/{post.id}" not in site.page.content()
    assert "/account/sign-in" in site.page.url or site.page.url.endswith("/kiosk/")

    # A staff member's page, typed in, is refused, whoever signs in.
    time.sleep(0.1)
    site.page.goto("/account/sign-in")
    site.fill("phone", people["admin"].phone)
    site.fill("pin", "2580")
    site.submit("/account/sign-in")
    for path in ("/registry/", "/hq/", "/desk/"):
        assert site.page.goto(path).status == 403
    site.check()
