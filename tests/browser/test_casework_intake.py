"""A need on the board and a call-back carried into the welfare desk's
intake, in Chromium at 360 px with JavaScript off, on the demo data of
District 1: the action on the post's page and on the call-back list, the
filled form, and the case with its link back. Every page is scanned by axe."""

import pytest

import models
from hamsayeh.domain import callbacks, casework, demo
from tests.browser.test_board import switch_to
from tests.conftest import REGISTRY_KEY

pytestmark = pytest.mark.browser
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def test_a_need_and_a_call_back_become_requests_that_keep_their_link(site_without_js, db):
    site = site_without_js
    demo.seed(REGISTRY_KEY)
    office = models.WelfareOffice.get()
    need = next(
        post
        for post in models.HelpPost.select().where(models.HelpPost.kind == "request", models.HelpPost.status == "open")
        if casework.office_for(post.neighborhood) == office and not post.on_behalf_name
    )

    # The social worker opens the need on the board and registers it.
    site.sign_in("09120000006")
    site.visit(f"/board/posts/{need.id}")
    site.follow(f"/cases/new?post={need.id}")
    assert site.page.input_value("#f-name") == need.author.name
    assert need.text in site.page.input_value("#f-asked")
    site.fill("number", demo.national_code("712345678").translate(PERSIAN))
    site.fill("household_size", "۲")
    site.screenshot("casework-from-board-360")
    site.submit("/cases/new")
    case = models.WelfareCase.get(models.WelfareCase.board_post == need.id)
    assert case.source == "board" and case.applicant_id is None
    assert site.page.locator(f"main a[href='/board/posts/{need.id}']").count() == 1

    # The author sees their post as before: no action, no word of a case.
    switch_to(site, need.author.phone)
    site.visit(f"/board/posts/{need.id}")
    assert site.page.locator("main a[href^='/cases/']").count() == 0

    # The center's desk registers a neighbor who asked to be called back.
    staff = models.User.get(models.User.phone == "09120000004")
    call = callbacks.request_callback("browser-call", phone="09361112299", center=staff.work_center)
    switch_to(site, staff.phone)
    site.visit("/desk/calls")
    site.follow(f"/cases/new?callback={call.id}")
    assert site.page.input_value("#f-phone") == "09361112299"
    site.fill("name", "مهین صدری")
    site.page.check("input[name=id_kind][value=none]")
    site.fill("asked", "تنها زندگی می‌کند و برای خرید دارو و غذا کمک می‌خواهد.")
    site.submit("/cases/new")
    made = models.WelfareCase.get(models.WelfareCase.callback == call.id)
    assert (made.source, made.phone, made.office_id) == ("phone", "09361112299", office.id)
