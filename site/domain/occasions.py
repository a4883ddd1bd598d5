"""The year's occasions (مناسبت‌ها): Nowruz, Ramadan, Muharram, Yalda, the
start of school... Organizers plan campaigns around them; neighbors see what
is coming near them.

Lunar occasions move about eleven days a year against the solar calendar, so
each Jalali year has its own rows. The Gregorian dates below were computed
with convertdate 2.5.1's Islamic (tabular) calendar and checked against the
known starts of Ramadan 1447 (18 February 2026) and 1448 (8 February 2027);
the solar ones with jdatetime. Iran's official calendar follows the sighting
of the moon and may differ from these by a day: headquarters corrects a row
when the official calendar is published."""

import datetime

import jdatetime

from hamsayeh import persian
from models import Area, Campaign, CampaignArea, Occasion, utcnow, write_transaction

D = datetime.date

# (key, Persian name, English name, first day, last day), Jalali years 1405 and 1406.
CALENDAR = (
    # 1405 (21 March 2026 to 20 March 2027)
    ("nowruz", "نوروز", "Nowruz", D(2026, 3, 21), D(2026, 4, 2)),
    ("eid_qurban", "عید قربان", "Eid al-Adha", D(2026, 5, 27), D(2026, 5, 27)),
    ("eid_ghadir", "عید غدیر", "Eid al-Ghadir", D(2026, 6, 4), D(2026, 6, 4)),
    # 1–10 Muharram 1448: Tasua and Ashura are its last two days.
    ("muharram", "محرم و تاسوعا و عاشورا", "Muharram, Tasua and Ashura", D(2026, 6, 17), D(2026, 6, 26)),
    ("arbaeen", "اربعین حسینی", "Arbaeen", D(2026, 8, 5), D(2026, 8, 5)),
    ("school_start", "بازگشایی مدرسه‌ها (اول مهر)", "School starts (1 Mehr)", D(2026, 9, 23), D(2026, 9, 23)),
    ("yalda", "شب یلدا", "Yalda night", D(2026, 12, 21), D(2026, 12, 21)),
    ("nime_shaban", "نیمهٔ شعبان", "Nime-Shaban", D(2027, 1, 24), D(2027, 1, 24)),
    ("ramadan", "ماه رمضان", "Ramadan", D(2027, 2, 8), D(2027, 3, 9)),
    ("eid_fitr", "عید فطر", "Eid al-Fitr", D(2027, 3, 10), D(2027, 3, 10)),
    # 1406 (21 March 2027 to 19 March 2028)
    ("nowruz", "نوروز", "Nowruz", D(2027, 3, 21), D(2027, 4, 2)),
    ("eid_qurban", "عید قربان", "Eid al-Adha", D(2027, 5, 17), D(2027, 5, 17)),
    ("eid_ghadir", "عید غدیر", "Eid al-Ghadir", D(2027, 5, 25), D(2027, 5, 25)),
    ("muharram", "محرم و تاسوعا و عاشورا", "Muharram, Tasua and Ashura", D(2027, 6, 6), D(2027, 6, 15)),
    ("arbaeen", "اربعین حسینی", "Arbaeen", D(2027, 7, 25), D(2027, 7, 25)),
    ("school_start", "بازگشایی مدرسه‌ها (اول مهر)", "School starts (1 Mehr)", D(2027, 9, 23), D(2027, 9, 23)),
    ("yalda", "شب یلدا", "Yalda night", D(2027, 12, 21), D(2027, 12, 21)),
    ("nime_shaban", "نیمهٔ شعبان", "Nime-Shaban", D(2028, 1, 13), D(2028, 1, 13)),
    ("ramadan", "ماه رمضان", "Ramadan", D(2028, 1, 28), D(2028, 2, 26)),
    ("eid_fitr", "عید فطر", "Eid al-Fitr", D(2028, 2, 27), D(2028, 2, 27)),
)
COMING_DAYS = 60  # "coming soon": what starts within two months
COMING_LISTED = 3


def load_calendar():
    """The calendar's rows, each added once (UNIQUE(key, starts_on)): loading
    again adds nothing. The number added."""
    rows = [
        {"key": key, "name": persian.normalize(name), "name_en": name_en, "starts_on": first, "ends_on": last}
        for key, name, name_en, first, last in CALENDAR
    ]
    with write_transaction():
        before = Occasion.select().count()
        Occasion.insert_many(rows).on_conflict_ignore().execute()
        return Occasion.select().count() - before


def today():
    """Today in Tehran: an occasion's day begins at midnight there."""
    return persian.tehran_time(utcnow()).date()


def jalali_year(day=None):
    return jdatetime.date.fromgregorian(date=day or today()).year


def year_bounds(year):
    """The first and the last Gregorian day of the Jalali `year`."""
    first = jdatetime.date(year, 1, 1).togregorian()
    return first, jdatetime.date(year + 1, 1, 1).togregorian() - datetime.timedelta(days=1)


def years():
    """The Jalali years the calendar holds, oldest first."""
    days = Occasion.select(Occasion.starts_on).distinct()
    return sorted({jalali_year(row.starts_on) for row in days})


def of_year(year):
    """The occasions that begin in the Jalali `year`, in the order of time."""
    first, last = year_bounds(year)
    return list(
        Occasion.select()
        .where(Occasion.starts_on.between(first, last))
        .order_by(Occasion.starts_on, Occasion.ends_on, Occasion.key)
    )


def upcoming(day=None, within=COMING_DAYS, limit=COMING_LISTED):
    """Occasions going on now or starting within `within` days of `day`."""
    day = day or today()
    return list(
        Occasion.select()
        .where(Occasion.ends_on >= day, Occasion.starts_on <= day + datetime.timedelta(days=within))
        .order_by(Occasion.starts_on, Occasion.key)
        .limit(limit)
    )


def days_until(occasion, day=None):
    """0 while it goes on, else the days until it begins (negative once past)."""
    day = day or today()
    if occasion.starts_on <= day <= occasion.ends_on:
        return 0
    return (occasion.starts_on - day).days


def covering_ids(neighborhood):
    """The areas whose campaigns reach `neighborhood`: itself and every area above it."""
    return [int(part) for part in neighborhood.path.strip("/").split("/") if part]


def campaigns_around(occasions, neighborhood=None):
    """{occasion id: [campaign, ...]}: the campaigns planned around each of
    `occasions` (drafts are their organizers' own), only those reaching
    `neighborhood` when one is given."""
    ids = [item.id for item in occasions]
    if not ids:
        return {}
    found = Campaign.select().where(Campaign.occasion.in_(ids), Campaign.status != "draft")
    if neighborhood is not None:
        reaching = CampaignArea.select(CampaignArea.campaign).where(CampaignArea.area.in_(covering_ids(neighborhood)))
        found = found.where(Campaign.id.in_(reaching))
    grouped = {}
    for campaign in found.order_by(Campaign.starts_on, Campaign.id):
        grouped.setdefault(campaign.occasion_id, []).append(campaign)
    return grouped


def coming_soon(neighborhood=None, day=None):
    """What is coming (now or within two months), each with the campaigns
    planned around it near `neighborhood`: [(occasion, days until, campaigns)]."""
    day = day or today()
    occasions = upcoming(day)
    around = campaigns_around(occasions, neighborhood)
    return [(item, days_until(item, day), around.get(item.id, [])) for item in occasions]


def neighborhood_or_none(area_id):
    """A live neighborhood by its id, or None."""
    if area_id is None:
        return None
    return Area.live().where(Area.id == area_id, Area.kind == "neighborhood").first()
