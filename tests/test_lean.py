"""The lean request path: a guest's public page starts no session and sets no
cookie, yet its forms carry a token; the templates' translations follow the
locale and force_locale; the kept center pages and organization directory are
never stale, whatever process or statement changed the rows under them."""

import datetime
import gzip
import re
import uuid

import pytest
from flask import render_template_string
from flask_babel import force_locale

import models
from hamsayeh.domain import accounts, board, centers, demo, organizations
from tests.conftest import CSRF_PATTERN, sign_in, submit
from tests.factories import activity, make_post
from tests.pages import check_page

COUNTY = {"name": "دماوند", "name_en": "Damavand", "kind": "county"}


@pytest.fixture
def county(places):
    demo.add_area(places["Tajrish"].ancestors()[0], COUNTY)
    return models.Area.get(models.Area.kind == "county")


@pytest.fixture
def center(people, places):
    item = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش", address="میدان تجریش")
    accounts.set_work_center(people["center_staff"], item, people["admin"])
    return item


def add_program(center, actor, title, starts_in):
    return centers.add_program(
        center,
        actor,
        uuid.uuid4().hex,
        title=title,
        activity_type=activity("children"),
        starts_at=models.utcnow() + starts_in,
        capacity=10,
    )


# --- A guest's page: no session, no cookie, and still a token in every form ---------------


def public_pages(places, center):
    return ["/", "/board/", f"/board/?hood={places['Niavaran'].id}", "/orgs/", f"/centers/{center.id}", "/simple/"]


