"""Demo data of the services directory: the lists of two Tehran
neighborhoods (Tajrish and Niavaran), their district's, and a few national
lines. Offices' numbers have the right shape (021 and eight digits) but are
made up; the national lines are the Welfare Organization's own short numbers.
Seeding twice adds nothing: each entry is made once by its form key."""

import models
from hamsayeh import persian
from hamsayeh.domain import directory

# (form key, place: None for the national list, or (district, neighborhood or None),
#  category, name, address, hours, phone, keeper's phone)
DEMO_ENTRIES = (
    ("demo-dir-1", None, "welfare", "صدای مشاور بهزیستی", "", "همه روزه، ۸ تا ۲۴", "1480", "09120000007"),
    ("demo-dir-2", None, "welfare", "اورژانس اجتماعی بهزیستی", "", "شبانه‌روزی", "123", "09120000007"),
    (
        "demo-dir-3",
        ("منطقه ۱", None),
        "municipality",
        "شهرداری منطقه ۱",
        "خیابان شریعتی، بالاتر از پل رومی، پلاک ۱۸۰",
        "شنبه تا چهارشنبه، ۷:۳۰ تا ۱۴:۳۰",
        "02122390000",
        "09120000007",
    ),
    (
        "demo-dir-4",
        ("منطقه ۱", None),
        "relief",
        "کمیته امداد امام خمینی (ره) منطقه ۱",
        "خیابان دربند، کوچه شهید فلاحی، پلاک ۷",
        "شنبه تا چهارشنبه، ۸ تا ۱۴",
        "02122410000",
        "09120000007",
    ),
    (
        "demo-dir-5",
        ("منطقه ۱", None),
        "welfare",
        "اداره بهزیستی شمال تهران",
        "خیابان پاسداران، نبش گلستان پنجم",
        "شنبه تا چهارشنبه، ۸ تا ۱۴",
        "02122560000",
        "09120000007",
    ),
    (
        "demo-dir-6",
        ("منطقه ۱", "تجریش"),
        "mosbat_center",
        "مرکز مثبت زندگی تجریش",
        "",
        "",
        "",
        "09120000003",
    ),
    (
        "demo-dir-7",
        ("منطقه ۱", "تجریش"),
        "health_house",
        "خانه بهداشت تجریش",
        "خیابان شهرداری، کوچه سعیدی، پلاک ۱۲",
        "شنبه تا چهارشنبه، ۷:۳۰ تا ۱۴",
        "02122710000",
        "09120000003",
    ),
    (
        "demo-dir-8",
        ("منطقه ۱", "تجریش"),
        "clinic",
        "درمانگاه شبانه‌روزی تجریش",
        "خیابان مقصودبیک، نبش کوچه نور",
        "شبانه‌روزی",
        "02122730000",
        "09120000003",
    ),
    (
        "demo-dir-9",
        ("منطقه ۱", "تجریش"),
        "pharmacy",
        "داروخانه شبانه‌روزی قدس",
        "میدان قدس، ضلع شمالی",
        "شبانه‌روزی",
        "02122740000",
        "09120000003",
    ),
    (
        "demo-dir-10",
        ("منطقه ۱", "تجریش"),
        "mosque",
        "مسجد جامع تجریش",
        "بازار تجریش، جنب امامزاده صالح",
        "هر روز، از اذان صبح تا ۲۲",
        "02122750000",
        "09120000003",
    ),
    (
        "demo-dir-11",
        ("منطقه ۱", "تجریش"),
        "messenger_group",
        "گروه ایتای محله تجریش",
        "https://eitaa.com/tajrish_mahalle",
        "",
        "",
        "09120000003",
    ),
    (
        "demo-dir-12",
        ("منطقه ۱", "تجریش"),
        "notice_board",
        "تابلو اعلانات مسجد جامع",
        "ورودی مسجد جامع تجریش، کنار در شمالی",
        "",
        "",
        "09120000003",
    ),
    (
        "demo-dir-13",
        ("منطقه ۱", "نیاوران"),
        "mosbat_center",
        "مرکز مثبت زندگی نیاوران",
        "",
        "",
        "",
        "09120000003",
    ),
    (
        "demo-dir-14",
        ("منطقه ۱", "نیاوران"),
        "health_house",
        "خانه بهداشت نیاوران",
        "خیابان شهید باهنر، کوچه نوزدهم، پلاک ۵",
        "شنبه تا چهارشنبه، ۷:۳۰ تا ۱۴",
        "02122280000",
        "09120000003",
    ),
    (
        "demo-dir-15",
        ("منطقه ۱", "نیاوران"),
        "school",
        "دبستان دخترانه فرهنگ",
        "خیابان مژدی، کوچه لاله، پلاک ۲",
        "شنبه تا چهارشنبه، ۷:۳۰ تا ۱۳",
        "02122290000",
        "09120000003",
    ),
    (
        "demo-dir-16",
        ("منطقه ۱", "نیاوران"),
        "charity",
        "خیریه همدلی نیاوران",
        "میدان یاسر، کوچه مهتاب، پلاک ۳",
        "شنبه تا پنج‌شنبه، ۹ تا ۱۲",
        "02122270000",
        "09120000003",
    ),
    (
        "demo-dir-17",
        ("منطقه ۱", "نیاوران"),
        "messenger_group",
        "گروه محله نیاوران در بله",
        "@niavaran_mahalle",
        "",
        "",
        "09120000003",
    ),
)


def _place(place):
    if place is None:
        return None
    district_name, neighborhood = (persian.normalize(name) if name else None for name in place)
    districts = models.Area.select().where(models.Area.kind == "district", models.Area.name == district_name)
    district = next((area for area in districts if "تهران" in [a.name for a in area.ancestors()]), None)
    if district is None or neighborhood is None:
        return district
    return models.Area.get_or_none(models.Area.parent == district, models.Area.name == neighborhood)


def seed():
    """The demo lists; the number of entries they hold."""
    count = 0
    for form_key, place, category, name, address, hours, phone, keeper in DEMO_ENTRIES:
        area, actor = _place(place), models.User.by_phone(keeper)
        if (place is not None and area is None) or actor is None:
            continue
        fields, problems = directory.check_fields(
            {"name": name, "category": category, "address": address, "hours": hours, "phone": phone}
        )
        if problems:
            raise ValueError(f"demo entry {form_key}: {problems}")
        center = models.Center.get_or_none(models.Center.name == name) if category == "mosbat_center" else None
        directory.add_entry(area, actor, form_key, fields, center_id=center.id if center else None)
        count += 1
    return count
