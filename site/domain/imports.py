"""Bulk imports for headquarters: the area tree, centers, facilitators with
their training, and volunteers from an earlier sign-up list, from a table of
rows (the plumbing reads the CSV or XLSX file: site/web/imports.py).

One engine runs the four, with the registry import's rules:
- the first row names the columns, in Persian or English, in any order;
  optional columns may be left out;
- every row is checked before anything is written: on its own (a phone
  number, a length), against the rows before it (the same person twice) and
  against the database (a neighborhood that does not exist);
- each bad row is named by its number with the reason, a code and its values
  that the plumbing says in Persian; nothing is written while any row, or the
  file, is bad;
- a good file is written in one transaction, in batches of bulk inserts;
- what is already there is found by its natural key (an area by its path of
  names or its code, a center by its name and area, a person by their phone
  number) and left as it is: the same file imported again adds nothing.

People get accounts without a PIN (`claims.register_many`): they claim them
with an SMS code, or at a center's desk. Nobody sets a PIN for them."""

import contextlib
import datetime
import re
from collections import defaultdict, namedtuple
from dataclasses import dataclass

from peewee import PostgresqlDatabase

from hamsayeh import persian
from hamsayeh.domain import audit, centers, claims
from models import (
    ActivityType,
    Area,
    Center,
    CenterArea,
    FacilitatorAssignment,
    FacilitatorProfile,
    Training,
    User,
    UserRole,
    VolunteerActivity,
    VolunteerProfile,
    utcnow,
    write_transaction,
)

# Rows one statement writes: well within SQLite's bound on a statement's values.
BATCH = 500
# A file this long refreshes the planner's statistics of what it filled.
STATISTICS_AFTER = 1000
LEVELS = Area.KINDS  # province › county › city › district › neighborhood
NAME_MOST = 80  # a person's name, as the sign-up form takes it
# Lists inside one cell: Persian or Latin commas and semicolons, a bar or a slash.
LIST_SEPARATORS = re.compile(r"[،,؛;|/\n]+")

# A problem with the file or one of its rows: the row's number as a
# spreadsheet shows it (the column names are row 1), a code the plumbing says
# in Persian, and the values the sentence names.
Problem = namedtuple("Problem", "row code values")


class Bad(Exception):
    """Why a row cannot be imported: a code and the values its sentence names."""

    def __init__(self, reason, **values):
        super().__init__(reason)
        self.code, self.values = reason, values


@dataclass
class Result:
    """What an import found, and what it added (or, checked only, would add)."""

    problems: list
    counts: dict
    written: bool = False

    @property
    def ok(self):
        return not self.problems


@dataclass(frozen=True)
class Column:
    """A column an import reads: its key, the names a first row may give it
    (besides the key), its longest value, and whether it must be there."""

    key: str
    names: tuple = ()
    most: int = 200
    required: bool = False


def header_key(text):
    """How a column's name is compared: folded, without spaces, dashes, underscores or parentheses."""
    return re.sub(r"[_()]", "", persian.fold(str(text)))


def _text(value):
    """A cell as text; the plumbing gives normalized text, or a date from a spreadsheet."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return persian.normalize(value)


def _batches(rows):
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def insert_all(model, fields, rows):
    """Rows written in batches, one statement each."""
    for part in _batches(rows):
        model.insert_many(part, fields=fields).execute()


def split_list(text):
    return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]


# --- The engine ---------------------------------------------------------------------------


def read_records(importer, table):
    """(problems, [(row number, {column key: value})]) from the file's rows:
    the first row that is not empty names the columns."""
    numbered = [(number, row) for number, row in enumerate(table, start=1) if any(_text(cell) for cell in row)]
    if not numbered:
        return [Problem(1, "no_rows", {})], []
    (header_number, header), rows = numbered[0], numbered[1:]
    known = {header_key(name): column for column in importer.columns for name in (column.key, *column.names)}
    found, problems = {}, []
    for index, cell in enumerate(header):
        name = _text(cell)
        if not name:
            continue
        column = known.get(header_key(name))
        if column is None:
            problems.append(Problem(header_number, "unknown_column", {"column": name[:60]}))
        elif column.key in found:
            problems.append(Problem(header_number, "column_twice", {"column": name[:60]}))
        else:
            found[column.key] = index
    problems += [
        Problem(header_number, "column_missing", {"column": column.key})
        for column in importer.columns
        if column.required and column.key not in found
    ]
    problems += [Problem(header_number, code, {}) for code in importer.header_problems(found)]
    if not rows and not problems:
        problems.append(Problem(header_number, "no_rows", {}))
    records = []
    for number, row in rows:
        values = {key: row[index] if index < len(row) else "" for key, index in found.items()}
        records.append((number, values))
    return problems, records


def run(importer, table, actor, write=True):
    """Check every row of `table` (a list of rows, each a list of cells), then,
    when `write` and nothing is bad, write them all in one transaction. The
    file's problems, or the counts of what it added (or would add)."""
    problems, records = read_records(importer, table)
    if problems:
        return Result(problems, {})
    with write_transaction() if write else contextlib.nullcontext():
        importer.load()
        columns = {column.key: column for column in importer.columns}
        for number, values in records:
            try:
                importer.check(number, CheckedValues(columns, values))
            except Bad as bad:
                problems.append(Problem(number, bad.code, bad.values))
        problems += [Problem(number, bad.code, bad.values) for number, bad in importer.finish()]
        problems.sort(key=lambda problem: problem.row)
        if problems or not write:
            return Result(problems, importer.counts)
        if any(importer.counts[key] for key in importer.adding):  # the same file again writes nothing at all
            importer.write(actor)
            if len(records) >= STATISTICS_AFTER:
                refresh_statistics(importer.tables)
            detail = " ".join(f"{name}:{count}" for name, count in importer.counts.items())
            audit.record_audit(
                f"import.{importer.kind}", actor=actor, subject=importer.kind, detail=f"rows:{len(records)} {detail}"
            )
    return Result([], importer.counts, written=True)


