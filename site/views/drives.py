"""A campaign's event and drive parts, under /campaigns/<id>/: an event's
sittings (iftar tables) and members' sign-ups; a drive's needs, donors'
pledges (members, or guests confirmed by an SMS code) and what the
organizer received against them. The campaign's own page is the campaigns
blueprint's; it includes templates/campaigns/_event.html or _drive.html."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, campaign_events, drives
from hamsayeh.web import auth, programs
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import digits

bp = Blueprint("drives", __name__, url_prefix="/campaigns")

EVENT_PROBLEMS = {
    "closed": _l("This sitting no longer takes sign-ups."),
    "full": _l("This sitting is full: every place is taken."),
    "kind": _l("This campaign has no sittings."),
    "disabled": _l("This number cannot sign up here. Please call the organizer."),
    "used": _l("This code was used already. Go back and get a new code."),
}
DRIVE_PROBLEMS = {
    "closed": _l("This drive no longer takes pledges."),
    "kind": _l("This campaign takes no pledges."),
    "need": _l("Choose one of this drive's needs."),
    "too_much": _l("This is more than is still to come of the pledge. Check the amount."),
}
CODE_PROBLEMS = {
    "wrong": _l("This code is not right. Check the SMS and type the 6 digits again."),
    "expired": _l(
        "This code no longer works: it is more than 10 minutes old, or it was tried too many times. "
        "Start again to get a new one."
    ),
    "used": _l("This code was used already. To pledge again, go back and get a new code."),
    "full": _l("This sitting is full: every place is taken."),
    "disabled": _l("This number cannot pledge here. Please call the organizer."),
    "closed": _l("This drive no longer takes pledges."),
    "again": _l("Please press the button once more."),
}
AMOUNT_MESSAGE = _l("Write the amount in rials, in digits, like 5,000,000.")


# --- Loaders: each fetches its object (404) and checks who asks (403) --------------------


def campaign_or_404(campaign_id, kind):
    """A campaign's public parts: any open or closed campaign (a draft is its organizer's)."""
    campaign = get_object_or_404(models.Campaign, models.Campaign.id == campaign_id, models.Campaign.kind == kind)
    if campaign.status == "draft" and not access.runs_campaign(g.user, g.roles, campaign):
        abort(404)
    return campaign


def campaign_for_organizer(campaign_id, kind):
    campaign = get_object_or_404(models.Campaign, models.Campaign.id == campaign_id, models.Campaign.kind == kind)
    if not access.runs_campaign(g.user, g.roles, campaign):
        abort(403)
    return campaign


def sitting_or_404(campaign_id, sitting_id):
    campaign = campaign_or_404(campaign_id, "event")
    return get_object_or_404(
        models.EventSitting, models.EventSitting.id == sitting_id, models.EventSitting.campaign == campaign
    )


def pledge_for_organizer(campaign_id, pledge_id):
    campaign = campaign_for_organizer(campaign_id, "drive")
    return get_object_or_404(
        models.DrivePledge, models.DrivePledge.id == pledge_id, models.DrivePledge.campaign == campaign
    )


def campaign_page(campaign):
    return url_for("campaigns.show", campaign_id=campaign.id)


# --- Events: sittings and sign-ups --------------------------------------------------------


@bp.get("/<int:campaign_id>/sittings/<int:sitting_id>")
def sitting(campaign_id, sitting_id):
    item = sitting_or_404(campaign_id, sitting_id)
    staff = access.runs_campaign(g.user, g.roles, item.campaign)
    return render_template(
        "drives/sitting.html",
        sitting=item,
        campaign=item.campaign,
        mine=campaign_events.signup_of(item, g.user),
        signups=campaign_events.signups_of(item) if staff else [],
        is_staff=staff,
        past=item.starts_at <= models.utcnow(),
    )


def sitting_code_sms(code):
    return _("Hamsayeh: your code to confirm your place is %(code)s. Never give it to anyone.", code=digits(code))


@bp.get("/<int:campaign_id>/sittings/<int:sitting_id>/guest")
def guest_form(campaign_id, sitting_id):
    """A guest's own page for their number: the sitting's page itself sets no cookie."""
    item = sitting_or_404(campaign_id, sitting_id)
    return render_template("drives/sitting_guest.html", sitting=item, form=Form())


@bp.post("/<int:campaign_id>/sittings/<int:sitting_id>/guest")
def guest_signup(campaign_id, sitting_id):
    """A guest's number: a code goes to it by SMS; the code gives the place."""
    item = sitting_or_404(campaign_id, sitting_id)
    page = url_for("drives.sitting", campaign_id=item.campaign_id, sitting_id=item.id)
    if g.user is not None:
        return redirect(page)
    form = Form(request.form)
    phone = form.phone()
    refused = campaign_events.refusal(item)
    if refused:
        form.error("phone", EVENT_PROBLEMS[refused])
    if not form.ok:
        return render_template("drives/sitting_guest.html", sitting=item, form=form), 422
    sent = campaign_events.send_guest_code(phone, request.remote_addr or "unknown", sitting_code_sms, item)
    if not sent.request_id:
        minutes = digits(max(1, round(sent.wait_seconds / 60)))
        form.error(
            "phone", _l("Many codes were asked for just now. Wait %(minutes)s minutes and try again.", minutes=minutes)
        )
        return render_template("drives/sitting_guest.html", sitting=item, form=form), 429
    session["sitting_place"] = sent.request_id
    return redirect(
        url_for("drives.sitting_code", campaign_id=item.campaign_id, sitting_id=item.id, token=sent.request_id)
    )


