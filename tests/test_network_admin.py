"""Headquarters' pages that keep the area tree, as a person uses them: forms
with their Persian messages, a form sent twice, the redirect from a merged
area's old addresses, and what a subtree's manager may reach."""

import re
import uuid

import models
from hamsayeh.domain import areas_admin, centers
from tests.conftest import sign_in, submit
from tests.factories import make_post
from tests.pages import check_page


def form_key(html):
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


def test_headquarters_adds_a_neighborhood_and_a_wrong_form_keeps_what_was_typed(client, people, places):
    sign_in(client, people["admin"].phone)
    district = places["District 12"]
    page = f"/hq/areas/new?parent={district.id}"
    html = check_page(client.get(page))
    key = form_key(html)
    # No reason, and a name its district has already: each message beside its field.
    response = submit(
        client,
        page,
        "/hq/areas/new",
        {"parent": district.id, "kind": "neighborhood", "name": "  ", "name_en": "Pamenar", "form_key": key},
    )
    html = check_page(response, status=422)
    assert 'id="f-name-error"' in html and "نام فارسی را بنویسید." in html
    assert 'id="f-reason-error"' in html and 'value="Pamenar"' in html
    response = submit(
        client,
        page,
        "/hq/areas/new",
        {"parent": district.id, "kind": "neighborhood", "name": "بازار", "reason": "محلهٔ تازه", "form_key": key},
    )
    html = check_page(response, status=422)
    assert 'id="f-name-error"' in html and "محلهٔ تازه" in html
    data = {
        "parent": district.id,
        "kind": "neighborhood",
        "name": "پامنار",
        "name_en": "Pamenar",
        "reason": "محلهٔ تازه",
        "form_key": key,
    }
    first = submit(client, page, "/hq/areas/new", data)
    again = submit(client, page, "/hq/areas/new", data)
    added = models.Area.get(models.Area.name == "پامنار")
    assert first.status_code == again.status_code == 302 and first.location == again.location == f"/hq/areas/{added.id}"
    assert models.AreaChange.select().where(models.AreaChange.action == "add").count() == 1
    html = check_page(client.get(f"/hq/areas/{added.id}/history"))
    assert "محلهٔ تازه" in html and people["admin"].name in html


def test_a_kind_that_does_not_belong_is_refused_beside_the_field(client, people, places):
    sign_in(client, people["admin"].phone)
    page = f"/hq/areas/new?parent={places['District 1'].id}"
    key = form_key(client.get(page).get_data(as_text=True))
    response = submit(
        client,
        page,
        "/hq/areas/new",
        {"parent": places["District 1"].id, "kind": "province", "name": "استان", "reason": "آزمون", "form_key": key},
    )
    html = check_page(response, status=422)
    assert 'id="f-kind-error"' in html and not models.Area.select().where(models.Area.name == "استان").exists()


def test_headquarters_renames_and_moves_through_the_pages(client, people, places):
    sign_in(client, people["admin"].phone)
    bazaar = places["Bazaar"]
    page = f"/hq/areas/{bazaar.id}/rename"
    key = form_key(check_page(client.get(page)))
    response = submit(
        client, page, page, {"name": "بازار بزرگ", "name_en": "Grand Bazaar", "reason": "نام رسمی", "form_key": key}
    )
    assert response.status_code == 302 and models.Area.get_by_id(bazaar.id).name == "بازار بزرگ"
    page = f"/hq/areas/{bazaar.id}/move"
    html = check_page(client.get(page, query_string={"q": "منطقه ۱"}))
    assert f'value="{places["District 1"].id}"' in html
    assert f'value="{places["District 12"].id}"' not in html  # where it is now
    key = form_key(html)
    response = submit(client, page, page, {"other": "", "reason": "", "q": "منطقه", "form_key": key})
    html = check_page(response, status=422)
    assert 'id="f-other-error"' in html and 'id="f-reason-error"' in html
    response = submit(
        client, page, page, {"other": places["District 1"].id, "reason": "مرز تازه", "q": "منطقه", "form_key": key}
    )
    assert response.status_code == 302
    assert models.Area.get_by_id(bazaar.id).parent_id == places["District 1"].id


def test_a_merge_through_the_page_and_every_old_address_leads_to_the_survivor(client, people, places):
    old, survivor = places["Niavaran"], places["Tajrish"]
    post = make_post(people["resident"], old)
    sign_in(client, people["admin"].phone)
    page = f"/hq/areas/{old.id}/merge"
    html = check_page(client.get(page, query_string={"q": "تجریش"}))
    assert re.search(r"<th scope=\"row\">آگهی‌های تابلو</th><td class=\"num\">۱</td>", html)
    response = submit(
        client,
        page,
        page,
        {"other": survivor.id, "reason": "دو محله یکی شدند", "q": "تجریش", "form_key": form_key(html)},
    )
    assert response.status_code == 302 and response.location == f"/hq/areas/{survivor.id}"
    assert models.HelpPost.get_by_id(post.id).neighborhood_id == survivor.id
    for path, target in (
        (f"/areas/{old.id}", f"/areas/{survivor.id}"),
        (f"/board/?hood={old.id}&kind=request", f"/board/?hood={survivor.id}&kind=request"),
        (f"/hq/?area={old.id}", f"/hq/?area={survivor.id}"),
        (f"/ideas/?area={old.id}", f"/ideas/?area={survivor.id}"),
        (f"/hq/areas/{old.id}/rename", f"/hq/areas/{survivor.id}/rename"),
    ):
        response = client.get(path)
        assert response.status_code == 301, path
        assert response.location == target
    # A form sent to the old address is sent again to the survivor's.
    response = submit(client, f"/areas/{survivor.id}", f"/areas/{old.id}/choose", {})
    assert response.status_code == 308 and response.location == f"/areas/{survivor.id}/choose"
    # The old area's own page, for headquarters, says where it went; its history stays.
    html = check_page(client.get(f"/hq/areas/{old.id}"))
    assert f'href="/hq/areas/{survivor.id}"' in html
    html = check_page(client.get(f"/hq/areas/{old.id}/history"))
    assert "دو محله یکی شدند" in html


