"""Crisis mode for an area: declaring and ending it, the banner on every page
of the areas hit, volunteers' answers, teams, places and stocks, offers from
groups outside, and the coordinator's situation page and PDF."""

import datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, crisis, crisis_callout, crisis_places
from hamsayeh.web import auth, limits, pdf
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import digits

bp = Blueprint("crisis", __name__, url_prefix="/crisis")

BANNER_TEXT_MAX = 140
NAME_MAX, TASK_MAX, CONTACT_MAX, WHAT_MAX = 80, 200, 80, 300
# The situation page asks again this often (htmx), in seconds.
REFRESH_SECONDS = 30
KIND_LABELS = dict(
    zip(
        models.Crisis.KINDS,
        (_l("Flood"), _l("Earthquake"), _l("Fire"), _l("Epidemic"), _l("Cold wave"), _l("Other crisis")),
        strict=True,
    )
)
CALL_LABELS = dict(
    zip(models.CrisisCall.STATUSES, (_l("Not answered yet"), _l("Ready"), _l("Cannot come")), strict=True)
)
PLACE_LABELS = dict(zip(models.CrisisPlace.KINDS, (_l("Shelter"), _l("Kitchen"), _l("Collection point")), strict=True))
ITEM_LABELS = dict(
    zip(
        models.CrisisStock.ITEMS,
        (_l("Water"), _l("Food"), _l("Blankets"), _l("Medicine"), _l("Clothing"), _l("Hygiene kits")),
        strict=True,
    )
)
CAPACITY_LABELS = {
    "food_packages": _l("Food packages"),
    "medical_visits": _l("Medical visits"),
    "tutoring_hours": _l("Tutoring hours"),
    "shelter_beds": _l("Shelter beds"),
    "clothing": _l("Clothing"),
    "cash_aid": _l("Cash aid"),
    "other": _l("Other"),
}
# Pages with names, skills and contacts: never kept by a browser or a proxy.
PRIVATE = {"Cache-Control": "no-store"}
# What the last hour's lines say.
EVENT_LABELS = {
    "declared": _l("Declared"),
    "ended": _l("Ended"),
    "called": _l("Volunteers asked"),
    "ready": _l("A volunteer is ready"),
    "cannot": _l("A volunteer cannot come"),
    "team": _l("A team sent"),
    "check_in": _l("Arrived"),
    "check_out": _l("Left"),
    "place": _l("A place added"),
    "stock": _l("A place's stock set"),
    "offer": _l("Help offered"),
    "accepted": _l("An offer accepted"),
    "declined": _l("An offer declined"),
    "lesson": _l("A lesson written"),
}
REFUSALS = {
    "already_on": _l("A crisis is already on for this area. End it first, or change the areas it hit."),
    "ended": _l("This crisis has ended: its record stays, and nothing more can change."),
    "over_capacity": _l("More people than the shelter's capacity: raise the capacity first."),
    "same_name": _l("A place of this crisis has this name already."),
    "decided": _l("This offer was already answered."),
}


def labels(**extra):
    return extra | {
        "kind_labels": KIND_LABELS,
        "call_labels": CALL_LABELS,
        "place_labels": PLACE_LABELS,
        "item_labels": ITEM_LABELS,
        "capacity_labels": CAPACITY_LABELS,
        "event_labels": EVENT_LABELS,
    }


@bp.app_context_processor
def banner():
    return {"page_crisis": page_crisis, "crisis_kind_labels": KIND_LABELS}


def page_crisis():
    """The active crisis of the page's area, and a volunteer's unanswered call
    (of that crisis or of one nearby that asked them): nothing is asked of the
    database when no crisis is on (the catalog knows)."""
    if not catalog().crisis_by_area:
        return None
    area_id = g.get("crisis_area_id")
    if area_id is None and request.endpoint == "areas.show":
        # An area's own page, whoever reads it.
        area_id = catalog().survivor_id(request.view_args.get("area_id"))
    if area_id is None:
        hood = auth.chosen_neighborhood()
        area_id = hood.id if hood is not None else None
    current = catalog().crisis_of(area_id)
    user, roles = g.get("user"), g.get("roles", frozenset())
    call = crisis_callout.pending_call(user) if access.is_volunteer(user, roles) else None
    if current is None and call is None:
        return None
    return {"crisis": current or call.crisis, "call": call, "here": current is not None}


