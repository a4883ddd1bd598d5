"""Crisis mode for an area (issue 22): who may declare and end it, the banner
and the board while it is on, volunteers asked and answering by a tap or an
SMS, teams checking in and out, places and offers, the coordinator's page and
PDF, and the record that stays when it ends."""

import datetime
import gzip
import random
import re
import subprocess
import threading
import uuid

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import audit, crisis, crisis_callout, crisis_places, demo, sms_commands
from tests.conftest import sign_in, submit
from tests.factories import assembly, make_post, person, volunteer
from tests.pages import check_page
from tests.printing import pdf_text_and_fonts, squeezed

DAMAVAND = {
    "name": "دماوند",
    "name_en": "Damavand",
    "kind": "county",
    "children": [
        {
            "name": "دماوند",
            "name_en": "Damavand",
            "kind": "city",
            "children": [
                {"name": "گیلاوند", "name_en": "Gilavand", "kind": "neighborhood"},
                {"name": "مرکز شهر", "name_en": "City center", "kind": "neighborhood"},
            ],
        },
        {
            "name": "رودهن",
            "name_en": "Rudehen",
            "kind": "city",
            "children": [{"name": "شهرک زاگرس", "name_en": "Zagros", "kind": "neighborhood"}],
        },
    ],
}


def named(name_en):
    return models.Area.get(models.Area.name_en == name_en)


@pytest.fixture
def county(places, people):
    """Damavand county, its assembly and its coordinator."""
    demo.add_area(places["Tajrish"].ancestors()[0], DAMAVAND)
    area = models.Area.get(models.Area.kind == "county")
    made = assembly(area, "مجمع خیریه‌های دماوند")
    coordinator = person("09123330001", "هماهنگ‌کنندهٔ دماوند", neighborhood=named("Gilavand"))
    models.Assembly.update(coordinator=coordinator).where(models.Assembly.id == made.id).execute()
    return {"area": area, "coordinator": coordinator, "assembly": made}


def declare_form(area, **fields):
    return {
        "area": str(area.id),
        "form_key": uuid.uuid4().hex,
        "kind": "flood",
        "started_on": persian.format_jalali_input(persian.tehran_time(models.utcnow()).date()),
        "what_to_do": "از کنار رودخانه دور شوید و به جای بلند بروید.",
        "where_to_go": "مسجد جامع دماوند، خیابان امام",
        **fields,
    }


def declared(county, **fields):
    return crisis.declare(
        county["coordinator"],
        county["area"],
        uuid.uuid4().hex,
        **{
            "kind": "flood",
            "what_to_do": "از کنار رودخانه دور شوید و به جای بلند بروید.",
            "where_to_go": "مسجد جامع دماوند، خیابان امام",
            "started_on": datetime.date.today(),
            **fields,
        },
    )


# --- Declaring and ending: headquarters and the area's coordinator alone, audited ----------


def test_the_coordinator_declares_a_crisis_in_the_assemblys_area_once_and_it_is_audited(client, county):
    sign_in(client, county["coordinator"].phone)
    page = f"/crisis/declare?area={county['area'].id}"
    check_page(client.get(page))
    form = declare_form(county["area"])
    response = submit(client, page, "/crisis/declare", form)
    assert response.status_code == 302
    again = submit(client, page, "/crisis/declare", form)  # the same form sent twice
    assert again.status_code == 302 and again.headers["Location"] == response.headers["Location"]
    assert models.Crisis.select().count() == 1
    item = models.Crisis.get()
    assert [area.id for area in crisis.hit_areas(item)] == [county["area"].id]
    entry = models.AuditEntry.get(models.AuditEntry.action == "crisis_declared")
    assert entry.actor_id == county["coordinator"].id and entry.subject == f"crisis:{item.id}"
    assert audit.verify_audit_chain() is None


def test_headquarters_declares_anywhere_and_names_the_areas_hit(client, county, people):
    sign_in(client, people["admin"].phone)
    rudehen = named("Rudehen")
    page = f"/crisis/declare?area={county['area'].id}"
    assert "رودهن" in client.get(page).get_data(as_text=True)
    form = declare_form(county["area"], hit=str(rudehen.id))
    assert submit(client, page, "/crisis/declare", form).status_code == 302
    item = models.Crisis.get()
    assert [area.id for area in crisis.hit_areas(item)] == [rudehen.id]


@pytest.mark.parametrize("role", ["resident", "volunteer", "facilitator", "center_staff"])
def test_other_roles_may_not_declare_or_end(client, county, people, role):
    item = declared(county)
    sign_in(client, people[role].phone)
    assert client.get(f"/crisis/declare?area={county['area'].id}").status_code == 403
    token_page = "/inbox/"
    assert submit(client, token_page, "/crisis/declare", declare_form(county["area"])).status_code == 403
    assert submit(client, token_page, f"/crisis/{item.id}/end", {}).status_code == 403
    assert client.get(f"/crisis/{item.id}").status_code == 403
    assert models.Crisis.select().count() == 1 and models.Crisis.get().ended_at is None


