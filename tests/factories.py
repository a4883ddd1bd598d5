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
