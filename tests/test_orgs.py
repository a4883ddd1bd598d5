"""Organizations' portals and the county's assembly: pages, members, join
requests, shared posts and the combined capacity."""

import re

import pytest

import models
from hamsayeh.domain import access, accounts, assemblies, demo, organizations, registry
from hamsayeh.domain.demo import national_code
from tests.conftest import PIN, REGISTRY_KEY, sign_in, submit
from tests.pages import check_page

DAMAVAND = {
    "name": "دماوند",
    "name_en": "Damavand",
    "kind": "county",
    "children": [
        {
            "name": "دماوند",
            "name_en": "Damavand",
            "kind": "city",
            "children": [{"name": "گیلاوند", "name_en": "Gilavand", "kind": "neighborhood"}],
        },
        {"name": "رودهن", "name_en": "Rudehen", "kind": "city"},
    ],
}


@pytest.fixture
def county(places):
    province = places["Tajrish"].ancestors()[0]
    demo.add_area(province, DAMAVAND)
    return models.Area.get(models.Area.kind == "county")


def open_page(client, county, manager, name="خیریهٔ امام رضا", assembly="1"):
    data = {"name": name, "kind": "charity", "county": str(county.id), "manager": manager.phone, "assembly": assembly}
    response = submit(client, "/orgs/new", "/orgs/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return models.Organization.get(models.Organization.name == name)


def accept_invitation(client, org, accept="1"):
    """The signed-in member answers their invitation to `org` on their invitations page."""
    check_page(client.get("/orgs/invitations"))
    data = {"org": str(org.id), "accept": accept}
    assert submit(client, "/orgs/invitations", "/orgs/invitations", data).status_code == 302


def test_headquarters_opens_a_page_and_its_manager_fills_it_in(client, people, county):
    manager = people["resident"]
    sign_in(client, people["admin"].phone)
    html = check_page(submit(client, "/orgs/new", "/orgs/new", {"name": "", "kind": "x", "manager": "0912"}), 422)
    for name in ("name", "kind", "county", "manager"):
        assert f'id="f-{name}-error"' in html
    org = open_page(client, county, manager)
    assert assemblies.assemblies_of(org).get().area_id == county.id
    # The membership opens the registry; no site-wide role is given (issue 14, finding 8).
    assert models.User.get_by_id(manager.id).roles() == {"resident"}
    assert access.may_use_registry(manager, frozenset(manager.roles()))
    assert 'id="f-name-error"' in check_page(
        submit(client, "/orgs/new", "/orgs/new", {"name": org.name, "kind": "charity", "county": str(county.id)}), 422
    )

    sign_in(client, manager.phone)
    edit = f"/orgs/{org.id}/edit"
    check_page(client.get(edit))
    rudehen = models.Area.get(models.Area.name == "رودهن")
    food = models.ActivityType.get(models.ActivityType.slug == "food")
    outside = people["resident"].neighborhood_id  # Tajrish is not in the county
    data = {"about": "سبد غذایی برای خانواده‌های نیازمند از ۱۳۸۵", "contact": "دفتر: خیابان امام، پلاک ۱۲", "wanted": ""}
    html = check_page(submit(client, edit, edit, data | {"area": str(outside)}), 422)
    assert 'id="f-area-error"' in html and "سبد غذایی" in html
    data |= {"area": str(rudehen.id), "activity": str(food.id), "wanted": "بسته‌بندی سبدها، پنجشنبه‌ها"}
    assert submit(client, edit, edit, data).status_code == 302

    submit(client, "/", "/account/sign-out", {})
    html = check_page(client.get(f"/orgs/{org.id}"))
    joined = assemblies.assemblies_of(org).get().name
    for text in ("سبد غذایی", "رودهن", "غذا", "دفتر: خیابان امام", "پنجشنبه‌ها", joined):
        assert text in html, text
    assert manager.phone not in html
    html = check_page(client.get("/orgs/", query_string={"county": county.id, "kind": "charity"}))
    assert org.name in html
    assert org.name not in check_page(client.get("/orgs/", query_string={"kind": "business"}))


def test_volunteers_ask_to_join_and_a_manager_accepts_or_adds_staff(client, people, county):
    manager = people["resident"]
    sign_in(client, people["admin"].phone)
    org = open_page(client, county, manager)
    volunteer = people["volunteer"]
    sign_in(client, volunteer.phone)
    page = f"/orgs/{org.id}"
    assert submit(client, page, f"{page}/join", {}).status_code == 302
    assert submit(client, page, f"{page}/join", {}).status_code == 302
    assert "منتظر" in check_page(client.get(page))
    # Not a manager: no editing, no members page.
    for path in (f"{page}/edit", f"{page}/members"):
        assert client.get(path).status_code == 403
    assert submit(client, page, f"{page}/edit", {"about": "x"}).status_code == 403

    sign_in(client, manager.phone)
    members = f"{page}/members"
    html = check_page(client.get(members))
    assert volunteer.name in html and "درخواست عضویت" in html
    assert submit(client, members, members, {"member": str(volunteer.id), "role": "volunteer"}).status_code == 302
    member = models.OrganizationMember.get(models.OrganizationMember.user == volunteer)
    assert member.is_active and member.role == "volunteer"
    assert models.OrganizationMember.select().where(models.OrganizationMember.user == volunteer).count() == 1
    # A volunteer of a member organization does not reach the registry; staff do.
    sign_in(client, volunteer.phone)
    assert client.get("/registry/").status_code == 403
    staff = accounts.create_user("09123330000", "کارمند تازه", PIN)
    sign_in(client, manager.phone)
    html = check_page(submit(client, members, members, {"phone": "0912", "role": "staff"}), 422)
    assert 'id="f-phone-error"' in html
    assert submit(client, members, members, {"phone": "۰۹۱۲۳۳۳۰۰۰۰", "role": "staff"}).status_code == 302
    sign_in(client, staff.phone)
    accept_invitation(client, org)
    check_page(client.get("/registry/"))
    assert "/registry/" in check_page(client.get("/"))
    sign_in(client, manager.phone)
    data = {"member": str(staff.id), "role": "staff", "remove": "1"}
    assert submit(client, members, members, data).status_code == 302
    sign_in(client, staff.phone)
    assert client.get("/registry/").status_code == 403


def test_the_assembly_shares_posts_and_combines_its_capacity(client, people, county):
    sign_in(client, people["admin"].phone)
    first = open_page(client, county, people["resident"])
    second = open_page(client, county, people["charity_staff"], name="جمعیت هلال محله")
    outsider = open_page(client, county, people["volunteer"], name="گروه جهادی کوه", assembly="")
    assembly = assemblies.assemblies_of(first).get()
    page = f"/orgs/assemblies/{assembly.id}"
    assert list(assemblies.assemblies_of(second)) == [assembly] and not assemblies.assemblies_of(outsider).exists()

    sign_in(client, people["resident"].phone)
    check_page(client.get(page))
    rudehen = models.Area.get(models.Area.name == "رودهن")
    capacity = f"{page}/capacity"
    for data in (
        {"category": "food_packages", "quantity": "۱۰", "period": "week", "area": str(rudehen.id)},
        {"category": "tutoring_hours", "quantity": "40", "period": "month", "area": ""},
    ):
        assert submit(client, page, capacity, data).status_code == 302
    html = check_page(submit(client, page, capacity, {"category": "x", "quantity": "بسیار", "period": "day"}), 422)
    for name in ("category", "quantity", "period"):
        assert f'id="f-{name}-error"' in html
    post = {"kind": "lesson", "title": "توزیع شبانه بهتر بود", "body": "آبروی خانواده‌ها بیشتر حفظ شد", "form_key": "k1"}
    assert submit(client, page, f"{page}/posts", post).status_code == 302
    assert submit(client, page, f"{page}/posts", post).status_code == 302

    sign_in(client, people["charity_staff"].phone)
    data = {"category": "food_packages", "quantity": "20", "period": "month", "area": str(rudehen.id)}
    assert submit(client, page, capacity, data).status_code == 302
    combined = organizations.assembly_capacity(assembly)
    assert combined[("food_packages", rudehen.id)] == round(10 * 52 / 12 + 20)
    html = check_page(client.get(page))
    assert "توزیع شبانه بهتر بود" in html and html.count("توزیع شبانه بهتر بود") == 1
    assert "۶۳" in html and "<svg" in html
    # Zero removes what was stated.
    assert submit(client, page, capacity, data | {"quantity": "0"}).status_code == 302
    assert organizations.assembly_capacity(assembly)[("food_packages", rudehen.id)] == round(10 * 52 / 12)

    # Someone outside the assembly's members cannot read the posts, post or state capacity.
    sign_in(client, people["volunteer"].phone)
    html = check_page(client.get(page))
    assert "توزیع شبانه بهتر بود" not in html
    assert submit(client, page, f"{page}/posts", post | {"form_key": "k2"}).status_code == 403
    assert submit(client, page, capacity, data).status_code == 403


def test_an_organizations_staff_add_programs_that_neighbors_sign_up_for(client, people, county):
    import jdatetime

    sign_in(client, people["admin"].phone)
    org = open_page(client, county, people["resident"])
    page = f"/orgs/{org.id}/programs/new"
    for role in ("volunteer", "center_staff"):
        sign_in(client, people[role].phone)
        assert client.get(page).status_code == 403
    sign_in(client, people["resident"].phone)
    check_page(client.get(page))
    day = (jdatetime.date.today() + jdatetime.timedelta(days=3)).strftime("%Y/%m/%d")
    data = {"title": "توزیع سبد غذایی زمستانه", "activity_type": "food", "date": day, "time": "10:00", "capacity": "50"}
    response = submit(client, page, page, data)
    assert response.status_code == 302
    program = models.Program.get()
    assert program.organization_id == org.id and program.center_id is None
    html = check_page(client.get(f"/orgs/{org.id}"))
    assert "توزیع سبد غذایی زمستانه" in html
    html = check_page(client.get(response.location))
    assert org.name in html and "لغو برنامه" in html  # its staff may cancel it
    sign_in(client, people["volunteer"].phone)
    item = f"/centers/programs/{program.id}"
    assert submit(client, item, f"{item}/signup", {}).status_code == 302
    assert "لغو برنامه" not in check_page(client.get(item))
    assert submit(client, item, f"{item}/cancel", {"reason": "بی‌دلیل"}).status_code == 403
    flyer = client.get(f"{item}/flyer.pdf")
    assert flyer.status_code == 200 and flyer.mimetype == "application/pdf"


def test_a_managers_staff_get_no_site_wide_role_and_lose_the_access_on_leaving(client, app, people, county, places):
    """Issue 14, finding 8: a manager adds a resident as staff. The membership
    opens its own organization's records only and gives no site-wide role;
    removing the member closes the registry at once, and the help desk can
    reset their PIN again."""
    manager, other_staff = people["resident"], people["charity_staff"]
    sign_in(client, people["admin"].phone)
    mine = open_page(client, county, manager)
    theirs = open_page(client, county, other_staff, name="جمعیت هلال محله")
    theirs_record, _created = registry.record_beneficiary(
        theirs, other_staff, REGISTRY_KEY, "national", national_code("007812345"), name="خانوادهٔ رحیمی"
    )
    newcomer = accounts.create_user("09123330000", "کارمند تازه", PIN, neighborhood=places["Tajrish"])
    sign_in(client, manager.phone)
    members = f"/orgs/{mine.id}/members"
    assert submit(client, members, members, {"phone": newcomer.phone, "role": "staff"}).status_code == 302
    # A manager cannot give a site-wide role by other means either.
    data = {"role": ["resident", "charity_staff"]}
    assert submit(client, members, f"/admin/people/{newcomer.id}/roles", data).status_code == 403

    assert models.User.get_by_id(newcomer.id).roles() == {"resident"}
    desk = app.test_client()
    sign_in(desk, newcomer.phone)
    accept_invitation(desk, mine)
    check_page(desk.get("/registry/"))
    check_page(desk.get(f"/orgs/{mine.id}/programs/new"))
    assert desk.get(f"/registry/records/{theirs_record.id}").status_code == 404
    for path in (f"/orgs/{theirs.id}/edit", f"/orgs/{theirs.id}/members", f"/orgs/{theirs.id}/programs/new"):
        assert desk.get(path).status_code == 403, path
    for path in (f"/orgs/{mine.id}/edit", "/admin/people/", "/desk/", "/hq/"):
        assert desk.get(path).status_code == 403, path

    # While they are staff, no desk may give them a new PIN: it would borrow the registry.
    facilitator = app.test_client()
    sign_in(facilitator, people["facilitator"].phone)
    assert submit(facilitator, "/desk/", f"/desk/{newcomer.id}/pin", {}).status_code in (403, 404)
    assert models.User.get_by_id(newcomer.id).pin_hash == newcomer.pin_hash

    data = {"member": str(newcomer.id), "role": "staff", "remove": "1"}
    assert submit(client, members, members, data).status_code == 302
    # The same session, without signing in again: the access is gone at once.
    assert desk.get("/registry/").status_code == 403
    assert desk.get(f"/orgs/{mine.id}/programs/new").status_code == 403
    assert "/registry/" not in check_page(desk.get("/"))

    # The neighborhood's facilitator can give the former staff member a new PIN.
    sign_in(client, people["facilitator"].phone)
    html = check_page(submit(client, "/desk/", f"/desk/{newcomer.id}/pin", {}))
    assert re.search(r'<p class="big" dir="ltr">[۰-۹]{4}</p>', html)


def status_notes(html):
    return re.findall(r'<p class="note" role="status">([^<]*)</p>', html)


def test_a_managers_invitation_says_nothing_of_the_number_and_opens_nothing_until_accepted(
    client, app, people, county, places
):
    """Issue 14, findings 4 and 8: adding a member by number names nobody and
    tells nothing of whether the number has an account; the person is asked in
    their inbox, and only an accepted membership opens anything."""
    manager = people["charity_staff"]
    sign_in(client, people["admin"].phone)
    org = open_page(client, county, manager)
    invitee = accounts.create_user("09123330001", "خانم دعوت‌شده", PIN, neighborhood=places["Tajrish"])
    away = accounts.create_user("09123330002", "عضو غیرفعال", PIN)
    models.User.update(is_active=False).where(models.User.id == away.id).execute()
    sign_in(client, manager.phone)
    members = f"/orgs/{org.id}/members"

    answers = []
    for phone in (invitee.phone, "09129999999", away.phone, manager.phone):
        response = submit(client, members, members, {"phone": phone, "role": "staff"})
        assert response.status_code == 302 and response.location == members
        html = check_page(client.get(members))
        assert invitee.name not in html and away.name not in html
        answers.append(status_notes(html))
    assert answers[0] == answers[1] == answers[2] == answers[3] and len(answers[0]) == 1
    # Only the active account that is not yet a member is asked; nothing is
    # kept for the other numbers, and the manager stays a manager.
    waiting = models.OrganizationMember.get(models.OrganizationMember.user == invitee)
    assert (waiting.is_active, waiting.invited, waiting.role) == (False, True, "staff")
    assert models.OrganizationMember.select().where(models.OrganizationMember.organization == org).count() == 2
    assert access.manages(manager, frozenset(manager.roles()), org)
    # The manager cannot accept it for them, nor remove it by number.
    for data in ({"member": str(invitee.id), "role": "staff"}, {"member": str(away.id), "role": "staff"}):
        assert submit(client, members, members, data).status_code == 404
    assert submit(client, members, members, {"phone": invitee.phone, "role": "staff", "remove": "1"}).status_code == 400
    assert models.OrganizationMember.get_by_id(waiting.id).invited

    # Invited, not yet a member: no registry, no organization pages, still a
    # resident whom a helper may act for and a desk may serve.
    person = app.test_client()
    sign_in(person, invitee.phone)
    assert not access.sees_others_data(invitee)
    assert access.registry_organizations(invitee, frozenset(invitee.roles())) == []
    assert person.get("/registry/").status_code == 403
    assert person.get(f"/orgs/{org.id}/programs/new").status_code == 403
    assert person.get(members).status_code == 403
    # Their inbox says who asked, and leads to the answer.
    inbox_html = check_page(person.get("/inbox/"))
    assert manager.name in inbox_html and "/orgs/invitations" in inbox_html
    page = check_page(person.get(f"/orgs/{org.id}"))
    assert "/orgs/invitations" in page and 'name="accept"' in page
    # Someone else cannot answer it.
    other = app.test_client()
    sign_in(other, people["volunteer"].phone)
    assert (
        submit(other, "/orgs/invitations", "/orgs/invitations", {"org": str(org.id), "accept": "1"}).status_code == 404
    )
    assert not models.OrganizationMember.get_by_id(waiting.id).is_active

    # Accepted on the organization's page: now they are staff, and listed by name.
    response = submit(
        person, f"/orgs/{org.id}", "/orgs/invitations", {"org": str(org.id), "accept": "1", "next": "org"}
    )
    assert response.status_code == 302 and response.location == f"/orgs/{org.id}"
    assert access.sees_others_data(invitee)
    check_page(person.get("/registry/"))
    check_page(person.get(f"/orgs/{org.id}/programs/new"))
    assert invitee.name in check_page(client.get(members))
    # Inviting a member again changes nothing and sends no second notice.
    assert submit(client, members, members, {"phone": invitee.phone, "role": "volunteer"}).status_code == 302
    assert models.OrganizationMember.get_by_id(waiting.id).role == "staff"
    notices = models.Notification.select().where(
        models.Notification.user == invitee, models.Notification.kind == "org_invited"
    )
    assert notices.count() == 1


def test_a_declined_invitation_leaves_nothing_and_invitations_are_limited(client, people, county, places, monkeypatch):
    manager = people["charity_staff"]
    sign_in(client, people["admin"].phone)
    org = open_page(client, county, manager)
    invitee = accounts.create_user("09123330003", "آقای مردد", PIN, neighborhood=places["Tajrish"])
    sign_in(client, manager.phone)
    members = f"/orgs/{org.id}/members"
    assert submit(client, members, members, {"phone": invitee.phone, "role": "manager"}).status_code == 302

    sign_in(client, invitee.phone)
    assert lists_the_invitation(check_page(client.get("/orgs/invitations")), org.name)
    accept_invitation(client, org, accept="0")
    assert not models.OrganizationMember.select().where(models.OrganizationMember.user == invitee).exists()
    assert not access.manages(invitee, frozenset(invitee.roles()), org)
    assert client.get(f"/orgs/{org.id}/edit").status_code == 403
    assert org.name not in check_page(client.get("/orgs/invitations"))
    # The answer is given once: a second one finds nothing to answer.
    data = {"org": str(org.id), "accept": "1"}
    assert submit(client, "/orgs/invitations", "/orgs/invitations", data).status_code == 404
    actions = [entry.action for entry in models.AuditEntry.select().where(models.AuditEntry.actor == invitee)]
    assert "organization.invitation_declined" in actions

    # Each invitation may put a line in someone's inbox: a manager sends a
    # bounded number a day, counted alike for every number.
    monkeypatch.setattr(organizations, "INVITATIONS_A_DAY", 3)
    sign_in(client, manager.phone)
    for phone in ("09129999990", "09129999991"):
        assert submit(client, members, members, {"phone": phone, "role": "volunteer"}).status_code == 302
    html = check_page(submit(client, members, members, {"phone": invitee.phone, "role": "volunteer"}), 422)
    assert 'id="f-phone-error"' in html and "۳" in html
    assert not models.OrganizationMember.select().where(models.OrganizationMember.user == invitee).exists()


def lists_the_invitation(html, org_name):
    """The invitations page names the organization and the offered role."""
    return org_name in html and 'name="accept"' in html