# --- Every crisis, and declaring one ---------------------------------------------------


@bp.get("/")
def index():
    may_run = access.may_use_crisis_desk(g.user, g.roles)
    return render_template(
        "crisis/index.html",
        active=list(crisis.active_crises()),
        # Only the records this member may open: another assembly's stay out.
        past=[item for item in crisis.past_crises() if access.runs_crisis(g.user, g.roles, item)] if may_run else [],
        may_run=may_run,
        **labels(),
    )


@bp.get("/declare")
@auth.requires(access.may_use_crisis_desk)
def declare_form():
    area = declarable_area(request.args.get("area"))
    if area is None:
        areas = crisis.declarable_areas(g.user, access.is_headquarters(g.user, g.roles))
        return render_template("crisis/choose_area.html", areas=areas)
    today = persian.format_jalali_input(persian.tehran_time(models.utcnow()).date())
    form = Form(area=str(area.id), form_key=new_key(), started_on=today, kind="flood")
    return render_declare(form, area)


def declarable_area(text):
    """The county, city or district `text` names, when this member may declare a crisis there."""
    area_id = persian.whole_number(persian.normalize(text), most=2**31)
    area = catalog().areas.get(area_id) if area_id else None
    if area is None or area.kind not in crisis.DECLARABLE_KINDS:
        return None
    if not access.may_declare_crisis(g.user, g.roles, area):
        abort(403)
    return area


def render_declare(form, area, status=200):
    hit = request.form.getlist("hit") if request.method == "POST" else []
    page = render_template(
        "crisis/declare.html",
        form=form,
        area=area,
        choices=crisis.areas_hit_choices(area),
        selected={"hit": hit},
        **labels(),
    )
    return page, status


@bp.post("/declare")
@auth.requires(access.may_use_crisis_desk)
def declare():
    form = Form(request.form)
    area = declarable_area(form["area"])
    if area is None:
        abort(404)
    fields = validate_declaration(form, area)
    if not form.ok:
        return render_declare(form, area, 422)
    try:
        made = crisis.declare(g.user, area, form.form_key(), **fields)
    except crisis.CrisisError as error:
        form.error("kind", REFUSALS[error.reason])
        return render_declare(form, area, 422)
    flash(_("The crisis is declared. Every page of the areas hit shows its banner now."))
    return redirect(url_for("crisis.situation", crisis_id=made.id))


def validate_declaration(form, area):
    if form["kind"] not in models.Crisis.KINDS:
        form.error("kind", _l("Choose what kind of crisis it is."))
    what = form.text("what_to_do", BANNER_TEXT_MAX, 10, _l("Write in a short sentence what people should do."))
    where = form.text("where_to_go", BANNER_TEXT_MAX, 5, _l("Write where people should go for shelter or help."))
    started = persian.parse_jalali_date(form["started_on"]) if form["started_on"] else None
    today = persian.tehran_time(models.utcnow()).date()
    if started is None:
        form.error("started_on", _l("Write the day it started like 1405/09/10."))
    elif started > today or started < today - datetime.timedelta(days=30):
        form.error("started_on", _l("Choose a day in the last 30 days, today at the latest."))
    choices = {str(item.id): item for item in crisis.areas_hit_choices(area)}
    hit = [choices[key] for key in request.form.getlist("hit") if key in choices]
    return {"kind": form["kind"], "what_to_do": what, "where_to_go": where, "started_on": started, "areas_hit": hit}


# --- The situation: one crisis, for who runs it ------------------------------------------


def crisis_or_404(crisis_id, rule=access.runs_crisis):
    item = get_object_or_404(models.Crisis.select(), models.Crisis.id == crisis_id)
    if not rule(g.user, g.roles, item):
        abort(403)
    return item


