"""The municipal welfare desk (/cases): a district office registers a needy
person's request, its social workers assess it and plan services (given by
the municipality or referred to partners, who answer in their portal), keep
visits, and close or reopen the case. Supervisors see their district, give
cases to social workers, read its reports and exchange lists with agencies.

National codes are never shown, logged or put in an address: the case keeps
the registry's keyed hash and the last four digits. Every read of a case by
someone who is not its social worker is audited; nothing here is cached."""

import datetime
import io
import re
from typing import NamedTuple

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, casework, casework_exchange, casework_reports
from hamsayeh.web import auth, imports, limits, pdf, spreadsheets
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.labels import post_text
from hamsayeh.web.templating import digits, jdate, local_name

bp = Blueprint("casework", __name__, url_prefix="/cases")

STATUS_LABELS = dict(
    zip(
        models.WelfareCase.STATUSES,
        (_l("Registered"), _l("Assessed"), _l("Served"), _l("Closed"), _l("Reopened")),
        strict=True,
    )
)
SOURCE_LABELS = dict(
    zip(
        models.WelfareCase.SOURCES,
        (
            _l("In person at the district office"),
            _l("At a center's desk"),
            _l("By phone or a call-back"),
            _l("From the neighborhood board"),
            _l("By the person on the site"),
        ),
        strict=True,
    )
)
ID_KIND_LABELS = dict(
    zip(
        models.WelfareCase.ID_KINDS,
        (_l("Iranian national code"), _l("Foreign national's number"), _l("No number known")),
        strict=True,
    )
)
CLOSE_LABELS = dict(
    zip(
        models.WelfareCase.CLOSE_REASONS,
        (
            _l("Served: the plan is done"),
            _l("Not eligible"),
            _l("Referred to another agency"),
            _l("Could not be reached"),
            _l("Moved away"),
            _l("A duplicate of another request"),
            _l("Another reason"),
        ),
        strict=True,
    )
)
HOUSING_LABELS = dict(
    zip(
        models.CaseAssessment.HOUSING,
        (
            _l("Owns the home"),
            _l("Rents"),
            _l("Lives with relatives"),
            _l("Informal or unsafe housing"),
            _l("Without shelter"),
            _l("In a shelter"),
        ),
        strict=True,
    )
)
COVERAGE_LABELS = dict(
    zip(
        models.CaseAssessment.COVERAGE,
        (_l("The Relief Committee"), _l("The Welfare Organization"), _l("Another agency"), _l("Not covered")),
        strict=True,
    )
)
GROUP_LABELS = dict(
    zip(
        models.CaseAssessment.PRIORITY_GROUPS,
        (
            _l("None of the priority groups"),
            _l("People with a visible addiction"),
            _l("Working and street children"),
            _l("Waste pickers"),
            _l("Transgender people"),
            _l("Women at social risk"),
        ),
        strict=True,
    )
)
DECISION_LABELS = dict(
    zip(
        models.CaseAssessment.DECISIONS,
        (_l("Eligible"), _l("Not eligible"), _l("Referred to another agency")),
        strict=True,
    )
)
CATEGORY_LABELS = dict(
    zip(
        models.CaseService.CATEGORIES,
        (
            _l("Food"),
            _l("Health"),
            _l("Legal and judicial help"),
            _l("Shelter"),
            _l("Marriage facilitation"),
            _l("Disability support"),
            _l("Support for a prisoner's family"),
            _l("Other"),
        ),
        strict=True,
    )
)
SERVICE_STATUS_LABELS = dict(
    zip(
        models.CaseService.STATUSES,
        (
            _l("Waiting for a place"),
            _l("Planned by the municipality"),
            _l("Referred, not answered yet"),
            _l("Accepted by the partner"),
            _l("Declined by the partner"),
            _l("Delivered"),
            _l("Cancelled"),
        ),
        strict=True,
    )
)
APPOINTMENT_LABELS = dict(
    zip(models.CaseAppointment.KINDS, (_l("Home visit"), _l("Meeting at the office"), _l("Phone call")), strict=True)
)
APPOINTMENT_STATUS_LABELS = dict(
    zip(models.CaseAppointment.STATUSES, (_l("Planned"), _l("Done"), _l("Missed"), _l("Cancelled")), strict=True)
)
PLEDGE_LABELS = dict(zip(models.Pledge.KINDS, (_l("Shelter places"), _l("Food packages"), _l("Services")), strict=True))
AGENCY_LABELS = dict(
    zip(
        models.AgencyCoverage.AGENCIES,
        (_l("The Relief Committee"), _l("The Welfare Organization"), _l("Another agency")),
        strict=True,
    )
)
STAFF_ROLE_LABELS = dict(
    zip(models.WelfareStaff.ROLES, (_l("Social worker"), _l("District supervisor"), _l("Desk staff")), strict=True)
)
EVENT_LABELS = {
    "registered": _l("Registered"),
    "flagged_duplicate": _l("Flagged: the person had another open request"),
    "assigned": _l("Given to a social worker"),
    "taken": _l("Taken by a social worker"),
    "assessed": _l("Assessed"),
    "planned": _l("A service planned"),
    "referred": _l("A service referred to a partner"),
    "waiting": _l("Waiting for a shelter place"),
    "accepted": _l("The partner accepted a service"),
    "declined": _l("The partner declined a service"),
    "delivered": _l("A service delivered"),
    "cancelled": _l("A service cancelled"),
    "stay_ended": _l("A shelter stay ended"),
    "appointment": _l("A visit planned"),
    "visit_done": _l("A visit done"),
    "visit_missed": _l("A visit missed"),
    "visit_cancelled": _l("A visit cancelled"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
}
MONTH_CHOICES = (3, 6, 12, 24)
INCOME_MAX, AMOUNT_MAX = 10**12, 10**13
TIME_PATTERN = re.compile(r"^(\d{1,2})[:.](\d{2})$")
FOREIGN_PATTERN = re.compile(r"^\d{12}$")
# An agency's list: a national code a row (the first column); the file is never kept.
COVERAGE_MAX_ROWS = 200_000


@bp.after_request
def never_cached(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def key():
    """The registry's key hashes national codes here too; without it the desk stays closed (503)."""
    value = current_app.config["REGISTRY_KEY"]
    if not value:
        abort(503)
    return value


def labels():
    return {
        "statuses": STATUS_LABELS,
        "sources": SOURCE_LABELS,
        "id_kinds": ID_KIND_LABELS,
        "close_reasons": CLOSE_LABELS,
        "housing": HOUSING_LABELS,
        "coverage_labels": COVERAGE_LABELS,
        "groups": GROUP_LABELS,
        "decisions": DECISION_LABELS,
        "categories": CATEGORY_LABELS,
        "service_statuses": SERVICE_STATUS_LABELS,
        "appointment_kinds": APPOINTMENT_LABELS,
        "appointment_statuses": APPOINTMENT_STATUS_LABELS,
        "pledge_kinds": PLEDGE_LABELS,
        "agencies": AGENCY_LABELS,
        "staff_roles": STAFF_ROLE_LABELS,
        "events": EVENT_LABELS,
    }


def render(template, status=200, **context):
    return render_template(template, **labels(), **context), status


# --- Loaders: each asks access, and another district's case is as if it did not exist ---------


def case_or_404(case_id, rule=access.may_read_case):
    case = get_object_or_404(models.WelfareCase.select(), models.WelfareCase.id == case_id)
    if not rule(g.user, g.roles, case):
        abort(404)
    return case


def service_or_404(service_id, rule):
    service = get_object_or_404(models.CaseService.select(), models.CaseService.id == service_id)
    if not rule(g.user, g.roles, service):
        abort(404)
    return service


def chosen_office(offices):
    """The office a page is about: `office` in the address among the user's, else the first."""
    wanted = request.values.get("office", "")
    return next((office for office in offices if str(office.id) == wanted), offices[0] if offices else None)


def my_offices():
    posts = access.welfare_posts(g.user, g.roles)
    return list({post.office_id: post.office for post in posts}.values())


def is_supervisor(office):
    return access.district_supervisor_of(g.user, g.roles, office)


# --- Reading what was typed ------------------------------------------------------------------


def read_identifier(form, required=True):
    """(kind, number): a national code or a foreign national's number typed
    with any digits, spaces or dashes; ("none", None) when none is known.
    A message beside the field when it cannot be a real one."""
    kind = form["id_kind"] if form["id_kind"] in models.WelfareCase.ID_KINDS else "national"
    if kind == "none":
        return kind, None
    number = re.sub(r"[\s\-_.]", "", form["number"])
    if not number:
        form.error("number", _l("Enter the number, or choose “No number known”."))
        return kind, None
    if not number.isdigit():
        form.error("number", _l("Use digits only."))
        return kind, None
    if kind == "national":
        number = number.zfill(10) if 8 <= len(number) < 10 else number
        if len(number) != 10:
            form.error("number", _l("A national code has 10 digits."))
        elif not persian.is_valid_national_code(number):
            form.error("number", _l("This national code is not valid: its check digit does not match. Check it again."))
    elif not FOREIGN_PATTERN.match(number):
        form.error("number", _l("A foreign national's number has 12 digits."))
    return kind, number if form.ok else None


def optional_text(form, name, most):
    if len(form[name]) > most:
        form.error(name, _l("Write at most %(count)s letters.", count=digits(most)))
    return form[name]


def optional_phone(form):
    if not form["phone"]:
        return ""
    phone = persian.normalize_phone(form["phone"])
    if phone is None:
        form.error("phone", _l("Enter an Iranian mobile number with 11 digits, like 09121234567, or leave it empty."))
        return ""
    return phone


def household_size(form):
    size = persian.whole_number(form["household_size"], 30)
    if not size:
        form.error("household_size", _l("Write how many live in the household, from 1 to 30."))
    return size


def rials(form, name, most=AMOUNT_MAX):
    text = form[name].replace(",", "").replace("٬", "")
    if not text:
        return None
    value = persian.whole_number(text, most)
    if value is None:
        form.error(name, _l("Write the amount in rials as a number, or leave it empty."))
    return value


def past_day(form, name):
    day = persian.parse_jalali_date(form[name])
    if day is None:
        form.error(name, _l("Write the date like 1405/09/20."))
    elif day > persian.today():
        form.error(name, _l("This date has not come yet."))
    return day


def places_of(office):
    """Where a household of the district lives: its neighborhoods, or the district itself."""
    district = office.district
    hoods = district.sorted_children()
    return [(str(district.id), _("Somewhere in %(district)s", district=local_name(district)))] + [
        (str(hood.id), local_name(hood)) for hood in hoods
    ]


# --- The desk ---------------------------------------------------------------------------------


@bp.get("/")
@auth.requires(access.may_use_casework)
def desk():
    office = chosen_office(my_offices())
    mine = casework.caseload(g.user)
    supervisor = is_supervisor(office)
    page = persian.whole_number(request.args.get("page", "1"), 10000) or 1
    status = request.args.get("status", "")
    status = status if status in models.WelfareCase.STATUSES else ""
    district = casework.district_cases(office, status, page) if supervisor else []
    watched = casework.caseload(g.user)
    if supervisor:
        watched = models.WelfareCase.select().where(
            models.WelfareCase.office == office, models.WelfareCase.status.in_(models.WelfareCase.OPEN)
        )
    takes = any(
        post.office_id == office.id and post.role in ("social_worker", "supervisor")
        for post in access.welfare_posts(g.user, g.roles)
    )
    return render(
        "casework/desk.html",
        office=office,
        takes=takes,
        offices=my_offices(),
        mine=list(mine.limit(100)),
        new=list(casework.new_requests(office).limit(50)),
        late=list(casework.waiting_too_long(office).limit(50)),
        visits=list(casework.todays_visits(g.user)),
        unanswered=list(casework.unanswered_referrals(watched).limit(50)),
        supervisor=supervisor,
        district=district[:30],
        more=len(district) > 30,
        page=page,
        status_filter=status,
    )


# --- Intake -----------------------------------------------------------------------------------


class Origin(NamedTuple):
    """A need on the board or a call-back carried into intake (by its id in
    the address, loaded and authorized here), and the offices it may go to."""

    post: object
    callback: object
    offices: list

    @property
    def source(self):
        return "board" if self.post is not None else "phone"

    @property
    def fields(self):
        return {"board_post": self.post, "callback": self.callback}

    @property
    def hidden(self):
        return {"post": self.post.id} if self.post is not None else {"callback": self.callback.id}


def origin_or_404(values):
    """The need (`post`) or call-back (`callback`) named in `values`, or None
    when neither is: 404 for one this user does not register (another
    district's, an offer, one their desk does not answer), so that an id in
    the address tells nothing."""
    if "post" in values:
        post = get_object_or_404(models.HelpPost.select(), models.HelpPost.id == id_in(values["post"]))
        offices = access.offices_for_post(g.user, g.roles, post)
        origin = Origin(post, None, offices)
    elif "callback" in values:
        callback = get_object_or_404(
            models.CallbackRequest.select(), models.CallbackRequest.id == id_in(values["callback"])
        )
        origin = Origin(None, callback, access.offices_for_callback(g.user, g.roles, callback))
    else:
        return None
    if not origin.offices:
        abort(404)
    return origin


def id_in(text):
    number = persian.whole_number(text, 2**31 - 1)
    if number is None:
        abort(404)
    return number


def place_value(area, office):
    """The choice of `places_of(office)` for `area`: itself when it is one, else the district."""
    hoods = {hood.id for hood in office.district.sorted_children()}
    return str(area.id if area is not None and area.id in hoods else office.district_id)


def carried_form(origin, office):
    """The intake form filled from the need or the call-back: who asked, the
    place, what is asked (in the reader's language) and how to reach them.
    The national code is still typed."""
    form = Form(form_key=new_key(), household_size="1", id_kind="national", source=origin.source)
    post, callback = origin.post, origin.callback
    if post is not None:
        kind, text = local_name(post.activity_type), post_text(post)
        asked = _("Asked on the neighborhood board for help with %(kind)s: %(text)s", kind=kind, text=text)
        if post.on_behalf_name:
            # Filed for a neighbor without a phone: the filer asked, the center reaches them.
            form.data.update(name=post.on_behalf_name, requester=post.author.name, contact=post.on_behalf_contact)
        else:
            form.data.update(name=post.author.name, phone=post.author.phone or "")
        place = post.neighborhood
    else:
        day = jdate(callback.created_at)
        if callback.activity_type_id:
            kind = local_name(callback.activity_type)
            asked = _("Asked to be called back on %(date)s, about %(kind)s.", date=day, kind=kind)
        else:
            asked = _("Asked to be called back on %(date)s.", date=day)
        name = callback.name or (callback.user.name if callback.user_id else "")
        form.data.update(name=name, phone=callback.phone)
        if callback.center_id:
            form.data["contact"] = _("Through %(center)s", center=local_name(callback.center))
        place = casework.callback_place(callback)
    form.data.update(asked=asked, area=place_value(place, office))
    return form


@bp.get("/new")
@auth.requires(access.may_register_cases)
def new_case():
    origin = origin_or_404(request.args)
    if origin is None:
        return render_intake(Form(form_key=new_key(), household_size="1", id_kind="national", source="office"))
    found = casework.case_from(origin.post, origin.callback)
    if found is not None:
        return registered_already(found, origin)
    casework.record_carried(g.user, origin.post, origin.callback)
    return render_intake(carried_form(origin, chosen_office(origin.offices)), origin=origin)


def registered_already(case, origin):
    """A second registration of the same need finds the first request."""
    flash(_("This was registered already, as request %(number)s.", number=digits(case.id)))
    if access.may_read_case(g.user, g.roles, case):
        return redirect(url_for("casework.show", case_id=case.id))
    if origin.post is not None:
        return redirect(url_for("board.show", post_id=origin.post.id))
    return redirect(url_for("desk.calls"))


def render_intake(form, status=200, duplicate=None, origin=None):
    offices = origin.offices if origin else access.intake_offices(g.user, g.roles)
    office = chosen_office(offices)
    return render(
        "casework/new.html",
        status,
        form=form,
        office=office,
        offices=offices,
        origin=origin,
        places=places_of(office),
        duplicate=duplicate,
        duplicate_here=duplicate is not None and access.works_in_office(g.user, g.roles, duplicate.office_id),
    )


def read_intake(form, office, sources=True):
    """The request's fields, or None with each problem beside its field."""
    kind, number = read_identifier(form)
    if not form["name"]:
        form.error("name", _l("Enter the person's name."))
    fields = {
        "name": form.person_name(),
        "requester": optional_text(form, "requester", models.WelfareCase.NAME_MAX),
        "phone": optional_phone(form),
        "contact": optional_text(form, "contact", models.WelfareCase.CONTACT_MAX),
        "address": optional_text(form, "address", models.WelfareCase.ADDRESS_MAX),
        "household_size": household_size(form),
        "asked": form.text(
            "asked", models.WelfareCase.ASKED_MAX, 10, _l("Write what is asked, in at least 10 letters.")
        ),
        "consent_to_share": form["consent"] == "1",
    }
    if form["area"] not in dict(places_of(office)):
        form.error("area", _l("Choose where the household lives."))
    else:
        fields["area"] = int(form["area"])
    if sources:
        if form["source"] not in models.WelfareCase.SOURCES:
            form.error("source", _l("Choose how the request came."))
        fields["source"] = form["source"]
    if not form.ok:
        return None, None
    identity = ("none", None, "") if kind == "none" else (kind, *casework.identify(key(), kind, number))
    return fields, identity


@bp.post("/new")
@auth.requires(access.may_register_cases)
def create_case():
    form = Form(request.form)
    origin = origin_or_404(request.form)
    office = chosen_office(origin.offices if origin else access.intake_offices(g.user, g.roles))
    fields, identity = read_intake(form, office, sources=origin is None)
    if fields is None:
        return render_intake(form, 422, origin=origin)
    if origin is not None:
        fields.update(source=origin.source, **origin.fields)
    try:
        case = casework.register(
            office, g.user, form.form_key(), identity, as_duplicate=form["as_duplicate"] == "1", **fields
        )
    except casework.DuplicateRequest as found:
        form.error("number", _l("This person already has an open request. Type the number again to register anyway."))
        return render_intake(form, 409, duplicate=found.existing, origin=origin)
    except casework.AlreadyRegistered as found:
        return registered_already(found.case, origin)
    flash(_("The request is registered."))
    if access.may_read_case(g.user, g.roles, case):
        return redirect(url_for("casework.show", case_id=case.id))
    return redirect(url_for("casework.new_case"))


@bp.get("/ask")
@auth.signed_in_only
def ask():
    user = g.user
    wanted = request.args.get("office", "")
    office = next((item for item in casework.offices() if str(item.id) == wanted), None)
    return render_ask(
        Form(form_key=new_key(), household_size="1", id_kind="national", name=user.name, phone=user.phone),
        office or casework.office_for(user.neighborhood),
    )


def render_ask(form, office, status=200):
    offices = list(casework.offices())
    return render(
        "casework/ask.html",
        status,
        form=form,
        office=office,
        offices=offices,
        places=places_of(office) if office else [],
    )


@bp.post("/ask")
@auth.signed_in_only
def send_request():
    """A person asks the welfare office of their district for help themselves."""
    form = Form(request.form)
    office = next((item for item in casework.offices() if str(item.id) == form["office"]), None)
    if office is None:
        abort(404)
    fields, identity = read_intake(form, office, sources=False)
    if fields is None:
        return render_ask(form, office, 422)
    try:
        case = casework.register(office, g.user, form.form_key(), identity, applicant=g.user, source="self", **fields)
    except casework.DuplicateRequest as found:
        if found.existing.applicant_id == g.user.id:
            flash(_("You already have an open request. Here it is."))
            return redirect(url_for("casework.my_request", case_id=found.existing.id))
        form.error("number", _l("A request for this person is open already. The office will reach you about it."))
        return render_ask(form, office, 409)
    flash(_("Your request is sent to the welfare office. A social worker will reach you."))
    return redirect(url_for("casework.my_request", case_id=case.id))


@bp.get("/mine")
@auth.signed_in_only
def mine():
    return render("casework/mine.html", requests=list(casework.requests_of(g.user)))


@bp.get("/mine/<int:case_id>")
@auth.signed_in_only
def my_request(case_id):
    case = case_or_404(case_id, access.is_case_applicant)
    return render(
        "casework/my_request.html",
        case=case,
        services=list(casework.services_of(case)),
        visits=[item for item in casework.appointments_of(case) if item.status == "planned"],
    )


# --- A case -----------------------------------------------------------------------------------


def read_case(case, what="case"):
    """A read by someone who is not the case's social worker is audited."""
    if not access.case_worker_of(g.user, g.roles, case):
        casework.record_read(case, g.user, what)


@bp.get("/<int:case_id>")
@auth.requires(access.may_use_casework)
def show(case_id):
    case = case_or_404(case_id)
    read_case(case)
    return render_case(case)


def render_case(case, status=200, service_form=None, visit_form=None, delivery=None):
    """The case page; a form sent back with problems shows them beside its
    fields (`delivery` is (service id, form) for a service's delivery)."""
    works = access.may_work_on_case(g.user, g.roles, case)
    office = case.office
    assessment = casework.assessment_of(case) if works else None
    return render(
        "casework/case.html",
        status,
        case=case,
        works=works,
        assessment=assessment,
        needs=[CATEGORY_LABELS[item] for item in assessment.needs.split(",") if item] if assessment else [],
        givers=givers(office) if works else [],
        supervisor=is_supervisor(office),
        may_take=access.may_take_case(g.user, g.roles, case),
        workers=casework.social_workers(office) if is_supervisor(office) else [],
        services=list(casework.services_of(case)),
        visits=list(casework.appointments_of(case)),
        trail=list(casework.trail(case)),
        coverage=casework_exchange.coverage_of(case),
        service_form=service_form or Form(form_key=new_key(), giver="municipality", category="food"),
        visit_form=visit_form or Form(form_key=new_key(), kind="home_visit"),
        delivery=delivery or (None, Form(delivered_on=persian.format_jalali_input(persian.today()))),
    )


def givers(office):
    """Who may give a service: the municipality, a pledge with something
    left (shelter places go through the line), or a partner by referral."""
    found = [("municipality", _("The municipality gives it"))]
    for pledge, free in casework.pledges_of(office):
        if free > 0 and pledge.kind != "shelter":
            found.append(
                (
                    f"pledge-{pledge.id}",
                    _(
                        "%(org)s: from its pledge of %(kind)s, %(free)s left",
                        org=pledge.organization.name,
                        kind=PLEDGE_LABELS[pledge.kind],
                        free=free,
                    ),
                )
            )
    found += [(f"org-{org.id}", _("Refer to %(org)s", org=org.name)) for org in casework.partners(office)]
    return [(value, digits(label)) for value, label in found]


@bp.get("/<int:case_id>/assessment")
@auth.requires(access.may_use_casework)
def assessment(case_id):
    case = case_or_404(case_id, access.may_work_on_case)
    read_case(case, "assessment")
    saved = casework.assessment_of(case)
    form = Form(version=str(case.version), housing="rented", coverage="none", decision="eligible")
    selected = {}
    if saved is not None:
        form.data.update(assessment_values(saved))
        selected = {"needs": saved.needs.split(",") if saved.needs else []}
    return render("casework/assessment.html", case=case, form=form, selected=selected, theirs=None)


def assessment_values(saved):
    return {
        "household_members": saved.household_members,
        "monthly_income": "" if saved.monthly_income is None else str(saved.monthly_income),
        "housing": saved.housing,
        "disability": "1" if saved.disability else "",
        "chronic_illness": "1" if saved.chronic_illness else "",
        "health_note": saved.health_note,
        "coverage": saved.coverage,
        "priority_group": saved.priority_group,
        "note": saved.note,
        "decision": saved.decision,
        "decision_reason": saved.decision_reason,
    }


@bp.post("/<int:case_id>/assessment")
@auth.requires(access.may_use_casework)
def save_assessment(case_id):
    case = case_or_404(case_id, access.may_work_on_case)
    form = Form(request.form)
    needs = [item for item in request.form.getlist("needs") if item in models.CaseService.CATEGORIES]
    selected = {"needs": needs}
    fields = {
        "household_members": optional_text(form, "household_members", models.CaseAssessment.MEMBERS_MAX),
        "monthly_income": rials(form, "monthly_income", INCOME_MAX),
        "disability": form["disability"] == "1",
        "chronic_illness": form["chronic_illness"] == "1",
        "health_note": optional_text(form, "health_note", models.CaseAssessment.NOTE_MAX),
        "needs": ",".join(needs),
        "note": optional_text(form, "note", models.CaseAssessment.NOTE_MAX),
        "decision_reason": optional_text(form, "decision_reason", models.CaseAssessment.REASON_MAX),
    }
    for name, values, message in (
        ("housing", models.CaseAssessment.HOUSING, _l("Choose how the household is housed.")),
        ("coverage", models.CaseAssessment.COVERAGE, _l("Choose whether an agency covers the household.")),
        ("priority_group", models.CaseAssessment.PRIORITY_GROUPS, _l("Choose a priority group, or none.")),
        ("decision", models.CaseAssessment.DECISIONS, _l("Choose the decision.")),
    ):
        if form[name] not in values:
            form.error(name, message)
        fields[name] = form[name]
    if form["decision"] in ("not_eligible", "referred_elsewhere") and len(fields["decision_reason"]) < 5:
        form.error("decision_reason", _l("Write the reason for this decision, or where the person was referred."))
    version = persian.whole_number(form["version"]) or 0
    if not form.ok:
        return render("casework/assessment.html", 422, case=case, form=form, selected=selected, theirs=None)
    try:
        casework.assess(case, g.user, version, **fields)
    except casework.Conflict as conflict:
        # Nothing of theirs or of this form is lost: their save is shown, this form keeps what was typed.
        form.data["version"] = str(conflict.case.version)
        theirs = casework.assessment_of(case)
        last = list(casework.trail(case))[-1]
        return render(
            "casework/assessment.html", 409, case=conflict.case, form=form, selected=selected, theirs=theirs, last=last
        )
    except casework.StateError:
        flash(_("This case is closed. Reopen it to assess it again."))
        return redirect(url_for("casework.show", case_id=case.id))
    flash(_("The assessment is saved."))
    return redirect(url_for("casework.show", case_id=case.id))


def case_version(form):
    return persian.whole_number(form["version"]) or 0


def stale(case):
    flash(_("Someone changed this case while you were looking at it. Here it is as it is now; try again."))
    return redirect(url_for("casework.show", case_id=case.id))


@bp.post("/<int:case_id>/take")
@auth.requires(access.may_use_casework)
def take(case_id):
    case = case_or_404(case_id, access.may_take_case)
    try:
        casework.take(case, g.user)
    except casework.StateError:
        flash(_("Another social worker took this request first."))
        return redirect(url_for("casework.desk"))
    flash(_("The case is yours."))
    return redirect(url_for("casework.show", case_id=case.id))


@bp.post("/<int:case_id>/assign")
@auth.requires(access.may_use_casework)
def assign(case_id):
    case = case_or_404(case_id)
    if not is_supervisor(case.office):
        abort(403)
    form = Form(request.form)
    workers = {str(user.id): user for user in casework.social_workers(case.office)}
    worker, second = workers.get(form["social_worker"]), workers.get(form["co_worker"])
    if worker is None:
        flash(_("Choose a social worker of the office."))
        return redirect(url_for("casework.show", case_id=case.id))
    try:
        casework.assign(case, g.user, case_version(form), worker, second if second != worker else None, form["note"])
    except (casework.Conflict, casework.StateError):
        return stale(case)
    flash(_("The case is given to %(name)s.", name=worker.name))
    return redirect(url_for("casework.show", case_id=case.id))


@bp.post("/<int:case_id>/close")
@auth.requires(access.may_use_casework)
def close(case_id):
    case = case_or_404(case_id, access.may_work_on_case)
    form = Form(request.form)
    if form["reason"] not in models.WelfareCase.CLOSE_REASONS:
        flash(_("Choose why the case is closed."))
        return redirect(url_for("casework.show", case_id=case.id))
    try:
        casework.close(case, g.user, case_version(form), form["reason"], form["note"][: models.WelfareCase.NOTE_MAX])
    except (casework.Conflict, casework.StateError):
        return stale(case)
    flash(_("The case is closed."))
    return redirect(url_for("casework.show", case_id=case.id))


@bp.post("/<int:case_id>/reopen")
@auth.requires(access.may_use_casework)
def reopen(case_id):
    case = case_or_404(case_id, access.may_work_on_case)
    form = Form(request.form)
    if len(form["note"]) < 5:
        flash(_("Write why the case is reopened."))
        return redirect(url_for("casework.show", case_id=case.id))
    try:
        casework.reopen(case, g.user, case_version(form), form["note"][: models.WelfareCase.NOTE_MAX])
    except (casework.Conflict, casework.StateError):
        return stale(case)
    flash(_("The case is reopened: it waits for a new assessment."))
    return redirect(url_for("casework.show", case_id=case.id))


# --- The plan: services, referrals, shelter --------------------------------------------------------


@bp.post("/<int:case_id>/services")
@auth.requires(access.may_use_casework)
def add_service(case_id):
    case = case_or_404(case_id, access.may_work_on_case)
    form = Form(request.form)
    if form["category"] not in models.CaseService.CATEGORIES:
        form.error("category", _l("Choose the kind of service."))
    about = optional_text(form, "about", models.CaseService.ABOUT_MAX)
    partner = pledge = None
    giver = form["giver"]
    if giver.startswith("org-"):
        partner = next((org for org in casework.partners(case.office) if f"org-{org.id}" == giver), None)
    elif giver.startswith("pledge-"):
        pledge = next((p for p, _free in casework.pledges_of(case.office) if f"pledge-{p.id}" == giver), None)
    if giver != "municipality" and partner is None and pledge is None:
        form.error("giver", _l("Choose who gives the service."))
    if not form.ok:
        return render_case(case, 422, service_form=form)
    try:
        casework.plan_service(case, g.user, form.form_key(), form["category"], about, partner=partner, pledge=pledge)
    except casework.NoPlaceLeft:
        form.error("giver", _l("Nothing is left of this pledge. Choose another giver."))
        return render_case(case, 409, service_form=form)
    except casework.StateError:
        form.error("category", _l("Assess the case before planning its services."))
        return render_case(case, 409, service_form=form)
    flash(_("The service is in the plan."))
    return redirect(url_for("casework.show", case_id=case.id, _anchor="plan"))


@bp.post("/<int:case_id>/shelter")
@auth.requires(access.may_use_casework)
def ask_shelter(case_id):
    case = case_or_404(case_id, access.may_work_on_case)
    form = Form(request.form)
    try:
        service = casework.ask_shelter(case, g.user, form.form_key(), form["about"][: models.CaseService.ABOUT_MAX])
    except casework.StateError:
        flash(_("Assess the case before planning its services."))
        return redirect(url_for("casework.show", case_id=case.id))
    if service.status == "waiting":
        flash(_("No shelter place is free now: the case waits in line and takes the next place."))
    else:
        flash(_("A shelter place is referred to its partner."))
    return redirect(url_for("casework.show", case_id=case.id, _anchor="plan"))


def read_delivery(form):
    day = past_day(form, "delivered_on")
    amount = rials(form, "amount") or 0
    note = optional_text(form, "note", models.CaseService.NOTE_MAX)
    return day, amount, note


@bp.post("/services/<int:service_id>/deliver")
@auth.requires(access.may_use_casework)
def deliver(service_id):
    service = service_or_404(service_id, access.may_work_on_service)
    form = Form(request.form)
    day, amount, note = read_delivery(form)
    if not form.ok:
        return render_case(service.case, 422, delivery=(service.id, form))
    try:
        casework.deliver(service, g.user, key(), day, amount, note)
    except casework.StateError:
        flash(_("This service was already answered or delivered."))
    else:
        flash(_("The service is delivered and written to the shared registry."))
    return redirect(url_for("casework.show", case_id=service.case_id, _anchor="plan"))


@bp.post("/services/<int:service_id>/cancel")
@auth.requires(access.may_use_casework)
def cancel_service(service_id):
    service = service_or_404(service_id, access.may_work_on_service)
    try:
        casework.cancel_service(service, g.user, request.form.get("note", "")[:300])
    except casework.StateError:
        flash(_("This service was already delivered or cancelled."))
    else:
        flash(_("The service is cancelled."))
    return redirect(url_for("casework.show", case_id=service.case_id, _anchor="plan"))


@bp.post("/services/<int:service_id>/end")
@auth.requires(access.may_use_casework)
def end_stay(service_id):
    service = service_or_404(service_id, access.may_work_on_service)
    try:
        casework.end_stay(service, g.user, persian.today())
    except casework.StateError:
        flash(_("This is not a shelter stay that is going on."))
    else:
        flash(_("The stay has ended; its place went to the next in line, if anyone waits."))
    return redirect(url_for("casework.show", case_id=service.case_id, _anchor="plan"))


# --- Visits -----------------------------------------------------------------------------------


def read_moment(form):
    """A Jalali day and a Tehran time, as the naive UTC moment the database keeps."""
    day = persian.parse_jalali_date(form["day"])
    if day is None:
        form.error("day", _l("Write the date like 1405/09/20."))
    match = TIME_PATTERN.match(persian.normalize(form["time"]))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        form.error("time", _l("Write the time like 10:30."))
    if not form.ok:
        return None
    local = datetime.datetime.combine(
        day, datetime.time(int(match.group(1)), int(match.group(2))), tzinfo=persian.TEHRAN
    )
    moment = local.astimezone(datetime.UTC).replace(tzinfo=None)
    if moment < models.utcnow() - datetime.timedelta(hours=1):
        form.error("day", _l("This time has passed. Choose a time to come."))
        return None
    return moment


@bp.post("/<int:case_id>/appointments")
@auth.requires(access.may_use_casework)
def add_appointment(case_id):
    case = case_or_404(case_id, access.may_work_on_case)
    form = Form(request.form)
    if form["kind"] not in models.CaseAppointment.KINDS:
        form.error("kind", _l("Choose the kind of visit."))
    starts_at = read_moment(form)
    place = optional_text(form, "place", models.CaseAppointment.PLACE_MAX)
    note = optional_text(form, "visit_note", models.CaseAppointment.NOTE_MAX)
    if not form.ok:
        return render_case(case, 422, visit_form=form)
    try:
        casework.plan_appointment(
            case,
            g.user,
            form.form_key(),
            kind=form["kind"],
            starts_at=starts_at,
            place=place,
            note=note,
            with_user=g.user,
        )
    except casework.StateError:
        flash(_("This case is closed."))
    else:
        flash(_("The visit is planned. A reminder comes to the inbox the day before."))
    return redirect(url_for("casework.show", case_id=case.id, _anchor="visits"))


@bp.post("/appointments/<int:appointment_id>")
@auth.requires(access.may_use_casework)
def mark_appointment(appointment_id):
    appointment = get_object_or_404(models.CaseAppointment.select(), models.CaseAppointment.id == appointment_id)
    if not access.may_work_on_case(g.user, g.roles, appointment.case):
        abort(404)
    status = request.form.get("status", "")
    if status in ("done", "missed", "cancelled"):
        try:
            casework.mark_appointment(appointment, g.user, status, request.form.get("note", "")[:500])
        except casework.StateError:
            flash(_("This visit was already marked."))
    return redirect(url_for("casework.show", case_id=appointment.case_id, _anchor="visits"))


# --- Printed papers ---------------------------------------------------------------------------


@bp.get("/<int:case_id>/copy.pdf")
@auth.requires()
@limits.expensive
def copy(case_id):
    """The person's own copy of their request and plan: no assessment, no priority group, no number."""
    case = case_or_404(case_id, access.may_print_case_copy)
    if not access.is_case_applicant(g.user, g.roles, case):
        read_case(case, "copy")
    url = url_for("casework.my_request", case_id=case.id, _external=True) if case.applicant_id else None
    return pdf.response(
        "pdf/case_copy.html",
        f"request-{case.id}.pdf",
        case=case,
        office=case.office,
        services=[item for item in casework.services_of(case) if item.status != "cancelled"],
        visits=[item for item in casework.appointments_of(case) if item.status == "planned"],
        printed_at=models.utcnow(),
        qr=pdf.qr_code(url) if url else None,
        url=url,
        **labels(),
    )


@bp.get("/services/<int:service_id>/letter.pdf")
@auth.requires()
@limits.expensive
def letter(service_id):
    """The referral letter to the partner, with a QR code that opens the referral in its portal."""
    service = service_or_404(service_id, access.may_print_referral)
    case = service.case
    read_case(case, f"letter:{service.id}")
    url = url_for("casework.referral", service_id=service.id, _external=True)
    return pdf.response(
        "pdf/case_referral.html",
        f"referral-{service.id}.pdf",
        service=service,
        case=case,
        office=case.office,
        printed_at=models.utcnow(),
        qr=pdf.qr_code(url),
        url=url,
        **labels(),
    )


# --- The partner's portal ---------------------------------------------------------------------


@bp.get("/referrals")
@auth.requires(access.may_use_partner_portal)
def referrals():
    return render_portal(Form(form_key=new_key(), kind="food", quantity="1"))


def render_portal(form, status=200):
    organizations = casework.partner_organizations(g.user)
    offices = list(casework.offices())
    return render(
        "casework/referrals.html",
        status,
        organizations=organizations,
        org_options=[(str(org.id), digits(org.name)) for org in organizations],
        referrals=list(casework.referrals_to(organizations)),
        pledges=list(casework.organization_pledges(organizations)),
        offices=offices,
        office_options=[(str(office.id), local_name(office.district)) for office in offices],
        form=form,
    )


@bp.get("/referrals/<int:service_id>")
@auth.requires(access.may_use_partner_portal)
def referral(service_id):
    service = service_or_404(service_id, access.partner_of_referral)
    casework.record_read(service.case, g.user, f"referral:{service.id}")
    return render_referral(service, Form(delivered_on=persian.format_jalali_input(persian.today())))


def render_referral(service, form, status=200):
    return render("casework/referral.html", status, service=service, case=service.case, form=form)


@bp.post("/referrals/<int:service_id>/answer")
@auth.requires(access.may_use_partner_portal)
def answer_referral(service_id):
    service = service_or_404(service_id, access.partner_of_referral)
    form = Form(request.form)
    accept = form["answer"] == "accept"
    reason = optional_text(form, "reason", models.CaseService.NOTE_MAX)
    if not accept and len(reason) < 5:
        form.error("reason", _l("Write why your organization cannot give it."))
    if not form.ok:
        return render_referral(service, form, 422)
    try:
        casework.answer_referral(service, g.user, accept, reason)
    except casework.StateError:
        flash(_("This referral was answered already."))
    else:
        flash(_("Accepted: the person's contact is below.") if accept else _("Declined. The social worker is told."))
    return redirect(url_for("casework.referral", service_id=service.id))


@bp.post("/referrals/<int:service_id>/delivered")
@auth.requires(access.may_use_partner_portal)
def referral_delivered(service_id):
    service = service_or_404(service_id, access.partner_of_referral)
    form = Form(request.form)
    day, amount, note = read_delivery(form)
    if not form.ok:
        return render_referral(service, form, 422)
    try:
        casework.deliver(service, g.user, key(), day, amount, note)
    except casework.StateError:
        flash(_("Accept the referral first, or it was delivered already."))
    else:
        flash(_("Thank you. The delivery is recorded, and written to the shared registry."))
    return redirect(url_for("casework.referral", service_id=service.id))


@bp.post("/pledges")
@auth.requires(access.may_use_partner_portal)
def add_pledge():
    organizations = casework.partner_organizations(g.user)
    form = Form(request.form)
    organization = next((org for org in organizations if str(org.id) == form["org"]), organizations[0])
    office = next((item for item in casework.offices() if str(item.id) == form["office"]), None)
    if office is None:
        form.error("office", _l("Choose the district's office."))
    if form["kind"] not in models.Pledge.KINDS:
        form.error("kind", _l("Choose what you pledge."))
    quantity = persian.whole_number(form["quantity"], models.Pledge.QUANTITY_MAX)
    if not quantity:
        form.error("quantity", _l("Write how many, from 1 to 10,000."))
    about = optional_text(form, "about", models.Pledge.ABOUT_MAX)
    if not form.ok:
        return render_portal(form, 422)
    casework.make_pledge(organization, office, g.user, form.form_key(), form["kind"], quantity, about)
    flash(_("Thank you. The pledge is with the district's office."))
    return redirect(url_for("casework.referrals"))


@bp.post("/pledges/<int:pledge_id>/withdraw")
@auth.requires(access.may_use_partner_portal)
def withdraw_pledge(pledge_id):
    pledge = get_object_or_404(models.Pledge.select(), models.Pledge.id == pledge_id)
    if not access.keeps_pledge(g.user, g.roles, pledge):
        abort(404)
    casework.withdraw_pledge(pledge, g.user)
    flash(_("The pledge is withdrawn. What it gives already stays given."))
    return redirect(url_for("casework.referrals"))


@bp.get("/shelter")
@auth.requires(access.may_use_casework)
def shelter():
    office = chosen_office(my_offices())
    return render(
        "casework/shelter.html",
        office=office,
        offices=my_offices(),
        pledges=casework.pledges_of(office),
        stays=list(casework.shelter_stays(office)),
        line=list(casework.waiting_line(office)),
    )


# --- Reports ----------------------------------------------------------------------------------


def report_context():
    offices = access.report_offices(g.user, g.roles)
    wanted = request.args.get("office", "")
    chosen = [office for office in offices if str(office.id) == wanted] or offices
    months = persian.whole_number(request.args.get("months", "12"))
    months = months if months in MONTH_CHOICES else 12
    since = models.utcnow() - datetime.timedelta(days=round(months * 30.44))
    report = casework_reports.report([office.id for office in chosen], since)
    return offices, chosen, months, report


BAND_LABELS = {
    "days_2": _l("Within 2 days"),
    "days_7": _l("3 to 7 days"),
    "days_14": _l("8 to 14 days"),
    "days_more": _l("More than 14 days"),
}


def report_rows(report):
    """Each table of the report as (title, [(label, count)]), counts under 5 hidden (None)."""
    shown = casework_reports.shown
    return [
        (_("Requests by district"), [(local_name(area), shown(n)) for area, n in report["by_district"]]),
        (_("Requests by month"), [(digits(month.name()), shown(n)) for month, n in report["by_month"]]),
        (
            _("Cases by status"),
            [(STATUS_LABELS[s], shown(report["by_status"][s])) for s in STATUS_LABELS if s in report["by_status"]],
        ),
        (
            _("Time to assessment"),
            [(BAND_LABELS[b], shown(n)) for b, n in report["assessment_bands"].items()]
            + [(_("Not assessed yet"), shown(report["not_assessed"]))],
        ),
        (
            _("Delivered services by kind"),
            [
                (CATEGORY_LABELS[c], shown(report["by_category"][c]))
                for c in CATEGORY_LABELS
                if c in report["by_category"]
            ],
        ),
        (
            _("Delivered services by giver"),
            [(name or _("The municipality"), shown(n)) for name, n in sorted(report["by_partner"].items(), key=str)],
        ),
        (
            _("Priority groups"),
            [(GROUP_LABELS[p], shown(report["by_group"][p])) for p in GROUP_LABELS if p in report["by_group"]],
        ),
    ]


@bp.get("/reports")
@auth.requires(access.may_read_casework_reports)
def reports():
    offices, chosen, months, report = report_context()
    return render(
        "casework/reports.html",
        offices=offices,
        chosen=chosen,
        months=months,
        month_choices=MONTH_CHOICES,
        report=report,
        tables=report_rows(report),
        smallest=casework_reports.SMALLEST,
    )


@bp.get("/reports.csv")
@auth.requires(access.may_read_casework_reports)
def reports_csv():
    _offices, _chosen, months, report = report_context()
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow([_("Table"), _("Item"), _("Count")])
    hidden = _("fewer than %(count)s", count=casework_reports.SMALLEST)
    for title, rows in report_rows(report):
        writer.writerows([title, label, hidden if count is None else count] for label, count in rows)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="welfare-report-{months}-months.csv"'},
    )


# --- Exchange with agencies -------------------------------------------------------------------


def exchange_office():
    office = chosen_office([post.office for post in access.welfare_posts(g.user, g.roles) if post.role == "supervisor"])
    if office is None:
        abort(403)
    return office


def render_exchange(office, form, status=200, result=None):
    return render(
        "casework/exchange.html",
        status,
        office=office,
        form=form,
        result=result,
        sizes=casework_exchange.list_sizes(office),
        codes=access.exports_codes(g.user, g.roles, office),
        month_choices=MONTH_CHOICES,
    )


@bp.get("/exchange")
@auth.requires(access.may_exchange)
def exchange():
    return render_exchange(exchange_office(), Form(agency="relief"))


def read_codes(form, upload_name="file"):
    """The national codes of an uploaded list (its first column), read and
    checked in memory: the file is never written anywhere. (identifiers, bad rows)."""
    upload = request.files.get(upload_name)
    data = upload.read() if upload else b""
    if not data:
        form.error(upload_name, _l("Choose a CSV or Excel file."))
        return [], 0
    try:
        rows = imports.read_table(data, limit=COVERAGE_MAX_ROWS)
    except imports.UnreadableFile:
        form.error(upload_name, _l("This file cannot be read. Save it as CSV (UTF-8) or Excel (XLSX) and try again."))
        return [], 0
    if rows and imports.is_header(rows[0]):
        rows = rows[1:]
    if len(rows) > COVERAGE_MAX_ROWS:
        form.error(
            upload_name,
            _l("A list can have at most %(count)s rows. Split it in parts.", count=digits(COVERAGE_MAX_ROWS)),
        )
        return [], 0
    found, bad = [], 0
    for row in rows:
        if not row or not str(row[0]).strip():
            continue
        identifier, problem = imports.read_identifier(row[0])
        if problem:
            bad += 1
        else:
            found.append(identifier)
    if not found:
        form.error(upload_name, _l("The file has no valid national code in its first column."))
    return found, bad


@bp.post("/exchange/coverage")
@auth.requires(access.may_exchange)
@limits.expensive
def import_coverage():
    office = exchange_office()
    form = Form(request.form)
    if form["agency"] not in models.AgencyCoverage.AGENCIES:
        form.error("agency", _l("Choose whose list it is."))
    identifiers, bad = read_codes(form)
    if not form.ok:
        return render_exchange(office, form, 422)
    result = casework_exchange.import_coverage(office, form["agency"], g.user, key(), identifiers)
    result["bad"] = bad
    return render_exchange(office, Form(agency=form["agency"]), result=result)


def export_months():
    months = persian.whole_number(request.values.get("months", "12"))
    return months if months in MONTH_CHOICES else 12


def csv_response(rows, header, filename):
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def services_text(services):
    return " ; ".join(f"{CATEGORY_LABELS[category]} {digits(month.name())}" for category, month in services)


@bp.get("/exchange/served.csv")
@auth.requires(access.may_exchange)
def served_csv():
    office = exchange_office()
    months = export_months()
    since = persian.today() - datetime.timedelta(days=round(months * 30.44))
    rows = casework_exchange.served_list(office, g.user, key(), since)
    return csv_response(
        [(ref, size, len(services), services_text(services)) for ref, size, services in rows],
        [_("Reference"), _("Household size"), _("Services"), _("Kinds and months")],
        f"served-{office.id}-{months}-months.csv",
    )


@bp.post("/exchange/served-codes.csv")
@auth.requires(access.may_exchange)
@limits.expensive
def served_codes_csv():
    office = exchange_office()
    if not access.exports_codes(g.user, g.roles, office):
        abort(403)
    form = Form(request.form)
    identifiers, _bad = read_codes(form, "codes")
    if not form.ok:
        return render_exchange(office, form, 422)
    months = export_months()
    since = persian.today() - datetime.timedelta(days=round(months * 30.44))
    rows = casework_exchange.served_by_codes(office, g.user, key(), identifiers, since)
    return csv_response(
        [(number, len(services), services_text(services)) for number, services in rows],
        [_("National code"), _("Services"), _("Kinds and months")],
        f"served-codes-{office.id}.csv",
    )


# --- Offices, kept by headquarters ------------------------------------------------------------


@bp.get("/offices")
@auth.requires(access.is_headquarters)
def offices():
    return render_offices(Form())


def render_offices(form, status=200):
    districts = list(casework.districts_without_office())
    options = [
        (str(area.id), " › ".join(local_name(place) for place in [*area.ancestors()[-1:], area])) for area in districts
    ]
    return render(
        "casework/offices.html",
        status,
        offices=list(casework.offices()),
        districts=districts,
        district_options=options,
        form=form,
    )


@bp.post("/offices")
@auth.requires(access.is_headquarters)
def open_office():
    form = Form(request.form)
    district = models.Area.get_or_none(models.Area.id == (persian.whole_number(form["district"]) or 0))
    if district is None or district.kind != "district":
        form.error("district", _l("Choose a municipal district."))
    address = optional_text(form, "address", 300)
    phone = optional_text(form, "phone", 20)
    if not form.ok:
        return render_offices(form, 422)
    office = casework.open_office(district, g.user, address, phone)
    flash(_("The welfare office of %(district)s is open.", district=local_name(district)))
    return redirect(url_for("casework.office", office_id=office.id))


def office_or_404(office_id):
    return get_object_or_404(models.WelfareOffice.select(), models.WelfareOffice.id == office_id)


@bp.get("/offices/<int:office_id>")
@auth.requires(access.is_headquarters)
def office(office_id):
    return render_office(office_or_404(office_id), Form(role="social_worker"))


def render_office(office, form, status=200):
    return render(
        "casework/office.html", status, office=office, staff=list(casework.staff_of_office(office)), form=form
    )


@bp.post("/offices/<int:office_id>/staff")
@auth.requires(access.is_headquarters)
def add_staff(office_id):
    office = office_or_404(office_id)
    form = Form(request.form)
    phone = form.phone()
    member = models.User.by_phone(phone) if phone else None
    if phone and member is None:
        form.error("phone", _l("No member has this number."))
    if form["role"] not in models.WelfareStaff.ROLES:
        form.error("role", _l("Choose the role."))
    elif member is not None and form["role"] != "desk" and not member.has_role("social_worker"):
        form.error("role", _l("Give this member the social worker role first, on the Members page."))
    elif member is not None and form["role"] == "desk" and not (set(member.roles()) & models.STAFF_ROLES):
        form.error("role", _l("Desk staff need a staff role first, on the Members page."))
    if not form.ok:
        return render_office(office, form, 422)
    casework.set_staff(office, member, form["role"], g.user, exports_codes=form["exports_codes"] == "1")
    flash(_("%(name)s works at the office now.", name=member.name))
    return redirect(url_for("casework.office", office_id=office.id))


@bp.post("/offices/<int:office_id>/staff/<int:user_id>/remove")
@auth.requires(access.is_headquarters)
def remove_staff(office_id, user_id):
    office = office_or_404(office_id)
    casework.remove_staff(office, user_id, g.user)
    flash(_("The member no longer works at the office."))
    return redirect(url_for("casework.office", office_id=office.id))
