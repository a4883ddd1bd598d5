"""The assembly's shared registry (Samoon): people by a keyed hash of their number, services, inquiries, reports.

Each assembly keeps its own registry: a person is recorded in the assembly
where an organization works with them (`Beneficiary.assembly`), and so are
the organization's record of them and the services it gives. An organization
of two assemblies works in one at a time (its `assembly`, as
`registry_organizations` gives it): what it records there, only that
assembly's inquiries and reports see. A parent assembly's inquiries and
reports count its children's records too, with no name or number."""

import datetime
import hashlib
import hmac
import itertools
from collections import namedtuple

from peewee import JOIN, SQL, IntegrityError, fn

from hamsayeh import persian
from hamsayeh.domain import assemblies, audit
from models import (
    Area,
    Assembly,
    AssemblyMember,
    AuditEntry,
    Beneficiary,
    BeneficiaryRecord,
    HelpPost,
    Organization,
    OrganizationMember,
    Service,
    Setting,
    identifier_hash,
    made_once,
    utcnow,
    write_transaction,
)

KEY_CHECK = b"hamsayeh registry key check"

InquiryResult = namedtuple("InquiryResult", "person categories organizations shared own")

# What counts against a staff member's hourly limit: each shows what the assembly gave someone.
LOOK_UPS = ("registry.inquiry", "registry.recorded")

PARALLEL_DAYS = 30  # a service covers about a month: two of a kind closer than this overlap


def registry_organizations(user):
    """Where `user` may use the registry: each membership of an assembly of an
    organization where they are active staff, as that organization with the
    `assembly` it works in and its `desk` ("organization-assembly"); an
    organization of two assemblies comes twice."""
    rows = (
        AssemblyMember.select(AssemblyMember, Organization, Assembly)
        .join(Organization)
        .join(OrganizationMember)
        .switch(AssemblyMember)
        .join(Assembly)
        .where(
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(OrganizationMember.STAFF),
        )
        .order_by(Organization.name, Assembly.name)
    )
    return [at_desk(row.organization, row.assembly) for row in rows]


def at_desk(organization, assembly):
    """The organization as it works in `assembly`: what it records, it records there."""
    organization.assembly = assembly
    organization.desk = f"{organization.id}-{assembly.id}"
    return organization


def working_assembly(organization):
    """The assembly the organization works in: the one it was given at its
    desk, else the only one it belongs to. ValueError when it belongs to
    none, or to several and none was chosen."""
    chosen = getattr(organization, "assembly", None)
    if chosen is not None:
        return chosen
    found = list(assemblies.assemblies_of(organization).limit(2))
    if len(found) != 1:
        raise ValueError(f"org:{organization.id} works in {len(found)} assemblies: choose one")
    return at_desk(organization, found[0]).assembly


class RegistryKeyError(RuntimeError):
    """The registry key is missing or is not the one the registry was made with."""


def key_fingerprint(key):
    return hmac.new(key.encode(), KEY_CHECK, hashlib.sha256).hexdigest()


def check_registry_key(key):
    """Refuse to run with a lost or changed key once identifiers were hashed
    with one: a new key would silently make every person a stranger. The
    first key a database sees is remembered (its fingerprint, never the key)."""
    stored = Setting.get_or_none(Setting.name == "registry_key")
    if not key:
        if stored is not None or Beneficiary.select().exists():
            raise RegistryKeyError(
                "HAMSAYEH_REGISTRY_KEY is not set, but the registry holds people whose national codes were "
                "hashed with a key. Restore that key (from your secrets store) before starting."
            )
        return False
    if stored is None:
        with write_transaction():
            Setting.insert(name="registry_key", value=key_fingerprint(key)).on_conflict_ignore().execute()
    elif not hmac.compare_digest(stored.value, key_fingerprint(key)):
        raise RegistryKeyError(
            "HAMSAYEH_REGISTRY_KEY is not the key this registry was made with: nobody would be found again. "
            "Restore the original key."
        )
    return True


