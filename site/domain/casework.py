"""The municipal welfare desk (seed 004): a needy person's request is
registered at the district's office, a district social worker assesses it
(مددکاری), services follow (given by the municipality or referred to a
partner), visits are kept with their dates, and the case is closed with a
reason or reopened. Every step is a `CaseEvent` (who, when, why) and every
sensitive step an audit entry.

The office is an organization (kind "government") of its district's
assembly: a service it gives, or a partner of that assembly gives on its
referral, is written to the shared registry under the giver, so parallel
services and the shy needy are seen across the municipality and the
charities together. The national code is hashed with the registry's own key
and function, so the desk and the registry recognize the same person.

Saves of a case carry the version they were made from: a save from an older
version changes nothing and raises `Conflict`, so two social workers saving
at once lose nothing."""

import datetime

from peewee import JOIN, SqliteDatabase, fn

from hamsayeh import persian
from hamsayeh.domain import assemblies, audit, inbox, registry
from models import (
    Area,
    AssemblyMember,
    Beneficiary,
    BeneficiaryRecord,
    CaseAppointment,
    CaseAssessment,
    CaseEvent,
    CaseService,
    Organization,
    OrganizationMember,
    Pledge,
    User,
    WelfareCase,
    WelfareOffice,
    WelfareStaff,
    db,
    identifier_hash,
    made_once,
    utcnow,
    write_transaction,
)

# A request not assessed after this many days shows on the desk as waiting too long.
WAITING_DAYS = 7
# A visit's reminder reaches the inbox this long before it.
REMINDER_AHEAD = datetime.timedelta(hours=24)
# The kinds of the shared registry that each of the desk's categories counts as.
REGISTRY_CATEGORIES = {
    "food": "food",
    "health": "medical",
    "legal": "other",
    "shelter": "shelter",
    "marriage": "other",
    "disability": "other",
    "prisoners_family": "other",
    "other": "other",
}
# A service still to be given, by whom it waits on.
PENDING = ("waiting", "planned", "referred", "accepted")


class Conflict(Exception):
    """Someone saved the case since the form was opened: `case` is it as saved now."""

    def __init__(self, case):
        super().__init__(case.id)
        self.case = case


class DuplicateRequest(Exception):
    """The person already has an open request (`existing`, perhaps at another office)."""

    def __init__(self, existing):
        super().__init__(existing.id)
        self.existing = existing


class AlreadyRegistered(Exception):
    """The need on the board or the call-back was registered already: `case` is its request."""

    def __init__(self, case):
        super().__init__(case.id)
        self.case = case


class StateError(Exception):
    """The step does not fit the case's or the service's state any more."""


class NoPlaceLeft(Exception):
    """The pledge has no place or package left."""


# --- Offices and their staff ---------------------------------------------------------------


def office_for(area):
    """The welfare office of the district an area lies in, or None: one query
    on the area's path (a page of call-backs asks it for each of them)."""
    if area is None:
        return None
    ids = [int(part) for part in area.path.strip("/").split("/") if part]
    return (
        WelfareOffice.select(WelfareOffice, Area)
        .join(Area)
        .where(Area.id.in_(ids), Area.kind == "district")
        .order_by(Area.path)
        .first()
    )


def offices():
    return WelfareOffice.select(WelfareOffice, Area).join(Area).order_by(Area.path)


def districts_without_office(limit=500):
    taken = WelfareOffice.select(WelfareOffice.district)
    return Area.select().where(Area.kind == "district", Area.id.not_in(taken)).order_by(Area.path).limit(limit)


def district_assembly(district):
    """The assembly whose registry the office writes to: the district's, else
    the nearest above it (its city's or county's); None when there is none."""
    return assemblies.nearest(district)


