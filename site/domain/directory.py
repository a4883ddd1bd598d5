"""The neighborhood's services directory (issue 22, part 6; seed 001: «شبکه
تسهیلگران، خدمات دولتی، خدمات محلی و داوطلبان», and facilitators asked to
create local channels).

A list is kept for one place: a neighborhood (by its facilitators and its
center's staff), or a district, a city or the whole country (by
headquarters). A neighborhood shows its own entries, then those of every area
above it and the national ones. Each entry says who checked it last and when;
"checked again today" moves both. An entry naming a center or an
organization already on the site links it instead of copying it.

Phones: a mobile (`persian.normalize_phone`), a landline with its area code
(0 + two digits + eight digits: 021-22712345), or a short national line
(1480, 123). Everything is normalized before it is checked or stored."""

import datetime
import re

from peewee import JOIN, Case, IntegrityError

from hamsayeh import persian
from hamsayeh.domain import audit, centers, facilitators
from hamsayeh.domain import imports as engine
from models import Area, Center, DirectoryEntry, Organization, User, made_once, utcnow, write_transaction

CATEGORIES = DirectoryEntry.CATEGORIES
# The three parts of a list, in the order a page shows them.
SECTIONS = (
    ("government", ("welfare", "relief", "health_house", "municipality")),
    (
        "local",
        ("mosbat_center", "clinic", "pharmacy", "charity", "mosque", "school", "other"),
    ),
    ("channels", ("messenger_group", "notice_board")),
)
SECTION_OF = {category: section for section, members in SECTIONS for category in members}
ORDER = {category: index for index, category in enumerate(c for _s, members in SECTIONS for c in members)}
CHANNELS = ("messenger_group", "notice_board")
# A list a page or a printout shows at most (a neighborhood's own and those above it).
LISTED = 80
NAME_MOST = DirectoryEntry.NAME_MAX
STALE_AFTER = datetime.timedelta(days=183)
ADDRESS_MOST = DirectoryEntry.address.max_length
HOURS_MOST = DirectoryEntry.hours.max_length

# Landlines: 0, a province's two-digit code (its first digit 1 to 8), eight digits.
LANDLINE = re.compile(r"^0[1-8]\d{9}$")
# A short national line: 123 (social emergency), 1480 (counseling), 1570 ...
SHORT_LINE = re.compile(r"^1\d{2,5}$")
SEPARATORS = re.compile(r"[\s\-().]")
# A messenger group's address: a web address, or a name like @tajrish_mahalle.
CHANNEL_ADDRESS = re.compile(r"^(https?://[^\s]{3,}|@[A-Za-z0-9_]{3,64})$")

# What a file (or a form) may call each category, folded, in Persian or English.
_CATEGORY_WORDS = {
    **{category: category for category in CATEGORIES},
    **dict.fromkeys(("بهزیستی", "سازمانبهزیستی", "اداره‌بهزیستی", "welfareorganization"), "welfare"),
    **dict.fromkeys(("کمیتهامداد", "امداد", "کمیتهامدادامامخمینی", "reliefcommittee"), "relief"),
    **dict.fromkeys(("خانهبهداشت", "مرکزبهداشت", "healthhouse"), "health_house"),
    **dict.fromkeys(("شهرداری", "شهرداریمنطقه", "شهرداریناحیه", "districtmunicipality"), "municipality"),
    **dict.fromkeys(("درمانگاه", "کلینیک", "مطب", "clinic"), "clinic"),
    **dict.fromkeys(("داروخانه", "pharmacy"), "pharmacy"),
    **dict.fromkeys(("خیریه", "موسسهخیریه", "charity"), "charity"),
    **dict.fromkeys(("مسجد", "حسینیه", "mosque"), "mosque"),
    **dict.fromkeys(("مدرسه", "دبستان", "دبیرستان", "school"), "school"),
    **dict.fromkeys(("مرکزمثبتزندگی", "مثبتزندگی", "کانونسلاممحله", "mosbatezendegicenter"), "mosbat_center"),
    **dict.fromkeys(("سایر", "دیگر", "other"), "other"),
    **dict.fromkeys(("گروهپیامرسان", "کانال", "کانالمحله", "گروهمحله", "messengergroup", "channel"), "messenger_group"),
    **dict.fromkeys(("تابلواعلانات", "تابلویاعلانات", "تابلواعلان", "noticeboard"), "notice_board"),
}
CATEGORY_NAMES = {persian.fold(word): category for word, category in _CATEGORY_WORDS.items()}


class EntryError(ValueError):
    """Why an entry cannot be kept: a code, and the field it is about."""

    def __init__(self, code, field="name"):
        super().__init__(code)
        self.code, self.field = code, field


