"""The year's occasions: the calendar's dates (lunar ones move), what is
coming, and the campaigns planned around each near a neighborhood."""

import datetime

import pytest

import models
from hamsayeh.domain import occasions
from tests.conftest import sign_in
from tests.factories import organized_campaign
from tests.pages import check_page

D = datetime.date


@pytest.fixture
def calendar(db):
    occasions.load_calendar()
    return {(item.key, item.starts_on.year): item for item in models.Occasion.select()}


def test_loading_the_calendar_twice_adds_nothing(db):
    models.Occasion.delete().execute()  # the migration loaded it: from nothing, here
    assert occasions.load_calendar() == len(occasions.CALENDAR)
    assert occasions.load_calendar() == 0
    assert models.Occasion.select().count() == len(occasions.CALENDAR)


def test_each_year_has_its_own_dates_and_lunar_occasions_move_about_eleven_days(calendar):
    for year in (1405, 1406):
        listed = occasions.of_year(year)
        assert {item.key for item in listed} >= {
            "nowruz",
            "ramadan",
            "nime_shaban",
            "muharram",
            "yalda",
            "school_start",
        }
        first, last = occasions.year_bounds(year)
        assert all(first <= item.starts_on <= last for item in listed)
    ramadans = sorted(item.starts_on for item in models.Occasion.select().where(models.Occasion.key == "ramadan"))
    # Ramadan 1448 began about 8 February 2027; 1449 a lunar year (354 or 355 days) later.
    assert ramadans[0] == D(2027, 2, 8)
    assert (ramadans[1] - ramadans[0]).days in (354, 355)
    # Solar ones keep their Jalali day: 1 Farvardin, 1 Mehr, the night of 30 Azar.
    assert [o.starts_on for o in models.Occasion.select().where(models.Occasion.key == "school_start")] == [
        D(2026, 9, 23),
        D(2027, 9, 23),
    ]
    assert occasions.jalali_year(D(2026, 12, 21)) == 1405 and calendar[("yalda", 2026)].starts_on == D(2026, 12, 21)
    # Ramadan ends the day before Eid al-Fitr, Ashura is Muharram's tenth day.
    assert calendar[("ramadan", 2027)].ends_on + datetime.timedelta(days=1) == calendar[("eid_fitr", 2027)].starts_on
    assert (calendar[("muharram", 2026)].ends_on - calendar[("muharram", 2026)].starts_on).days == 9


def test_what_is_coming_and_how_soon(calendar):
    day = D(2026, 12, 1)
    coming = occasions.coming_soon(day=day)
    assert [(item.key, days) for item, days, _ in coming] == [("yalda", 20), ("nime_shaban", 54)]
    during = occasions.coming_soon(day=D(2027, 2, 20))
    assert ("ramadan", 0) in [(item.key, days) for item, days, _ in during]


def test_campaigns_around_an_occasion_reach_only_their_areas(calendar, places, people):
    ramadan = calendar[("ramadan", 2027)]
    campaign, _ = organized_campaign(places, people, "event", unit="households", goal=100, occasion=ramadan)
    assert occasions.campaigns_around([ramadan], places["Tajrish"]) == {ramadan.id: [campaign]}
    assert occasions.campaigns_around([ramadan], places["Bazaar"]) == {}
    assert occasions.campaigns_around([ramadan]) == {ramadan.id: [campaign]}
    models.Campaign.update(status="draft").where(models.Campaign.id == campaign.id).execute()
    assert occasions.campaigns_around([ramadan]) == {}


def test_a_neighbor_sees_the_calendar_and_the_campaigns_near_them(client, calendar, places, people):
    ramadan = calendar[("ramadan", 2027)]
    campaign, _ = organized_campaign(places, people, "event", unit="households", goal=100, occasion=ramadan)
    html = check_page(client.get("/occasions/?year=1405"))
    assert "ماه رمضان" in html and "۱۹ بهمن ۱۴۰۵" in html and "۱۸ اسفند ۱۴۰۵" in html
    assert f"/campaigns/{campaign.id}" in html
    assert "شب یلدا" in html and "۳۰ آذر ۱۴۰۵" in html
    html = check_page(client.get("/occasions/?year=1406"))
    assert "۸ بهمن ۱۴۰۶" in html  # Ramadan 1449, eleven days earlier in the solar year
    # A member of District 12 sees the calendar, not District 1's iftar.
    sign_in(client, people["resident"].phone)
    models.User.update(neighborhood=places["Bazaar"]).where(models.User.id == people["resident"].id).execute()
    html = check_page(client.get("/occasions/?year=1405"))
    assert "ماه رمضان" in html and f"/campaigns/{campaign.id}" not in html


@pytest.mark.parametrize("year", ["", "abc", "1" * 500, "-1", "۱۴۰۶", "9999"])
def test_any_year_asked_gives_a_calendar(client, calendar, year):
    html = check_page(client.get("/occasions/", query_string={"year": year}))
    assert "نوروز" in html


def test_the_neighborhood_page_shows_what_is_coming(client, calendar, places):
    coming = occasions.coming_soon(places["Tajrish"])
    html = check_page(client.get(f"/areas/{places['Tajrish'].id}"))
    for item, _, _ in coming:
        assert item.name in html
    assert ("/occasions/" in html) == bool(coming)
