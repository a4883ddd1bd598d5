"""The county's shared registry (Samoon): staff of an assembly's member
organizations record the people they serve and the services given, and
before giving aid ask what the whole assembly gave the person lately, so that
aid is not given twice in parallel while the shy needy get nothing.

National codes are never stored, shown or logged: the registry keeps a keyed
hash to match and the last four digits to show. Only active staff of an
assembly member reach these pages; nothing here is cached by the browser."""

import io
import re

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, registry
from hamsayeh.web import auth, imports, limits, spreadsheets
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import digits, local_name

bp = Blueprint("registry", __name__, url_prefix="/registry")

ID_KIND_LABELS = dict(
    zip(models.Beneficiary.ID_KINDS, (_l("Iranian national code"), _l("Foreign national's number")), strict=True)
)
CATEGORY_LABELS = dict(
    zip(
        models.Service.CATEGORIES,
        (
            _l("Food"),
            _l("Cash"),
            _l("Medical"),
            _l("Education"),
            _l("Shelter"),
            _l("Clothing"),
            _l("Housing and rent"),
            _l("Other"),
        ),
        strict=True,
    )
)
REASONS = {
    "new_aid": _l("Before giving new aid"),
    "intake": _l("A first visit at our desk"),
    "review": _l("Reviewing a family's file"),
}
MONTH_CHOICES = (3, 6, 12, 24)
NOTE_MAX, HOUSEHOLD_TEXT_MAX, AMOUNT_MAX = 300, 1000, 10**13
FOREIGN_PATTERN = re.compile(r"^\d{12}$")
# A need filed for someone that nobody took in this many days shows in the report.
WAITING_DAYS = 14


def my_organizations():
    """The assembly members the staff member works for; a registry without
    its key is closed (503)."""
    if not current_app.config["REGISTRY_KEY"]:
        abort(503)
    if "organizations" not in g:
        g.organizations = access.registry_organizations(g.user, g.roles)
    return g.organizations


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def chosen_organization(form):
    """The organization the staff member works for in this request, in the
    assembly it works in (a choice only for those who work for several, or
    for an organization of several assemblies): its `desk`, or its id alone
    for the first of its assemblies."""
    wanted, mine = form["org"], my_organizations()
    chosen = next((org for org in mine if org.desk == wanted), None)
    return chosen or next((org for org in mine if str(org.id) == wanted), mine[0])


def read_identifier(form):
    """(kind, number) from the form, typed with any digits, spaces or dashes;
    a message beside the field when it cannot be a real one."""
    kind = form["id_kind"] if form["id_kind"] in models.Beneficiary.ID_KINDS else "national"
    number = re.sub(r"[\s\-_.]", "", form["number"])
    if not number:
        form.error("number", _l("Enter the national code."))
        return kind, None
    if not number.isdigit():
        form.error("number", _l("Use digits only."))
        return kind, None
    if kind == "national":
        # Codes are often written without their leading zeros.
        number = number.zfill(10) if 8 <= len(number) < 10 else number
        if len(number) != 10:
            form.error("number", _l("A national code has 10 digits."))
            return kind, None
        if not persian.is_valid_national_code(number):
            form.error("number", _l("This national code is not valid: its check digit does not match. Check it again."))
            return kind, None
    elif not FOREIGN_PATTERN.match(number):
        form.error("number", _l("A foreign national's number has 12 digits."))
        return kind, None
    return kind, number


def key():
    return current_app.config["REGISTRY_KEY"]


def too_many(render, form):
    """The page again, with the hourly limit's message and without the number."""
    form.data["number"] = ""
    form.errors.clear()
    form.error("number", _l("You have asked many times in the last hour. Wait a little and ask again."))
    return render(form, 429)


def county_places(organization):
    """The county's cities and neighborhoods, as (id, "city › neighborhood")."""
    return [
        (str(place_id), " › ".join(local_name(area) for area in areas))
        for place_id, areas in registry.county_places(organization)
    ]


def page_options():
    return {
        "id_kinds": ID_KIND_LABELS,
        "categories": CATEGORY_LABELS,
        "reasons": REASONS,
        "month_choices": MONTH_CHOICES,
        "organizations": my_organizations(),
    }


@bp.get("/")
@auth.requires(access.may_use_registry)
def index():
    return render_index(Form(months="6", reason="new_aid", org=request.args.get("org")))


def render_index(form, status=200):
    organization = chosen_organization(form)
    recent = registry.recent_records(organization)
    return (
        render_template(
            "registry/index.html", form=form, organization=organization, recent=list(recent), **page_options()
        ),
        status,
    )


