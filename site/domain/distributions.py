"""Distributions (issue 16): rounds, points, nominations, entitlements, pickups.

A distribution campaign hands something (a voucher card, a food package) to
households, round after round. Organizations of its areas (mosques, heyats,
people's groups) nominate households as the shared registry knows them (the
keyed hash of the head's national code: the nomination is the organization's
record in the registry); the organizer's staff verify each one, seeing who
was nominated twice, who this campaign served already and who the assembly
gave a like service lately; then the round's eligible list is frozen: each
eligible household gets an entitlement and a code.

A code is twelve digits made by an HMAC under the site's key of a random salt:
the table keeps the salt and the code's SHA-256, so the database alone gives
no code and a code says nothing of another. Twelve digits are never a
national code (ten), and a wrong code says only that it is wrong; a volunteer
who types WRONG_CODES wrong codes in WRONG_WINDOW at a point must wait.

A household picks up once per round, at whichever point: the pickup's
UNIQUE(entitlement) is the rule, on SQLite and PostgreSQL alike; the point
that loses the race hears where and when the first pickup was, and the
refusal is kept for the report. A paper sheet entered later goes through the
same door: its doubles are refused, kept and reported. Every pickup is a
service of the nominating organization in the shared registry."""

import datetime
import hashlib
import hmac
import re
import secrets
from collections import namedtuple

from peewee import JOIN, IntegrityError, fn

from hamsayeh import persian
from hamsayeh.domain import assemblies, audit, campaigns, notifications, rate_limits, registry, sms
from models import (
    Area,
    Beneficiary,
    Campaign,
    Center,
    DistributionPoint,
    DistributionRound,
    Entitlement,
    Nomination,
    Organization,
    Pickup,
    PickupRefusal,
    PointVolunteer,
    RateHit,
    Service,
    User,
    VoucherBatch,
    made_once,
    utcnow,
    write_transaction,
)

CODE_DIGITS = 12
WRONG_CODES, WRONG_WINDOW = 15, 10 * 60  # wrong codes a volunteer may type at a point in ten minutes
CARDS_PER_FILE = 250  # a file of cards (25 pages of ten): a laying-out process holds one file's pages
CARDS_PER_PART = 50  # laid out at a time inside a file
CHUNK = 500  # rows written or read at a time

Outcome = namedtuple("Outcome", "status pickup")  # status: "done", "already" (pickup: the first), "entered"
SheetResult = namedtuple("SheetResult", "done doubles entered")


class DistributionError(ValueError):
    """Why a step was refused; `reason` is one of: "round" (not in the right
    state, or a code of another round), "campaign" (a code, point or place
    of another campaign), "unknown" (no such code or reference), "area"
    (outside the campaign's areas), "double" (the household is verified in
    this round already), "assembly" (the organization belongs to no
    assembly), "limit" (too many wrong codes: wait), "sheet" (a reference
    not on this point's sheet), "name" (a point of that name exists)."""

    def __init__(self, reason, field=""):
        super().__init__(reason)
        self.reason, self.field = reason, field


# --- Rounds and points -----------------------------------------------------------------


def rounds_of(campaign):
    return list(
        DistributionRound.select().where(DistributionRound.campaign == campaign).order_by(DistributionRound.number)
    )


def get_round(round_id):
    return DistributionRound.get_or_none(DistributionRound.id == round_id)


def add_round(campaign, actor, form_key, title, item, category="food", value=0):
    if campaign.kind != "distribution":
        raise DistributionError("campaign")

    def make():
        number = (
            DistributionRound.select(fn.MAX(DistributionRound.number))
            .where(DistributionRound.campaign == campaign)
            .scalar()
            or 0
        ) + 1
        made = DistributionRound.create(
            campaign=campaign,
            number=number,
            title=title,
            item=item,
            category=category,
            value=value,
            created_by=actor,
            form_key=form_key,
        )
        audit.record_audit("distribution.round_added", actor=actor, subject=f"round:{made.id}")
        return made

    return made_once(DistributionRound, form_key, make)


