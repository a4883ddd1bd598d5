"""Reference data that administrators keep: the list of activity types. Each
change is audited; a retired type stays on old posts but is offered no more."""

from hamsayeh.domain import audit
from models import ActivityType, write_transaction

# The kinds of need only a crisis offers (crisis mode, migration 0058): kept
# inactive, offered while a crisis is on, never listed here to be switched on.
CRISIS_PREFIX = "crisis-"


def activity_types():
    """Every activity type, retired ones too, in the list's order."""
    return (
        ActivityType.select()
        .where(~ActivityType.slug.startswith(CRISIS_PREFIX))
        .order_by(ActivityType.position, ActivityType.id)
    )


def slug_taken(slug):
    return ActivityType.select().where(ActivityType.slug == slug).exists()


def add_activity_type(actor, slug, name, name_en="", position=0):
    with write_transaction():
        item = ActivityType.create(slug=slug, name=name, name_en=name_en, position=position)
        audit.record_audit("activity_type.created", actor=actor, subject=f"activity_type:{slug}")
    return item


def change_activity_type(actor, item, name, name_en, position, is_active):
    with write_transaction():
        ActivityType.update(name=name, name_en=name_en, position=position, is_active=is_active).where(
            ActivityType.id == item.id
        ).execute()
        audit.record_audit("activity_type.changed", actor=actor, subject=f"activity_type:{item.slug}")
