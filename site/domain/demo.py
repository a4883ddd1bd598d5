"""Believable Persian demo data: Iran's provinces, Tehran's districts and
neighborhoods, Damavand and Hamedan, Mosbat-e Zendegi centers, and one member
for every role. Every step looks before it writes, so seeding twice adds
nothing."""

import csv
import datetime
import functools
import io
from importlib import resources

import models
from hamsayeh import persian
from hamsayeh.domain import (
    accounts,
    assemblies,
    board,
    campaigns_demo,
    casework_demo,
    centers,
    crisis_demo,
    directory_demo,
    drives_demo,
    facilitators,
    funds_demo,
    imports,
    network,
    organizations,
    registry,
    timebank,
    volunteers,
)

DEMO_PIN = "2580"
# One member per role, and a few neighbors: (phone, name, roles, neighborhood).
DEMO_PEOPLE = (
    ("09120000001", "زهرا احمدی", ("resident",), "نیاوران"),
    ("09120000002", "علی رضایی", ("resident", "volunteer"), "نیاوران"),
    ("09120000003", "مریم حسینی", ("resident", "facilitator"), "تجریش"),
    ("09120000004", "حسین کریمی", ("resident", "center_staff"), "تجریش"),
    ("09120000005", "فاطمه موسوی", ("resident", "charity_staff"), "نیاوران"),
    ("09120000006", "رضا محمدی", ("resident", "social_worker"), "تجریش"),
    ("09120000007", "سارا جعفری", ("admin",), None),
    ("09120000008", "عباس قاسمی", ("resident",), "تجریش"),
    ("09120000009", "معصومه نوری", ("resident", "volunteer"), "دربند"),
    ("09120000010", "محمد صادقی", ("resident",), None),
)


# (form key, author's phone, kind, activity, urgency, text): a week on the boards of Niavaran and Tajrish.
DEMO_POSTS = (
    (
        "demo-1",
        "09120000001",
        "request",
        "errands",
        1,
        "برای خرید داروهای مادرم از داروخانهٔ میدان تجریش کمک می‌خواهم. پایم آسیب دیده و نمی‌توانم بروم.",
    ),
    (
        "demo-2",
        "09120000008",
        "request",
        "repairs",
        0,
        "شیر آب آشپزخانه چکه می‌کند. اگر همسایه‌ای ابزار و وقت دارد ممنون می‌شوم.",
    ),
    (
        "demo-3",
        "09120000002",
        "offer",
        "education",
        0,
        "معلم بازنشستهٔ ریاضی هستم. عصرهای یک‌شنبه و سه‌شنبه به دانش‌آموزان کلاس هفتم تا نهم کمک درسی می‌دهم.",
    ),
    (
        "demo-4",
        "09120000001",
        "request",
        "companionship",
        2,
        "همسایهٔ طبقهٔ پایین ما، آقای رحیمی، تنها زندگی می‌کند. امروز کسی سری به او بزند و کمی هم‌صحبتش شود.",
    ),
    (
        "demo-5",
        "09120000009",
        "offer",
        "transport",
        0,
        "صبح‌های شنبه با ماشین به بیمارستان شهدای تجریش می‌روم و می‌توانم دو نفر را همراهی کنم.",
    ),
)


# (phone, activity types, reach): the demo volunteers' profiles.
DEMO_VOLUNTEERS = (
    ("09120000002", ("education", "errands", "repairs"), "district"),
    ("09120000009", ("transport", "companionship", "errands"), "district"),
)


# The demo's areas and centers: the same files a new deployment writes for its
# own, loaded through the same imports as headquarters' (site/domain/imports.py).
DEMO_FILES = (("areas", "data/areas.csv"), ("centers", "data/centers.csv"))


class DemoDataError(RuntimeError):
    """A demo file the import refuses: its bad rows are named."""


