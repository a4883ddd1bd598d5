"""The county's shared registry (Samoon): staff of an assembly's member
organizations record the people they serve and the services given, and
before giving aid ask what the whole assembly gave the person lately, so that
aid is not given twice in parallel while the shy needy get nothing.

National codes are never stored, shown or logged: the registry keeps a keyed
hash to match and the last four digits to show. Only active staff of an
assembly member reach these pages; nothing here is cached by the browser."""

import datetime
import re

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import persian
from hamsayeh.forms import Form, new_key

bp = Blueprint("registry", __name__, url_prefix="/registry")

ID_KIND_LABELS = {"national": _l("Iranian national code"), "foreign": _l("Foreign national's number")}
CATEGORY_LABELS = {
    "food": _l("Food"),
    "cash": _l("Cash"),
    "medical": _l("Medical"),
    "education": _l("Education"),
    "shelter": _l("Shelter"),
    "clothing": _l("Clothing"),
    "housing": _l("Housing and rent"),
    "other": _l("Other"),
}
REASONS = {
    "new_aid": _l("Before giving new aid"),
    "intake": _l("A first visit at our desk"),
    "review": _l("Reviewing a family's file"),
}
MONTH_CHOICES = (3, 6, 12, 24)
# Inquiries per staff member an hour: enough for a busy desk, too few to walk
# through the county's national codes.
INQUIRIES_PER_HOUR = 60
NOTE_MAX, HOUSEHOLD_TEXT_MAX, AMOUNT_MAX = 300, 1000, 10**13
FOREIGN_PATTERN = re.compile(r"^\d{12}$")


@bp.before_request
def registry_staff_only():
    if g.user is None:
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    g.organizations = list(models.registry_organizations(g.user))
    if not g.organizations:
        abort(403)
    if not current_app.config["REGISTRY_KEY"]:
        abort(503)
    return None


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def chosen_organization(form):
    """The organization the staff member works for in this request (a choice
    only for those who work for several)."""
    wanted = form["org"]
    return next((org for org in g.organizations if str(org.id) == wanted), g.organizations[0])


def read_identifier(form):
    """(kind, number) from the form, typed with any digits, spaces or dashes;
    a message beside the field when it cannot be a real one."""
    kind = form["id_kind"] if form["id_kind"] in ID_KIND_LABELS else "national"
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


def page_options():
    return {
        "id_kinds": ID_KIND_LABELS,
        "categories": CATEGORY_LABELS,
        "reasons": REASONS,
        "month_choices": MONTH_CHOICES,
        "organizations": g.organizations,
    }


@bp.get("/")
def index():
    return render_index(Form(months="6", reason="new_aid"))


def render_index(form, status=200):
    organization = chosen_organization(form)
    recent = (
        models.BeneficiaryRecord.select(models.BeneficiaryRecord, models.Beneficiary)
        .join(models.Beneficiary)
        .where(models.BeneficiaryRecord.organization == organization)
        .order_by(models.BeneficiaryRecord.created_at.desc())
        .limit(20)
    )
    return (
        render_template(
            "registry/index.html", form=form, organization=organization, recent=list(recent), **page_options()
        ),
        status,
    )


@bp.post("/inquiry")
def inquiry():
    form = Form(request.form)
    organization = chosen_organization(form)
    kind, number = read_identifier(form)
    if form["reason"] not in REASONS:
        form.error("reason", _l("Choose why you ask."))
    months = int(form["months"]) if form["months"].isdigit() and int(form["months"]) in MONTH_CHOICES else None
    if months is None:
        form.error("months", _l("Choose how far back to look."))
    if form.ok and models.recent_inquiries(g.user) >= INQUIRIES_PER_HOUR:
        form.error("number", _l("You have asked many times in the last hour. Wait a little and ask again."))
        return render_index(form, 429)
    if not form.ok:
        return render_index(form, 422)
    result = models.inquire(organization, g.user, key(), kind, number, months, form["reason"])
    form.data["number"] = ""  # the code is not sent back in the page
    return render_template(
        "registry/inquiry.html",
        result=result,
        months=months,
        organization=organization,
        form=form,
        **page_options(),
    )


