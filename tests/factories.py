"""Test data made the way the product makes it: through the domain's own
operations. Test modules import from here, never from each other."""

import re
import subprocess
import uuid

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, assemblies, board, casework, organizations, volunteers
from tests.conftest import submit

PIN = "2580"
ALL_DAYS = 127  # Saturday to Friday


def person(phone, name="همسایه", roles=("resident",), neighborhood=None, pin=PIN):
    """A member; PINs are hashed with the cheap test parameters (conftest)."""
    return accounts.create_user(phone, name, pin, roles=roles, neighborhood=neighborhood)


def activity(slug):
    return models.ActivityType.get(models.ActivityType.slug == slug)


def make_post(author, neighborhood, text="کمک برای خرید هفتگی سالمند محله", **fields):
    defaults = {
        "kind": "request",
        "activity_type": activity("errands"),
        "text": text,
        "search_key": persian.fold(text),
        "neighborhood": neighborhood,
    }
    return board.create_post(author, uuid.uuid4().hex, **{**defaults, **fields})


def volunteer(name, phone, neighborhood, slugs=("errands",), reach="district", weekdays=ALL_DAYS, slots=7, **fields):
    user = person(phone, name, neighborhood=neighborhood)
    return volunteers.save_volunteer(
        user, neighborhood, [activity(s) for s in slugs], weekdays=weekdays, time_slots=slots, reach=reach, **fields
    )


def read_qr(data, tmp_path):
    """The text of the QR code on a PDF's first page, read as a phone would:
    rendered to an image by poppler, decoded by zbar."""
    (tmp_path / "notice.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "notice.pdf", "page"], cwd=tmp_path, check=True
    )
    image = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True, check=True)
    return found.stdout.strip()


def sent_code(phone):
    """The one-time code in the newest SMS the outbox holds for `phone`, in
    Latin digits; None when that SMS carries no code."""
    message = (
        models.SmsMessage.select()
        .where(models.SmsMessage.direction == "out", models.SmsMessage.phone == phone)
        .order_by(models.SmsMessage.id.desc())
        .first()
    )
    found = re.search(r"\d{6}", persian.to_latin_digits(message.body)) if message else None
    return found.group(0) if found else None


def sign_up(client, **fields):
    """Sign up as a person does: the form, then the code that came by SMS.
    The last page's response; the form's own when it sent no code."""
    data = {"name": "پروین اعتصامی", "phone": "۰۹۱۲ ۵۵۵ ۶۶۷۷", "pin": "2468", "pin_again": "۲۴۶۸", **fields}
    response = submit(client, "/account/sign-up", "/account/sign-up", data)
    code = sent_code(persian.normalize_phone(data["phone"]) or "")
    if response.status_code != 302 or code is None:
        return response
    return submit(client, response.location, response.location, {"code": code})


def assembly(area, name, members=(), parent=None):
    """An assembly of charities on `area` (its level is the area's kind), under
    `parent`, with these member organizations."""
    made = models.Assembly.create(area=area, level=area.kind, parent=parent, name=name)
    for organization in members:
        models.AssemblyMember.create(assembly=made, organization=organization)
    return made


def welfare_desk(places, people):
    """District 1's welfare office in its district's assembly, as headquarters
    opens it: people["social_worker"] and a second social worker, a supervisor
    and a desk clerk; two charities of the assembly (people["charity_staff"]
    manages the first, a second manager the other); and District 12's office
    with a social worker of its own."""
    admin, district = people["admin"], places["District 1"]
    city = district.ancestors()[-1]
    district_assembly = assemblies.create("district", district, None, "مجمع خیرین منطقه ۱", admin)
    office = casework.open_office(district, admin, address="خیابان شریعتی، پلاک ۱", phone="02122712345")
    second = person("09121110001", "نرگس عطایی", roles=("social_worker",), neighborhood=places["Niavaran"])
    supervisor = person("09121110002", "بهرام صالحی", roles=("social_worker",))
    clerk = person("09121110003", "لیلا کاظمی", roles=("center_staff",))
    for user, role in (
        (people["social_worker"], "social_worker"),
        (second, "social_worker"),
        (supervisor, "supervisor"),
        (clerk, "desk"),
    ):
        casework.set_staff(office, user, role, admin)
    charity = organizations.open_organization("خیریهٔ مهر منطقه ۱", "charity", city, people["charity_staff"], admin)
    other_manager = person("09121110004", "مهدی نیک‌نام", neighborhood=places["Tajrish"])
    other = organizations.open_organization("خیریهٔ امید تجریش", "charity", city, other_manager, admin)
    for organization in (charity, other):
        assemblies.add_member(district_assembly, organization, admin)
    far = casework.open_office(places["District 12"], admin)
    far_worker = person("09121110005", "سعید فراهانی", roles=("social_worker",))
    casework.set_staff(far, far_worker, "social_worker", admin)
    return {
        "office": office,
        "assembly": district_assembly,
        "worker": people["social_worker"],
        "second": second,
        "supervisor": supervisor,
        "clerk": clerk,
        "charity": charity,
        "other": other,
        "other_manager": other_manager,
        "far": far,
        "far_worker": far_worker,
    }


def welfare_case(office, actor, name="رقیه بهرامی", code="0012345679", registry_key="", **fields):
    """A request registered at the desk (with a national code when a registry key is given)."""
    identity = ("national", *casework.identify(registry_key, "national", code)) if registry_key else None
    defaults = {
        "name": name,
        "area": office.district.sorted_children().first(),
        "household_size": 4,
        "asked": "سبد غذایی و کمک برای اجارهٔ خانه",
        "source": "office",
        "phone": "09351234567",
    }
    return casework.register(office, actor, uuid.uuid4().hex, identity, **{**defaults, **fields})