def refresh_statistics(tables):
    """PostgreSQL's planner statistics of the tables a large import filled, as
    autovacuum would refresh them a minute later: until then a table it thinks
    small is read whole for each look-up (the same file again took 13 s
    instead of 3, bench/imports.py)."""
    if isinstance(Area._meta.database.obj, PostgresqlDatabase):
        names = ", ".join(f'"{model._meta.table_name}"' for model in tables)
        Area._meta.database.execute_sql(f"ANALYZE {names}")


class CheckedValues:
    """One row's cells, read the way every import reads them."""

    def __init__(self, columns, values):
        self.columns, self.values = columns, values

    def raw(self, key):
        return self.values.get(key, "")

    def text(self, key, required=False):
        value = _text(self.values.get(key, ""))
        if required and not value:
            raise Bad("required", column=key)
        if len(value) > self.columns[key].most:
            raise Bad("too_long", column=key, most=self.columns[key].most)
        return value

    def name(self, key, required=True):
        value = self.text(key, required)
        if value and not any(ch.isalpha() for ch in value):
            raise Bad("name_letters", column=key)
        return value

    def phone(self, key="phone"):
        value = self.text(key, required=True)
        phone = persian.normalize_phone(value)
        if phone is None:
            raise Bad("phone_invalid", value=value)
        return phone

    def date(self, key):
        value = self.raw(key)
        if isinstance(value, datetime.datetime):
            day = value.date()
        elif isinstance(value, datetime.date):
            day = value
        else:
            day = persian.parse_jalali_date(self.text(key, required=True))
            if day is None:
                raise Bad("date_invalid", column=key)
        if day > persian.today():
            raise Bad("date_future", column=key)
        return day

    def number(self, key, least, most):
        text = self.text(key, required=True)
        value = persian.whole_number(text, most)
        if value is None or value < least:
            raise Bad("number_range", column=key, least=least, most=most)
        return value


class Importer:
    """What each import defines: its columns, how a row is checked and
    planned (`check`, which raises Bad), and how the plan is written."""

    kind = ""
    columns = ()
    tables = ()  # what `write` fills
    adding = ()  # the counts of what `write` adds or fills in

    def __init__(self):
        self.counts = {}

    def header_problems(self, found):
        return []

    def load(self):
        """What the rows are checked against, read from the database."""

    def check(self, number, values):
        """Check one row and plan what it adds; Bad when it cannot be imported."""
        raise NotImplementedError

    def finish(self):
        """Once every row is checked: what only the whole file tells, as [(row number, Bad)]."""
        return []

    def write(self, actor):
        raise NotImplementedError


# --- The area tree, as the imports see it ---------------------------------------------------


class Place:
    """An area of the tree, or one a file will add (`id` None until written)."""

    __slots__ = ("children", "code", "id", "kind", "merged_into", "name", "name_en", "parent")

    def __init__(self, kind, name, parent, name_en="", code=None, id=None, merged_into=None):
        self.kind, self.name, self.parent, self.name_en, self.code = kind, name, parent, name_en, code
        self.id, self.merged_into = id, merged_into
        self.children = {}

    def lineage(self):
        """From the province down to this place."""
        found, place = [], self
        while place is not None:
            found.append(place)
            place = place.parent
        return found[::-1]

    def path_text(self):
        return " › ".join(place.name for place in self.lineage())

    def within(self, ancestor):
        place = self.parent
        while place is not None:
            if place is ancestor:
                return True
            place = place.parent
        return False