def open_office(district, actor, address="", phone=""):
    """Headquarters opens the welfare office of a district: its organization
    (a government office of the district's city) joins the district's assembly."""
    city = next((place for place in reversed(district.ancestors()) if place.kind in ("county", "city")), district)
    county = next((place for place in district.ancestors() if place.kind == "county"), city)
    name = f"اداره رفاه و مشارکت‌های اجتماعی {city.name}، {district.name}"
    with write_transaction():
        found = WelfareOffice.get_or_none(WelfareOffice.district == district)
        if found is not None:
            return found
        organization = Organization.get_or_none(Organization.name == name) or Organization.create(
            name=name, kind="government", county=county, about=""
        )
        office = WelfareOffice.create(district=district, organization=organization, address=address, phone=phone)
        audit.record_audit(
            "case.office_opened", actor=actor, subject=f"office:{office.id}", detail=f"area:{district.id}"
        )
        join_assembly(office, actor)
    return office


def join_assembly(office, actor):
    """The office's organization is a member of the assembly its district's
    registry is kept in (when a district's assembly is made after the office,
    the next step joins it)."""
    assembly = district_assembly(office.district)
    if assembly is not None:
        assemblies.add_member(assembly, office.organization, actor)
    return assembly


def staff_posts(user):
    """The user's active places at welfare offices, with their offices."""
    if user is None:
        return []
    return list(
        WelfareStaff.select(WelfareStaff, WelfareOffice)
        .join(WelfareOffice)
        .where(WelfareStaff.user == user, WelfareStaff.is_active)
        .order_by(WelfareStaff.office)
    )


def staff_of_office(office):
    return (
        WelfareStaff.select(WelfareStaff, User)
        .join(User)
        .where(WelfareStaff.office == office, WelfareStaff.is_active)
        .order_by(WelfareStaff.role, User.name)
    )


def social_workers(office):
    """Who may carry the office's cases: its social workers and its supervisors."""
    return [
        post.user
        for post in staff_of_office(office)
        if post.role in ("social_worker", "supervisor") and post.user.has_role("social_worker")
    ]


def set_staff(office, user, role, actor, exports_codes=False):
    with write_transaction():
        changed = (
            WelfareStaff.update(role=role, is_active=True, exports_codes=exports_codes)
            .where(WelfareStaff.office == office, WelfareStaff.user == user)
            .execute()
        )
        if not changed:
            WelfareStaff.create(office=office, user=user, role=role, exports_codes=exports_codes)
        audit.record_audit(
            "case.staff",
            actor=actor,
            subject=f"user:{user.id}",
            detail=f"office:{office.id} {role} codes:{exports_codes}",
        )


def remove_staff(office, user_id, actor):
    """The member leaves the office: their access ends at once; their open
    cases wait for the supervisor to give them to someone else."""
    with write_transaction():
        WelfareStaff.update(is_active=False).where(
            WelfareStaff.office == office, WelfareStaff.user == user_id
        ).execute()
        audit.record_audit("case.staff_removed", actor=actor, subject=f"user:{user_id}", detail=f"office:{office.id}")


# --- Intake ---------------------------------------------------------------------------------


def identify(key, id_kind, number):
    """(keyed hash, last four digits) of a national code or foreign national's
    number: the registry's hash, so the same person is found in both."""
    return identifier_hash(key, id_kind, number), number[-4:]


def _lock_person(digest):
    """Two desks registering the same person at once meet here (SQLite's write lock already does)."""
    _lock(f"case:{digest}")


def _lock(name):
    if not isinstance(db.obj, SqliteDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))


def open_case_of(digest):
    """The person's open request at any office, oldest first, or None."""
    if not digest:
        return None
    return (
        WelfareCase.select()
        .where(WelfareCase.identifier_hash == digest, WelfareCase.status.in_(WelfareCase.OPEN))
        .order_by(WelfareCase.id)
        .first()
    )


