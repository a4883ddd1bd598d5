"""Headquarters keeps the centers (issue 18): opening, editing, staff, the
neighborhoods a center serves (which "my center" honors), closing without
losing history, and the neighborhoods no center serves, nearest first."""

import re
import uuid

import models
from hamsayeh.domain import areas_admin, centers
from tests.conftest import sign_in, submit
from tests.factories import person
from tests.pages import check_page


def key():
    return uuid.uuid4().hex


def open_at(area, name, admin):
    return centers.open_center(area, admin, key(), name=name)


def form_key(html):
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


# --- "My center" honors the neighborhoods a center serves, and never a closed one -----------


def test_a_center_set_to_serve_a_neighborhood_is_its_members_center(people, places):
    admin = people["admin"]
    tajrish = open_at(places["Tajrish"], "مرکز تجریش", admin)
    niavaran = open_at(places["Niavaran"], "مرکز نیاوران", admin)
    neighbor = person("09135550010", neighborhood=places["Bazaar"])
    # No center in Bazaar's district: the nearest up the tree, the first registered.
    assert centers.home_center(neighbor).id == tajrish.id
    centers.serve_neighborhood(niavaran, places["Bazaar"], admin)
    assert centers.home_center(neighbor).id == niavaran.id
    assert places["Bazaar"].id in [area.id for area in centers.center_neighborhoods(niavaran)]
    # A center in the neighborhood itself comes before one set to serve it.
    own = open_at(places["Bazaar"], "مرکز بازار", admin)
    assert centers.home_center(neighbor).id == own.id
    centers.close_center(own, admin, "تعمیر")
    assert centers.home_center(neighbor).id == niavaran.id
    centers.close_center(niavaran, admin, "تعمیر")
    assert centers.home_center(neighbor).id == tajrish.id
    centers.reopen_center(own, admin, "تعمیر تمام شد")
    assert centers.home_center(neighbor).id == own.id
    assert {c.id for c in models.Center.within(places["Tajrish"].parent.parent)} == {tajrish.id, own.id}


def test_closing_keeps_the_center_its_programs_and_its_reason(people, places):
    center = open_at(places["Tajrish"], "مرکز تجریش", people["admin"])
    centers.close_center(center, people["admin"], "ساختمان تعمیر می‌شود")
    closed = models.Center.get_by_id(center.id)
    assert closed.closed_at is not None and closed.closed_reason == "ساختمان تعمیر می‌شود"
    try:
        centers.close_center(center, people["admin"], "دوباره")
    except centers.CenterError as problem:
        assert problem.code == "closed"
    else:
        raise AssertionError("a closed center was closed again")
    actions = [e.action for e in models.AuditEntry.select().where(models.AuditEntry.subject == f"center:{center.id}")]
    assert actions == ["center.opened", "center.closed"]


# --- The neighborhoods no center serves ---------------------------------------------------------


def test_unserved_neighborhoods_come_nearest_first_with_their_nearest_center(people, places):
    admin = people["admin"]
    tajrish = open_at(places["Tajrish"], "مرکز تجریش", admin)
    district_12 = places["District 12"]
    pamenar = areas_admin.add_area(district_12, "neighborhood", "پامنار", "Pamenar", admin, "تازه", key()).area
    province = places["Tajrish"].ancestors()[0]
    rey = areas_admin.add_area(province, "city", "ری", "Rey", admin, "تازه", key()).area
    far = areas_admin.add_area(rey, "neighborhood", "کوی نیک", "Kuy-e Nik", admin, "تازه", key()).area
    rows = centers.unserved_neighborhoods()
    assert [row["neighborhood"].id for row in rows] == [places["Bazaar"].id, pamenar.id, far.id]
    # Bazaar › District 12 › Tehran › District 1 › Tajrish; Kuy-e Nik › Rey › the province › Tehran › District 1 › Tajrish.
    assert [row["steps"] for row in rows] == [4, 4, 5]
    assert {row["center"].id for row in rows} == {tajrish.id}
    assert rows[0]["district"].id == district_12.id
    # Typed with Arabic letters, found all the same.
    assert [row["neighborhood"].id for row in centers.unserved_neighborhoods(text="كوي")] == [far.id]
    # Within a manager's subtree only.
    assert [row["neighborhood"].id for row in centers.unserved_neighborhoods(within=[rey])] == [far.id]
    centers.serve_neighborhood(tajrish, places["Bazaar"], admin)
    hub = open_at(far, "سرای محلهٔ کوی نیک", admin)
    assert [row["neighborhood"].id for row in centers.unserved_neighborhoods()] == [pamenar.id]
    centers.close_center(hub, admin, "تعطیل")
    assert far.id in [row["neighborhood"].id for row in centers.unserved_neighborhoods()]


