"""Keeping the neighborhood's services directory (issue 22, part 6): a
place's list, an entry's form, "checked again today", an import from a CSV
or XLSX file (checked first, with a preview), and the one-page list for the
center's wall. The lists themselves show on the neighborhood's page and on
the simple pages. The rules: site/domain/directory.py."""

from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, centers, directory
from hamsayeh.web import auth, bulk, imports, limits, pdf
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import digits, local_name

bp = Blueprint("directory", __name__, url_prefix="/directory")

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "directory_sample.csv"
# A place's list is short: a file of more rows is not one.
IMPORT_ROWS = 500
# What the wall's one page holds; the page on the site lists them all.
PRINTED = 30

MESSAGES = {
    "name_required": _l("Write the service's name."),
    "name_long": _l("A name can be at most 160 letters."),
    "name_letters": _l("A name needs letters."),
    "name_taken": _l("This list already has a service of this name."),
    "category_unknown": _l("Choose what kind of service it is."),
    "address_long": _l("An address can be at most 300 letters."),
    "channel_address": _l("Write the group's address as a web address (https://…) or a name like @tajrish_mahalle."),
    "board_place": _l("Write where the notice board is."),
    "hours_long": _l("The hours can be at most 200 letters."),
    "phone_letters": _l("A phone number has only digits."),
    "phone_area_code": _l("Write the area code too, like 021-22712345."),
    "phone_invalid": _l(
        "Write a landline with its area code like 021-22712345, a mobile like 09121234567, or a short line like 1480."
    ),
    "center_unknown": _l("Choose a center from the list."),
    "organization_unknown": _l("Choose an organization from the list."),
}
# The import's own reasons, beside the engine's (bulk.REASONS).
REASONS = {
    **bulk.REASONS,
    "directory_category": _l("«%(value)s» is not a kind of service this list knows: see the kinds below."),
    "directory_channel_address": _l(
        "«%(value)s» is not a group's address: a web address (https://…) or a name like @tajrish_mahalle."
    ),
    "directory_board_place": _l("Write where the notice board is, in the address column."),
    "directory_phone_letters": _l("«%(value)s» is not a phone number: it has letters."),
    "directory_phone_area_code": _l("«%(value)s» has no area code: write it like 021-22712345."),
    "directory_phone_invalid": _l(
        "«%(value)s» is not a phone number: a landline like 021-22712345, a mobile like 09121234567, or a short line like 1480."
    ),
    "directory_twice": _l("A service of this name is in row %(row)s too."),
}
COLUMN_LABELS = {**bulk.COLUMN_LABELS, "category": _l("kind of service")}
COUNT_LABELS = {
    "added": _l("New services"),
    "existing": _l("Services already in the list"),
    "linked": _l("New services linked to a center or an organization on the site"),
}


def reason(problem):
    """An import problem's sentence in the page's language, its values in the page's digits."""
    values = {key: digits(value) for key, value in problem.values.items()}
    if "column" in values:
        values["column"] = COLUMN_LABELS.get(problem.values["column"], problem.values["column"])
    return REASONS[problem.code] % values if values else REASONS[problem.code]


def place_for_keeper(area_id):
    """The place whose list is kept (None: the national list), for its keepers only."""
    area = None
    if area_id is not None:
        area = get_object_or_404(models.Area.select(), models.Area.id == area_id, models.Area.merged_into.is_null())
    if not access.keeps_directory_of(g.user, g.roles, area):
        abort(403)
    return area


def entry_for_keeper(entry_id):
    entry = get_object_or_404(models.DirectoryEntry.select(), models.DirectoryEntry.id == entry_id)
    if not access.keeps_directory_entry(g.user, g.roles, entry):
        abort(403)
    return entry


def list_url(area):
    return url_for("directory.keep", area_id=area.id if area is not None else None)


@bp.get("/")
@auth.requires(access.may_keep_directories)
def index():
    return render_template(
        "directory/index.html",
        places=directory.kept_places(g.user, g.roles),
        national=access.keeps_directory_of(g.user, g.roles, None),
    )


@auth.requires(access.may_keep_directories)
def keep(area_id):
    """A place's list as its keepers see it: each entry with its actions, and what is shown from above."""
    area = place_for_keeper(area_id)
    own = directory.kept_for(area)
    own_ids = {entry.id for entry in own}
    above = (
        [] if area is None else [e for _s, items in directory.services_near(area) for e in items if e.id not in own_ids]
    )
    stale = {entry.id for entry in own if directory.needs_checking(entry)}
    return render_template("directory/keep.html", area=area, entries=own, above=above, stale=stale)


def render_entry_form(area, form, entry=None, status=200):
    return (
        render_template(
            "directory/entry_form.html",
            area=area,
            form=form,
            entry=entry,
            center_options=[(str(item.id), local_name(item)) for item in directory.linkable_centers(area)],
            organization_options=[(str(item.id), item.name) for item in directory.linkable_organizations(area)],
        ),
        status,
    )


def read_entry_form(form):
    """The fields typed, and each problem said beside its field."""
    fields, problems = directory.check_fields(form.data)
    for name, code in problems.items():
        form.error(name, MESSAGES[code])
    links = {
        "center_id": persian.whole_number(form["center"]) if form["center"] else None,
        "organization_id": persian.whole_number(form["organization"]) if form["organization"] else None,
    }
    return fields, links


@auth.requires(access.may_keep_directories)
def new_entry(area_id):
    area = place_for_keeper(area_id)
    return render_entry_form(area, Form(form_key=new_key()))