def sitting_request_or_404(item, token):
    found = drives.guest_request(token)
    if found is None or campaign_events.requested_sitting(found).get("sitting") != item.id:
        abort(404)
    return found


@bp.get("/<int:campaign_id>/sittings/<int:sitting_id>/code/<token>")
def sitting_code(campaign_id, sitting_id, token):
    item = sitting_or_404(campaign_id, sitting_id)
    found = sitting_request_or_404(item, token)
    if not drives.still_open(found):
        abort(404)
    return render_template("drives/sitting_code.html", sitting=item, token=token, form=Form(), asked=found)


@bp.post("/<int:campaign_id>/sittings/<int:sitting_id>/code/<token>")
def confirm_sitting(campaign_id, sitting_id, token):
    item = sitting_or_404(campaign_id, sitting_id)
    found = sitting_request_or_404(item, token)
    form = Form(request.form)
    code = form.required("code", _l("Type the code from the SMS."))
    if form.ok:
        made = campaign_events.sign_up_as_guest(token, code)
        pressed_twice = made.problem == "used" and session.get("sitting_place") == token
        if pressed_twice and campaign_events.guest_place_made(token) is not None:
            made = made._replace(problem=None)
        if made.problem is None:
            flash(_("You have a place at this sitting."))
            return redirect(url_for("drives.sitting", campaign_id=item.campaign_id, sitting_id=item.id))
        form.error("code", {**CODE_PROBLEMS, **EVENT_PROBLEMS}[made.problem])
    form.data.pop("code", None)
    return render_template("drives/sitting_code.html", sitting=item, token=token, form=form, asked=found), 422


@bp.post("/<int:campaign_id>/sittings/<int:sitting_id>/signup")
@auth.signed_in_only
def signup(campaign_id, sitting_id):
    item = sitting_or_404(campaign_id, sitting_id)
    try:
        campaign_events.sign_up(item, g.user)
        flash(_("You have a place at this sitting."))
    except campaign_events.EventError as refused:
        flash(EVENT_PROBLEMS[refused.reason])
    return redirect(url_for("drives.sitting", campaign_id=item.campaign_id, sitting_id=item.id))


@bp.post("/<int:campaign_id>/sittings/<int:sitting_id>/leave")
@auth.signed_in_only
def leave(campaign_id, sitting_id):
    item = sitting_or_404(campaign_id, sitting_id)
    if campaign_events.leave(item, g.user):
        flash(_("You are no longer signed up. Your place is free for another."))
    return redirect(url_for("drives.sitting", campaign_id=item.campaign_id, sitting_id=item.id))


@bp.get("/<int:campaign_id>/sittings/new")
@auth.signed_in_only
def new_sitting(campaign_id):
    campaign = campaign_for_organizer(campaign_id, "event")
    form = Form(form_key=new_key(), capacity="50", time="18:30")
    return render_template("drives/sitting_form.html", campaign=campaign, form=form)


@bp.post("/<int:campaign_id>/sittings/new")
@auth.signed_in_only
def add_sitting(campaign_id):
    campaign = campaign_for_organizer(campaign_id, "event")
    form = Form(request.form)
    place = form.text("place", models.EventSitting.PLACE_MAX, 3, _l("Write where the sitting is."))
    starts_at = programs.read_start(form)
    capacity = persian_places(form)
    if not form.ok:
        return render_template("drives/sitting_form.html", campaign=campaign, form=form), 422
    item = campaign_events.add_sitting(campaign, g.user, form.form_key(), place, starts_at, capacity)
    flash(_("The sitting is on the campaign's page."))
    return redirect(url_for("drives.sitting", campaign_id=campaign.id, sitting_id=item.id))