@bp.post("/inquiry")
@auth.requires(access.may_use_registry)
def inquiry():
    form = Form(request.form)
    organization = chosen_organization(form)
    kind, number = read_identifier(form)
    if form["reason"] not in REASONS:
        form.error("reason", _l("Choose why you ask."))
    months = persian.whole_number(form["months"])
    months = months if months in MONTH_CHOICES else None
    if months is None:
        form.error("months", _l("Choose how far back to look."))
    if not form.ok:
        return render_index(form, 422)
    try:
        result = registry.inquire(organization, g.user, key(), kind, number, months, form["reason"])
    except registry.RateLimited:
        return too_many(render_index, form)
    return render_template(
        "registry/inquiry.html",
        result=result,
        months=months,
        organization=organization,
        form=form,
        **page_options(),
    )


@bp.get("/new")
@auth.requires(access.may_use_registry)
def new():
    return render_new(Form(form_key=new_key(), household_size="1", id_kind="national", org=request.args.get("org")))


def render_new(form, status=200):
    places = [("", _("Not known")), *county_places(chosen_organization(form))]
    return render_template("registry/new.html", form=form, places=places, **page_options()), status


@bp.post("/new")
@auth.requires(access.may_use_registry)
def create():
    form = Form(request.form)
    organization = chosen_organization(form)
    kind, number = read_identifier(form)
    name = form.person_name()
    size = form["household_size"]
    if not persian.whole_number(size, models.BeneficiaryRecord.HOUSEHOLD_MAX):
        form.error("household_size", _l("Write how many live in the household, from 1 to 30."))
    if len(form["household"]) > HOUSEHOLD_TEXT_MAX:
        form.error("household", _l("Write at most %(count)s letters.", count=HOUSEHOLD_TEXT_MAX))
    area = None
    if form["area"]:
        if form["area"] not in dict(county_places(organization)):
            form.error("area", _l("Choose a place of the county from the list."))
        else:
            area = int(form["area"])
    if not form.ok:
        return render_new(form, 422)
    try:
        record, created = registry.record_beneficiary(
            organization,
            g.user,
            key(),
            kind,
            number,
            limited=True,
            name=name,
            household_size=int(size),
            household=form["household"],
            area=area,
            consent_to_share=form["consent"] == "1",
        )
    except registry.RateLimited:
        return too_many(render_new, form)
    if created:
        flash(_("The person is in the registry of the assembly."))
    else:
        flash(_("Your organization had already recorded this person. Here is the record."))
    return redirect(url_for("registry.record", record_id=record.id))


def own_record_or_404(record_id):
    """A record of one of the staff member's own organizations; another's
    record is as if it did not exist."""
    my_organizations()
    record = get_object_or_404(models.BeneficiaryRecord.select(), models.BeneficiaryRecord.id == record_id)
    if not access.may_read_registry_record(g.user, g.roles, record):
        abort(404)
    return record


@bp.get("/records/<int:record_id>")
@auth.requires(access.may_use_registry)
def record(record_id):
    return render_record(own_record_or_404(record_id), Form(form_key=new_key(), category="food"))


def render_record(record, form, status=200):
    own, others = registry.view_record(record, g.user)
    if not form["given_on"]:
        form.data["given_on"] = persian.format_jalali_input(persian.today())
    return (
        render_template("registry/record.html", record=record, own=own, others=others, form=form, **page_options()),
        status,
    )


@bp.post("/records/<int:record_id>/services")
@auth.requires(access.may_use_registry)
def add_service(record_id):
    record = own_record_or_404(record_id)
    form = Form(request.form)
    if form["category"] not in models.Service.CATEGORIES:
        form.error("category", _l("Choose the kind of service."))
    given_on = persian.parse_jalali_date(form["given_on"])
    if given_on is None:
        form.error("given_on", _l("Write the date like 1405/09/20."))
    elif given_on > persian.today():
        form.error("given_on", _l("This date has not come yet."))
    amount = form["amount"].replace(",", "").replace("٬", "")
    if amount and persian.whole_number(amount, AMOUNT_MAX) is None:
        form.error("amount", _l("Write the value in rials as a number, or leave it empty."))
    if len(form["note"]) > NOTE_MAX:
        form.error("note", _l("Write at most %(count)s letters.", count=NOTE_MAX))
    if not form.ok:
        return render_record(record, form, 422)
    registry.record_service(
        record,
        g.user,
        form.form_key(),
        category=form["category"],
        given_on=given_on,
        amount=int(amount or 0),
        note=form["note"],
    )
    flash(_("The service is recorded."))
    return redirect(url_for("registry.record", record_id=record.id))


