"""The permission table: one source of truth of who reaches what (issue 14).

Each row is a page that holds someone's data, with the status every role
must get: the test expands the table into requests, one per role, from a
client signed in as that role (or a guest). A rule changed in code without
changing this table fails here, and so does a page a role reaches by
changing an id in the address (ASVS V8.2.2)."""

import pytest

import models
from hamsayeh.domain import accounts, demo, network, organizations, registry, timebank
from tests.conftest import REGISTRY_KEY, sign_in
from tests.factories import activity, make_post

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
    return {
        "center": center.id,
        "post": post.id,
        "story": story.id,
        "org": organization.id,
        "record": record.id,
        "account": account.id,
        "resident": people["resident"].id,
        "facilitator": people["facilitator"].id,
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
    # Facilitators are managed by headquarters and center staff.
    ("/facilitators/{facilitator}", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    # The help desk: those who look after neighbors.
    ("/desk/", expect(403, guest=SIGN_IN, facilitator=200, center_staff=200)),
    # A private story: the neighborhood's facilitator, headquarters and the
    # staff of the center of its area; nobody else learns it exists.
    ("/stories/{story}", expect(404, facilitator=200, center_staff=200, admin=200)),
    # A member's time account: center staff who serve them, and headquarters.
    ("/time/accounts/{account}", expect(403, guest=SIGN_IN, center_staff=200, admin=200)),
    # The registry: staff of an assembly member only, never by a site-wide role.
    ("/registry/", expect(403, guest=SIGN_IN, charity_staff=200)),
    ("/registry/records/{record}", expect(403, guest=SIGN_IN, charity_staff=200)),
    # An organization's own pages: its managers and headquarters.
    ("/orgs/{org}/edit", expect(403, guest=SIGN_IN, charity_staff=200, admin=200)),
    ("/orgs/{org}/members", expect(403, guest=SIGN_IN, charity_staff=200, admin=200)),
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
