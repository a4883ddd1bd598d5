"""The time bank (بانک زمان): my balance and history, sending hours by hand or
to the community pool, a printable statement by Jalali month, a
neighborhood's summary, and center staff looking after the accounts of their
center's members (never their own)."""

import datetime
import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, centers, timebank
from hamsayeh.web import auth, limits, pdf
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.labels import floor_message
from hamsayeh.web.templating import digits, duration, local_name

bp = Blueprint("timebank", __name__, url_prefix="/time")

PAGE_SIZE = 30
REASON_MAX = models.TimeTransfer.reason.max_length
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{1,2})")
STATEMENT_PARTS = 10_000

# Keyed from the model's own list: a kind added there without words here fails at import.
TRANSFER_KINDS = dict(zip(models.TimeTransfer.KINDS, (_l("Help"), _l("Sent by hand"), _l("Correction")), strict=True))
# Where each refusal of the domain is told, and in which words.
TRANSFER_ERRORS = {
    "self": ("phone", _l("You cannot send hours to your own account.")),
    "recipient": ("phone", _l("The hours could not be sent to this number. Check it and try again.")),
    "busy": ("phone", _l("You sent hours many times in the last hour. Try again in an hour.")),
    "own": ("phone", _l("These hours are not yours: they cannot go to your own account.")),
    "amount": ("minutes", _l("Write a whole number of minutes, more than zero and at most %(most)s.")),
    "reversed": ("minutes", _l("A correction cannot itself be corrected. Make a new transfer instead.")),
    "acting": (
        "minutes",
        _l("Acting at the desk, you cannot move this member's hours. Only a trusted helper they accepted can."),
    ),
}


def refusal(error):
    """The field a refused transfer is told beside, and the words."""
    if error.reason == "floor":
        return "minutes", floor_message(error.account)
    field, message = TRANSFER_ERRORS[error.reason]
    return field, message % {"most": models.MAX_TRANSFER}


