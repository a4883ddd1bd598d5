"""The time bank (بانک زمان): my balance and history, sending hours by hand or
to the community pool, a printable statement, a neighborhood's summary, and
center staff looking after the accounts of their center's members."""

import datetime

import jdatetime
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import persian
from hamsayeh.domain import audit, timebank
from hamsayeh.web import auth, pdf
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import duration

bp = Blueprint("timebank", __name__, url_prefix="/time")

PAGE_SIZE = 30
STATEMENT_MAX = 2000
REASON_MAX = 300
STAFF_ROLES = ("center_staff", "admin")

TRANSFER_KINDS = {
    "help": _l("Help"),
    "manual": _l("Sent by hand"),
    "reversal": _l("Correction"),
}
TRANSFER_ERRORS = {
    "self": _l("You cannot send hours to your own account."),
    "amount": _l("Write a whole number of minutes, more than zero and at most %(most)s."),
    "reversed": _l("A correction cannot itself be corrected. Make a new transfer instead."),
}


def floor_message(account):
    """Why a transfer from `account` was refused, with its current balance."""
    account = models.TimeAccount.get_by_id(account.id)
    if account.kind == "pool":
        return _("The community pool has only %(balance)s.", balance=duration(account.balance))
    return _(
        "This would take the account below its floor of %(floor)s. The balance is %(balance)s.",
        floor=duration(account.floor),
        balance=duration(account.balance),
    )


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


def statement_rows(account, transfers):
    """Each transfer of `account` as (transfer, minutes in or out, other side)."""
    return [
        (
            item,
            item.minutes if item.target_id == account.id else -item.minutes,
            item.source if item.target_id == account.id else item.target,
        )
        for item in transfers
    ]


def requested_page():
    """The page number in the address; the first page for anything else."""
    page = request.args.get("page", "1")
    return persian.whole_number(page, 10000) or 1


