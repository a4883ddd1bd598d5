"""The inbox: notifications to one member or to everyone in an area."""

from peewee import Value

from models import Area, Notification, User, utcnow, write_transaction


def notify(user_id, kind, post=None, actor=None, idea=None, announcement=None, program=None):
    """The one place where notifications are made (an SMS channel joins here)."""
    Notification.create(
        user=user_id, kind=kind, post=post, actor=actor, idea=idea, announcement=announcement, program=program
    )


def notify_area(area, kind, actor, announcement):
    """Notify every active member who lives in `area` (None: everyone) in one
    statement, however many they are."""
    members = User.select(User.id, Value(kind), Value(actor.id), Value(announcement.id), Value(utcnow())).where(
        User.is_active, User.id != actor.id
    )
    if area is not None:
        members = members.where(User.neighborhood.in_(Area.select(Area.id).where(Area.path.startswith(area.path))))
    fields = [
        Notification.user,
        Notification.kind,
        Notification.actor,
        Notification.announcement,
        Notification.created_at,
    ]
    Notification.insert_from(members, fields).execute()


def mark_inbox_read(user):
    with write_transaction():
        Notification.update(read_at=utcnow()).where(Notification.user == user, Notification.read_at.is_null()).execute()
