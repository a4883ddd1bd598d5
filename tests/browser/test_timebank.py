"""The time bank in Chromium at 360 px, with scripts on and off."""

import pytest

import models
from hamsayeh.domain import board, timebank
from tests.browser.test_board import switch_to

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_hours_of_a_finished_help_then_sent_by_hand_and_given_to_the_pool(request, javascript, people, places):
    from tests.factories import make_post

    site = request.getfixturevalue("site" if javascript else "site_without_js")
    resident, helper = people["resident"], people["volunteer"]
    post = make_post(resident, places["Tajrish"], "همراهی تا درمانگاه برای واکسن", estimate_minutes=120)
    response = board.respond_to_post(post, helper)
    board.accept_response(response, resident)

    site.sign_in(resident.phone)
    site.visit(f"/board/posts/{post.id}")
    assert site.page.input_value(f"#f-minutes-{response.id}") == "120"
    site.page.select_option(f"#f-minutes-{response.id}", "90")
    site.submit(f"/board/responses/{response.id}/confirm")
    site.page.click("header a[href='/time/']")
    site.page.wait_for_load_state("load")
    site.check()
    assert "−۱ ساعت و ۳۰ دقیقه" in site.text()

    site.follow("/time/send")
    site.fill("phone", "۰۹۱۲۰۰۰۰۰۰۲")
    site.fill("minutes", "یک ساعت")
    site.fill("reason", "سپاس دوباره")
    site.submit("/time/send")
    assert site.page.get_attribute("#f-minutes", "aria-invalid") == "true"
    assert site.page.input_value("#f-reason") == "سپاس دوباره"
    site.fill("minutes", "۳۰")
    site.submit("/time/send")
    # The confirmation shows the number, never whose it is.
    assert "۰۹۱۲۰۰۰۰۰۰۲" in site.text() and helper.name not in site.text()
    with site.page.expect_navigation():
        site.page.click("button[name=confirmed]")
    site.check()
    assert "−۲ ساعت" in site.text()

    site.follow("/time/give")
    site.fill("minutes", "۱۵")
    site.submit("/time/give")
    assert "−۲ ساعت و ۱۵ دقیقه" in site.text()
    site.follow(f"/time/areas/{places['District 1'].id}")
    assert "۱۵ دقیقه" in site.text() and "همراهی و جابه‌جایی" not in site.text()
    site.screenshot(f"timebank-fa-{'js' if javascript else 'nojs'}")

    switch_to(site, helper.phone)
    site.visit("/time/")
    assert "۲ ساعت" in site.text()


def test_center_staff_lower_a_seniors_floor_and_correct_a_mistake(site, people, places):
    staff, senior = people["center_staff"], people["resident"]
    staff.work_center = models.Center.create(area=places["District 1"], name="مرکز مثبت زندگی تجریش")
    staff.save()
    account = timebank.member_account(senior)
    mistake = timebank.transfer(
        account, timebank.member_account(people["volunteer"]), 300, senior, reason="اشتباه تایپی"
    )
    site.sign_in(staff.phone)
    site.page.click("header summary")  # staff find their links in the menu
    site.page.click("header a[href='/time/center']")
    site.page.wait_for_load_state("load")
    site.check()
    site.follow(f"/time/accounts/{account.id}")
    site.fill("floor", "۳۰")
    site.page.check("input[name=pool_pays]")
    site.submit(f"/time/accounts/{account.id}/floor")
    assert models.TimeAccount.get_by_id(account.id).floor == -30 * 60
    site.submit(f"/time/transfers/{mistake.id}/reverse")
    assert timebank.member_account(senior).balance == 0
    site.screenshot("timebank-staff-fa")
