"""Persian text, digits, Jalali dates, phone numbers and national codes.

Everything here is a plain function of its arguments: no request, no database.
What a person types is normalized once, at the edge, with `normalize`; stored
text keeps Latin digits so that search and matching see one form, and the
`digits` filter turns them back into Persian digits when a page is in Persian.
"""

import datetime
import re
from collections import namedtuple
from zoneinfo import ZoneInfo

import jdatetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
LATIN_DIGITS = "0123456789"
ZWNJ = "\u200c"

_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, LATIN_DIGITS * 2)
_TO_PERSIAN = str.maketrans(LATIN_DIGITS + ARABIC_INDIC_DIGITS, PERSIAN_DIGITS * 2)
_LETTERS = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh
        "ى": "ی",  # Arabic alef maksura, typed for a final yeh
        "ك": "ک",  # Arabic kaf
        "ٱ": "ا",
        "\u0640": None,  # tatweel, a stretching stroke with no meaning
        "\ufeff": None,  # byte-order mark pasted from Windows text
        "\u200b": None,  # zero-width space
        "\u200d": None,  # zero-width joiner, never wanted in Persian words
        "\u200e": None,  # left-to-right mark
        "\u200f": None,  # right-to-left mark
    }
)
_SPACES = re.compile(r"[^\S\n]+")
_ZWNJ_RUNS = re.compile(r"\s*\u200c[\s\u200c]*")
# Search ignores what people type differently for the same word: diacritics,
# hamza forms, the half-space and the spaces themselves.
_FOLD = str.maketrans(
    {
        "آ": "ا",
        "أ": "ا",
        "إ": "ا",
        "ؤ": "و",
        "ئ": "ی",
        "ۀ": "ه",
        "ة": "ه",
        ZWNJ: None,
        " ": None,
        "-": None,
    }
)
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")


def to_latin_digits(text):
    return text.translate(_TO_LATIN)


def to_persian_digits(text):
    return str(text).translate(_TO_PERSIAN)


