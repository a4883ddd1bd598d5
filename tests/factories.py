"""Test data made the way the product makes it: through the domain's own
operations. Test modules import from here, never from each other."""

import re
import subprocess
import uuid

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, board, volunteers
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