def load_demo_file(kind, name):
    """Import one of the demo's CSV files (nothing is added the second time)."""
    text = resources.files("hamsayeh").joinpath(name).read_text(encoding="utf-8")
    result = imports.run(imports.IMPORTERS[kind](), list(csv.reader(io.StringIO(text))), actor=None)
    if not result.ok:
        problems = "; ".join(f"row {problem.row}: {problem.code} {problem.values}" for problem in result.problems)
        raise DemoDataError(f"{name} cannot be imported: {problems}")
    return result


def add_area(parent, node):
    """A tree given as nested dicts (tests' small trees), added where missing."""
    name = persian.normalize(node["name"])
    name_en = persian.normalize(node.get("name_en", ""))
    area = models.Area.add(parent, node["kind"], name, name_en, persian.fold(f"{name} {name_en}"))
    count = 1
    for child in node.get("children", ()):
        count += add_area(area, child)
    return count


def find_neighborhood(name, city=None):
    query = models.Area.select().where(models.Area.kind == "neighborhood", models.Area.name == persian.normalize(name))
    if city:
        cities = models.Area.select(models.Area.path).where(models.Area.name == persian.normalize(city))
        paths = [area.path for area in cities]
        return next((area for area in query if any(area.path.startswith(p) for p in paths)), None)
    return query.first()


def seed(registry_key="", secret=""):
    for kind, name in DEMO_FILES:
        load_demo_file(kind, name)
    areas, centers = models.Area.select().count(), models.Center.select().count()
    people = 0
    for phone, name, roles, neighborhood in DEMO_PEOPLE:
        if models.User.by_phone(phone) is None:
            home = find_neighborhood(neighborhood, "تهران") if neighborhood else None
            accounts.create_user(phone, name, DEMO_PIN, roles=roles, neighborhood=home)
        people += 1
    posts = 0
    for form_key, phone, kind, activity, urgency, text in DEMO_POSTS:
        author = models.User.by_phone(phone)
        text = persian.normalize(text)
        board.create_post(
            author,
            form_key,
            kind=kind,
            activity_type=models.ActivityType.get(models.ActivityType.slug == activity),
            text=text,
            search_key=persian.fold(text),
            urgency=urgency,
            neighborhood=author.neighborhood,
        )
        posts += 1
    volunteer_count = 0
    for phone, slugs, reach in DEMO_VOLUNTEERS:
        user = models.User.by_phone(phone)
        if not models.VolunteerProfile.select().where(models.VolunteerProfile.user == user).exists():
            activities = list(models.ActivityType.select().where(models.ActivityType.slug.in_(slugs)))
            volunteers.save_volunteer(
                user, user.neighborhood, activities, weekdays=127, time_slots=7, reach=reach, missions=7
            )
        volunteer_count += 1
    transfers = seed_time_bank()
    network = seed_network()
    seed_programs()
    seed_organizations(registry_key)
    assembly_count = seed_assemblies()
    case_count = casework_demo.seed(registry_key)
    # The voucher round through three mosques of District 1 (frozen, with pickups, when `secret` is given).
    voucher_households = campaigns_demo.seed(registry_key, secret)
    # Counted once everything is in: the welfare desk's offices and partners are organizations too.
    organization_count = models.Organization.select().count() + models.Beneficiary.select().count()
    return {
        "areas": areas,
        "centers": centers,
        "people": people,
        "posts": posts,
        "volunteers": volunteer_count,
        "time transfers": transfers,
        "stories, ideas and announcements": network,
        "organizations and registry": organization_count,
        "assemblies and applications": assembly_count,
        "welfare cases": case_count,
        "services in the directory": directory_demo.seed(),
        "past crises": crisis_demo.seed(DEMO_PIN),
        "voucher round households": voucher_households,
        # After the campaigns' own demo: the iftar and the drive for prisoners' families.
        "events and drives": drives_demo.seed(),
        "local development fund entries": funds_demo.seed(),
    }


