"""One rule for "my center" (issue 21, point 6), read both ways: the center a
member's pages name (`centers.home_center`) is the center whose staff look
after them (`centers.looked_after`: time accounts, certificates, the desk)
and whose neighborhoods hold them (`centers.center_neighborhoods`: the
center's page, call-backs, needs). Before, a center looked after only the
residents of its own area, so a member of a neighborhood without a center
had a center whose staff could not see them."""

import io
import random

import pytest
from pypdf import PdfReader

import models
from hamsayeh import persian
from hamsayeh.domain import access, board, callbacks, centers, demo, timebank
from tests.conftest import sign_in
from tests.factories import make_post, person, volunteer
from tests.pages import check_page

TAJRISH = "مرکز مثبت زندگی تجریش"
NIAVARAN = "مرکز مثبت زندگی نیاوران"


# --- The rule, checked against its statement on generated trees ---------------------------------


def expected_home(hood, open_centers, servers):
    """The README's rule, word for word: the center in the neighborhood; else
    the first registered of those set to serve it; else the first registered
    in the nearest area up the tree that has one."""
    own = [center_id for center_id, path in open_centers if path.startswith(hood.path)]
    if own:
        return min(own)
    if servers.get(hood.id):
        return min(servers[hood.id])
    ids = hood.path.strip("/").split("/")
    for depth in range(len(ids) - 1, 0, -1):
        level = "/" + "/".join(ids[:depth]) + "/"
        around = [center_id for center_id, path in open_centers if path.startswith(level)]
        if around:
            return min(around)
    return None


def grow(rng, name, kind, kinds, width):
    """A random subtree under an area of `kind`."""
    node = {"name": name, "name_en": name, "kind": kind, "children": []}
    if kinds:
        for index in range(rng.randint(*width)):
            node["children"].append(grow(rng, f"{name}-{index}", kinds[0], kinds[1:], width))
    return node


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_member_is_looked_after_by_exactly_their_own_centers_staff(db, seed):
    rng = random.Random(seed)
    admin = person("09129990000", roles=("admin",))
    for province in ("P", "Q"):
        demo.add_area(None, grow(rng, province, "province", ["county", "city", "district", "neighborhood"], (1, 3)))
    areas = list(models.Area.select())
    hoods = [area for area in areas if area.is_neighborhood]
    # Centers in neighborhoods (now and then two in one), and a few in a district or a city.
    made = []
    for index in range(14):
        place = rng.choice(hoods if rng.random() < 0.7 else [a for a in areas if a.kind in ("district", "city")])
        made.append(models.Center.create(area=place, name=f"مرکز {index}"))
    # A province with no center: only a center set to serve one of its neighborhoods reaches it.
    demo.add_area(None, grow(rng, "R", "province", ["city", "district", "neighborhood"], (2, 2)))
    hoods = list(models.Area.select().where(models.Area.kind == "neighborhood"))
    for center in rng.sample(made, 4):
        centers.serve_neighborhood(center, rng.choice(hoods), admin)
        centers.serve_neighborhood(center, rng.choice(hoods), admin)
    for center in rng.sample(made, 3):
        centers.close_center(center, admin, "تعمیر")
    members = {hood.id: person(f"0912{hood.id:07d}", neighborhood=hood) for hood in hoods}

    open_centers = [(c.id, c.area.path) for c in models.Center.select() if c.closed_at is None]
    servers = {}
    for row in models.CenterArea.select():
        if any(row.center_id == center_id for center_id, _path in open_centers):
            servers.setdefault(row.area_id, []).append(row.center_id)
    expected = {hood.id: expected_home(hood, open_centers, servers) for hood in hoods}
    assert len(set(expected.values()) - {None}) > 3  # the tree shares its members among several centers

    for hood in hoods:
        found = centers.home_center(members[hood.id])
        assert (found.id if found else None) == expected[hood.id], hood.path
    for center in models.Center.select():
        mine = {hood_id for hood_id, home in expected.items() if home == center.id}
        assert {area.id for area in centers.center_neighborhoods(center)} == mine, center.id
        looked_after = models.User.select().where(centers.looked_after(center), models.User.id != admin.id)
        assert {user.neighborhood_id for user in looked_after} == mine, center.id
        assert {hood_id for hood_id, member in members.items() if centers.looks_after(center, member)} == mine


def test_the_map_is_kept_until_a_center_or_the_tree_changes(people, places):
    first = centers.service_map()
    assert centers.service_map() is first
    center = models.Center.create(area=places["Tajrish"], name=TAJRISH)
    second = centers.service_map()
    assert second is not first and centers.service_map() is second
    demo.add_area(places["District 1"], {"name": "دربند", "name_en": "Darband", "kind": "neighborhood"})
    assert centers.service_map() is not second
    assert "دربند" in {area.name for area in centers.center_neighborhoods(center)}


# --- One member of a neighborhood without a center, through every page -------------------------