# --- Local development funds (issue 17) ---------------------------------------


def fund(neighborhood, opened_by, trustee_count=3, approvals_needed=2, quorum=2, phone_prefix="0935100"):
    """A fund of `neighborhood` with `trustee_count` trustees living there; (fund, trustees)."""
    from hamsayeh.domain import funds

    trustees = [person(f"{phone_prefix}{i:04d}", f"امین {i}", neighborhood=neighborhood) for i in range(trustee_count)]
    made = funds.open_fund(
        "صندوق توسعه محله",
        [neighborhood],
        trustees,
        opened_by,
        uuid.uuid4().hex,
        quorum=quorum,
        approvals_needed=approvals_needed,
    )
    return made, trustees


# --- Campaigns (issue 16), drives engineer: an event or a drive and its organizer ----------


def organized_campaign(places, people, kind, goal=1_000_000_000, unit="rials", status="open", occasion=None):
    """A campaign of `kind` run by a charity of Tehran whose manager is
    people["charity_staff"]; it covers District 1. (campaign, organization)."""
    import datetime

    from hamsayeh.domain import campaigns

    city = places["District 1"].ancestors()[-1]
    charity = organizations.open_organization(
        "خیریهٔ پویش‌های تهران", "charity", city, people["charity_staff"], people["admin"]
    )
    today = datetime.date.today()
    made = campaigns.create(
        people["charity_staff"],
        uuid.uuid4().hex,
        ("organization", charity),
        "پویش آزمایشی",
        "برای آزمون",
        kind,
        [places["District 1"].id],
        today,
        today + datetime.timedelta(days=300),
        unit,
        goal,
        occasion,
    )
    if status != "open":
        models.Campaign.update(status=status).where(models.Campaign.id == made.id).execute()
        made = models.Campaign.get_by_id(made.id)
    return made, charity


# --- Campaigns (issue 16), campaigns engineer: a distribution round through three mosques -------


def national_code(serial):
    """A valid national code made from a serial number (nine digits and the check digit)."""
    body = f"{serial:09d}"
    if len(set(body)) == 1:
        body = f"{serial + 1:09d}"
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
    return body + str(total if total < 2 else 11 - total)


def distribution(places, people, households=100, secret=None, freeze=True):
    """District 1's welfare office runs a voucher campaign through three
    mosques of its district (members of its assembly), each a point with a
    volunteer; the mosques nominate `households` households (one in three
    with a phone), the office verifies them all and freezes the round.
    A dict of it all, with each household's code by reference number."""
    import datetime

    from hamsayeh.domain import campaigns, distributions
    from tests.conftest import REGISTRY_KEY

    registry_key, secret = REGISTRY_KEY, secret or "test-secret-key"  # the test app's keys (conftest)
    desk = welfare_desk(places, people)
    admin, worker = people["admin"], desk["worker"]
    city = places["District 1"].ancestors()[-1]
    today = datetime.date.today()
    campaign = campaigns.create(
        worker,
        uuid.uuid4().hex,
        ("office", desk["office"]),
        "بن کارت شهروند منطقه ۱",
        "برای خانواده‌های محله",
        "distribution",
        [places["District 1"].id],
        today,
        today + datetime.timedelta(days=60),
        "households",
        30000,
    )
    mosques, points, volunteers_ = [], [], []
    for i, (name, hood) in enumerate(
        (("مسجد جامع تجریش", "Tajrish"), ("مسجد امام حسن نیاوران", "Niavaran"), ("مسجد الزهرا تجریش", "Tajrish"))
    ):
        manager = person(f"0914100{i:04d}", f"امام جماعت {i}", neighborhood=places[hood])
        mosque = organizations.open_organization(name, "mosque", city, manager, admin)
        assemblies.add_member(desk["assembly"], mosque, admin)
        point = distributions.add_point(campaign, worker, uuid.uuid4().hex, name, places[hood], organization=mosque)
        helper = person(f"0914200{i:04d}", f"داوطلب {i}", neighborhood=places[hood])
        distributions.add_volunteer(point, helper, worker)
        mosques.append((mosque, manager))
        points.append(point)
        volunteers_.append(helper)
    round_ = distributions.add_round(
        campaign, worker, uuid.uuid4().hex, "نوبت اول", "بن کارت ۵ میلیون ریالی", "food", 5_000_000
    )
    nominations = []
    for n in range(households):
        mosque, manager = mosques[n % 3]
        hood = places["Niavaran"] if n % 3 == 1 else places["Tajrish"]
        nominations.append(
            distributions.nominate(
                round_,
                mosque,
                manager,
                registry_key,
                uuid.uuid4().hex,
                "national",
                national_code(100000 + n),
                f"خانوار {n + 1}",
                hood,
                household_size=1 + n % 5,
                phone=f"0915300{n:04d}" if n % 3 == 0 else "",
                point=points[n % 3],
            )
        )
    for nomination in nominations:
        distributions.verify(nomination, worker)
    codes = {}
    if freeze:
        distributions.freeze(round_, worker, secret)
        for entitlement in models.Entitlement.select().where(models.Entitlement.round == round_):
            codes[entitlement.number] = distributions.code_of(secret, entitlement.salt)
    round_ = models.DistributionRound.get_by_id(round_.id)
    return {
        **desk,
        "campaign": campaign,
        "round": round_,
        "points": points,
        "mosques": mosques,
        "volunteers": volunteers_,
        "nominations": nominations,
        "codes": codes,
    }
