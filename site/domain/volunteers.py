"""Volunteers: profiles, activity types, days, and matching them to needs."""

import datetime

from peewee import SQL, Case, Value, fn

from hamsayeh.domain import inbox
from models import (
    RELIABILITY_DAYS,
    WEEK_BITS,
    ActivityType,
    Area,
    Center,
    HelpPost,
    HelpResponse,
    PostEvent,
    UserRole,
    VolunteerActivity,
    VolunteerProfile,
    utcnow,
    write_transaction,
)


def city_of(neighborhood):
    """The nearest ancestor that is a city (or county), else the parent."""
    ancestors = neighborhood.ancestors()
    for kind in ("city", "county"):
        for area in reversed(ancestors):
            if area.kind == kind:
                return area
    return neighborhood.parent or neighborhood


def profile_of(user):
    """The member's volunteer profile, or None."""
    return VolunteerProfile.get_or_none(VolunteerProfile.user == user)


def listed_activities(ids):
    """The activity types still offered among `ids`."""
    return list(ActivityType.listed().where(ActivityType.id.in_(list(ids))))


def center_near(neighborhood, center_id):
    """The center `center_id` if it is in the city of `neighborhood`, else None."""
    if neighborhood is None or center_id is None:
        return None
    return Center.within(city_of(neighborhood)).where(Center.id == center_id).first()


def add_activity(user, neighborhood, activity, weekdays):
    """The simple pages' sign-up: `user` volunteers for `activity` on
    `weekdays`. A volunteer already keeps the rest of their profile, and gains
    a kind of help and days."""
    current = profile_of(user)
    activities, skilled = {activity.id: activity}, set()
    if current is None:
        return save_volunteer(
            user, neighborhood, [activity], weekdays=weekdays, time_slots=7, reach="neighborhood", missions=4
        )
    for row in current.activities.join(ActivityType):
        activities[row.activity_type.id] = row.activity_type
        if row.skilled:
            skilled.add(row.activity_type.id)
    return save_volunteer(
        user,
        neighborhood,
        list(activities.values()),
        skilled_activity_ids=skilled,
        weekdays=weekdays | current.weekdays,
        time_slots=current.time_slots,
        reach=current.reach,
        missions=current.missions,
    )


def save_volunteer(user, neighborhood, activities, skilled_activity_ids=(), **fields):
    """Create or update `user`'s volunteer profile and activities; the member
    becomes a volunteer."""
    with write_transaction():
        profile = VolunteerProfile.get_or_none(VolunteerProfile.user == user) or VolunteerProfile(user=user)
        profile.neighborhood = neighborhood
        profile.district = neighborhood.parent or neighborhood
        profile.city = city_of(neighborhood)
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.updated_at = utcnow()
        profile.save()
        VolunteerActivity.delete().where(VolunteerActivity.volunteer == profile).execute()
        VolunteerActivity.insert_many(
            [(profile, activity, activity.id in skilled_activity_ids) for activity in activities],
            fields=[VolunteerActivity.volunteer, VolunteerActivity.activity_type, VolunteerActivity.skilled],
        ).execute()
        UserRole.insert(user=user, role="volunteer").on_conflict_ignore().execute()
    return profile


def match_volunteers(post, limit=10):
    """The volunteers best placed to help with `post`, best first, each with
    its `score`. Everything is ranked in the database: activity type (and a
    skill in it), availability on the day and time, distance in the area tree,
    current load and recent confirmed help."""
    neighborhood = post.neighborhood
    district = neighborhood.parent_id or neighborhood.id
    city = city_of(neighborhood).id
    V, VA, R = VolunteerProfile, VolunteerActivity, HelpResponse
    in_reach = (
        (V.neighborhood == neighborhood.id)
        | ((V.reach == "district") & (V.district == district))
        | ((V.reach == "city") & (V.city == city))
    )
    place = Case(None, [(V.neighborhood == neighborhood.id, 30), (V.district == district, 15)], 0)
    if post.needed_on:
        day_bit = 1 << WEEK_BITS[post.needed_on.weekday()]
        day = Case(None, [(V.weekdays.bin_and(day_bit) != 0, 20)], 0)
    else:
        day = Case(None, [(V.weekdays != 0, 10)], 0)
    if post.time_window:
        slot = Case(None, [(V.time_slots.bin_and(1 << (post.time_window - 1)) != 0, 10)], 0)
    else:
        slot = Value(5)
    load = R.select(fn.COUNT(R.id)).where(R.responder == V.user, R.status.in_(("accepted", "done")))
    since = utcnow() - datetime.timedelta(days=RELIABILITY_DAYS)
    confirmed = R.select(fn.COUNT(R.id)).where(R.responder == V.user, R.status == "confirmed", R.updated_at > since)
    skill = Case(None, [(VA.skilled, 10)], 0)
    # MIN of two values is not portable (PostgreSQL says LEAST): cap it with a CASE.
    reliability = Case(None, [(fn.COALESCE(confirmed, 0) > 5, 5)], fn.COALESCE(confirmed, 0))
    score = place + day + slot + skill + reliability * 2 - fn.COALESCE(load, 0) * 5
    return (
        V.select(V, score.alias("score"))
        .join(VA)
        .where(VA.activity_type == post.activity_type_id, V.is_active, in_reach, V.user != post.author_id)
        .order_by(SQL("score").desc(), V.id)
        .limit(limit)
    )


def needs_for(profile, limit=30):
    """Open needs in the volunteer's reach, of the activity types they chose."""
    query = (
        HelpPost.select(HelpPost)
        .join(VolunteerActivity, on=(VolunteerActivity.activity_type == HelpPost.activity_type))
        .switch(HelpPost)
        .join(Area, on=(HelpPost.neighborhood == Area.id))
        .where(
            VolunteerActivity.volunteer == profile,
            HelpPost.kind == "request",
            HelpPost.status == "open",
            HelpPost.author != profile.user_id,
        )
    )
    if profile.reach == "neighborhood":
        query = query.where(HelpPost.neighborhood == profile.neighborhood_id)
    elif profile.reach == "district":
        query = query.where(Area.parent == profile.district_id)
    else:
        query = query.where(Area.path.startswith(profile.city.path))
    return query.order_by(HelpPost.urgency.desc(), HelpPost.created_at.desc()).limit(limit)


def invite_volunteer(post, volunteer_user, actor):
    with write_transaction():
        PostEvent.create(post=post, actor=actor, action="invited", detail=f"user:{volunteer_user.id}")
        inbox.notify(volunteer_user.id, "invited", post, actor)