class AreaIndex:
    """Every area in memory (a few thousand: one query), found by kind and
    name, by code, and by parent and name."""

    def __init__(self):
        self.by_id, self.by_code, self.named, self.roots = {}, {}, defaultdict(list), {}

    @classmethod
    def load(cls):
        index = cls()
        rows = Area.select(
            Area.id, Area.parent, Area.kind, Area.name, Area.name_en, Area.code, Area.merged_into
        ).tuples()
        parents = {}
        for area_id, parent_id, kind, name, name_en, code, merged_into in rows:
            index.by_id[area_id] = Place(kind, name, None, name_en, code, area_id, merged_into)
            parents[area_id] = parent_id
        for area_id, place in index.by_id.items():
            place.parent = index.by_id.get(parents[area_id])
            index._enter(place)
        return index

    def _enter(self, place):
        siblings = place.parent.children if place.parent else self.roots
        siblings[place.name] = place
        self.named[place.kind, place.name].append(place)
        if place.code:
            self.by_code[place.code] = place

    def add(self, kind, name, parent, name_en):
        place = Place(kind, name, parent, name_en)
        self._enter(place)
        return place

    def child(self, parent, name):
        return (parent.children if parent else self.roots).get(name)

    def candidates(self, kind, name, within):
        return [place for place in self.named.get((kind, name), ()) if within is None or place.within(within)]

    def survivor(self, place):
        """Where a merged area's things went: the area it was merged into."""
        seen = set()
        while place.merged_into and place.merged_into not in seen:
            seen.add(place.merged_into)
            place = self.by_id.get(place.merged_into, place)
        return place

    def find(self, levels, code=""):
        """The existing area a row names: by its code, or by the names of its
        levels from the province down ([(kind, name)]; a level may be left
        out when the rest say which area it is)."""
        if code:
            place = self.by_code.get(code)
            if place is None or place.id is None:
                raise Bad("code_unknown", code=code)
            if levels and self._follow(levels, quiet=True) is not place:
                raise Bad("code_and_names", code=code)
            return self.survivor(place)
        if not levels:
            raise Bad("area_none")
        return self.survivor(self._follow(levels))

    def _follow(self, levels, quiet=False):
        place = None
        for kind, name in levels:
            found = [p for p in self.candidates(kind, name, place) if p.id is not None]
            if len(found) != 1:
                if quiet:
                    return None
                raise Bad("area_ambiguous" if found else "area_unknown", name=name)
            place = found[0]
        return place


# Each level's columns: its name, its English name and its code.
def _level_columns(level, persian_name, english_name):
    return (
        Column(level, (persian_name,), most=120),
        Column(f"{level}_en", (f"نام انگلیسی {persian_name}", f"{persian_name} انگلیسی", f"{english_name} en"), 120),
        Column(f"{level}_code", (f"کد {persian_name}", f"{english_name} code"), 20),
    )


LEVEL_NAMES = (
    ("province", "استان", "province"),
    ("county", "شهرستان", "county"),
    ("city", "شهر", "city"),
    ("district", "منطقه", "district"),
    ("neighborhood", "محله", "neighborhood"),
)
AREA_COLUMNS = tuple(column for level in LEVEL_NAMES for column in _level_columns(*level))
# Another import names an area by the names of its levels, or by its code.
PLACE_COLUMNS = (
    *(Column(level, (persian_name,), most=120) for level, persian_name, _english in LEVEL_NAMES),
    Column("area_code", ("کد محدوده", "کد محل", "code"), most=20),
)


def place_levels(values):
    """The [(kind, name)] a row gives, from the province down."""
    return [(level, name) for level in LEVELS if (name := values.text(level))]


def missing_place_columns(found):
    return [] if set(found) & {*LEVELS, "area_code"} else ["no_area_columns"]


def city_or_county(place):
    """The nearest city (or county) above a place, else its parent: where a
    center's served neighborhoods are looked for."""
    lineage = place.lineage()[:-1]
    for kind in ("city", "county"):
        for above in reversed(lineage):
            if above.kind == kind:
                return above
    return place.parent or place


# --- Areas ------------------------------------------------------------------------------------