def history_page(account):
    number = requested_page()
    found = list(timebank.account_history(account).offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    return number, statement_rows(account, found[:PAGE_SIZE]), len(found) > PAGE_SIZE


@bp.get("/")
@auth.signed_in_only
def index():
    account = timebank.member_account(g.user, create=False)
    page, rows, more = history_page(account)
    pool = my_pool(create=False)
    return render_template(
        "timebank/index.html", account=account, rows=rows, page=page, more=more, pool=pool, kinds=TRANSFER_KINDS
    )


@bp.get("/send")
@auth.signed_in_only
def send_form():
    account = timebank.member_account(g.user, create=False)
    return render_template("timebank/send.html", form=new_form(), account=account, center=None)


@bp.post("/send")
@auth.signed_in_only
def send():
    return send_hours(lambda: timebank.member_account(g.user), None)


@bp.get("/center/send")
@auth.requires_role("center_staff")
def center_send_form():
    center = staff_center() or abort(404)
    account = timebank.center_account(center, create=False)
    return render_template("timebank/send.html", form=new_form(), account=account, center=center)


@bp.post("/center/send")
@auth.requires_role("center_staff")
def center_send():
    """Staff send the center's hours, for example to thank its volunteers."""
    center = staff_center() or abort(404)
    return send_hours(lambda: timebank.center_account(center), center)


def send_hours(source, center):
    """Hours by hand to a member, from `source()`: the member's own account, or
    the center's when `center` is given."""
    form = Form(request.form)
    form.form_key()
    phone = form.phone()
    recipient = models.User.by_phone(phone) if phone else None
    if phone and (recipient is None or not recipient.is_active):
        form.error("phone", _l("No member has this number. Check it and try again."))
    elif recipient is not None and recipient.id == g.user.id:
        form.error("phone", TRANSFER_ERRORS["self"])
    minutes = read_minutes(form)
    reason = read_reason(form, required=True)
    if form.ok:
        made = transfer_from(form, source, lambda: timebank.member_account(recipient), minutes, reason)
        if made is not None:
            flash(_("%(amount)s sent to %(name)s.", amount=duration(made.minutes), name=made.target.owner_name))
            return redirect(url_for("timebank.center_accounts" if center else "timebank.index"))
    if center is None:
        account = timebank.member_account(g.user, create=False)
    else:
        account = timebank.center_account(center, create=False)
    return render_template("timebank/send.html", form=form, account=account, center=center), 422


def transfer_from(form, source, target, minutes, reason):
    """The transfer from `source()` to `target()` (accounts are made only now,
    when the form is right), or None with the reason beside the amount."""
    paying = source()
    try:
        return timebank.transfer(paying, target(), minutes, g.user, reason=reason, form_key=form["form_key"])
    except timebank.TransferError as error:
        if error.reason == "floor":
            form.error("minutes", floor_message(paying))
        else:
            form.error("minutes", TRANSFER_ERRORS[error.reason] % {"most": models.MAX_TRANSFER})
        return None


def my_pool(create=True):
    """The community pool of the member's district, if they chose a neighborhood."""
    neighborhood = catalog().neighborhood(g.user.neighborhood_id) if g.user.neighborhood_id else None
    return timebank.pool_account(timebank.pool_area(neighborhood), create) if neighborhood else None


@bp.get("/give")
@auth.signed_in_only
def give_form():
    return render_template(
        "timebank/give.html",
        form=new_form(),
        pool=my_pool(create=False),
        account=timebank.member_account(g.user, create=False),
    )


@bp.post("/give")
@auth.signed_in_only
def give():
    pool = my_pool(create=False)
    if pool is None:
        flash(_("Choose your neighborhood first: the pool belongs to your district."))
        return redirect(url_for("areas.index"))
    form = Form(request.form)
    form.form_key()
    minutes = read_minutes(form)
    reason = read_reason(form, required=False) or _("A gift to the community pool")
    if form.ok and transfer_from(form, lambda: timebank.member_account(g.user), my_pool, minutes, reason) is not None:
        flash(_("Thank you. %(amount)s went to the pool of %(name)s.", amount=duration(minutes), name=pool.area.name))
        return redirect(url_for("timebank.index"))
    account = timebank.member_account(g.user, create=False)
    return render_template("timebank/give.html", form=form, pool=pool, account=account), 422


@bp.get("/statement.pdf")
@auth.signed_in_only
def statement():
    return statement_pdf(timebank.member_account(g.user, create=False))


def statement_pdf(account):
    """The account's whole history, oldest first, with the balance after each line."""
    transfers = list(timebank.account_history(account, limit=STATEMENT_MAX))[::-1]
    rows, balance = [], account.balance - sum(change for _item, change, _other in statement_rows(account, transfers))
    opening = balance
    for item, change, other in statement_rows(account, transfers):
        balance += change
        rows.append((item, change, other, balance))
    name = f"statement-{jdatetime.date.today().strftime('%Y-%m-%d')}.pdf"
    return pdf.response(
        "pdf/statement.html",
        name,
        account=account,
        rows=rows,
        opening=opening,
        kinds=TRANSFER_KINDS,
        printed_at=datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
        center=statement_center(account),
        qr=pdf.qr_code(url_for("timebank.index", _external=True)),
    )


def statement_center(account):
    """The center a statement is printed for: the center's own, or the one
    nearest the member's neighborhood."""
    if account.center_id:
        return account.center
    home = account.user.neighborhood if account.user_id else None
    return models.Center.within(home.parent or home).first() if home else None


@bp.get("/areas/<int:area_id>")
def summary(area_id):
    """What an area exchanged this Jalali month, by activity type: no names."""
    area = catalog().areas.get(area_id) or abort(404)
    today = jdatetime.date.today()
    start = jdatetime.date(today.year, today.month, 1)
    end = jdatetime.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    # Tehran's midnight, in the UTC that the ledger keeps.
    tehran = datetime.timedelta(hours=3, minutes=30)
    lines = list(
        timebank.area_time_summary(
            area,
            datetime.datetime.combine(start.togregorian(), datetime.time()) - tehran,
            datetime.datetime.combine(end.togregorian(), datetime.time()) - tehran,
        )
    )
    pool = models.TimeAccount.get_or_none(models.TimeAccount.area == area)
    return render_template("timebank/summary.html", area=area, lines=lines, month=start.togregorian(), pool=pool)


# --- Center staff -----------------------------------------------------------------


def staff_center():
    """The center whose members this staff member looks after (admins: any)."""
    return g.user.work_center if g.user.work_center_id else None


def may_manage(account):
    if "admin" in g.roles:
        return True
    center = staff_center()
    return center is not None and account.kind == "member" and timebank.is_center_member(center, account.user)


@bp.get("/center")
@auth.requires_role(*STAFF_ROLES)
def center_accounts():
    center = staff_center()
    if center is None:
        return render_template("timebank/center.html", center=None, accounts=[])
    number = requested_page()
    found = list(timebank.center_member_accounts(center).offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    audit.audit("time.center_accounts", actor=g.user, subject=f"center:{center.id}", detail=f"page {number}")
    return render_template(
        "timebank/center.html",
        center=center,
        center_account=timebank.center_account(center, create=False),
        accounts=found[:PAGE_SIZE],
        page=number,
        more=len(found) > PAGE_SIZE,
    )


def managed_account_or_404(account_id):
    account = models.TimeAccount.get_or_none(models.TimeAccount.id == account_id)
    if account is None or not may_manage(account):
        abort(404)
    return account


@bp.get("/accounts/<int:account_id>")
@auth.requires_role(*STAFF_ROLES)
def account(account_id):
    account = managed_account_or_404(account_id)
    audit.audit("time.account_viewed", actor=g.user, subject=f"time_account:{account.id}")
    return render_account(account, Form(floor=str(-account.floor // 60), pool_pays="1" if account.pool_pays else ""))


def render_account(account, form, status=200):
    page, rows, more = history_page(account)
    return (
        render_template(
            "timebank/account.html", account=account, form=form, rows=rows, page=page, more=more, kinds=TRANSFER_KINDS
        ),
        status,
    )


@bp.post("/accounts/<int:account_id>/floor")
@auth.requires_role(*STAFF_ROLES)
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
            owed = duration(-models.TimeAccount.get_by_id(account.id).balance)
            form.error("floor", _("This member owes %(owed)s already: write at least that many hours.", owed=owed))
    if not form.ok:
        return render_account(account, form, 422)
    flash(_("The account's floor is saved."))
    return redirect(url_for("timebank.account", account_id=account.id))


@bp.post("/transfers/<int:transfer_id>/reverse")
@auth.requires_role(*STAFF_ROLES)
def reverse(transfer_id):
    original = models.TimeTransfer.get_or_none(models.TimeTransfer.id == transfer_id) or abort(404)
    account = next((a for a in (original.source, original.target) if may_manage(a)), None) or abort(404)
    reason = persian.normalize(request.form.get("reason"))[:REASON_MAX] or _("A mistake corrected by staff")
    try:
        timebank.reverse_transfer(original, g.user, reason)
        flash(_("The transfer is corrected by a transfer back."))
    except timebank.TransferError as error:
        if error.reason == "floor":
            flash(floor_message(error.account))
        else:
            flash(TRANSFER_ERRORS[error.reason] % {"most": models.MAX_TRANSFER})
    return redirect(url_for("timebank.account", account_id=account.id))
