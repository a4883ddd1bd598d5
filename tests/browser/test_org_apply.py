"""An organization's application goes through to an approved portal page
(issue 18), in Chromium at 360 px without JavaScript, every page scanned by axe."""

import pytest

import models
from hamsayeh.domain import assemblies
from tests.browser.test_board import switch_to

pytestmark = pytest.mark.browser

NAME = "گروه جهادی جوانان تجریش"


def test_a_member_applies_headquarters_approves_and_the_page_opens(site_without_js, people, places):
    site = site_without_js
    assemblies.create("district", places["District 1"], None, "مجمع خیرین منطقه 1", people["admin"])
    applicant = people["resident"]

    # A guest starts the form; sending it asks them to sign in, and what they typed comes back.
    site.visit("/orgs/")
    site.follow("/orgs/apply")
    site.fill("name", NAME)
    site.page.select_option("#f-kind", "jihadi")
    site.page.select_option("#f-area", str(places["District 1"].id))
    site.submit("/orgs/apply")
    assert "/account/sign-in" in site.page.url
    site.fill("phone", applicant.phone)
    site.fill("pin", "2580")
    site.submit("/account/sign-in")
    assert "/orgs/apply" in site.page.url
    assert site.page.input_value("#f-name") == NAME
    assert site.page.input_value("#f-area") == str(places["District 1"].id)

    # A mistake: the message sits beside the field, and the rest stays.
    site.fill("contact_phone", "۰۹۱۲")
    site.submit("/orgs/apply")
    assert site.page.get_attribute("#f-contact_phone", "aria-invalid") == "true"
    assert site.page.input_value("#f-name") == NAME
    site.fill("contact_phone", "۰۹۱۲ ۳۴۵ ۶۷۸۹")
    site.fill("about", "جوانان محله که هر هفته برای سالمندان تنها خرید می‌کنند.")
    site.submit("/orgs/apply")
    assert "در انتظار پاسخ." in site.text()
    site.screenshot("org-apply-sent-360")
    application = models.OrganizationApplication.get()

    # Headquarters reads it among the applications, and approves it.
    switch_to(site, people["admin"].phone)
    site.visit("/orgs/")
    site.follow("/orgs/applications")
    site.follow(f"/orgs/applications/{application.id}")
    assert "۰۹۱۲۳۴۵۶۷۸۹" in site.text()
    site.submit(f"/orgs/applications/{application.id}/approve")
    organization = models.Organization.get(models.Organization.name == NAME)
    assert site.page.url.endswith(f"/orgs/{organization.id}")
    assert NAME in site.text()
    site.screenshot("org-apply-approved-360")
    # Its assemblies are headquarters' too: the pages that keep them.
    site.visit("/hq/assemblies/")
    site.follow(f"/hq/assemblies/{assemblies.of_district(places['Tajrish']).id}")

    # The applicant hears it, and keeps the page as its manager.
    switch_to(site, applicant.phone)
    site.visit("/inbox/")
    assert "درخواست شما را پذیرفت" in site.text()
    site.follow("/orgs/apply")
    site.follow(f"/orgs/{organization.id}")
    site.follow(f"/orgs/{organization.id}/edit")
    assert site.page.url.endswith(f"/orgs/{organization.id}/edit")
