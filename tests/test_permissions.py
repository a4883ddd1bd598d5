"""The permission table: one source of truth of who reaches what (issue 14).

Each row is a page that holds someone's data, with the status every role
must get: the test expands the table into requests, one per role, from a
client signed in as that role (or a guest). A rule changed in code without
changing this table fails here, and so does a page a role reaches by
changing an id in the address (ASVS V8.2.2)."""

import datetime

import pytest

import models
from hamsayeh.domain import (
    accounts,
    assemblies,
    campaigns,
    casework,
    demo,
    distributions,
    funds,
    network,
    organizations,
    registry,
    timebank,
)
from tests.conftest import REGISTRY_KEY, sign_in
from tests.factories import activity, make_post, welfare_case

ROLES = ("guest", "resident", "volunteer", "facilitator", "center_staff", "charity_staff", "social_worker", "admin")
SIGN_IN = 302  # a guest is sent to sign in first

COUNTY = {"name": "دماوند", "name_en": "Damavand", "kind": "county", "children": []}


@pytest.fixture
def objects(people, places):
    """A center where center_staff works; a resident's need; a private story of
    Tajrish; an organization managed by charity_staff in its county's assembly,
    with a person in the registry; the resident's time account; and a second
    resident, looked after by nobody on staff."""
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    post = make_post(people["resident"], places["Tajrish"])
    story = network.record_story(
        people["facilitator"],
        "permissions-story",
        [activity("errands")],
        neighborhood=places["Tajrish"],
        kind="need",
        title="سالمندان تنها",
        narrative="چند سالمند تنها در کوچهٔ یاس خرید ندارند.",
        is_public=False,
    )
    demo.add_area(places["Tajrish"].ancestors()[0], COUNTY)
    county = models.Area.get(models.Area.kind == "county")
    opened = organizations.open_organization(
        "خیریهٔ امام رضا", "charity", county, people["charity_staff"], people["admin"], in_assembly=True
    )
    organization = models.Organization.get_by_id(opened.id)  # with the assembly it joined
    record, _created = registry.record_beneficiary(
        organization, people["charity_staff"], REGISTRY_KEY, "national", "0012345679", name="خانوادهٔ رحیمی"
    )
    account = timebank.member_account(people["resident"])
    program = models.Program.create(
        center=center,
        title="حلقهٔ کتاب‌خوانی",
        activity_type=activity("children"),
        starts_at=models.utcnow() + datetime.timedelta(days=2),
        capacity=10,
        created_by=people["center_staff"],
        form_key="permissions-program",
    )
    district = assemblies.create("district", places["District 1"], None, "مجمع خیرین منطقه ۱", people["admin"])
    assemblies.set_coordinator(district, people["social_worker"], people["admin"])
    applications = [
        organizations.apply(
            people["resident"],
            f"permissions-application-{place}",
            name=f"گروه مردمی {place}",
            kind="community",
            area=places[place],
            contact_name="کاربر",
            contact_phone=people["resident"].phone,
        )
        for place in ("District 1", "District 12")
    ]
    # District 1's welfare office: the social worker carries the resident's own request,
    # one of whose services is referred to the charity that charity_staff manages.
    office = casework.open_office(places["District 1"], people["admin"])
    casework.set_staff(office, people["social_worker"], "social_worker", people["admin"])
    case = welfare_case(
        office, people["social_worker"], social_worker=people["social_worker"], applicant=people["resident"]
    )
    casework.assess(case, people["social_worker"], 1, housing="rented", coverage="none", decision="eligible")
    referral = casework.plan_service(
        case, people["social_worker"], "permissions-referral", "food", partner=organization
    )
    # A distribution the office runs (issue 16): a round and a point with no volunteer yet.
    today = datetime.date.today()
    campaign = campaigns.create(
        people["social_worker"],
        "permissions-campaign",
        ("office", office),
        "بن کارت شهروند",
        "",
        "distribution",
        [places["District 1"].id],
        today,
        today + datetime.timedelta(days=30),
        "households",
        100,
    )
    distribution_round = distributions.add_round(
        campaign, people["social_worker"], "permissions-round", "نوبت اول", "بن"
    )
    point = distributions.add_point(
        campaign, people["social_worker"], "permissions-point", "مسجد محله", places["Tajrish"]
    )
    # A local development fund whose trustees are the resident, the volunteer and the facilitator.
    trustees = [people["resident"], people["volunteer"], people["facilitator"]]
    fund = funds.open_fund("صندوق تجریش", [places["Tajrish"]], trustees, people["admin"], "permissions-fund")
    return {
        "fund": fund.id,
        "campaign": campaign.id,
        "round": distribution_round.id,
        "point": point.id,
        "case": case.id,
        "referral": referral.id,
        "assembly": district.id,
        "application": applications[0].id,
        "other_application": applications[1].id,
        "center": center.id,
        "post": post.id,
        "story": story.id,
        "org": organization.id,
        "record": record.id,
        "account": account.id,
        "resident": people["resident"].id,
        "facilitator": people["facilitator"].id,
        "program": program.id,
        "district": places["District 1"].id,
        "tajrish": places["Tajrish"].id,
    }