def normalize(text):
    """One form for everything typed: Latin digits, Persian ی and ک, single
    spaces, no invisible marks except the zero-width non-joiner (half-space)."""
    if text is None:
        return ""
    text = str(text).translate(_TO_LATIN).translate(_LETTERS)
    text = _ZWNJ_RUNS.sub(ZWNJ, text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip().strip(ZWNJ)


def fold(text):
    """A search key: `normalize`, then drop what people type differently."""
    text = _DIACRITICS.sub("", normalize(text)).lower()
    return _SPACES.sub(" ", text).translate(_FOLD)


WHOLE_NUMBER = re.compile(r"[0-9]{1,12}")


def whole_number(text, most=10**12):
    """`text` (any digits) as a whole number from 0 to `most`, or None. Only
    the ten digits count: "²" or a thousand-digit string is no number."""
    text = normalize(text)
    if not WHOLE_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if value <= most else None


PHONE_PATTERN = re.compile(r"^09\d{9}$")


def normalize_phone(text):
    """An Iranian mobile number in its one stored form, 09xxxxxxxxx, or None.

    Accepts 0912…, 912…, +98912…, 0098912… and 98912…, in any digits, with
    spaces, dashes, dots or brackets between the groups.
    """
    digits = re.sub(r"[\s\-().]", "", normalize(text))
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("98"):
            return None
    if digits.startswith("0098"):
        digits = "0" + digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        digits = "0" + digits[2:]
    elif digits.startswith("9") and len(digits) == 10:
        digits = "0" + digits
    return digits if PHONE_PATTERN.match(digits) else None


def mask_phone(phone):
    """0912***4567: enough to recognize one's own number, not to call it."""
    return phone[:4] + "***" + phone[-4:] if phone and len(phone) == 11 else "***"


def is_valid_national_code(text):
    """The Iranian national code (کد ملی): ten digits, the last a check digit."""
    code = normalize(text)
    if not re.fullmatch(r"\d{10}", code) or len(set(code)) == 1:
        return False
    total = sum(int(code[i]) * (10 - i) for i in range(9))
    remainder = total % 11
    check = int(code[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


# Jalali month and weekday names: proper nouns in Persian, transliterated in
# English, translated through the catalog like every other visible word.
MONTHS = (
    _l("Farvardin"),
    _l("Ordibehesht"),
    _l("Khordad"),
    _l("Tir"),
    _l("Mordad"),
    _l("Shahrivar"),
    _l("Mehr"),
    _l("Aban"),
    _l("Azar"),
    _l("Dey"),
    _l("Bahman"),
    _l("Esfand"),
)
# Python counts Monday as 0; Iran's week starts on Saturday.
WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
WEEK_ORDER = (5, 6, 0, 1, 2, 3, 4)


def to_jalali(value):
    if isinstance(value, datetime.datetime):
        return jdatetime.datetime.fromgregorian(datetime=value)
    return jdatetime.date.fromgregorian(date=value)


def jalali_date(value, weekday=False):
    """'۱ آذر ۱۴۰۵' (or 'Sunday 1 Azar 1405'); digits are left to the caller."""
    if value is None:
        return ""
    j = to_jalali(value)
    text = f"{j.day} {MONTHS[j.month - 1]} {j.year}"
    if weekday:
        text = f"{WEEKDAYS[value.weekday()]} {text}"
    return text


def jalali_datetime(value):
    if value is None:
        return ""
    return _("%(date)s, %(time)s", date=jalali_date(value), time=f"{value:%H:%M}")


def parse_jalali_date(text):
    """A Gregorian date from a Jalali 'year/month/day' typed in any digits, or None."""
    match = re.fullmatch(r"(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})", normalize(text))
    if not match:
        return None
    try:
        return jdatetime.date(*(int(part) for part in match.groups())).togregorian()
    except ValueError:
        return None


def format_jalali_input(value):
    """A date as a person types it back into a form: 1405/09/10."""
    j = to_jalali(value)
    return f"{j.year}/{j.month:02d}/{j.day:02d}"


# Iran's one time zone: its days, and so its months, begin at midnight there.
TEHRAN = ZoneInfo("Asia/Tehran")


def tehran_time(moment):
    """A moment as Tehran's clock shows it; a naive one is UTC, as the database keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(TEHRAN)


def today():
    """Today's date in Iran: a day begins at midnight in Tehran (3:30 or so
    before UTC's), and "today" on a form or a report is that day."""
    return datetime.datetime.now(TEHRAN).date()


class JalaliMonth(namedtuple("JalaliMonth", "year month")):
    """A month of the Jalali calendar. Months sort in the order of time, so
    they serve as the keys of any report counted by month."""

    __slots__ = ()

    @property
    def first_day(self):
        """The month's first day, as a Gregorian date."""
        return jdatetime.date(self.year, self.month, 1).togregorian()

    def next(self):
        return JalaliMonth(self.year + (self.month == 12), self.month % 12 + 1)

    def previous(self):
        return JalaliMonth(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def name(self):
        """'Azar 1405' (آذر ۱۴۰۵ in Persian); digits are left to the caller."""
        return f"{MONTHS[self.month - 1]} {self.year}"


def jalali_month(value=None):
    """The Jalali month of a day or of a moment (None: now).

    A `date` is a day as people in Iran name it (a service given on 9 Azar),
    taken as it is. A `datetime` is a moment, naive in UTC as the database
    keeps it: it falls in the month of its day in Tehran, so 21:00 UTC on
    21 November 2026, half past midnight on 1 Azar in Tehran, is in Azar.
    Every report or summary counted by month asks this one function.
    """
    if value is None:
        value = datetime.datetime.now(datetime.UTC)
    if isinstance(value, datetime.datetime):
        value = tehran_time(value).date()
    day = jdatetime.date.fromgregorian(date=value)
    return JalaliMonth(day.year, day.month)