@bp.post("/records/<int:record_id>/consent")
@auth.requires(access.may_use_registry)
def consent(record_id):
    record = own_record_or_404(record_id)
    given = request.form.get("consent") == "1"
    registry.set_consent(record, g.user, given)
    flash(_("The consent to share is recorded.") if given else _("The consent to share is withdrawn."))
    return redirect(url_for("registry.record", record_id=record.id))


def report_months():
    months = persian.whole_number(request.args.get("months", "6"))
    return months if months in MONTH_CHOICES else 6


def jalali_month(month):
    return digits(month.name())


def assembly_report(organization, months):
    """The assembly's report (see registry.assembly_report), in words."""
    report = registry.assembly_report(organization, key(), months, WAITING_DAYS)
    areas, by_category = report.pop("areas"), report.pop("by_category")
    return report | {
        "by_month": [(jalali_month(month), counts) for month, counts in report["by_month"]],
        "by_area": sorted(
            (
                (local_name(areas[area]) if area in areas else _("Not known"), counts)
                for area, counts in report["by_area"].items()
            ),
            key=lambda row: -sum(row[1].values()),
        ),
        "category_totals": [(CATEGORY_LABELS[c], by_category[c]) for c in CATEGORY_LABELS if c in by_category],
    }


def totals(rows):
    return [(label, sum(counts.values())) for label, counts in rows]


@bp.get("/reports")
@auth.requires(access.may_use_registry)
def reports():
    organization = chosen_organization(Form(request.args))
    months = report_months()
    return render_template(
        "registry/reports.html",
        organization=organization,
        months=months,
        report=assembly_report(organization, months),
        waiting_days=WAITING_DAYS,
        totals=totals,
        **page_options(),
    )


@bp.get("/reports.csv")
@auth.requires(access.may_use_registry)
def reports_csv():
    """The report's counts, one row each: section, item, category, count."""
    organization = chosen_organization(Form(request.args))
    months = report_months()
    report = assembly_report(organization, months)
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow([_("Section"), _("Item"), _("Kind"), _("Count")])
    for case in report["parallel"]:
        writer.writerow([_("Parallel services"), case["ref"], CATEGORY_LABELS[case["category"]], len(case["services"])])
    for case in report["many"]:
        writer.writerow([_("Served by many organizations"), case["ref"], "", case["givers"]])
    writer.writerow([_("Registered with no service"), "", "", report["unserved_count"]])
    writer.writerow([_("Needs filed for someone that nobody took"), "", "", len(report["waiting"])])
    for section, rows in ((_("By month"), report["by_month"]), (_("By area"), report["by_area"])):
        for label, counts in rows:
            writer.writerows([section, label, CATEGORY_LABELS[category], count] for category, count in counts.items())
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="registry-report-{months}-months.csv"'},
    )


def category_names():
    """What a list may call each kind of service: its Persian name or its key."""
    with force_locale("fa"):
        names = {persian.fold(str(label)): slug for slug, label in CATEGORY_LABELS.items()}
    return names | {slug: slug for slug in CATEGORY_LABELS}


@bp.get("/import")
@auth.requires(access.may_use_registry)
def upload():
    form = Form(org=request.args.get("org"))
    return render_template("registry/import.html", form=form, result=None, **page_options())


@bp.post("/import")
@auth.requires(access.may_use_registry)
@limits.expensive
def import_list():
    """Import the good rows of an organization's list and report the bad ones
    by row number and reason; the same file again adds nothing."""
    form = Form(request.form)
    organization = chosen_organization(form)
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    rows = []
    if not data:
        form.error("file", _l("Choose a CSV or Excel file."))
    else:
        try:
            rows = imports.read_table(data)
        except imports.UnreadableFile:
            form.error("file", _l("This file cannot be read. Save it as CSV (UTF-8) or Excel (XLSX) and try again."))
    if rows and imports.is_header(rows[0]):
        rows, first = rows[1:], 2
    else:
        first = 1
    if len(rows) > imports.MAX_ROWS:
        form.error(
            "file", _l("A list can have at most %(count)s rows. Split it in parts.", count=digits(imports.MAX_ROWS))
        )
    if form.ok and not rows:
        form.error("file", _l("The file has no rows."))
    if not form.ok:
        return render_template("registry/import.html", form=form, result=None, **page_options()), 422
    names, today = category_names(), persian.today()
    bad, good = [], []
    # Every row is checked before any is written: a file that breaks halfway writes nothing.
    for number, row in enumerate(rows, start=first):
        if not any(str(cell).strip() for cell in row):
            continue
        fields, problem = imports.check_row(row, names, today)
        if problem:
            bad.append((number, problem))
        else:
            good.append(fields)
    result = registry.import_rows(organization, g.user, key(), good, note=_("Imported"), bad=len(bad))
    result["bad"] = bad
    return render_template("registry/import.html", form=Form(), result=result, **page_options())