def register(office, actor, form_key, identity=None, as_duplicate=False, **fields):
    """A new request; sent twice, the first. A person with an open request is
    not registered again silently: DuplicateRequest, unless `as_duplicate`,
    when the new one is made and flagged with the open one. A need on the
    board (`board_post`) or a call-back (`callback`) becomes one request:
    AlreadyRegistered names it when another form registered it first."""

    def make():
        kind, digest, last = identity or ("none", None, "")
        linked = case_from(fields.get("board_post"), fields.get("callback"), lock=True)
        if linked is not None:
            raise AlreadyRegistered(linked)
        existing = None
        if digest:
            _lock_person(digest)
            existing = open_case_of(digest)
            if existing is not None and not as_duplicate:
                raise DuplicateRequest(existing)
        case = WelfareCase.create(
            office=office,
            registered_by=actor,
            form_key=form_key,
            id_kind=kind,
            identifier_hash=digest,
            last_digits=last,
            duplicate_of=existing,
            **fields,
        )
        CaseEvent.create(case=case, actor=actor, action="registered", status="registered")
        if existing is not None:
            CaseEvent.create(case=case, actor=actor, action="flagged_duplicate", status="registered")
        audit.record_audit(
            "case.registered", actor=actor, subject=f"case:{case.id}", detail=f"office:{office.id}{_origin(case)}"
        )
        return case

    return made_once(WelfareCase, form_key, make)


def _origin(case):
    if case.board_post_id:
        return f" post:{case.board_post_id}"
    return f" callback:{case.callback_id}" if case.callback_id else ""


def case_from(board_post=None, callback=None, lock=False):
    """The request a need on the board or a call-back became, or None. With
    `lock`, two desks registering the same one at once meet here first (the
    unique column is the last word)."""
    column, origin = WelfareCase.board_post, board_post
    if board_post is None:
        column, origin = WelfareCase.callback, callback
    if origin is None:
        return None
    if lock:
        _lock(f"case-{column.name}:{origin.id}")
    return WelfareCase.get_or_none(column == origin)


def callback_place(callback):
    """Where a call-back came from: its neighborhood, else its center's area; None for neither."""
    if callback.neighborhood_id:
        return callback.neighborhood
    return callback.center.area if callback.center_id else None


def record_carried(actor, board_post=None, callback=None):
    """The intake form shown filled from a need or a call-back, its contact
    with it: audited, as any staff look-up of a person's number."""
    subject = f"post:{board_post.id}" if board_post is not None else f"callback:{callback.id}"
    audit.audit("case.intake_from", actor=actor, subject=subject)


def record_read(case, actor, what="case"):
    """A read of a case by someone who is not its social worker: audited."""
    audit.audit("case.read", actor=actor, subject=f"case:{case.id}", detail=what)


def requests_of(user):
    return WelfareCase.select().where(WelfareCase.applicant == user).order_by(WelfareCase.id.desc())


# --- Steps, versions and the trail ----------------------------------------------------------


def _step(case, actor, version, action, note="", allowed=None, **changes):
    """Move the case one step, if it is still at `version` (when given) and in
    one of `allowed` statuses; its trail and the audit log note it."""
    now = utcnow()
    query = WelfareCase.update(version=WelfareCase.version + 1, updated_at=now, **changes).where(
        WelfareCase.id == case.id
    )
    if version is not None:
        query = query.where(WelfareCase.version == version)
    if allowed is not None:
        query = query.where(WelfareCase.status.in_(allowed))
    if not query.execute():
        fresh = WelfareCase.get_by_id(case.id)
        if version is not None and fresh.version != version:
            raise Conflict(fresh)
        raise StateError(action)
    fresh = WelfareCase.get_by_id(case.id)
    CaseEvent.create(case=case, actor=actor, action=action, status=fresh.status, note=note, at=now)
    audit.record_audit(f"case.{action}", actor=actor, subject=f"case:{case.id}")
    return fresh