def seed_time_bank():
    """A finished help paid in hours, a gift to the district's pool, and a
    center thanking a volunteer; the center's staff member works there."""
    staff = models.User.by_phone("09120000004")
    if staff.work_center_id is None:
        center = models.Center.select().where(models.Center.area == staff.neighborhood).first()
        if center is not None:
            accounts.set_work_center(staff, center, actor=models.User.by_phone("09120000007"))
            staff = models.User.by_phone(staff.phone)
    post = models.HelpPost.get(models.HelpPost.form_key == "demo-2")
    helper = models.User.by_phone("09120000002")
    if not models.HelpResponse.select().where(models.HelpResponse.post == post).exists():
        response = board.respond_to_post(post, helper, "جمعه صبح با ابزار می‌آیم.")
        board.accept_response(response, post.author)
        board.mark_done(models.HelpResponse.get_by_id(response.id), helper)
        board.confirm_help(models.HelpResponse.get_by_id(response.id), post.author, "دستتان درد نکند.", minutes=90)
    giver = models.User.by_phone("09120000001")
    pool = timebank.pool_account(timebank.pool_area(giver.neighborhood))
    timebank.transfer(
        timebank.member_account(giver), pool, 60, giver, reason="برای همسایه‌های سالمند", form_key="demo-time-1"
    )
    if staff.work_center_id is not None:
        volunteer = models.User.by_phone("09120000009")
        center = timebank.center_account(staff.work_center)
        reason = "سپاس برای برنامهٔ کتاب‌خوانی کودکان"
        timebank.transfer(center, timebank.member_account(volunteer), 120, staff, reason=reason, form_key="demo-time-2")
    return models.TimeTransfer.select().count()


# (form key, kind, title, narrative, activity, public): the record of Tajrish.
DEMO_STORIES = (
    (
        "demo-story-1",
        "need",
        "سالمندان تنهای کوچه‌های شمالی خرید روزانه ندارند",
        "دست‌کم دوازده سالمند تنها در کوچه‌های شمالی تجریش زندگی می‌کنند که پله‌ها و سربالایی بیرون رفتن را سخت کرده است.",
        "elderly",
        True,
    ),
    (
        "demo-story-2",
        "asset",
        "گروه جوانان مسجد جامع",
        "بیست جوان که هر جمعه بعد از نماز دور هم جمع می‌شوند و آماده‌اند خرید هفتگی همسایه‌ها را انجام دهند.",
        "errands",
        True,
    ),
    (
        "demo-story-3",
        "lesson",
        "بازارچهٔ خیریهٔ پاییز کم‌رونق بود",
        "بازارچه را فقط با پوستر در مسجد اعلام کردیم و خانواده‌های جوان خبردار نشدند.",
        "other",
        False,
    ),
)


def seed_network():
    """The facilitator serves Tajrish and Niavaran and keeps Tajrish's record;
    a neighbor's idea on its way to headquarters; an announcement to District 1
    and a problem raised to headquarters."""
    admin = models.User.by_phone("09120000007")
    facilitator = models.User.by_phone("09120000003")
    tajrish = facilitator.neighborhood
    for hood in (tajrish, models.User.by_phone("09120000001").neighborhood):
        if not facilitators.facilitates(facilitator, hood.id):
            facilitators.assign_facilitator(facilitator, hood, admin)
    for form_key, kind, title, narrative, slug, public in DEMO_STORIES:
        network.record_story(
            facilitator,
            form_key,
            [models.ActivityType.get(models.ActivityType.slug == slug)],
            neighborhood=tajrish,
            kind=kind,
            title=persian.normalize(title),
            narrative=persian.normalize(narrative),
            is_public=public,
            search_key=persian.fold(f"{title} {narrative}"),
            next_time="اعلام در مدرسه‌ها و گروه‌های محله، دو هفته زودتر." if kind == "lesson" else "",
        )
    need = models.Story.get(models.Story.form_key == "demo-story-1")
    network.link_story(need, models.Story.get(models.Story.form_key == "demo-story-2"), facilitator)
    resident = models.User.by_phone("09120000008")
    title, text = "کتابخانهٔ کوچک در پارک تجریش", "قفسه‌ای کنار نیمکت‌های پارک که هر کس کتابی بگذارد و کتابی بردارد."
    idea = network.propose_idea(resident, tajrish, title, text, persian.fold(f"{title} {text}"), "demo-idea-1")
    for phone in ("09120000003", "09120000004"):
        network.support_idea(idea, models.User.by_phone(phone))
    if idea.status == "proposed":
        network.move_idea(idea, facilitator, "forward", note="چند همسایه داوطلب نگه‌داری قفسه شده‌اند.")
    district = tajrish.parent
    network.announce(
        admin,
        district,
        "واکسن آنفولانزای سالمندان",
        "از شنبه تا چهارشنبه، صبح‌ها، در مرکز مثبت زندگی تجریش. کارت ملی همراه داشته باشید.",
        "demo-announcement-1",
    )
    network.announce(
        facilitator,
        tajrish,
        "قطعی آب کوچه‌های شمالی",
        "سه روز است آب کوچه‌های شمالی ساعت‌ها قطع می‌شود و سالمندان نمی‌توانند آب ذخیره کنند.",
        "demo-problem-1",
        kind="problem",
    )
    return models.Story.select().count() + models.Idea.select().count() + models.Announcement.select().count()