@auth.requires(access.may_keep_directories)
def add_entry(area_id):
    area = place_for_keeper(area_id)
    form = Form(request.form)
    fields, links = read_entry_form(form)
    if form.ok:
        try:
            directory.add_entry(area, g.user, form.form_key(), fields, **links)
        except directory.EntryError as problem:
            form.error(problem.field, MESSAGES[problem.code])
    if not form.ok:
        return render_entry_form(area, form, status=422)
    flash(_("«%(name)s» is in the list.", name=fields["name"]))
    return redirect(list_url(area))


@bp.get("/entries/<int:entry_id>/edit")
@auth.requires(access.may_keep_directories)
def edit_entry(entry_id):
    entry = entry_for_keeper(entry_id)
    values = {name: getattr(entry, name) for name in ("name", "category", "address", "hours", "phone")}
    form = Form(center=str(entry.center_id or ""), organization=str(entry.organization_id or ""), **values)
    return render_entry_form(entry.area, form, entry)


@bp.post("/entries/<int:entry_id>/edit")
@auth.requires(access.may_keep_directories)
def save_entry(entry_id):
    entry = entry_for_keeper(entry_id)
    form = Form(request.form)
    fields, links = read_entry_form(form)
    if form.ok:
        try:
            directory.edit_entry(entry, g.user, fields, **links)
        except directory.EntryError as problem:
            form.error(problem.field, MESSAGES[problem.code])
    if not form.ok:
        return render_entry_form(entry.area, form, entry, status=422)
    flash(_("«%(name)s» is saved.", name=fields["name"]))
    return redirect(list_url(entry.area))


@bp.post("/entries/<int:entry_id>/checked")
@auth.requires(access.may_keep_directories)
def checked(entry_id):
    entry = entry_for_keeper(entry_id)
    directory.mark_checked(entry, g.user)
    flash(_("«%(name)s» was checked today.", name=entry.name))
    return redirect(list_url(entry.area))


@bp.post("/entries/<int:entry_id>/remove")
@auth.requires(access.may_keep_directories)
def remove(entry_id):
    entry = entry_for_keeper(entry_id)
    directory.remove_entry(entry, g.user)
    flash(_("«%(name)s» is no longer in the list.", name=entry.name))
    return redirect(list_url(entry.area))


def render_import(area, form, result=None, importer=None, status=200):
    return (
        render_template(
            "directory/import.html",
            area=area,
            form=form,
            result=result,
            planned=importer.planned if importer is not None else [],
            columns=directory.DirectoryImport.columns,
            labels=COLUMN_LABELS,
            count_labels=COUNT_LABELS,
            reason=reason,
            most_rows=IMPORT_ROWS,
        ),
        status,
    )


@auth.requires(access.may_keep_directories)
def import_page(area_id):
    return render_import(place_for_keeper(area_id), Form())


@auth.requires(access.may_keep_directories)
@limits.expensive
def import_file(area_id):
    """Check every row of the file (a preview of what it adds); add them when asked and nothing is bad."""
    area = place_for_keeper(area_id)
    form = Form(request.form)
    file = request.files.get("file")
    data = file.read() if file else b""
    if not data:
        form.error("file", bulk.REASONS["no_rows"])
        return render_import(area, form, status=422)
    try:
        table = imports.read_table(data, limit=IMPORT_ROWS + 1)
    except imports.UnreadableFile:
        form.error("file", bulk.REASONS["unreadable"])
        return render_import(area, form, status=422)
    if len(table) > IMPORT_ROWS + 1:
        form.error("file", bulk.REASONS["too_many_rows"] % {"most": digits(IMPORT_ROWS)})
        return render_import(area, form, status=422)
    rows = [[bulk.cell(value) for value in row] for row in table]
    result, importer = directory.import_rows(area, rows, g.user, write=form["action"] == "import")
    return render_import(area, Form(), result, importer, 200 if result.ok else 422)


@bp.get("/sample.csv")
def sample():
    """A sample file to fill in: the columns, and a row of each kind."""
    return send_file(SAMPLE, mimetype="text/csv", as_attachment=True, download_name="directory-sample.csv")


@bp.get("/areas/<int:area_id>/print.pdf")
@limits.expensive
def print_list(area_id):
    """The place's list on one page for the center's wall: anyone may print it (the lists are public)."""
    area = get_object_or_404(models.Area.select(), models.Area.id == area_id, models.Area.merged_into.is_null())
    url = url_for("areas.show", area_id=area.id, _external=True)
    sections, left_out = directory.printable(directory.services_near(area), PRINTED)
    nearest = centers.nearest_centers(area, limit=1)
    return pdf.response(
        "pdf/directory.html",
        f"services-{area.id}.pdf",
        area=area,
        sections=sections,
        left_out=left_out,
        count=sum(len(items) for _section, items in sections),
        center=nearest[0] if nearest else None,
        printed_at=models.utcnow(),
        qr=pdf.qr_code(url),
        url=url,
    )


# A place's pages, and the same for the national list (no area) at its own address.
for _rule, _view, _methods in (
    ("", keep, ["GET"]),
    ("/new", new_entry, ["GET"]),
    ("/new", add_entry, ["POST"]),
    ("/import", import_page, ["GET"]),
    ("/import", import_file, ["POST"]),
):
    bp.add_url_rule(f"/areas/<int:area_id>{_rule}", view_func=_view, methods=_methods)
    bp.add_url_rule(f"/national{_rule}", view_func=_view, methods=_methods, defaults={"area_id": None})