def trail(case):
    return (
        CaseEvent.select(CaseEvent, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(CaseEvent.case == case)
        .order_by(CaseEvent.at, CaseEvent.id)
    )


def assessment_of(case):
    return CaseAssessment.get_or_none(CaseAssessment.case == case)


def assess(case, actor, version, **fields):
    """Save the social worker's assessment: a registered or reopened case is
    then assessed; a served one stays served. A closed case is reopened first."""
    now = utcnow()
    with write_transaction():
        status = "served" if case.status == "served" else "assessed"
        fresh = _step(
            case,
            actor,
            version,
            "assessed",
            note=fields.get("decision_reason", ""),
            allowed=WelfareCase.OPEN,
            status=status,
            assessed_at=fn.COALESCE(WelfareCase.assessed_at, now),
        )
        values = {**fields, "assessed_by": actor, "assessed_at": now}
        CaseAssessment.insert(case=case, **values).on_conflict(
            conflict_target=[CaseAssessment.case],
            update={getattr(CaseAssessment, name): value for name, value in values.items()},
        ).execute()
    return fresh


def assign(case, actor, version, social_worker, co_worker=None, note=""):
    """The supervisor gives the case to a social worker (and a second one)."""
    with write_transaction():
        fresh = _step(
            case,
            actor,
            version,
            "assigned",
            note=note,
            allowed=WelfareCase.OPEN,
            social_worker=social_worker,
            co_worker=co_worker,
        )
        for worker in {social_worker.id, co_worker.id if co_worker else None} - {None, actor.id}:
            inbox.notify(worker, "case_assigned", actor=actor, welfare_case=case)
    return fresh


def take(case, actor):
    """A social worker takes a new request of their district that nobody carries yet."""
    with write_transaction():
        # Checked in the UPDATE itself: two social workers pressing at once, one takes it.
        taken = (
            WelfareCase.update(social_worker=actor)
            .where(
                WelfareCase.id == case.id,
                WelfareCase.social_worker.is_null(),
                WelfareCase.status.in_(WelfareCase.OPEN),
            )
            .execute()
        )
        if not taken:
            raise StateError("taken")
        return _step(case, actor, None, "taken")


def close(case, actor, version, reason, note=""):
    with write_transaction():
        return _step(
            case,
            actor,
            version,
            "closed",
            note=note,
            allowed=WelfareCase.OPEN,
            status="closed",
            close_reason=reason,
            closed_at=utcnow(),
        )


def reopen(case, actor, version, note):
    with write_transaction():
        return _step(
            case, actor, version, "reopened", note=note, allowed=("closed",), status="reopened", close_reason=""
        )


# --- The social worker's desk ----------------------------------------------------------------


def caseload(user):
    return (
        WelfareCase.select()
        .where(
            (WelfareCase.social_worker == user) | (WelfareCase.co_worker == user),
            WelfareCase.status.in_(WelfareCase.OPEN),
        )
        .order_by(WelfareCase.updated_at.desc())
    )


def new_requests(office):
    """Requests of the district nobody carries yet, oldest first."""
    return (
        WelfareCase.select()
        .where(
            WelfareCase.office == office,
            WelfareCase.social_worker.is_null(),
            WelfareCase.status.in_(("registered", "reopened")),
        )
        .order_by(WelfareCase.created_at)
    )


def waiting_too_long(office, now=None):
    """Requests of the district not assessed WAITING_DAYS after they came."""
    cut = (now or utcnow()) - datetime.timedelta(days=WAITING_DAYS)
    return (
        WelfareCase.select(WelfareCase, User)
        .join(User, JOIN.LEFT_OUTER, on=(WelfareCase.social_worker == User.id))
        .where(
            WelfareCase.office == office,
            WelfareCase.status.in_(("registered", "reopened")),
            WelfareCase.created_at < cut,
        )
        .order_by(WelfareCase.created_at)
    )


def tehran_day_bounds(day):
    """The first moment of a day in Tehran and of the next, as naive UTC."""
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=persian.TEHRAN)
    end = start + datetime.timedelta(days=1)
    return tuple(moment.astimezone(datetime.UTC).replace(tzinfo=None) for moment in (start, end))


def todays_visits(user, now=None):
    start, end = tehran_day_bounds(persian.tehran_time(now or utcnow()).date())
    return (
        CaseAppointment.select(CaseAppointment, WelfareCase)
        .join(WelfareCase)
        .where(
            CaseAppointment.with_user == user,
            CaseAppointment.status == "planned",
            CaseAppointment.starts_at >= start,
            CaseAppointment.starts_at < end,
        )
        .order_by(CaseAppointment.starts_at)
    )


