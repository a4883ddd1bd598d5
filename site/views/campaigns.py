"""Campaigns (issue 16): the public list and page of every campaign, a new
campaign for its organizer, and a distribution's back office: its rounds and
points, nominations and their verification, the frozen list, voucher cards,
reports (per point, area and day; households not served; doubles refused;
CSV) and the organizer's printable summary."""

import io

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, campaigns, distributions
from hamsayeh.web import auth, files, limits, pdf, spreadsheets, tasks, vouchers
from hamsayeh.web.forms import Form, new_key

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

KIND_LABELS = dict(zip(models.Campaign.KINDS, (_l("Distribution"), _l("Event"), _l("Drive")), strict=True))
UNIT_LABELS = dict(zip(models.Campaign.GOAL_UNITS, (_l("households"), _l("items"), _l("rials")), strict=True))
STATUS_LABELS = dict(zip(models.Campaign.STATUSES, (_l("Draft"), _l("Open"), _l("Closed")), strict=True))
ROUND_LABELS = dict(
    zip(
        models.DistributionRound.STATUSES,
        (_l("Taking nominations"), _l("Frozen: handing out"), _l("Closed")),
        strict=True,
    )
)
FLAG_LABELS = dict(
    zip(
        models.Nomination.FLAGS,
        (
            _l("Nominated twice in this round"),
            _l("Already served by this campaign"),
            _l("Given a like service in the registry lately"),
        ),
        strict=True,
    )
)
NOMINATION_LABELS = dict(zip(models.Nomination.STATUSES, (_l("Waiting"), _l("Verified"), _l("Rejected")), strict=True))
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
            _l("Housing"),
            _l("Other"),
        ),
        strict=True,
    )
)
CAMPAIGN_ERRORS = {
    "title": _l("Write the campaign's title."),
    "kind": _l("Choose the campaign's kind."),
    "goal_unit": _l("Choose what the goal counts."),
    "goal": _l("Write the goal as a whole number above zero."),
    "starts_on": _l("Write the first day as a Jalali date, like 1405/09/10."),
    "ends_on": _l("Write the last day as a Jalali date on or after the first day, within about a year."),
    "areas": _l("Choose at least one area the campaign covers."),
}
DISTRIBUTION_ERRORS = {
    "round": _l("This round is not at that step: nothing was changed."),
    "campaign": _l("This belongs to another campaign: nothing was changed."),
    "area": _l("This place is outside the campaign's areas."),
    "double": _l("This household is verified in this round already."),
    "assembly": _l("Your organization is in no assembly of charities: ask its coordinator to add it first."),
    "name": _l("A point of this campaign has this name already."),
    "unknown": _l("No such code."),
}


def labels():
    return {
        "kind_labels": KIND_LABELS,
        "unit_labels": UNIT_LABELS,
        "status_labels": STATUS_LABELS,
        "round_labels": ROUND_LABELS,
        "flag_labels": FLAG_LABELS,
        "nomination_labels": NOMINATION_LABELS,
        "category_labels": CATEGORY_LABELS,
    }


def campaign_or_404(campaign_id):
    return get_object_or_404(models.Campaign.select(), models.Campaign.id == campaign_id)


def run_or_403(campaign_id):
    """A campaign for its organizer's staff (and headquarters)."""
    campaign = campaign_or_404(campaign_id)
    if not access.runs_campaign(g.user, g.roles, campaign):
        abort(403)
    return campaign


def round_or_403(round_id):
    round_ = get_object_or_404(models.DistributionRound.select(), models.DistributionRound.id == round_id)
    if not access.runs_campaign(g.user, g.roles, round_.campaign):
        abort(403)
    return round_


def verified_round_or_403(round_id):
    """A round's nominations: for its organizer's staff and the assembly of its area."""
    round_ = get_object_or_404(models.DistributionRound.select(), models.DistributionRound.id == round_id)
    if not access.verifies_nominations(g.user, g.roles, round_):
        abort(403)
    return round_


# --- Public -------------------------------------------------------------------------------


@bp.get("/")
def index():
    area_id = persian.whole_number(request.args.get("area", ""))
    area = models.Area.get_or_none(models.Area.id == area_id) if area_id else None
    kind = request.args.get("kind", "")
    found = campaigns.listing(area, kind)
    today = persian.today()
    return render_template(
        "campaigns/index.html",
        campaigns=[(c, campaigns.progress(c)) for c in found],
        area=area,
        kind=kind if kind in models.Campaign.KINDS else "",
        occasions=campaigns.occasions_near(today),
        may_start=access.may_start_campaign(g.user, g.roles),
        percent=campaigns.percent,
        **labels(),
    )


