import datetime

import models
from hamsayeh.domain import demo, registry, timebank
from tests.conftest import REGISTRY_KEY, sign_in, submit
from tests.pages import check_page


def test_walk_the_tree_down_to_a_neighborhood(client, places):
    html = check_page(client.get("/areas/"))
    assert "تهران" in html
    tehran = places["Tehran"]
    html = check_page(client.get(f"/areas/{tehran.id}"))
    district = places["District 1"]
    html = check_page(client.get(f"/areas/{district.id}"))
    assert "تجریش" in html and "نیاوران" in html
    assert "منطقه ۱" in html  # stored with Latin digits, shown with Persian ones


def test_search_finds_names_whatever_letters_or_digits_were_typed(client, places):
    for query in ("نياوران", "نیا وران", "niavaran", "منطقه ۱۲", "منطقه 12", "منطقه ١٢"):
        html = check_page(client.get("/areas/", query_string={"q": query}))
        expected = "نیاوران" if "نیا" in query or "ني" in query or query == "niavaran" else "منطقه ۱۲"
        assert expected in html, query


def test_search_with_nothing_found_or_odd_input_is_harmless(client, places):
    count = models.Area.select().count()
    for query in ("ناکجاآباد", "%", "_", "'; DROP TABLE area; --", "x" * 500, "\u200c"):
        check_page(client.get("/areas/", query_string={"q": query}))
    assert models.Area.select().count() == count


def test_a_guest_chooses_a_neighborhood(client, places):
    niavaran = places["Niavaran"]
    response = submit(client, f"/areas/{niavaran.id}", f"/areas/{niavaran.id}/choose", {})
    assert response.status_code == 302
    html = check_page(client.get("/"))
    assert "نیاوران" in html


def test_a_member_chooses_a_neighborhood(client, people, places):
    sign_in(client, people["resident"].phone)
    bazaar = places["Bazaar"]
    submit(client, f"/areas/{bazaar.id}", f"/areas/{bazaar.id}/choose", {})
    assert models.User.get_by_id(people["resident"].id).neighborhood_id == bazaar.id


def test_only_neighborhoods_can_be_chosen(client, places):
    district = places["District 1"]
    # A valid token (from a neighborhood's form), posted for a district.
    response = submit(client, f"/areas/{places['Tajrish'].id}", f"/areas/{district.id}/choose", {})
    check_page(response, status=404)


def test_subtree_and_ancestors(places):
    district = places["District 1"]
    assert {a.name_en for a in district.subtree()} == {"District 1", "Tajrish", "Niavaran"}
    assert [a.name_en for a in places["Tajrish"].ancestors()] == ["Tehran", "Tehran", "District 1"]


def test_demo_data_is_believable_and_seeding_twice_adds_nothing(db):
    first = demo.seed(REGISTRY_KEY)
    counts = {model.__name__: model.select().count() for model in models.MODELS if model is not models.AuditEntry}
    second = demo.seed(REGISTRY_KEY)
    assert first == second
    assert counts == {
        model.__name__: model.select().count() for model in models.MODELS if model is not models.AuditEntry
    }
    assert models.Area.select().where(models.Area.kind == "province").count() == 31
    tehran_city = models.Area.get(models.Area.kind == "city", models.Area.name == "تهران")
    districts = models.Area.select().where(models.Area.parent == tehran_city, models.Area.kind == "district")
    assert districts.count() == 22
    assert models.Area.search("دماوند").count() >= 1
    assert models.Area.search("همدان").count() >= 1
    assert models.Center.select().count() >= 10
    roles = {row.role for row in models.UserRole.select()}
    assert roles == set(models.ROLES)
    assert first["time transfers"] == 3 and timebank.verify_ledger() == ([], 0)
    assert first["stories, ideas and announcements"] == 6
    idea = models.Idea.get()
    assert idea.status == "forwarded" and idea.support_count() == 2
    # Damavand's charities: one family fed twice in parallel, one registered and never served.
    assembly = models.Assembly.get(models.Assembly.level == "county")
    since = datetime.date.today() - datetime.timedelta(days=180)
    assert len(registry.parallel_services(assembly, since)) == 1
    assert registry.unserved(assembly, since).count() == 1
    # Four charities of Damavand, and three families in its assembly's registry.
    assert models.Organization.select().where(models.Organization.county == assembly.area).count() == 4
    assert models.Beneficiary.select().where(models.Beneficiary.assembly == assembly).count() == 3
    for area in models.Area.select():
        assert "ي" not in area.name and "ك" not in area.name
