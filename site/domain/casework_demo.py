"""The welfare desk's demo: District 1's office in Tehran with two social
workers and a supervisor, a charity of the district's assembly and a
business that pledged shelter places, and requests in every state. Made
through the desk's own operations; seeding twice adds nothing."""

import datetime

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, assemblies, casework, organizations

DEMO_PIN = "2580"
# (phone, name, role at the office): رضا محمدی (09120000006) is the demo's social worker already.
DEMO_STAFF = (
    ("09120000006", "رضا محمدی", "social_worker"),
    ("09120000041", "نرگس عطایی", "social_worker"),
    ("09120000042", "بهرام صالحی", "supervisor"),
)
BUSINESS_OWNER = ("09120000043", "کامران فرهادی")
SECOND_MANAGER = ("09120000044", "پروین دانایی")
CHARITY = "خیریهٔ مهر تجریش"
SECOND_CHARITY = "کانون نیکوکاری نیاوران"
BUSINESS = "تعاونی عمرانی شهر تهران"
# (form key, name, first nine digits of the code, household, what is asked, where it ends)
DEMO_CASES = (
    (
        "demo-case-1",
        "رقیه بهرامی",
        "301245678",
        4,
        "سبد غذایی و کمک برای اجارهٔ خانه؛ همسرم زندانی جرائم غیرعمد است.",
        "registered",
    ),
    ("demo-case-2", "حسن نوروزی", "301245679", 1, "جایی برای خوابیدن ندارم؛ شب‌ها در پارک می‌مانم.", "waiting"),
    ("demo-case-3", "مینا کرمی", "301245680", 3, "پسرم معلول است و ویلچر و داروهایش را نمی‌توانیم بخریم.", "assessed"),
    ("demo-case-4", "جواد شریفی", "301245681", 5, "کمک غذایی برای زمستان و مشاورهٔ حقوقی برای بدهی.", "served"),
    ("demo-case-5", "زینب رستمی", "301245682", 2, "برای ازدواج دخترم کمک می‌خواهیم.", "closed"),
    ("demo-case-6", "علی‌اکبر یزدانی", "301245683", 6, "اخطار تخلیه گرفته‌ایم؛ پیش‌تر کمک غذایی گرفته بودیم.", "reopened"),
)


def seed(registry_key):
    """The demo office and its cases; the number of cases (0 when District 1 is missing)."""
    district = models.Area.get_or_none(models.Area.kind == "district", models.Area.name == persian.normalize("منطقه ۱"))
    admin = models.User.by_phone("09120000007")
    if district is None or admin is None:
        return 0
    office = casework.office_for(district) or casework.open_office(
        district, admin, address="تجریش، میدان قدس، ساختمان شهرداری منطقه ۱", phone="02122712345"
    )
    if models.WelfareCase.select().where(models.WelfareCase.form_key == DEMO_CASES[0][0]).exists():
        return models.WelfareCase.select().where(models.WelfareCase.office == office).count()
    staff = {}
    for phone, name, role in DEMO_STAFF:
        user = models.User.by_phone(phone) or accounts.create_user(phone, name, DEMO_PIN, roles=("social_worker",))
        casework.set_staff(office, user, role, admin, exports_codes=role == "supervisor")
        staff[role if role == "supervisor" else phone] = user
    worker, second, supervisor = staff["09120000006"], staff["09120000041"], staff["supervisor"]
    charity = _organization(CHARITY, "charity", district, models.User.by_phone("09120000005"), admin)
    owner = models.User.by_phone(BUSINESS_OWNER[0]) or accounts.create_user(*BUSINESS_OWNER, DEMO_PIN)
    # A business gives through the municipality's social-responsibility office, not the charities' assembly.
    business = _organization(BUSINESS, "business", district, owner, admin, in_assembly=False)
    manager = models.User.by_phone(SECOND_MANAGER[0]) or accounts.create_user(*SECOND_MANAGER, DEMO_PIN)
    _organization(SECOND_CHARITY, "charity", district, manager, admin)
    casework.make_pledge(
        charity, office, models.User.by_phone("09120000005"), "demo-pledge-food", "food", 20, "سبد غذایی ماهانه"
    )
    hoods = {hood.name: hood for hood in district.sorted_children()}
    clerk = worker
    for index, (form_key, name, digits, size, asked, state) in enumerate(DEMO_CASES):
        identity = None
        if registry_key:
            code = _national_code(digits)
            identity = ("national", *casework.identify(registry_key, "national", code))
        case = casework.register(
            office,
            clerk,
            form_key,
            identity,
            name=name,
            area=hoods.get("تجریش" if index % 2 else "نیاوران", district),
            household_size=size,
            asked=asked,
            source=("office", "phone", "center", "office", "board", "office")[index],
            phone=f"0935{index + 1:07d}" if index != 1 else "",
            contact="" if index != 1 else "از طریق پایگاه بسیج پارک نیاوران",
            consent_to_share=index % 2 == 0,
        )
        _move_to(case, state, worker, second, supervisor, charity, registry_key)
    # A request that waited too long for its assessment, and a visit tomorrow morning.
    first = models.WelfareCase.get(models.WelfareCase.form_key == "demo-case-1")
    models.WelfareCase.update(created_at=models.utcnow() - datetime.timedelta(days=9)).where(
        models.WelfareCase.id == first.id
    ).execute()
    third = models.WelfareCase.get(models.WelfareCase.form_key == "demo-case-3")
    tomorrow = persian.tehran_time(models.utcnow()).date() + datetime.timedelta(days=1)
    starts = datetime.datetime.combine(tomorrow, datetime.time(10, 30), tzinfo=persian.TEHRAN)
    casework.plan_appointment(
        third,
        worker,
        "demo-visit-1",
        kind="home_visit",
        starts_at=starts.astimezone(datetime.UTC).replace(tzinfo=None),
        place="نیاوران، کوچهٔ یاس، پلاک ۷",
        with_user=worker,
    )
    # The business pledges shelter places under its memorandum: the man in line takes one.
    casework.make_pledge(
        business, office, owner, "demo-pledge-shelter", "shelter", 2, "سوئیت‌های اضطراری تا پایان زمستان"
    )
    return models.WelfareCase.select().where(models.WelfareCase.office == office).count()