@bp.get("/<int:crisis_id>")
@auth.signed_in_only
def situation(crisis_id):
    item = crisis_or_404(crisis_id)
    if item.ended_at is not None:
        return redirect(url_for("crisis.record", crisis_id=item.id))
    context = {"item": item, "now": crisis.situation(item), "refresh": REFRESH_SECONDS, **labels(clock=pdf.clock)}
    if request.htmx and not request.htmx.history_restore_request:
        response = render_template("crisis/_situation.html", **context)
    else:
        response = render_template("crisis/situation.html", form_key=new_key(), **context)
    return response, 200, {"Vary": "HX-Request", **PRIVATE}


@bp.get("/<int:crisis_id>/situation.pdf")
@auth.signed_in_only
@limits.expensive
def situation_pdf(crisis_id):
    item = crisis_or_404(crisis_id)
    url = url_for("crisis.situation", crisis_id=item.id, _external=True)
    return pdf.response(
        "pdf/situation.html",
        f"situation-{item.id}.pdf",
        item=item,
        now=crisis.situation_report(g.user, item),
        printed_at=models.utcnow(),
        qr=pdf.qr_code(url),
        **labels(),
    )


@bp.post("/<int:crisis_id>/call")
@auth.signed_in_only
def call(crisis_id):
    item = crisis_or_404(crisis_id)
    try:
        asked = crisis_callout.call_volunteers(g.user, item, nearby=bool(request.form.get("nearby")))
    except crisis.CrisisError as error:
        flash(REFUSALS[error.reason])
    else:
        flash(
            ngettext(
                "%(count)s volunteer was asked by inbox and SMS.",
                "%(count)s volunteers were asked by inbox and SMS.",
                asked,
                count=digits(asked),
            )
        )
    return redirect(url_for("crisis.situation", crisis_id=item.id))


@bp.post("/<int:crisis_id>/teams")
@auth.signed_in_only
def form_team(crisis_id):
    item = crisis_or_404(crisis_id)
    form = Form(request.form)
    name = form["name"][:NAME_MAX] or _("Team")
    places = {str(place.id): place for place in crisis_places.places(item)}
    chosen = [number for number in map(persian.whole_number, request.form.getlist("call")) if number is not None]
    if not chosen:
        flash(_("Choose at least one ready volunteer for the team."))
        return redirect(url_for("crisis.situation", crisis_id=item.id))
    try:
        crisis_callout.form_team(
            g.user, item, form.form_key(), name, form["task"][:TASK_MAX], places.get(form["place"]), chosen
        )
    except crisis.CrisisError as error:
        flash(REFUSALS[error.reason])
    else:
        flash(_("The team is formed and sent. Each volunteer checks in on arrival."))
    return redirect(url_for("crisis.situation", crisis_id=item.id))


@bp.post("/<int:crisis_id>/end")
@auth.signed_in_only
def end(crisis_id):
    item = crisis_or_404(crisis_id)
    try:
        crisis.end(g.user, item)
    except crisis.CrisisError as error:
        flash(REFUSALS[error.reason])
    else:
        flash(_("The crisis has ended. The pages are back to normal; its record stays."))
    return redirect(url_for("crisis.record", crisis_id=item.id))


# --- The record, and its lessons --------------------------------------------------------


@bp.get("/<int:crisis_id>/record")
@auth.signed_in_only
def record(crisis_id):
    item = crisis_or_404(crisis_id)
    return render_record(item, Form(form_key=new_key()))


def render_record(item, form, status=200):
    page = render_template("crisis/record.html", item=item, record=crisis.record(item), form=form, **labels())
    return page, status, PRIVATE


@bp.post("/<int:crisis_id>/lessons")
@auth.signed_in_only
def add_lesson(crisis_id):
    item = crisis_or_404(crisis_id)
    form = Form(request.form)
    title = form.text("title", models.Story.TITLE_MAX, 3, _l("Name the lesson in a few words."))
    narrative = form.text("narrative", models.Story.NARRATIVE_MAX, 10, _l("Write what happened, or what failed."))
    next_time = form.text("next_time", models.Story.NARRATIVE_MAX, 5, _l("Write what to do next time."))
    if not form.ok:
        return render_record(item, form, 422)
    crisis.add_lesson(g.user, item, form.form_key(), title, narrative, next_time)
    flash(_("The lesson is in the crisis's record."))
    return redirect(url_for("crisis.record", crisis_id=item.id))


# --- A volunteer's calls: «آماده‌ام» or «نمی‌توانم» with one tap ---------------------------