def find_beneficiary(assembly, key, id_kind, number):
    return Beneficiary.get_or_none(
        Beneficiary.assembly == assembly, Beneficiary.identifier_hash == identifier_hash(key, id_kind, number)
    )


def record_beneficiary(organization, actor, key, id_kind, number, limited=False, **fields):
    """The organization's record of the person (made once; sent again, the
    first stays), and the person in the assembly's registry. A new record
    shows what others gave: when `limited`, it counts against the hourly
    look-up limits."""
    digest = identifier_hash(key, id_kind, number)
    assembly = working_assembly(organization)

    def existing():
        person = Beneficiary.get_or_none(Beneficiary.assembly == assembly, Beneficiary.identifier_hash == digest)
        return person and BeneficiaryRecord.get_or_none(
            BeneficiaryRecord.beneficiary == person, BeneficiaryRecord.organization == organization
        )

    try:
        with write_transaction():
            record = existing()
            if record:
                return record, False
            if limited:
                check_look_up_limit(actor, organization)
            Beneficiary.insert(
                assembly=assembly, id_kind=id_kind, identifier_hash=digest, last_digits=number[-4:]
            ).on_conflict_ignore().execute()
            person = Beneficiary.get(Beneficiary.assembly == assembly, Beneficiary.identifier_hash == digest)
            record = BeneficiaryRecord.create(
                beneficiary=person, organization=organization, recorded_by=actor, **fields
            )
            audit.record_audit(
                "registry.recorded",
                actor=actor,
                subject=f"beneficiary:{person.id}",
                detail=f"org:{organization.id} assembly:{assembly.id}",
            )
            return record, True
    except IntegrityError:  # the same person recorded twice at once (PostgreSQL)
        return existing(), False


def record_service(record, actor, form_key, **fields):
    def make():
        service = Service.create(
            beneficiary=record.beneficiary_id,
            organization=record.organization_id,
            recorded_by=actor,
            form_key=form_key,
            **fields,
        )
        audit.record_audit(
            "registry.service",
            actor=actor,
            subject=f"beneficiary:{record.beneficiary_id}",
            detail=f"org:{record.organization_id} {service.category}",
        )
        return service

    return made_once(Service, form_key, make)


# Look-ups an hour per staff member: enough for a busy desk, too few to walk
# through the county's national codes.
INQUIRIES_PER_HOUR = 60
# And per organization, however many staff accounts it has: a manager who adds
# accounts (unverified sign-ups are cheap) does not multiply the limit.
ORGANIZATION_INQUIRIES_PER_HOUR = 180


class RateLimited(Exception):
    """Too many look-ups in the last hour, by the person or by their organization."""


def check_look_up_limit(actor, organization):
    """Inside the write transaction, before the look-up's audit entry (the
    lock makes the count and the entry one step)."""
    audit.lock_audit()
    if (
        recent_inquiries(actor) >= INQUIRIES_PER_HOUR
        or recent_organization_inquiries(organization) >= ORGANIZATION_INQUIRIES_PER_HOUR
    ):
        raise RateLimited