@bp.get("/new")
def new():
    return render_new(Form(form_key=new_key(), household_size="1", id_kind="national"))


def render_new(form, status=200):
    return render_template("registry/new.html", form=form, **page_options()), status


@bp.post("/new")
def create():
    form = Form(request.form)
    organization = chosen_organization(form)
    kind, number = read_identifier(form)
    name = form.person_name()
    size = form["household_size"]
    if not size.isdigit() or not 1 <= int(size) <= models.BeneficiaryRecord.HOUSEHOLD_MAX:
        form.error("household_size", _l("Write how many live in the household, from 1 to 30."))
    if len(form["household"]) > HOUSEHOLD_TEXT_MAX:
        form.error("household", _l("Write at most %(count)s letters.", count=HOUSEHOLD_TEXT_MAX))
    if not form.ok:
        return render_new(form, 422)
    record, created = models.record_beneficiary(
        organization,
        g.user,
        key(),
        kind,
        number,
        name=name,
        household_size=int(size),
        household=form["household"],
        consent_to_share=form["consent"] == "1",
    )
    if created:
        flash(_("%(name)s is in the registry of the assembly.", name=name))
    else:
        flash(_("Your organization had already recorded this person. Here is the record."))
    return redirect(url_for("registry.record", record_id=record.id))


def own_record_or_404(record_id):
    """A record of one of the staff member's own organizations; another's
    record is as if it did not exist."""
    record = models.BeneficiaryRecord.get_or_none(models.BeneficiaryRecord.id == record_id)
    if record is None or record.organization_id not in {org.id for org in g.organizations}:
        abort(404)
    return record


@bp.get("/records/<int:record_id>")
def record(record_id):
    return render_record(own_record_or_404(record_id), Form(form_key=new_key(), category="food"))


def render_record(record, form, status=200):
    with models.write_transaction():
        models.record_audit(
            "registry.viewed",
            actor=g.user,
            subject=f"beneficiary:{record.beneficiary_id}",
            detail=f"org:{record.organization_id}",
        )
    services = (
        models.Service.select()
        .where(models.Service.beneficiary == record.beneficiary_id)
        .order_by(models.Service.given_on.desc(), models.Service.id.desc())
    )
    own = [item for item in services if item.organization_id == record.organization_id]
    others = len([item for item in services if item.organization_id != record.organization_id])
    if not form["given_on"]:
        form.data["given_on"] = persian.format_jalali_input(datetime.date.today())
    return (
        render_template("registry/record.html", record=record, own=own, others=others, form=form, **page_options()),
        status,
    )


@bp.post("/records/<int:record_id>/services")
def add_service(record_id):
    record = own_record_or_404(record_id)
    form = Form(request.form)
    if form["category"] not in CATEGORY_LABELS:
        form.error("category", _l("Choose the kind of service."))
    given_on = persian.parse_jalali_date(form["given_on"])
    if given_on is None:
        form.error("given_on", _l("Write the date like 1405/09/20."))
    elif given_on > datetime.date.today():
        form.error("given_on", _l("This date has not come yet."))
    amount = form["amount"].replace(",", "").replace("٬", "")
    if amount and (not amount.isdigit() or int(amount) > AMOUNT_MAX):
        form.error("amount", _l("Write the value in rials as a number, or leave it empty."))
    if len(form["note"]) > NOTE_MAX:
        form.error("note", _l("Write at most %(count)s letters.", count=NOTE_MAX))
    if not form.ok:
        return render_record(record, form, 422)
    models.record_service(
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
def consent(record_id):
    record = own_record_or_404(record_id)
    given = request.form.get("consent") == "1"
    with models.write_transaction():
        models.BeneficiaryRecord.update(consent_to_share=given).where(
            models.BeneficiaryRecord.id == record.id
        ).execute()
        models.record_audit(
            "registry.consent_given" if given else "registry.consent_withdrawn",
            actor=g.user,
            subject=f"beneficiary:{record.beneficiary_id}",
            detail=f"org:{record.organization_id}",
        )
    flash(_("The consent to share is recorded.") if given else _("The consent to share is withdrawn."))
    return redirect(url_for("registry.record", record_id=record.id))
