"""Volunteers on call in a crisis: asked by inbox and SMS, in a few statements
however many they are; their one-tap or one-SMS answer; teams sent to a
place, and each volunteer's check-in and check-out."""

from peewee import JOIN, Value, fn

from hamsayeh.domain import notifications, sms
from hamsayeh.domain.audit import record_audit
from hamsayeh.domain.crisis import CrisisError, hit_areas, log
from models import (
    Area,
    Crisis,
    CrisisCall,
    CrisisPlace,
    CrisisTeam,
    CrisisTeamMember,
    Notification,
    User,
    VolunteerProfile,
    made_once,
    utcnow,
    write_transaction,
)

# Volunteers who accept to go beyond their neighborhood (VolunteerProfile.reach):
# those of a district as far as the next district (two steps in the tree),
# those of a city anywhere in the region around.
NEAR_STEPS = 2
NEAR_REACHES, FAR_REACHES = ("district", "city"), ("city",)


def tree_distance(path, target_path):
    """Steps in the area tree from the area at `path` to the one at
    `target_path`: 0 inside it, else up to their common ancestor and down."""
    if path.startswith(target_path):
        return 0
    mine, theirs = path.strip("/").split("/"), target_path.strip("/").split("/")
    common = 0
    while common < min(len(mine), len(theirs)) and mine[common] == theirs[common]:
        common += 1
    return len(mine) - common + len(theirs) - common


def nearby_region(crisis):
    """Where volunteers who accept to travel are asked too: the parent of the crisis's area."""
    return crisis.area.parent if crisis.area.parent_id else crisis.area


def call_volunteers(actor, crisis, nearby=True, now=None):
    """Ask the volunteers of the areas hit (and, with `nearby`, those of the
    region around who accept to travel) whether they can come: one call each
    (asked once per crisis, however often this runs), an inbox line and an
    urgent SMS to each who has not turned SMS off. The number newly asked."""
    if crisis.ended_at is not None:
        raise CrisisError("ended")
    now = now or utcnow()
    hit = hit_areas(crisis)
    inside = None
    for area in hit:
        clause = Area.path.startswith(area.path)
        inside = clause if inside is None else inside | clause
    groups = {0: Area.select(Area.id).where(inside)}
    if nearby:
        region = nearby_region(crisis)
        outside = Area.select(Area.id, Area.path).where(
            Area.path.startswith(region.path), ~inside, Area.kind == "neighborhood"
        )
        by_distance = {}
        for area in outside:
            distance = min(tree_distance(area.path, item.path) for item in hit)
            by_distance.setdefault(distance, []).append(area.id)
        groups.update(by_distance)
    with write_transaction():
        asked = 0
        for distance, areas in groups.items():
            volunteers = (
                VolunteerProfile.select(
                    Value(crisis.id), VolunteerProfile.user, Value(distance), Value(now), Value("asked"), Value("")
                )
                .join(User)
                .where(VolunteerProfile.is_active, User.is_active, VolunteerProfile.neighborhood.in_(areas))
            )
            if distance:
                reaches = NEAR_REACHES if distance <= NEAR_STEPS else FAR_REACHES
                volunteers = volunteers.where(VolunteerProfile.reach.in_(reaches))
            # Every column without a null: the database fills no defaults here.
            fields = [
                CrisisCall.crisis,
                CrisisCall.user,
                CrisisCall.distance,
                CrisisCall.asked_at,
                CrisisCall.status,
                CrisisCall.answered_via,
            ]
            asked += CrisisCall.insert_from(volunteers, fields).on_conflict_ignore().as_rowcount().execute()
        new_calls = CrisisCall.select(CrisisCall.user).where(CrisisCall.crisis == crisis, CrisisCall.asked_at == now)
        Notification.insert_from(
            new_calls.select(CrisisCall.user, Value("crisis_call"), Value(actor.id), Value(now)),
            [Notification.user, Notification.kind, Notification.actor, Notification.created_at],
        ).execute()
        members = User.select(User.id, User.phone).where(
            User.id.in_(new_calls), User.phone != "", (User.sms_events.is_null()) | User.sms_events
        )
        for language in ("fa", "en"):
            body = notifications.text("crisis_call", language, name=crisis.area.name)
            sms.queue_from(
                members.where(User.language == language), body, f"crisis:{crisis.id}:call:", urgent=True, now=now
            )
        record_audit("crisis_called", actor, f"crisis:{crisis.id}", f"asked:{asked}")
        log(crisis, actor, "called", str(asked))
    return asked


