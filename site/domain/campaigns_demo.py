"""The demo's voucher round (seed 004: voucher cards through the mosques of
deprived areas): District 1's welfare office runs «بن کارت شهروند» through
three mosques of the district, each a distribution point with a volunteer.
The mosques nominated 30 households; one of them was nominated by two
mosques (flagged, waiting), the rest are verified and, when the site's key
is given, the list is frozen and a few households have collected (one tried
again at another mosque and was refused). Made through the campaigns' and
distributions' own operations; seeding twice adds nothing."""

import datetime

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, assemblies, campaigns, casework, distributions, organizations

DEMO_PIN = "2580"
CAMPAIGN_KEY, ROUND_KEY = "demo-vouchers", "demo-vouchers-round-1"
CAMPAIGN = (
    "بن کارت شهروند منطقه ۱",
    "بن کارت خرید کالای اساسی برای خانواده‌های نیازمند محله‌های منطقه ۱، با نگاه مسجدمحور: "
    "مسجدها، هیأت‌ها و گروه‌های مردمی خانواده‌ها را معرفی می‌کنند و هر خانوار یک بار، از هر مسجدی، بن خود را می‌گیرد.",
)
# (name, neighborhood, manager's phone and name, volunteer's phone and name)
MOSQUES = (
    ("مسجد جامع تجریش", "تجریش", ("09120000051", "حجت‌الاسلام مهدی طاهری"), ("09120000002", "علی رضایی")),
    ("مسجد امام حسن نیاوران", "نیاوران", ("09120000052", "محمود افشار"), ("09120000054", "حامد یوسفی")),
    ("مسجد الزهرا دربند", "دربند", ("09120000053", "سیدرضا موسوی"), ("09120000009", "معصومه نوری")),
)
FIRST_NAMES = ("فاطمه", "حسین", "زهرا", "علی", "مریم", "محمد", "سکینه", "رضا", "معصومه", "عباس")
LAST_NAMES = ("کریمی", "رحیمی", "حیدری", "نظری", "صفری", "جعفری", "اکبری", "قربانی", "محمدی", "عزیزی")
HOUSEHOLDS = 30


def seed(registry_key="", secret=""):
    """The demo's voucher round; how many households it holds (0 when District 1's office is missing)."""
    district = models.Area.get_or_none(models.Area.kind == "district", models.Area.name == persian.normalize("منطقه ۱"))
    office = casework.office_for(district) if district is not None else None
    staff, admin = models.User.by_phone("09120000006"), models.User.by_phone("09120000007")
    if office is None or staff is None or admin is None:
        return 0
    hoods = {hood.name: hood for hood in district.sorted_children()}
    campaign = models.Campaign.get_or_none(models.Campaign.form_key == CAMPAIGN_KEY)
    if campaign is None:
        today = persian.today()
        campaign = campaigns.create(
            staff,
            CAMPAIGN_KEY,
            ("office", office),
            *CAMPAIGN,
            "distribution",
            [district.id],
            today - datetime.timedelta(days=3),
            today + datetime.timedelta(days=57),
            "households",
            300,
        )
    points, mosques = [], []
    for index, (name, hood, manager, helper) in enumerate(MOSQUES):
        area = hoods.get(persian.normalize(hood), district)
        mosque = _mosque(name, district, _person(*manager, area), admin)
        point = distributions.add_point(campaign, staff, f"demo-point-{index + 1}", name, area, organization=mosque)
        distributions.add_volunteer(point, _person(*helper, area), staff)
        points.append(point)
        mosques.append((mosque, models.User.by_phone(manager[0]), area))
    round_ = distributions.add_round(
        campaign, staff, ROUND_KEY, "نوبت اول: پیش از نیمهٔ شعبان", "بن کارت ۵ میلیون ریالی", "food", 5_000_000
    )
    if not registry_key or round_.status != "nominating":
        return models.Nomination.select().where(models.Nomination.round == round_).count()
    nominations = []
    for n in range(HOUSEHOLDS):
        mosque, manager, area = mosques[n % 3]
        name = f"{FIRST_NAMES[n % 10]} {LAST_NAMES[(n * 7 + n // 10) % 10]}"
        nominations.append(
            distributions.nominate(
                round_,
                mosque,
                manager,
                registry_key,
                f"demo-nomination-{n + 1}",
                "national",
                _national_code(f"{402100000 + n:09d}"),
                name,
                area,
                household_size=2 + n % 5,
                phone=f"0936{n + 1:07d}" if n % 4 == 0 else "",
                point=points[n % 3],
            )
        )
    # The household of the first nomination was nominated by the second mosque too: flagged, left to the office.
    first = nominations[0]
    mosque, manager, _area = mosques[1]
    distributions.nominate(
        round_,
        mosque,
        manager,
        registry_key,
        "demo-nomination-double",
        "national",
        _national_code("402100000"),
        first.name,
        first.area,
        household_size=first.household_size,
        point=points[1],
    )
    for nomination in nominations:
        if models.Nomination.get_by_id(nomination.id).status == "pending":
            distributions.verify(nomination, staff)
    if not secret:
        return models.Nomination.select().where(models.Nomination.round == round_).count()
    distributions.freeze(round_, staff, secret)
    round_ = distributions.get_round(round_.id)
    codes = {
        e.number: distributions.code_of(secret, e.salt)
        for e in models.Entitlement.select().where(models.Entitlement.round == round_)
    }
    helpers = [models.User.by_phone(helper[0]) for _n, _h, _m, helper in MOSQUES]
    earlier = models.utcnow() - datetime.timedelta(hours=5)
    for number in (1, 2, 3, 4, 5, 7):
        index = (number - 1) % 3
        distributions.mark_pickup(points[index], round_, helpers[index], codes[number], now=earlier)
    # Household 1 came again the next hour, to the second mosque: refused, with where and when.
    distributions.mark_pickup(points[1], round_, helpers[1], codes[1], now=earlier + datetime.timedelta(hours=1))
    return models.Nomination.select().where(models.Nomination.round == round_).count()


def _person(phone, name, area):
    return models.User.by_phone(phone) or accounts.create_user(phone, name, DEMO_PIN, neighborhood=area)


def _mosque(name, district, manager, admin):
    found = models.Organization.get_or_none(models.Organization.name == name)
    if found is None:
        found = organizations.open_organization(name, "mosque", district.parent, manager, admin)
    assembly = assemblies.of_district(district)
    if assembly is not None:
        assemblies.add_member(assembly, found, admin)
    return found


def _national_code(first_nine):
    total = sum(int(digit) * (10 - i) for i, digit in enumerate(first_nine))
    remainder = total % 11
    return first_nine + str(remainder if remainder < 2 else 11 - remainder)