def unanswered_referrals(cases):
    """Referrals of these cases no partner has answered, oldest first."""
    return (
        CaseService.select(CaseService, WelfareCase, Organization)
        .join(WelfareCase)
        .switch(CaseService)
        .join(Organization)
        .where(CaseService.case.in_(cases.select(WelfareCase.id)), CaseService.status == "referred")
        .order_by(CaseService.created_at)
    )


def district_cases(office, status=None, page=1, per_page=30):
    """The district's cases for its supervisor, newest first, a page at a time."""
    query = WelfareCase.select(WelfareCase, User).join(User, JOIN.LEFT_OUTER, on=(WelfareCase.social_worker == User.id))
    query = query.where(WelfareCase.office == office)
    if status:
        query = query.where(WelfareCase.status == status)
    return list(query.order_by(WelfareCase.created_at.desc()).paginate(page, per_page + 1))


# --- Services, referrals and partners --------------------------------------------------------


def partners(office):
    """Organizations a service may be referred to: the district assembly's
    members, and every charity, group and business of the office's county."""
    assembly = district_assembly(office.district)
    members = (
        AssemblyMember.select(AssemblyMember.organization).where(AssemblyMember.assembly == assembly)
        if assembly
        else None
    )
    condition = Organization.county == office.organization.county_id
    if members is not None:
        condition = condition | Organization.id.in_(members)
    return (
        Organization.select()
        .where(condition, Organization.kind != "government", Organization.id != office.organization_id)
        .order_by(Organization.name)
    )