def test_a_coordinator_may_not_declare_outside_the_assemblys_area(client, county, places):
    sign_in(client, county["coordinator"].phone)
    tehran = places["Tajrish"].parent  # District 1 of Tehran
    assert client.get(f"/crisis/declare?area={tehran.id}").status_code == 403
    response = submit(client, "/inbox/", "/crisis/declare", declare_form(tehran))
    assert response.status_code == 403 and models.Crisis.select().count() == 0
    listed = check_page(client.get("/crisis/declare"))
    assert "دماوند" in listed and "منطقه ۱" not in listed


def test_a_wrong_declaration_says_why_beside_each_field_and_writes_nothing(client, county):
    sign_in(client, county["coordinator"].phone)
    page = f"/crisis/declare?area={county['area'].id}"
    form = declare_form(county["area"], kind="volcano", what_to_do="برو", where_to_go="", started_on="۱۴۰۵/۱۳/۴۰")
    response = submit(client, page, "/crisis/declare", form)
    html = check_page(response, status=422)
    for name in ("kind", "what_to_do", "where_to_go", "started_on"):
        assert f'id="f-{name}-error"' in html and f'href="#f-{name}"' in html
    assert "برو" in html  # what was typed comes back
    assert models.Crisis.select().count() == 0


def test_a_second_crisis_for_the_same_area_is_refused_until_the_first_ends(client, county):
    first = declared(county)
    sign_in(client, county["coordinator"].phone)
    page = f"/crisis/declare?area={county['area'].id}"
    response = submit(client, page, "/crisis/declare", declare_form(county["area"]))
    assert response.status_code == 422 and 'id="f-kind-error"' in response.get_data(as_text=True)
    assert models.Crisis.select().count() == 1
    crisis.end(county["coordinator"], first)
    assert submit(client, page, "/crisis/declare", declare_form(county["area"])).status_code == 302
    assert models.Crisis.select().count() == 2


def test_everyone_sees_the_crises_on_and_only_who_runs_them_their_pages(app, client, county, people):
    item = declared(county)
    guest = check_page(app.test_client().get("/crisis/"))
    assert "مسجد جامع دماوند" in guest and f'/crisis/{item.id}"' not in guest
    sign_in(client, county["coordinator"].phone)
    html = check_page(client.get("/crisis/"))
    assert f'href="/crisis/{item.id}"' in html and "/crisis/declare" in html
    crisis.end(county["coordinator"], item)
    html = check_page(client.get("/crisis/"))
    assert f'href="/crisis/{item.id}/record"' in html  # the past crisis, for who ran it
    assert f"/crisis/{item.id}/record" not in app.test_client().get("/crisis/").get_data(as_text=True)


def test_ending_is_audited_and_happens_once(county):
    item = declared(county)
    crisis.end(county["coordinator"], item)
    with pytest.raises(crisis.CrisisError):
        crisis.end(county["coordinator"], models.Crisis.get_by_id(item.id))
    assert models.AuditEntry.select().where(models.AuditEntry.action == "crisis_ended").count() == 1


# --- While it is on: the banner, the board, the new kinds of need ---------------------------


def test_the_banner_shows_on_pages_of_the_areas_hit_only_while_the_crisis_is_on(app, client, county, places):
    resident = person("09123330002", "ساکن گیلاوند", neighborhood=named("Gilavand"))
    elsewhere = app.test_client()
    sign_in(client, resident.phone)
    sign_in(elsewhere, person("09123330003", "ساکن تجریش", neighborhood=places["Tajrish"]).phone)
    before = client.get("/board/").get_data(as_text=True)
    assert "مسجد جامع دماوند" not in before
    revision = models.catalog_revision()
    item = declared(county)
    assert models.catalog_revision() > revision  # every process knows at once
    for page in ("/board/", "/simple/", "/inbox/", "/"):
        html = check_page(client.get(page))
        assert "مسجد جامع دماوند" in html, page
        assert "مسجد جامع دماوند" not in elsewhere.get(page).get_data(as_text=True), page
    # A guest reading a page of an area hit sees it too.
    guest = app.test_client()
    assert "مسجد جامع دماوند" in check_page(guest.get(f"/areas/{named('Rudehen').id}"))
    assert "مسجد جامع دماوند" not in guest.get(f"/areas/{places['Tajrish'].id}").get_data(as_text=True)
    crisis.end(county["coordinator"], item)
    assert "مسجد جامع دماوند" not in client.get("/board/").get_data(as_text=True)
    assert "مسجد جامع دماوند" not in guest.get(f"/areas/{named('Rudehen').id}").get_data(as_text=True)


def test_the_banner_and_the_ready_question_add_less_than_a_kilobyte(client, county):
    helper = volunteer("داوطلب گیلاوند", "09123330004", named("Gilavand"))
    models.UserRole.get_or_create(user=helper.user, role="volunteer")
    sign_in(client, helper.user.phone)

    def size(page):
        return len(gzip.compress(client.get(page).get_data()))

    normal = {page: size(page) for page in ("/board/", "/simple/")}
    # The longest texts allowed, of letters that do not repeat in a pattern
    # (one letter repeated would compress to nothing and prove nothing).
    letters = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی "
    noise = random.Random(22)
    what, where = ("".join(noise.choice(letters) for _ in range(crisis_view_max())) for _ in range(2))
    item = declared(county, what_to_do=what, where_to_go=where)
    crisis_callout.call_volunteers(county["coordinator"], item)
    html = client.get("/board/").get_data(as_text=True)
    assert "/crisis/calls/" in html  # the "ready?" question is there
    for page, before in normal.items():
        assert size(page) - before <= 1024, page


