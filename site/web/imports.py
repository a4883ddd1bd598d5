"""Reading an organization's existing list of the people it serves, from a CSV
or an Excel (XLSX) file: national code, name, household size, and the last
service (date, and optionally its kind). Each row is checked on its own, so
that bad rows are reported with a reason and the good ones still come in."""

import csv
import datetime
import io
import itertools
import re
import zipfile

import openpyxl
from flask_babel import lazy_gettext as _l

from hamsayeh import persian

# One request checks and writes every row while a worker waits: a thousand
# rows take about a second (bench/expensive.py), a longer list comes in parts.
MAX_ROWS = 1000
# An XLSX of a few thousand rows unpacks to a few megabytes.
MAX_UNPACKED = 50 * 1024 * 1024
FOREIGN_PATTERN = re.compile(r"^\d{12}$")
SEPARATORS = re.compile(r"[\s\-_.]")


class UnreadableFile(ValueError):
    """The upload is neither a CSV nor an XLSX file this page can read."""


def read_table(data, limit=MAX_ROWS):
    """The rows of an XLSX or CSV file (UTF-8, or Windows' Persian code page),
    each a list of cell texts; at most `limit` + 1 of them (a list of national
    codes alone, one a row, may be much longer than a list of people)."""
    if data[:2] == b"PK":
        return read_workbook(data, limit)
    for encoding in ("utf-8-sig", "cp1256"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile
    if "\x00" in text:
        raise UnreadableFile
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(itertools.islice(csv.reader(io.StringIO(text), dialect), limit + 1))
    except csv.Error as error:  # a field longer than the reader allows, a stray NUL
        raise UnreadableFile from error


def read_workbook(data, limit=MAX_ROWS):
    """The first sheet's rows of an XLSX file. A file that unpacks to far more
    than its size (a "zip bomb") or that openpyxl cannot read is unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED:
                raise UnreadableFile
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = []
            for row in book.worksheets[0].iter_rows(values_only=True):
                rows.append(["" if cell is None else cell for cell in row])
                if len(rows) > limit + 1:
                    break
        finally:
            book.close()
    except UnreadableFile:
        raise
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise UnreadableFile from error
    return rows


def is_header(row):
    """Whether the first row names the columns instead of holding a person."""
    first = SEPARATORS.sub("", persian.normalize(str(row[0]))) if row else ""
    return bool(row) and not first.isdigit()


def cell_text(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return persian.normalize(str(value))


def read_identifier(value):
    """(kind, number) or a reason it cannot be a person's number."""
    number = SEPARATORS.sub("", cell_text(value))
    if not number:
        return None, _l("The national code is empty.")
    if not number.isdigit():
        return None, _l("The national code has characters that are not digits.")
    if FOREIGN_PATTERN.match(number):
        return ("foreign", number), None
    if 8 <= len(number) < 10:
        number = number.zfill(10)  # spreadsheets drop leading zeros
    if len(number) != 10:
        return None, _l("A national code has 10 digits.")
    if not persian.is_valid_national_code(number):
        return None, _l("The national code's check digit does not match.")
    return ("national", number), None


def read_date(value, today):
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        day = persian.parse_jalali_date(cell_text(value))
        if day is None:
            return None, _l("Write the date like 1405/09/20.")
    if day > today:
        return None, _l("The last service's date has not come yet.")
    return day, None


def check_row(row, categories, today):
    """The fields of one row, or the reason it cannot be imported. Columns:
    national code, name, household size, last service's date, its kind."""
    cells = list(row) + [""] * (5 - len(row))
    identifier, problem = read_identifier(cells[0])
    if problem:
        return None, problem
    name = cell_text(cells[1])
    if not name or not any(ch.isalpha() for ch in name):
        return None, _l("The name is empty.")
    if len(name) > 80:
        return None, _l("The name is longer than 80 letters.")
    size = cell_text(cells[2]) or "1"
    if not persian.whole_number(size, 30):
        return None, _l("The household size must be a number from 1 to 30.")
    service = None
    if cell_text(cells[3]):
        day, problem = read_date(cells[3], today)
        if problem:
            return None, problem
        kind = persian.fold(cell_text(cells[4]))
        if kind and kind not in categories:
            return None, _l("The kind of the last service is not one of the registry's kinds.")
        service = (day, categories.get(kind, "other"))
    return {"identifier": identifier, "name": name, "household_size": int(size), "service": service}, None