# (name, kind, in the assembly, manager's phone, about): organizations of Damavand county.
DEMO_ORGANIZATIONS = (
    ("خیریهٔ امام رضا دماوند", "charity", True, "09120000005", "سبد غذایی و کمک هزینهٔ درمان برای خانواده‌های نیازمند."),
    ("جمعیت نیکوکاری رودهن", "charity", True, "09120000010", "کمک به اجاره و جهیزیه و هزینهٔ تحصیل."),
    ("کانون مهر گیلاوند", "ngo", True, "09120000005", "کلاس‌های رایگان درسی برای کودکان محله."),
    ("گروه جهادی شهید همت آبسرد", "jihadi", False, "09120000002", "تعمیر خانه و کمک در روزهای سخت زمستان."),
)
# (first nine digits of the national code, name, household size, [(organization, kind, days ago)]).
DEMO_FAMILIES = (
    ("007812345", "خانوادهٔ رحیمی", 4, [(0, "food", 40), (1, "food", 25)]),
    ("123456789", "خانوادهٔ صالحی", 3, [(1, "housing", 60)]),
    ("234567891", "خانوادهٔ امینی", 5, []),
)


def national_code(first_nine):
    """A valid national code for demo people: nine digits and their check digit."""
    total = sum(int(digit) * (10 - i) for i, digit in enumerate(first_nine))
    remainder = total % 11
    return first_nine + str(remainder if remainder < 2 else 11 - remainder)


def seed_organizations(registry_key):
    """Charities of Damavand county in their assembly, with a few families in
    the registry (when a registry key is set): one got food from two charities
    in overlapping months, one is registered and got nothing."""
    admin = models.User.by_phone("09120000007")
    county = models.Area.get_or_none(models.Area.kind == "county", models.Area.name == "دماوند")
    if county is None:
        return
    made = []
    for name, kind, in_assembly, phone, about in DEMO_ORGANIZATIONS:
        organization = models.Organization.get_or_none(models.Organization.name == name)
        if organization is None:
            with models.write_transaction():
                organization = models.Organization.create(name=name, kind=kind, county=county, about=about)
            organizations.set_membership(organization, models.User.by_phone(phone), "manager", admin)
            if in_assembly:
                organizations.join_assembly(organization, admin)
            organization = models.Organization.get_by_id(organization.id)
        made.append(organization)
    first, second = made[0], made[1]
    assembly = assemblies.of_area(county)
    if not models.Capacity.select().where(models.Capacity.organization == first).exists():
        for organization, category, quantity, period in (
            (first, "food_packages", 60, "month"),
            (second, "food_packages", 10, "week"),
            (made[2], "tutoring_hours", 40, "month"),
        ):
            organizations.state_capacity(organization, category, quantity, period, county, admin)
    with models.write_transaction():
        models.AssemblyPost.insert(
            assembly=assembly,
            organization=first,
            author=models.User.by_phone("09120000005"),
            kind="lesson",
            title="سبدها را شب و بی‌صدا برسانیم",
            body="خانواده‌هایی که آبرویشان برایشان مهم است، وقتی سبد جلوی چشم همسایه‌ها نرسد، راحت‌تر می‌پذیرند.",
            form_key="demo-assembly-post-1",
        ).on_conflict_ignore().execute()
    if registry_key:
        for digits, name, size, services in DEMO_FAMILIES:
            code = national_code(digits)
            for index, (giver, category, days_ago) in enumerate(services or [(0, None, 0)]):
                organization = made[giver]
                staff = models.User.by_phone(DEMO_ORGANIZATIONS[giver][3])
                record, _created = registry.record_beneficiary(
                    organization, staff, registry_key, "national", code, name=name, household_size=size
                )
                if category:
                    day = persian.today() - datetime.timedelta(days=days_ago)
                    registry.record_service(
                        record, staff, f"demo-service-{digits}-{index}", category=category, given_on=day
                    )


