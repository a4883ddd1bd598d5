"""The welfare desk's whole path in Chromium at 360 px with JavaScript off,
on the demo data of District 1 in Tehran: a request registered at the desk,
taken and assessed by a social worker, a service referred to a charity of the
district's assembly, which accepts and delivers it in its portal; another
charity of the assembly finds the service in a registry inquiry; the social
worker closes the case. Every page is scanned by axe and measured for contrast."""

import pytest

import models
from hamsayeh.domain import casework_demo, demo
from tests.browser.test_board import switch_to
from tests.conftest import REGISTRY_KEY

pytestmark = pytest.mark.browser
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
CODE = demo.national_code("512345678")


def test_a_request_goes_from_the_desk_to_a_charity_the_registry_and_is_closed(site_without_js, db):
    site = site_without_js
    demo.seed(REGISTRY_KEY)
    worker, charity_manager, other_manager = "09120000006", "09120000005", casework_demo.SECOND_MANAGER[0]
    charity = models.Organization.get(models.Organization.name == casework_demo.CHARITY)

    # At the desk: the social worker registers a request for a neighbor, in Persian digits.
    site.sign_in(worker)
    site.visit("/cases/")
    assert "درخواست‌های تازهٔ منطقه" in site.text()
    site.follow(f"/cases/new?office={models.WelfareOffice.get().id}")
    site.page.select_option("#f-source", "office")
    site.fill("name", "فرشته امیری")
    site.page.check("input[name=id_kind][value=national]")
    site.fill("number", CODE.translate(PERSIAN))
    site.fill("phone", "۰۹۳۶۱۱۱۲۲۳۳")
    site.page.select_option("#f-area", label="تجریش")
    site.fill("household_size", "۳")
    site.fill("asked", "سرپرست خانوارم و برای خرید غذای این ماه کمک می‌خواهم.")
    site.submit("/cases/new")
    case = models.WelfareCase.get(models.WelfareCase.name == "فرشته امیری")
    assert "فرشته امیری" in site.text() and CODE not in site.page.content()
    site.screenshot("casework-registered-360")

    # The social worker takes it and assesses it.
    site.submit(f"/cases/{case.id}/take")
    site.follow(f"/cases/{case.id}/assessment")
    site.fill("household_members", "فرشته، مادر، ۳۸ ساله\nدو دختر، ۹ و ۱۲ ساله")
    site.page.select_option("#f-housing", "rented")
    site.page.check("input[name=coverage][value=none]")
    site.page.check("input[name=needs][value=food]")
    site.page.check("input[name=decision][value=eligible]")
    site.submit(f"/cases/{case.id}/assessment")
    assert models.WelfareCase.get_by_id(case.id).status == "assessed"

    # A food basket referred to the district's charity.
    site.page.select_option("#f-category", "food")
    site.page.select_option("#f-giver", f"org-{charity.id}")
    site.fill("about", "سبد غذایی آذر")
    site.submit(f"/cases/{case.id}/services")
    service = models.CaseService.get(models.CaseService.case == case.id)
    assert service.status == "referred"
    site.screenshot("casework-case-360")

    # The charity accepts and delivers it in its portal.
    switch_to(site, charity_manager)
    site.visit("/cases/referrals")
    site.follow(f"/cases/referrals/{service.id}")
    assert "۰۹۳۶" not in site.text()
    with site.page.expect_navigation():
        site.page.click(f"form[action='/cases/referrals/{service.id}/answer'] button[value=accept]")
    site.check()
    assert "۰۹۳۶۱۱۱۲۲۳۳" in site.text()
    site.submit(f"/cases/referrals/{service.id}/delivered")
    assert models.CaseService.get_by_id(service.id).status == "delivered"
    site.screenshot("casework-referral-360")

    # Another charity of District 1's assembly asks the registry about the person: one food service.
    switch_to(site, other_manager)
    site.visit("/registry/")
    site.fill("number", CODE.translate(PERSIAN))
    site.submit("/registry/inquiry")
    text = site.text()
    assert "۱ خدمت" in text and "از ۱ سازمان" in text and "فرشته امیری" not in text

    # Back at the desk the case is served; the social worker closes it with its reason.
    switch_to(site, worker)
    site.visit(f"/cases/{case.id}")
    assert models.WelfareCase.get_by_id(case.id).status == "served"
    site.page.select_option("#f-reason", "served")
    site.fill("close-note", "سبد غذایی رسید.")
    site.submit(f"/cases/{case.id}/close")
    closed = models.WelfareCase.get_by_id(case.id)
    assert (closed.status, closed.close_reason) == ("closed", "served")
    assert "سبد غذایی رسید." in site.text()


def test_the_supervisor_and_the_person_reach_their_pages(site_without_js, db):
    site = site_without_js
    demo.seed(REGISTRY_KEY)
    site.sign_in("09120000042")  # the district's supervisor
    site.visit("/cases/")
    assert "پرونده‌های منطقه" in site.text()
    site.visit("/cases/shelter")
    site.visit("/cases/reports")
    site.visit("/cases/exchange")
    waiting = models.WelfareCase.get(models.WelfareCase.form_key == "demo-case-1")
    site.visit(f"/cases/{waiting.id}")
    site.visit(f"/cases/{waiting.id}/assessment")
    # A resident asks for themselves and follows the request.
    switch_to(site, "09120000001")
    site.visit("/cases/ask")
    site.fill("number", demo.national_code("612345678"))
    site.fill("asked", "برای خرید داروهای مادرم کمک می‌خواهم.")
    site.submit("/cases/ask")
    assert "ثبت شده" in site.text()
    site.visit("/cases/mine")
    # A charity of the assembly sees its referrals and pledges.
    switch_to(site, "09120000005")
    site.visit("/cases/referrals")
    # Headquarters keeps the offices.
    switch_to(site, "09120000007")
    site.visit("/cases/offices")
    site.visit(f"/cases/offices/{models.WelfareOffice.get().id}")
