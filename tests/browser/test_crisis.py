"""Crisis mode in Chromium at 360 px with JavaScript off: a flood declared in
Damavand, a resident's urgent need on top of the board, ten volunteers asked
and four ready (two by a tap, two by SMS through the gateway stand-in), a
team sent that checks in, the coordinator's page and PDF, and the normal
pages back once it ends."""

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import demo
from tests.factories import assembly, person, volunteer
from tests.printing import pdf_text_and_fonts, squeezed
from tests.sms_standin import StandIn

pytestmark = pytest.mark.browser

SECRET = "crisis-incoming-secret"
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


@pytest.fixture
def gateway(app):
    """The SMS provider's stand-in, forwarding what phones send to the site's line."""
    saved = app.config["SMS_SECRET"]
    app.config["SMS_SECRET"] = SECRET
    with StandIn() as stand_in:
        yield stand_in
    app.config["SMS_SECRET"] = saved


def switch_to(site, phone):
    site.page.context.clear_cookies()
    site.sign_in(phone)


def test_a_flood_in_damavand_from_declaring_to_ending(site_without_js, live_server, gateway, places):
    site = site_without_js
    demo.add_area(places["Tajrish"].ancestors()[0], DAMAVAND)
    county = models.Area.get(models.Area.kind == "county")
    hoods = {area.name_en: area for area in models.Area.select().where(models.Area.kind == "neighborhood")}
    coordinator = person("09124440001", "هماهنگ‌کنندهٔ مجمع", neighborhood=hoods["Gilavand"])
    made = assembly(county, "مجمع خیریه‌های دماوند")
    models.Assembly.update(coordinator=coordinator).where(models.Assembly.id == made.id).execute()
    resident = person("09124440002", "زینب ساکن گیلاوند", neighborhood=hoods["Gilavand"])
    neighbor = person("09124440003", "همسایهٔ گیلاوند", neighborhood=hoods["Gilavand"])
    helpers = []
    for n, hood in enumerate(["Gilavand", "City center", "Zagros"] * 3 + ["Gilavand"]):
        profile = volunteer(f"داوطلب {n + 1}", f"0912445{n:04d}", hoods[hood], skills_text=f"مهارت {n + 1}")
        models.UserRole.get_or_create(user=profile.user, role="volunteer")
        helpers.append(models.User.get_by_id(profile.user_id))
    from tests.factories import make_post

    older = make_post(neighbor, hoods["Gilavand"], "پیشنهاد کمک برای درس بچه‌ها", kind="offer", urgency=2)

    # The coordinator declares a flood in Damavand.
    site.sign_in(coordinator.phone)
    site.visit("/crisis/")
    site.follow("/crisis/declare")
    site.follow(f"/crisis/declare?area={county.id}")
    site.fill("what_to_do", "از کنار رودخانهٔ تار دور شوید و به جای بلند بروید.")
    site.fill("where_to_go", "سالن ورزشی شهید چمران، بلوار امام")
    site.submit("/crisis/declare")
    flood = models.Crisis.get()
    assert site.page.url.endswith(f"/crisis/{flood.id}")

    # A resident sees the banner and posts an urgent need of the flood's kinds; it tops the board.
    switch_to(site, resident.phone)
    site.visit("/board/")
    assert "سالن ورزشی شهید چمران" in site.text()
    site.visit("/board/new?kind=request")
    site.page.select_option("#f-activity_type", "crisis-water")
    site.fill("text", "آب آشامیدنی برای خانوادهٔ پنج نفره لازم است")
    site.page.check("input[name=urgency][value='2']")
    site.submit("/board/new")
    need = models.HelpPost.get(models.HelpPost.kind == "request")
    site.visit("/board/")
    links = site.page.eval_on_selector_all(
        "main a[href^='/board/posts/']", "els => els.map(e => e.getAttribute('href'))"
    )
    assert links[0] == f"/board/posts/{need.id}" and f"/board/posts/{older.id}" in links

    # The coordinator asks the ten volunteers.
    switch_to(site, coordinator.phone)
    site.visit(f"/crisis/{flood.id}")
    site.submit(f"/crisis/{flood.id}/call")
    assert "از ۱۰ داوطلب با پیام و پیامک پرسیده شد." in site.text()
    assert models.CrisisCall.select().where(models.CrisisCall.crisis == flood).count() == 10
    for helper in helpers:
        outbox = models.SmsMessage.select().where(models.SmsMessage.phone == helper.phone)
        assert "آماده‌ام" in outbox.get().body

    # Two answer with one tap on the banner's question, two by SMS, one cannot come.
    for helper in helpers[:2]:
        switch_to(site, helper.phone)
        site.visit("/board/")
        call = models.CrisisCall.get(models.CrisisCall.user == helper)
        site.submit(f"/crisis/calls/{call.id}/answer")
        assert "/crisis/calls/" not in site.page.content()  # answered: the question is gone
    for number, helper in enumerate(helpers[2:4]):
        status, reply = gateway.incoming(live_server, SECRET, helper.phone, "آماده‌ام", f"in-{number}")
        assert status == 200 and "آماده" in reply
    status, _reply = gateway.incoming(live_server, SECRET, helpers[4].phone, "نمی‌توانم", "in-9")
    assert status == 200
    ready = models.CrisisCall.select().where(models.CrisisCall.status == "ready")
    assert ready.count() == 4
    assert ready.where(models.CrisisCall.answered_via == "sms").count() == 2

    # The coordinator sees the four, with skills, and sends a team.
    switch_to(site, coordinator.phone)
    site.visit(f"/crisis/{flood.id}")
    text = site.text()
    for helper in helpers[:4]:
        assert persian.to_persian_digits(helper.name) in text
    assert "مهارت ۱" in text
    # A shelter first, and what is in it.
    site.follow(f"/crisis/{flood.id}/places")
    site.fill("name", "سالن ورزشی شهید چمران")
    site.fill("address", "بلوار امام")
    site.fill("capacity", "۱۲۰")
    site.submit(f"/crisis/{flood.id}/places")
    shelter = models.CrisisPlace.get()
    site.follow(f"/crisis/places/{shelter.id}")
    site.fill("occupied", "۴۰")
    site.fill("have_water", "300")
    site.submit(f"/crisis/places/{shelter.id}")
    assert models.CrisisPlace.get_by_id(shelter.id).occupied == 40
    site.visit(f"/crisis/{flood.id}")
    site.page.select_option("#f-place", str(shelter.id))
    team_calls = [models.CrisisCall.get(models.CrisisCall.user == helper) for helper in (helpers[0], helpers[2])]
    for call in team_calls:
        site.page.check(f"input[name=call][value='{call.id}']")
    site.fill("name", "تیم امداد گیلاوند")
    site.fill("task", "رساندن آب به خانه‌ها")
    site.submit(f"/crisis/{flood.id}/teams")
    team = models.CrisisTeam.get()
    assert team.members.count() == 2

    # A volunteer of the team checks in.
    switch_to(site, helpers[2].phone)
    site.visit("/crisis/calls")
    assert "تیم امداد گیلاوند" in site.text() and "بلوار امام" in site.text()
    member = models.CrisisTeamMember.get(models.CrisisTeamMember.call == team_calls[1])
    site.submit(f"/crisis/team-members/{member.id}/check-in")
    assert models.CrisisTeamMember.get_by_id(member.id).checked_in_at is not None

    # A group from outside offers water; the coordinator accepts it for the shelter.
    switch_to(site, neighbor.phone)
    site.visit("/crisis/")
    site.follow(f"/crisis/{flood.id}/offer")
    site.fill("group_name", "گروه جهادی شهید همت تهران")
    site.fill("contact", "۰۹۱۲۷۷۷۸۸۹۹")
    site.fill("what", "دویست بطری آب معدنی")
    site.page.select_option("#f-item", "water")
    site.fill("quantity", "۲۰۰")
    site.submit(f"/crisis/{flood.id}/offer")
    offer = models.CrisisOffer.get()
    switch_to(site, coordinator.phone)
    site.visit(f"/crisis/{flood.id}/places")
    site.submit(f"/crisis/offers/{offer.id}/decide")  # its first button: accept
    assert models.CrisisStock.get(models.CrisisStock.item == "water").have == 500

    # The coordinator's page and PDF show it all.
    site.visit(f"/crisis/{flood.id}")
    text = site.text()
    assert "تیم امداد گیلاوند" in text and "آب" in text
    assert "جای خالی در سرپناه‌ها: ۸۰." in text
    site.screenshot("crisis-situation-fa-nojs")
    pdf = site.page.request.get(f"/crisis/{flood.id}/situation.pdf")
    assert pdf.status == 200
    reader, printed, _fonts = pdf_text_and_fonts(pdf.body())
    assert len(reader.pages) == 1
    assert squeezed("تیم امداد گیلاوند") in squeezed(printed) and squeezed("آب") in squeezed(printed)
    # pypdf reverses some runs of digits: "۱۰" may read "۰۱".
    assert squeezed("آماده: ۴.") in squeezed(printed)
    assert squeezed("پرسیده‌شده: ۱۰.") in squeezed(printed) or squeezed("پرسیده‌شده: ۰۱.") in squeezed(printed)

    # Ending it restores the normal pages; the record stays.
    site.submit(f"/crisis/{flood.id}/end")
    assert site.page.url.endswith(f"/crisis/{flood.id}/record")
    switch_to(site, resident.phone)
    site.visit("/board/")
    assert "سالن ورزشی شهید چمران" not in site.text()
    site.visit("/board/new?kind=request")
    assert site.page.query_selector("#f-activity_type option[value='crisis-water']") is None