def persian_places(form):
    capacity = persian.whole_number(form["capacity"], 5000)
    if not capacity:
        form.error("capacity", _l("Write how many people can take part, from 1 to 5,000."))
    return capacity


# --- Drives: needs ----------------------------------------------------------------------


@bp.get("/<int:campaign_id>/needs/new")
@auth.signed_in_only
def new_need(campaign_id):
    campaign = campaign_for_organizer(campaign_id, "drive")
    return render_template("drives/need_form.html", campaign=campaign, form=Form(form_key=new_key()))


@bp.post("/<int:campaign_id>/needs/new")
@auth.signed_in_only
def add_need(campaign_id):
    campaign = campaign_for_organizer(campaign_id, "drive")
    form = Form(request.form)
    title = form.text("title", models.DriveNeed.TITLE_MAX, 3, _l("Write the need in a few words."))
    goal = read_amount(form, "goal")
    if len(form["about"]) > models.DriveNeed.ABOUT_MAX:
        form.error("about", _l("Write at most %(count)s letters.", count=digits(models.DriveNeed.ABOUT_MAX)))
    if not form.ok:
        return render_template("drives/need_form.html", campaign=campaign, form=form), 422
    drives.add_need(campaign, g.user, form.form_key(), title, goal, form["about"])
    flash(_("The need is on the drive's page."))
    return redirect(campaign_page(campaign))


def read_amount(form, name):
    amount = drives.parse_rials(form[name])
    if amount is None:
        form.error(name, AMOUNT_MESSAGE)
    return amount


# --- Drives: pledges --------------------------------------------------------------------


@bp.get("/<int:campaign_id>/pledge")
def pledge_form(campaign_id):
    campaign = campaign_or_404(campaign_id, "drive")
    form = Form(form_key=new_key(), kind="money", need=request.args.get("need", "")[:12])
    return render_pledge(campaign, form)


def render_pledge(campaign, form, status=200):
    return render_template(
        "drives/pledge_form.html", campaign=campaign, form=form, needs=drives.needs_of(campaign)
    ), status


def read_pledge(form, campaign):
    """The pledge's fields from the sent form; errors go on `form`."""
    needs = {str(need.id): need for need in drives.needs_of(campaign)}
    need = needs.get(form["need"])
    if form["need"] and need is None:
        form.error("need", DRIVE_PROBLEMS["need"])
    kind = form["kind"] if form["kind"] in models.DrivePledge.KINDS else None
    if kind is None:
        form.error("kind", _l("Choose money or goods."))
    amount = read_amount(form, "amount")
    goods = form["goods"]
    if kind == "goods":
        goods = form.text("goods", models.DrivePledge.GOODS_MAX, 3, _l("Write what you will give."))
    public_name = ""
    if form["show_name"] == "yes":
        public_name = form.text("public_name", 80, 2, _l("Write the name to show, or leave the box unticked."))
    return {
        "need": need.id if need else None,
        "kind": kind,
        "amount": amount,
        "goods": goods,
        "public_name": public_name,
    }


@bp.post("/<int:campaign_id>/pledge")
def pledge(campaign_id):
    campaign = campaign_or_404(campaign_id, "drive")
    form = Form(request.form)
    fields = read_pledge(form, campaign)
    phone = form.phone() if g.user is None else None
    if not drives.takes_pledges(campaign):
        form.error("amount", DRIVE_PROBLEMS["closed"])
    if not form.ok:
        return render_pledge(campaign, form, 422)
    if g.user is None:
        return send_guest_code(campaign, form, phone, fields)
    need_id = fields.pop("need")
    need = models.DriveNeed.get_by_id(need_id) if need_id else None
    try:
        drives.pledge(campaign, g.user, form.form_key(), need=need, **fields)
    except drives.DriveError as refused:
        form.error("amount", DRIVE_PROBLEMS[refused.reason])
        return render_pledge(campaign, form, 422)
    flash(_("Thank you: your pledge is recorded. The organizer will be in touch to receive it."))
    return redirect(campaign_page(campaign))