# --- Normalizing and checking -----------------------------------------------------------


def normalize_address(text):
    """One form of an address: normalized letters and digits, one space
    between words, Persian commas, no stray punctuation at its ends."""
    text = persian.normalize(text or "")
    text = re.sub(r"\s*[,،]\s*", "، ", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" ،.-")


def normalize_service_phone(text):
    """(the number as stored, None) or (None, why not): a mobile 09xxxxxxxxx,
    a landline with its area code 0xxxxxxxxxx, or a short line like 1480.
    Empty stays empty (a notice board has no phone)."""
    typed = persian.normalize(text or "")
    if not typed:
        return "", None
    mobile = persian.normalize_phone(typed)
    if mobile is not None:
        return mobile, None
    number = SEPARATORS.sub("", persian.to_latin_digits(typed))
    if number.startswith("+98"):
        number = "0" + number[3:]
    elif number.startswith("0098"):
        number = "0" + number[4:]
    if not number.isdigit():
        return None, "phone_letters"
    if LANDLINE.match(number) or SHORT_LINE.match(number):
        return number, None
    if len(number) == 8 and number[0] != "0":
        return None, "phone_area_code"
    return None, "phone_invalid"


def category_of(text):
    """The category a file or form names (folded), or None."""
    return CATEGORY_NAMES.get(persian.fold(text or ""))


def check_fields(raw):
    """The fields of an entry from what was typed (already normalized by the
    form), and {field: code} of what is wrong."""
    problems = {}
    name = re.sub(r"\s+", " ", persian.normalize(raw.get("name", ""))).strip()
    if not name:
        problems["name"] = "name_required"
    elif len(name) > NAME_MOST:
        problems["name"] = "name_long"
    elif not any(ch.isalpha() for ch in name):
        problems["name"] = "name_letters"
    category = raw.get("category", "")
    if category not in CATEGORIES:
        problems["category"] = "category_unknown"
    address = normalize_address(raw.get("address", ""))
    if len(address) > ADDRESS_MOST:
        problems["address"] = "address_long"
    elif category == "messenger_group" and not CHANNEL_ADDRESS.match(persian.to_latin_digits(address)):
        problems["address"] = "channel_address"
    elif category == "messenger_group":
        address = persian.to_latin_digits(address)
    elif category == "notice_board" and not address:
        problems["address"] = "board_place"
    hours = re.sub(r"\s+", " ", persian.normalize(raw.get("hours", ""))).strip()
    if len(hours) > HOURS_MOST:
        problems["hours"] = "hours_long"
    phone, why = normalize_service_phone(raw.get("phone", ""))
    if why:
        problems["phone"] = why
    fields = {"name": name, "category": category, "address": address, "hours": hours, "phone": phone or ""}
    return fields, problems


# --- Reading the lists ---------------------------------------------------------------------


def needs_checking(entry, now=None):
    """An entry nobody checked for half a year (or ever): its keepers' list says so."""
    return entry.checked_at is None or entry.checked_at < (now or utcnow()) - STALE_AFTER


def scope_key(area):
    return str(area.id) if area is not None else "0"


def natural_key(area, name):
    return f"{scope_key(area)}:{persian.fold(name)}"[:200]


def _with_links(query):
    return (
        query.select(DirectoryEntry, Center, Organization, User)
        .join(Center, JOIN.LEFT_OUTER, on=DirectoryEntry.center == Center.id)
        .switch(DirectoryEntry)
        .join(Organization, JOIN.LEFT_OUTER, on=DirectoryEntry.organization == Organization.id)
        .switch(DirectoryEntry)
        .join(User, JOIN.LEFT_OUTER, on=DirectoryEntry.checked_by == User.id)
    )


def kept_for(area):
    """The entries kept for exactly this place (None: the national list), by category and name."""
    where = DirectoryEntry.area.is_null() if area is None else DirectoryEntry.area == area
    found = list(_with_links(DirectoryEntry.select()).where(where).limit(LISTED * 2))
    return sorted(found, key=lambda entry: (ORDER[entry.category], entry.name))


def services_near(area, limit=LISTED):
    """What a place's page lists: its own entries, those of every area above
    it, then the national ones; in sections, nearest first within a
    category. [(section, [entries])], empty sections left out."""
    lineage = [*area.ancestors(), area]
    depth = {place.id: index for index, place in enumerate(lineage)}
    nearness = Case(DirectoryEntry.area, list(depth.items()), -1)
    query = (
        _with_links(DirectoryEntry.select())
        .where(DirectoryEntry.area.in_(list(depth)) | DirectoryEntry.area.is_null())
        .order_by(nearness.desc(), DirectoryEntry.id)  # a long list keeps the nearest
        .limit(limit)
    )
    entries = sorted(
        query,
        key=lambda entry: (ORDER[entry.category], -depth.get(entry.area_id, -1), entry.name),
    )
    grouped = {}
    for entry in entries:
        grouped.setdefault(SECTION_OF[entry.category], []).append(entry)
    return [(section, grouped[section]) for section, _members in SECTIONS if section in grouped]


