"""Event campaigns (iftar tables, سفرهٔ افطاری): their sittings, each with a
place, a day and time and its places, and members' sign-ups, one place per
person. A full sitting is full: there is no waiting list.

The last place is given once, on SQLite and PostgreSQL alike: the sign-up
raises the sitting's `taken` by a conditional update (`taken < capacity`),
backed by a CHECK, in the same transaction that writes the sign-up, whose
UNIQUE(sitting, user) keeps one place per person."""

from collections import namedtuple

from peewee import IntegrityError, fn

from hamsayeh.domain import accounts, audit, drives
from models import Campaign, EventSitting, SittingSignup, User, made_once, utcnow, write_transaction


class EventError(ValueError):
    """Why a sitting refused: "closed" (the campaign is not open, or the
    sitting has begun), "full", or "kind" (the campaign is not an event)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def sittings_of(campaign):
    return list(EventSitting.select().where(EventSitting.campaign == campaign).order_by(EventSitting.starts_at))


def add_sitting(campaign, actor, form_key, place, starts_at, capacity):
    """A sitting of an event campaign, made once per form."""
    if campaign.kind != "event":
        raise EventError("kind")

    def make():
        item = EventSitting.create(
            campaign=campaign, place=place, starts_at=starts_at, capacity=capacity, created_by=actor, form_key=form_key
        )
        audit.record_audit("campaign.sitting_added", actor=actor, subject=f"sitting:{item.id}")
        return item

    return made_once(EventSitting, form_key, make)


def refusal(sitting, now=None):
    """Why the sitting would refuse a sign-up now ("closed", "full"), or None:
    asked before a guest's code is sent (sign_up decides, under the lock)."""
    now = now or utcnow()
    if Campaign.get_by_id(sitting.campaign_id).status != "open" or sitting.starts_at <= now:
        return "closed"
    return "full" if sitting.taken >= sitting.capacity else None


def signup_of(sitting, user):
    """`user`'s place at the sitting, if they hold one."""
    if user is None:
        return None
    return SittingSignup.get_or_none(
        SittingSignup.sitting == sitting, SittingSignup.user == user, SittingSignup.status == "confirmed"
    )


def signups_of(sitting):
    """Who holds a place, oldest first, with their accounts (for the organizer)."""
    return list(
        SittingSignup.select(SittingSignup, User)
        .join(User)
        .where(SittingSignup.sitting == sitting, SittingSignup.status == "confirmed")
        .order_by(SittingSignup.created_at, SittingSignup.id)
    )


def sign_up(sitting, user, now=None):
    """A place at the sitting for `user`; signing up again keeps the first
    place. Raises EventError("closed") when the campaign is not open or the
    sitting has begun, EventError("full") when no place is left."""
    now = now or utcnow()
    try:
        with write_transaction():
            sitting = EventSitting.get_by_id(sitting.id)
            if Campaign.get_by_id(sitting.campaign_id).status != "open" or sitting.starts_at <= now:
                raise EventError("closed")
            found = SittingSignup.get_or_none(SittingSignup.sitting == sitting, SittingSignup.user == user)
            if found is not None and found.status == "confirmed":
                return found
            given = (
                EventSitting.update(taken=EventSitting.taken + 1)
                .where(EventSitting.id == sitting.id, EventSitting.taken < EventSitting.capacity)
                .execute()
            )
            if not given:
                raise EventError("full")
            if found is None:
                return SittingSignup.create(
                    sitting=sitting, user=user, status="confirmed", created_at=now, updated_at=now
                )
            SittingSignup.update(status="confirmed", created_at=now, updated_at=now).where(
                SittingSignup.id == found.id
            ).execute()
            return SittingSignup.get_by_id(found.id)
    except IntegrityError:
        # The same member's second press at the same moment: the first holds the place.
        return SittingSignup.get(SittingSignup.sitting == sitting, SittingSignup.user == user)