@bp.get("/<int:campaign_id>")
def show(campaign_id):
    campaign = campaign_or_404(campaign_id)
    if campaign.status == "draft" and not access.runs_campaign(g.user, g.roles, campaign):
        abort(404)
    progress = campaigns.progress(campaign)
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        progress=progress,
        percent=campaigns.percent(progress),
        organizer=campaigns.organizer_name(campaign),
        areas=campaigns.areas_of(campaign),
        participants=campaigns.participants(campaign),
        kind_context=campaigns.kind_context(campaign),
        runs=access.runs_campaign(g.user, g.roles, campaign),
        **labels(),
    )


# --- A new campaign -------------------------------------------------------------------------


def campaign_form_context(form):
    everything = access.is_headquarters(g.user, g.roles)
    return {
        "form": form,
        "organizers": campaigns.organizer_choices(g.user, everything),
        "area_choices": campaign_areas(),
        "occasions": campaigns.occasions_near(persian.today(), limit=20),
        **labels(),
    }


def campaign_areas():
    """Districts and neighborhoods a campaign may cover, by name."""
    return list(
        models.Area.live()
        .where(models.Area.kind.in_(("city", "district", "neighborhood")))
        .order_by(models.Area.path)
        .limit(400)
    )


@bp.get("/new")
@auth.requires(access.may_start_campaign)
def new():
    form = Form(form_key=new_key(), kind="distribution", goal_unit="households")
    return render_template("campaigns/new.html", **campaign_form_context(form))


@bp.post("/new")
@auth.requires(access.may_start_campaign)
def create():
    form = Form(request.form)
    context = campaign_form_context(form)
    organizer = context["organizers"].get(form["organizer"])
    if organizer is None:
        form.error("organizer", _l("Choose who organizes the campaign."))
    title = form.text("title", models.Campaign.TITLE_MAX, 3, CAMPAIGN_ERRORS["title"])
    purpose = form.text("purpose", campaigns.PURPOSE_MAX, 0)
    area_ids = [persian.whole_number(v) for v in request.form.getlist("areas")]
    occasion_id = persian.whole_number(form["occasion"])
    occasion = models.Occasion.get_or_none(models.Occasion.id == occasion_id) if occasion_id else None
    fields = {
        "kind": form["kind"],
        "area_ids": [a for a in area_ids if a],
        "starts_on": persian.parse_jalali_date(form["starts_on"]),
        "ends_on": persian.parse_jalali_date(form["ends_on"]),
        "goal_unit": form["goal_unit"],
        "goal": persian.whole_number(form["goal"].replace(",", ""), most=campaigns.GOAL_MAX),
    }
    for fault in campaigns.check(title, **fields):
        form.error(fault.field, CAMPAIGN_ERRORS[fault.reason])
    if not form.ok:
        context["selected_areas"] = {str(a) for a in area_ids if a}
        return render_template("campaigns/new.html", **context), 422
    made = campaigns.create(g.user, form.form_key(), organizer, title, purpose, occasion=occasion, **fields)
    return redirect(url_for("campaigns.manage", campaign_id=made.id))


# --- A distribution's back office -------------------------------------------------------------


@bp.get("/<int:campaign_id>/manage")
@auth.signed_in_only
def manage(campaign_id):
    campaign = run_or_403(campaign_id)
    return render_template(
        "campaigns/manage.html",
        campaign=campaign,
        rounds=distributions.rounds_of(campaign),
        points=[(p, distributions.volunteers_of(p)) for p in distributions.points_of(campaign)],
        areas=[a for a in campaign_areas() if campaigns.covers(campaign, a)],
        organizations=list(models.Organization.select().order_by(models.Organization.name).limit(300)),
        form=Form(form_key=new_key(), category="food"),
        **labels(),
    )


