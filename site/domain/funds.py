"""Local development funds (صندوق توسعه محلی): a neighborhood's money in a
double-entry ledger of rials that never goes below zero, kept by three to five
trustees (امین) and open to every neighbor. Proposals, votes and expenses are
in `funds_votes`.

Every movement is one FundEntry written in the same transaction as the fund's
balance, which moves by a conditional update backed by a CHECK: the fund's row
is locked first on PostgreSQL, and SQLite's write lock is taken at the start
(`write_transaction`), so two payments racing for the last rials never both
pass."""

import base64
import hashlib
import hmac
import re
import secrets

from peewee import IntegrityError, SqliteDatabase, fn

from hamsayeh import persian
from hamsayeh.domain import audit
from models import (
    FUND_AMOUNT_MAX,
    Area,
    Fund,
    FundArea,
    FundEntry,
    FundPayment,
    FundResident,
    FundTrustee,
    User,
    db,
    made_once,
    utcnow,
    write_transaction,
)

TRUSTEES_LEAST, TRUSTEES_MOST = 3, 5
RECEIPT_TOKEN_BYTES = 16
RECEIPT_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
KEY_PURPOSE = b"hamsayeh fund receipt:"
# What each kind of entry moves, from which account to which.
DIRECTIONS = {
    "contribution": ("contributors", "fund"),
    "transfer_in": ("other_funds", "fund"),
    "refund": ("fund", "contributors"),
    "expense": ("fund", "payees"),
}


class FundError(ValueError):
    """Why a fund's operation was refused; `field` names the form field it
    belongs beside. Reasons: "amount", "balance" (the fund does not hold it),
    "trustee" (not a trustee), "trustees" (not 3 to 5 residents), "areas",
    "rules", "corrected" (an entry corrected already, or a correction),
    "method", "resident" (not a resident of the fund's area), "closed"
    (voting ended), "voting" (not passed), "beyond" (past the approved
    amount), "own" (the submitter's approval), "approved" (once), "paid",
    "receipt", "paper" (a paper ballot is already there), "voted" (the voter
    voted already), "same" (the trustee who entered it), "acting", "roll" (may not keep the roll),
    "away" (does not live in the fund's area)."""

    def __init__(self, reason, field=None):
        super().__init__(reason)
        self.reason = reason
        self.field = field


# --- Who is who --------------------------------------------------------------------------


def area_ids(fund):
    return [link.area_id for link in FundArea.select(FundArea.area).where(FundArea.fund == fund)]


def is_trustee(user, fund):
    return (
        user is not None
        and fund is not None
        and FundTrustee.select().where(FundTrustee.fund == fund, FundTrustee.user == user).exists()
    )


def lives_in_area(user, fund):
    """An active member whose neighborhood (as they set it themself) is one of the fund's."""
    return (
        user is not None
        and user.is_active
        and user.neighborhood_id is not None
        and user.neighborhood_id in area_ids(fund)
    )


def is_on_roll(user, fund):
    return (
        user is not None
        and fund is not None
        and FundResident.select().where(FundResident.fund == fund, FundResident.user == user).exists()
    )


def is_resident(user, fund):
    """A voter of the fund: on its roll (confirmed in person) *and* still
    living in one of its neighborhoods. Choosing a neighborhood on one's own
    profile is not enough, and moving away ends it."""
    return lives_in_area(user, fund) and is_on_roll(user, fund)


def trustees(fund):
    return list(User.select().join(FundTrustee, on=(FundTrustee.user == User.id)).where(FundTrustee.fund == fund))


def funds_of_area(area_id):
    return list(Fund.select().join(FundArea).where(FundArea.area == area_id).order_by(Fund.id))


def funds_of_trustee(user):
    return list(Fund.select().join(FundTrustee).where(FundTrustee.user == user).order_by(Fund.id))


