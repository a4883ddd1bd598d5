"""The assembly's shared registry (Samoon): people by a keyed hash of their number, services, inquiries, reports."""

import datetime
import hashlib
import hmac
import itertools

from peewee import JOIN, SQL, IntegrityError, fn

from hamsayeh.domain import audit
from models import (
    KEY_CHECK,
    LOOK_UPS,
    PARALLEL_DAYS,
    Area,
    AuditEntry,
    Beneficiary,
    BeneficiaryRecord,
    HelpPost,
    InquiryResult,
    Organization,
    OrganizationMember,
    Service,
    Setting,
    identifier_hash,
    made_once,
    utcnow,
    write_transaction,
)


def registry_organizations(user):
    """The assembly members where `user` is active staff: who may use the registry."""
    return (
        Organization.select()
        .join(OrganizationMember)
        .where(
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(OrganizationMember.STAFF),
            Organization.assembly.is_null(False),
        )
        .order_by(Organization.name)
    )


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


def record_beneficiary(organization, actor, key, id_kind, number, limit=None, **fields):
    """The organization's record of the person (made once; sent again, the
    first stays), and the person in the assembly's registry. A new record
    counts against `limit` look-ups an hour: it shows what others gave."""
    digest = identifier_hash(key, id_kind, number)

    def existing():
        person = Beneficiary.get_or_none(
            Beneficiary.assembly == organization.assembly_id, Beneficiary.identifier_hash == digest
        )
        return person and BeneficiaryRecord.get_or_none(
            BeneficiaryRecord.beneficiary == person, BeneficiaryRecord.organization == organization
        )

    try:
        with write_transaction():
            record = existing()
            if record:
                return record, False
            check_look_up_limit(actor, limit)
            Beneficiary.insert(
                assembly=organization.assembly_id, id_kind=id_kind, identifier_hash=digest, last_digits=number[-4:]
            ).on_conflict_ignore().execute()
            person = Beneficiary.get(
                Beneficiary.assembly == organization.assembly_id, Beneficiary.identifier_hash == digest
            )
            record = BeneficiaryRecord.create(
                beneficiary=person, organization=organization, recorded_by=actor, **fields
            )
            audit.record_audit(
                "registry.recorded", actor=actor, subject=f"beneficiary:{person.id}", detail=f"org:{organization.id}"
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


class RateLimited(Exception):
    """Too many look-ups in the last hour."""


def check_look_up_limit(actor, limit):
    """Inside the write transaction, before the look-up's audit entry."""
    audit.lock_audit()
    if limit is not None and recent_inquiries(actor) >= limit:
        raise RateLimited


def inquire(organization, actor, key, id_kind, number, months, reason, limit=None):
    """What the assembly gave this person in the last `months`: services by
    category and how many organizations gave them. Other organizations'
    records show only when the person consented to share. Every inquiry is in
    the audit log with who, when and why, found or not; more than `limit` an
    hour are refused."""
    person = find_beneficiary(organization.assembly_id, key, id_kind, number)
    since = datetime.date.today() - datetime.timedelta(days=round(months * 30.44))
    with write_transaction():
        check_look_up_limit(actor, limit)
        audit.record_audit(
            "registry.inquiry",
            actor=actor,
            subject=f"beneficiary:{person.id}" if person else "beneficiary:none",
            detail=f"org:{organization.id} months:{months} reason:{reason}",
        )
    if person is None:
        return None
    services = Service.select(Service.category, fn.COUNT(SQL("*")).alias("count")).where(
        Service.beneficiary == person, Service.given_on >= since
    )
    categories = {row.category: row.count for row in services.group_by(Service.category)}
    givers = (
        Service.select(fn.COUNT(fn.DISTINCT(Service.organization)))
        .where(Service.beneficiary == person, Service.given_on >= since)
        .scalar()
    )
    records = list(
        BeneficiaryRecord.select(BeneficiaryRecord, Organization)
        .join(Organization)
        .where(BeneficiaryRecord.beneficiary == person)
    )
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
    return (
        Service.select(Service, Organization)
        .join(Organization)
        .switch(Service)
        .join(Beneficiary)
        .where(Beneficiary.assembly == assembly, Service.given_on >= since)
    )


def parallel_services(assembly, since):
    """(beneficiary id, category, the services) where different organizations
    gave the same person the same kind of service within overlapping periods."""
    by_person = {}
    for service in assembly_services(assembly, since).order_by(Service.given_on):
        by_person.setdefault((service.beneficiary_id, service.category), []).append(service)
    cases = []
    for (person, category), services in by_person.items():
        overlapping = {
            item
            for first, second in itertools.pairwise(services)
            if first.organization_id != second.organization_id
            and (second.given_on - first.given_on).days < PARALLEL_DAYS
            for item in (first, second)
        }
        if overlapping:
            cases.append((person, category, sorted(overlapping, key=lambda item: item.given_on)))
    return cases


def served_by_many(assembly, since, at_least=3):
    """(beneficiary id, number of organizations) for people many organizations served."""
    givers = fn.COUNT(fn.DISTINCT(Service.organization))
    query = (
        Service.select(Service.beneficiary, givers.alias("givers"))
        .join(Beneficiary)
        .where(Beneficiary.assembly == assembly, Service.given_on >= since)
        .group_by(Service.beneficiary)
        .having(givers >= at_least)
        .order_by(givers.desc())
    )
    return [(row.beneficiary_id, row.givers) for row in query]


def unserved(assembly, since):
    """People of the registry with no service since `since`: the shy needy."""
    served = Service.select(Service.beneficiary).where(Service.given_on >= since)
    return Beneficiary.select().where(Beneficiary.assembly == assembly, Beneficiary.id.not_in(served))


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
    """Counts of services by category and `group`: "month" (first day of the
    month) or "area" (the area the giving organization recorded)."""
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
            key = service.given_on.replace(day=1)
        else:  # a record without a place comes back as None
            key = service.record.area_id if service.record else None
        counts = rows.setdefault(key, {})
        counts[service.category] = counts.get(service.category, 0) + 1
    return rows


def recent_inquiries(actor, window=datetime.timedelta(hours=1)):
    """How many inquiries `actor` made lately: the registry's rate limit."""
    return (
        AuditEntry.select()
        .where(AuditEntry.actor == actor, AuditEntry.action.in_(LOOK_UPS), AuditEntry.at >= utcnow() - window)
        .count()
    )