class AreasImport(Importer):
    """Province, county, city, district and neighborhood, each with an
    optional English name and code. A row names an area by its path from the
    province down (a level may be left out when the others say which area is
    meant); what is missing on the path is added under the level above it.
    An existing area is found by its code, or by its names; its English name
    and code are filled in when it has none, and nothing else of it changes."""

    kind = "areas"
    columns = AREA_COLUMNS
    tables = (Area,)
    adding = ("added", "codes", "names_en")

    def __init__(self):
        super().__init__()
        self.counts = {"added": 0, "existing": 0, "codes": 0, "names_en": 0}
        self.new, self.filled = [], {}

    def header_problems(self, found):
        return [] if "province" in found else ["no_province_column"]

    def load(self):
        self.index = AreaIndex.load()

    def check(self, number, values):
        levels = []
        for level in LEVELS:
            name = values.name(level, required=False)
            name_en, code = values.text(f"{level}_en"), values.text(f"{level}_code")
            if name:
                levels.append((level, name, name_en, code))
            elif name_en or code:
                raise Bad("level_without_name", column=level)
        if not levels or levels[0][0] != "province":
            raise Bad("required", column="province")
        codes = [code for _level, _name, _en, code in levels if code]
        if len(set(codes)) < len(codes):
            raise Bad("code_repeated")
        # Every level is found (or found missing) before anything is planned: a bad row plans nothing.
        planned, parent, adding = [], None, False
        for level, name, name_en, code in levels:
            place = None if adding else self._existing(level, name, code, parent)
            if place is None:
                if code in self.index.by_code:
                    raise Bad("code_elsewhere", code=code, path=self.index.by_code[code].path_text())
                if parent is not None and parent.merged_into:
                    raise Bad("area_merged", name=parent.name)
                adding = True
            planned.append((level, name, name_en, code, place))
            parent = place
        self._apply(number, planned)

    def _existing(self, level, name, code, parent):
        """The area (in the tree, or added by an earlier row) this level names
        under `parent`, or None when it is new; Bad when it cannot be told."""
        holder = self.index.by_code.get(code) if code else None
        if holder is not None:
            if holder.kind != level or (parent is not None and not holder.within(parent)):
                raise Bad("code_elsewhere", code=code, path=holder.path_text())
            return holder
        found = self.index.candidates(level, name, parent)
        if len(found) > 1:
            raise Bad("area_ambiguous", name=name)
        if not found:
            if self.index.child(parent, name) is not None:  # the same name under the same parent, of another kind
                raise Bad("kind_differs", name=name)
            return None
        place = found[0]
        if code and place.code and place.code != code:
            raise Bad("code_differs", name=name, code=place.code)
        return place

    def _apply(self, number, planned):
        parent = None
        for level, name, name_en, code, place in planned:
            if place is None:
                place = self.index.add(level, name, parent, name_en)
                self.new.append(place)
                self.counts["added"] += 1
            elif place.id is not None and name_en and not place.name_en:
                place.name_en = name_en
                self.filled[place] = True
                self.counts["names_en"] += 1
            if code and not place.code:
                place.code = code
                self.index.by_code[code] = place
                if place.id is not None:
                    self.filled[place] = True
                    self.counts["codes"] += 1
            parent = place
        if planned[-1][4] is not None:
            self.counts["existing"] += 1

    def write(self, actor):
        # A level at a time, parents first: its new areas, their ids, then their paths.
        for level in LEVELS:
            made = [place for place in self.new if place.kind == level]
            if not made:
                continue
            rows = [
                (
                    place.parent.id if place.parent else None,
                    level,
                    place.name,
                    place.name_en,
                    persian.fold(f"{place.name} {place.name_en}"),
                    place.code or None,
                    "",
                )
                for place in made
            ]
            fields = [Area.parent, Area.kind, Area.name, Area.name_en, Area.search_key, Area.code, Area.path]
            insert_all(Area, fields, rows)
            ids = {(parent, name): area_id for area_id, parent, name in _new_areas()}
            for place in made:
                place.id = ids[place.parent.id if place.parent else None, place.name]
            _set_new_paths()
        for place in self.filled:
            Area.update(name_en=place.name_en, code=place.code).where(Area.id == place.id).execute()


def _new_areas():
    """(id, parent id, name) of the areas written without a path yet: this import's, in its transaction."""
    return Area.select(Area.id, Area.parent, Area.name).where(Area.path == "").tuples()


def _set_new_paths():
    """Each new area's materialized path: its parent's and its own id, one statement."""
    db = Area._meta.database
    db.execute_sql(
        'UPDATE "area" SET "path" = COALESCE((SELECT "p"."path" FROM "area" AS "p" '
        'WHERE "p"."id" = "area"."parent_id"), \'/\') || CAST("id" AS VARCHAR(20)) || \'/\' '
        "WHERE \"path\" = ''"
    )


# --- Centers -----------------------------------------------------------------------------------


