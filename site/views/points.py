"""A distribution point's pages (issue 16), for its volunteers and the
campaign's staff: type or scan a household's code and mark its pickup, on any
phone without JavaScript (the page fits the simple pages' 8 KB) or at a
center's kiosk; print the point's paper sheet for a day without a connection,
and enter its signed rows later (the doubles are reported)."""

import datetime
import re

from flask import Blueprint, abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, distributions
from hamsayeh.web import auth, limits, pdf
from hamsayeh.web.forms import Form

bp = Blueprint("points", __name__, url_prefix="/points")

CODE_ERRORS = {
    "unknown": _l("This code is not right. Check it with the card and type it again."),
    "round": _l("This code is of another round of the campaign, not of the round handed out now."),
    "campaign": _l("This code is of another campaign. This point hands out only its own campaign's."),
    "limit": _l("Too many wrong codes here. Wait ten minutes, or call the organizer."),
}
SHEET_ERRORS = {
    "round": _l("This round is not being handed out: nothing was entered."),
    "campaign": _l("This round is of another campaign: nothing was entered."),
}
CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def point_or_403(point_id):
    """A point for its own volunteers and the campaign's staff: nobody else marks pickups there."""
    point = get_object_or_404(models.DistributionPoint.select(), models.DistributionPoint.id == point_id)
    if not access.works_at_point(g.user, g.roles, point):
        abort(403)
    return point


def chosen_round(point, value):
    """The round handed out now at the point (or the one asked, if it is handed out)."""
    rounds = distributions.open_rounds(point.campaign)
    wanted = persian.whole_number(value or "")
    return next((r for r in rounds if r.id == wanted), rounds[0] if rounds else None), rounds


def no_store(page, status=200):
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/")
@auth.signed_in_only
def index():
    return no_store(render_template("campaigns/points.html", posts=distributions.posts_of(g.user)))


@bp.get("/<int:point_id>")
@auth.signed_in_only
def show(point_id):
    point = point_or_403(point_id)
    round_, rounds = chosen_round(point, request.args.get("round"))
    return no_store(render_template("campaigns/point.html", point=point, round=round_, rounds=rounds, form=Form()))


@bp.post("/<int:point_id>")
@auth.signed_in_only
def mark(point_id):
    point = point_or_403(point_id)
    round_, rounds = chosen_round(point, request.form.get("round"))
    form = Form(request.form)
    if round_ is None:
        abort(409)
    try:
        outcome = distributions.mark_pickup(point, round_, g.user, form["code"])
    except distributions.DistributionError as error:
        form.error("code", CODE_ERRORS[error.reason])
        status = 429 if error.reason == "limit" else 422
        return no_store(
            render_template("campaigns/point.html", point=point, round=round_, rounds=rounds, form=form), status
        )
    page = render_template(
        "campaigns/point.html", point=point, round=round_, rounds=rounds, form=Form(), outcome=outcome
    )
    return no_store(page, 200 if outcome.status == "done" else 409)


@bp.get("/<int:point_id>/sheet.pdf")
@auth.signed_in_only
@limits.expensive
def sheet_pdf(point_id):
    point = point_or_403(point_id)
    round_, _rounds = chosen_round(point, request.args.get("round"))
    if round_ is None:
        abort(404)
    return pdf.response(
        "pdf/pickup_sheet.html",
        f"pickup-sheet-{point.id}-{round_.id}.pdf",
        point=point,
        round=round_,
        campaign=point.campaign,
        rows=distributions.sheet_of(point, round_),
        show_names=request.args.get("names") != "0",
    )


@bp.get("/<int:point_id>/sheet")
@auth.signed_in_only
def sheet(point_id):
    point = point_or_403(point_id)
    round_, rounds = chosen_round(point, request.args.get("round"))
    today = persian.format_jalali_input(persian.tehran_time(models.utcnow()).date())
    form = Form(day=today, clock="")
    return no_store(render_template("campaigns/sheet.html", point=point, round=round_, rounds=rounds, form=form))


@bp.post("/<int:point_id>/sheet")
@auth.signed_in_only
def enter_sheet(point_id):
    point = point_or_403(point_id)
    round_, rounds = chosen_round(point, request.form.get("round"))
    form = Form(request.form)
    numbers = distributions.parse_references(form["references"])
    if numbers is None:
        form.error("references", _l("Type the signed rows' reference numbers, separated by spaces or commas."))
    at = sheet_moment(form)
    if round_ is None:
        form.error("references", SHEET_ERRORS["round"])
    result = None
    if form.ok:
        try:
            result = distributions.enter_sheet(point, round_, g.user, numbers, at)
        except distributions.DistributionError as error:
            missing = ", ".join(persian.to_persian_digits(n) for n in getattr(error, "missing", []))
            message = SHEET_ERRORS.get(error.reason) or _l(
                "Not on this point's sheet: %(numbers)s. Nothing was entered; check the numbers.", numbers=missing
            )
            form.error("references", message)
    page = render_template("campaigns/sheet.html", point=point, round=round_, rounds=rounds, form=form, result=result)
    return no_store(page, 200 if form.ok else 422)


def sheet_moment(form):
    """When the sheet's pickups were: its Jalali day and clock in Tehran, as UTC."""
    day = persian.parse_jalali_date(form["day"])
    clock = CLOCK.fullmatch(form["clock"] or "12:00")
    if day is None or day > persian.tehran_time(models.utcnow()).date():
        form.error("day", _l("Write the sheet's day as a Jalali date, like 1405/09/10, not after today."))
        return None
    if clock is None:
        form.error("clock", _l("Write the time like 14:30, or leave it empty."))
        return None
    local = datetime.datetime.combine(day, datetime.time(int(clock[1]), int(clock[2])), tzinfo=persian.TEHRAN)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)