def expect(default, **by_role):
    """The status of each role: `default` for those not named."""
    return {role: by_role.get(role, default) for role in ROLES}


# (page, the status each role gets). "{x}" is the id of the fixture's object x.
TABLE = [
    # Anyone's own pages.
    ("/account/", expect(200, guest=SIGN_IN)),
    ("/inbox/", expect(200, guest=SIGN_IN)),
    ("/account/sessions", expect(200, guest=SIGN_IN)),
    ("/orgs/invitations", expect(200, guest=SIGN_IN)),
    # A post is public; its place and contact are not (checked in test_board).
    ("/board/posts/{post}", expect(200)),
    # Headquarters alone.
    ("/hq/", expect(403, guest=SIGN_IN, admin=200)),
    ("/admin/people/", expect(403, guest=SIGN_IN, admin=200)),
    ("/admin/people/{resident}", expect(403, guest=SIGN_IN, admin=200)),
    # A center's staff pages: its own staff and headquarters.
    ("/centers/{center}/cards", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    ("/centers/{center}/needs.pdf", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    ("/kiosk/centers/{center}", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    ("/centers/{center}/week.pdf", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    # A program's attendance sheet holds names: its keepers only, as its list of sign-ups.
    ("/centers/programs/{program}/attendance.pdf", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    # A member's certificates of hours: the member, and the staff of their center (not headquarters).
    ("/certificates/people/{resident}", expect(403, guest=SIGN_IN, resident=200, center_staff=200)),
    # Facilitators are managed by headquarters and center staff.
    ("/facilitators/{facilitator}", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    # The help desk: those who look after neighbors.
    ("/desk/", expect(403, guest=SIGN_IN, facilitator=200, center_staff=200)),
    # A private story: the neighborhood's facilitator, headquarters and the
    # staff of the center of its area; nobody else learns it exists.
    ("/stories/{story}", expect(404, facilitator=200, center_staff=200, admin=200)),
    # A member's time account: center staff who serve them, and headquarters.
    ("/time/accounts/{account}", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    # A fund's desk (contributors' names, waiting ballots): its trustees only, never staff for being staff.
    ("/funds/{fund}/desk", expect(403, guest=SIGN_IN, resident=200, volunteer=200, facilitator=200)),
    ("/funds/new", expect(403, guest=SIGN_IN, facilitator=200, admin=200)),
    # The registry: staff of an assembly member only, never by a site-wide role.
    ("/registry/", expect(403, guest=SIGN_IN, charity_staff=200)),
    ("/registry/records/{record}", expect(403, guest=SIGN_IN, charity_staff=200)),
    # An organization's own pages: its managers and headquarters.
    ("/orgs/{org}/edit", expect(403, guest=SIGN_IN, charity_staff=200, admin=200)),
    ("/orgs/{org}/members", expect(403, guest=SIGN_IN, charity_staff=200, admin=200)),
    # Assemblies are kept by headquarters alone.
    ("/hq/assemblies/", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/assemblies/{assembly}", expect(403, guest=SIGN_IN, admin=200)),
    # Organizations' applications (with their contact's number): headquarters, and the
    # coordinator of the assembly of the applicant's area (social_worker, of District 1's), no other.
    ("/orgs/apply", expect(200)),
    ("/orgs/applications", expect(403, guest=SIGN_IN, social_worker=200, admin=200)),
    ("/orgs/applications/{application}", expect(403, guest=SIGN_IN, social_worker=200, admin=200)),
    ("/orgs/applications/{other_application}", expect(403, guest=SIGN_IN, social_worker=404, admin=200)),
    # The area tree and the centers network: headquarters (a subtree's manager is tried in
    # test_network_admin); a center's details also its own staff.
    ("/hq/areas/", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/areas/{district}", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/areas/{district}/history", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/areas/{district}/merge", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/centers/", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/centers/unserved", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/centers/{center}/served", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/centers/{center}/edit", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    # The welfare desk: the district office's staff; a center's staff registers requests of
    # its district; the person their own request; the partner its referral; never headquarters.
    ("/cases/", expect(403, guest=SIGN_IN, social_worker=200)),
    ("/cases/new", expect(403, guest=SIGN_IN, center_staff=200, social_worker=200)),
    # A need carried into intake: those who register at its district's office; never its author.
    ("/cases/new?post={post}", expect(403, guest=SIGN_IN, center_staff=200, social_worker=200)),
    ("/cases/{case}", expect(403, guest=SIGN_IN, social_worker=200)),
    ("/cases/{case}/assessment", expect(403, guest=SIGN_IN, social_worker=200)),
    ("/cases/mine/{case}", expect(404, guest=SIGN_IN, resident=200)),
    ("/cases/{case}/copy.pdf", expect(404, guest=SIGN_IN, resident=200, social_worker=200)),
    ("/cases/referrals/{referral}", expect(403, guest=SIGN_IN, charity_staff=200)),
    ("/cases/services/{referral}/letter.pdf", expect(404, guest=SIGN_IN, charity_staff=200, social_worker=200)),
    ("/cases/offices", expect(403, guest=SIGN_IN, admin=200)),
    ("/cases/reports", expect(403, guest=SIGN_IN, admin=200)),
    # Headquarters' imports: administrators alone.
    ("/hq/imports/", expect(403, guest=SIGN_IN, admin=200)),
    ("/hq/imports/volunteers", expect(403, guest=SIGN_IN, admin=200)),
    # Registering a neighbor in person: the center's own staff, not headquarters.
    ("/desk/centers/{center}/register", expect(403, guest=SIGN_IN, center_staff=200)),
    ("/desk/without-phone", expect(403, guest=SIGN_IN, center_staff=200)),
    # The services directory: a neighborhood's list its facilitators, its center's staff
    # and headquarters; a district's and the national list headquarters alone.
    ("/directory/", expect(403, guest=SIGN_IN, facilitator=200, center_staff=200, admin=200)),
    ("/directory/areas/{tajrish}/new", expect(403, guest=SIGN_IN, facilitator=200, center_staff=200, admin=200)),
    ("/directory/areas/{district}", expect(403, guest=SIGN_IN, admin=200)),
    ("/directory/national/import", expect(403, guest=SIGN_IN, admin=200)),
    # Campaigns (issue 16): a campaign's page is public; a distribution's back office (names
    # of households) its organizer's staff (here the office's social worker) and headquarters;
    # a point's page also the point's own volunteers (tried in test_campaigns).
    ("/campaigns/{campaign}", expect(200)),
    ("/campaigns/{campaign}/manage", expect(403, guest=SIGN_IN, social_worker=200, admin=200)),
    ("/campaigns/rounds/{round}", expect(403, guest=SIGN_IN, social_worker=200, admin=200)),
    ("/campaigns/rounds/{round}/report", expect(403, guest=SIGN_IN, social_worker=200, admin=200)),
    ("/campaigns/rounds/{round}/report.csv", expect(403, guest=SIGN_IN, social_worker=200, admin=200)),
    ("/points/{point}", expect(403, guest=SIGN_IN, social_worker=200, admin=200)),
]


@pytest.mark.parametrize(("page", "statuses"), TABLE, ids=[page for page, _statuses in TABLE])
def test_each_role_gets_what_the_table_says(app, people, objects, page, statuses):
    path = page.format(**objects)
    found = {}
    for role in ROLES:
        client = app.test_client()
        if role != "guest":
            sign_in(client, people[role].phone)
        response = client.get(path)
        found[role] = response.status_code
        if response.status_code == 302:
            assert "/account/sign-in" in response.headers["Location"], (role, path)
    assert found == statuses
