"""Facilitators (تسهیل‌گران): profiles, the neighborhoods they serve, their training."""

from hamsayeh.domain import audit
from models import Area, FacilitatorAssignment, FacilitatorProfile, Training, User, write_transaction

NEIGHBORHOODS_LISTED = 300


def facilitator_profile(user, create=True):
    profile = FacilitatorProfile.get_or_none(FacilitatorProfile.user == user)
    if profile is None and create:
        with write_transaction():
            FacilitatorProfile.insert(user=user).on_conflict_ignore().execute()
        profile = FacilitatorProfile.get(FacilitatorProfile.user == user)
    return profile


def assign_facilitator(user, neighborhood, actor):
    with write_transaction():
        profile = facilitator_profile(user)
        FacilitatorAssignment.insert(
            facilitator=profile, neighborhood=neighborhood, assigned_by=actor
        ).on_conflict_ignore().execute()
        audit.record_audit(
            "facilitator.assigned", actor=actor, subject=f"user:{user.id}", detail=f"area:{neighborhood.id}"
        )


def unassign_facilitator(user, neighborhood, actor):
    with write_transaction():
        FacilitatorAssignment.delete().where(
            FacilitatorAssignment.facilitator.in_(
                FacilitatorProfile.select(FacilitatorProfile.id).where(FacilitatorProfile.user == user)
            ),
            FacilitatorAssignment.neighborhood == neighborhood,
        ).execute()
        audit.record_audit(
            "facilitator.unassigned", actor=actor, subject=f"user:{user.id}", detail=f"area:{neighborhood.id}"
        )


def facilitators_of(neighborhood):
    """The facilitators assigned to a neighborhood, with their profiles."""
    return (
        FacilitatorProfile.select(FacilitatorProfile, User)
        .join(User)
        .switch(FacilitatorProfile)
        .join(FacilitatorAssignment)
        .where(FacilitatorAssignment.neighborhood == neighborhood, User.is_active)
        .order_by(User.name)
    )


def facilitates(user, neighborhood_id):
    """Whether `user` is an assigned facilitator of the neighborhood."""
    return (
        FacilitatorAssignment.select()
        .join(FacilitatorProfile)
        .where(FacilitatorProfile.user == user, FacilitatorAssignment.neighborhood == neighborhood_id)
        .exists()
    )


def record_training(user, course, hours, completed_on, actor):
    """A course the facilitator completed, recorded by headquarters or center staff."""
    profile = facilitator_profile(user)
    with write_transaction():
        return Training.create(
            facilitator=profile, course=course, hours=hours, completed_on=completed_on, recorded_by=actor
        )


def save_contact(user, contact):
    """The facilitator's note that tells neighbors how to reach them."""
    profile = facilitator_profile(user)
    with write_transaction():
        FacilitatorProfile.update(contact=contact).where(FacilitatorProfile.id == profile.id).execute()


def assignments_of(profile):
    """The neighborhoods a facilitator serves (none without a profile)."""
    return list(profile.assignments.join(Area)) if profile else []


def training_of(profile):
    """The facilitator's courses, the latest first."""
    return list(profile.training.order_by(Training.completed_on.desc())) if profile else []


def neighborhoods_within(area):
    """The neighborhoods of `area` by name, for choosing one to assign (none without an area)."""
    if area is None:
        return []
    hoods = Area.select().where(Area.kind == "neighborhood", Area.path.startswith(area.path))
    return list(hoods.order_by(Area.name).limit(NEIGHBORHOODS_LISTED))
