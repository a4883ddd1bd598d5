"""The time bank (بانک زمان): a double-entry ledger of minutes that never lets an account cross its floor."""

import datetime

from peewee import JOIN, IntegrityError, SqliteDatabase, fn

from hamsayeh import persian
from hamsayeh.domain import audit, centers
from models import (
    CENTER_FLOOR,
    DEFAULT_FLOOR,
    LOWEST_FLOOR,
    MAX_TRANSFER,
    ActivityType,
    Area,
    AuditEntry,
    HelpPost,
    HelpResponse,
    TimeAccount,
    TimeTransfer,
    TrustedHelper,
    User,
    db,
    utcnow,
    write_transaction,
)

# WeasyPrint lays out a statement's line in about 7 ms (15 ms on a busy
# machine): a part of at most this many lines stays under a second, however
# many transfers a member makes in a month (bench/expensive.py).
STATEMENT_LINES = 50
# The Jalali years a statement may be asked for: the ledger's dates fall well
# inside them, and jdatetime cannot count past either end of its own range.
STATEMENT_YEARS = range(1300, 1501)
# Each send by hand names a number: a member sends (or tries) this many an hour.
SENDS_AN_HOUR = 20
SENDS_WINDOW = datetime.timedelta(hours=1)
# Pool payments a day for help on the posts one person filed for others. A
# second person confirms each of them, and this bounds what a filer who
# answers their own needs from a second account can draw, even with an
# accomplice.
POOL_PAYMENTS_A_DAY = 3


class TransferError(ValueError):
    """Why a transfer cannot be made: "floor", "self", "amount", "reversed",
    "recipient" (no active member has the number), "own" (someone acting
    for the payer cannot be paid from their account), "acting" (only a
    trusted helper the payer accepted moves their hours), "filer" (whoever
    filed a need for a neighbor does not also pay for it from the pool),
    "no_account" (the helper has no account to be paid), "pool_limit" (the
    pool paid enough today for the posts this person filed), "busy" (too many
    sends by hand in the last hour)."""

    def __init__(self, reason, account=None):
        super().__init__(reason)
        self.reason = reason
        self.account = account


def _account(field, owner, create, **defaults):
    """The owner's account, made on first use; with `create` false, an unsaved
    empty one instead (for pages that only show it)."""
    account = TimeAccount.get_or_none(field == owner)
    if account is None and not create:
        return TimeAccount(**{field.name: owner}, **defaults)
    if account is None:
        try:
            with db.atomic():
                account = TimeAccount.create(**{field.name: owner}, **defaults)
        except IntegrityError:
            account = TimeAccount.get(field == owner)
    return account


def member_account(user, create=True):
    return _account(TimeAccount.user, user, create, kind="member", floor=DEFAULT_FLOOR)


def center_account(center, create=True):
    return _account(TimeAccount.center, center, create, kind="center", floor=CENTER_FLOOR)


def pool_area(neighborhood):
    """The area whose community pool serves `neighborhood`: its district."""
    return neighborhood.parent if neighborhood.parent_id is not None else neighborhood


def pool_account(area, create=True):
    return _account(TimeAccount.area, area, create, kind="pool")


def area_pool(area):
    """The area's community pool, if anyone has given to it yet."""
    return TimeAccount.get_or_none(TimeAccount.area == area)


def saved_account(account):
    """`account` as stored: made now if it was only shown until this moment."""
    if account.id is not None:
        return account
    if account.kind == "member":
        return member_account(account.user)
    return center_account(account.center) if account.kind == "center" else pool_account(account.area)


def current_account(account):
    """The account as it is now (its balance may have moved since it was read)."""
    return TimeAccount.get_by_id(account.id) if account.id is not None else account


def is_own_account(user, account):
    return user is not None and account.user_id is not None and account.user_id == user.id