def inquire(organization, actor, key, id_kind, number, months, reason):
    """What the assembly the organization works in gave this person in the
    last `months` (with the assemblies below it): services by category and
    how many organizations gave them. Other organizations' records show only
    when the person consented to share, and only those made in this same
    assembly (a parent counts its children's, and names none). Every inquiry
    is in the audit log with who, when and why, found or not; beyond the
    hourly limits (the person's and the organization's) it is refused."""
    assembly = working_assembly(organization)
    digest = identifier_hash(key, id_kind, number)
    people = list(
        Beneficiary.select()
        .where(Beneficiary.assembly.in_(assemblies.scope_ids(assembly)), Beneficiary.identifier_hash == digest)
        .order_by(Beneficiary.id)
    )
    person = next((p for p in people if p.assembly_id == assembly.id), people[0] if people else None)
    since = persian.today() - datetime.timedelta(days=round(months * 30.44))
    with write_transaction():
        check_look_up_limit(actor, organization)
        audit.record_audit(
            "registry.inquiry",
            actor=actor,
            subject=f"beneficiary:{person.id}" if person else "beneficiary:none",
            detail=f"org:{organization.id} assembly:{assembly.id} months:{months} reason:{reason}",
        )
    if person is None:
        return None
    ids = [p.id for p in people]
    given = Service.select().where(Service.beneficiary.in_(ids), Service.given_on >= since)
    services = given.select(Service.category, fn.COUNT(SQL("*")).alias("count"))
    categories = {row.category: row.count for row in services.group_by(Service.category)}
    givers = given.select(fn.COUNT(fn.DISTINCT(Service.organization))).scalar()
    records = list(
        BeneficiaryRecord.select(BeneficiaryRecord, Organization)
        .join(Organization)
        .where(BeneficiaryRecord.beneficiary == person)
    )
    if person.assembly_id != assembly.id:  # known only below: counts, and nobody's record
        records = []
    own = next((r for r in records if r.organization_id == organization.id), None)
    shared = [r for r in records if r.organization_id != organization.id and r.consent_to_share]
    return InquiryResult(person, categories, givers or 0, shared, own)


def import_key(key, organization_id, beneficiary_id, day, category):
    """The form key of a service read from an imported list: the same row
    imported again finds the service it made."""
    text = f"import:{organization_id}:{beneficiary_id}:{day.isoformat()}:{category}"
    return "import-" + hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()[:40]


def registry_ref(key, beneficiary_id):
    """A pseudonymous reference for reports: the same person always has the
    same one, and it leads back to nobody without the registry."""
    return hmac.new(key.encode(), f"ref:{beneficiary_id}".encode(), hashlib.sha256).hexdigest()[:8].upper()


def assembly_services(assembly, since):
    """The services given since `since` in the assembly and in those below it,
    with each one's organization and the identifier hash of its person (the
    same person recorded in two districts is one person to their city)."""
    return (
        Service.select(Service, Organization, Beneficiary)
        .join(Organization)
        .switch(Service)
        .join(Beneficiary)
        .where(Beneficiary.assembly.in_(assemblies.scope_ids(assembly)), Service.given_on >= since)
    )


def parallel_services(assembly, since):
    """(beneficiary id, category, the services) where different organizations
    gave the same person the same kind of service within overlapping periods.
    A person recorded in several assemblies below this one is named by the
    first of their ids."""
    by_person = {}
    for service in assembly_services(assembly, since).order_by(Service.given_on, Service.id):
        by_person.setdefault((service.beneficiary.identifier_hash, service.category), []).append(service)
    cases = []
    for (_person, category), services in by_person.items():
        overlapping = {
            item
            for first, second in itertools.pairwise(services)
            if first.organization_id != second.organization_id
            and (second.given_on - first.given_on).days < PARALLEL_DAYS
            for item in (first, second)
        }
        if overlapping:
            person = min(item.beneficiary_id for item in services)
            cases.append((person, category, sorted(overlapping, key=lambda item: item.given_on)))
    return cases


def served_by_many(assembly, since, at_least=3):
    """(beneficiary id, number of organizations) for people many organizations
    served, in the assembly and below it."""
    givers = fn.COUNT(fn.DISTINCT(Service.organization))
    query = (
        Service.select(fn.MIN(Service.beneficiary).alias("person"), givers.alias("givers"))
        .join(Beneficiary)
        .where(Beneficiary.assembly.in_(assemblies.scope_ids(assembly)), Service.given_on >= since)
        .group_by(Beneficiary.identifier_hash)
        .having(givers >= at_least)
        .order_by(givers.desc(), fn.MIN(Service.beneficiary))
    )
    return [(row.person, row.givers) for row in query.objects()]


