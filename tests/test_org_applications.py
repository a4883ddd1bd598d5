"""Organizations apply to open their page (issue 18, point 4): a member
applies, headquarters or the coordinator of the area's assembly answers, the
applicant hears it in their inbox; approval opens the page once, with the
applicant as its manager."""

import threading
from urllib.parse import parse_qs, urlsplit

import pytest

import models
from hamsayeh.domain import assemblies, organizations
from tests.conftest import sign_in, submit
from tests.pages import check_page

GOOD = {
    "name": "گروه جهادی جوانان تجریش",
    "kind": "jihadi",
    "registration_number": "",
    "registration_body": "",
    "contact_name": "عباس قاسمی",
    "contact_phone": "۰۹۱۲ ۳۴۵ ۶۷۸۹",
    "about": "خرید هفتگی برای سالمندان تنها.",
}


@pytest.fixture
def district(people, places):
    """District 1's assembly, coordinated by the social worker of `people`."""
    made = assemblies.create("district", places["District 1"], None, "مجمع خیرین منطقه 1", people["admin"])
    assemblies.set_coordinator(made, people["social_worker"], people["admin"])
    return made


def apply(client, **fields):
    return submit(client, "/orgs/apply", "/orgs/apply", GOOD | fields)


def test_a_guest_is_asked_to_sign_in_and_keeps_what_they_typed(client, places):
    html = check_page(client.get("/orgs/apply"))
    assert "/account/sign-in?next=" in html and "/account/sign-up" in html
    response = apply(client, area=str(places["District 1"].id))
    assert response.status_code == 302 and "/account/sign-in" in response.location
    kept = parse_qs(urlsplit(parse_qs(urlsplit(response.location).query)["next"][0]).query)
    assert kept["name"] == [GOOD["name"]] and kept["area"] == [str(places["District 1"].id)]
    # The contact's name and number stay out of addresses (and so out of logs).
    assert "contact_phone" not in kept and "contact_name" not in kept
    assert not models.OrganizationApplication.select().exists()


def test_bad_input_is_named_beside_each_field_and_kept(client, people, places):
    sign_in(client, people["resident"].phone)
    # Signed in from the guest's page: what they typed comes back.
    html = check_page(client.get("/orgs/apply", query_string={"name": "خیریه ي", "area": places["District 1"].id}))
    assert 'value="خیریه ی"' in html and f'value="{places["District 1"].id}" selected' in html
    assert f'value="{people["resident"].phone}"' in html  # their own number, to change if need be
    bad = {"name": "ا", "kind": "charity", "area": str(places["Tajrish"].id), "contact_name": "", "contact_phone": "12"}
    html = check_page(apply(client, **bad), 422)
    for name in ("name", "registration_number", "registration_body", "area", "contact_name", "contact_phone"):
        assert f'id="f-{name}-error"' in html, name
    assert "خرید هفتگی برای سالمندان تنها." in html and 'value="12"' in html
    html = check_page(
        apply(client, kind="charity", registration_number="۱۲ الف", area=str(places["District 1"].id)), 422
    )
    assert "شمارهٔ ثبت را با رقم بنویسید" in html
    assert not models.OrganizationApplication.select().exists()


def test_duplicate_names_get_a_persian_message(client, people, places):
    models.Organization.create(name="خیریهٔ امام رضا", kind="charity", county=places["District 1"].parent)
    sign_in(client, people["resident"].phone)
    area = str(places["District 1"].id)
    html = check_page(apply(client, name="خیریهٔ امام رضا", area=area), 422)
    assert "سازمانی با این نام از پیش صفحه دارد." in html
    assert apply(client, area=area).status_code == 302
    sign_in(client, people["volunteer"].phone)
    html = check_page(apply(client, area=area), 422)
    assert "درخواستی برای سازمانی با همین نام در انتظار پاسخ است." in html


def test_a_double_submit_sends_one_application(client, people, places):
    sign_in(client, people["resident"].phone)
    page = check_page(client.get("/orgs/apply"))
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    key = page.split('name="form_key" value="')[1].split('"')[0]
    data = GOOD | {"area": str(places["District 1"].id), "csrf_token": token, "form_key": key}
    assert [client.post("/orgs/apply", data=data).status_code for _ in range(2)] == [302, 302]
    assert models.OrganizationApplication.select().count() == 1


