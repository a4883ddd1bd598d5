"""The welfare desk's exchange with other agencies (the Relief Committee, the
Welfare Organization): their coverage lists come in as keyed hashes only, and
the district's served list goes out by pseudonymous reference or, for staff
with that right, matched against the agency's own list of national codes.

No national code is ever stored: a list's codes are hashed as they are read
(the registry's key and function) and the file is never kept. Importing the
same list again changes nothing; a newer list replaces the older one."""

import hashlib
import hmac
import itertools

from peewee import fn

from hamsayeh import persian
from hamsayeh.domain import audit
from models import AgencyCoverage, CaseService, WelfareCase, identifier_hash, utcnow, write_transaction

# Rows written per statement: well under SQLite's limit of bound values.
CHUNK = 500


def _chunks(items, size=CHUNK):
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def import_coverage(office, agency, actor, key, identifiers):
    """The agency's list, (kind, number) each, becomes the office's list of
    that agency: new people added, people no longer on it removed, all in one
    transaction. Counts: listed, added, removed, and the office's cases it covers."""
    wanted = {identifier_hash(key, kind, number) for kind, number in identifiers}
    now = utcnow()
    with write_transaction():
        current = AgencyCoverage.select(AgencyCoverage.identifier_hash).where(
            AgencyCoverage.office == office, AgencyCoverage.agency == agency
        )
        have = {digest for (digest,) in current.tuples()}
        added, removed = wanted - have, have - wanted
        fields = [
            AgencyCoverage.office,
            AgencyCoverage.agency,
            AgencyCoverage.identifier_hash,
            AgencyCoverage.listed_at,
        ]
        for chunk in _chunks(sorted(added)):
            rows = [(office.id, agency, digest, now) for digest in chunk]
            AgencyCoverage.insert_many(rows, fields=fields).on_conflict_ignore().execute()
        for chunk in _chunks(sorted(removed)):
            AgencyCoverage.delete().where(
                AgencyCoverage.office == office,
                AgencyCoverage.agency == agency,
                AgencyCoverage.identifier_hash.in_(chunk),
            ).execute()
        covered = covered_cases(office, agency).count()
        audit.record_audit(
            "case.coverage_imported",
            actor=actor,
            subject=f"office:{office.id}",
            detail=f"{agency} listed:{len(wanted)} added:{len(added)} removed:{len(removed)} cases:{covered}",
        )
    return {"listed": len(wanted), "added": len(added), "removed": len(removed), "cases": covered}


def covered_cases(office, agency):
    listed = AgencyCoverage.select(AgencyCoverage.identifier_hash).where(
        AgencyCoverage.office == office, AgencyCoverage.agency == agency
    )
    return WelfareCase.select().where(WelfareCase.office == office, WelfareCase.identifier_hash.in_(listed))


def coverage_of(case):
    """The agencies whose lists, as the office imported them, name the person."""
    if not case.identifier_hash:
        return []
    rows = AgencyCoverage.select(AgencyCoverage.agency, AgencyCoverage.listed_at).where(
        AgencyCoverage.office == case.office_id, AgencyCoverage.identifier_hash == case.identifier_hash
    )
    return [(row.agency, row.listed_at) for row in rows.order_by(AgencyCoverage.agency)]


def list_sizes(office):
    """{agency: (people, when the list came)} of the office's imported lists."""
    rows = (
        AgencyCoverage.select(
            AgencyCoverage.agency, fn.COUNT(AgencyCoverage.id).alias("people"), fn.MAX(AgencyCoverage.listed_at)
        )
        .where(AgencyCoverage.office == office)
        .group_by(AgencyCoverage.agency)
        .tuples()
    )
    return {agency: (people, listed) for agency, people, listed in rows}


def case_ref(key, case_id):
    """A pseudonymous reference of a case for an agency: the same case always
    has the same one, and it leads back to nobody without the desk."""
    return hmac.new(key.encode(), f"case:{case_id}".encode(), hashlib.sha256).hexdigest()[:10].upper()


def _delivered(office, since):
    return (
        CaseService.select(CaseService, WelfareCase)
        .join(WelfareCase)
        .where(WelfareCase.office == office, CaseService.status == "delivered", CaseService.delivered_on >= since)
        .order_by(CaseService.case, CaseService.delivered_on)
    )


def _by_case(services):
    found = {}
    for service in services:
        found.setdefault(service.case_id, []).append(service)
    return found


def served_list(office, actor, key, since):
    """The district's served people since `since`, by reference: (reference,
    household size, services [(category, Jalali month)]). Audited."""
    rows = []
    for case_id, services in _by_case(_delivered(office, since)).items():
        case = services[0].case
        rows.append(
            (
                case_ref(key, case_id),
                case.household_size,
                [(item.category, persian.jalali_month(item.delivered_on)) for item in services],
            )
        )
    audit.audit("case.served_list_exported", actor=actor, subject=f"office:{office.id}", detail=f"rows:{len(rows)}")
    return rows


def served_by_codes(office, actor, key, identifiers, since):
    """For an agency that sent its own list of codes (the law requires it for
    some): which of its people the district served since `since`, by the
    agency's own numbers (never ours: we keep none). (number, services) each. Audited."""
    wanted = {identifier_hash(key, kind, number): number for kind, number in identifiers}
    served = {}
    for chunk in _chunks(sorted(wanted)):
        query = _delivered(office, since).where(WelfareCase.identifier_hash.in_(chunk))
        for service in query:
            served.setdefault(service.case.identifier_hash, []).append(service)
    rows = [
        (wanted[digest], [(item.category, persian.jalali_month(item.delivered_on)) for item in services])
        for digest, services in sorted(served.items(), key=lambda pair: wanted[pair[0]])
    ]
    audit.audit(
        "case.served_codes_exported",
        actor=actor,
        subject=f"office:{office.id}",
        detail=f"asked:{len(wanted)} matched:{len(rows)}",
    )
    return rows