def unserved(assembly, since):
    """People of the registry, and of those below it, with no service since
    `since`: the shy needy. One row each (`id`, their first, and `first_at`,
    when they were first recorded), the longest waiting first."""
    scope = assemblies.scope_ids(assembly)
    served = (
        Service.select(Beneficiary.identifier_hash)
        .join(Beneficiary)
        .where(Beneficiary.assembly.in_(scope), Service.given_on >= since)
    )
    first_at = fn.MIN(Beneficiary.created_at)
    return (
        Beneficiary.select(fn.MIN(Beneficiary.id).alias("id"), first_at.alias("first_at"))
        .where(Beneficiary.assembly.in_(scope), Beneficiary.identifier_hash.not_in(served))
        .group_by(Beneficiary.identifier_hash)
        .order_by(first_at, fn.MIN(Beneficiary.id))
    )


def needs_filed_for_someone(county, older_than):
    """Open board requests that neighbors, volunteers or facilitators filed for
    someone without an account, in the county, nobody has taken since `older_than`."""
    return (
        HelpPost.select(HelpPost, Area)
        .join(Area)
        .where(
            Area.path.startswith(county.path),
            HelpPost.kind == "request",
            HelpPost.status == "open",
            HelpPost.filed_by.is_null(False),
            HelpPost.created_at < older_than,
        )
        .order_by(HelpPost.created_at)
    )


def services_by(assembly, since, group):
    """Counts of services by category and `group`: "month" (the Jalali month
    of the day it was given, a `persian.JalaliMonth`) or "area" (the area the
    giving organization recorded)."""
    rows = {}
    query = assembly_services(assembly, since)
    if group == "area":
        query = (
            query.switch(Service)
            .join(
                BeneficiaryRecord,
                JOIN.LEFT_OUTER,
                on=(
                    (BeneficiaryRecord.beneficiary == Service.beneficiary)
                    & (BeneficiaryRecord.organization == Service.organization)
                ),
                attr="record",
            )
            .select_extend(BeneficiaryRecord.area)
        )
    for service in query:
        if group == "month":
            key = persian.jalali_month(service.given_on)
        else:  # a record without a place comes back as None
            key = service.record.area_id if service.record else None
        counts = rows.setdefault(key, {})
        counts[service.category] = counts.get(service.category, 0) + 1
    return rows


def recent_inquiries(actor, window=datetime.timedelta(hours=1)):
    """How many look-ups `actor` made lately: the registry's rate limit."""
    return (
        AuditEntry.select()
        .where(AuditEntry.actor == actor, AuditEntry.action.in_(LOOK_UPS), AuditEntry.at >= utcnow() - window)
        .count()
    )


def recent_organization_inquiries(organization, window=datetime.timedelta(hours=1)):
    """How many look-ups all of the organization's staff made lately. A
    look-up's audit entry names the organization first in its detail."""
    named = f"org:{organization.id}"
    return (
        AuditEntry.select()
        .where(
            AuditEntry.action.in_(LOOK_UPS),
            AuditEntry.at >= utcnow() - window,
            (AuditEntry.detail == named) | AuditEntry.detail.startswith(f"{named} "),
        )
        .count()
    )


def set_consent(record, actor, given):
    """The person's consent to share their record with the assembly's other members, given or withdrawn."""
    with write_transaction():
        BeneficiaryRecord.update(consent_to_share=given).where(BeneficiaryRecord.id == record.id).execute()
        audit.record_audit(
            "registry.consent_given" if given else "registry.consent_withdrawn",
            actor=actor,
            subject=f"beneficiary:{record.beneficiary_id}",
            detail=f"org:{record.organization_id}",
        )


def recent_records(organization, limit=20):
    """What the organization recorded lately in the assembly it works in."""
    return (
        BeneficiaryRecord.select(BeneficiaryRecord, Beneficiary)
        .join(Beneficiary)
        .where(BeneficiaryRecord.organization == organization, Beneficiary.assembly == working_assembly(organization))
        .order_by(BeneficiaryRecord.created_at.desc())
        .limit(limit)
    )