def test_the_coordinator_approves_and_the_page_opens_with_the_applicant_as_manager(client, people, places, district):
    applicant = people["resident"]
    sign_in(client, applicant.phone)
    assert apply(client, area=str(places["District 1"].id)).status_code == 302
    html = check_page(client.get("/orgs/apply"))
    assert GOOD["name"] in html and "در انتظار پاسخ." in html
    item = models.OrganizationApplication.get()
    assert item.contact_phone == "09123456789" and item.registration_number == ""

    sign_in(client, people["social_worker"].phone)  # District 1's coordinator
    html = check_page(client.get("/orgs/applications"))
    assert GOOD["name"] in html
    page = f"/orgs/applications/{item.id}"
    assert "09123456789".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in check_page(client.get(page))
    response = submit(client, page, f"{page}/approve", {})
    assert response.status_code == 302
    organization = models.Organization.get(models.Organization.name == GOOD["name"])
    assert response.location.endswith(f"/orgs/{organization.id}")
    assert organization.kind == "jihadi" and organization.county_id == places["District 1"].parent_id
    manager = models.OrganizationMember.get(models.OrganizationMember.organization == organization)
    assert (manager.user_id, manager.role, manager.is_active) == (applicant.id, "manager", True)
    assert [a.area_id for a in organization.areas] == [places["District 1"].id]
    # Approved again: still one page.
    assert submit(client, page, f"{page}/approve", {}).status_code == 302
    assert models.Organization.select().where(models.Organization.name == GOOD["name"]).count() == 1
    assert organizations.approve(item, people["admin"]).id == organization.id

    # The applicant hears it, and keeps the page.
    sign_in(client, applicant.phone)
    html = check_page(client.get("/inbox/"))
    assert "درخواست شما را پذیرفت" in html and "/orgs/apply" in html
    assert f"/orgs/{organization.id}" in check_page(client.get("/orgs/apply"))
    assert client.get(f"/orgs/{organization.id}/edit").status_code == 200
    # The directory, kept by each process, lists it.
    assert GOOD["name"] in check_page(client.get("/orgs/"))


def test_the_directory_shows_an_approved_page_at_once(client, people, places, district):
    sign_in(client, people["resident"].phone)
    assert GOOD["name"] not in check_page(client.get("/orgs/"))  # kept by this process now
    apply(client, area=str(places["District 1"].id))
    organizations.approve(models.OrganizationApplication.get(), people["admin"])
    assert GOOD["name"] in check_page(client.get("/orgs/"))


def test_a_decline_comes_with_its_reason(client, people, places, district):
    sign_in(client, people["resident"].phone)
    apply(client, area=str(places["District 1"].id))
    item = models.OrganizationApplication.get()
    sign_in(client, people["admin"].phone)
    page = f"/orgs/applications/{item.id}"
    html = check_page(submit(client, page, f"{page}/decline", {"reason": "کو"}), 422)
    assert 'id="f-reason-error"' in html and ">کو</textarea>" in html
    reason = "شمارهٔ ثبت گروه را بفرستید تا دوباره بررسی کنیم."
    assert submit(client, page, f"{page}/decline", {"reason": reason}).status_code == 302
    assert submit(client, page, f"{page}/approve", {}).status_code == 302  # already answered: nothing opens
    assert not models.Organization.select().exists()
    sign_in(client, people["resident"].phone)
    assert "درخواست شما برای باز کردن صفحهٔ سازمان را رد کرد" in check_page(client.get("/inbox/"))
    assert reason in check_page(client.get("/orgs/apply"))


def test_only_headquarters_and_the_areas_coordinator_answer(client, people, places, district):
    """The coordinator of District 1 cannot answer an application of District
    12, and a member cannot answer their own."""
    sign_in(client, people["resident"].phone)
    apply(client, area=str(places["District 12"].id))
    item = models.OrganizationApplication.get()
    page = f"/orgs/applications/{item.id}"
    assert submit(client, "/orgs/apply", f"{page}/approve", {}).status_code == 403
    sign_in(client, people["social_worker"].phone)
    assert GOOD["name"] not in check_page(client.get("/orgs/applications"))
    assert submit(client, "/orgs/applications", f"{page}/approve", {}).status_code == 404
    assert submit(client, "/orgs/applications", f"{page}/decline", {"reason": "دلیلی ندارد"}).status_code == 404
    assert models.OrganizationApplication.get_by_id(item.id).status == "pending"


def test_a_name_taken_meanwhile_is_refused_at_approval(client, people, places, district):
    sign_in(client, people["resident"].phone)
    apply(client, area=str(places["District 1"].id))
    item = models.OrganizationApplication.get()
    models.Organization.create(name=GOOD["name"], kind="charity", county=places["District 1"].parent)
    sign_in(client, people["admin"].phone)
    page = f"/orgs/applications/{item.id}"
    html = check_page(submit(client, page, f"{page}/approve", {}), 422)
    assert "سازمانی با این نام از پیش صفحه دارد. درخواست را رد کنید" in html
    assert models.OrganizationApplication.get_by_id(item.id).status == "pending"


def test_two_reviewers_approving_at_once_open_one_page(app, people, places, district):
    applicant = people["resident"]
    item = organizations.apply(
        applicant,
        "race",
        name="گروه همزمان",
        kind="community",
        area=places["District 1"],
        contact_name="x",
        contact_phone=applicant.phone,
    )
    found, barrier = [], threading.Barrier(2)

    def approve(reviewer):
        with models.connection():
            barrier.wait()
            found.append(organizations.approve(item, reviewer).id)

    threads = [threading.Thread(target=approve, args=(people[r],)) for r in ("admin", "social_worker")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and models.Organization.select().count() == 1
    assert models.Notification.select().where(models.Notification.kind == "org_approved").count() == 1