def open_fund(name, areas, trustee_users, opened_by, form_key, voting_days=7, quorum=3, approvals_needed=2):
    """A new fund for `areas` (neighborhoods), with its trustees and rules."""
    name = persian.normalize(name)
    if not 0 < len(name) <= Fund.NAME_MAX:
        raise FundError("name", "name")
    if not areas or any(area.kind != "neighborhood" for area in areas):
        raise FundError("areas", "areas")
    ids = {area.id for area in areas}
    people = {person.id: person for person in trustee_users}
    if not TRUSTEES_LEAST <= len(people) <= TRUSTEES_MOST or any(
        not person.is_active or person.neighborhood_id not in ids for person in people.values()
    ):
        raise FundError("trustees", "trustees")
    if not (1 <= voting_days <= 60 and 1 <= quorum <= 100_000 and 2 <= approvals_needed <= min(4, len(people) - 1)):
        raise FundError("rules", "rules")

    def make():
        fund = Fund.create(
            name=name,
            area=areas[0],
            voting_days=voting_days,
            quorum=quorum,
            approvals_needed=approvals_needed,
            opened_by=opened_by,
            form_key=form_key,
        )
        for area in areas:
            FundArea.create(fund=fund, area=area)
        for person in people.values():
            FundTrustee.create(fund=fund, user=person, named_by=opened_by)
            FundResident.create(fund=fund, user=person, confirmed_by=opened_by, how="named")
        audit.record_audit("funds.open", opened_by, f"fund:{fund.id}", f"trustees={sorted(people)}")
        return fund

    return made_once(Fund, form_key, make)


# --- The ledger ----------------------------------------------------------------------------


def check_amount(amount):
    if not isinstance(amount, int) or not 0 < amount <= FUND_AMOUNT_MAX:
        raise FundError("amount", "amount")
    return amount


def lock_fund(fund):
    """Hold the fund's row until the transaction ends (SQLite's write lock already does)."""
    if not isinstance(db.obj, SqliteDatabase):
        list(Fund.select(Fund.id).where(Fund.id == fund.id).for_update())


def move(fund, kind, source, target, amount, **fields):
    """Write one entry and move the balance with it; inside a write transaction,
    with the fund locked. Money out of the fund is a conditional update: it
    never takes the balance below zero (and the CHECK backs it)."""
    if target == "fund":
        Fund.update(balance=Fund.balance + amount).where(Fund.id == fund.id).execute()
    else:
        taken = Fund.update(balance=Fund.balance - amount).where(Fund.id == fund.id, Fund.balance >= amount).execute()
        if not taken:
            raise FundError("balance", "amount")
    return FundEntry.create(fund=fund, kind=kind, source=source, target=target, amount=amount, **fields)


def _receipt_token(salt, key):
    digest = hmac.new(key.encode(), KEY_PURPOSE + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:RECEIPT_TOKEN_BYTES]).rstrip(b"=").decode()


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def receipt_token(entry, key):
    """The token in a contribution receipt's QR code; None if the site's key changed."""
    if not entry.receipt_salt:
        return None
    token = _receipt_token(entry.receipt_salt, key)
    return token if hmac.compare_digest(_hash(token), entry.receipt_hash) else None


def entry_by_receipt_token(token):
    if not RECEIPT_TOKEN_PATTERN.fullmatch(token or ""):
        return None
    return FundEntry.get_or_none(FundEntry.receipt_hash == _hash(token))


def _receipt_fields(key):
    """A receipt's number and the hash of its QR code's token; none without the site's key (the demo)."""
    if not key:
        return {}
    salt = secrets.token_hex(16)
    number = f"{utcnow():%y%m}-{secrets.randbelow(10**8):08d}"
    return {"receipt_number": number, "receipt_salt": salt, "receipt_hash": _hash(_receipt_token(salt, key))}


def _existing(form_key):
    return FundEntry.get_or_none(FundEntry.form_key == form_key) if form_key else None


def _once(form_key, write):
    """`write()` in a write transaction, once per form: a double submit finds the first entry."""
    try:
        with write_transaction():
            found = _existing(form_key)
            return found if found is not None else write()
    except IntegrityError:
        found = _existing(form_key)
        if found is None:
            raise
        return found


def record_contribution(
    fund, trustee, amount, method, key, contributor=None, name="", anonymous=False, reason="", form_key=None
):
    """Money a trustee received (cash or a bank transfer): an entry, and a
    receipt the contributor can check by its QR code."""
    if not is_trustee(trustee, fund):
        raise FundError("trustee")
    check_amount(amount)
    if method not in ("cash", "bank"):
        raise FundError("method", "method")
    name = "" if anonymous else persian.normalize(name or (contributor.name if contributor else ""))[:80]

    def write():
        lock_fund(fund)
        entry = move(
            fund,
            "contribution",
            "contributors",
            "fund",
            amount,
            contributor=None if anonymous else contributor,
            contributor_name=name,
            method=method,
            reason=reason[: FundEntry.REASON_MAX],
            recorded_by=trustee,
            form_key=form_key,
            **_receipt_fields(key),
        )
        audit.record_audit("funds.contribution", trustee, f"fund:{fund.id}", f"entry={entry.id} amount={amount}")
        return entry

    return _once(form_key, write)


