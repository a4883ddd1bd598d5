"""Headquarters' bulk imports from a file: read by the registry import's
reader (`imports.read_table`: CSV in UTF-8 or Windows-1256, or XLSX; broken
files and zip bombs refused), checked and written by the domain's engine
(`hamsayeh.domain.imports`), and its problems said in Persian. The import
pages and the `flask import-…` commands share it.

Limits: a page takes a file of at most PAGE_ROWS rows, within the site's
2 MB for any request (a page's request holds a server worker, which gunicorn
replaces when silent for 30 s: such a file imports in a few seconds,
bench/imports.py); a command reads up to COMMAND_ROWS rows, the first sheet of
an XLSX file unpacking to at most 50 MB. A cell holds at most what its column
holds in the database."""

import datetime

from flask_babel import lazy_gettext as _l

from hamsayeh.domain import imports as engine
from hamsayeh.web import imports
from hamsayeh.web.templating import digits

KINDS = tuple(engine.IMPORTERS)
PAGE_ROWS = 10_000
COMMAND_ROWS = 200_000

TITLES = {
    "areas": _l("Import areas"),
    "centers": _l("Import centers"),
    "facilitators": _l("Import facilitators and their training"),
    "volunteers": _l("Import volunteers from a sign-up list"),
}

DESCRIPTIONS = {
    "areas": _l(
        "One row for each area, named from its province down: province, county, city, district and neighborhood (leave out the levels the area does not have), each with its English name and code if you have them. What is missing is added; what is there stays as it is, and only gets an English name or a code where it had none."
    ),
    "centers": _l(
        "One row for each center: its name, its place (province, city and neighborhood, or the area's code) and, if you have them, its English name, kind, address, phone, hours, map point (latitude and longitude) and the other neighborhoods it serves. A center already there is left as it is."
    ),
    "facilitators": _l(
        "One row for each course a facilitator completed: their mobile number, name and the neighborhood they serve, then the course, its hours and the date it ended (like 1403/05/20). A facilitator's other courses and neighborhoods are more rows. New facilitators get an account that they claim in person at a center's desk."
    ),
    "volunteers": _l(
        "One row for each volunteer: mobile number, name, neighborhood (with the province and city above it, or the area's code), kinds of activity and days, separated by «،». New volunteers get an account without a PIN: they claim it with an SMS code, or at a center's desk."
    ),
}

COUNT_LABELS = {
    "areas": {
        "added": _l("New areas"),
        "existing": _l("Rows whose area was there already"),
        "codes": _l("Codes added to areas that had none"),
        "names_en": _l("English names added to areas that had none"),
    },
    "centers": {
        "added": _l("New centers"),
        "existing": _l("Centers that were there already"),
        "served": _l("Neighborhoods served by the new centers"),
    },
    "facilitators": {
        "accounts": _l("New accounts"),
        "known": _l("Facilitators who had an account"),
        "assignments": _l("Neighborhoods newly assigned"),
        "training": _l("Courses newly recorded"),
    },
    "volunteers": {
        "accounts": _l("New accounts"),
        "known": _l("People who had an account"),
        "profiles": _l("New volunteers"),
        "existing": _l("People who were volunteers already"),
    },
}

# Each column's name on the page and in the reasons: the first name a file may give it.
COLUMN_LABELS = {
    "province": _l("province"),
    "county": _l("county"),
    "city": _l("city"),
    "district": _l("district"),
    "neighborhood": _l("neighborhood"),
    "area_code": _l("area's code"),
    "name": _l("name"),
    "name_en": _l("English name"),
    "center_kind": _l("kind of center"),
    "address": _l("address"),
    "phone": _l("phone"),
    "hours": _l("hours"),
    "latitude": _l("latitude"),
    "longitude": _l("longitude"),
    "served": _l("neighborhoods served"),
    "activities": _l("activities"),
    "days": _l("days"),
    "times": _l("times of day"),
    "course": _l("course"),
    "completed": _l("date completed"),
}
for _level in engine.LEVELS:
    COLUMN_LABELS[f"{_level}_en"] = _l("English name of the %(level)s", level=COLUMN_LABELS[_level])
    COLUMN_LABELS[f"{_level}_code"] = _l("code of the %(level)s", level=COLUMN_LABELS[_level])