def printable(sections, most):
    """The sections a one-page list prints, at most `most` entries: the
    government offices and the local channels first, the local services in
    the room left; and how many are left out."""
    room, kept = most, {}
    for section in ("government", "channels", "local"):
        items = dict(sections).get(section, [])
        kept[section] = items[:room]
        room -= len(kept[section])
    printed = [(section, kept[section]) for section, _items in sections if kept[section]]
    return printed, sum(len(items) for _s, items in sections) - (most - room)


def linkable_centers(area):
    """Centers an entry of `area` may link: the open centers nearest it (None: none for the national list)."""
    return centers.nearest_centers(area, limit=12) if area is not None else []


def linkable_organizations(area):
    """Organizations an entry may link: those of the counties (or cities) above the place."""
    if area is None:
        return list(Organization.select().where(Organization.kind == "government").order_by(Organization.name))[:30]
    ids = [place.id for place in [*area.ancestors(), area]]
    return list(Organization.select().where(Organization.county.in_(ids)).order_by(Organization.name).limit(30))


# --- Keeping a list --------------------------------------------------------------------------


def _links(area, center_id, organization_id):
    """The center and organization an entry may link, or EntryError."""
    center = organization = None
    if center_id:
        center = next((item for item in linkable_centers(area) if item.id == center_id), None)
        if center is None:
            raise EntryError("center_unknown", "center")
    if organization_id:
        organization = next((item for item in linkable_organizations(area) if item.id == organization_id), None)
        if organization is None:
            raise EntryError("organization_unknown", "organization")
    return center, organization


def add_entry(area, actor, form_key, fields, center_id=None, organization_id=None):
    """A new entry in `area`'s list (None: the national one), checked by its
    keeper now; made once per form. EntryError("name_taken") when the list has
    an entry of that name."""
    center, organization = _links(area, center_id, organization_id)

    def make():
        key = natural_key(area, fields["name"])
        if DirectoryEntry.select().where(DirectoryEntry.natural_key == key).exists():
            raise EntryError("name_taken")
        now = utcnow()
        entry = DirectoryEntry.create(
            area=area,
            natural_key=key,
            center=center,
            organization=organization,
            checked_by=actor,
            checked_at=now,
            created_at=now,
            form_key=form_key,
            **fields,
        )
        audit.record_audit(
            "directory.added", actor=actor, subject=f"directory:{entry.id}", detail=f"scope:{scope_key(area)}"
        )
        return entry

    try:
        return made_once(DirectoryEntry, form_key, make)
    except DirectoryEntry.DoesNotExist:
        # Two forms raced to the same name on PostgreSQL: the unique key stopped the second.
        raise EntryError("name_taken") from None


def edit_entry(entry, actor, fields, center_id=None, organization_id=None):
    """Change an entry: whoever changes it has checked it. The fields that changed, audited."""
    center, organization = _links(entry.area, center_id, organization_id)
    values = {
        **fields,
        "center": center.id if center else None,
        "organization": organization.id if organization else None,
    }
    try:
        with write_transaction():
            fresh = DirectoryEntry.get_by_id(entry.id)
            changed = sorted(
                name
                for name, value in values.items()
                if getattr(fresh, f"{name}_id" if name in ("center", "organization") else name) != value
            )
            update = {getattr(DirectoryEntry, name): values[name] for name in changed}
            update[DirectoryEntry.natural_key] = natural_key(entry.area, fields["name"])
            update[DirectoryEntry.checked_by] = actor
            update[DirectoryEntry.checked_at] = utcnow()
            DirectoryEntry.update(update).where(DirectoryEntry.id == fresh.id).execute()
            audit.record_audit(
                "directory.edited", actor=actor, subject=f"directory:{fresh.id}", detail=",".join(changed)
            )
            return changed
    except IntegrityError:
        raise EntryError("name_taken") from None


def mark_checked(entry, actor):
    """The entry was checked again today: it is as it says, and `actor` saw to it now."""
    with write_transaction():
        DirectoryEntry.update(checked_by=actor, checked_at=utcnow()).where(DirectoryEntry.id == entry.id).execute()
        audit.record_audit("directory.checked", actor=actor, subject=f"directory:{entry.id}")