def crisis_view_max():
    from hamsayeh.views import crisis as crisis_views

    return crisis_views.BANNER_TEXT_MAX


def test_urgent_needs_top_the_board_and_the_crisis_kinds_appear_only_while_it_is_on(client, county):
    resident = person("09123330005", "ساکن مرکز شهر", neighborhood=named("City center"))
    neighbor = person("09123330006", "همسایهٔ دیگر", neighborhood=named("City center"))
    offer = make_post(neighbor, named("City center"), "پیشنهاد کمک برای درس بچه‌ها", kind="offer", urgency=2)
    weekly = make_post(neighbor, named("City center"), "خرید هفتگی برای سالمند طبقهٔ بالا", urgency=1)
    sign_in(client, resident.phone)
    assert "crisis-water" not in client.get("/board/new").get_data(as_text=True)
    item = declared(county)
    form_page = client.get("/board/new").get_data(as_text=True)
    assert "crisis-water" in form_page and "crisis-missing" in form_page
    response = submit(
        client,
        "/board/new",
        "/board/new",
        {
            "form_key": uuid.uuid4().hex,
            "kind": "request",
            "activity_type": "crisis-water",
            "text": "آب آشامیدنی برای خانوادهٔ پنج نفره لازم است",
            "urgency": "0",
            "time_window": "0",
            "estimate_minutes": "60",
        },
    )
    assert response.status_code == 302
    need = models.HelpPost.get(models.HelpPost.activity_type == activity_id("crisis-water"))
    listing = client.get("/board/").get_data(as_text=True)
    assert listing.index(f"/board/posts/{need.id}") < listing.index(f"/board/posts/{offer.id}")
    # Less urgent by its own choice, the crisis's need still comes first on the simple pages.
    near = client.get("/simple/near").get_data(as_text=True)
    assert near.index(f"/board/posts/{need.id}") < near.index(f"/board/posts/{weekly.id}")
    assert "crisis-shelter" in client.get("/simple/need").get_data(as_text=True)
    crisis.end(county["coordinator"], item)
    assert "crisis-water" not in client.get("/board/new").get_data(as_text=True)
    assert "crisis-shelter" not in client.get("/simple/need").get_data(as_text=True)
    refused = submit(
        client,
        "/board/new",
        "/board/new",
        {
            "form_key": uuid.uuid4().hex,
            "kind": "request",
            "activity_type": "crisis-water",
            "text": "آب لازم است برای ما",
        },
    )
    assert refused.status_code == 422


def crisis_kind(slug):
    return models.ActivityType.get(models.ActivityType.slug == slug)


def activity_id(slug):
    return models.ActivityType.get(models.ActivityType.slug == slug).id


# --- Volunteers on call -----------------------------------------------------------------


@pytest.fixture
def helpers(county, places):
    """Three volunteers in Damavand, one in Tajrish who travels, one in Tajrish who does not."""
    made = {
        "gilavand": volunteer("مریم گیلاوندی", "09123331001", named("Gilavand"), skills_text="کمک‌های اولیه"),
        "center": volunteer("رضا مرکزی", "09123331002", named("City center")),
        "zagros": volunteer("سارا زاگرسی", "09123331003", named("Zagros")),
        "traveller": volunteer("علی تجریشی", "09123331004", places["Tajrish"], reach="city"),
        "stayer": volunteer("نرگس نیاورانی", "09123331005", places["Niavaran"], reach="neighborhood"),
        "district_only": volunteer("حسن بازاری", "09123331006", places["Bazaar"], reach="district"),
    }
    for profile in made.values():
        models.UserRole.get_or_create(user=profile.user, role="volunteer")
    return {key: models.User.get_by_id(profile.user_id) for key, profile in made.items()}


def test_volunteers_of_the_area_and_travellers_nearby_are_asked_by_inbox_and_sms_once(county, helpers):
    item = declared(county)
    assert crisis_callout.call_volunteers(county["coordinator"], item) == 4
    assert crisis_callout.call_volunteers(county["coordinator"], item) == 0  # asked once
    # Not asked: one who stays in their neighborhood, and one who goes only as far as the next district.
    calls = {call.user_id: call for call in models.CrisisCall.select()}
    assert set(calls) == {helpers[key].id for key in ("gilavand", "center", "zagros", "traveller")}
    assert helpers["stayer"].id not in calls and helpers["district_only"].id not in calls
    assert calls[helpers["gilavand"].id].distance == 0
    assert calls[helpers["traveller"].id].distance > 0
    inbox = models.Notification.select().where(models.Notification.kind == "crisis_call")
    assert inbox.count() == 4
    texts = models.SmsMessage.select().where(models.SmsMessage.event_key.startswith(f"crisis:{item.id}:call:"))
    assert texts.count() == 4 and "آماده‌ام" in texts.first().body