def county_places(organization, limit=300):
    """The cities and neighborhoods of the area of the assembly the
    organization works in, as (id, [areas from that area down])."""
    county = working_assembly(organization).area
    places = list(
        Area.select().where(Area.path.startswith(county.path), Area.id != county.id).order_by(Area.path).limit(limit)
    )
    by_id = {place.id: place for place in places}
    return [
        (place.id, [by_id[int(i)] for i in place.path.strip("/").split("/") if int(i) in by_id]) for place in places
    ]


def view_record(record, actor):
    """The services of the record's person: (its organization's own, how many
    others gave); the reading is in the audit log."""
    audit.audit(
        "registry.viewed",
        actor=actor,
        subject=f"beneficiary:{record.beneficiary_id}",
        detail=f"org:{record.organization_id}",
    )
    services = list(
        Service.select()
        .where(Service.beneficiary == record.beneficiary_id)
        .order_by(Service.given_on.desc(), Service.id.desc())
    )
    own = [item for item in services if item.organization_id == record.organization_id]
    return own, len(services) - len(own)


def import_rows(organization, actor, key, rows, note, bad=0):
    """Record the checked rows of an organization's list (each {"identifier":
    (kind, number), "name", "household_size", "service": (day, category) or
    None}); the same list again adds nothing. Counts of what came in; the
    import, with the number of `bad` rows left out, is in the audit log."""
    result = {"new": 0, "known": 0, "services": 0}
    for fields in rows:
        (kind, identifier), service = fields["identifier"], fields["service"]
        record, created = record_beneficiary(
            organization, actor, key, kind, identifier, name=fields["name"], household_size=fields["household_size"]
        )
        result["new" if created else "known"] += 1
        if service is not None:
            day, category = service
            form_key = import_key(key, organization.id, record.beneficiary_id, day, category)
            before = Service.select().where(Service.form_key == form_key).exists()
            record_service(record, actor, form_key, category=category, given_on=day, note=note)
            result["services"] += 0 if before else 1
    audit.audit(
        "registry.imported",
        actor=actor,
        subject=f"org:{organization.id}",
        detail=f"new:{result['new']} known:{result['known']} services:{result['services']} bad:{bad}",
    )
    return result


def assembly_report(organization, key, months, waiting_days):
    """The assembly's report for one of its members: counts and pseudonymous
    references only; Jalali months oldest first, areas by id (None: not known)."""
    assembly = working_assembly(organization)
    since = persian.today() - datetime.timedelta(days=round(months * 30.44))
    own = {
        row.beneficiary_id: row.id
        for row in BeneficiaryRecord.select()
        .join(Beneficiary)
        .where(BeneficiaryRecord.organization == organization, Beneficiary.assembly == assembly)
    }

    def ref(person_id):
        return {"ref": registry_ref(key, person_id), "record": own.get(person_id)}

    by_month = services_by(assembly, since, "month")
    by_area = services_by(assembly, since, "area")
    by_category = {}
    for counts in by_month.values():
        for category, count in counts.items():
            by_category[category] = by_category.get(category, 0) + count
    unserved_people = unserved(assembly, since)
    return {
        "parallel": [
            {**ref(person), "category": category, "services": services}
            for person, category, services in parallel_services(assembly, since)
        ],
        "many": [{**ref(person), "givers": givers} for person, givers in served_by_many(assembly, since)],
        "unserved_count": unserved_people.count(),
        "unserved": [ref(person.id) for person in unserved_people.limit(50)],
        "waiting": list(needs_filed_for_someone(assembly.area, utcnow() - datetime.timedelta(days=waiting_days))),
        "by_month": sorted(by_month.items()),
        "by_area": by_area,
        "areas": {area.id: area for area in Area.select().where(Area.id.in_(list(by_area)))},
        "by_category": by_category,
    }