def transfer(source, target, minutes, made_by, kind="manual", reason="", form_key=None, response=None, reverses=None):
    """Move `minutes` from one account to another, all or nothing.

    The payer's row is locked first (both rows, in id order, on PostgreSQL; the
    whole database on SQLite), the debit is a conditional update that cannot
    cross the floor, and a CHECK constraint backs it. A repeated `form_key`,
    `response` or `reverses` returns the transfer already made."""
    if source.id == target.id:
        raise TransferError("self")
    if not isinstance(minutes, int) or not 0 < minutes <= MAX_TRANSFER:
        raise TransferError("amount")
    if kind != "help" and is_own_account(made_by, target) and not is_own_account(made_by, source):
        # No one moves hours that are not theirs into their own account: not
        # someone acting for a member, nor staff from a center's account or by
        # correcting a transfer.
        raise TransferError("own")
    try:
        with write_transaction():
            if not isinstance(db.obj, SqliteDatabase):
                ids = sorted((source.id, target.id))
                list(
                    TimeAccount.select(TimeAccount.id)
                    .where(TimeAccount.id.in_(ids))
                    .order_by(TimeAccount.id)
                    .for_update()
                )
            # Looked for only once the accounts are locked: a double submit
            # waits for the first and then finds it.
            existing = _same_transfer(form_key, response, reverses)
            if existing is not None:
                return existing
            debited = (
                TimeAccount.update(balance=TimeAccount.balance - minutes)
                .where(TimeAccount.id == source.id, TimeAccount.balance - minutes >= TimeAccount.floor)
                .execute()
            )
            if not debited:
                raise TransferError("floor", source)
            TimeAccount.update(balance=TimeAccount.balance + minutes).where(TimeAccount.id == target.id).execute()
            return TimeTransfer.create(
                kind=kind,
                source=source,
                target=target,
                minutes=minutes,
                reason=reason,
                made_by=made_by,
                form_key=form_key,
                response=response,
                reverses=reverses,
            )
    except IntegrityError:
        # Another worker made the same transfer a moment ago: return it.
        existing = _same_transfer(form_key, response, reverses)
        if existing is None:
            raise
        return existing


def _same_transfer(form_key, response, reverses):
    for field, value in (
        (TimeTransfer.form_key, form_key),
        (TimeTransfer.response, response),
        (TimeTransfer.reverses, reverses),
    ):
        if value is not None:
            found = TimeTransfer.get_or_none(field == value)
            if found is not None:
                return found
    return None


def reverse_transfer(original, made_by, reason):
    """Undo `original` with a transfer back; only once."""
    if original.kind == "reversal":
        raise TransferError("reversed")
    return transfer(
        original.target, original.source, original.minutes, made_by, kind="reversal", reason=reason, reverses=original
    )


def moves_hours_for(actor, holder):
    """Whether `actor`, acting for `holder`, may move the holder's hours: only
    a trusted helper the holder named and who accepted. Staff acting at a desk
    for a member they look after may not: the member never agreed to it, and
    a second account of the staff member's own could be paid."""
    return (
        TrustedHelper.select()
        .where(TrustedHelper.person == holder, TrustedHelper.helper == actor, TrustedHelper.status == "accepted")
        .exists()
    )


def check_send(source, phone, minutes, holder, actor=None):
    """What can be said of sending `minutes` from `source` to `phone` before
    the number is looked up: a TransferError for someone acting without the
    holder's consent (moves_hours_for), a wrong amount, the holder's
    or the actor's own number, or an amount past the floor. It depends on
    nobody else's account, so the confirmation it leads to is the same page
    for any number."""
    if actor is not None and not moves_hours_for(actor, holder):
        raise TransferError("acting")
    if not isinstance(minutes, int) or not 0 < minutes <= MAX_TRANSFER:
        raise TransferError("amount")
    if phone == holder.phone:
        raise TransferError("self")
    if actor is not None and phone == actor.phone:
        raise TransferError("own")
    paying = current_account(source)
    if paying.balance - minutes < paying.floor:
        raise TransferError("floor", paying)


def recent_sends(maker, now=None):
    """How many sends by hand `maker` made or tried in the last hour: their
    manual transfers, and the sends refused because of the number."""
    since = (now or utcnow()) - SENDS_WINDOW
    made = TimeTransfer.select().where(
        TimeTransfer.made_by == maker, TimeTransfer.kind == "manual", TimeTransfer.created_at > since
    )
    refused = AuditEntry.select().where(
        AuditEntry.actor == maker, AuditEntry.action == "timebank.send_refused", AuditEntry.at > since
    )
    return made.count() + refused.count()