def points_of(campaign):
    return list(
        DistributionPoint.select(DistributionPoint, Area)
        .join(Area)
        .where(DistributionPoint.campaign == campaign)
        .order_by(DistributionPoint.name)
    )


def get_point(point_id):
    return DistributionPoint.get_or_none(DistributionPoint.id == point_id)


def add_point(campaign, actor, form_key, name, area, organization=None, center=None, address=""):
    """A point of the campaign in one of its areas (DistributionError "area" if not)."""
    if campaign.kind != "distribution":
        raise DistributionError("campaign")
    if not campaigns.covers(campaign, area):
        raise DistributionError("area", "area")
    found = DistributionPoint.get_or_none(DistributionPoint.campaign == campaign, DistributionPoint.name == name)
    if found is not None and found.form_key != form_key:
        raise DistributionError("name", "name")

    def make():
        made = DistributionPoint.create(
            campaign=campaign,
            name=name,
            area=area,
            organization=organization,
            center=center,
            address=address,
            created_by=actor,
            form_key=form_key,
        )
        audit.record_audit("distribution.point_added", actor=actor, subject=f"point:{made.id}")
        return made

    return made_once(DistributionPoint, form_key, make)


def add_volunteer(point, user, actor):
    """`user` marks pickups at `point`; False when they did already."""
    with write_transaction():
        added = (
            PointVolunteer.insert(point=point, user=user, added_by=actor).on_conflict_ignore().as_rowcount().execute()
        )
        if added:
            audit.record_audit(
                "distribution.volunteer_added", actor=actor, subject=f"point:{point.id}", detail=f"user:{user.id}"
            )
    return bool(added)


def remove_volunteer(point, user_id, actor):
    with write_transaction():
        removed = PointVolunteer.delete().where(PointVolunteer.point == point, PointVolunteer.user == user_id).execute()
        if removed:
            audit.record_audit(
                "distribution.volunteer_removed", actor=actor, subject=f"point:{point.id}", detail=f"user:{user_id}"
            )
    return bool(removed)


def volunteers_of(point):
    return list(
        User.select()
        .join(PointVolunteer, on=(PointVolunteer.user == User.id))
        .where(PointVolunteer.point == point)
        .order_by(User.name)
    )


def volunteers_at(user, point):
    return (
        user is not None
        and PointVolunteer.select().where(PointVolunteer.point == point, PointVolunteer.user == user).exists()
    )


def posts_of(user):
    """The points where `user` marks pickups, with their campaigns."""
    if user is None:
        return []
    return list(
        DistributionPoint.select(DistributionPoint, Campaign)
        .join(PointVolunteer, on=(PointVolunteer.point == DistributionPoint.id))
        .switch(DistributionPoint)
        .join(Campaign)
        .where(PointVolunteer.user == user, Campaign.status == "open")
        .order_by(DistributionPoint.name)
    )


def open_rounds(campaign):
    """Rounds whose pickups are on (frozen), newest first."""
    return list(
        DistributionRound.select()
        .where(DistributionRound.campaign == campaign, DistributionRound.status == "frozen")
        .order_by(DistributionRound.number.desc())
    )


def close_round(round_, actor):
    with write_transaction():
        closed = (
            DistributionRound.update(status="closed")
            .where(DistributionRound.id == round_.id, DistributionRound.status == "frozen")
            .execute()
        )
        if not closed:
            raise DistributionError("round")
        audit.record_audit("distribution.round_closed", actor=actor, subject=f"round:{round_.id}")


# --- Nominations and their verification --------------------------------------------------


def nominating_organizations(user):
    """Organizations where `user` is staff: those they may nominate for."""
    return [row for kind, row in campaigns.organizers_of(user) if kind == "organization"]


def desk_assembly(organization, area):
    """The assembly whose registry the organization records this household in:
    of its assemblies, the nearest one covering the household's area."""
    found = list(assemblies.assemblies_of(organization))
    if not found:
        raise DistributionError("assembly")
    covering = [a for a in found if area.path.startswith(a.area.path)]
    return max(covering, key=lambda a: len(a.area.path)) if covering else found[0]