def pending_call(user):
    """The member's unanswered call of an active crisis (the banner's "ready?"), or None."""
    return (
        CrisisCall.select(CrisisCall, Crisis)
        .join(Crisis)
        .where(CrisisCall.user == user, CrisisCall.status == "asked", Crisis.ended_at.is_null())
        .order_by(CrisisCall.id.desc())
        .first()
    )


def calls_of(user):
    """The member's calls of active crises, newest first."""
    return list(
        CrisisCall.select(CrisisCall, Crisis, Area)
        .join(Crisis)
        .join(Area)
        .where(CrisisCall.user == user, Crisis.ended_at.is_null())
        .order_by(CrisisCall.id.desc())
    )


def answer_call(call, status, via):
    """«آماده‌ام» (ready) or «نمی‌توانم» (cannot); a later answer replaces the
    first while the crisis is on."""
    with write_transaction():
        changed = (
            CrisisCall.update(status=status, answered_via=via, answered_at=utcnow())
            .where(
                CrisisCall.id == call.id,
                CrisisCall.crisis.in_(Crisis.select(Crisis.id).where(Crisis.ended_at.is_null())),
            )
            .execute()
        )
        if not changed:
            raise CrisisError("ended")
        log(call.crisis, call.user, status, call.user.name)


def answer_by_sms(member, status):
    """An SMS «آماده‌ام» or «نمی‌توانم»: answers the member's latest call of an
    active crisis. The answer's kind for sms_commands."""
    call = (
        CrisisCall.select(CrisisCall, Crisis)
        .join(Crisis)
        .where(CrisisCall.user == member, Crisis.ended_at.is_null())
        .order_by(CrisisCall.id.desc())
        .first()
    )
    if call is None:
        return "crisis_none"
    answer_call(call, status, "sms")
    return f"crisis_{status}"


def ready_volunteers(crisis):
    """Who said they are ready: nearest first, with their skills and their team."""
    return list(
        CrisisCall.select(CrisisCall, User, VolunteerProfile, CrisisTeamMember)
        .join(User)
        .join(VolunteerProfile, JOIN.LEFT_OUTER, on=(VolunteerProfile.user == User.id), attr="profile")
        .switch(CrisisCall)
        .join(CrisisTeamMember, JOIN.LEFT_OUTER, on=(CrisisTeamMember.call == CrisisCall.id), attr="membership")
        .where(CrisisCall.crisis == crisis, CrisisCall.status == "ready")
        .order_by(CrisisCall.distance, CrisisCall.answered_at)
    )


# --- Teams ---------------------------------------------------------------------------


def form_team(actor, crisis, form_key, name, task, place, call_ids):
    """A team of ready volunteers of this crisis (each in one team at most),
    sent to `place`. Calls that are not ready, or already in a team, stay out."""
    if crisis.ended_at is not None:
        raise CrisisError("ended")

    def make():
        team = CrisisTeam.create(crisis=crisis, name=name, task=task, place=place, created_by=actor, form_key=form_key)
        free = CrisisCall.select(CrisisCall.id).where(
            CrisisCall.crisis == crisis,
            CrisisCall.status == "ready",
            CrisisCall.id.in_(list(call_ids)),
            CrisisCall.id.not_in(CrisisTeamMember.select(CrisisTeamMember.call)),
        )
        CrisisTeamMember.insert_from(
            free.select(Value(team.id), CrisisCall.id), [CrisisTeamMember.team, CrisisTeamMember.call]
        ).on_conflict_ignore().execute()
        tell_team(actor, crisis, team, place)
        record_audit("crisis_team", actor, f"crisis:{crisis.id}", f"team:{team.id}")
        log(crisis, actor, "team", name)
        return team

    return made_once(CrisisTeam, form_key, make)