def test_the_unserved_page_is_paged_and_offers_to_open_a_center(client, people, places):
    admin = people["admin"]
    open_at(places["Tajrish"], "مرکز تجریش", admin)
    for number in range(60):
        models.Area.add(places["District 12"], "neighborhood", f"محلهٔ {number}", "", f"محله{number}")
    sign_in(client, admin.phone)
    html = check_page(client.get("/hq/centers/unserved"))
    assert "صفحهٔ ۱ از ۲" in html
    assert f'href="/hq/centers/new?area={places["Bazaar"].id}"' in html
    html = check_page(client.get("/hq/centers/unserved", query_string={"page": "۲"}))
    assert html.count('href="/hq/centers/new?area=') == 11
    html = check_page(client.get("/hq/centers/new", query_string={"area": places["Bazaar"].id}))
    assert f'name="area" value="{places["Bazaar"].id}"' in html


# --- Opening and editing through the pages ----------------------------------------------------------


def test_headquarters_opens_a_center_and_each_wrong_field_says_why(client, people, places):
    sign_in(client, people["admin"].phone)
    page = f"/hq/centers/new?area={places['Bazaar'].id}"
    key_ = form_key(check_page(client.get(page)))
    wrong = {
        "area": places["Bazaar"].id,
        "kind": "mosque_hall",
        "name": "",
        "address": "خیابان ۱۵ خرداد",
        "phone": "۱۲۳",
        "latitude": "۵۱٫۴",
        "longitude": "",
        "form_key": key_,
    }
    html = check_page(submit(client, page, "/hq/centers/new", wrong), status=422)
    for field in ("name", "phone", "longitude"):
        assert f'id="f-{field}-error"' in html, field
    assert 'value="خیابان 15 خرداد"' in html  # input is kept normalized, in Latin digits
    outside = {**wrong, "name": "حسینیهٔ بازار", "phone": "021-5561 2345", "latitude": "48.85", "longitude": "2.35"}
    html = check_page(submit(client, page, "/hq/centers/new", outside), status=422)
    assert 'id="f-latitude-error"' in html and 'id="f-phone-error"' not in html
    right = {**outside, "latitude": "۳۵٫۶۷۴", "longitude": "51.4234"}
    first = submit(client, page, "/hq/centers/new", right)
    again = submit(client, page, "/hq/centers/new", right)
    center = models.Center.get(models.Center.name == "حسینیهٔ بازار")
    assert first.status_code == again.status_code == 302 and models.Center.select().count() == 1
    assert (center.kind, center.phone, center.latitude, center.longitude) == (
        "mosque_hall",
        "02155612345",
        35.674,
        51.4234,
    )
    other_form = {**right, "form_key": key()}
    html = check_page(submit(client, page, "/hq/centers/new", other_form), status=422)
    assert 'id="f-name-error"' in html


def test_center_staff_edit_their_own_centers_details_and_nothing_more(app, client, people, places):
    own = open_at(places["Tajrish"], "مرکز تجریش", people["admin"])
    other = open_at(places["Niavaran"], "مرکز نیاوران", people["admin"])
    centers.assign_staff(own, people["center_staff"], people["admin"])
    sign_in(client, people["center_staff"].phone)
    page = f"/hq/centers/{own.id}/edit"
    html = check_page(client.get(page))
    assert 'name="kind"' not in html and "staff_phone" not in html
    data = {"name": "مرکز مثبت زندگی تجریش", "hours": "شنبه تا چهارشنبه", "kind": "school", "form_key": form_key(html)}
    assert submit(client, page, page, data).status_code == 302
    saved = models.Center.get_by_id(own.id)
    assert (saved.name, saved.hours, saved.kind) == ("مرکز مثبت زندگی تجریش", "شنبه تا چهارشنبه", "mosbat_center")
    token_page = page
    for path, data in (
        (f"/hq/centers/{own.id}/close", {"reason": "بستن"}),
        (f"/hq/centers/{own.id}/staff", {"staff_phone": people["resident"].phone}),
        (f"/hq/centers/{own.id}/served", {"area": places["Bazaar"].id}),
        (f"/hq/centers/{own.id}/place", {"area": places["Bazaar"].id}),
        (f"/hq/centers/{other.id}/edit", {"name": "ربوده"}),
    ):
        assert submit(client, token_page, path, data).status_code == 403, path
    assert client.get(f"/hq/centers/{other.id}/edit").status_code == 403
    assert models.Center.get_by_id(own.id).closed_at is None


