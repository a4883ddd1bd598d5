"""Event campaigns (iftar tables): sittings with places, one place per
person, a full sitting refuses, the last place is given once however many
ask at the same moment; and the pages that do it."""

import datetime
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import jdatetime
import pytest

import models
from hamsayeh.domain import campaign_events, campaigns
from tests.conftest import sign_in, submit
from tests.factories import organized_campaign, person, sent_code
from tests.live_site import Browser, gunicorn
from tests.pages import check_page


@pytest.fixture
def iftar(places, people):
    campaign, _charity = organized_campaign(places, people, "event", unit="households", goal=300)
    starts = models.utcnow() + datetime.timedelta(days=3)
    sitting = campaign_events.add_sitting(campaign, people["charity_staff"], uuid.uuid4().hex, "حیاط مسجد", starts, 2)
    return campaign, sitting


def neighbors(count, places):
    return [person(f"0935{index:07d}", f"همسایه {index}", neighborhood=places["Tajrish"]) for index in range(count)]


def test_one_place_per_person_and_a_full_sitting_refuses(iftar, places):
    campaign, sitting = iftar
    first, second, third = neighbors(3, places)
    made = campaign_events.sign_up(sitting, first)
    assert campaign_events.sign_up(sitting, first).id == made.id  # again: the same place
    campaign_events.sign_up(sitting, second)
    with pytest.raises(campaign_events.EventError) as refused:
        campaign_events.sign_up(sitting, third)
    assert refused.value.reason == "full"
    assert models.EventSitting.get_by_id(sitting.id).taken == 2
    assert models.SittingSignup.select().count() == 2
    # A place given up is free again.
    assert campaign_events.leave(sitting, second)
    assert not campaign_events.leave(sitting, second)
    assert campaign_events.sign_up(sitting, third).status == "confirmed"
    assert campaigns.progress(campaign) == {"done": 2, "goal": 300, "unit": "households"}


def test_a_closed_campaign_or_a_past_sitting_takes_no_one(iftar, places):
    campaign, sitting = iftar
    member = neighbors(1, places)[0]
    later = models.utcnow() + datetime.timedelta(days=4)
    with pytest.raises(campaign_events.EventError) as refused:
        campaign_events.sign_up(sitting, member, now=later)
    assert refused.value.reason == "closed"
    models.Campaign.update(status="closed").where(models.Campaign.id == campaign.id).execute()
    with pytest.raises(campaign_events.EventError):
        campaign_events.sign_up(sitting, member)
    assert models.SittingSignup.select().count() == 0


def test_only_an_event_has_sittings(places, people):
    drive, _ = organized_campaign(places, people, "drive")
    with pytest.raises(campaign_events.EventError):
        campaign_events.add_sitting(drive, people["charity_staff"], "k", "جا", models.utcnow(), 10)