# What a file may call each kind of center (folded), in Persian or English, and its key.
CENTER_KINDS = {
    **{persian.fold(kind): kind for kind in Center.KINDS},
    **dict.fromkeys(("مرکزمثبتزندگی", "مثبتزندگی", "mosbatezendegicenter"), "mosbat_center"),
    **dict.fromkeys(("مسجد", "حسینیه", "مسجدوحسینیه", "سالنمسجد", "mosque", "mosquehall"), "mosque_hall"),
    **dict.fromkeys(("مدرسه", "school"), "school"),
    **dict.fromkeys(("خانهمحله", "سرایمحله", "کانون", "communityhouse"), "community_house"),
}


class CentersImport(Importer):
    """A center by its name, its area (by names or code) and what the center
    table holds: English name, kind, address, phone, hours, an optional map
    point, and the neighborhoods it serves beyond its own (names in its city,
    or codes). Found by its name (unique) in the same area: a center of the
    same name elsewhere is a bad row. Closing a center is done on its page."""

    kind = "centers"
    tables = (Center, CenterArea)
    adding = ("added", "served")
    columns = (
        Column("name", ("نام", "نام مرکز", "center"), most=Center.name.max_length, required=True),
        Column("name_en", ("نام انگلیسی", "english name"), most=Center.name_en.max_length),
        Column("center_kind", ("نوع", "نوع مرکز", "kind", "type"), most=60),
        *PLACE_COLUMNS,
        Column("address", ("نشانی", "آدرس"), most=Center.address.max_length),
        Column("phone", ("تلفن", "تلفن مرکز", "telephone"), most=Center.phone.max_length),
        Column("hours", ("ساعت کار", "ساعات کار", "opening hours"), most=Center.hours.max_length),
        Column("latitude", ("عرض جغرافیایی", "lat"), most=20),
        Column("longitude", ("طول جغرافیایی", "lon", "lng"), most=20),
        Column("served", ("محله‌های تحت پوشش", "محله‌های دیگر", "served neighborhoods"), most=2000),
    )

    def __init__(self):
        super().__init__()
        self.counts = {"added": 0, "existing": 0, "served": 0}
        self.new = []

    def header_problems(self, found):
        return missing_place_columns(found)

    def load(self):
        self.index = AreaIndex.load()
        self.existing = dict(Center.select(Center.name, Center.area).tuples())
        self.rows = {}

    def check(self, number, values):
        name = values.name("name")
        area = self.index.find(place_levels(values), values.text("area_code"))
        if name in self.rows:
            raise Bad("center_twice", row=self.rows[name])
        if name in self.existing:
            found = self.index.by_id.get(self.existing[name])
            if found is None or self.index.survivor(found) is not area:
                raise Bad("center_elsewhere", name=name, path=found.path_text() if found else "")
            self.rows[name] = number
            self.counts["existing"] += 1
            return
        kind_text = values.text("center_kind")
        kind = CENTER_KINDS.get(persian.fold(kind_text)) if kind_text else "mosbat_center"
        if kind is None:
            raise Bad("center_kind_unknown", value=kind_text)
        phone = values.text("phone")
        if phone and not re.fullmatch(r"\+?[\d\s\-]{3,20}", phone):
            raise Bad("center_phone", value=phone)
        latitude, longitude = self._point(values)
        served = self._served(values.text("served"), area)
        self.rows[name] = number
        self.new.append(
            {
                "area": area.id,
                "name": name,
                "name_en": values.text("name_en"),
                "kind": kind,
                "address": values.text("address"),
                "phone": re.sub(r"[\s\-]", "", phone),
                "hours": values.text("hours"),
                "latitude": latitude,
                "longitude": longitude,
                "served": served,
            }
        )
        self.counts["added"] += 1
        self.counts["served"] += len(served)

    def _point(self, values):
        texts = values.text("latitude"), values.text("longitude")
        if not any(texts):
            return None, None
        try:
            latitude, longitude = (float(text.replace("/", ".").replace("٫", ".")) for text in texts)
        except ValueError:
            raise Bad("map_point") from None
        if centers.point_problem(latitude, longitude):  # the rule of the center's own form
            raise Bad("map_point")
        return latitude, longitude

    def _served(self, text, area):
        """The neighborhoods named (or coded) in `text`, within the center's city; never its own area."""
        within = city_or_county(area)
        served = []
        for item in split_list(text):
            place = self.index.by_code.get(item)
            if place is None:
                found = self.index.candidates("neighborhood", item, within)
                if len(found) != 1:
                    raise Bad("served_ambiguous" if found else "served_unknown", name=item)
                place = found[0]
            place = self.index.survivor(place)
            if place.kind != "neighborhood":
                raise Bad("served_unknown", name=item)
            if place is not area and place.id not in served:
                served.append(place.id)
        return served

    def write(self, actor):
        fields = ("area", "name", "name_en", "kind", "address", "phone", "hours", "latitude", "longitude")
        insert_all(
            Center,
            [getattr(Center, field) for field in fields],
            [tuple(center[field] for field in fields) for center in self.new],
        )
        names = [center["name"] for center in self.new]
        ids = {}
        for part in _batches(names):
            ids.update(Center.select(Center.name, Center.id).where(Center.name.in_(part)).tuples())
        served = [(ids[center["name"]], hood) for center in self.new for hood in center["served"]]
        insert_all(CenterArea, [CenterArea.center, CenterArea.area], served)