def remove_entry(entry, actor):
    with write_transaction():
        removed = DirectoryEntry.delete().where(DirectoryEntry.id == entry.id).execute()
        if removed:
            audit.record_audit(
                "directory.removed",
                actor=actor,
                subject=f"directory:{entry.id}",
                detail=f"scope:{scope_key(entry.area)} {entry.name}",
            )
        return bool(removed)


def kept_places(user, roles):
    """The neighborhoods whose lists `user` keeps as a facilitator or as a
    center's staff (headquarters keeps every list, and finds it from its page)."""
    found = {}
    if "facilitator" in roles:
        profile = facilitators.facilitator_profile(user, create=False)
        for assignment in facilitators.assignments_of(profile):
            found[assignment.neighborhood.id] = assignment.neighborhood
    if "center_staff" in roles and user.work_center_id:
        for hood in centers.center_neighborhoods(user.work_center).limit(60):
            found.setdefault(hood.id, hood)
    return sorted(found.values(), key=lambda hood: hood.name)


# --- Importing a list from a CSV or XLSX file (the imports' engine) -----------------------


class DirectoryImport(engine.Importer):
    """One row for each entry of one place's list: name and category, then
    address, hours and phone if there are any. An entry of the same name in
    the list is left as it is (the same file again adds nothing); a name that
    is a center's, or an organization's, links it."""

    kind = "directory"
    tables = (DirectoryEntry,)
    adding = ("added",)
    columns = (
        engine.Column("name", ("نام", "نام خدمت", "service"), most=NAME_MOST, required=True),
        engine.Column("category", ("نوع", "دسته", "type", "kind"), most=60, required=True),
        engine.Column("address", ("نشانی", "آدرس", "نشانی یا پیوند"), most=ADDRESS_MOST),
        engine.Column("hours", ("ساعت کار", "ساعات کار", "opening hours"), most=HOURS_MOST),
        engine.Column("phone", ("تلفن", "شماره تلفن", "telephone"), most=40),
    )

    def __init__(self, area):
        super().__init__()
        self.area = area
        self.counts = {"added": 0, "existing": 0, "linked": 0}
        self.planned = []

    def load(self):
        keys = DirectoryEntry.select(DirectoryEntry.natural_key).where(
            DirectoryEntry.natural_key.startswith(f"{scope_key(self.area)}:")
        )
        self.existing = {key for (key,) in keys.tuples()}
        self.centers = {center.name: center for center in linkable_centers(self.area)}
        self.organizations = {org.name: org for org in linkable_organizations(self.area)}
        self.rows = {}

    def check(self, number, values):
        category = category_of(values.text("category", required=True))
        if category is None:
            raise engine.Bad("directory_category", value=values.text("category"))
        raw = {
            "name": values.name("name"),
            "category": category,
            "address": values.text("address"),
            "hours": values.text("hours"),
            "phone": values.text("phone"),
        }
        fields, problems = check_fields(raw)
        for field in ("name", "address", "hours", "phone"):
            if field in problems:
                raise engine.Bad(f"directory_{problems[field]}", value=raw[field][:60])
        key = natural_key(self.area, fields["name"])
        if key in self.rows:
            raise engine.Bad("directory_twice", row=self.rows[key])
        self.rows[key] = number
        if key in self.existing:
            self.counts["existing"] += 1
            return
        center = self.centers.get(fields["name"])
        organization = self.organizations.get(fields["name"])
        if center or organization:
            self.counts["linked"] += 1
        self.counts["added"] += 1
        self.planned.append((key, fields, center, organization))

    def write(self, actor):
        now = utcnow()
        rows = [
            {
                **fields,
                "area": self.area,
                "natural_key": key,
                "center": center,
                "organization": organization,
                "checked_by": actor,
                "checked_at": now,
                "created_at": now,
            }
            for key, fields, center, organization in self.planned
        ]
        for start in range(0, len(rows), engine.BATCH):
            DirectoryEntry.insert_many(rows[start : start + engine.BATCH]).execute()
        added = DirectoryEntry.select(DirectoryEntry.id).where(
            DirectoryEntry.natural_key.in_([key for key, *_rest in self.planned])
        )
        audit.record_audit_many(
            "directory.added", [f"directory:{entry.id}" for entry in added], actor=actor, detail="import"
        )


def import_rows(area, rows, actor, write=True):
    """Check (and, when `write` and nothing is bad, add) a table of rows into
    `area`'s list: (the engine's Result, the importer with what it plans)."""
    importer = DirectoryImport(area)
    return engine.run(importer, rows, actor, write=write), importer


def area_named(area_id):
    return Area.get_or_none(Area.id == area_id, Area.merged_into.is_null())