def send_hours(source, phone, minutes, holder, actor=None, reason="", form_key=None, now=None):
    """Hours by hand from `source` (the holder's own account, or the account
    of the center the holder works at) to the active member whose number is
    `phone`. `actor` is who is really there when someone acts for the holder:
    the transfer names them as its maker.

    Whether the number belongs to anyone is told only when the transfer could
    otherwise be made (check_send first), an unknown number and one that
    cannot receive get the same answer, and each such refusal is audited and
    counts with the maker's transfers against SENDS_AN_HOUR: the form is a
    slow and costly way to learn who has an account."""
    made_by = actor or holder
    existing = _same_transfer(form_key, None, None)
    if existing is not None:
        return existing
    check_send(source, phone, minutes, holder, actor)
    if recent_sends(made_by, now) >= SENDS_AN_HOUR:
        raise TransferError("busy")
    recipient = User.by_phone(phone)
    if recipient is None or not recipient.is_active:
        with write_transaction():
            audit.record_audit("timebank.send_refused", actor=made_by, subject=audit.phone_subject(phone))
        raise TransferError("recipient")
    return transfer(
        saved_account(source), member_account(recipient), minutes, made_by, reason=reason, form_key=form_key
    )


def give_to_pool(holder, pool, minutes, actor=None, reason="", form_key=None):
    """The holder's hours to their district's community pool."""
    if actor is not None and not moves_hours_for(actor, holder):
        raise TransferError("acting")
    return transfer(
        member_account(holder), saved_account(pool), minutes, actor or holder, reason=reason, form_key=form_key
    )


def help_accounts(response):
    """Who pays for `response` (in the order tried) and who is paid. The
    helped member pays, or their district's community pool: for a neighbor
    filed for without an account, and first for members whom staff let the
    pool pay for. Accounts are made here, before the payment's transaction,
    so that a refused payment leaves them in place."""
    post = response.post
    if post.on_behalf_name and post.kind != "request":
        # An offer filed for a neighbor: the neighbor gave the help and has
        # no account; paying would pay whoever filed it.
        raise TransferError("no_account")
    helper = member_account(User.get_by_id(post.helper(response)))
    pool = pool_account(pool_area(post.neighborhood))
    helped = None if post.on_behalf_name else member_account(User.get_by_id(post.helped_person(response)))
    payers = [pool] if helped is None else [pool, helped] if helped.pool_pays else [helped]
    return payers, helper


def pool_payments_today(filer, now=None):
    """How many helps on posts `filer` filed for others the pool paid in the last day."""
    since = (now or utcnow()) - datetime.timedelta(days=1)
    return (
        TimeTransfer.select()
        .join(TimeAccount, on=(TimeTransfer.source == TimeAccount.id))
        .switch(TimeTransfer)
        .join(HelpResponse)
        .join(HelpPost)
        .where(
            TimeTransfer.kind == "help",
            TimeAccount.kind == "pool",
            HelpPost.filed_by == filer,
            TimeTransfer.created_at > since,
        )
        .count()
    )


def _pool_may_pay(post):
    """Whether the pool may pay once more for `post`: it may pay for the posts
    of one filer at most `POOL_PAYMENTS_A_DAY` times a day. Part of the
    payment's transaction: on PostgreSQL the filer's row is locked, so two
    confirmations at once are counted one after the other."""
    if post.filed_by_id is None:
        return True
    if not isinstance(db.obj, SqliteDatabase):
        list(User.select(User.id).where(User.id == post.filed_by_id).for_update())
    return pool_payments_today(post.filed_by_id) < POOL_PAYMENTS_A_DAY


def pay_for_help(response, minutes, made_by, payers, helper):
    """Pay the helper of a confirmed answer (part of confirming it): the first
    of `payers` that stays above its floor pays. The pool is passed over when
    it paid enough today for posts filed by the same person."""
    post = response.post
    if payers[0].kind == "pool" and not _pool_may_pay(post):
        if len(payers) == 1:
            raise TransferError("pool_limit", payers[0])
        payers = payers[1:]
    reason = post.activity_type.name
    for payer in payers[:-1]:
        try:
            return transfer(payer, helper, minutes, made_by, kind="help", reason=reason, response=response)
        except TransferError as error:
            if error.reason != "floor":
                raise
    return transfer(payers[-1], helper, minutes, made_by, kind="help", reason=reason, response=response)