def tell_team(actor, crisis, team, place):
    """Each volunteer sent hears it in their inbox and by an urgent SMS naming the place."""
    now = utcnow()
    sent = CrisisCall.select(CrisisCall.user).join(CrisisTeamMember).where(CrisisTeamMember.team == team)
    Notification.insert_from(
        sent.select(CrisisCall.user, Value("crisis_team"), Value(actor.id), Value(now)),
        [Notification.user, Notification.kind, Notification.actor, Notification.created_at],
    ).execute()
    members = User.select(User.id, User.phone).where(
        User.id.in_(sent), User.phone != "", (User.sms_events.is_null()) | User.sms_events
    )
    where = team.name if place is None else " ".join(part for part in (place.name, place.address) if part)
    for language in ("fa", "en"):
        body = notifications.text("crisis_team", language, title=where)
        key = f"crisis:{crisis.id}:team:{team.id}:"
        sms.queue_from(members.where(User.language == language), body, key, urgent=True, now=now)


def teams(crisis):
    """Each team, its place and its members (with their check-ins)."""
    found = list(
        CrisisTeam.select(CrisisTeam, CrisisPlace)
        .join(CrisisPlace, JOIN.LEFT_OUTER)
        .where(CrisisTeam.crisis == crisis)
        .order_by(CrisisTeam.id)
    )
    members = (
        CrisisTeamMember.select(CrisisTeamMember, CrisisCall, User)
        .join(CrisisCall)
        .join(User)
        .where(CrisisTeamMember.team.in_([team.id for team in found] or [0]))
        .order_by(CrisisTeamMember.id)
    )
    by_team = {}
    for member in members:
        by_team.setdefault(member.team_id, []).append(member)
    for team in found:
        team.member_list = by_team.get(team.id, [])
    return found


def team_place_of(user):
    """The member's place in a team of an active crisis, or None."""
    return (
        CrisisTeamMember.select(CrisisTeamMember, CrisisTeam, CrisisCall)
        .join(CrisisCall)
        .switch(CrisisTeamMember)
        .join(CrisisTeam)
        .join(Crisis)
        .where(CrisisCall.user == user, Crisis.ended_at.is_null())
        .first()
    )


def check_in(member, actor):
    """The volunteer arrived: once."""
    return _mark(member, actor, "checked_in_at", CrisisTeamMember.checked_in_at.is_null(), "check_in")


def check_out(member, actor):
    """The volunteer left: once, after checking in."""
    condition = CrisisTeamMember.checked_in_at.is_null(False) & CrisisTeamMember.checked_out_at.is_null()
    return _mark(member, actor, "checked_out_at", condition, "check_out")


def _mark(member, actor, column, condition, action):
    # Only while the crisis is on: an ended crisis's hours stay as its record says.
    active_teams = CrisisTeam.select(CrisisTeam.id).join(Crisis).where(Crisis.ended_at.is_null())
    with write_transaction():
        changed = (
            CrisisTeamMember.update({column: utcnow()})
            .where(CrisisTeamMember.id == member.id, CrisisTeamMember.team.in_(active_teams), condition)
            .execute()
        )
        if changed:
            log(member.team.crisis, actor, action, member.call.user.name)
    return bool(changed)


def answered_count(crisis):
    return (
        CrisisCall.select(fn.COUNT(CrisisCall.id))
        .where(CrisisCall.crisis == crisis, CrisisCall.status != "asked")
        .scalar()
    )
