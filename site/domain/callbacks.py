"""Call-back requests from the simple pages, the kiosk and SMS."""

from peewee import IntegrityError

from hamsayeh.domain import audit
from models import Area, CallbackRequest, FacilitatorAssignment, FacilitatorProfile, write_transaction


def request_callback(form_key=None, **fields):
    """A call-back request; the same form sent twice makes one."""
    try:
        with write_transaction():
            return CallbackRequest.create(form_key=form_key, **fields)
    except IntegrityError:
        found = CallbackRequest.get_or_none(CallbackRequest.form_key == form_key) if form_key else None
        if found is None:
            raise
        return found


def callbacks_for(actor, actor_roles):
    """Open call-back requests this staff member should answer: those of their
    center or its area, those of a facilitator's neighborhoods, and those that
    came without a place (an SMS from an unknown number)."""
    unplaced = CallbackRequest.neighborhood.is_null() & CallbackRequest.center.is_null()
    mine = unplaced
    if "center_staff" in actor_roles and actor.work_center_id:
        center = actor.work_center
        in_area = CallbackRequest.neighborhood.in_(Area.select(Area.id).where(Area.path.startswith(center.area.path)))
        mine = mine | (CallbackRequest.center == center) | in_area
    if "facilitator" in actor_roles:
        assigned = (
            FacilitatorAssignment.select(FacilitatorAssignment.neighborhood)
            .join(FacilitatorProfile)
            .where(FacilitatorProfile.user == actor)
        )
        mine = mine | CallbackRequest.neighborhood.in_(assigned)
    return (
        CallbackRequest.select()
        .where(CallbackRequest.status == "open", mine)
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
    )


def close_callback(callback, status, actor):
    with write_transaction():
        changed = (
            CallbackRequest.update(status=status)
            .where(CallbackRequest.id == callback.id, CallbackRequest.status == "open")
            .execute()
        )
        audit.record_audit(f"callback.{status}", actor=actor, subject=f"callback:{callback.id}")
    return bool(changed)