def read_minutes(form, name="minutes", most=models.MAX_TRANSFER):
    """A whole, positive number of minutes from the form (any digits), or None."""
    text = form[name].replace(" ", "")
    if not text:
        form.error(name, _l("Write how many minutes."))
    elif not (text.isascii() and text.isdecimal()):
        form.error(name, _l("Write the minutes as a whole number, like 90."))
    elif persian.whole_number(text) == 0:
        form.error(name, _l("Write more than zero minutes."))
    elif persian.whole_number(text, most) is None:  # more, or too many digits to be a number of minutes
        form.error(name, _l("At most %(most)s minutes (%(hours)s hours) in one transfer.", most=most, hours=most // 60))
    else:
        return int(text)
    return None


def read_reason(form, required):
    reason = form["reason"]
    if required and not reason:
        form.error("reason", _l("Write what the hours are for."))
    elif len(reason) > REASON_MAX:
        form.error("reason", _l("Write at most %(count)s letters.", count=REASON_MAX))
    return reason


def new_form(**values):
    return Form(form_key=new_key(), **values)


def requested_page():
    """The page number in the address; the first page for anything else."""
    return persian.whole_number(request.args.get("page", "1"), 10000) or 1


def my_account():
    """The signed-in member's account; shown before it is made."""
    return timebank.member_account(g.user, create=False)


def my_pool():
    """The community pool of the member's district, if they chose a neighborhood."""
    neighborhood = catalog().neighborhood(g.user.neighborhood_id) if g.user.neighborhood_id else None
    return timebank.pool_account(timebank.pool_area(neighborhood), create=False) if neighborhood else None


def month_choices(account):
    """The months a statement can be printed for, as (value, label)."""
    return [(f"{month.year}-{month.month:02d}", month.name()) for month in timebank.statement_months(account)]


@bp.get("/")
@auth.requires()
def index():
    account = my_account()
    page = requested_page()
    rows, more = timebank.history_page(account, page, PAGE_SIZE)
    return render_template(
        "timebank/index.html",
        account=account,
        rows=rows,
        page=page,
        more=more,
        pool=my_pool(),
        kinds=TRANSFER_KINDS,
        months=month_choices(account),
    )


@bp.get("/send")
@auth.requires()
def send_form():
    return render_template("timebank/send.html", form=new_form(), account=my_account(), center=None)


@bp.post("/send")
@auth.requires()
def send():
    return send_hours(my_account(), None)


def work_center():
    """The center where the staff member works, once an administrator assigned
    it: their workplace, whatever center serves their home (centers.home_center)."""
    return g.user.work_center if g.user.work_center_id else None


def work_center_or_404():
    """The center whose hours the staff member sends."""
    return work_center() or abort(404)


@bp.get("/center/send")
@auth.requires(access.is_center_staff)
def center_send_form():
    center = work_center_or_404()
    account = timebank.center_account(center, create=False)
    return render_template("timebank/send.html", form=new_form(), account=account, center=center)


@bp.post("/center/send")
@auth.requires(access.is_center_staff)
def center_send():
    """Staff send the center's hours, for example to thank its volunteers."""
    center = work_center_or_404()
    return send_hours(timebank.center_account(center, create=False), center)


def send_hours(account, center):
    """Hours by hand to a member, from `account`: the member's own, or the
    center's when `center` is given. In two steps: the form, then a
    confirmation that names the number only (never whose it is, so it is the
    same page for any number), then the transfer. Whether anyone has the
    number is the domain's to say, in one answer, after the confirmation."""
    form = Form(request.form)
    form.form_key()
    if form["change"]:
        return render_template("timebank/send.html", form=form, account=account, center=center)
    phone = form.phone()
    minutes = read_minutes(form)
    reason = read_reason(form, required=True)
    if form.ok:
        try:
            if form["confirmed"] != "1":
                timebank.check_send(account, phone, minutes, g.user, actor=g.actor)
                return render_template(
                    "timebank/send_confirm.html", form=form, phone=phone, minutes=minutes, center=center
                )
            timebank.send_hours(
                account, phone, minutes, g.user, actor=g.actor, reason=reason, form_key=form["form_key"]
            )
        except timebank.TransferError as error:
            form.error(*refusal(error))
        else:
            flash(
                _("%(amount)s sent to the member with number %(phone)s.", amount=duration(minutes), phone=digits(phone))
            )
            return redirect(url_for("timebank.center_accounts" if center else "timebank.index"))
    account = timebank.current_account(account)
    return render_template("timebank/send.html", form=form, account=account, center=center), 422


@bp.get("/give")
@auth.requires()
def give_form():
    return render_template("timebank/give.html", form=new_form(), pool=my_pool(), account=my_account())


@bp.post("/give")
@auth.requires()
def give():
    pool = my_pool()
    if pool is None:
        flash(_("Choose your neighborhood first: the pool belongs to your district."))
        return redirect(url_for("areas.index"))
    form = Form(request.form)
    form.form_key()
    minutes = read_minutes(form)
    # None written: each page says "a gift to the community pool" in its reader's language.
    reason = read_reason(form, required=False)
    if form.ok:
        try:
            timebank.give_to_pool(g.user, pool, minutes, actor=g.actor, reason=reason, form_key=form["form_key"])
        except timebank.TransferError as error:
            form.error(*refusal(error))
        else:
            flash(
                _(
                    "Thank you. %(amount)s went to the pool of %(name)s.",
                    amount=duration(minutes),
                    name=local_name(pool.area),
                )
            )
            return redirect(url_for("timebank.index"))
    return render_template("timebank/give.html", form=form, pool=pool, account=my_account()), 422


def requested_month():
    """The Jalali month the address asks for; this month when none; 404 for
    anything else, a year outside the ledger's range too."""
    text = persian.to_latin_digits(request.args.get("month", ""))
    if not text:
        return persian.jalali_month()
    match = MONTH_PATTERN.fullmatch(text)
    if match is None or int(match[1]) not in timebank.STATEMENT_YEARS or not 1 <= int(match[2]) <= 12:
        abort(404)
    return persian.JalaliMonth(int(match[1]), int(match[2]))


def requested_part():
    """The part of a month's statement the address asks for (the first when
    none); 404 for anything but a whole number from 1 to STATEMENT_PARTS."""
    part = persian.whole_number(request.args.get("part", "1"), STATEMENT_PARTS)
    return part if part else abort(404)


@bp.get("/statement.pdf")
@auth.requires()
@limits.expensive
def statement():
    """One Jalali month of the member's history, oldest first, with the
    balance after each line; a busy month is printed in parts."""
    account = my_account()
    month = requested_month()
    part = requested_part()
    opening, rows, more = timebank.month_statement(account, *month, part)
    if part > 1 and not rows:  # past the month's last part: nothing to print
        abort(404)
    return pdf.response(
        "pdf/statement.html",
        f"statement-{month.year}-{month.month:02d}{f'-{part}' if part > 1 else ''}.pdf",
        account=account,
        rows=rows,
        opening=opening,
        month=month.name(),
        part=part,
        more=more,
        kinds=TRANSFER_KINDS,
        printed_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
        center=centers.home_center(g.user),
        qr=pdf.qr_code(url_for("timebank.index", _external=True)),
    )


@bp.get("/areas/<int:area_id>")
def summary(area_id):
    """What an area exchanged this Jalali month, by activity type: no names."""
    area = catalog().areas.get(area_id) or abort(404)
    month = persian.jalali_month()
    lines = list(timebank.area_time_summary(area, *timebank.jalali_month_bounds(*month)))
    return render_template(
        "timebank/summary.html", area=area, lines=lines, month=month.first_day, pool=timebank.area_pool(area)
    )


# --- Center staff -----------------------------------------------------------------


@bp.get("/center")
@auth.requires(access.is_center_staff)
def center_accounts():
    center = work_center()
    if center is None:
        return render_template("timebank/center.html", center=None, accounts=[])
    page = requested_page()
    accounts, more = timebank.center_accounts_page(center, g.user, page, PAGE_SIZE)
    return render_template(
        "timebank/center.html",
        center=center,
        center_account=timebank.center_account(center, create=False),
        accounts=accounts,
        page=page,
        more=more,
    )


def managed_account_or_404(account_id):
    """An account the staff member may manage; never their own."""
    account = get_object_or_404(models.TimeAccount, models.TimeAccount.id == account_id)
    if not access.may_manage_time_account(g.user, g.roles, account):
        abort(404)
    return account


def reversible_transfer_or_404(transfer_id):
    """A transfer the staff member may correct: on an account they manage,
    and on neither side their own."""
    transfer = get_object_or_404(models.TimeTransfer, models.TimeTransfer.id == transfer_id)
    if not access.may_reverse_transfer(g.user, g.roles, transfer):
        abort(404)
    return transfer


@bp.get("/accounts/<int:account_id>")
@auth.requires(access.may_run_a_center)
def account(account_id):
    account = managed_account_or_404(account_id)
    timebank.record_account_viewed(account, g.user)
    return render_account(account, Form(floor=str(-account.floor // 60), pool_pays="1" if account.pool_pays else ""))


def render_account(account, form, status=200):
    page = requested_page()
    rows, more = timebank.history_page(account, page, PAGE_SIZE)
    return (
        render_template(
            "timebank/account.html", account=account, form=form, rows=rows, page=page, more=more, kinds=TRANSFER_KINDS
        ),
        status,
    )


@bp.post("/accounts/<int:account_id>/floor")
@auth.requires(access.may_run_a_center)
def save_floor(account_id):
    account = managed_account_or_404(account_id)
    form = Form(request.form)
    text = form["floor"].lstrip("-−").replace(" ", "")
    lowest = -models.LOWEST_FLOOR // 60
    if persian.whole_number(text, lowest) is None:
        form.error("floor", _l("Write how many hours the account may owe, from 0 to %(most)s.", most=lowest))
    else:
        try:
            timebank.set_floor(account, -int(text) * 60, form["pool_pays"] == "1", g.user)
        except timebank.TransferError:
            owed = duration(-timebank.current_account(account).balance)
            form.error("floor", _("This member owes %(owed)s already: write at least that many hours.", owed=owed))
    if not form.ok:
        return render_account(account, form, 422)
    flash(_("The account's floor is saved."))
    return redirect(url_for("timebank.account", account_id=account.id))


@bp.post("/transfers/<int:transfer_id>/reverse")
@auth.requires(access.may_run_a_center)
def reverse(transfer_id):
    original = reversible_transfer_or_404(transfer_id)
    managed = original.source if access.may_manage_time_account(g.user, g.roles, original.source) else original.target
    reason = persian.normalize(request.form.get("reason"))[:REASON_MAX] or _("A mistake corrected by staff")
    try:
        timebank.reverse_transfer(original, g.user, reason)
        flash(_("The transfer is corrected by a transfer back."))
    except timebank.TransferError as error:
        flash(refusal(error)[1])
    return redirect(url_for("timebank.account", account_id=managed.id))
