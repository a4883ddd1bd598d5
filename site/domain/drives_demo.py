"""The demo's event and drive: simple iftar tables in Ramadan 1405 (February
2027) at a Tajrish mosque, and District 1's year-long drive for the families
of women imprisoned for unintentional crimes (seed 004: "so that, God
willing, no such woman prisoner remains in Tehran"), with needs told without
names, pledges and some of them received. Made through the campaigns' and
drives' own operations; seeding twice adds nothing."""

import datetime

import models
from hamsayeh import persian
from hamsayeh.domain import campaign_events, campaigns, casework, drives, occasions

DRIVE_KEY, IFTAR_KEY = "demo-drive-prisoners", "demo-event-iftar"
DRIVE = (
    "حمایت از خانوادهٔ زندانیان زن جرائم غیرعمد",
    "پویشی تا پایان سال، تا ان‌شاءالله در تهران دیگر زن زندانی جرائم غیرعمد نداشته باشیم: "
    "دیه و بدهی مادرانی که به خاطر حادثه یا ضمانت در زندان‌اند، و هزینهٔ زندگی خانواده‌هایشان تا آزادی.",
)
# (form key, title, goal in rials, about): no name, nothing that identifies the person.
NEEDS = (
    (
        "demo-need-1",
        "آزادی مادر سه فرزند؛ دیهٔ یک تصادف رانندگی",
        1_200_000_000,
        "مادری که در تصادفی ناخواسته مقصر شناخته شد.",
    ),
    ("demo-need-2", "آزادی زن سرپرست خانوار؛ بدهی ضمانت وام", 800_000_000, "ضامن وام یکی از بستگان بود."),
    ("demo-need-3", "اجارهٔ خانهٔ خانوادهٔ یک زندانی تا آزادی", 300_000_000, "شش ماه اجاره برای دو فرزند و مادربزرگشان."),
)
# (form key, donor's phone, need (index or None), kind, amount, goods, public name, received)
PLEDGES = (
    ("demo-pledge-1", "09120000001", 0, "money", 200_000_000, "", "زهرا احمدی", 200_000_000),
    ("demo-pledge-2", "09120000008", 0, "money", 150_000_000, "", "", 50_000_000),
    ("demo-pledge-3", "09120000010", 1, "money", 300_000_000, "", "", 0),
    ("demo-pledge-4", "09120000002", 2, "goods", 40_000_000, "یخچال و اجاق گاز نو", "علی رضایی", 40_000_000),
    ("demo-pledge-5", "09120000009", None, "money", 20_000_000, "", "", 20_000_000),
)
IFTAR = (
    "سفرهٔ افطاری ساده در مسجد محله",
    "سفره‌های افطاری ساده برای همسایه‌ها در ماه رمضان؛ هر کس یک جا، تا جا هست.",
)
# (form key, place, Jalali day, Tehran time, places)
SITTINGS = (
    ("demo-sitting-1", "حیاط مسجد جامع تجریش", (1405, 11, 25), (17, 45), 120),
    ("demo-sitting-2", "حسینیهٔ نیاوران", (1405, 12, 5), (17, 50), 80),
    ("demo-sitting-3", "حیاط مسجد جامع تجریش", (1405, 12, 15), (18, 0), 120),
)


def seed():
    """The demo's drive and iftar; how many pledges and sittings they hold (0 when District 1's office is missing)."""
    occasions.load_calendar()
    district = models.Area.get_or_none(models.Area.kind == "district", models.Area.name == persian.normalize("منطقه ۱"))
    staff = models.User.by_phone("09120000006")
    office = casework.office_for(district) if district is not None else None
    if office is None or staff is None:
        return 0
    city = district.parent
    drive = _drive(office, staff, city)
    iftar = _iftar(office, staff, district)
    return drive + iftar


def _campaign(staff, key, office, title, purpose, kind, area, starts_on, ends_on, unit, goal, occasion=None):
    return campaigns.create(
        staff, key, ("office", office), title, purpose, kind, [area.id], starts_on, ends_on, unit, goal, occasion
    )


def _drive(office, staff, city):
    first, last = occasions.year_bounds(1405)
    drive = _campaign(staff, DRIVE_KEY, office, *DRIVE, "drive", city, first, last, "rials", 5_000_000_000)
    needs = [drives.add_need(drive, staff, key, title, goal, about) for key, title, goal, about in NEEDS]
    made = 0
    for key, phone, need, kind, amount, goods, name, received in PLEDGES:
        donor = models.User.by_phone(phone)
        if donor is None:
            continue
        item = drives.pledge(
            drive,
            donor,
            key,
            kind,
            amount,
            need=needs[need] if need is not None else None,
            goods=goods,
            public_name=name,
        )
        if received and not item.receipts.exists():
            drives.record_receipt(item, staff, f"{key}-received", received, "واریز به حساب پویش")
        made += 1
    return made


def _iftar(office, staff, district):
    ramadan = models.Occasion.get_or_none(models.Occasion.key == "ramadan", models.Occasion.starts_on.year == 2027)
    first, last = datetime.date(2027, 2, 8), datetime.date(2027, 3, 9)
    iftar = _campaign(staff, IFTAR_KEY, office, *IFTAR, "event", district, first, last, "households", 300, ramadan)
    for key, place, day, time, places in SITTINGS:
        local = datetime.datetime.combine(
            persian.parse_jalali_date("/".join(map(str, day))), datetime.time(*time), tzinfo=persian.TEHRAN
        )
        starts_at = local.astimezone(datetime.UTC).replace(tzinfo=None)
        campaign_events.add_sitting(iftar, staff, key, place, starts_at, places)
    return len(SITTINGS)