def test_a_guests_public_page_sets_no_cookie_and_stores_no_session(app, people, places, center):
    guest = app.test_client()
    guest.set_cookie("hood", str(places["Tajrish"].id))  # a guest who chose a neighborhood
    for page in public_pages(places, center):
        response = guest.get(page, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, page
        assert "Set-Cookie" not in response.headers, (page, response.headers.get("Set-Cookie"))
        html = check_page(guest.get(page))
        tokens = CSRF_PATTERN.findall(html)
        assert tokens and all(token.startswith("light.") for token in tokens), page
    assert models.Session.select().count() == 0


def test_a_light_token_switches_the_language_from_this_site_only(app, db, places, center):
    guest = app.test_client()
    token = CSRF_PATTERN.search(guest.get(f"/centers/{center.id}").get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "language": "en", "next": "/orgs/"}
    # Sent from another site: the browser says so, and the form is refused.
    for header in (
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/x"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        refused = guest.post("/language", data=form, headers=header)
        assert refused.status_code == 400 and "Set-Cookie" not in refused.headers
    # The same form from this site switches the language (and sets that cookie only).
    answer = guest.post("/language", data=form, headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 302 and answer.location == "/orgs/"
    assert [c.split("=")[0] for c in answer.headers.getlist("Set-Cookie")] == ["lang"]
    assert 'lang="en"' in guest.get("/orgs/").get_data(as_text=True)
    # A tampered token, and the light token on any other form, are refused.
    assert guest.post("/language", data={**form, "csrf_token": token[:-2] + "xx"}).status_code == 400
    sign_in_form = {"csrf_token": token, "phone": "09120000001", "pin": "2580"}
    assert guest.post("/account/sign-in", data=sign_in_form).status_code == 400


def test_a_member_and_a_guest_with_a_session_keep_the_sessions_token(client, people):
    sign_in(client, people["resident"].phone)
    html = client.get("/").get_data(as_text=True)
    tokens = set(CSRF_PATTERN.findall(html))
    assert len(tokens) == 1 and not tokens.pop().startswith("light.")
    # A light token does not stand in for a member's.
    light = CSRF_PATTERN.search(client.application.test_client().get("/").get_data(as_text=True)).group(1)
    assert client.post("/language", data={"csrf_token": light, "language": "en"}).status_code == 400
    assert submit(client, "/", "/language", {"language": "en", "next": "/"}).status_code == 302


# --- Translations: per render, for the locale in force ----------------------------------------


def test_templates_translate_in_the_locale_of_the_request_and_of_force_locale(app, client, db):
    assert "ورود" in client.get("/").get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in english and "Sign in" in english and "ورود" not in english
    template = '{{ _("Sign in") }}|{{ ngettext("%(num)s h", "%(num)s h", 3) }}|{{ _("Sign in %(x)s", x="<b>") }}'
    with app.test_request_context("/"):
        persian = render_template_string(template)
        with force_locale("en"):
            assert render_template_string(template) == "Sign in|3 h|Sign in &lt;b&gt;"
        assert render_template_string(template) == persian
    assert persian.startswith("ورود|")


def test_a_macros_strings_follow_the_locale_too(client, db):
    # The orgs directory's selects come from macros/forms.html, imported without context.
    assert "همه" in client.get("/orgs/").get_data(as_text=True)
    client.set_cookie("lang", "en")
    assert ">All<" in client.get("/orgs/").get_data(as_text=True)


# --- Kept pages are never stale ---------------------------------------------------------


def test_the_organization_directory_shows_every_change_at_once(client, people, county):
    assert "خیریهٔ نخست" not in client.get("/orgs/").get_data(as_text=True)
    org = organizations.open_organization("خیریهٔ نخست", "charity", county, people["charity_staff"], people["admin"])
    assert "خیریهٔ نخست" in check_page(client.get("/orgs/"))
    organizations.set_organization_lists(org, [], [], people["admin"], name="خیریهٔ دوم")
    html = check_page(client.get("/orgs/"))
    assert "خیریهٔ دوم" in html and "خیریهٔ نخست" not in html
    # Another process, or anyone writing to the database: the triggers see it.
    assert "خیریهٔ دوم" not in client.get("/orgs/?kind=ngo").get_data(as_text=True)
    models.db.execute_sql(f'UPDATE "organization" SET "kind" = {models.db.param}', ("ngo",))
    assert "خیریهٔ دوم" in client.get("/orgs/?kind=ngo").get_data(as_text=True)
    assert "خیریهٔ دوم" not in client.get("/orgs/?kind=charity").get_data(as_text=True)


def test_a_centers_page_shows_every_change_at_once(client, people, places, center):
    page = f"/centers/{center.id}"
    html = check_page(client.get(page))
    assert "کاربر center_staff" in html and "۰ نیاز باز" in html
    # A program, then its cancelling.
    program = add_program(center, people["center_staff"], "حلقهٔ کتاب‌خوانی", datetime.timedelta(days=2))
    assert "حلقهٔ کتاب‌خوانی" in client.get(page).get_data(as_text=True)
    centers.cancel_program(program, people["center_staff"], "سالن تعمیر می‌شود")
    assert "حلقهٔ کتاب‌خوانی" not in client.get(page).get_data(as_text=True)
    # Its staff: a new name, then another center.
    accounts.update_profile(people["center_staff"], name="حسین کریمی")
    assert "حسین کریمی" in client.get(page).get_data(as_text=True)
    accounts.set_work_center(people["center_staff"], None, people["admin"])
    assert "حسین کریمی" not in client.get(page).get_data(as_text=True)
    # The needs around it: posted, then cancelled.
    post = make_post(people["resident"], places["Niavaran"])
    assert "۱ نیاز باز" in client.get(page).get_data(as_text=True)
    board.cancel_post(post, people["resident"])
    assert "۰ نیاز باز" in client.get(page).get_data(as_text=True)
    # The center itself, changed by a statement from elsewhere.
    models.db.execute_sql(f'UPDATE "center" SET "address" = {models.db.param}', ("خیابان شریعتی",))
    assert "خیابان شریعتی" in client.get(page).get_data(as_text=True)


def test_a_centers_page_moves_its_programs_along_as_time_passes(client, people, center, monkeypatch):
    page = f"/centers/{center.id}"
    add_program(center, people["center_staff"], "کارگاه فردا", datetime.timedelta(days=1))
    add_program(center, people["center_staff"], "کارگاه ماه بعد", datetime.timedelta(days=10))
    html = client.get(page).get_data(as_text=True)
    assert html.index("کارگاه فردا") < html.index("بعدتر") < html.index("کارگاه ماه بعد")
    # Four days on, with no write at all: next month's comes within the week.
    later = models.utcnow() + datetime.timedelta(days=4)
    monkeypatch.setattr(models, "utcnow", lambda: later)
    monkeypatch.setattr(centers, "utcnow", lambda: later)
    html = client.get(page).get_data(as_text=True)
    assert "کارگاه فردا" not in html and "بعدتر" not in html and "کارگاه ماه بعد" in html


def test_the_kept_parts_differ_by_language_and_leave_the_staff_part_to_each_viewer(client, people, center):
    page = f"/centers/{center.id}"
    assert "Add a program" not in client.get(page).get_data(as_text=True)
    sign_in(client, people["center_staff"].phone)
    staff_html = client.get(page).get_data(as_text=True)
    assert re.search(r"href=\"/centers/\d+/programs/new\"", staff_html)
    guest = client.application.test_client()
    guest.set_cookie("lang", "en")
    english = guest.get(page).get_data(as_text=True)
    assert "open needs around the center" in english and "/programs/new" not in english


def test_compressed_pages_decode_to_the_page(client, people, places, center):
    """Pages compressed from a kept opening (the stylesheet) are whole gzip streams."""
    client.set_cookie("hood", str(places["Tajrish"].id))
    for page in ("/", f"/centers/{center.id}", "/board/", "/orgs/", "/areas/"):
        for text_size in ("t0c0s0", "t2c1s0"):  # two openings of the page
            client.set_cookie("prefs", text_size)
            plain = client.get(page).get_data()
            packed = client.get(page, headers={"Accept-Encoding": "gzip"})
            assert packed.headers["Content-Encoding"] == "gzip", page
            assert gzip.decompress(packed.get_data()) == plain, page


# Each table whose writes a kept page must see, and the revision that covers it.
REVISED_TABLES = {"organization": "organizations", "center": "centers", "program": "centers"}


def test_every_write_to_a_kept_pages_tables_raises_its_revision(db, people, places, center, county):
    """Whatever writes (a domain operation, another process, an operator's
    statement), triggers raise the number; a migration that rebuilds one of
    these tables must make its triggers again."""
    organizations.open_organization("خیریهٔ نخست", "charity", county, people["charity_staff"], people["admin"])
    add_program(center, people["center_staff"], "حلقهٔ کتاب‌خوانی", datetime.timedelta(days=2))
    for table, name in REVISED_TABLES.items():
        before = models.revision(name)
        db.execute_sql(f'UPDATE "{table}" SET "id" = "id"')
        assert models.revision(name) > before, f"a write to {table} leaves the {name!r} revision where it was"
    # A member's row: only a center's staff, and only what its page shows.
    before = models.revision("centers")
    accounts.update_profile(people["resident"], name="همسایهٔ تازه")
    assert models.revision("centers") == before
    accounts.update_profile(people["center_staff"], text_size=2)
    assert models.revision("centers") == before
    accounts.update_profile(people["center_staff"], name="حسین کریمی")
    assert models.revision("centers") > before


def test_the_guests_kept_header_follows_the_language_and_never_reaches_a_member(app, client, people):
    guest = app.test_client()
    assert ">ورود<" in guest.get("/").get_data(as_text=True)
    guest.set_cookie("lang", "en")
    assert ">Sign in<" in guest.get("/orgs/").get_data(as_text=True)
    sign_in(client, people["admin"].phone)
    member = client.get("/").get_data(as_text=True)
    assert ">ورود<" not in member and "/hq/" in member
    assert ">ورود<" in app.test_client().get("/").get_data(as_text=True)


# --- A guest's whole board page, kept by each process -------------------------------------


def guest_page(client, path="/board/", **headers):
    response = client.get(path, headers={"Accept-Encoding": "gzip", **headers})
    assert response.status_code == 200
    return gzip.decompress(response.get_data()).decode() if response.content_encoding == "gzip" else response.text


def kept_boards(app):
    return app.extensions["fragment_caches"]["guest-page:board"].entries


@pytest.fixture
def no_kept_boards(app):
    """This test's kept pages only (the application lives for the whole run)."""
    app.extensions.setdefault("fragment_caches", {}).pop("guest-page:board", None)


def test_a_guests_board_is_kept_whole_and_changes_with_every_new_post(app, people, places, no_kept_boards):
    guest = app.test_client()
    guest.set_cookie("hood", str(places["Tajrish"].id))
    first = guest_page(guest)
    assert len(kept_boards(app)) == 1
    assert guest_page(guest) == first
    # A post written by any process raises the district's revision: the next page shows it.
    make_post(people["resident"], places["Niavaran"], text="نیاز به همراه برای رفتن به درمانگاه")
    assert "همراه برای رفتن به درمانگاه" in guest_page(guest)
    # Another neighborhood, another language: pages of their own.
    guest.set_cookie("hood", str(places["Bazaar"].id))
    assert "درمانگاه" not in guest_page(guest)
    guest.set_cookie("lang", "en")
    assert 'lang="en"' in guest_page(guest)
    assert len(kept_boards(app)) == 3


def test_the_kept_board_never_reaches_a_member_or_a_session(app, client, people, places, no_kept_boards):
    guest = app.test_client()
    guest.set_cookie("hood", str(places["Tajrish"].id))
    guest_page(guest)
    sign_in(client, people["admin"].phone)
    member = guest_page(client)
    assert "/hq/" in member and ">ورود<" not in member
    # A guest whose browser holds a session (a flashed message, its own form token) gets a page made for it.
    submit(guest, "/account/sign-in", "/account/sign-in", {"phone": "09120000999", "pin": "0000"})
    assert "hamsayeh_session" in {cookie.key for cookie in guest._cookies.values()}
    guest_page(guest)
    assert len(kept_boards(app)) == 1
    # A boosted link's page, without the stylesheet, is kept apart from the first visit's.
    fresh = app.test_client()
    fresh.set_cookie("hood", str(places["Tajrish"].id))
    boosted = guest_page(fresh, **{"HX-Request": "true"})
    assert "<style>" not in boosted and "<style>" in guest_page(fresh)
    assert guest_page(fresh, **{"HX-Request": "true"}) == boosted
    assert len(kept_boards(app)) == 2


def test_the_kept_boards_light_token_still_switches_the_language(app, places):
    guest = app.test_client()
    guest.set_cookie("hood", str(places["Tajrish"].id))
    guest_page(guest)
    html = guest_page(guest)  # from the process's copy
    token = re.search(r'action="/language".*?name="csrf_token" value="([^"]+)"', html, re.S).group(1)
    response = guest.post(
        "/language",
        data={"csrf_token": token, "language": "en", "next": "/board/"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 302
    assert 'lang="en"' in guest_page(guest)


def test_a_guests_home_is_kept_and_shows_a_new_center_at_once(app, people, places):
    app.extensions.setdefault("fragment_caches", {}).pop("guest-page:home", None)
    guest = app.test_client()
    guest.set_cookie("hood", str(places["Niavaran"].id))
    first = guest_page(guest, "/")
    assert guest_page(guest, "/") == first
    assert len(app.extensions["fragment_caches"]["guest-page:home"].entries) == 1
    models.Center.create(area=places["Niavaran"], name="مرکز مثبت زندگی نیاوران", address="خیابان باهنر")
    assert "مرکز مثبت زندگی نیاوران" in guest_page(guest, "/")