# --- People: volunteers and facilitators --------------------------------------------------------


PERSON_COLUMNS = (
    Column("phone", ("تلفن همراه", "موبایل", "شماره همراه", "تلفن", "mobile"), most=30, required=True),
    Column("name", ("نام", "نام و نام خانوادگی", "full name"), most=NAME_MOST, required=True),
    *PLACE_COLUMNS,
)


class PeopleImport(Importer):
    """What the two imports of people share: a row's person (phone, name,
    neighborhood), found by the phone number; the accounts they lack are made
    without a PIN, for their holders to claim."""

    roles = ("resident",)

    def header_problems(self, found):
        return missing_place_columns(found)

    def load(self):
        self.index = AreaIndex.load()
        self.people = {}  # phone: {"name", "hood", "row", "user"}

    def person(self, number, values):
        """(phone, the person as first met, their neighborhood); a person met
        before must have the same name."""
        phone, name = values.phone(), values.name("name")
        hood = self.index.find(place_levels(values), values.text("area_code"))
        if hood.kind != "neighborhood":
            raise Bad("not_a_neighborhood", name=hood.name)
        found = self.people.get(phone)
        if found is not None and found["name"] != name:
            raise Bad("name_differs", row=found["row"])
        return phone, found or {"name": name, "hood": hood, "row": number, "user": None, "roles": None}, hood

    def find_accounts(self):
        """Each person's existing account: its id, and its roles (None while it
        has no account). [(row, Bad)] for an account that is disabled."""
        problems = []
        for part in _batches(list(self.people)):
            query = User.select(User.id, User.phone, User.is_active).where(User.phone.in_(part))
            for user_id, phone, active in query.tuples():
                person = self.people[phone]
                person["user"], person["roles"] = user_id, set()
                if not active:
                    problems.append((person["row"], Bad("account_disabled")))
        by_id = {person["user"]: person for person in self.people.values() if person["user"]}
        for part in _batches(list(by_id)):
            query = UserRole.select(UserRole.user, UserRole.role).where(UserRole.user.in_(part))
            for user_id, role in query.tuples():
                by_id[user_id]["roles"].add(role)
        self.counts["accounts"] = len(self.people) - len(by_id)
        self.counts["known"] = len(by_id)
        return problems

    def make_accounts(self, actor):
        """Accounts for the people who have none."""
        new = [
            (phone, person["name"], person["hood"].id) for phone, person in self.people.items() if not person["user"]
        ]
        for phone, user_id in claims.register_many(new, "import", actor, roles=self.roles).items():
            self.people[phone]["user"] = user_id


WEEKDAY_NAMES = {
    # Saturday first, as the week is kept (bit 0 … bit 6); folded (no spaces or half-spaces).
    "شنبه": 0,
    "saturday": 0,
    "یکشنبه": 1,
    "sunday": 1,
    "دوشنبه": 2,
    "monday": 2,
    "سهشنبه": 3,
    "tuesday": 3,
    "چهارشنبه": 4,
    "wednesday": 4,
    "پنجشنبه": 5,
    "thursday": 5,
    "جمعه": 6,
    "friday": 6,
}
EVERY_DAY = {"همهروزها", "همهروزهایهفته", "هرروز", "همه", "everyday", "all"}
# Morning (8 to 12) 1, afternoon (12 to 17) 2, evening (17 to 21) 4, as volunteers choose them.
TIME_NAMES = {
    "صبح": 1,
    "morning": 1,
    "ظهر": 2,
    "بعدازظهر": 2,
    "afternoon": 2,
    "عصر": 4,
    "شب": 4,
    "evening": 4,
    "هرساعتی": 7,
    "هرزمانی": 7,
    "anytime": 7,
}
ALL_DAYS, ALL_TIMES = 127, 7


def _names(text, and_separates=False):
    """The items of a list, each with its folded form; «و» (and) separates days
    and times too, never activity types (some have it in their names)."""
    if and_separates:
        text = re.sub(r"\s+و\s+", "،", text)
    return [(item, persian.fold(item)) for item in split_list(text)]