def test_a_volunteer_answers_with_one_tap_and_only_their_own_call(app, client, county, helpers):
    item = declared(county)
    crisis_callout.call_volunteers(county["coordinator"], item)
    mine = models.CrisisCall.get(models.CrisisCall.user == helpers["gilavand"])
    theirs = models.CrisisCall.get(models.CrisisCall.user == helpers["center"])
    sign_in(client, helpers["gilavand"].phone)
    html = check_page(client.get("/crisis/calls"))
    assert f"/crisis/calls/{mine.id}/answer" in html
    assert submit(client, "/crisis/calls", f"/crisis/calls/{mine.id}/answer", {"status": "ready"}).status_code == 302
    assert submit(client, "/crisis/calls", f"/crisis/calls/{theirs.id}/answer", {"status": "cannot"}).status_code == 404
    assert models.CrisisCall.get_by_id(mine.id).status == "ready"
    assert models.CrisisCall.get_by_id(theirs.id).status == "asked"
    assert models.CrisisCall.get_by_id(mine.id).answered_via == "web"


def test_a_volunteer_asked_from_nearby_gets_the_question_on_their_own_pages(client, county, helpers):
    item = declared(county)
    crisis_callout.call_volunteers(county["coordinator"], item)
    call = models.CrisisCall.get(models.CrisisCall.user == helpers["traveller"])
    sign_in(client, helpers["traveller"].phone)  # lives in Tajrish, outside the flood
    html = check_page(client.get("/board/"))
    assert f"/crisis/calls/{call.id}/answer" in html and "مسجد جامع دماوند" not in html
    answered = submit(client, "/board/", f"/crisis/calls/{call.id}/answer", {"status": "ready", "next": "/board/"})
    assert answered.headers["Location"] == "/board/"
    assert models.CrisisCall.get_by_id(call.id).status == "ready"
    assert f"/crisis/calls/{call.id}/answer" not in client.get("/board/").get_data(as_text=True)


def test_a_volunteer_answers_by_sms_through_the_command_parser(county, helpers):
    item = declared(county)
    crisis_callout.call_volunteers(county["coordinator"], item)
    reply = sms_commands.receive_sms(helpers["zagros"].phone, "آماده‌ام", "gw-1", per_hour=10)
    assert "ready" in reply or "آماده" in reply
    assert sms_commands.receive_sms(helpers["center"].phone, "نمي توانم", "gw-2", per_hour=10)
    calls = {call.user_id: call for call in models.CrisisCall.select()}
    assert calls[helpers["zagros"].id].status == "ready" and calls[helpers["zagros"].id].answered_via == "sms"
    assert calls[helpers["center"].id].status == "cannot"
    # Someone never asked is told no crisis asks for them.
    stranger = person("09123331009", "غریبه")
    assert sms_commands.answer(stranger.phone, "آماده‌ام")[0].kind == "crisis_none"