def services_of(case):
    return (
        CaseService.select(CaseService, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(CaseService.case == case)
        .order_by(CaseService.created_at, CaseService.id)
    )


def _tell_partner(service, actor):
    staff = OrganizationMember.select(OrganizationMember.user).where(
        OrganizationMember.organization == service.partner_id,
        OrganizationMember.is_active,
        OrganizationMember.role.in_(OrganizationMember.STAFF),
    )
    for member in staff:
        inbox.notify(member.user_id, "case_referral", actor=actor, welfare_case=service.case_id)


def _log(service, actor, action, note=""):
    case = WelfareCase.get_by_id(service.case_id)
    CaseEvent.create(case=case, actor=actor, action=action, status=case.status, note=note)
    audit.record_audit(
        f"case.{action}", actor=actor, subject=f"case:{case.id}", detail=f"service:{service.id} {service.category}"
    )


def plan_service(case, actor, form_key, category, about="", partner=None, pledge=None):
    """A service of the plan: given by the municipality (planned), or referred
    to a partner, who hears it in its inbox. From a pledge, it takes one of
    its places or packages (NoPlaceLeft when none is left)."""

    def make():
        if WelfareCase.get_by_id(case.id).status not in ("assessed", "served"):
            raise StateError("not_assessed")
        giver = partner
        if pledge is not None:
            if free_of(_lock_pledge(pledge)) <= 0:
                raise NoPlaceLeft
            giver = pledge.organization
        service = CaseService.create(
            case=case,
            category=category,
            about=about,
            partner=giver,
            pledge=pledge,
            status="referred" if giver else "planned",
            created_by=actor,
            form_key=form_key,
        )
        _log(service, actor, "referred" if giver else "planned")
        if giver is not None:
            _tell_partner(service, actor)
        return service

    return made_once(CaseService, form_key, make)


def _move(service, actor, from_statuses, action, note="", **changes):
    changed = (
        CaseService.update(**changes)
        .where(CaseService.id == service.id, CaseService.status.in_(from_statuses))
        .execute()
    )
    if not changed:
        raise StateError(action)
    fresh = CaseService.get_by_id(service.id)
    _log(fresh, actor, action, note)
    return fresh


def answer_referral(service, actor, accept, reason=""):
    """The partner accepts or declines (with a reason); the case's social
    workers hear it. A declined shelter place goes to the next in line."""
    with write_transaction():
        fresh = _move(
            service,
            actor,
            ("referred",),
            "accepted" if accept else "declined",
            note=reason,
            status="accepted" if accept else "declined",
            decline_reason=reason,
            answered_by=actor,
            answered_at=utcnow(),
        )
        _tell_workers(fresh, actor)
        if not accept and fresh.pledge_id:
            _give_freed_place(fresh.pledge_id, actor)
    return fresh


def _tell_workers(service, actor):
    case = WelfareCase.get_by_id(service.case_id)
    for worker in {case.social_worker_id, case.co_worker_id} - {None, actor.id}:
        inbox.notify(worker, "referral_answered", actor=actor, welfare_case=case)


def deliver(service, actor, key, delivered_on, amount=0, note=""):
    """The service is given: by the municipality (planned) or by the partner
    who accepted it. It is written to the shared registry, and the case is served."""
    with write_transaction():
        # The case is served first, so that the step's trail names the state it leaves the case in.
        WelfareCase.update(status="served", version=WelfareCase.version + 1, updated_at=utcnow()).where(
            WelfareCase.id == service.case_id, WelfareCase.status == "assessed"
        ).execute()
        fresh = _move(
            service,
            actor,
            ("planned", "accepted"),
            "delivered",
            note=note,
            status="delivered",
            delivered_on=delivered_on,
            amount=amount,
            delivery_note=note,
            answered_by=fn.COALESCE(CaseService.answered_by, actor.id),
            answered_at=fn.COALESCE(CaseService.answered_at, utcnow()),
        )
        written = write_to_registry(fresh, actor, key)
        if written is not None:
            CaseService.update(registry_service=written).where(CaseService.id == fresh.id).execute()
        if fresh.partner_id:
            _tell_workers(fresh, actor)
    return CaseService.get_by_id(fresh.id)


def cancel_service(service, actor, note=""):
    with write_transaction():
        fresh = _move(service, actor, PENDING, "cancelled", note=note, status="cancelled")
        if fresh.pledge_id:
            _give_freed_place(fresh.pledge_id, actor)
    return fresh


# --- The shared registry ---------------------------------------------------------------------


def registry_giver(service, office):
    """(assembly, organization) the service is recorded under: the partner
    when it is a member of the district's assembly, else the office."""
    assembly = district_assembly(office.district)
    if assembly is None:
        return None, None
    if service.partner_id and (
        AssemblyMember.select()
        .where(AssemblyMember.assembly == assembly, AssemblyMember.organization == service.partner_id)
        .exists()
    ):
        return assembly, service.partner
    return assembly, office.organization


def write_to_registry(service, actor, key):
    """The delivered service in the district assembly's registry, under its
    giver (see registry_giver); None for a person without a known number or
    a district without an assembly. Written once: its form key is the service's."""
    case = WelfareCase.get_by_id(service.case_id)
    if not case.identifier_hash or not key:
        return None
    assembly, organization = registry_giver(service, case.office)
    if assembly is None:
        return None
    if not assemblies.is_member(organization, assembly):
        assemblies.add_member(assembly, organization, actor)
    Beneficiary.insert(
        assembly=assembly, id_kind=case.id_kind, identifier_hash=case.identifier_hash, last_digits=case.last_digits
    ).on_conflict_ignore().execute()
    person = Beneficiary.get(Beneficiary.assembly == assembly, Beneficiary.identifier_hash == case.identifier_hash)
    record = BeneficiaryRecord.get_or_none(
        BeneficiaryRecord.beneficiary == person, BeneficiaryRecord.organization == organization
    )
    if record is None:
        record = BeneficiaryRecord.create(
            beneficiary=person,
            organization=organization,
            name=case.name,
            household_size=case.household_size,
            area=case.area_id,
            consent_to_share=case.consent_to_share,
            recorded_by=actor,
        )
        audit.record_audit(
            "registry.recorded", actor=actor, subject=f"beneficiary:{person.id}", detail=f"org:{organization.id}"
        )
    return registry.record_service(
        record,
        actor,
        f"case-service-{service.id}",
        category=REGISTRY_CATEGORIES[service.category],
        given_on=service.delivered_on,
        amount=service.amount,
        note="",
    )


# --- Pledges and shelter places ----------------------------------------------------------------


def _lock_pledge(pledge):
    if not isinstance(db.obj, SqliteDatabase):
        Pledge.select(Pledge.id).where(Pledge.id == pledge.id).for_update().execute()
    return Pledge.get_by_id(pledge.id)


def used_of(pledge):
    """Places or packages the pledge gives now: a shelter place until its stay ends."""
    query = CaseService.select().where(CaseService.pledge == pledge, CaseService.status.in_(CaseService.HOLDING))
    if pledge.kind == "shelter":
        query = query.where(CaseService.ended_on.is_null())
    return query.count()


def free_of(pledge):
    return pledge.quantity - used_of(pledge) if pledge.is_active else 0


def make_pledge(organization, office, actor, form_key, kind, quantity, about=""):
    """A partner pledges places, packages or services to a district's office;
    a shelter pledge takes the first in line at once."""

    def make():
        pledge = Pledge.create(
            office=office,
            organization=organization,
            kind=kind,
            quantity=quantity,
            about=about,
            pledged_by=actor,
            form_key=form_key,
        )
        audit.record_audit(
            "case.pledged", actor=actor, subject=f"org:{organization.id}", detail=f"office:{office.id} {kind}"
        )
        if kind == "shelter":
            for _place in range(quantity):
                if not _give_freed_place(pledge.id, actor):
                    break
        return pledge

    return made_once(Pledge, form_key, make)


def withdraw_pledge(pledge, actor):
    """No new allocations from it; what it gives already stays given."""
    with write_transaction():
        Pledge.update(is_active=False).where(Pledge.id == pledge.id).execute()
        audit.record_audit("case.pledge_withdrawn", actor=actor, subject=f"org:{pledge.organization_id}")


def pledges_of(office, kind=None):
    query = (
        Pledge.select(Pledge, Organization)
        .join(Organization)
        .where(Pledge.office == office, Pledge.is_active)
        .order_by(Pledge.kind, Pledge.created_at)
    )
    if kind:
        query = query.where(Pledge.kind == kind)
    return [(pledge, free_of(pledge)) for pledge in query]


def organization_pledges(organizations):
    return (
        Pledge.select(Pledge, WelfareOffice, Area)
        .join(WelfareOffice)
        .join(Area)
        .where(Pledge.organization.in_([org.id for org in organizations]))
        .order_by(Pledge.created_at.desc())
    )


def ask_shelter(case, actor, form_key, about=""):
    """A shelter place for the case: the first free place pledged to its
    office, referred to its partner; else the case waits in line."""

    def make():
        if WelfareCase.get_by_id(case.id).status not in ("assessed", "served"):
            raise StateError("not_assessed")
        place = None
        for pledge in (
            Pledge.select()
            .where(Pledge.office == case.office_id, Pledge.kind == "shelter", Pledge.is_active)
            .order_by(Pledge.created_at)
        ):
            if free_of(_lock_pledge(pledge)) > 0:
                place = pledge
                break
        service = CaseService.create(
            case=case,
            category="shelter",
            about=about,
            partner=place.organization_id if place else None,
            pledge=place,
            status="referred" if place else "waiting",
            created_by=actor,
            form_key=form_key,
        )
        _log(service, actor, "referred" if place else "waiting")
        if place is not None:
            _tell_partner(service, actor)
        return service

    return made_once(CaseService, form_key, make)


def waiting_line(office):
    return (
        CaseService.select(CaseService, WelfareCase)
        .join(WelfareCase)
        .where(WelfareCase.office == office, CaseService.status == "waiting", CaseService.category == "shelter")
        .order_by(CaseService.created_at, CaseService.id)
    )


def _give_freed_place(pledge_id, actor):
    """A place of the pledge is free: the first in its office's line takes it.
    The line's service that took it, or None."""
    pledge = _lock_pledge(Pledge.get_by_id(pledge_id))
    if pledge.kind != "shelter" or free_of(pledge) <= 0:
        return None
    first = waiting_line(pledge.office_id).first()
    if first is None:
        return None
    fresh = _move(
        first, actor, ("waiting",), "referred", status="referred", pledge=pledge, partner=pledge.organization_id
    )
    _tell_partner(fresh, actor)
    return fresh


def end_stay(service, actor, day):
    """A shelter stay ends: its place goes to the next in line."""
    with write_transaction():
        if service.category != "shelter" or service.ended_on is not None:
            raise StateError("not_a_stay")
        changed = (
            CaseService.update(ended_on=day)
            .where(CaseService.id == service.id, CaseService.ended_on.is_null(), CaseService.status == "delivered")
            .execute()
        )
        if not changed:
            raise StateError("not_a_stay")
        _log(service, actor, "stay_ended")
        if service.pledge_id:
            _give_freed_place(service.pledge_id, actor)


def shelter_stays(office):
    """Who holds a place now, by pledge."""
    return (
        CaseService.select(CaseService, WelfareCase)
        .join(WelfareCase)
        .where(
            WelfareCase.office == office,
            CaseService.category == "shelter",
            CaseService.status.in_(CaseService.HOLDING),
            CaseService.ended_on.is_null(),
            CaseService.pledge.is_null(False),
        )
        .order_by(CaseService.created_at)
    )


# --- The partner's portal -------------------------------------------------------------------------


def partner_organizations(user):
    """The organizations where `user` is active staff: referrals to them are theirs to answer."""
    if user is None:
        return []
    return list(
        Organization.select()
        .join(OrganizationMember)
        .where(
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(OrganizationMember.STAFF),
            Organization.kind != "government",
        )
        .order_by(Organization.name)
    )


def referrals_to(organizations, open_only=True):
    query = (
        CaseService.select(CaseService, WelfareCase, Organization)
        .join(WelfareCase)
        .switch(CaseService)
        .join(Organization)
        .where(CaseService.partner.in_([org.id for org in organizations]))
    )
    if open_only:
        query = query.where(CaseService.status.in_(("referred", "accepted")))
    return query.order_by(CaseService.created_at.desc()).limit(200)


# --- Appointments and reminders -------------------------------------------------------------------


def plan_appointment(case, actor, form_key, **fields):
    def make():
        if WelfareCase.get_by_id(case.id).status not in WelfareCase.OPEN:
            raise StateError("closed")
        appointment = CaseAppointment.create(case=case, form_key=form_key, **fields)
        CaseEvent.create(case=case, actor=actor, action="appointment", status=case.status, note=fields.get("note", ""))
        return appointment

    return made_once(CaseAppointment, form_key, make)


def appointments_of(case):
    return CaseAppointment.select().where(CaseAppointment.case == case).order_by(CaseAppointment.starts_at)


def mark_appointment(appointment, actor, status, note=""):
    with write_transaction():
        changed = (
            CaseAppointment.update(status=status, note=note or appointment.note)
            .where(CaseAppointment.id == appointment.id, CaseAppointment.status == "planned")
            .execute()
        )
        if not changed:
            raise StateError("not_planned")
        case = WelfareCase.get_by_id(appointment.case_id)
        CaseEvent.create(case=case, actor=actor, action=f"visit_{status}", status=case.status, note=note)


def send_reminders(now=None):
    """Each visit in the next day, once: to the social worker who goes, and
    to the person when the request is their own account's (by SMS too, for
    those who want it). How many visits were reminded."""
    now = now or utcnow()
    sent = 0
    with write_transaction():
        due = (
            CaseAppointment.select(CaseAppointment, WelfareCase)
            .join(WelfareCase)
            .where(
                CaseAppointment.status == "planned",
                CaseAppointment.reminded_at.is_null(),
                CaseAppointment.starts_at > now,
                CaseAppointment.starts_at <= now + REMINDER_AHEAD,
            )
        )
        for appointment in due:
            case = appointment.case
            for user_id in {appointment.with_user_id, case.applicant_id} - {None}:
                inbox.notify(user_id, "case_visit", welfare_case=case)
            CaseAppointment.update(reminded_at=now).where(CaseAppointment.id == appointment.id).execute()
            sent += 1
    return sent
