"""A member's center (issue 21): one rule, `centers.home_center`, names it on
the time bank's statement and on the simple pages. A resident of Niavaran is
Niavaran center's, although Tajrish center, of the same district, was
registered first and comes first by name."""

import io

import pytest
from pypdf import PdfReader

import models
from hamsayeh import persian
from hamsayeh.domain import centers, demo
from tests.conftest import sign_in
from tests.factories import person
from tests.pages import check_page

BAZAAR = "مرکز مثبت زندگی بازار"
TAJRISH = "مرکز مثبت زندگی تجریش"
NIAVARAN = "مرکز مثبت زندگی نیاوران"


@pytest.fixture
def homes(places):
    """Centers registered in this order: Bazaar (District 12), Tajrish, then
    Niavaran (both District 1). Darband is a neighborhood of District 1 with
    no center; District 5 has none at all; Hamedan is a province without one."""
    made = {}
    for name, hood in ((BAZAAR, "Bazaar"), (TAJRISH, "Tajrish"), (NIAVARAN, "Niavaran")):
        made[name] = models.Center.create(area=places[hood], name=name)
    city = places["District 1"].parent
    demo.add_area(places["District 1"], {"name": "دربند", "name_en": "Darband", "kind": "neighborhood"})
    demo.add_area(
        city,
        {
            "name": "منطقه ۵",
            "name_en": "District 5",
            "kind": "district",
            "children": [{"name": "پونک", "name_en": "Punak", "kind": "neighborhood"}],
        },
    )
    demo.add_area(
        None,
        {
            "name": "همدان",
            "name_en": "Hamedan",
            "kind": "province",
            "children": [{"name": "اعتمادیه", "name_en": "Etemadieh", "kind": "neighborhood"}],
        },
    )
    found = {area.name_en: area for area in models.Area.select()}
    return made, found


@pytest.mark.parametrize(
    ("neighborhood", "expected"),
    [
        ("Niavaran", NIAVARAN),  # its own center, though Tajrish's was registered first
        ("Tajrish", TAJRISH),
        ("Bazaar", BAZAAR),
        ("Darband", TAJRISH),  # none of its own: the district's first registered, not the city's (Bazaar)
        ("Punak", BAZAAR),  # none in its district: the city's first registered
        ("Etemadieh", None),  # none in its province
    ],
)
def test_a_members_center_is_their_neighborhoods_else_the_nearest_up_the_tree(homes, neighborhood, expected):
    _made, areas = homes
    member = person("09121110001", neighborhood=areas[neighborhood])
    found = centers.home_center(member)
    assert (found.name if found else None) == expected


def test_no_neighborhood_no_center(homes):
    assert centers.home_center(person("09121110002")) is None
    assert centers.home_center(None) is None


def test_the_nearest_centers_come_nearest_first(homes):
    _made, areas = homes
    assert [c.name for c in centers.nearest_centers(areas["Niavaran"])] == [NIAVARAN, TAJRISH, BAZAAR]
    assert [c.name for c in centers.nearest_centers(areas["Darband"], limit=2)] == [TAJRISH, NIAVARAN]


def pdf_text(answer):
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)


def test_a_niavaran_residents_statement_is_headed_with_niavarans_center(client, homes):
    _made, areas = homes
    resident = person("09121110003", "ساکن نیاوران", neighborhood=areas["Niavaran"])
    sign_in(client, resident.phone)
    text = pdf_text(client.get("/time/statement.pdf"))
    assert NIAVARAN in text and TAJRISH not in text
    sign_in(client, person("09121110004", "ساکن دربند", neighborhood=areas["Darband"]).phone)
    text = pdf_text(client.get("/time/statement.pdf"))
    assert TAJRISH in text and NIAVARAN not in text


def test_the_simple_pages_offer_the_members_own_center_first(client, homes):
    _made, areas = homes
    resident = person("09121110005", "ساکن نیاوران", neighborhood=areas["Niavaran"])
    sign_in(client, resident.phone)
    for page in ("/simple/near", "/simple/call-me"):
        html = check_page(client.get(page))
        names = [persian.to_persian_digits(name) for name in (NIAVARAN, TAJRISH)]
        assert -1 < html.find(names[0]) < html.find(names[1]), page
    # A neighborhood without a center of its own is offered the nearest ones.
    client.post("/account/sign-out")
    sign_in(client, person("09121110006", "ساکن پونک", neighborhood=areas["Punak"]).phone)
    assert BAZAAR in check_page(client.get("/simple/call-me"))