def test_the_coordinator_sees_who_is_ready_with_skills_and_distance(client, county, helpers):
    item = declared(county)
    crisis_callout.call_volunteers(county["coordinator"], item)
    for key in ("gilavand", "traveller"):
        crisis_callout.answer_call(models.CrisisCall.get(models.CrisisCall.user == helpers[key]), "ready", "web")
    sign_in(client, county["coordinator"].phone)
    response = client.get(f"/crisis/{item.id}")
    html = check_page(response)
    assert response.headers["Cache-Control"] == "no-store" and "HX-Request" in response.headers["Vary"]
    assert "مریم گیلاوندی" in html and "کمک‌های اولیه" in html and "علی تجریشی" in html
    assert "رضا مرکزی" not in html  # asked, not ready
    fragment = client.get(f"/crisis/{item.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<div id="situation"') and "<html" not in fragment
    assert 'hx-trigger="every 30s"' in fragment


# --- Teams, check-in and check-out --------------------------------------------------------


def ready_calls(county, helpers, item, keys):
    crisis_callout.call_volunteers(county["coordinator"], item)
    calls = []
    for key in keys:
        call = models.CrisisCall.get(models.CrisisCall.user == helpers[key])
        crisis_callout.answer_call(call, "ready", "web")
        calls.append(call)
    return calls


def test_a_team_of_ready_volunteers_is_sent_and_each_checks_in_and_out(app, client, county, helpers):
    item = declared(county)
    calls = ready_calls(county, helpers, item, ("gilavand", "zagros"))
    not_ready = models.CrisisCall.get(models.CrisisCall.user == helpers["center"])
    shelter = crisis_places.add_place(county["coordinator"], item, "shelter", "مدرسهٔ شهید بهشتی", "", 50)
    sign_in(client, county["coordinator"].phone)
    data = {
        "form_key": uuid.uuid4().hex,
        "name": "تیم یک",
        "task": "برپایی سرپناه",
        "place": str(shelter.id),
        "call": [str(calls[0].id), str(calls[1].id), str(not_ready.id)],
    }
    assert submit(client, f"/crisis/{item.id}", f"/crisis/{item.id}/teams", data).status_code == 302
    assert submit(client, f"/crisis/{item.id}", f"/crisis/{item.id}/teams", data).status_code == 302  # twice
    team = models.CrisisTeam.get()
    members = list(team.members)
    assert models.CrisisTeam.select().count() == 1 and len(members) == 2  # the one not ready stays out
    told = models.Notification.select().where(models.Notification.kind == "crisis_team")
    assert sorted(n.user_id for n in told) == sorted([helpers["gilavand"].id, helpers["zagros"].id])
    texts = models.SmsMessage.select().where(models.SmsMessage.event_key.startswith(f"crisis:{item.id}:team:"))
    assert texts.count() == 2 and "مدرسهٔ شهید بهشتی" in texts.first().body
    volunteer_client = app.test_client()
    sign_in(volunteer_client, helpers["gilavand"].phone)
    html = check_page(volunteer_client.get("/crisis/calls"))
    assert "مدرسهٔ شهید بهشتی" in html
    mine = next(m for m in members if m.call_id == calls[0].id)
    other = next(m for m in members if m.call_id == calls[1].id)
    assert submit(volunteer_client, "/crisis/calls", f"/crisis/team-members/{other.id}/check-in", {}).status_code == 403
    assert submit(volunteer_client, "/crisis/calls", f"/crisis/team-members/{mine.id}/check-out", {}).status_code == 302
    assert models.CrisisTeamMember.get_by_id(mine.id).checked_out_at is None  # not before arriving
    submit(volunteer_client, "/crisis/calls", f"/crisis/team-members/{mine.id}/check-in", {})
    assert models.CrisisTeamMember.get_by_id(mine.id).checked_in_at is not None
    models.CrisisTeamMember.update(checked_in_at=models.utcnow() - datetime.timedelta(hours=3)).where(
        models.CrisisTeamMember.id == mine.id
    ).execute()
    submit(volunteer_client, "/crisis/calls", f"/crisis/team-members/{mine.id}/check-out", {})
    assert 179 <= crisis.minutes_given(item) <= 181
    html = client.get(f"/crisis/{item.id}").get_data(as_text=True)
    assert "تیم یک" in html and "مدرسهٔ شهید بهشتی" in html


# --- Places, stocks and offers ----------------------------------------------------------


def test_a_keeper_sets_the_stock_and_offers_are_matched_and_accepted(app, client, county, people):
    item = declared(county)
    keeper = person("09123332001", "نگهبان انبار", neighborhood=named("Gilavand"))
    sign_in(client, county["coordinator"].phone)
    page = f"/crisis/{item.id}/places"
    check_page(client.get(page))
    added = submit(
        client,
        page,
        page,
        {"kind": "collection", "name": "انبار هلال احمر", "address": "میدان", "capacity": "0", "keeper": keeper.phone},
    )
    assert added.status_code == 302
    bad = submit(client, page, page, {"kind": "shelter", "name": "", "capacity": "بسیار", "keeper": "0912"})
    assert bad.status_code == 422 and models.CrisisPlace.select().count() == 1
    place = models.CrisisPlace.get()
    keeper_client = app.test_client()
    sign_in(keeper_client, keeper.phone)
    stock = {f"have_{key}": "0" for key in models.CrisisStock.ITEMS} | {
        f"wanted_{key}": "0" for key in models.CrisisStock.ITEMS
    }
    stock |= {"have_water": "۱۲۰", "wanted_water": "500", "occupied": "0"}
    assert submit(keeper_client, f"/crisis/places/{place.id}", f"/crisis/places/{place.id}", stock).status_code == 302
    assert crisis.stock_totals(item)["water"] == (120, 500)
    # A need for water is matched to the place that holds water.
    thirsty = make_post(
        keeper, named("Gilavand"), "آب آشامیدنی لازم داریم", activity_type=crisis_kind("crisis-water"), urgency=2
    )
    html = client.get(page).get_data(as_text=True)
    assert f"/board/posts/{thirsty.id}" in html and "انبار هلال احمر" in html.split(f"/board/posts/{thirsty.id}")[1]
    # Someone else is refused.
    stranger = app.test_client()
    sign_in(stranger, people["resident"].phone)
    assert stranger.get(f"/crisis/places/{place.id}").status_code == 403
    # A group from outside the county offers water; the coordinator accepts it for the place that wants it.
    offer_page = f"/crisis/{item.id}/offer"
    form = {
        "form_key": uuid.uuid4().hex,
        "group_name": "گروه جهادی شهید همت تهران",
        "contact": "09127778899",
        "what": "دویست بطری آب معدنی",
        "item": "water",
        "quantity": "200",
    }
    assert submit(stranger, offer_page, offer_page, form).status_code == 302
    assert submit(stranger, offer_page, offer_page, form).status_code == 302
    offer = models.CrisisOffer.get()
    assert models.CrisisOffer.select().count() == 1
    assert submit(stranger, "/inbox/", f"/crisis/offers/{offer.id}/decide", {"accept": "1"}).status_code == 403
    html = client.get(page).get_data(as_text=True)
    assert "گروه جهادی شهید همت تهران" in html
    data = {"accept": "1", "place": str(place.id)}
    assert submit(client, page, f"/crisis/offers/{offer.id}/decide", data).status_code == 302
    assert crisis.stock_totals(item)["water"] == (320, 500)
    assert models.CrisisOffer.get_by_id(offer.id).status == "accepted"


def test_a_shelter_takes_no_more_people_than_its_capacity(county):
    item = declared(county)
    shelter = crisis_places.add_place(county["coordinator"], item, "shelter", "حسینیه", "", 10)
    with pytest.raises(crisis.CrisisError):
        crisis_places.update_place(county["coordinator"], shelter, 11, {})
    crisis_places.update_place(county["coordinator"], shelter, 4, {"blankets": (30, 40)})
    assert crisis.situation(item)["shelter_free"] == 6


# --- The situation report, ending, the record ---------------------------------------------


def test_the_pdf_report_shows_the_situation_on_one_page(client, county, helpers, tmp_path):
    item = declared(county)
    ready_calls(county, helpers, item, ("gilavand",))
    crisis_places.add_place(county["coordinator"], item, "shelter", "مدرسهٔ شهید بهشتی", "", 50)
    sign_in(client, county["coordinator"].phone)
    response = client.get(f"/crisis/{item.id}/situation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    printed = models.AuditEntry.get(models.AuditEntry.action == "crisis_report")
    assert printed.actor_id == county["coordinator"].id and printed.subject == f"crisis:{item.id}"
    (tmp_path / "report.pdf").write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.M)
    _reader, text, _fonts = pdf_text_and_fonts(response.data)
    assert squeezed("سیل در دماوند") in squeezed(text) and squeezed("مدرسهٔ شهید بهشتی (سرپناه)") in squeezed(text)
    assert squeezed("آماده: ۱.") in squeezed(text)


def test_ending_restores_the_pages_and_the_record_stays_with_its_lessons(client, county, helpers):
    item = declared(county)
    ready_calls(county, helpers, item, ("gilavand",))
    resident = person("09123330007", "ساکن گیلاوند", neighborhood=named("Gilavand"))
    need = make_post(
        resident,
        named("Gilavand"),
        "سرپناه برای یک شب",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "crisis-shelter"),
    )
    models.HelpPost.update(status="done").where(models.HelpPost.id == need.id).execute()
    sign_in(client, county["coordinator"].phone)
    assert submit(client, f"/crisis/{item.id}", f"/crisis/{item.id}/end", {}).status_code == 302
    assert models.Crisis.get_by_id(item.id).ended_at is not None
    assert "مسجد جامع دماوند" not in client.get("/board/").get_data(as_text=True)
    assert client.get(f"/crisis/{item.id}").status_code == 302  # to the record
    html = check_page(client.get(f"/crisis/{item.id}/record"))
    assert "/lessons" in html and crisis.record(item)["needs"] == 1
    lesson = {
        "form_key": uuid.uuid4().hex,
        "title": "پیامک دیر رسید",
        "narrative": "پیامک‌های فراخوان نیم ساعت دیر رسید.",
        "next_time": "شماره‌های داوطلبان را از پیش بررسی کنیم.",
    }
    page = f"/crisis/{item.id}/record"
    assert submit(client, page, f"/crisis/{item.id}/lessons", lesson).status_code == 302
    assert submit(client, page, f"/crisis/{item.id}/lessons", lesson).status_code == 302
    assert models.CrisisLesson.select().count() == 1
    assert "پیامک دیر رسید" in client.get(page).get_data(as_text=True)
    bad = submit(client, page, f"/crisis/{item.id}/lessons", {"form_key": uuid.uuid4().hex, "title": ""})
    assert bad.status_code == 422 and models.CrisisLesson.select().count() == 1
    # Nothing changes an ended crisis.
    with pytest.raises(crisis.CrisisError):
        crisis_callout.call_volunteers(county["coordinator"], models.Crisis.get_by_id(item.id))
    assert crisis.record(models.Crisis.get_by_id(item.id))["needs_met"] == 1