def read_days(text):
    """A bit mask of weekdays (Saturday bit 0) from their names."""
    mask = 0
    for item, key in _names(text, and_separates=True):
        if key in EVERY_DAY:
            mask = ALL_DAYS
        elif key in WEEKDAY_NAMES:
            mask |= 1 << WEEKDAY_NAMES[key]
        else:
            raise Bad("day_unknown", value=item)
    if not mask:
        raise Bad("required", column="days")
    return mask


def read_times(text):
    """A bit mask of times of day; any time when none is given."""
    mask = 0
    for item, key in _names(text, and_separates=True):
        if key not in TIME_NAMES:
            raise Bad("time_unknown", value=item)
        mask |= TIME_NAMES[key]
    return mask or ALL_TIMES


class VolunteersImport(PeopleImport):
    """An earlier sign-up list of volunteers: phone, name, neighborhood, the
    kinds of activity (names or keys, in a list) and the days (names, or
    "every day"), optionally the times of day. A person who is a volunteer
    already is left as they are; an account without a volunteer's profile
    gets one."""

    kind = "volunteers"
    roles = ("resident", "volunteer")
    tables = (User, UserRole, VolunteerProfile, VolunteerActivity)
    adding = ("accounts", "profiles")
    columns = (
        *PERSON_COLUMNS,
        Column("activities", ("فعالیت‌ها", "نوع فعالیت", "حوزه فعالیت", "activity types"), most=600, required=True),
        Column("days", ("روزها", "روزهای آزاد", "روزهای حضور", "weekdays"), most=200, required=True),
        Column("times", ("ساعت‌ها", "زمان", "نوبت", "time of day"), most=100),
    )

    def __init__(self):
        super().__init__()
        self.counts = {"accounts": 0, "known": 0, "profiles": 0, "existing": 0}

    def load(self):
        super().load()
        query = ActivityType.select(ActivityType.id, ActivityType.slug, ActivityType.name, ActivityType.name_en)
        self.activities = {}
        for type_id, *names in query.where(ActivityType.is_active).tuples():
            self.activities.update((persian.fold(name), type_id) for name in names if name)

    def check(self, number, values):
        if (phone := values.phone()) in self.people:
            raise Bad("phone_twice", row=self.people[phone]["row"])
        phone, person, _hood = self.person(number, values)
        kinds = []
        for item, key in _names(values.text("activities", required=True)):
            if key not in self.activities:
                raise Bad("activity_unknown", value=item)
            if self.activities[key] not in kinds:
                kinds.append(self.activities[key])
        if not kinds:
            raise Bad("required", column="activities")
        person.update(
            activities=kinds, days=read_days(values.text("days", required=True)), times=read_times(values.text("times"))
        )
        self.people[phone] = person

    def finish(self):
        problems = self.find_accounts()
        known = [person["user"] for person in self.people.values() if person["user"]]
        self.volunteering = set()
        for part in _batches(known):
            query = VolunteerProfile.select(VolunteerProfile.user).where(VolunteerProfile.user.in_(part))
            self.volunteering.update(user_id for (user_id,) in query.tuples())
        self.counts["existing"] = len(self.volunteering)
        self.counts["profiles"] = len(self.people) - len(self.volunteering)
        return problems

    def write(self, actor):
        self.make_accounts(actor)
        joining = [person for person in self.people.values() if person["user"] not in self.volunteering]
        # Accounts that were there already become volunteers too (new ones have the role).
        was_there = [(person["user"], "volunteer") for person in joining if person["roles"] is not None]
        for part in _batches(was_there):
            UserRole.insert_many(part, fields=[UserRole.user, UserRole.role]).on_conflict_ignore().execute()
        places = {person["hood"].id: _volunteer_places(person["hood"]) for person in joining}
        now = utcnow()
        V = VolunteerProfile
        insert_all(
            V,
            [V.user, V.neighborhood, V.district, V.city, V.weekdays, V.time_slots, V.reach, V.updated_at],
            [
                (
                    person["user"],
                    person["hood"].id,
                    *places[person["hood"].id],
                    person["days"],
                    person["times"],
                    "neighborhood",
                    now,
                )
                for person in joining
            ],
        )
        profiles = {}
        users = [person["user"] for person in joining]
        for part in _batches(users):
            profiles.update(V.select(V.user, V.id).where(V.user.in_(part)).tuples())
        insert_all(
            VolunteerActivity,
            [VolunteerActivity.volunteer, VolunteerActivity.activity_type],
            [(profiles[person["user"]], type_id) for person in joining for type_id in person["activities"]],
        )