def nominate(
    round_, organization, actor, key, form_key, id_kind, number, name, area, household_size=1, phone="", point=None
):
    """The organization nominates a household for the round: its record in the
    shared registry (made once), and the nomination, pending verification."""
    if round_.status != "nominating":
        raise DistributionError("round")
    if not campaigns.covers(round_.campaign, area):
        raise DistributionError("area", "area")
    if point is not None and point.campaign_id != round_.campaign_id:
        raise DistributionError("campaign", "point")
    found = Nomination.get_or_none(Nomination.form_key == form_key)
    if found is not None:
        return found
    desk = registry.at_desk(organization, desk_assembly(organization, area))
    digest = registry.identifier_hash(key, id_kind, number)

    def make():
        record, _new = registry.record_beneficiary(
            desk, actor, key, id_kind, number, name=name, household_size=household_size, area=area
        )
        made = Nomination.create(
            round=round_,
            organization=organization,
            record=record,
            id_kind=id_kind,
            identifier_hash=digest,
            last_digits=number[-4:],
            name=name,
            household_size=household_size,
            area=area,
            phone=phone or "",
            point=point,
            nominated_by=actor,
            form_key=form_key,
        )
        audit.record_audit(
            "distribution.nominated",
            actor=actor,
            subject=f"beneficiary:{record.beneficiary_id}",
            detail=f"round:{round_.id} org:{organization.id}",
        )
        return made

    return made_once(Nomination, form_key, make)


def nominations_of(round_, status=None, organization=None, limit=None):
    found = (
        Nomination.select(Nomination, Organization, Area)
        .join(Organization)
        .switch(Nomination)
        .join(Area)
        .where(Nomination.round == round_)
    )
    if status:
        found = found.where(Nomination.status == status)
    if organization is not None:
        found = found.where(Nomination.organization == organization)
    found = found.order_by(Nomination.id)
    return list(found.limit(limit) if limit else found)


def findings(round_, nominations):
    """What verifying finds of each nomination: {id: set of Nomination.FLAGS}.
    "double": another live nomination of the household in this round;
    "served": this campaign served the household already (an earlier round);
    "registry": the assembly's registry shows a like service within the last
    registry.PARALLEL_DAYS, by another organization."""
    hashes = {n.identifier_hash for n in nominations}
    result = {n.id: set() for n in nominations}
    if not hashes:
        return result
    hashes = list(hashes)
    live = {}
    for row in Nomination.select(Nomination.id, Nomination.identifier_hash).where(
        Nomination.round == round_, Nomination.status != "rejected", Nomination.identifier_hash.in_(hashes)
    ):
        live.setdefault(row.identifier_hash, set()).add(row.id)
    served = {
        row.identifier_hash
        for row in Entitlement.select(Entitlement.identifier_hash)
        .join(Pickup, on=(Pickup.entitlement == Entitlement.id))
        .switch(Entitlement)
        .join(DistributionRound)
        .where(DistributionRound.campaign == round_.campaign_id, Entitlement.identifier_hash.in_(hashes))
    }
    since = persian.today() - datetime.timedelta(days=registry.PARALLEL_DAYS)
    given = {
        (row.beneficiary_id, row.organization_id)
        for row in Service.select(Service.beneficiary, Service.organization).where(
            Service.beneficiary.in_([n.record.beneficiary_id for n in nominations]),
            Service.category == round_.category,
            Service.given_on >= since,
        )
    }
    for n in nominations:
        if len(live.get(n.identifier_hash, ())) > 1:
            result[n.id].add("double")
        if n.identifier_hash in served:
            result[n.id].add("served")
        if any(b == n.record.beneficiary_id and o != n.organization_id for b, o in given):
            result[n.id].add("registry")
    return result