def _organization(name, kind, district, manager, admin, in_assembly=True):
    found = models.Organization.get_or_none(models.Organization.name == name)
    if found is None:
        county = next((area for area in district.ancestors() if area.kind == "county"), district.parent)
        found = organizations.open_organization(name, kind, county, manager, admin)
    assembly = assemblies.of_district(district)
    if assembly is not None and in_assembly:
        assemblies.add_member(assembly, found, admin)
    return found


def _national_code(first_nine):
    total = sum(int(digit) * (10 - i) for i, digit in enumerate(first_nine))
    remainder = total % 11
    return first_nine + str(remainder if remainder < 2 else 11 - remainder)


def _assess(case, worker, **fields):
    values = {"housing": "rented", "coverage": "none", "decision": "eligible", "needs": "food"} | fields
    return casework.assess(case, worker, models.WelfareCase.get_by_id(case.id).version, **values)


def _move_to(case, state, worker, second, supervisor, charity, key):
    """Take the case, as the desk would, to the state the demo shows."""
    if state == "registered":
        return
    version = models.WelfareCase.get_by_id(case.id).version
    casework.assign(case, supervisor, version, worker if state != "waiting" else second)
    if state == "waiting":
        _assess(case, second, housing="homeless", priority_group="addiction", needs="shelter,health")
        casework.ask_shelter(case, second, "demo-shelter-1")
        return
    if state == "assessed":
        _assess(case, worker, disability=True, needs="disability,health", coverage="welfare")
        casework.plan_service(case, worker, "demo-service-3", "disability", "ویلچر", partner=charity)
        return
    _assess(case, worker, needs="food,legal")
    food = casework.plan_service(case, worker, f"demo-service-{case.id}", "food", "سبد غذایی ماه", partner=charity)
    manager = models.User.by_phone("09120000005")
    casework.answer_referral(food, manager, accept=True)
    casework.deliver(food, manager, key, persian.today() - datetime.timedelta(days=3), 25_000_000)
    if state == "closed":
        casework.close(case, worker, models.WelfareCase.get_by_id(case.id).version, "served", "برنامه انجام شد")
    if state == "reopened":
        casework.close(case, worker, models.WelfareCase.get_by_id(case.id).version, "served", "")
        casework.reopen(case, worker, models.WelfareCase.get_by_id(case.id).version, "اخطار تخلیه از سوی مالک")