def set_floor(account, floor, pool_pays, actor):
    """Staff set how far an account may go below zero, and whether the pool
    pays; never for their own account."""
    if is_own_account(actor, account):
        raise TransferError("own", account)
    if account.kind != "member" or not LOWEST_FLOOR <= floor <= 0:
        raise TransferError("amount")
    with write_transaction():
        changed = (
            TimeAccount.update(floor=floor, pool_pays=pool_pays)
            .where(TimeAccount.id == account.id, TimeAccount.balance >= floor)
            .execute()
        )
        if not changed:
            raise TransferError("floor", account)
        audit.record_audit(
            "time.floor", actor=actor, subject=f"time_account:{account.id}", detail=f"{floor} {pool_pays}"
        )


def center_member_accounts(center):
    """Time accounts of the members the center's staff look after
    (`centers.looked_after`: those whose center it is, and its named additions), by name."""
    return (
        TimeAccount.select(TimeAccount, User)
        .join(User)
        .where(centers.looked_after(center))
        .order_by(User.name, User.id)
    )


def center_accounts_page(center, viewer, number, size):
    """One page of the center's members' accounts, and whether more follow;
    the look is audited (balances are personal)."""
    found = list(center_member_accounts(center).offset((number - 1) * size).limit(size + 1))
    audit.audit("time.center_accounts", actor=viewer, subject=f"center:{center.id}", detail=f"page {number}")
    return found[:size], len(found) > size


def record_account_viewed(account, viewer):
    audit.audit("time.account_viewed", actor=viewer, subject=f"time_account:{account.id}")


def _transfers():
    """Transfers, each with the kind of help it paid for, if any
    (`transfer.response.post.activity_type`): what a page names a help by,
    in the reader's language, with no query a line."""
    return (
        TimeTransfer.select(TimeTransfer, HelpResponse, HelpPost, ActivityType)
        .join(HelpResponse, JOIN.LEFT_OUTER, on=(TimeTransfer.response == HelpResponse.id))
        .join(HelpPost, JOIN.LEFT_OUTER, on=(HelpResponse.post == HelpPost.id))
        .join(ActivityType, JOIN.LEFT_OUTER, on=(HelpPost.activity_type == ActivityType.id))
        .switch(TimeTransfer)
    )


def account_history(account, limit=None):
    """The account's transfers, newest first."""
    query = (
        _transfers()
        .where((TimeTransfer.source == account) | (TimeTransfer.target == account))
        .order_by(TimeTransfer.created_at.desc(), TimeTransfer.id.desc())
    )
    return query.limit(limit) if limit else query


def _line(account, item):
    """A transfer as `account` sees it: minutes in (or out, negative), the
    other side, and who made it when that was someone else than the holder
    taking hours out (staff, or someone acting for them)."""
    incoming = item.target_id == account.id
    maker = None
    if not incoming and account.kind == "member" and item.made_by_id != account.user_id:
        maker = item.made_by
    return (item.minutes, item.source, maker) if incoming else (-item.minutes, item.target, maker)


def history_page(account, number, size):
    """One page of the account's history, newest first, as lines (transfer,
    change, other side, maker), and whether older ones follow."""
    found = list(account_history(account).offset((number - 1) * size).limit(size + 1))
    return [(item, *_line(account, item)) for item in found[:size]], len(found) > size


# --- Statements, by Jalali month ---------------------------------------------------------


def _tehran_midnight(day):
    """The first moment of a Gregorian `day` in Tehran, in the naive UTC the ledger keeps."""
    local = datetime.datetime.combine(day, datetime.time(), tzinfo=persian.TEHRAN)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def jalali_month_bounds(year, month):
    """The first moment of a Jalali month and of the next one (UTC): the
    moments `persian.jalali_month` puts in that month lie between them."""
    month = persian.JalaliMonth(year, month)
    return _tehran_midnight(month.first_day), _tehran_midnight(month.next().first_day)


