"""The time bank (بانک زمان): a double-entry ledger of minutes that never lets an account cross its floor."""

from peewee import IntegrityError, SqliteDatabase, fn

from hamsayeh.domain import audit
from models import (
    CENTER_FLOOR,
    DEFAULT_FLOOR,
    LOWEST_FLOOR,
    MAX_TRANSFER,
    ActivityType,
    Area,
    HelpPost,
    HelpResponse,
    TimeAccount,
    TimeTransfer,
    User,
    VolunteerProfile,
    db,
    write_transaction,
)


class TransferError(ValueError):
    """Why a transfer cannot be made: "floor", "self", "amount", "reversed"."""

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


def help_accounts(response):
    """Who pays for `response` (in the order tried) and who is paid. The
    helped member pays, or their district's community pool: for a neighbor
    filed for without an account, and first for members whom staff let the
    pool pay for. Accounts are made here, before the payment's transaction,
    so that a refused payment leaves them in place."""
    post = response.post
    helper = member_account(User.get_by_id(post.helper(response)))
    pool = pool_account(pool_area(post.neighborhood))
    helped = None if post.on_behalf_name else member_account(User.get_by_id(post.helped_person(response)))
    payers = [pool] if helped is None else [pool, helped] if helped.pool_pays else [helped]
    return payers, helper


def pay_for_help(response, minutes, made_by, payers, helper):
    """Pay the helper of a confirmed answer (part of confirming it): the first
    of `payers` that stays above its floor pays."""
    reason = response.post.activity_type.name
    for payer in payers[:-1]:
        try:
            return transfer(payer, helper, minutes, made_by, kind="help", reason=reason, response=response)
        except TransferError as error:
            if error.reason != "floor":
                raise
    return transfer(payers[-1], helper, minutes, made_by, kind="help", reason=reason, response=response)


def set_floor(account, floor, pool_pays, actor):
    """Staff set how far an account may go below zero, and whether the pool pays."""
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


def _serves(center):
    """Members a center serves: those who live in its area, and volunteers who
    chose it as their place of service."""
    lives_there = User.neighborhood.in_(Area.select(Area.id).where(Area.path.startswith(center.area.path)))
    serves_there = User.id.in_(VolunteerProfile.select(VolunteerProfile.user).where(VolunteerProfile.center == center))
    return lives_there | serves_there


def is_center_member(center, user):
    return User.select().where(User.id == user.id, _serves(center)).exists()


def center_member_accounts(center):
    """Time accounts of the center's members, by name."""
    return TimeAccount.select(TimeAccount, User).join(User).where(_serves(center)).order_by(User.name, User.id)


def account_history(account, limit=None):
    """The account's transfers, newest first."""
    query = (
        TimeTransfer.select()
        .where((TimeTransfer.source == account) | (TimeTransfer.target == account))
        .order_by(TimeTransfer.created_at.desc(), TimeTransfer.id.desc())
    )
    return query.limit(limit) if limit else query


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