def verify(nomination, actor):
    """The organizer's staff verify a nomination against the registry; a
    second verified nomination of one household in a round is refused."""
    with write_transaction():
        round_ = DistributionRound.get_by_id(nomination.round_id)
        if round_.status != "nominating":
            raise DistributionError("round")
        twin = (
            Nomination.select()
            .where(
                Nomination.round == round_,
                Nomination.identifier_hash == nomination.identifier_hash,
                Nomination.status == "verified",
                Nomination.id != nomination.id,
            )
            .exists()
        )
        if twin:
            raise DistributionError("double")
        flags = sorted(findings(round_, [nomination])[nomination.id])
        Nomination.update(status="verified", flags=",".join(flags), verified_by=actor, verified_at=utcnow()).where(
            Nomination.id == nomination.id
        ).execute()
        audit.record_audit(
            "distribution.verified",
            actor=actor,
            subject=f"beneficiary:{nomination.record.beneficiary_id}",
            detail=f"round:{round_.id}",
        )


def reject(nomination, actor, reason=""):
    with write_transaction():
        round_ = DistributionRound.get_by_id(nomination.round_id)
        if round_.status != "nominating":
            raise DistributionError("round")
        flags = sorted(findings(round_, [nomination])[nomination.id])
        Nomination.update(
            status="rejected",
            flags=",".join(flags),
            reason=reason[: Nomination.REASON_MAX],
            verified_by=actor,
            verified_at=utcnow(),
        ).where(Nomination.id == nomination.id).execute()
        audit.record_audit("distribution.rejected", actor=actor, subject=f"nomination:{nomination.id}")


def get_nomination(nomination_id):
    return Nomination.get_or_none(Nomination.id == nomination_id)


# --- Codes and the frozen list --------------------------------------------------------------