def record_entry(fund, trustee, kind, amount, reason, form_key=None):
    """A transfer in from another fund, or a refund to contributors."""
    if not is_trustee(trustee, fund):
        raise FundError("trustee")
    if kind not in ("transfer_in", "refund"):
        raise FundError("kind", "kind")
    check_amount(amount)
    source, target = DIRECTIONS[kind]

    def write():
        lock_fund(fund)
        entry = move(
            fund,
            kind,
            source,
            target,
            amount,
            reason=reason[: FundEntry.REASON_MAX],
            recorded_by=trustee,
            form_key=form_key,
        )
        audit.record_audit(f"funds.{kind}", trustee, f"fund:{fund.id}", f"entry={entry.id} amount={amount}")
        return entry

    return _once(form_key, write)


def correct_entry(original, trustee, reason, form_key=None):
    """Undo `original` with an entry the other way that points to it; once.
    An expense's correction does not reopen the expense: it returns the money."""
    fund = original.fund
    if not is_trustee(trustee, fund):
        raise FundError("trustee")
    if original.kind == "correction":
        raise FundError("corrected", "reason")
    if not persian.normalize(reason):
        raise FundError("reason", "reason")

    def write():
        lock_fund(fund)
        if FundEntry.select().where(FundEntry.corrects == original).exists():
            raise FundError("corrected", "reason")
        entry = move(
            fund,
            "correction",
            original.target,
            original.source,
            original.amount,
            corrects=original,
            proposal=original.proposal_id,
            reason=reason[: FundEntry.REASON_MAX],
            recorded_by=trustee,
            form_key=form_key,
        )
        audit.record_audit("funds.correction", trustee, f"fund:{fund.id}", f"entry={entry.id} corrects={original.id}")
        return entry

    return _once(form_key, write)


def start_payment(fund, amount, contributor=None, anonymous=False):
    """An online contribution about to go to the gateway: its reference."""
    check_amount(amount)
    with write_transaction():
        return FundPayment.create(
            fund=fund, amount=amount, contributor=contributor, anonymous=anonymous, reference=secrets.token_hex(12)
        )


def attach_gateway_token(payment, token):
    with write_transaction():
        FundPayment.update(gateway_token=token).where(FundPayment.id == payment.id).execute()


def settle_payment(reference, paid_amount, succeeded, key):
    """The gateway's verified answer for the payment `reference`: a
    contribution, once (the entry is unique per payment), or a failure. The
    amount must be the one we asked for."""
    payment = FundPayment.get_or_none(FundPayment.reference == reference)
    if payment is None:
        return None
    try:
        with write_transaction():
            lock_fund(payment.fund)
            payment = FundPayment.get_by_id(payment.id)
            if payment.status != "started":
                return payment
            if not succeeded or paid_amount != payment.amount:
                FundPayment.update(status="failed").where(FundPayment.id == payment.id).execute()
                return FundPayment.get_by_id(payment.id)
            contributor = None if payment.anonymous else payment.contributor
            entry = move(
                payment.fund,
                "contribution",
                "contributors",
                "fund",
                payment.amount,
                contributor=contributor,
                contributor_name="" if contributor is None else contributor.name[:80],
                method="gateway",
                payment=payment,
                **_receipt_fields(key),
            )
            FundPayment.update(status="paid").where(FundPayment.id == payment.id).execute()
            audit.record_audit("funds.gateway_payment", None, f"fund:{payment.fund_id}", f"entry={entry.id}")
    except IntegrityError:
        pass  # the other callback (redirect or server-to-server) settled it a moment ago
    return FundPayment.get_by_id(payment.id)


def payment_entry(payment):
    return FundEntry.get_or_none(FundEntry.payment == payment)


# --- Reading the ledger ----------------------------------------------------------------------


def ledger_balance(fund):
    """The balance the ledger gives: money in less money out."""
    into = FundEntry.select(fn.COALESCE(fn.SUM(FundEntry.amount), 0)).where(
        FundEntry.fund == fund, FundEntry.target == "fund"
    )
    out = FundEntry.select(fn.COALESCE(fn.SUM(FundEntry.amount), 0)).where(
        FundEntry.fund == fund, FundEntry.source == "fund"
    )
    return int(into.scalar()) - int(out.scalar())