def _volunteer_places(hood):
    """(district id, city id) kept beside a volunteer's neighborhood, as
    `volunteers.save_volunteer` keeps them (its city is `volunteers.city_of`'s
    rule, `city_or_county` here, read from the tree in memory)."""
    return (hood.parent or hood).id, city_or_county(hood).id


class FacilitatorsImport(PeopleImport):
    """Trained facilitators: phone, name, the neighborhood they serve, and a
    training course with its hours and the (Jalali) day it was completed; a
    facilitator's other courses and neighborhoods are more rows. A new
    account has the facilitator's role; an account that exists must have it
    already (an administrator gives it on the person's page), so that a list
    never makes staff of someone by their number alone. Courses already
    recorded (the same name and day) and neighborhoods already served are
    left as they are."""

    kind = "facilitators"
    roles = ("resident", "facilitator")
    tables = (User, UserRole, FacilitatorProfile, FacilitatorAssignment, Training)
    adding = ("accounts", "assignments", "training")
    columns = (
        *PERSON_COLUMNS,
        Column("course", ("دوره", "نام دوره", "دوره آموزشی", "training"), most=Training.COURSE_MAX),
        Column("hours", ("ساعت", "ساعت آموزش", "ساعات آموزش", "training hours"), most=10),
        Column("completed", ("تاریخ", "تاریخ پایان", "تاریخ دوره", "completed on", "date"), most=20),
    )

    def __init__(self):
        super().__init__()
        self.counts = {"accounts": 0, "known": 0, "assignments": 0, "training": 0}
        self.assignments, self.courses = {}, {}

    def check(self, number, values):
        phone, person, hood = self.person(number, values)
        course = values.text("course")
        training = None
        if course or values.text("hours") or values.text("completed"):
            if not course:
                raise Bad("required", column="course")
            hours = values.number("hours", 1, Training.HOURS_MAX)
            day = values.date("completed")
            training = (phone, persian.fold(course), day)
            if training in self.courses and self.courses[training][1] != hours:
                raise Bad("course_twice", row=self.courses[training][2])
        self.people.setdefault(phone, person)
        self.assignments.setdefault((phone, hood.id), number)
        if training is not None:
            self.courses.setdefault(training, (course, hours, number))

    def finish(self):
        problems = self.find_accounts()
        problems += [
            (person["row"], Bad("not_facilitator"))
            for person in self.people.values()
            if person["roles"] is not None and "facilitator" not in person["roles"]
        ]
        self.profiles = {}
        known = [person["user"] for person in self.people.values() if person["user"]]
        for part in _batches(known):
            query = FacilitatorProfile.select(FacilitatorProfile.user, FacilitatorProfile.id)
            self.profiles.update(query.where(FacilitatorProfile.user.in_(part)).tuples())
        by_profile = {
            self.profiles[person["user"]]: phone
            for phone, person in self.people.items()
            if person["user"] in self.profiles
        }
        for part in _batches(list(by_profile)):
            query = FacilitatorAssignment.select(FacilitatorAssignment.facilitator, FacilitatorAssignment.neighborhood)
            for profile, hood in query.where(FacilitatorAssignment.facilitator.in_(part)).tuples():
                self.assignments.pop((by_profile[profile], hood), None)
            query = Training.select(Training.facilitator, Training.course, Training.completed_on)
            for profile, course, day in query.where(Training.facilitator.in_(part)).tuples():
                self.courses.pop((by_profile[profile], persian.fold(course), day), None)
        self.counts["assignments"], self.counts["training"] = len(self.assignments), len(self.courses)
        return problems

    def write(self, actor):
        self.make_accounts(actor)
        users = {phone: person["user"] for phone, person in self.people.items()}
        new = [(user_id,) for user_id in users.values() if user_id not in self.profiles]
        insert_all(FacilitatorProfile, [FacilitatorProfile.user], new)
        for part in _batches(list(users.values())):
            query = FacilitatorProfile.select(FacilitatorProfile.user, FacilitatorProfile.id)
            self.profiles.update(query.where(FacilitatorProfile.user.in_(part)).tuples())
        now = utcnow()
        A = FacilitatorAssignment
        insert_all(
            A,
            [A.facilitator, A.neighborhood, A.assigned_by, A.created_at],
            [(self.profiles[users[phone]], hood, actor.id, now) for phone, hood in self.assignments],
        )
        insert_all(
            Training,
            [Training.facilitator, Training.course, Training.hours, Training.completed_on, Training.recorded_by],
            [
                (self.profiles[users[phone]], course, hours, day, actor.id)
                for (phone, _key, day), (course, hours, _row) in self.courses.items()
            ],
        )


IMPORTERS = {importer.kind: importer for importer in (AreasImport, CentersImport, FacilitatorsImport, VolunteersImport)}
