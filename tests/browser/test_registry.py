"""The assembly's registry and the organizations' portals in Chromium at
360 px, without JavaScript, on the demo data of Damavand county."""

import pytest

import models
from hamsayeh.domain import assemblies, demo
from tests.browser.test_board import switch_to
from tests.conftest import REGISTRY_KEY

pytestmark = pytest.mark.browser
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def test_two_charities_of_damavand_find_the_same_family(site_without_js, db):
    site = site_without_js
    demo.seed(REGISTRY_KEY)
    charity_a = models.Organization.get(models.Organization.name == "خیریهٔ امام رضا دماوند")
    code = demo.national_code("345678912")

    # Staff of charity A record a family.
    site.sign_in("09120000005")
    site.visit("/registry/")
    # The link keeps the organization, and the assembly, the staff member works at.
    site.follow(f"/registry/new?org={charity_a.id}-{assemblies.assemblies_of(charity_a).get().id}")
    site.page.check("input[name=id_kind][value=national]")
    site.fill("number", code)
    site.fill("name", "خانوادهٔ کریمی")
    site.fill("household_size", "۳")
    site.page.select_option("#f-area", label="دماوند › گیلاوند")
    site.submit("/registry/new")
    record = models.BeneficiaryRecord.get(models.BeneficiaryRecord.name == "خانوادهٔ کریمی")
    assert record.organization_id == charity_a.id
    site.page.select_option("#f-category", "food")
    site.submit(f"/registry/records/{record.id}/services")
    site.screenshot("registry-record-360")

    # Staff of charity B ask, typing the code in Persian digits, and see one food service.
    switch_to(site, "09120000010")
    site.visit("/registry/")
    site.fill("number", code.translate(PERSIAN))
    site.submit("/registry/inquiry")
    text = site.text()
    assert "۱ خدمت" in text and "از ۱ سازمان" in text and "خانوادهٔ کریمی" not in text
    site.screenshot("registry-inquiry-360")
    # A wrong check digit is refused beside the field.
    site.visit("/registry/")
    site.fill("number", code[:9] + str((int(code[9]) + 1) % 10))
    site.submit("/registry/inquiry")
    assert "رقم کنترل" in site.text()
    site.visit("/registry/reports")
    assert "خدمت‌های موازی" in site.text()
    site.screenshot("registry-report-360")
    site.visit("/registry/import")

    # The assembly's page and the charities' portals.
    site.visit(f"/orgs/assemblies/{assemblies.assemblies_of(charity_a).get().id}")
    site.visit("/orgs/")
    site.visit(f"/orgs/{charity_a.id}")

    # A volunteer who types a registry address is refused.
    switch_to(site, "09120000002")
    response = site.page.goto("/registry/")
    assert response.status == 403
    site.check()


def test_headquarters_opens_an_organizations_page_and_its_manager_keeps_it(site_without_js, db):
    import jdatetime

    site = site_without_js
    demo.seed(REGISTRY_KEY)
    county = models.Area.get(models.Area.kind == "county", models.Area.name == "دماوند")
    site.sign_in("09120000007")
    site.visit("/orgs/")
    site.follow("/orgs/new")
    site.fill("name", "کانون نیکوکاری کیلان")
    site.page.select_option("#f-county", str(county.id))
    site.fill("manager", "09120000010")
    site.submit("/orgs/new")
    org = models.Organization.get(models.Organization.name == "کانون نیکوکاری کیلان")
    switch_to(site, "09120000010")
    site.visit(f"/orgs/{org.id}")
    site.follow(f"/orgs/{org.id}/edit")
    site.fill("about", "کمک هزینهٔ درمان برای سالمندان کیلان")
    site.submit(f"/orgs/{org.id}/edit")
    site.follow(f"/orgs/{org.id}/members")
    site.fill("phone", "09120000002")
    site.submit(f"/orgs/{org.id}/members")
    site.visit(f"/orgs/{org.id}")
    site.follow(f"/orgs/{org.id}/programs/new")
    site.fill("title", "ویزیت رایگان سالمندان")
    site.page.select_option("#f-activity_type", "health")
    site.fill("date", (jdatetime.date.today() + jdatetime.timedelta(days=3)).strftime("%Y/%m/%d"))
    site.submit(f"/orgs/{org.id}/programs/new")
    assert "ویزیت رایگان سالمندان" in site.text()