def test_headquarters_names_staff_closes_and_reopens_through_the_page(client, people, places):
    center = open_at(places["Tajrish"], "مرکز تجریش", people["admin"])
    newcomer = person("09135550011", "همکار تازه", neighborhood=places["Tajrish"])
    sign_in(client, people["admin"].phone)
    page = f"/hq/centers/{center.id}/edit"
    response = submit(client, page, f"/hq/centers/{center.id}/staff", {"staff_phone": "۰۹۱۳۵۵۵۰۰۱۱"})
    assert response.status_code == 302
    member = models.User.get_by_id(newcomer.id)
    assert member.work_center_id == center.id and "center_staff" in member.roles()
    html = check_page(submit(client, page, f"/hq/centers/{center.id}/staff", {"staff_phone": "0913"}), status=422)
    assert 'id="f-staff_phone-error"' in html
    html = check_page(submit(client, page, f"/hq/centers/{center.id}/close", {"reason": ""}), status=422)
    assert 'id="f-reason-error"' in html and models.Center.get_by_id(center.id).closed_at is None
    assert submit(client, page, f"/hq/centers/{center.id}/close", {"reason": "تعمیر"}).status_code == 302
    assert "تعمیر" in check_page(client.get(page))
    assert submit(client, page, f"/hq/centers/{center.id}/reopen", {"reason": "باز شد"}).status_code == 302
    assert models.Center.get_by_id(center.id).closed_at is None
    response = submit(client, page, f"/hq/centers/{center.id}/staff/{newcomer.id}/remove", {})
    assert response.status_code == 302
    member = models.User.get_by_id(newcomer.id)
    assert member.work_center_id is None and "center_staff" not in member.roles()


def test_served_neighborhoods_are_chosen_by_search_and_removed(client, people, places):
    center = open_at(places["Tajrish"], "مرکز تجریش", people["admin"])
    sign_in(client, people["admin"].phone)
    page = f"/hq/centers/{center.id}/served"
    html = check_page(client.get(page, query_string={"q": "بازار"}))
    assert f'value="{places["Bazaar"].id}"' in html
    assert submit(client, page, page, {"area": places["Bazaar"].id}).status_code == 302
    assert centers.served_area_ids(center) == [places["Bazaar"].id]
    html = check_page(submit(client, page, page, {"area": places["District 12"].id}), status=422)
    assert 'id="f-area-error"' in html
    assert submit(client, page, f"{page}/{places['Bazaar'].id}/remove", {}).status_code == 302
    assert centers.served_area_ids(center) == []


def test_a_centers_kept_page_follows_its_served_neighborhoods_and_its_closing(client, people, places):
    """Each process keeps a center's page (web/cache.py) while the centers'
    revision holds: setting a neighborhood to serve, or closing, moves it."""
    center = open_at(places["Tajrish"], "مرکز تجریش", people["admin"])
    # Bazaar has no center of its own; the one of its district is nearer than Tajrish's.
    nearer = open_at(places["District 12"], "مرکز منطقهٔ دوازده", people["admin"])
    page = f"/centers/{center.id}"
    assert "بازار" not in client.get(page).get_data(as_text=True)
    centers.serve_neighborhood(center, places["Bazaar"], people["admin"])
    assert "بازار" in client.get(page).get_data(as_text=True)
    centers.stop_serving(center, places["Bazaar"], people["admin"])
    assert "بازار" not in client.get(page).get_data(as_text=True)
    # Closing the nearer center gives Bazaar to the nearest open one, up the tree.
    assert "بازار" in client.get(f"/centers/{nearer.id}").get_data(as_text=True)
    centers.close_center(nearer, people["admin"], "تعمیر")
    assert "بازار" in client.get(page).get_data(as_text=True)
    assert "بازار" not in client.get(f"/centers/{nearer.id}").get_data(as_text=True)