# A grassroots group of Tajrish asks to open its page: the coordinator of District 1's assembly answers it.
DEMO_APPLICATION = {
    "name": "گروه جهادی جوانان تجریش",
    "kind": "jihadi",
    "contact_name": "عباس قاسمی",
    "contact_phone": "09120000008",
    "about": "جوانان محله که هر هفته برای سالمندان تنها خرید می‌کنند و خانه‌هایشان را تعمیر می‌کنند.",
}


def seed_assemblies():
    """The assembly of the city of Tehran with one under it for each of its
    districts (seed 004: «در همه مناطق شهرداری تهران مجمع خیرینی تشکیل شده
    است»); District 1's coordinated by a charity's staff member of Niavaran;
    one application waiting for her answer."""
    admin = models.User.by_phone("09120000007")
    city = models.Area.get_or_none(models.Area.kind == "city", models.Area.name == "تهران")
    if city is None:
        return 0
    made = []
    parent = assemblies.of_area(city) or assemblies.create("city", city, None, "مجمع خیرین شهر تهران", admin)
    for district in city.sorted_children().where(models.Area.kind == "district"):
        made.append(
            assemblies.of_area(district)
            or assemblies.create("district", district, parent, f"مجمع خیرین {district.name}", admin)
        )
    first = assemblies.of_district(find_neighborhood("تجریش", "تهران"))
    coordinator = models.User.by_phone("09120000005")
    if first is not None and first.coordinator_id is None:
        assemblies.set_coordinator(first, coordinator, admin)
    applicant = models.User.by_phone("09120000008")
    if first is not None and not organizations.applications_of(applicant).exists():
        organizations.apply(applicant, "demo-application-1", area=first.area, **DEMO_APPLICATION)
    return len(made) + 1 + models.OrganizationApplication.select().count()


def seed_programs():
    """Two programs of the Tajrish center in the coming days; one neighbor signed up."""
    staff = models.User.by_phone("09120000004")
    if staff.work_center_id is None:
        return
    for form_key, title, slug, days, capacity in DEMO_PROGRAMS:
        make = functools.partial(demo_program, staff, form_key, title, slug, days, capacity)
        program = models.made_once(models.Program, form_key, make)
        if program.starts_at > models.utcnow():
            centers.sign_up(program, models.User.by_phone("09120000001"))


# (form key, title, activity type, in how many days, capacity)
DEMO_PROGRAMS = (
    ("demo-program-1", "حلقهٔ کتاب‌خوانی کودکان", "children", 2, 15),
    ("demo-program-2", "ویزیت رایگان فشار خون سالمندان", "health", 4, 30),
)


def demo_program(staff, form_key, title, slug, days, capacity):
    return models.Program.create(
        center=staff.work_center,
        title=title,
        activity_type=models.ActivityType.get(models.ActivityType.slug == slug),
        starts_at=models.utcnow() + datetime.timedelta(days=days, hours=2),
        place="سالن مرکز",
        capacity=capacity,
        created_by=staff,
        form_key=form_key,
    )
