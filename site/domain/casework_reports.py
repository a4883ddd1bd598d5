"""The welfare desk's reports: counts only, never a person. Cases by district,
Jalali month, status and time to assessment; services by category and by
partner; the priority groups. Any count from 1 to 4 is hidden (SMALLEST), so
that a small district's report never points at a family."""

import statistics

from peewee import JOIN, fn

from hamsayeh import persian
from models import Area, CaseAssessment, CaseService, Organization, WelfareCase, WelfareOffice

SMALLEST = 5
# Days from a request to its first assessment, in bands: (label key, most days).
ASSESSMENT_BANDS = (("days_2", 2), ("days_7", 7), ("days_14", 14), ("days_more", None))


def shown(count):
    """A count as a report may show it: None for 1 to 4."""
    return None if 0 < count < SMALLEST else count


def report(office_ids, since):
    """Counts of the offices' cases registered since `since` (a naive UTC
    moment), and of their delivered services."""
    cases = WelfareCase.select().where(WelfareCase.office.in_(office_ids), WelfareCase.created_at >= since)
    ids = cases.select(WelfareCase.id)
    by_office = dict(
        WelfareCase.select(WelfareCase.office, fn.COUNT(WelfareCase.id))
        .where(WelfareCase.id.in_(ids))
        .group_by(WelfareCase.office)
        .tuples()
    )
    districts = {
        office.id: office.district
        for office in WelfareOffice.select(WelfareOffice, Area).join(Area).where(WelfareOffice.id.in_(office_ids))
    }
    by_month = {}
    waits = []
    not_assessed = 0
    for created, assessed in cases.select(WelfareCase.created_at, WelfareCase.assessed_at).tuples():
        month = persian.jalali_month(created)
        by_month[month] = by_month.get(month, 0) + 1
        if assessed is None:
            not_assessed += 1
        else:
            waits.append((assessed - created).total_seconds() / 86400)
    bands = dict.fromkeys((label for label, _most in ASSESSMENT_BANDS), 0)
    for days in waits:
        label = next(label for label, most in ASSESSMENT_BANDS if most is None or days <= most)
        bands[label] += 1
    by_status = dict(
        WelfareCase.select(WelfareCase.status, fn.COUNT(WelfareCase.id))
        .where(WelfareCase.id.in_(ids))
        .group_by(WelfareCase.status)
        .tuples()
    )
    delivered = CaseService.select().where(CaseService.case.in_(ids), CaseService.status == "delivered")
    by_category = dict(
        delivered.select(CaseService.category, fn.COUNT(CaseService.id)).group_by(CaseService.category).tuples()
    )
    by_partner = dict(
        delivered.select(Organization.name, fn.COUNT(CaseService.id))
        .join(Organization, JOIN.LEFT_OUTER)
        .group_by(Organization.name)
        .tuples()
    )
    by_group = dict(
        CaseAssessment.select(CaseAssessment.priority_group, fn.COUNT(CaseAssessment.id))
        .where(CaseAssessment.case.in_(ids), CaseAssessment.priority_group != "")
        .group_by(CaseAssessment.priority_group)
        .tuples()
    )
    return {
        "total": cases.count(),
        "by_district": sorted(
            ((districts[office], count) for office, count in by_office.items()), key=lambda row: row[0].path
        ),
        "by_month": sorted(by_month.items()),
        "by_status": by_status,
        "assessment_bands": bands,
        "not_assessed": not_assessed,
        "median_days": round(statistics.median(waits), 1) if len(waits) >= SMALLEST else None,
        "by_category": by_category,
        "by_partner": by_partner,
        "by_group": by_group,
    }