@bp.get("/calls")
@auth.signed_in_only
def my_calls():
    return render_template(
        "crisis/calls.html",
        calls=crisis_callout.calls_of(g.user),
        team_place=crisis_callout.team_place_of(g.user),
        **labels(),
    )


@bp.post("/calls/<int:call_id>/answer")
@auth.signed_in_only
def answer(call_id):
    item = get_object_or_404(models.CrisisCall.select(), models.CrisisCall.id == call_id)
    if not access.answers_crisis_call(g.user, g.roles, item):
        abort(404)
    status = request.form.get("status")
    if status not in ("ready", "cannot"):
        abort(400)
    try:
        crisis_callout.answer_call(item, status, "web")
    except crisis.CrisisError as error:
        flash(REFUSALS[error.reason])
    else:
        flash(
            _("Thank you. You are on the list of ready volunteers.")
            if status == "ready"
            else _("Thank you for answering. Stay safe.")
        )
    return redirect(auth.safe_next(request.form.get("next"), "crisis.my_calls"))


def team_member_or_404(member_id):
    member = get_object_or_404(models.CrisisTeamMember.select(), models.CrisisTeamMember.id == member_id)
    if not access.checks_in_team_member(g.user, g.roles, member):
        abort(403)
    return member


@bp.post("/team-members/<int:member_id>/check-in")
@auth.signed_in_only
def check_in(member_id):
    member = team_member_or_404(member_id)
    if crisis_callout.check_in(member, g.user):
        flash(_("Checked in. Thank you for coming."))
    return redirect(auth.safe_next(request.form.get("next"), "crisis.my_calls"))


@bp.post("/team-members/<int:member_id>/check-out")
@auth.signed_in_only
def check_out(member_id):
    member = team_member_or_404(member_id)
    if crisis_callout.check_out(member, g.user):
        flash(_("Checked out. Your hours are recorded."))
    return redirect(auth.safe_next(request.form.get("next"), "crisis.my_calls"))


# --- Places and stocks, and offers from groups outside -------------------------------------


@bp.get("/<int:crisis_id>/places")
@auth.signed_in_only
def places(crisis_id):
    item = crisis_or_404(crisis_id)
    return render_places(item, Form(kind="shelter", capacity="0"))


def render_places(item, form, status=200):
    found = crisis_places.places(item)
    needs = list(crisis.crisis_needs(item).where(models.HelpPost.status == "open").limit(30))
    matches = [(post, crisis_places.places_for_need(item, post, found)) for post in needs]
    offers = list(models.CrisisOffer.select().where(models.CrisisOffer.crisis == item).order_by(models.CrisisOffer.id))
    page = render_template(
        "crisis/places.html",
        item=item,
        places=found,
        matches=[pair for pair in matches if pair[1]],
        offers=[(offer, crisis_places.places_wanting(item, offer.item, found)) for offer in offers],
        form=form,
        **labels(),
    )
    return page, status, PRIVATE


@bp.post("/<int:crisis_id>/places")
@auth.signed_in_only
def add_place(crisis_id):
    item = crisis_or_404(crisis_id)
    form = Form(request.form)
    if form["kind"] not in models.CrisisPlace.KINDS:
        form.error("kind", _l("Choose what kind of place it is."))
    name = form.text("name", models.CrisisPlace.NAME_MAX, 2, _l("Write the place's name."))
    address = form.text("address", models.CrisisPlace.ADDRESS_MAX, 0)
    capacity = persian.whole_number(form["capacity"] or "0", most=100000)
    if capacity is None:
        form.error("capacity", _l("Write how many people it can take, in digits (0 if none)."))
    keeper = None
    if form["keeper"]:
        phone = persian.normalize_phone(form["keeper"])
        keeper = models.User.by_phone(phone) if phone else None
        if keeper is None:
            form.error("keeper", _l("No member has this mobile number. Leave it empty, or ask them to sign up."))
    if not form.ok:
        return render_places(item, form, 422)
    try:
        crisis_places.add_place(g.user, item, form["kind"], name, address, capacity, keeper)
    except crisis.CrisisError as error:
        form.error("name", REFUSALS[error.reason])
        return render_places(item, form, 422)
    flash(_("The place is added. Its keeper sets what is in it."))
    return redirect(url_for("crisis.places", crisis_id=item.id))


