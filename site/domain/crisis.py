"""Crisis mode for an area (issue 22): declared and ended by headquarters or
the coordinator of the area's assembly, audited; while it is on, the catalog
knows it (its rows raise the catalog's revision), so every page of the areas
hit shows its banner, and the board puts urgent needs first.

Volunteers on call, teams and places are in `crisis_callout` and
`crisis_places`; the situation and the record are here."""

import datetime

from peewee import JOIN, IntegrityError, fn

from hamsayeh.domain.audit import record_audit
from hamsayeh.domain.reference import CRISIS_PREFIX
from models import (
    ActivityType,
    Area,
    Assembly,
    AssemblyMember,
    Capacity,
    Crisis,
    CrisisArea,
    CrisisCall,
    CrisisEvent,
    CrisisLesson,
    CrisisOffer,
    CrisisPlace,
    CrisisStock,
    CrisisTeam,
    CrisisTeamMember,
    HelpPost,
    User,
    made_once,
    utcnow,
    write_transaction,
)

DECLARABLE_KINDS = ("county", "city", "district")
LAST_CHANGES = datetime.timedelta(hours=1)


class CrisisError(Exception):
    """The crisis cannot take this change (ended, or already declared)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def log(crisis, actor, action, detail=""):
    """One line of what changed; inside the write that made the change."""
    CrisisEvent.create(crisis=crisis, actor=actor, action=action, detail=detail[:200])


# --- Declaring and ending ----------------------------------------------------------


def areas_hit_choices(area):
    """The areas a crisis of `area` may name as hit: its cities and districts."""
    return list(
        Area.live()
        .where(Area.path.startswith(area.path), Area.id != area.id, Area.kind.in_(("city", "district")))
        .order_by(Area.path)
        .limit(60)
    )


def declarable_areas(user, is_headquarters):
    """The counties, cities and districts `user` may declare a crisis for."""
    query = Area.live().where(Area.kind.in_(DECLARABLE_KINDS))
    if not is_headquarters:
        paths = [
            assembly.area.path
            for assembly in Assembly.select(Assembly, Area).join(Area).where(Assembly.coordinator == user)
        ]
        if not paths:
            return []
        condition = Area.path.startswith(paths[0])
        for path in paths[1:]:
            condition |= Area.path.startswith(path)
        query = query.where(condition)
    return list(query.order_by(Area.path).limit(200))


def declare(actor, area, form_key, kind, what_to_do, where_to_go, started_on, areas_hit=()):
    """The crisis this form declared (a double submit finds the first). A
    crisis already on for the same area is refused (one unique index)."""
    hit = [item for item in areas_hit if item.path.startswith(area.path)] or [area]

    def make():
        crisis = Crisis.create(
            kind=kind,
            area=area,
            what_to_do=what_to_do,
            where_to_go=where_to_go,
            started_on=started_on,
            declared_by=actor,
            form_key=form_key,
        )
        CrisisArea.insert_many(
            [(crisis.id, item.id) for item in hit], fields=[CrisisArea.crisis, CrisisArea.area]
        ).execute()
        record_audit("crisis_declared", actor, f"crisis:{crisis.id}", f"{kind} area:{area.id}")
        log(crisis, actor, "declared", area.name)
        return crisis

    try:
        with write_transaction():
            found = Crisis.get_or_none(Crisis.form_key == form_key)
            return found if found is not None else make()
    except IntegrityError as error:
        # The same form sent twice at once meets the form key; another crisis on for the area, its own index.
        found = Crisis.get_or_none(Crisis.form_key == form_key)
        if found is None:
            raise CrisisError("already_on") from error
        return found


def end(actor, crisis):
    """End the crisis: the pages return to normal; the record stays."""
    with write_transaction():
        changed = (
            Crisis.update(ended_at=utcnow(), ended_by=actor)
            .where(Crisis.id == crisis.id, Crisis.ended_at.is_null())
            .execute()
        )
        if not changed:
            raise CrisisError("ended")
        record_audit("crisis_ended", actor, f"crisis:{crisis.id}")
        log(crisis, actor, "ended")


def active_crises():
    return Crisis.select(Crisis, Area).join(Area).where(Crisis.ended_at.is_null()).order_by(Crisis.declared_at.desc())


def past_crises(limit=20):
    return list(
        Crisis.select(Crisis, Area)
        .join(Area)
        .where(Crisis.ended_at.is_null(False))
        .order_by(Crisis.ended_at.desc())
        .limit(limit)
    )


def hit_areas(crisis):
    return list(Area.select().join(CrisisArea).where(CrisisArea.crisis == crisis).order_by(Area.path))


def hit_neighborhoods(crisis):
    """A query of the ids of the neighborhoods (and every area) the crisis hit."""
    condition = None
    for area in hit_areas(crisis):
        clause = Area.path.startswith(area.path)
        condition = clause if condition is None else condition | clause
    return Area.select(Area.id).where(condition)


def crisis_types():
    return list(
        ActivityType.select().where(ActivityType.slug.startswith(CRISIS_PREFIX)).order_by(ActivityType.position)
    )


def crisis_needs(crisis):
    """The needs posted in the areas hit while the crisis was on."""
    query = HelpPost.select().where(
        HelpPost.kind == "request",
        HelpPost.neighborhood.in_(hit_neighborhoods(crisis)),
        HelpPost.created_at >= datetime.datetime.combine(crisis.started_on, datetime.time()),
    )
    if crisis.ended_at is not None:
        query = query.where(HelpPost.created_at <= crisis.ended_at)
    return query


# --- The lesson log -----------------------------------------------------------------


def add_lesson(actor, crisis, form_key, title, narrative, next_time):
    def make():
        lesson = CrisisLesson.create(
            crisis=crisis, title=title, narrative=narrative, next_time=next_time, author=actor, form_key=form_key
        )
        log(crisis, actor, "lesson", title)
        return lesson

    return made_once(CrisisLesson, form_key, make)


def lessons(crisis):
    return list(
        CrisisLesson.select(CrisisLesson, User)
        .join(User)
        .where(CrisisLesson.crisis == crisis)
        .order_by(CrisisLesson.id)
    )


# --- The situation and the record ---------------------------------------------------


def open_needs(crisis):
    """Open needs by kind and by neighborhood: [(kind, area, count)], most first."""
    rows = (
        crisis_needs(crisis)
        .select(ActivityType, Area, fn.COUNT(HelpPost.id).alias("count"))
        .join(ActivityType)
        .switch(HelpPost)
        .join(Area, on=(HelpPost.neighborhood == Area.id))
        .where(HelpPost.status == "open")
        .group_by(ActivityType, Area)
        .order_by(fn.COUNT(HelpPost.id).desc())
    )
    return [(row.activity_type, row.neighborhood, row.count) for row in rows]


def call_counts(crisis):
    rows = (
        CrisisCall.select(CrisisCall.status, fn.COUNT(CrisisCall.id).alias("count"))
        .where(CrisisCall.crisis == crisis)
        .group_by(CrisisCall.status)
    )
    counts = dict.fromkeys(CrisisCall.STATUSES, 0)
    counts.update({row.status: row.count for row in rows})
    return counts


def assembly_capacities(crisis):
    """The capacity inventory of the assembly's member organizations in the
    crisis's area (Capacity): what they declared they can give."""
    assembly = (
        Assembly.select()
        .join(Area)
        .where(Area.id.in_([int(part) for part in crisis.area.path.strip("/").split("/") if part]))
        .order_by(fn.LENGTH(Area.path).desc())
        .first()
    )
    if assembly is None:
        return []
    return list(
        Capacity.select(Capacity, Area)
        .join(Area)
        .switch(Capacity)
        .join(AssemblyMember, on=(AssemblyMember.organization == Capacity.organization))
        .where(AssemblyMember.assembly == assembly, Area.path.startswith(crisis.area.path))
        .order_by(Capacity.category)
    )