def code_of(secret, salt):
    """The entitlement's code: twelve digits from an HMAC of its salt."""
    digest = hmac.new(secret.encode(), f"voucher:{salt}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def code_hash(code):
    return hashlib.sha256(f"voucher:{code}".encode()).hexdigest()


def spaced(code):
    """1234 5678 9012: read aloud, typed, printed."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def clean_code(text):
    """The twelve digits typed (any digits, with spaces or dashes), or None."""
    digits = re.sub(r"[\s\-]", "", persian.normalize(text or ""))
    return digits if re.fullmatch(rf"\d{{{CODE_DIGITS}}}", digits) else None


def _new_codes(secret, count):
    """`count` (salt, code_hash) pairs whose hashes no entitlement holds yet."""
    made = {}
    while len(made) < count:
        wanted = count - len(made)
        fresh = {}
        for _ in range(wanted):
            salt = secrets.token_hex(16)
            fresh.setdefault(code_hash(code_of(secret, salt)), salt)
        taken = set()
        hashes = [h for h in fresh if h not in made]
        for i in range(0, len(hashes), CHUNK):
            part = hashes[i : i + CHUNK]
            taken |= {
                row.code_hash
                for row in Entitlement.select(Entitlement.code_hash).where(Entitlement.code_hash.in_(part))
            }
        made.update({h: s for h, s in fresh.items() if h not in taken and h not in made})
    return [(salt, digest) for digest, salt in made.items()][:count]


def freeze(round_, actor, secret, now=None):
    """Freeze the round's eligible list: every verified nomination gets an
    entitlement (its reference number and code), expected at the point it
    was nominated for, else at the point of its organization. Households
    with a phone are sent their code by SMS. The count of entitlements."""
    now = now or utcnow()
    with write_transaction():
        moved = (
            DistributionRound.update(status="frozen", frozen_at=now, frozen_by=actor)
            .where(DistributionRound.id == round_.id, DistributionRound.status == "nominating")
            .execute()
        )
        if not moved:
            raise DistributionError("round")
        chosen = list(
            Nomination.select(
                Nomination.id, Nomination.identifier_hash, Nomination.point, Nomination.organization, Nomination.phone
            )
            .where(Nomination.round == round_, Nomination.status == "verified")
            .order_by(Nomination.id)
        )
        home = {
            p.organization_id: p.id
            for p in DistributionPoint.select()
            .where(DistributionPoint.campaign == round_.campaign_id, DistributionPoint.organization.is_null(False))
            .order_by(DistributionPoint.id.desc())
        }
        codes = _new_codes(secret, len(chosen))
        rows = [
            {
                "round": round_.id,
                "nomination": n.id,
                "identifier_hash": n.identifier_hash,
                "number": number,
                "salt": salt,
                "code_hash": digest,
                "point": n.point_id or home.get(n.organization_id),
                "created_at": now,
            }
            for number, (n, (salt, digest)) in enumerate(zip(chosen, codes, strict=True), start=1)
        ]
        for i in range(0, len(rows), CHUNK):
            Entitlement.insert_many(rows[i : i + CHUNK]).execute()
        phones = {n.id: n.phone for n in chosen if n.phone}
        if phones:
            send_codes(round_, secret, phones, now)
        audit.record_audit(
            "distribution.frozen", actor=actor, subject=f"round:{round_.id}", detail=f"entitlements:{len(rows)}"
        )
    return len(rows)


def send_codes(round_, secret, phones, now):
    """Each household with a phone hears its code by SMS (once: the event key)."""
    title = Campaign.get_by_id(round_.campaign_id).title
    sent = []
    query = Entitlement.select(Entitlement.id, Entitlement.salt, Entitlement.nomination).where(
        Entitlement.round == round_, Entitlement.nomination.in_(list(phones))
    )
    for row in query:
        body = notifications.text("voucher_code", code=spaced(code_of(secret, row.salt)), title=title)
        if sms.queue_sms(phones[row.nomination_id], body, event_key=f"voucher:{row.id}", urgent=False, now=now):
            sent.append(row.id)
    for i in range(0, len(sent), CHUNK):
        Entitlement.update(sms_sent_at=now).where(Entitlement.id.in_(sent[i : i + CHUNK])).execute()


def entitlement_by_code(code):
    return Entitlement.get_or_none(Entitlement.code_hash == code_hash(code))


# --- Pickups ---------------------------------------------------------------------------------


def _wrong_bucket(point, user):
    return f"voucher-wrong:{point.id}:{user.id}"


def wrong_codes_left(point, user, now=None):
    """How many more wrong codes `user` may type at `point` in this window."""
    now = now or utcnow()
    recent = (
        RateHit.select()
        .where(
            RateHit.bucket == _wrong_bucket(point, user), RateHit.at > now - datetime.timedelta(seconds=WRONG_WINDOW)
        )
        .count()
    )
    return max(0, WRONG_CODES - recent)


def _wrong(point, user, reason, now):
    rate_limits.allow(_wrong_bucket(point, user), WRONG_CODES, WRONG_WINDOW, now=now)
    raise DistributionError(reason, "code")


def mark_pickup(point, round_, actor, text, now=None):
    """The household of the typed or scanned code collects at `point` in
    `round_`: Outcome("done", pickup), or Outcome("already", the first
    pickup) when it collected before, anywhere. DistributionError when the
    code is wrong (unknown, of another round or campaign), the round is not
    open, or the volunteer typed too many wrong codes here lately."""
    now = now or utcnow()
    if round_.campaign_id != point.campaign_id:
        raise DistributionError("campaign", "point")
    if wrong_codes_left(point, actor, now) <= 0:
        raise DistributionError("limit", "code")
    if round_.status != "frozen":
        raise DistributionError("round", "round")
    code = clean_code(text)
    if code is None:
        _wrong(point, actor, "unknown", now)
    entitlement = entitlement_by_code(code)
    if entitlement is None:
        _wrong(point, actor, "unknown", now)
    if entitlement.round_id != round_.id:
        other = DistributionRound.get_by_id(entitlement.round_id)
        _wrong(point, actor, "round" if other.campaign_id == round_.campaign_id else "campaign", now)
    return take(entitlement, point, actor, now, "code")


class _Taken(Exception):
    def __init__(self, pickup):
        self.pickup = pickup


def take(entitlement, point, actor, at, source):
    """One pickup per entitlement: the first wins; a later one is refused and kept."""
    try:
        with write_transaction():
            first = Pickup.get_or_none(Pickup.entitlement == entitlement.id)
            if first is not None:
                raise _Taken(first)
            pickup = Pickup.create(
                entitlement=entitlement.id,
                round=entitlement.round_id,
                point=point,
                marked_by=actor,
                at=at,
                source=source,
            )
            pickup.service = _service(entitlement, point, actor, at)
            pickup.save()
            audit.record_audit(
                "distribution.pickup",
                actor=actor,
                subject=f"entitlement:{entitlement.id}",
                detail=f"point:{point.id} {source}",
            )
            return Outcome("done", pickup)
    except _Taken as taken:
        first = taken.pickup
    except IntegrityError:  # another point won the race (PostgreSQL)
        first = Pickup.get(Pickup.entitlement == entitlement.id)
    if source == "sheet" and first.source == "sheet" and first.point_id == point.id and first.at == at:
        return Outcome("entered", first)  # the same sheet entered twice
    with write_transaction():
        PickupRefusal.create(
            entitlement=entitlement.id, round=entitlement.round_id, point=point, marked_by=actor, at=at, source=source
        )
        audit.record_audit(
            "distribution.double_refused",
            actor=actor,
            subject=f"entitlement:{entitlement.id}",
            detail=f"point:{point.id} {source}",
        )
    return Outcome("already", first)


def _service(entitlement, point, actor, at):
    """The pickup as a service of the nominating organization in the registry."""
    nomination = Nomination.get_by_id(entitlement.nomination_id)
    round_ = DistributionRound.get_by_id(entitlement.round_id)
    record = nomination.record
    return registry.record_service(
        record,
        actor,
        f"pickup-{entitlement.id}",
        category=round_.category,
        given_on=persian.tehran_time(at).date(),
        amount=round_.value,
        note=f"{round_.item} · {point.name}"[:300],
    )


def sheet_of(point, round_):
    """The households expected at `point` in `round_`, by reference: the paper sheet's rows."""
    return list(
        Entitlement.select(Entitlement, Nomination)
        .join(Nomination)
        .where(Entitlement.round == round_, Entitlement.point == point)
        .order_by(Entitlement.number)
    )


def parse_references(text):
    """Reference numbers typed from a sheet (any digits, separated by spaces,
    commas or lines): a sorted list, or None when something is not a number."""
    parts = [p for p in re.split(r"[\s,،]+", persian.normalize(text or "")) if p]
    numbers = [persian.whole_number(p, most=10**7) for p in parts]
    if not numbers or any(n is None or n < 1 for n in numbers):
        return None
    return sorted(set(numbers))


def enter_sheet(point, round_, actor, numbers, at):
    """A paper sheet's signed rows, entered later: each a pickup at `at`, or a
    double refused and reported. References not on this point's sheet refuse
    the whole entry (DistributionError "sheet"), which then writes nothing."""
    if round_.campaign_id != point.campaign_id:
        raise DistributionError("campaign", "point")
    if round_.status != "frozen":
        raise DistributionError("round", "round")
    rows = {
        e.number: e
        for e in Entitlement.select().where(
            Entitlement.round == round_, Entitlement.point == point, Entitlement.number.in_(numbers)
        )
    }
    missing = [n for n in numbers if n not in rows]
    if missing:
        error = DistributionError("sheet", "references")
        error.missing = missing
        raise error
    done, doubles, entered = [], [], []
    for number in numbers:
        outcome = take(rows[number], point, actor, at, "sheet")
        {"done": done, "already": doubles, "entered": entered}[outcome.status].append((number, outcome.pickup))
    return SheetResult(done, doubles, entered)


# --- Voucher cards, made by the worker ------------------------------------------------------


def request_cards(round_, actor):
    """The batch that makes the round's cards: the one under way, or a new one."""
    if round_.status == "nominating":
        raise DistributionError("round")
    with write_transaction():
        found = (
            VoucherBatch.select()
            .where(VoucherBatch.round == round_, VoucherBatch.status.in_(("queued", "running")))
            .first()
        )
        if found is not None:
            return found, False
        total = Entitlement.select().where(Entitlement.round == round_).count()
        batch = VoucherBatch.create(round=round_, created_by=actor, total=total)
        audit.record_audit(
            "distribution.cards_requested", actor=actor, subject=f"round:{round_.id}", detail=f"cards:{total}"
        )
    return batch, True


def batches_of(round_):
    return list(VoucherBatch.select().where(VoucherBatch.round == round_).order_by(VoucherBatch.id.desc()).limit(5))


def claim_cards(batch_id):
    """The worker takes a queued (or failed) batch: the batch and its
    entitlement ids by reference, or (None, []) when another attempt has it."""
    claimed = (
        VoucherBatch.update(status="running", done_count=0, updated_at=utcnow())
        .where(VoucherBatch.id == batch_id, VoucherBatch.status.in_(("queued", "failed")))
        .execute()
    )
    if not claimed:
        return None, []
    batch = VoucherBatch.get_by_id(batch_id)
    ids = [
        row.id
        for row in Entitlement.select(Entitlement.id)
        .where(Entitlement.round == batch.round_id)
        .order_by(Entitlement.number)
    ]
    parts = (len(ids) + CARDS_PER_FILE - 1) // CARDS_PER_FILE
    VoucherBatch.update(total=len(ids), parts=parts).where(VoucherBatch.id == batch.id).execute()
    batch.total, batch.parts = len(ids), parts
    return batch, ids


def cards_of(ids, secret):
    """Cards for these entitlements: (reference, name, code, point name), by reference."""
    rows = (
        Entitlement.select(
            Entitlement.id, Entitlement.number, Entitlement.salt, Nomination.name, DistributionPoint.name
        )
        .join(Nomination)
        .switch(Entitlement)
        .join(DistributionPoint, JOIN.LEFT_OUTER)
        .where(Entitlement.id.in_(ids))
        .order_by(Entitlement.number)
        .tuples()
    )
    return [(number, name, code_of(secret, salt), point or "") for _id, number, salt, name, point in rows]


def cards_progress(batch, done_count):
    VoucherBatch.update(done_count=done_count, updated_at=utcnow()).where(VoucherBatch.id == batch.id).execute()


def cards_failed(batch):
    VoucherBatch.update(status="failed").where(VoucherBatch.id == batch.id).execute()


def cards_done(batch):
    VoucherBatch.update(status="done", done_count=batch.total, finished_at=utcnow()).where(
        VoucherBatch.id == batch.id
    ).execute()


def get_batch(batch_id):
    return VoucherBatch.get_or_none(VoucherBatch.id == batch_id)


# --- What the public page and the reports show -----------------------------------------------


def public_context(campaign):
    """The distribution's part of the campaign's public page: its rounds with
    eligible and served counts, and its points (places, never people)."""
    rounds = rounds_of(campaign)
    eligible = (
        dict(
            Entitlement.select(Entitlement.round, fn.COUNT(Entitlement.id))
            .where(Entitlement.round.in_([r.id for r in rounds]))
            .group_by(Entitlement.round)
            .tuples()
        )
        if rounds
        else {}
    )
    served = (
        dict(
            Pickup.select(Pickup.round, fn.COUNT(Pickup.id))
            .where(Pickup.round.in_([r.id for r in rounds]))
            .group_by(Pickup.round)
            .tuples()
        )
        if rounds
        else {}
    )
    return {
        "rounds": [(r, eligible.get(r.id, 0), served.get(r.id, 0)) for r in rounds],
        "points": points_of(campaign),
    }


def report(round_):
    """A round's progress: per point, per area, per day; the doubles refused."""
    entitled = Entitlement.select().where(Entitlement.round == round_)
    total = entitled.count()
    served = Pickup.select().where(Pickup.round == round_).count()
    expected = dict(
        Entitlement.select(Entitlement.point, fn.COUNT(Entitlement.id))
        .where(Entitlement.round == round_)
        .group_by(Entitlement.point)
        .tuples()
    )
    collected = dict(
        Pickup.select(Pickup.point, fn.COUNT(Pickup.id)).where(Pickup.round == round_).group_by(Pickup.point).tuples()
    )
    refused = dict(
        PickupRefusal.select(PickupRefusal.point, fn.COUNT(PickupRefusal.id))
        .where(PickupRefusal.round == round_)
        .group_by(PickupRefusal.point)
        .tuples()
    )
    points = [
        (p, expected.get(p.id, 0), collected.get(p.id, 0), refused.get(p.id, 0)) for p in points_of(round_.campaign)
    ]
    by_area = {}
    for area_id, picked in (
        Entitlement.select(Nomination.area, Pickup.id.is_null(False))
        .join(Nomination)
        .switch(Entitlement)
        .join(Pickup, JOIN.LEFT_OUTER, on=(Pickup.entitlement == Entitlement.id))
        .where(Entitlement.round == round_)
        .tuples()
    ):
        row = by_area.setdefault(area_id, [0, 0])
        row[0] += 1
        row[1] += bool(picked)
    names = {a.id: a for a in Area.select().where(Area.id.in_(list(by_area)))} if by_area else {}
    areas = sorted(((names[i], e, s) for i, (e, s) in by_area.items()), key=lambda r: r[0].name)
    days = {}
    for (at,) in Pickup.select(Pickup.at).where(Pickup.round == round_).tuples():
        day = persian.tehran_time(at).date()
        days[day] = days.get(day, 0) + 1
    return {
        "total": total,
        "served": served,
        "waiting": total - served,
        "points": points,
        "areas": areas,
        "days": sorted(days.items()),
        "doubles": PickupRefusal.select().where(PickupRefusal.round == round_).count(),
    }


def not_served(round_, limit=None):
    """Entitlements with no pickup yet, by reference, with their households and points."""
    found = (
        Entitlement.select(Entitlement, Nomination, DistributionPoint)
        .join(Nomination)
        .switch(Entitlement)
        .join(DistributionPoint, JOIN.LEFT_OUTER)
        .switch(Entitlement)
        .join(Pickup, JOIN.LEFT_OUTER, on=(Pickup.entitlement == Entitlement.id))
        .where(Entitlement.round == round_, Pickup.id.is_null())
        .order_by(Entitlement.number)
    )
    return list(found.limit(limit) if limit else found)


def doubles_of(round_, limit=None):
    """The doubles refused: each with its entitlement, the point that refused
    it, and the first pickup (where and when)."""
    found = (
        PickupRefusal.select(PickupRefusal, Entitlement, DistributionPoint)
        .join(Entitlement)
        .switch(PickupRefusal)
        .join(DistributionPoint)
        .where(PickupRefusal.round == round_)
        .order_by(PickupRefusal.created_at, PickupRefusal.id)
    )
    rows = list(found.limit(limit) if limit else found)
    firsts = (
        {
            p.entitlement_id: p
            for p in Pickup.select(Pickup, DistributionPoint)
            .join(DistributionPoint)
            .where(Pickup.entitlement.in_([r.entitlement_id for r in rows]))
        }
        if rows
        else {}
    )
    return [(r, firsts.get(r.entitlement_id)) for r in rows]


def csv_rows(round_, actor):
    """Every entitlement of the round, for a spreadsheet: reference, household,
    area, expected point, and its pickup (point, time, how) if any. No code,
    no national code. The export is in the audit log."""
    audit.audit("distribution.exported", actor=actor, subject=f"round:{round_.id}")
    pickups = {
        p.entitlement_id: p
        for p in Pickup.select(Pickup, DistributionPoint).join(DistributionPoint).where(Pickup.round == round_)
    }
    points = {p.id: p.name for p in DistributionPoint.select().where(DistributionPoint.campaign == round_.campaign_id)}
    query = (
        Entitlement.select(Entitlement, Nomination, Area, Organization)
        .join(Nomination)
        .join(Area, on=(Nomination.area == Area.id))
        .switch(Nomination)
        .join(Organization)
        .where(Entitlement.round == round_)
        .order_by(Entitlement.number)
    )
    for e in query:
        p = pickups.get(e.id)
        yield (
            e.number,
            e.nomination.name,
            e.nomination.household_size,
            e.nomination.area.name,
            e.nomination.organization.name,
            points.get(e.point_id, ""),
            p.point.name if p else "",
            p.at if p else None,
            p.source if p else "",
        )


def center_choices(campaign):
    return list(Center.select().order_by(Center.name).limit(200))


def beneficiary_of(nomination):
    return Beneficiary.get_by_id(nomination.record.beneficiary_id)