def test_a_merge_the_tree_refuses_says_why_beside_the_choice(client, people, places):
    sign_in(client, people["admin"].phone)
    for district in (places["District 1"], places["District 12"]):
        models.TimeAccount.create(kind="pool", area=district)
    page = f"/hq/areas/{places['District 12'].id}/merge"
    key = form_key(client.get(page).get_data(as_text=True))
    response = submit(
        client, page, page, {"other": places["District 1"].id, "reason": "یکی", "q": "منطقه", "form_key": key}
    )
    html = check_page(response, status=422)
    assert 'id="f-other-error"' in html and not models.AreaChange.select().exists()


def test_a_subtree_manager_keeps_their_subtree_and_nothing_else(app, client, people, places):
    city = places["District 1"].parent
    province = city.parent
    manager = people["social_worker"]
    areas_admin.add_manager(city, manager, people["admin"], "مدیر شهر", uuid.uuid4().hex)
    sign_in(client, manager.phone)
    assert "/hq/areas/" in client.get("/").get_data(as_text=True)
    for path in (
        f"/hq/areas/{places['District 1'].id}",
        f"/hq/areas/{city.id}/history",
        "/hq/centers/",
        f"/hq/areas/{places['Bazaar'].id}/move",
        f"/hq/?area={city.id}",
        "/hq/centers/unserved",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/hq/").location == f"/hq/?area={city.id}"
    for path in (
        f"/hq/areas/{province.id}",
        f"/hq/areas/{city.id}/merge",
        f"/hq/areas/{city.id}/managers",
        "/hq/areas/new",
        f"/hq/?area={province.id}",
    ):
        assert client.get(path).status_code == 403, path
    # The search never shows what lies outside the subtree.
    html = client.get("/hq/areas/", query_string={"q": "تهران"}).get_data(as_text=True)
    assert f'href="/hq/areas/{city.id}"' in html and f'href="/hq/areas/{province.id}"' not in html
    # Another staff member who manages nothing reaches none of it.
    other = app.test_client()
    sign_in(other, people["center_staff"].phone)
    assert other.get(f"/hq/areas/{places['District 1'].id}").status_code == 403


def test_headquarters_puts_a_county_under_a_manager_by_number(client, people, places):
    city = places["District 1"].parent
    sign_in(client, people["admin"].phone)
    page = f"/hq/areas/{city.id}/managers"
    key = form_key(check_page(client.get(page)))
    response = submit(client, page, page, {"phone": people["resident"].phone, "reason": "مدیر", "form_key": key})
    html = check_page(response, status=422)
    assert 'id="f-phone-error"' in html
    response = submit(client, page, page, {"phone": "۰۹۱۲ ۰۰۰ ۰۰۰۶", "reason": "مدیر", "form_key": key})
    assert response.status_code == 302
    assert areas_admin.manages(people["social_worker"], places["Bazaar"])


def test_odd_input_on_the_tree_pages_is_never_a_500(client, people, places):
    sign_in(client, people["admin"].phone)
    odd = ("²", "1" * 5000, "-1", "۱۲", "", "abc")
    area = places["Tajrish"].id
    for value in odd:
        for path in (
            "/hq/areas/",
            "/hq/areas/new",
            f"/hq/areas/{area}/move",
            f"/hq/areas/{area}",
            "/hq/centers/unserved",
            "/hq/centers/",
            "/hq/centers/new",
        ):
            response = client.get(path, query_string={"q": value, "page": value, "parent": value, "area": value})
            assert response.status_code < 500, (path, value[:10])
        response = submit(
            client, f"/hq/areas/{area}/merge", f"/hq/areas/{area}/merge", {"other": value, "reason": value}
        )
        assert response.status_code < 500


def test_a_closed_center_leaves_members_lists_and_keeps_its_page(client, people, places):
    center = centers.open_center(places["Tajrish"], people["admin"], uuid.uuid4().hex, name="مرکز تجریش")
    assert f"/centers/{center.id}" in client.get(f"/areas/{places['Tajrish'].id}").get_data(as_text=True)
    centers.close_center(center, people["admin"], "ساختمان تعمیر می‌شود")
    assert f"/centers/{center.id}" not in client.get(f"/areas/{places['Tajrish'].id}").get_data(as_text=True)
    assert client.get(f"/centers/{center.id}").status_code == 200


def test_a_place_with_many_children_is_paged_and_found_by_any_spelling(client, people, places):
    district = places["District 12"]
    for number in range(60):
        models.Area.add(district, "neighborhood", f"کوی یاس {number}", "", f"کوییاس{number}")
    sign_in(client, people["admin"].phone)
    html = check_page(client.get(f"/hq/areas/{district.id}"))
    assert html.count(">کوی یاس ") == 49 and ">بازار<" in html and "صفحهٔ ۱ از ۲" in html
    html = check_page(client.get(f"/hq/areas/{district.id}", query_string={"page": "2"}))
    assert html.count(">کوی یاس ") == 11
    # Typed with Arabic ي and ك and Arabic-Indic digits, found all the same.
    html = check_page(client.get("/hq/areas/", query_string={"q": "كوي ياس ٥٩"}))
    assert html.count(">کوی یاس ") == 1 and ">کوی یاس ۵۹<" in html
