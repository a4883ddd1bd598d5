"""Facilitators (تسهیل‌گران): profiles, the neighborhoods they serve, their training."""

from hamsayeh.domain import audit
from models import FacilitatorAssignment, FacilitatorProfile, User, write_transaction


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