@pytest.fixture
def darband(people, places):
    """Tajrish's center (registered first) and Niavaran's, each with its own
    staff; Darband, a neighborhood of the same district, has none."""
    admin = people["admin"]
    demo.add_area(places["District 1"], {"name": "دربند", "name_en": "Darband", "kind": "neighborhood"})
    hood = models.Area.get(models.Area.name_en == "Darband")
    tajrish = models.Center.create(area=places["Tajrish"], name=TAJRISH)
    niavaran = models.Center.create(area=places["Niavaran"], name=NIAVARAN)
    staff = {}
    for center, phone in ((tajrish, "09124440001"), (niavaran, "09124440002")):
        member = person(phone, f"کارمند {center.name}", neighborhood=places["Tajrish"])
        centers.assign_staff(center, member, admin)
        staff[center.id] = models.User.get_by_id(member.id)
    member = person("09124440009", "ساکن دربند", neighborhood=hood)
    timebank.member_account(member)
    return {"hood": hood, "tajrish": tajrish, "niavaran": niavaran, "staff": staff, "member": member}


def statement_text(client, member):
    sign_in(client, member.phone)
    answer = client.get("/time/statement.pdf")
    assert answer.status_code == 200
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)


def sees(client, staff, member, callback):
    """What `staff` see of `member`, as they would: the center's accounts,
    the certificate page, the desk's call-backs."""
    sign_in(client, staff.phone)
    listed = member.name in check_page(client.get("/time/center"))
    certificate = client.get(f"/certificates/people/{member.id}").status_code
    calls = persian.to_persian_digits(callback.phone) in check_page(client.get("/desk/calls"))
    return listed, certificate, calls


def test_a_member_of_a_neighborhood_without_a_center_is_looked_after_by_their_centers_staff(client, people, darband):
    member, tajrish, niavaran, staff = darband["member"], darband["tajrish"], darband["niavaran"], darband["staff"]
    callback = callbacks.request_callback(phone="09124440099", neighborhood=darband["hood"], user=member)
    assert centers.home_center(member).id == tajrish.id
    assert TAJRISH in statement_text(client, member)
    assert sees(client, staff[tajrish.id], member, callback) == (True, 200, True)
    assert sees(client, staff[niavaran.id], member, callback) == (False, 403, False)
    assert access.may_certify(staff[tajrish.id], {"center_staff"}, member)
    assert not access.may_certify(staff[niavaran.id], {"center_staff"}, member)

    # Headquarters sets Niavaran's center to serve Darband: it is theirs now, everywhere at once.
    centers.serve_neighborhood(niavaran, darband["hood"], people["admin"])
    assert centers.home_center(member).id == niavaran.id
    text = statement_text(client, member)
    assert NIAVARAN in text and TAJRISH not in text
    assert sees(client, staff[niavaran.id], member, callback) == (True, 200, True)
    assert sees(client, staff[tajrish.id], member, callback) == (False, 403, False)

    # Niavaran's center closes: no one's center, its staff look after no one of Darband.
    centers.close_center(niavaran, people["admin"], "تعمیر ساختمان")
    assert centers.home_center(member).id == tajrish.id
    assert TAJRISH in statement_text(client, member)
    assert sees(client, staff[tajrish.id], member, callback) == (True, 200, True)
    assert sees(client, staff[niavaran.id], member, callback) == (False, 403, False)
    assert list(centers.center_neighborhoods(niavaran)) == []


def test_the_center_page_and_the_home_page_name_the_same_center(client, darband):
    html = check_page(client.get(f"/centers/{darband['tajrish'].id}"))
    assert "دربند" in html
    assert "دربند" not in check_page(client.get(f"/centers/{darband['niavaran'].id}"))
    sign_in(client, darband["member"].phone)
    html = check_page(client.get("/"))
    assert -1 < html.find(TAJRISH) < html.find(NIAVARAN)


def test_the_named_additions_volunteers_of_the_center_and_its_desk_contacts(people, places, darband):
    tajrish, niavaran, staff = darband["tajrish"], darband["niavaran"], darband["staff"]
    # A volunteer living in Niavaran who chose Tajrish's center as their place of service.
    profile = volunteer("داوطلب نیاوران", "09124440010", places["Niavaran"], center=tajrish.id)
    helper = profile.user
    assert centers.home_center(helper).id == niavaran.id
    assert centers.looks_after(tajrish, helper) and centers.looks_after(niavaran, helper)
    assert access.looks_after(staff[tajrish.id], {"center_staff"}, helper)
    # A neighbor without a phone whose contact is Niavaran's desk, living in Darband.
    contact = models.User.create(
        phone=None, name="بی‌تلفن", pin_hash="", neighborhood=darband["hood"], contact_center=niavaran
    )
    assert centers.looks_after(niavaran, contact) and centers.looks_after(tajrish, contact)
    assert not centers.looks_after(niavaran, darband["member"])


def test_a_pool_payment_is_confirmed_by_the_staff_of_the_center_that_serves_the_neighborhood(people, darband):
    """Help for a neighbor of Darband without an account is paid by the pool
    once a second person confirms it: Tajrish's staff (Darband's center), not Niavaran's."""
    filer = people["volunteer"]
    need = make_post(
        filer, darband["hood"], "خانم رحیمی برای خرید هفتگی همراه می‌خواهد", filed_by=filer, on_behalf_name="خانم رحیمی"
    )
    answer = board.respond_to_post(need, person("09124440011", neighborhood=darband["hood"]))
    board.accept_response(answer, filer)
    answer = models.HelpResponse.get_by_id(answer.id)
    tajrish, niavaran = darband["staff"][darband["tajrish"].id], darband["staff"][darband["niavaran"].id]
    assert access.confirms_for_pool(tajrish, {"center_staff"}, answer)
    assert not access.confirms_for_pool(niavaran, {"center_staff"}, answer)