def test_the_demo_has_a_past_flood_in_damavand_with_its_record(app, db):
    demo.seed()
    demo.seed()  # twice adds nothing
    flood = models.Crisis.get(models.Crisis.kind == "flood")
    assert flood.ended_at is not None and flood.area.name == "دماوند"
    assert models.Crisis.select().count() == 1
    summary = crisis.record(flood)
    assert summary["needs"] >= 1 and summary["minutes"] > 0 and summary["lessons"]


def test_the_situation_page_fits_its_budget_with_forty_ready_volunteers(client, county):
    item = declared(county)
    for n in range(40):
        profile = volunteer(f"داوطلب شمارهٔ {n}", f"09125{n:06d}", named("Gilavand"), skills_text="امدادگر و راننده")
        models.UserRole.get_or_create(user=profile.user, role="volunteer")
    crisis_callout.call_volunteers(county["coordinator"], item)
    for call in models.CrisisCall.select():
        crisis_callout.answer_call(call, "ready", "sms")
    for n in range(6):
        place = crisis_places.add_place(county["coordinator"], item, "shelter", f"مدرسهٔ شمارهٔ {n}", "", 100)
        crisis_places.update_place(county["coordinator"], place, 20, {"water": (100, 200), "blankets": (50, 80)})
    sign_in(client, county["coordinator"].phone)
    html = check_page(client.get(f"/crisis/{item.id}"))
    assert html.count("امدادگر و راننده") == 40
    for n in range(12):
        make_post(
            person(f"0912600{n:04d}", "ساکن", neighborhood=named("Gilavand")),
            named("Gilavand"),
            "آب لازم است",
            activity_type=crisis_kind(("crisis-water", "crisis-shelter", "crisis-medicine")[n % 3]),
        )
    reader, _text, _fonts = pdf_text_and_fonts(client.get(f"/crisis/{item.id}/situation.pdf").data)
    assert len(reader.pages) == 1  # the meeting's one page, however busy the crisis


