"""Call-back requests from the simple pages, the kiosk and SMS (read by
`sms_commands`), and what the help desk reads of them."""

import datetime
import hashlib

from peewee import IntegrityError

from hamsayeh.domain import accounts, audit, centers, notifications
from models import (
    CallbackRequest,
    FacilitatorAssignment,
    FacilitatorProfile,
    User,
    utcnow,
    write_transaction,
)

# A guest can send the form again and again: a number asks a few times a day,
# and one address (a family, a center's kiosk) somewhat more often.
PER_PHONE_PER_DAY = 3
PER_ADDRESS_PER_HOUR = 10
CALLS_PER_PAGE = 20


class LimitReached(Exception):
    """Too many call-back requests lately from this number ("phone") or this
    network address ("address")."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def address_hash(address):
    """What is kept of a network address: enough to count, not to read back."""
    # An IPv6 /64 counts as one address, as at sign-in: each phone is given a whole /64.
    return hashlib.sha256(f"callback:{accounts.address_group(address)}".encode()).hexdigest()


def _check_limits(phone, address, now):
    day, hour = now - datetime.timedelta(days=1), now - datetime.timedelta(hours=1)
    if phone:
        sent = CallbackRequest.select().where(CallbackRequest.phone == phone, CallbackRequest.created_at >= day)
        if sent.count() >= PER_PHONE_PER_DAY:
            raise LimitReached("phone")
    if address is not None:
        hashed = address_hash(address)
        sent = CallbackRequest.select().where(
            CallbackRequest.address_hash == hashed, CallbackRequest.created_at >= hour
        )
        if sent.count() >= PER_ADDRESS_PER_HOUR:
            raise LimitReached("address")


def request_callback(form_key=None, address=None, now=None, **fields):
    """A call-back request; the same form sent twice makes one. `address` is
    the sender's network address (None: not a web request); more than the
    limits allow per number or per address raise LimitReached."""
    now = now or utcnow()
    try:
        with write_transaction():
            found = CallbackRequest.get_or_none(CallbackRequest.form_key == form_key) if form_key else None
            if found is not None:
                return found
            # Counted under the write lock: two requests at once cannot both pass the last place.
            _check_limits(fields.get("phone"), address, now)
            hashed = address_hash(address) if address is not None else None
            callback = CallbackRequest.create(form_key=form_key, address_hash=hashed, created_at=now, **fields)
            # A member who asked on the web or at a kiosk hears by SMS that it is booked.
            notifications.callback_booked(callback)
            return callback
    except IntegrityError:
        found = CallbackRequest.get_or_none(CallbackRequest.form_key == form_key) if form_key else None
        if found is None:
            raise
        return found


def _answered_by(actor, actor_roles):
    """Which call-back requests this staff member answers: those asked of
    their center, or from a neighborhood it serves (`centers.center_neighborhoods`:
    whose members' center it is), those of a facilitator's neighborhoods,
    and those that came without a place (an SMS from an unknown number)."""
    unplaced = CallbackRequest.neighborhood.is_null() & CallbackRequest.center.is_null()
    mine = unplaced
    if "center_staff" in actor_roles and actor.work_center_id:
        center = actor.work_center
        served = CallbackRequest.neighborhood.in_(centers.center_neighborhood_ids(center))
        mine = mine | (CallbackRequest.center == center) | served
    if "facilitator" in actor_roles:
        assigned = (
            FacilitatorAssignment.select(FacilitatorAssignment.neighborhood)
            .join(FacilitatorProfile)
            .where(FacilitatorProfile.user == actor)
        )
        mine = mine | CallbackRequest.neighborhood.in_(assigned)
    return mine


def answered_by(callback, actor, actor_roles):
    """Whether `actor` answers `callback` (the rule `access.answers_callback` asks)."""
    return CallbackRequest.select().where(CallbackRequest.id == callback.id, _answered_by(actor, actor_roles)).exists()


def callbacks_for(actor, actor_roles, status="open"):
    """The call-back requests in `status` this staff member answers, newest
    first: a flood of old ones never hides a new one."""
    return (
        CallbackRequest.select()
        .where(CallbackRequest.status == status, _answered_by(actor, actor_roles))
        .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
    )


def desk_calls(actor, actor_roles, status="open", page=1, per_page=CALLS_PER_PAGE):
    """One page of the desk's call-back requests in `status`, newest first, and
    whether older ones follow. Phone numbers are shown: the reading is audited."""
    rows = list(callbacks_for(actor, actor_roles, status).offset((page - 1) * per_page).limit(per_page + 1))
    shown = rows[:per_page]
    audit.audit("desk.calls_viewed", actor=actor, detail=f"{len(shown)} shown")
    return shown, len(rows) > per_page


def close_callback(callback, status, actor):
    """Mark an open request as called or closed; False when it was answered already."""
    with write_transaction():
        changed = (
            CallbackRequest.update(status=status)
            .where(CallbackRequest.id == callback.id, CallbackRequest.status == "open")
            .execute()
        )
        audit.record_audit(f"callback.{status}", actor=actor, subject=f"callback:{callback.id}")
    return bool(changed)


def open_callbacks_of(user, limit=5):
    """The member's own call-back requests still waiting, newest first."""
    return (
        CallbackRequest.select()
        .where(CallbackRequest.user == user, CallbackRequest.status == "open")
        .order_by(CallbackRequest.created_at.desc())
        .limit(limit)
    )


def look_up_member(actor, phone):
    """The member with this number, for the help desk; every look-up is audited,
    found or not (whether the desk serves them is asked of `access`)."""
    member = User.by_phone(phone)
    audit.audit("desk.lookup", actor=actor, subject=f"user:{member.id}" if member else "none")
    return member
