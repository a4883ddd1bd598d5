"""Assemblies at every level (issue 18, point 3): a city's assembly over its
districts', an organization in two assemblies, and the registry's sharing
following the assembly a record was made in. Each rule is tried as staff of
the wrong assembly would try it: through the pages."""

import datetime
import uuid

import jdatetime
import pytest
from playhouse.migrations import Runner

import models
from hamsayeh.domain import accounts, assemblies, demo, organizations, registry
from hamsayeh.domain.demo import national_code
from hamsayeh.web import cli
from tests.conftest import PIN, REGISTRY_KEY, sign_in, submit
from tests.factories import assembly
from tests.pages import check_page

FAMILY = national_code("007812345")


@pytest.fixture
def tree(people, places):
    """Tehran's assembly (the city's) over those of District 1 and District
    12. Charity X belongs to both districts', Y to District 12's only, Z to
    District 1's only, W to the city's; one staff member each."""
    city = places["District 1"].parent
    orgs = {
        name: models.Organization.create(name=f"خیریهٔ {name}", kind="charity", county=city)
        for name in ("X", "Y", "Z", "W")
    }
    top = assembly(city, "مجمع خیرین شهر تهران", members=[orgs["W"]])
    one = assembly(places["District 1"], "مجمع خیرین منطقه 1", members=[orgs["X"], orgs["Z"]], parent=top)
    twelve = assembly(places["District 12"], "مجمع خیرین منطقه 12", members=[orgs["X"], orgs["Y"]], parent=top)
    staff = {}
    for index, name in enumerate(orgs):
        staff[name] = accounts.create_user(f"0912777000{index}", f"کارمند {name}", PIN)
        models.OrganizationMember.create(organization=orgs[name], user=staff[name], role="staff")
    return {"orgs": orgs, "staff": staff, "city": top, "one": one, "twelve": twelve}


def desk(tree, org, where):
    return f"{tree['orgs'][org].id}-{tree[where].id}"