@bp.post("/<int:campaign_id>/rounds")
@auth.signed_in_only
def add_round(campaign_id):
    campaign = run_or_403(campaign_id)
    form = Form(request.form)
    title = form.text(
        "title", models.DistributionRound.TITLE_MAX, 2, _l("Write the round's title, like «First round».")
    )
    item = form.text("item", models.DistributionRound.ITEM_MAX, 2, _l("Write what each household receives."))
    value = persian.whole_number(form["value"] or "0", most=campaigns.GOAL_MAX)
    if value is None:
        form.error("value", _l("Write the value in rials as a whole number, or leave it empty."))
    if form["category"] not in models.Service.CATEGORIES:
        form.error("category", _l("Choose the kind of service."))
    if not form.ok or campaign.kind != "distribution":
        flash(next(iter(form.errors.values()), DISTRIBUTION_ERRORS["campaign"]))
        return redirect(url_for("campaigns.manage", campaign_id=campaign.id))
    distributions.add_round(campaign, g.user, form.form_key(), title, item, form["category"], value)
    return redirect(url_for("campaigns.manage", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/points")
@auth.signed_in_only
def add_point(campaign_id):
    campaign = run_or_403(campaign_id)
    form = Form(request.form)
    name = form.text("name", models.DistributionPoint.NAME_MAX, 2, _l("Write the point's name, like the mosque's."))
    area = models.Area.get_or_none(models.Area.id == persian.whole_number(form["area"]))
    organization = models.Organization.get_or_none(models.Organization.id == persian.whole_number(form["organization"]))
    if area is None:
        form.error("area", _l("Choose where the point is."))
    if form.ok:
        try:
            distributions.add_point(
                campaign, g.user, form.form_key(), name, area, organization, None, form["address"][:300]
            )
        except distributions.DistributionError as error:
            form.error(error.field or "name", DISTRIBUTION_ERRORS[error.reason])
    if not form.ok:
        flash(next(iter(form.errors.values())))
    return redirect(url_for("campaigns.manage", campaign_id=campaign.id))


@bp.post("/points/<int:point_id>/volunteers")
@auth.signed_in_only
def add_volunteer(point_id):
    point = get_object_or_404(models.DistributionPoint.select(), models.DistributionPoint.id == point_id)
    run_or_403(point.campaign_id)
    phone = persian.normalize_phone(request.form.get("phone", ""))
    user = models.User.get_or_none(models.User.phone == phone) if phone else None
    if user is None:
        flash(_("No member has this mobile number: they sign up first, then you add them."))
    else:
        distributions.add_volunteer(point, user, g.user)
        flash(_("%(name)s marks pickups at %(point)s now.", name=user.name, point=point.name))
    return redirect(url_for("campaigns.manage", campaign_id=point.campaign_id))


@bp.get("/rounds/<int:round_id>")
@auth.signed_in_only
def round_page(round_id):
    round_ = verified_round_or_403(round_id)
    status = request.args.get("status", "pending")
    status = status if status in models.Nomination.STATUSES else "pending"
    nominations = distributions.nominations_of(round_, status, limit=200)
    return render_template(
        "campaigns/round.html",
        round=round_,
        campaign=round_.campaign,
        status=status,
        nominations=nominations,
        findings=distributions.findings(round_, nominations),
        counts={
            s: models.Nomination.select()
            .where(models.Nomination.round == round_, models.Nomination.status == s)
            .count()
            for s in models.Nomination.STATUSES
        },
        batches=distributions.batches_of(round_),
        runs=access.runs_campaign(g.user, g.roles, round_.campaign),
        form=Form(form_key=new_key()),
        **labels(),
    )


@bp.post("/nominations/<int:nomination_id>")
@auth.signed_in_only
def decide(nomination_id):
    nomination = get_object_or_404(models.Nomination.select(), models.Nomination.id == nomination_id)
    round_ = verified_round_or_403(nomination.round_id)
    try:
        if request.form.get("decision") == "verify":
            distributions.verify(nomination, g.user)
        else:
            distributions.reject(nomination, g.user, persian.normalize(request.form.get("reason", "")))
    except distributions.DistributionError as error:
        flash(DISTRIBUTION_ERRORS[error.reason])
    return redirect(url_for("campaigns.round_page", round_id=round_.id, status=request.form.get("status", "pending")))


@bp.post("/rounds/<int:round_id>/freeze")
@auth.signed_in_only
def freeze(round_id):
    round_ = round_or_403(round_id)
    try:
        count = distributions.freeze(round_, g.user, current_app.config["SECRET_KEY"])
        flash(_("The list is frozen: %(count)s households have their codes.", count=count))
    except distributions.DistributionError as error:
        flash(DISTRIBUTION_ERRORS[error.reason])
    return redirect(url_for("campaigns.round_page", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/cards")
@auth.signed_in_only
def cards(round_id):
    round_ = round_or_403(round_id)
    try:
        batch, new_batch = distributions.request_cards(round_, g.user)
    except distributions.DistributionError as error:
        flash(DISTRIBUTION_ERRORS[error.reason])
        return redirect(url_for("campaigns.round_page", round_id=round_.id))
    if new_batch:
        tasks.voucher_cards(batch.id, request.host_url)
    flash(_("The cards are being made. This page shows their progress."))
    return redirect(url_for("campaigns.round_page", round_id=round_.id))


@bp.get("/cards/<int:batch_id>/<int:part>.pdf")
@auth.signed_in_only
def cards_pdf(batch_id, part):
    batch = get_object_or_404(models.VoucherBatch.select(), models.VoucherBatch.id == batch_id)
    round_or_403(batch.round_id)
    if batch.status != "done" or not 1 <= part <= batch.parts:
        abort(404)
    name = vouchers.voucher_file(batch, part)
    return files.store().send(name, "application/pdf", download_name=f"vouchers-{batch.id}-{part}.pdf") or abort(404)


@bp.get("/rounds/<int:round_id>/report")
@auth.signed_in_only
def report(round_id):
    round_ = round_or_403(round_id)
    return render_template(
        "campaigns/report.html",
        round=round_,
        campaign=round_.campaign,
        report=distributions.report(round_),
        waiting=distributions.not_served(round_, limit=100),
        doubles=distributions.doubles_of(round_, limit=100),
        **labels(),
    )


CSV_HEADER = (
    "reference",
    "household",
    "size",
    "area",
    "nominated_by",
    "expected_at",
    "collected_at",
    "collected_on",
    "how",
)


@bp.get("/rounds/<int:round_id>/report.csv")
@auth.signed_in_only
def report_csv(round_id):
    round_ = round_or_403(round_id)
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow(CSV_HEADER)
    for row in distributions.csv_rows(round_, g.user):
        when = persian.jalali_datetime(persian.tehran_time(row[7]).replace(tzinfo=None)) if row[7] else ""
        writer.writerow([*row[:7], when, row[8]])
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="round-{round_.id}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/rounds/<int:round_id>/summary.pdf")
@auth.signed_in_only
@limits.expensive
def summary_pdf(round_id):
    round_ = round_or_403(round_id)
    progress = campaigns.progress(round_.campaign)
    return pdf.response(
        "pdf/campaign_summary.html",
        f"campaign-summary-{round_.id}.pdf",
        round=round_,
        campaign=round_.campaign,
        organizer=campaigns.organizer_name(round_.campaign),
        progress=progress,
        report=distributions.report(round_),
        doubles=distributions.doubles_of(round_, limit=40),
        today=persian.today(),
        **labels(),
    )


# --- Nominating households (an organization's staff) -------------------------------------------


def nominating_or_403(round_id):
    round_ = get_object_or_404(models.DistributionRound.select(), models.DistributionRound.id == round_id)
    if not access.may_nominate(g.user, g.roles, round_):
        abort(403)
    return round_


def nominate_context(round_, form):
    return {
        "round": round_,
        "campaign": round_.campaign,
        "form": form,
        "organizations": distributions.nominating_organizations(g.user),
        "places": [a for a in campaign_areas() if a.kind == "neighborhood" and campaigns.covers(round_.campaign, a)],
        "points": distributions.points_of(round_.campaign),
        "mine": [
            n
            for o in distributions.nominating_organizations(g.user)
            for n in distributions.nominations_of(round_, organization=o, limit=50)
        ],
        **labels(),
    }


@bp.get("/rounds/<int:round_id>/nominate")
@auth.signed_in_only
def nominate_form(round_id):
    round_ = nominating_or_403(round_id)
    return render_template("campaigns/nominate.html", **nominate_context(round_, Form(form_key=new_key(), size="1")))


@bp.post("/rounds/<int:round_id>/nominate")
@auth.signed_in_only
def nominate(round_id):
    round_ = nominating_or_403(round_id)
    form = Form(request.form)
    context = nominate_context(round_, form)
    organization = next((o for o in context["organizations"] if str(o.id) == form["organization"]), None)
    if organization is None or not access.may_nominate_for(g.user, g.roles, organization):
        form.error("organization", _l("Choose the organization that nominates."))
    number = form["number"].replace(" ", "").replace("-", "")
    if not persian.is_valid_national_code(number):
        form.error("number", _l("Write the head of the household's national code: 10 digits, checked."))
    name = form.person_name("name")
    size = persian.whole_number(form["size"], most=models.BeneficiaryRecord.HOUSEHOLD_MAX)
    if not size:
        form.error("size", _l("Write how many people live in the household, from 1 to 30."))
    area = next((a for a in context["places"] if str(a.id) == form["area"]), None)
    if area is None:
        form.error("area", _l("Choose the household's neighborhood, within the campaign's areas."))
    phone = persian.normalize_phone(form["phone"]) if form["phone"] else ""
    if phone is None:
        form.error("phone", _l("Enter an Iranian mobile number with 11 digits, like 09121234567, or leave it empty."))
    point = next((p for p in context["points"] if str(p.id) == form["point"]), None)
    if not form.ok:
        return render_template("campaigns/nominate.html", **context), 422
    try:
        distributions.nominate(
            round_,
            organization,
            g.user,
            current_app.config["REGISTRY_KEY"],
            form.form_key(),
            "national",
            number,
            name,
            area,
            size,
            phone,
            point,
        )
    except distributions.DistributionError as error:
        form.error(error.field or "organization", DISTRIBUTION_ERRORS[error.reason])
        return render_template("campaigns/nominate.html", **context), 422
    flash(_("%(name)s is nominated. The organizer verifies each household.", name=name))
    return redirect(url_for("campaigns.nominate_form", round_id=round_.id))