def verify_ledger():
    """Funds whose balance is not what their ledger says (none, always)."""
    return [fund.id for fund in Fund.select() if fund.balance != ledger_balance(fund) or fund.balance < 0]


def entries(fund, month=None):
    query = FundEntry.select().where(FundEntry.fund == fund).order_by(FundEntry.created_at, FundEntry.id)
    rows = list(query)
    if month is not None:
        rows = [row for row in rows if persian.jalali_month(row.created_at) == month]
    return rows


def latest_entries(fund, count):
    """The newest `count` entries, newest first."""
    return list(
        FundEntry.select()
        .where(FundEntry.fund == fund)
        .order_by(FundEntry.created_at.desc(), FundEntry.id.desc())
        .limit(count)
    )


def by_month(fund):
    """[(JalaliMonth, money in, money out)], newest first."""
    months = {}
    for row in FundEntry.select(FundEntry.created_at, FundEntry.amount, FundEntry.target).where(FundEntry.fund == fund):
        totals = months.setdefault(persian.jalali_month(row.created_at), [0, 0])
        totals[0 if row.target == "fund" else 1] += row.amount
    return [(month, into, out) for month, (into, out) in sorted(months.items(), reverse=True)]


def masked_name(name):
    """A contributor's name on the public page: the first name and an initial."""
    parts = (name or "").split()
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


def neighborhoods(fund):
    return list(Area.select().join(FundArea, on=(FundArea.area == Area.id)).where(FundArea.fund == fund))


# --- The voter roll -------------------------------------------------------------------------

ROLL_PAGE = 20


def add_to_roll(fund, member, confirmed_by, how):
    """Put `member` on the roll once: a second confirmation (a double submit,
    two people at once) meets the UNIQUE index and adds nothing. Inside a
    transaction, a savepoint keeps the outer one usable."""
    try:
        with db.atomic():
            row = FundResident.create(fund=fund, user=member, confirmed_by=confirmed_by, how=how)
    except IntegrityError:
        return None
    audit.record_audit("funds.roll.add", confirmed_by, f"user:{member.id}", f"fund={fund.id} how={how}")
    return row


def confirm_resident(fund, member, confirmed_by, how):
    """`confirmed_by` (whom `access.keeps_fund_roll` lets in, asked by the
    caller) saw `member` in person: they live in the fund's area and join its
    roll. Whether they were on it already, they are on it afterwards."""
    if how not in FundResident.HOWS or how == "named":
        raise FundError("roll")
    if member is None or not lives_in_area(member, fund):
        raise FundError("away")
    with write_transaction():
        return add_to_roll(fund, member, confirmed_by, how)


def remove_resident(fund, member, removed_by):
    """A member who moved away leaves the roll (audited); True when they were on it."""
    with write_transaction():
        gone = FundResident.delete().where(FundResident.fund == fund, FundResident.user == member).execute()
        if gone:
            audit.record_audit("funds.roll.remove", removed_by, f"user:{member.id}", f"fund={fund.id}")
    return bool(gone)


def _search(query, text):
    text = persian.normalize(text or "")
    if not text:
        return query
    phone = persian.normalize_phone(text)
    if phone:
        return query.where(User.phone == phone)
    return query.where(User.name.contains(text))


def roll_candidates(fund, text="", page=1):
    """Members whose neighborhood is in the fund's area and who are not on its
    roll yet, by name (or one phone number), a page at a time; (rows, more)."""
    on_roll = FundResident.select(FundResident.user).where(FundResident.fund == fund)
    query = User.select().where(User.is_active, User.neighborhood.in_(area_ids(fund)), User.id.not_in(on_roll))
    rows = list(_search(query, text).order_by(User.name, User.id).offset((page - 1) * ROLL_PAGE).limit(ROLL_PAGE + 1))
    return rows[:ROLL_PAGE], len(rows) > ROLL_PAGE


def roll(fund, text="", page=1):
    """The members on the roll, a page at a time; (rows of (user, FundResident), more)."""
    query = FundResident.select(FundResident, User).join(User, on=FundResident.user).where(FundResident.fund == fund)
    rows = list(_search(query, text).order_by(User.name, User.id).offset((page - 1) * ROLL_PAGE).limit(ROLL_PAGE + 1))
    return [(row.user, row) for row in rows[:ROLL_PAGE]], len(rows) > ROLL_PAGE


def roll_size(fund):
    return FundResident.select().where(FundResident.fund == fund).count()