def stock_totals(crisis):
    """Per item: what all places have and still want."""
    rows = (
        CrisisStock.select(
            CrisisStock.item, fn.SUM(CrisisStock.have).alias("have"), fn.SUM(CrisisStock.wanted).alias("wanted")
        )
        .join(CrisisPlace)
        .where(CrisisPlace.crisis == crisis)
        .group_by(CrisisStock.item)
    )
    return {row.item: (row.have or 0, row.wanted or 0) for row in rows}


def minutes_given(crisis):
    """The minutes volunteers gave, checked in to checked out (still in: until now)."""
    total = 0
    now = utcnow()
    members = (
        CrisisTeamMember.select(CrisisTeamMember.checked_in_at, CrisisTeamMember.checked_out_at)
        .join(CrisisTeam)
        .where(CrisisTeam.crisis == crisis, CrisisTeamMember.checked_in_at.is_null(False))
    )
    for member in members:
        end_at = member.checked_out_at or (now if crisis.ended_at is None else crisis.ended_at)
        total += max(0, int((end_at - member.checked_in_at).total_seconds() // 60))
    return total


def situation(crisis, now=None):
    """What the coordinator's page and the PDF show, in a few queries."""
    from hamsayeh.domain import crisis_callout, crisis_places

    now = now or utcnow()
    places = crisis_places.places(crisis)
    shelters = [place for place in places if place.kind == "shelter"]
    capacities = assembly_capacities(crisis)
    return {
        "needs": open_needs(crisis),
        "calls": call_counts(crisis),
        "ready": crisis_callout.ready_volunteers(crisis),
        "shelter_free": sum(place.capacity - place.occupied for place in shelters),
        "beds_declared": sum(item.quantity for item in capacities if item.category == "shelter_beds"),
        "places": places,
        "stocks": stock_totals(crisis),
        "capacities": capacities,
        "teams": crisis_callout.teams(crisis),
        "offers": list(CrisisOffer.select().where(CrisisOffer.crisis == crisis).order_by(CrisisOffer.id.desc())),
        "changes": list(
            CrisisEvent.select(CrisisEvent, User)
            .join(User, JOIN.LEFT_OUTER)
            .where(CrisisEvent.crisis == crisis, CrisisEvent.at >= now - LAST_CHANGES)
            .order_by(CrisisEvent.at.desc(), CrisisEvent.id.desc())
            .limit(30)
        ),
    }


def situation_report(actor, crisis):
    """The situation for the printed report, which leaves the site: who printed it is audited."""
    with write_transaction():
        record_audit("crisis_report", actor, f"crisis:{crisis.id}")
    return situation(crisis)


def record(crisis):
    """What stays when it ends: needs asked and met, volunteers ready, hours given, lessons."""
    needs = crisis_needs(crisis)
    return {
        "needs": needs.count(),
        "needs_met": needs.where(HelpPost.status == "done").count(),
        "calls": call_counts(crisis),
        "minutes": minutes_given(crisis),
        "teams": CrisisTeam.select().where(CrisisTeam.crisis == crisis).count(),
        "lessons": lessons(crisis),
    }
