"""The inbox: notifications to one member or to everyone in an area."""

from peewee import Value

from hamsayeh.domain import notifications
from models import Area, IdeaSupport, Notification, User, utcnow, write_transaction


def notify(user_id, kind, post=None, actor=None, idea=None, announcement=None, program=None, welfare_case=None):
    """The one place where notifications are made; some go by SMS as well
    (notifications.SMS_KINDS, to members who want them)."""
    Notification.create(
        user=user_id,
        kind=kind,
        post=post,
        actor=actor,
        idea=idea,
        announcement=announcement,
        program=program,
        welfare_case=welfare_case,
    )
    notifications.by_sms(user_id, kind, post=post, actor=actor, program=program, welfare_case=welfare_case)


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
    if kind == "announcement":
        # By SMS too, to those who asked for announcements (one statement per language).
        notifications.announce(members, announcement)


def notify_supporters(idea, kind, actor):
    """Notify every active supporter of `idea` once, in one statement, but
    whoever moved it and its author (who is told apart)."""
    supporters = (
        IdeaSupport.select(IdeaSupport.user, Value(kind), Value(actor.id), Value(idea.id), Value(utcnow()))
        .join(User)
        .where(
            IdeaSupport.idea == idea.id,
            User.is_active,
            IdeaSupport.user != actor.id,
            IdeaSupport.user != idea.author_id,
        )
    )
    fields = [Notification.user, Notification.kind, Notification.actor, Notification.idea, Notification.created_at]
    Notification.insert_from(supporters, fields).execute()


def mark_inbox_read(user):
    with write_transaction():
        Notification.update(read_at=utcnow()).where(Notification.user == user, Notification.read_at.is_null()).execute()