def statement_months(account):
    """The Jalali months a statement can be printed for, newest first: from
    the account's first transfer to this month."""
    first = account_history(account).order_by(TimeTransfer.created_at, TimeTransfer.id).first()
    month = persian.jalali_month()
    oldest = persian.jalali_month(first.created_at) if first else month
    months = []
    while month >= oldest:
        months.append(month)
        month = month.previous()
    return months


def _net(account, *where):
    """Minutes into `account` less minutes out of it, over the transfers `where` picks."""

    def total(side):
        summed = TimeTransfer.select(fn.COALESCE(fn.SUM(TimeTransfer.minutes), 0)).where(side == account, *where)
        return summed.scalar()

    return total(TimeTransfer.target) - total(TimeTransfer.source)


def month_statement(account, year, month, part=1, size=STATEMENT_LINES):
    """Part `part` of the account's statement for a Jalali month: the balance
    it opens with, its lines oldest first (transfer, change, other side, maker,
    balance after), and whether another part follows. A part holds at most
    `size` lines, so a statement costs the same however busy the account."""
    start, end = jalali_month_bounds(year, month)
    in_month = (
        _transfers()
        .where(
            (TimeTransfer.source == account) | (TimeTransfer.target == account),
            TimeTransfer.created_at >= start,
            TimeTransfer.created_at < end,
        )
        .order_by(TimeTransfer.created_at, TimeTransfer.id)
    )
    balance = _net(account, TimeTransfer.created_at < start)
    skipped = (part - 1) * size
    if skipped:
        earlier = in_month.select(TimeTransfer.minutes, TimeTransfer.target).limit(skipped).tuples()
        balance += sum(minutes if target == account.id else -minutes for minutes, target in earlier)
    opening = balance
    found = list(in_month.offset(skipped).limit(size + 1))
    lines = []
    for item in found[:size]:
        change, other, maker = _line(account, item)
        balance += change
        lines.append((item, change, other, maker, balance))
    return opening, lines, len(found) > size


def verify_ledger():
    """Accounts whose balance differs from their transfers, and the sum of all
    balances (zero when nothing was lost or invented)."""
    received = (
        TimeTransfer.select(TimeTransfer.target.alias("account"), fn.SUM(TimeTransfer.minutes).alias("minutes"))
        .group_by(TimeTransfer.target)
        .tuples()
    )
    given = (
        TimeTransfer.select(TimeTransfer.source.alias("account"), fn.SUM(TimeTransfer.minutes).alias("minutes"))
        .group_by(TimeTransfer.source)
        .tuples()
    )
    expected = {}
    for account, minutes in received:
        expected[account] = expected.get(account, 0) + minutes
    for account, minutes in given:
        expected[account] = expected.get(account, 0) - minutes
    wrong = []
    total = 0
    for account_id, balance, floor in TimeAccount.select(
        TimeAccount.id, TimeAccount.balance, TimeAccount.floor
    ).tuples():
        total += balance
        if balance != expected.get(account_id, 0) or balance < floor:
            wrong.append(account_id)
    return wrong, total


def area_time_summary(area, start, end):
    """Help paid in hours in `area` (and below it) between two moments, by
    activity type: counts and sums only, no names. A help whose payment was
    corrected away does not count."""
    corrected = TimeTransfer.alias()
    return (
        ActivityType.select(
            ActivityType, fn.COUNT(TimeTransfer.id).alias("count"), fn.SUM(TimeTransfer.minutes).alias("minutes")
        )
        .join(HelpPost)
        .join(HelpResponse)
        .join(TimeTransfer, on=(TimeTransfer.response == HelpResponse.id))
        .switch(HelpPost)
        .join(Area, on=(HelpPost.neighborhood == Area.id))
        .where(
            TimeTransfer.kind == "help",
            TimeTransfer.created_at >= start,
            TimeTransfer.created_at < end,
            Area.path.startswith(area.path),
            TimeTransfer.id.not_in(corrected.select(corrected.reverses).where(corrected.reverses.is_null(False))),
        )
        .group_by(ActivityType)
        .order_by(fn.SUM(TimeTransfer.minutes).desc(), ActivityType.position)
    )