REASONS = {
    # The file.
    "unreadable": _l("This file cannot be read. Save it as CSV (UTF-8) or Excel (XLSX) and try again."),
    "too_many_rows": _l("A file can have at most %(most)s rows. Split it in parts, or import it with the command."),
    "no_rows": _l("The file has no rows to import."),
    "unknown_column": _l("The column «%(column)s» is not one this import reads."),
    "column_twice": _l("The column «%(column)s» comes twice."),
    "column_missing": _l("The column «%(column)s» is missing."),
    "no_province_column": _l("The column «province» is missing: every area is named from its province down."),
    "no_area_columns": _l(
        "Name the place with the columns province, city, district and neighborhood, or an area's code."
    ),
    # A row's cells.
    "required": _l("The %(column)s is empty."),
    "too_long": _l("The %(column)s is longer than %(most)s letters."),
    "name_letters": _l("The %(column)s needs letters."),
    "number_range": _l("The %(column)s must be a whole number from %(least)s to %(most)s."),
    "date_invalid": _l("Write the %(column)s like 1403/05/20."),
    "date_future": _l("The %(column)s has not come yet."),
    "phone_invalid": _l("«%(value)s» is not a mobile number: 11 digits, like 09121234567."),
    # Areas.
    "level_without_name": _l("An English name or code is given, but the %(column)s has no name."),
    "code_repeated": _l("Two levels of the row have the same code."),
    "code_elsewhere": _l("The code %(code)s is already that of «%(path)s»."),
    "code_differs": _l("«%(name)s» already has the code %(code)s."),
    "kind_differs": _l("«%(name)s» is already here as an area of another kind."),
    "area_merged": _l("«%(name)s» was merged into another area: add to that one."),
    "area_none": _l("No area is named."),
    "area_unknown": _l("There is no area «%(name)s» there. Import the areas first, or correct the name."),
    "area_ambiguous": _l("More than one area is called «%(name)s». Add the levels above it, or the area's code."),
    "code_unknown": _l("No area has the code %(code)s."),
    "code_and_names": _l("The code %(code)s is not that of the area the names give."),
    "not_a_neighborhood": _l("«%(name)s» is not a neighborhood. Name the neighborhood."),
    # Centers.
    "center_twice": _l("This center is in row %(row)s too."),
    "center_elsewhere": _l("A center called «%(name)s» is already in «%(path)s»."),
    "center_kind_unknown": _l(
        "«%(value)s» is not a kind of center: a Mosbat-e Zendegi center, mosque hall, school or community house."
    ),
    "center_phone": _l("«%(value)s» is not a phone number."),
    "map_point": _l("Give both latitude and longitude, as decimal degrees inside Iran, like 35.8043 and 51.4339."),
    "served_unknown": _l("There is no neighborhood «%(name)s» in the center's city."),
    "served_ambiguous": _l("More than one neighborhood in the center's city is called «%(name)s»: give its code."),
    # People.
    "phone_twice": _l("This phone number is in row %(row)s too."),
    "name_differs": _l("This phone number is in row %(row)s with another name."),
    "account_disabled": _l("The account of this number is disabled."),
    "not_facilitator": _l(
        "This number has an account without the facilitator's role: an administrator gives it on the person's page first."
    ),
    "course_twice": _l("This course, on the same day, is in row %(row)s with other hours."),
    "activity_unknown": _l("«%(value)s» is not one of the activity types."),
    "day_unknown": _l("«%(value)s» is not a day of the week."),
    "time_unknown": _l("«%(value)s» is not a time of day: morning, afternoon or evening."),
}


def reason(problem):
    """A problem's sentence, in the page's language, with its values in the page's digits."""
    values = {key: digits(value) for key, value in problem.values.items()}
    if "column" in values:
        values["column"] = COLUMN_LABELS.get(problem.values["column"], problem.values["column"])
    return REASONS[problem.code] % values if values else REASONS[problem.code]


def cell(value):
    """A cell as the engine reads it: text as it is (the engine normalizes
    it), a spreadsheet's number as the registry import reads one, a date as a date."""
    if isinstance(value, str | datetime.date):
        return value
    return imports.cell_text(value)


def run(kind, data, actor, write=True, most_rows=PAGE_ROWS):
    """Read the file `data` and import it (or only check it): the engine's Result."""
    try:
        table = imports.read_table(data, limit=most_rows + 1)  # the first row names the columns
    except imports.UnreadableFile:
        return engine.Result([engine.Problem(0, "unreadable", {})], {})
    if len(table) > most_rows + 1:
        return engine.Result([engine.Problem(0, "too_many_rows", {"most": most_rows})], {})
    rows = [[cell(value) for value in row] for row in table]
    return engine.run(engine.IMPORTERS[kind](), rows, actor, write=write)