def place_or_404(place_id):
    place = get_object_or_404(models.CrisisPlace.select(), models.CrisisPlace.id == place_id)
    if not access.keeps_crisis_place(g.user, g.roles, place):
        abort(403)
    return place


@bp.get("/places/<int:place_id>")
@auth.signed_in_only
def place(place_id):
    item = place_or_404(place_id)
    stocks = {stock.item: stock for stock in item.stocks}
    values = {"occupied": str(item.occupied)}
    for key in models.CrisisStock.ITEMS:
        values[f"have_{key}"] = str(stocks[key].have) if key in stocks else "0"
        values[f"wanted_{key}"] = str(stocks[key].wanted) if key in stocks else "0"
    return render_template("crisis/place.html", place=item, form=Form(**values), **labels()), 200, PRIVATE


@bp.post("/places/<int:place_id>")
@auth.signed_in_only
def update_place(place_id):
    item = place_or_404(place_id)
    form = Form(request.form)
    occupied = persian.whole_number(form["occupied"] or "0", most=100000)
    if occupied is None or occupied > item.capacity:
        form.error("occupied", _l("Write a number from 0 to the capacity, %(capacity)s.", capacity=item.capacity))
    stocks = {}
    for key in models.CrisisStock.ITEMS:
        have = persian.whole_number(form[f"have_{key}"] or "0", most=1000000)
        wanted = persian.whole_number(form[f"wanted_{key}"] or "0", most=1000000)
        if have is None or wanted is None:
            form.error(f"have_{key}", _l("Write whole numbers, in digits."))
        else:
            stocks[key] = (have, wanted)
    if not form.ok:
        return render_template("crisis/place.html", place=item, form=form, **labels()), 422
    try:
        crisis_places.update_place(g.user, item, occupied, stocks)
    except crisis.CrisisError as error:
        flash(REFUSALS[error.reason])
    else:
        flash(_("Saved. The situation page shows it now."))
    return redirect(url_for("crisis.place", place_id=item.id))


@bp.get("/<int:crisis_id>/offer")
@auth.signed_in_only
def offer_form(crisis_id):
    item = crisis_or_404(crisis_id, access.may_offer_crisis_help)
    return render_template("crisis/offer.html", item=item, form=Form(form_key=new_key()), **labels())


@bp.post("/<int:crisis_id>/offer")
@auth.signed_in_only
def offer(crisis_id):
    item = crisis_or_404(crisis_id, access.may_offer_crisis_help)
    form = Form(request.form)
    group = form.text("group_name", 160, 2, _l("Write your group's name."))
    contact = form.text("contact", CONTACT_MAX, 5, _l("Write how the coordinator reaches you."))
    what = form.text("what", WHAT_MAX, 5, _l("Write what you can give or do."))
    goods = form["item"] if form["item"] in models.CrisisStock.ITEMS else ""
    quantity = persian.whole_number(form["quantity"] or "0", most=1000000)
    if quantity is None:
        form.error("quantity", _l("Write how many, in digits (0 if not goods)."))
    if not form.ok:
        return render_template("crisis/offer.html", item=item, form=form, **labels()), 422
    crisis_places.offer_help(g.user, item, form.form_key(), group, contact, goods, quantity, what)
    flash(_("Thank you. The coordinator will answer your offer."))
    return redirect(url_for("crisis.index"))


@bp.post("/offers/<int:offer_id>/decide")
@auth.signed_in_only
def decide_offer(offer_id):
    found = get_object_or_404(models.CrisisOffer.select(), models.CrisisOffer.id == offer_id)
    if not access.runs_crisis(g.user, g.roles, found.crisis):
        abort(403)
    target = {str(p.id): p for p in crisis_places.places(found.crisis)}.get(request.form.get("place", ""))
    try:
        crisis_places.decide_offer(g.user, found, request.form.get("accept") == "1", target)
    except crisis.CrisisError as error:
        flash(REFUSALS[error.reason])
    else:
        flash(_("The offer is answered."))
    return redirect(url_for("crisis.places", crisis_id=found.crisis_id))