def pledge_code_sms(code):
    return _("Hamsayeh: your code to confirm your pledge is %(code)s. Never give it to anyone.", code=digits(code))


def send_guest_code(campaign, form, phone, fields):
    sent = drives.send_guest_code(phone, request.remote_addr or "unknown", pledge_code_sms, campaign, fields)
    if not sent.request_id:
        minutes = digits(max(1, round(sent.wait_seconds / 60)))
        form.error(
            "phone", _l("Many codes were asked for just now. Wait %(minutes)s minutes and try again.", minutes=minutes)
        )
        return render_pledge(campaign, form, 429)
    session["drive_pledge"] = sent.request_id
    return redirect(url_for("drives.pledge_code", campaign_id=campaign.id, token=sent.request_id))


def guest_request_or_404(campaign, token):
    found = drives.guest_request(token)
    if found is None or drives.requested_pledge(found).get("campaign") != campaign.id:
        abort(404)
    return found


@bp.get("/<int:campaign_id>/pledge/code/<token>")
def pledge_code(campaign_id, token):
    campaign = campaign_or_404(campaign_id, "drive")
    found = guest_request_or_404(campaign, token)
    if not drives.still_open(found):
        abort(404)
    return render_code(campaign, found, token, Form(form_key=new_key()))


def render_code(campaign, found, token, form, status=200):
    fields = drives.requested_pledge(found)
    need = models.DriveNeed.get_or_none(models.DriveNeed.id == fields.get("need")) if fields.get("need") else None
    return render_template(
        "drives/pledge_code.html", campaign=campaign, token=token, form=form, fields=fields, need=need, asked=found
    ), status


@bp.post("/<int:campaign_id>/pledge/code/<token>")
def confirm_pledge(campaign_id, token):
    campaign = campaign_or_404(campaign_id, "drive")
    found = guest_request_or_404(campaign, token)
    form = Form(request.form)
    key = form.form_key()
    code = form.required("code", _l("Type the code from the SMS."))
    if form.ok:
        made = drives.pledge_as_guest(token, code, key)
        pressed_twice = made.problem == "used" and session.get("drive_pledge") == token
        if pressed_twice and drives.guest_pledge_made(token, key) is not None:
            # Pressed twice: the first press made it.
            made = made._replace(problem=None)
        if made.problem is None:
            flash(_("Thank you: your pledge is recorded. The organizer will be in touch to receive it."))
            return redirect(campaign_page(campaign))
        form.error("code", CODE_PROBLEMS[made.problem])
    form.data.pop("code", None)
    return render_code(campaign, found, token, form, 422)


# --- Drives: what the organizer received --------------------------------------------------


@bp.get("/<int:campaign_id>/pledges")
@auth.signed_in_only
def pledges(campaign_id):
    campaign = campaign_for_organizer(campaign_id, "drive")
    rows = drives.pledges_for_organizer(campaign, g.user)
    titles = {need.id: need.title for need in drives.needs_of(campaign)}
    return render_template("drives/pledges.html", campaign=campaign, pledges=rows, titles=titles)


@bp.get("/<int:campaign_id>/pledges/<int:pledge_id>")
@auth.signed_in_only
def pledge_detail(campaign_id, pledge_id):
    item = pledge_for_organizer(campaign_id, pledge_id)
    return render_receipt(item, Form(form_key=new_key()))


def render_receipt(item, form, status=200):
    return render_template(
        "drives/pledge.html",
        pledge=item,
        campaign=item.campaign,
        receipts=drives.receipts_for_organizer(item, g.user),
        form=form,
    ), status


@bp.post("/<int:campaign_id>/pledges/<int:pledge_id>/received")
@auth.signed_in_only
def record_received(campaign_id, pledge_id):
    item = pledge_for_organizer(campaign_id, pledge_id)
    form = Form(request.form)
    amount = read_amount(form, "amount")
    if len(form["note"]) > models.PledgeReceipt.NOTE_MAX:
        form.error("note", _l("Write at most %(count)s letters.", count=digits(models.PledgeReceipt.NOTE_MAX)))
    if form.ok:
        try:
            drives.record_receipt(item, g.user, form.form_key(), amount, form["note"])
            flash(_("Recorded as received."))
            return redirect(url_for("drives.pledge_detail", campaign_id=item.campaign_id, pledge_id=item.id))
        except drives.DriveError as refused:
            form.error("amount", DRIVE_PROBLEMS[refused.reason])
    return render_receipt(models.DrivePledge.get_by_id(item.id), form, 422)