def test_the_last_place_is_given_once_to_many_at_the_same_moment(iftar, places, app):
    """Twelve members ask for the last place at once, each on its own connection."""
    _campaign, sitting = iftar
    campaign_events.sign_up(sitting, neighbors(1, places)[0])
    racers = [person(f"0936{index:07d}", "همسایه", neighborhood=places["Tajrish"]) for index in range(12)]
    start, results = threading.Barrier(len(racers)), []

    def race(member):
        with models.db.connection_context():
            start.wait()
            try:
                campaign_events.sign_up(sitting, member)
                results.append("ok")
            except campaign_events.EventError as refused:
                results.append(refused.reason)

    threads = [threading.Thread(target=race, args=(member,)) for member in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["full"] * 11 + ["ok"]
    assert models.EventSitting.get_by_id(sitting.id).taken == 2
    assert models.SittingSignup.select().where(models.SittingSignup.status == "confirmed").count() == 2


def test_the_same_member_pressing_twice_at_once_holds_one_place(iftar, places):
    _campaign, sitting = iftar
    member = neighbors(1, places)[0]
    start, made = threading.Barrier(6), []

    def press():
        with models.db.connection_context():
            start.wait()
            made.append(campaign_events.sign_up(sitting, member).id)

    threads = [threading.Thread(target=press) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 1
    assert models.EventSitting.get_by_id(sitting.id).taken == 1


def test_members_sign_up_on_the_sitting_page(client, iftar, places, people):
    campaign, sitting = iftar
    page = f"/campaigns/{campaign.id}/sittings/{sitting.id}"
    html = check_page(client.get(page))
    assert "حیاط مسجد" in html and "/account/sign-in" in html
    assert client.post(f"{page}/signup").status_code in (302, 400)
    assert models.SittingSignup.select().count() == 0
    sign_in(client, people["resident"].phone)
    response = submit(client, page, f"{page}/signup", {})
    assert response.status_code == 302
    html = check_page(client.get(page))
    assert "شما در این نشست جا دارید" in html and "نمی‌توانم بیایم" in html
    assert models.SittingSignup.get().user_id == people["resident"].id
    # The sitting fills up; the next one is told so, and nothing is written.
    other = neighbors(2, places)
    campaign_events.sign_up(sitting, other[0])
    late = client.application.test_client()
    sign_in(late, people["volunteer"].phone)
    html = check_page(submit(late, page, f"{page}/signup", {}, follow_redirects=True))
    assert "این نشست پر است" in html
    assert models.SittingSignup.select().count() == 2
    assert people["volunteer"].id not in [s.user_id for s in models.SittingSignup.select()]


def test_only_the_organizer_adds_sittings_and_sees_who_comes(client, iftar, people):
    campaign, sitting = iftar
    new = f"/campaigns/{campaign.id}/sittings/new"
    sign_in(client, people["resident"].phone)
    assert client.get(new).status_code == 403
    campaign_events.sign_up(sitting, people["resident"])
    assert people["resident"].name not in client.get(f"/campaigns/{campaign.id}/sittings/{sitting.id}").get_data(
        as_text=True
    )
    organizer = client.application.test_client()
    sign_in(organizer, people["charity_staff"].phone)
    check_page(organizer.get(new))
    day = (jdatetime.date.today() + jdatetime.timedelta(days=5)).strftime("%Y/%m/%d")
    bad = submit(organizer, new, new, {"place": "", "date": "دیروز", "time": "25:00", "capacity": "۰"})
    html = check_page(bad, 422)
    assert html.count('class="error"') == 4 and models.EventSitting.select().count() == 1
    key = uuid.uuid4().hex
    data = {"place": "حسینیهٔ نیاوران", "date": day, "time": "۱۸:۳۰", "capacity": "۸۰", "form_key": key}
    assert submit(organizer, new, new, data).status_code == 302
    assert submit(organizer, new, new, data).status_code == 302  # a double submit makes it once
    assert models.EventSitting.select().count() == 2
    html = check_page(organizer.get(f"/campaigns/{campaign.id}/sittings/{sitting.id}"))
    assert people["resident"].name in html


def test_a_guest_gets_a_place_only_with_the_code_sent_to_their_phone(client, iftar, places):
    campaign, sitting = iftar
    page = f"/campaigns/{campaign.id}/sittings/{sitting.id}"
    guest = f"{page}/guest"
    # The sitting's page sets no cookie for a guest; its link leads to the number's form.
    shown = client.get(page)
    assert "Set-Cookie" not in shown.headers and guest in check_page(shown)
    page = guest
    html = check_page(submit(client, page, guest, {"phone": "12345"}), 422)
    assert 'id="f-phone-error"' in html
    assert models.OneTimeCode.select().count() == 0
    sent = submit(client, page, guest, {"phone": "۰۹۳۵ ۷۶۵ ۴۳۲۱"})
    assert sent.status_code == 302
    code_page = sent.location
    check_page(client.get(code_page))
    code = sent_code("09357654321")
    wrong = "000000" if code != "000000" else "111111"
    html = check_page(submit(client, code_page, code_page, {"code": wrong}), 422)
    assert 'id="f-code-error"' in html and models.SittingSignup.select().count() == 0
    # Another sitting's address with this code finds nothing.
    other = campaign_events.add_sitting(
        campaign, campaign.created_by, uuid.uuid4().hex, "جای دیگر", sitting.starts_at, 5
    )
    token = code_page.rsplit("/", 1)[1]
    assert client.get(f"/campaigns/{campaign.id}/sittings/{other.id}/code/{token}").status_code == 404
    assert submit(client, code_page, code_page, {"code": code}).status_code == 302
    place = models.SittingSignup.get()
    assert place.user.phone == "09357654321" and place.sitting_id == sitting.id
    # Pressed again: still one place.
    assert submit(client, page, code_page, {"code": code}).status_code == 302
    assert models.EventSitting.get_by_id(sitting.id).taken == 1


def test_a_full_sitting_refuses_a_guest_and_leaves_the_code_unused(client, iftar, places):
    campaign, sitting = iftar
    for member in neighbors(2, places):
        campaign_events.sign_up(sitting, member)
    page = f"/campaigns/{campaign.id}/sittings/{sitting.id}"
    html = check_page(client.get(page))
    assert "این نشست پر است" in html and 'name="phone"' not in html
    guest = f"{page}/guest"
    html = check_page(submit(client, guest, guest, {"phone": "09357654321"}), 422)
    assert "این نشست پر است" in html and models.OneTimeCode.select().count() == 0
    # Filled while the guest read the SMS: the code then gives no place, and stays unused.
    sent = campaign_events.send_guest_code("09357654321", "127.0.0.1", lambda code: f"کد {code}", sitting)
    made = campaign_events.sign_up_as_guest(sent.request_id, sent_code("09357654321"))
    assert made.problem == "full"
    assert models.SittingSignup.select().count() == 2
    assert models.OneTimeCode.get().used_at is None


# --- Through the real server: gunicorn with four worker processes -----------------------------


@pytest.fixture
def server(app, db):
    with gunicorn(app, 4) as (base, _process):
        yield base


def test_twenty_members_at_once_through_four_workers_take_the_last_place_once(server, iftar, places):
    campaign, sitting = iftar
    campaign_events.sign_up(sitting, neighbors(1, places)[0])
    page = f"/campaigns/{campaign.id}/sittings/{sitting.id}"
    crowd = [
        Browser(server, person(f"0937{index:07d}", "همسایه", neighborhood=places["Tajrish"]), page)
        for index in range(20)
    ]
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda browser: browser.post(f"{page}/signup", {"csrf_token": browser.csrf}), crowd))
    assert statuses == [302] * 20
    assert models.EventSitting.get_by_id(sitting.id).taken == 2
    assert models.SittingSignup.select().where(models.SittingSignup.status == "confirmed").count() == 2


@pytest.mark.parametrize("odd", ["²", "1" * 5000, "-1", "۱۲", "", "<b>x</b>", "25:99", "1405/13/40"])
def test_odd_input_to_every_form_never_breaks_a_page(client, iftar, people, odd):
    campaign, sitting = iftar
    fields = dict.fromkeys(("place", "date", "time", "capacity", "form_key", "phone", "code"), odd)
    page = f"/campaigns/{campaign.id}/sittings/{sitting.id}"
    for who in (None, people["charity_staff"].phone):
        browser = client.application.test_client()
        if who:
            sign_in(browser, who)
        for action in (f"/campaigns/{campaign.id}/sittings/new", f"{page}/guest", f"{page}/code/{odd[:20] or 'x'}"):
            assert submit(browser, f"{page}/guest", action, fields).status_code < 500, (action, odd[:10])
    assert models.EventSitting.select().count() == 1 and models.SittingSignup.select().count() == 0