def leave(sitting, user, now=None):
    """Give up one's place: it is free again for the next to sign up."""
    now = now or utcnow()
    with write_transaction():
        left = (
            SittingSignup.update(status="cancelled", updated_at=now)
            .where(SittingSignup.sitting == sitting, SittingSignup.user == user, SittingSignup.status == "confirmed")
            .execute()
        )
        if left:
            EventSitting.update(taken=EventSitting.taken - 1).where(EventSitting.id == sitting.id).execute()
    return bool(left)


# --- A guest's place, confirmed by a one-time SMS code ----------------------------------

# The place given, and its holder's account; or why not: the code's problems
# ("wrong", "expired", "used"), "disabled", "again", or EventError's reasons.
GuestPlace = namedtuple("GuestPlace", "signup user problem")


def send_guest_code(phone, address, text, sitting, now=None):
    """Step one for a guest with a phone: a code to it (limited as every code
    is), the place it asks for kept with it. accounts.CodeRequest."""
    payload = {"campaign": sitting.campaign_id, "action": "sitting", "sitting": sitting.id}
    return drives.send_code_for(phone, address, text, payload, now)


def requested_sitting(found):
    """The sitting a guest's code request asks a place at ({"sitting": id, ...}), or {}."""
    payload = drives.code_payload(found)
    return payload if payload.get("action") == "sitting" else {}


def sign_up_as_guest(request_id, code, now=None):
    """Step two: the right code finds or makes the number's account and gives
    it a place, all at once; a full sitting gives none and the code stays unused."""
    checked = accounts.check_code(drives.PURPOSE, request_id, code, now)
    if checked.problem:
        return GuestPlace(None, None, checked.problem)
    found = checked.found
    wanted = requested_sitting(found)
    sitting = EventSitting.get_or_none(EventSitting.id == wanted["sitting"]) if wanted else None
    if sitting is None:
        return GuestPlace(None, None, "closed")
    try:
        with write_transaction():
            if not accounts.use_code(found, now):
                return GuestPlace(None, None, "used")
            user = accounts.account_for_number(found.phone, drives.NEW_ACCOUNT_NAME, None)
            if user is None:
                raise EventError("disabled")
            accounts.code_confirmed(found, user)
            place = sign_up(sitting, user, now)
            audit.record_audit("campaign.guest_signed_up", actor=user, subject=f"sitting:{sitting.id}")
    except EventError as refused:
        return GuestPlace(None, None, refused.reason)
    except IntegrityError:
        return GuestPlace(None, None, "again")
    return GuestPlace(place, user, None)


def guest_place_made(request_id):
    """The place this code already gave (the button pressed twice), or None."""
    found = drives.guest_request(request_id)
    wanted = requested_sitting(found) if found is not None else {}
    if not wanted or found.user_id is None:
        return None
    return SittingSignup.get_or_none(
        SittingSignup.sitting == wanted["sitting"],
        SittingSignup.user == found.user_id,
        SittingSignup.status == "confirmed",
    )


def places_taken(campaign):
    """Places taken at all of the campaign's sittings."""
    return (
        EventSitting.select(fn.COALESCE(fn.SUM(EventSitting.taken), 0))
        .where(EventSitting.campaign == campaign)
        .scalar()
    )


def progress(campaign):
    """The campaign's progress: places taken toward its goal (campaigns.progress)."""
    return {"done": int(places_taken(campaign) or 0), "goal": campaign.goal, "unit": campaign.goal_unit}


def public_context(campaign):
    """What the campaign's public page shows of an event: its sittings and
    their free places (templates/campaigns/_event.html)."""
    sittings = sittings_of(campaign)
    now = utcnow()
    return {
        "sittings": sittings,
        "upcoming": [item for item in sittings if item.starts_at > now],
        "places": sum(item.capacity for item in sittings),
        "taken": sum(item.taken for item in sittings),
    }