def test_declarations_and_check_ins_racing_in_threads_let_exactly_one_through(app, county, helpers):
    """On both databases: the partial unique index and the conditional UPDATE decide."""
    barrier, outcomes = threading.Barrier(4), []

    def declare():
        with app.app_context(), models.connection():
            barrier.wait()
            try:
                declared(county)
                outcomes.append("declared")
            except crisis.CrisisError:
                outcomes.append("refused")

    race(declare, 4)
    assert sorted(outcomes) == ["declared", "refused", "refused", "refused"]
    item = models.Crisis.get()
    (call,) = ready_calls(county, helpers, item, ("gilavand",))
    team = crisis_callout.form_team(county["coordinator"], item, uuid.uuid4().hex, "تیم", "", None, [call.id])
    member = team.members.get()
    barrier, checked = threading.Barrier(4), []

    def check_in():
        with app.app_context(), models.connection():
            barrier.wait()
            checked.append(crisis_callout.check_in(models.CrisisTeamMember.get_by_id(member.id), helpers["gilavand"]))

    race(check_in, 4)
    assert sorted(checked) == [False, False, False, True]
    assert models.CrisisEvent.select().where(models.CrisisEvent.action == "check_in").count() == 1


def race(target, count):
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_the_crisis_kinds_of_need_are_not_on_headquarters_list_to_switch_on(client, people):
    water = models.ActivityType.get(models.ActivityType.slug == "crisis-water")
    assert not water.is_active
    sign_in(client, people["admin"].phone)
    assert "crisis-water" not in client.get("/admin/activity-types/").get_data(as_text=True)
    assert submit(client, "/admin/activity-types/", f"/admin/activity-types/{water.id}", {}).status_code == 404


def test_the_coordinator_of_another_assembly_sees_nothing_of_this_crisis(app, client, county, places, helpers):
    item = declared(county)
    ready_calls(county, helpers, item, ("gilavand",))
    place = crisis_places.add_place(county["coordinator"], item, "shelter", "حسینیه", "", 10)
    other = person("09123339001", "هماهنگ‌کنندهٔ منطقه ۱", neighborhood=places["Tajrish"])
    district = assembly(places["Tajrish"].parent, "مجمع خیرین منطقه ۱")
    models.Assembly.update(coordinator=other).where(models.Assembly.id == district.id).execute()
    sign_in(client, other.phone)
    for page in (f"/crisis/{item.id}", f"/crisis/{item.id}/situation.pdf", f"/crisis/{item.id}/record"):
        assert client.get(page).status_code == 403, page
    assert client.get(f"/crisis/{item.id}/places").status_code == 403
    assert client.get(f"/crisis/places/{place.id}").status_code == 403
    assert submit(client, "/inbox/", f"/crisis/{item.id}/call", {}).status_code == 403
    assert submit(client, "/inbox/", f"/crisis/{item.id}/end", {}).status_code == 403
    assert "مریم گیلاوندی" not in client.get("/crisis/").get_data(as_text=True)
    assert models.Crisis.get_by_id(item.id).ended_at is None


def test_a_guests_page_in_a_crisis_shows_the_banner_and_still_sets_no_cookie(app, county):
    declared(county)
    guest = app.test_client()
    guest.set_cookie("hood", str(named("Gilavand").id))
    for page in ("/", "/board/", "/simple/", "/simple/near"):
        response = guest.get(page)
        assert "مسجد جامع دماوند" in check_page(response), page
        assert "Set-Cookie" not in response.headers, page
    assert models.Session.select().count() == 0


# --- Review: the record of an ended crisis stays as it was -----------------------------------


def test_no_check_in_or_out_after_the_crisis_ended_so_its_hours_stay(app, client, county, helpers):
    item = declared(county)
    calls = ready_calls(county, helpers, item, ("gilavand", "zagros"))
    team = crisis_callout.form_team(
        county["coordinator"], item, uuid.uuid4().hex, "تیم یک", "", None, [c.id for c in calls]
    )
    members = {member.call_id: member for member in team.members}
    arrived, never = members[calls[0].id], members[calls[1].id]
    models.CrisisTeamMember.update(checked_in_at=models.utcnow() - datetime.timedelta(hours=2)).where(
        models.CrisisTeamMember.id == arrived.id
    ).execute()
    crisis.end(county["coordinator"], item)
    ended = models.Crisis.get_by_id(item.id)
    hours = crisis.record(ended)["minutes"]
    assert 119 <= hours <= 121
    sign_in(client, helpers["gilavand"].phone)
    submit(client, "/crisis/calls", f"/crisis/team-members/{arrived.id}/check-out", {})
    other = app.test_client()
    sign_in(other, helpers["zagros"].phone)
    submit(other, "/crisis/calls", f"/crisis/team-members/{never.id}/check-in", {})
    assert models.CrisisTeamMember.get_by_id(arrived.id).checked_out_at is None
    assert models.CrisisTeamMember.get_by_id(never.id).checked_in_at is None
    assert crisis.record(ended)["minutes"] == hours