def record(client, org_desk, consent=True, number=FAMILY, name="خانوادهٔ رحیمی"):
    """Record the family at `org_desk` and give it food today; its record."""
    data = {"org": org_desk, "id_kind": "national", "number": number, "name": name, "household_size": "4"}
    if consent:
        data["consent"] = "1"
    response = submit(client, f"/registry/new?org={org_desk}", "/registry/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    page = response.location
    today = jdatetime.date.today().strftime("%Y/%m/%d")
    assert submit(client, page, f"{page}/services", {"category": "food", "given_on": today}).status_code == 302
    return models.BeneficiaryRecord.get_by_id(int(page.rsplit("/", 1)[1]))


def inquire(client, org_desk, number=FAMILY):
    data = {"org": org_desk, "id_kind": "national", "number": number, "reason": "new_aid", "months": "6"}
    return check_page(submit(client, f"/registry/?org={org_desk}", "/registry/inquiry", data))


def test_the_tree_of_assemblies_reads_both_ways(tree, places):
    assert assemblies.of_district(places["Tajrish"]) == tree["one"]
    assert assemblies.of_district(places["District 12"]) == tree["twelve"]
    assert assemblies.of_district(places["District 1"].parent) is None  # the city is no district
    assert assemblies.nearest(places["Bazaar"]) == tree["twelve"]
    assert assemblies.ancestors(tree["one"]) == [tree["city"]]
    assert list(assemblies.children(tree["city"])) == [tree["one"], tree["twelve"]]
    assert sorted(assemblies.scope_ids(tree["city"])) == sorted(
        a.id for a in (tree["city"], tree["one"], tree["twelve"])
    )
    assert [a.name for a in assemblies.assemblies_of(tree["orgs"]["X"])] == [
        "مجمع خیرین منطقه 1",
        "مجمع خیرین منطقه 12",
    ]


def test_a_charity_of_two_assemblies_works_in_each_apart(client, tree):
    """X records a family in District 1's registry: Z (District 1) finds it;
    Y (District 12) and X itself at its District 12 desk find nobody, and Y
    cannot open the record by its address."""
    staff = tree["staff"]
    sign_in(client, staff["X"].phone)
    html = check_page(client.get("/registry/"))
    assert "خیریهٔ X در مجمع خیرین منطقه ۱۲" in html and "خیریهٔ X در مجمع خیرین منطقه ۱" in html
    made = record(client, desk(tree, "X", "one"))
    assert made.beneficiary.assembly_id == tree["one"].id
    html = inquire(client, desk(tree, "X", "twelve"))
    assert "در مجمع این فرد را ثبت نکرده است" in html and "خانوادهٔ رحیمی" not in html
    # Its own record, at the desk of the assembly it was made in.
    check_page(client.get(f"/registry/records/{made.id}"))

    sign_in(client, staff["Z"].phone)
    html = inquire(client, desk(tree, "Z", "one"))
    assert "۱ خدمت" in html and "خانوادهٔ رحیمی" in html  # consented, within the same assembly

    sign_in(client, staff["Y"].phone)
    html = inquire(client, desk(tree, "Y", "twelve"))
    assert "در مجمع این فرد را ثبت نکرده است" in html and "خانوادهٔ رحیمی" not in html
    assert client.get(f"/registry/records/{made.id}").status_code == 404
    # A desk that is not Y's (X's, in District 1) is not Y's to choose: Y stays at its own.
    html = inquire(client, desk(tree, "X", "one"))
    assert "خانوادهٔ رحیمی" not in html and "در مجمع این فرد را ثبت نکرده است" in html
    report = check_page(client.get(f"/registry/reports?org={desk(tree, 'Y', 'twelve')}"))
    assert "مجمع خیرین منطقه ۱۲" in report and "خدمت‌های موازی" in report


def test_a_charity_that_leaves_an_assembly_no_longer_reads_its_records(client, tree, people):
    sign_in(client, tree["staff"]["Z"].phone)
    made = record(client, desk(tree, "Z", "one"))
    assemblies.remove_member(tree["one"], tree["orgs"]["Z"], people["admin"])
    assert client.get(f"/registry/records/{made.id}").status_code == 403  # no registry at all now
    # What it recorded stays in the assembly's registry: X finds the family there.
    sign_in(client, tree["staff"]["X"].phone)
    assert "۱ خدمت" in inquire(client, desk(tree, "X", "one"))


def test_a_citys_assembly_sees_its_districts_counts_never_their_names(client, tree):
    """X feeds the family in District 1, Y in District 12: each district sees
    one service; the city's assembly sees two from two organizations, the
    parallel service across its districts, and the districts' shy needy; no
    name, not even a consented one."""
    staff = tree["staff"]
    sign_in(client, staff["X"].phone)
    record(client, desk(tree, "X", "one"))
    record(client, desk(tree, "X", "one"), number=national_code("123456789"), name="خانوادهٔ صالحی")
    sign_in(client, staff["Y"].phone)
    record(client, desk(tree, "Y", "twelve"))
    shy = national_code("234567891")
    registry.record_beneficiary(
        registry.at_desk(tree["orgs"]["Y"], tree["twelve"]), staff["Y"], REGISTRY_KEY, "national", shy, name="تنها"
    )
    html = inquire(client, desk(tree, "Y", "twelve"))
    assert "۱ خدمت" in html

    sign_in(client, staff["W"].phone)
    html = inquire(client, desk(tree, "W", "city"))
    assert "۲ خدمت" in html and "۲ سازمان" in html
    assert "خانوادهٔ رحیمی" not in html and "خانوادهٔ صالحی" not in html
    since = datetime.date.today() - datetime.timedelta(days=30)
    parallel = registry.parallel_services(tree["city"], since)
    assert [(case[1], len(case[2])) for case in parallel] == [("food", 2)]
    assert registry.parallel_services(tree["one"], since) == []
    assert registry.parallel_services(tree["twelve"], since) == []
    assert registry.unserved(tree["city"], since).count() == 1
    assert registry.unserved(tree["one"], since).count() == 0
    report = check_page(client.get(f"/registry/reports?org={desk(tree, 'W', 'city')}"))
    for name in ("خانوادهٔ رحیمی", "خانوادهٔ صالحی", "تنها", FAMILY, shy):
        assert name not in report
    by_category = registry.assembly_report(registry.at_desk(tree["orgs"]["W"], tree["city"]), REGISTRY_KEY, 6, 14)
    assert by_category["by_category"] == {"food": 3} and by_category["unserved_count"] == 1
    # District 1 counts its own only.
    one = registry.assembly_report(registry.at_desk(tree["orgs"]["X"], tree["one"]), REGISTRY_KEY, 6, 14)
    assert one["by_category"] == {"food": 2} and one["unserved_count"] == 0


def test_an_organization_of_several_assemblies_must_say_where_it_works(tree, people):
    with pytest.raises(ValueError):
        registry.record_beneficiary(tree["orgs"]["X"], people["admin"], REGISTRY_KEY, "national", FAMILY, name="x")
    made, _created = registry.record_beneficiary(
        tree["orgs"]["Z"], tree["staff"]["Z"], REGISTRY_KEY, "national", FAMILY, name="خانواده"
    )
    assert made.beneficiary.assembly_id == tree["one"].id  # its only one


def test_headquarters_makes_assemblies_with_messages_beside_the_fields(client, people, places):
    sign_in(client, people["admin"].phone)
    city = places["District 1"].parent
    page = "/hq/assemblies/"
    check_page(client.get(page))
    bad = {"name": "مجمع خیرین منطقه ۱", "level": "district", "area": str(city.id), "parent": ""}
    html = check_page(submit(client, page, page, bad), 422)
    assert 'id="f-area-error"' in html and 'value="مجمع خیرین منطقه 1"' in html  # what was typed stays
    top = submit(client, page, page, {"name": "مجمع خیرین تهران", "level": "city", "area": str(city.id)})
    assert top.status_code == 302
    parent = models.Assembly.get(models.Assembly.area == city)
    outside = submit(client, page, page, {**bad, "area": str(places["District 1"].id), "parent": "999999"})
    assert 'id="f-parent-error"' in check_page(outside, 422)
    made = submit(client, page, page, {**bad, "area": str(places["District 1"].id), "parent": str(parent.id)})
    assert made.status_code == 302
    district = models.Assembly.get(models.Assembly.area == places["District 1"])
    assert district.parent_id == parent.id and district.level == "district"
    again = {**bad, "name": "مجمع خیرین تهران", "area": str(places["District 12"].id)}
    assert "این نام را دارد" in check_page(submit(client, page, page, again), 422)
    twice = {**bad, "name": "دیگری", "area": str(places["District 1"].id)}
    assert "مجمعی دارد" in check_page(submit(client, page, page, twice), 422)

    # Members and a coordinator.
    charity = models.Organization.create(name="خیریهٔ نیاوران", kind="charity", county=city)
    show = f"/hq/assemblies/{district.id}"
    assert "خیریهٔ نیاوران" in check_page(client.get(show))
    members = f"{show}/members"
    assert submit(client, show, members, {"organization": str(charity.id)}).status_code == 302
    assert assemblies.is_member(charity, district)
    assert submit(client, show, members, {"organization": str(charity.id)}).status_code == 302  # sent twice
    assert models.AssemblyMember.select().where(models.AssemblyMember.organization == charity).count() == 1
    stranger = models.Organization.create(name="خیریهٔ دور", kind="charity", county=places["Tajrish"])
    html = check_page(submit(client, show, members, {"organization": str(stranger.id)}), 422)
    assert 'id="f-organization-error"' in html
    coordinator = f"{show}/coordinator"
    html = check_page(submit(client, show, coordinator, {"coordinator": "09129999999"}), 422)
    assert 'id="f-coordinator-error"' in html and "09129999999" in html
    assert submit(client, show, coordinator, {"coordinator": people["social_worker"].phone}).status_code == 302
    assert models.Assembly.get_by_id(district.id).coordinator_id == people["social_worker"].id
    assert submit(client, show, members, {"remove": str(charity.id)}).status_code == 302
    assert not assemblies.is_member(charity, district)
    assert models.AuditEntry.select().where(models.AuditEntry.action.startswith("assembly.")).count() == 5

    # Nobody else changes them: not a member of staff, not the coordinator.
    for role in ("charity_staff", "social_worker"):
        sign_in(client, people[role].phone)
        assert submit(client, "/account/", page, {**bad, "name": "x"}).status_code == 403
        assert submit(client, "/account/", members, {"organization": str(charity.id)}).status_code == 403
        assert submit(client, "/account/", coordinator, {"coordinator": people[role].phone}).status_code == 403
    assert not assemblies.is_member(charity, district)


def test_the_demo_has_tehrans_district_assemblies_and_damavands_county_assembly(db):
    demo.seed(REGISTRY_KEY)
    city = models.Assembly.get(models.Assembly.level == "city")
    districts = assemblies.children(city)
    assert districts.count() == 22 and all(item.level == "district" for item in districts)
    damavand = models.Assembly.get(models.Assembly.level == "county")
    assert damavand.parent_id is None and assemblies.members(damavand).count() == 3
    first = assemblies.of_district(demo.find_neighborhood("تجریش", "تهران"))
    assert first.coordinator.phone == "09120000005"
    waiting = organizations.applications_to_answer([first.area])
    assert [item.name for item in waiting] == ["گروه جهادی جوانان تجریش"]


def test_migration_0037_keeps_each_organizations_assembly(app, tmp_path):
    """An organization in a county's assembly before 0037 is its member after
    it; the organization table keeps the triggers of its revision."""
    database = models.open_database(f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        runner = Runner(database, cli.migrations_directory())
    with database.connection_context():
        runner.up(target="0036_area_tree_kept_by_headquarters")
        sql = database.execute_sql
        sql(
            "INSERT INTO area (id, kind, name, name_en, path, search_key) VALUES (1, 'county', 'دماوند', '', '/1/', '')"
        )
        sql("INSERT INTO assembly (id, county_id, name) VALUES (1, 1, 'مجمع')")
        for org_id, assembly_id in ((1, 1), (2, None)):
            sql(
                "INSERT INTO organization (id, name, kind, county_id, assembly_id, about, contact, volunteers_wanted,"
                " created_at) VALUES (?, ?, 'charity', 1, ?, '', '', '', '2025-01-01')",
                (org_id, f"خیریه {org_id}", assembly_id),
            )
        runner.up(target="0038_organization_applications")
        assert sql("SELECT assembly_id, organization_id FROM assembly_member").fetchall() == [(1, 1)]
        assert sql("SELECT level, area_id FROM assembly").fetchall() == [("county", 1)]
        before = sql("SELECT number FROM revision WHERE name = 'organizations'").fetchone()[0]
        sql("UPDATE organization SET about = 'x' WHERE id = 2")
        assert sql("SELECT number FROM revision WHERE name = 'organizations'").fetchone()[0] == before + 1
    database.close()


def test_services_and_records_carry_the_assembly_of_their_person(tree):
    """The assembly a record was made in is its person's: every record and
    service of a person is of the one assembly they were recorded in."""
    x = tree["orgs"]["X"]
    for where in ("one", "twelve"):
        made, _created = registry.record_beneficiary(
            registry.at_desk(x, tree[where]), tree["staff"]["X"], REGISTRY_KEY, "national", FAMILY, name="خانواده"
        )
        registry.record_service(
            made, tree["staff"]["X"], uuid.uuid4().hex, category="food", given_on=datetime.date.today()
        )
    people_of = {row.assembly_id for row in models.Beneficiary.select()}
    assert people_of == {tree["one"].id, tree["twelve"].id}
    assert models.BeneficiaryRecord.select().count() == 2 and models.Service.select().count() == 2