def test_an_offer_is_not_accepted_into_a_stock_after_the_crisis_ended(client, county, people):
    item = declared(county)
    place = crisis_places.add_place(county["coordinator"], item, "collection", "انبار", "", 0)
    crisis_places.offer_help(
        people["resident"], item, uuid.uuid4().hex, "گروه جهادی", "09127778899", "water", 200, "آب"
    )
    offer = models.CrisisOffer.get()
    crisis.end(county["coordinator"], item)
    sign_in(client, county["coordinator"].phone)
    page = f"/crisis/{item.id}/places"
    submit(client, page, f"/crisis/offers/{offer.id}/decide", {"accept": "1", "place": str(place.id)})
    assert models.CrisisOffer.get_by_id(offer.id).status == "offered"
    assert crisis.stock_totals(item) == {}


def test_a_neighborhood_under_two_crises_shows_the_nearest_ones_banner(app, client, county, people):
    """A county's flood, and a fire declared for one of its cities: the city's
    people read the fire's instructions, the rest of the county the flood's."""
    flood = declared(county)
    rudehen = named("Rudehen")
    fire = crisis.declare(
        people["admin"],
        rudehen,
        uuid.uuid4().hex,
        kind="fire",
        what_to_do="از ساختمان‌های نزدیک آتش بیرون بروید.",
        where_to_go="ورزشگاه رودهن، بلوار امام",
        started_on=datetime.date.today(),
    )
    with app.test_request_context("/"):
        from hamsayeh.web.catalog import catalog

        assert catalog().crisis_of(named("Zagros").id).id == fire.id
        assert catalog().crisis_of(rudehen.id).id == fire.id
        assert catalog().crisis_of(named("Gilavand").id).id == flood.id
        assert catalog().crisis_of(county["area"].id).id == flood.id


def test_the_past_crises_list_names_only_the_records_the_coordinator_may_open(client, county, places):
    item = declared(county)
    crisis.end(county["coordinator"], item)
    other = person("09123339002", "هماهنگ‌کنندهٔ منطقه ۱", neighborhood=places["Tajrish"])
    district = assembly(places["Tajrish"].parent, "مجمع خیرین منطقه ۱")
    models.Assembly.update(coordinator=other).where(models.Assembly.id == district.id).execute()
    sign_in(client, other.phone)
    html = check_page(client.get("/crisis/"))
    assert f"/crisis/{item.id}/record" not in html
    assert client.get(f"/crisis/{item.id}/record").status_code == 403
    sign_in(client, county["coordinator"].phone)
    assert f"/crisis/{item.id}/record" in client.get("/crisis/").get_data(as_text=True)


def test_the_pdf_report_stays_on_one_page_when_every_list_is_full(client, county, helpers, tmp_path):
    """The longest names allowed, and more needs, teams, places and changes than the report lists."""
    item = declared(county)
    calls = ready_calls(county, helpers, item, ("gilavand", "center", "zagros"))
    resident = person("09123330077", "ساکن", neighborhood=named("Gilavand"))
    kinds = crisis.crisis_types()
    for hood in ("Gilavand", "City center", "Zagros"):
        for kind in kinds:
            make_post(resident, named(hood), "نیاز فوری در محله به کمک", activity_type=kind, urgency=2)
    long = "سرپناه " * 20
    for n in range(10):
        place = crisis_places.add_place(county["coordinator"], item, "shelter", f"{n} {long}"[:120], "", 500)
        stock = dict.fromkeys(models.CrisisStock.ITEMS, (1000 + n, 2000))
        crisis_places.update_place(county["coordinator"], place, 100, stock)
    for n in range(10):
        crisis_callout.form_team(
            county["coordinator"], item, uuid.uuid4().hex, f"{n} {'تیم امداد ' * 10}"[:80], "", place, [calls[n % 3].id]
        )
    for n in range(12):
        crisis.add_lesson(
            county["coordinator"],
            item,
            uuid.uuid4().hex,
            f"{n} {'درس ' * 60}"[: models.Story.TITLE_MAX],
            "روایت کامل",
            "بعد",
        )
    sign_in(client, county["coordinator"].phone)
    response = client.get(f"/crisis/{item.id}/situation.pdf")
    assert response.status_code == 200
    (tmp_path / "report.pdf").write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.M), info.stdout


def test_an_sms_answer_changes_only_the_senders_own_call(county, helpers):
    item = declared(county)
    crisis_callout.call_volunteers(county["coordinator"], item)
    sms_commands.receive_sms(helpers["zagros"].phone, "آماده‌ام", "gw-own-1", per_hour=10)
    calls = {call.user_id: call.status for call in models.CrisisCall.select()}
    assert calls.pop(helpers["zagros"].id) == "ready"
    assert set(calls.values()) == {"asked"}  # nobody else's call moved
    # A number that is no member's answers nothing at all.
    assert sms_commands.answer("09129990000", "آماده‌ام")[0].kind == "not_member"
    assert models.CrisisCall.select().where(models.CrisisCall.status != "asked").count() == 1
