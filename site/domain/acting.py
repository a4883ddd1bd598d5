"""Acting for someone: trusted helpers, asked and accepted, and who acts for whom."""

import datetime

from hamsayeh.domain import audit, inbox
from models import AuditEntry, TrustedHelper, User, utcnow, write_transaction

# Each ask may put a line in someone's inbox: a member asks at most this many a day.
ASKS_A_DAY = 10


class TooManyAsks(Exception):
    pass


def ask_helper(person, phone, now=None):
    """Ask whoever holds `phone` to act for `person`. Nothing in the answer or
    on the person's page depends on whether the number has an account: a
    number without one (or a disabled one) is kept as asked, and only a
    member is told, in their inbox."""
    now = now or utcnow()
    helper = User.by_phone(phone)
    if helper is not None and not helper.is_active:
        helper = None
    with write_transaction():
        if TrustedHelper.select().where(TrustedHelper.person == person, TrustedHelper.phone == phone).exists():
            return
        asked_today = AuditEntry.select().where(
            AuditEntry.actor == person,
            AuditEntry.action == "acting.helper_asked",
            AuditEntry.at > now - datetime.timedelta(days=1),
        )
        if asked_today.count() >= ASKS_A_DAY:
            raise TooManyAsks
        TrustedHelper.create(person=person, helper=helper, phone=phone, created_at=now)
        if helper is not None:
            inbox.notify(helper.id, "helper_asked", actor=person)
        audit.record_audit("acting.helper_asked", actor=person, subject=audit.phone_subject(phone))


def add_trusted_helper(person, helper):
    """A helper who agreed in person, with the person there too (at a center's
    desk): accepted at once."""
    with write_transaction():
        TrustedHelper.insert(
            person=person, helper=helper, phone=helper.phone, status="accepted", answered_at=utcnow()
        ).on_conflict_ignore().execute()
        audit.record_audit("acting.helper_added", actor=person, subject=f"user:{helper.id}")


def link_asked_helper(user):
    """A new account takes over what its number was asked before it existed."""
    TrustedHelper.update(helper=user).where(TrustedHelper.phone == user.phone, TrustedHelper.helper.is_null()).execute()


def helpers_of(person):
    """Whom `person` asked or lets act for them, oldest first."""
    return TrustedHelper.select().where(TrustedHelper.person == person).order_by(TrustedHelper.id)


def asked_of(helper):
    """Who asks `helper` to act for them and waits for an answer."""
    return (
        TrustedHelper.select()
        .where(TrustedHelper.helper == helper, TrustedHelper.status == "asked")
        .order_by(TrustedHelper.id)
    )


def helped_by(helper):
    """The people `helper` has accepted to act for."""
    return (
        User.select()
        .join(TrustedHelper, on=TrustedHelper.person)
        .where(TrustedHelper.helper == helper, TrustedHelper.status == "accepted")
        .order_by(TrustedHelper.id)
    )


def ask_for(helper, ask_id):
    """The waiting ask `ask_id` addressed to `helper`, or None."""
    return TrustedHelper.get_or_none(
        TrustedHelper.id == ask_id, TrustedHelper.helper == helper, TrustedHelper.status == "asked"
    )


def answer_ask(ask, accept):
    """The helper's answer: accepting lets them act; declining removes the ask."""
    with write_transaction():
        if accept:
            TrustedHelper.update(status="accepted", answered_at=utcnow()).where(TrustedHelper.id == ask.id).execute()
        else:
            TrustedHelper.delete().where(TrustedHelper.id == ask.id).execute()
        action = "acting.helper_accepted" if accept else "acting.helper_declined"
        audit.record_audit(action, actor=ask.helper_id, subject=f"user:{ask.person_id}")


def withdraw_ask(person, ask_id):
    """The person takes back an ask not yet answered; False when there is none."""
    with write_transaction():
        removed = (
            TrustedHelper.delete()
            .where(TrustedHelper.id == ask_id, TrustedHelper.person == person, TrustedHelper.status == "asked")
            .execute()
        )
        if removed:
            audit.record_audit("acting.helper_withdrawn", actor=person, subject=f"ask:{ask_id}")
    return bool(removed)


def remove_trusted_helper(person, helper_id):
    with write_transaction():
        TrustedHelper.delete().where(TrustedHelper.person == person, TrustedHelper.helper == helper_id).execute()
        audit.record_audit("acting.helper_removed", actor=person, subject=f"user:{helper_id}")


def record_acting(action, actor, person, detail=""):
    """An audit entry of acting for `person`: "start", "stop" or "write" (a change made for them)."""
    with write_transaction():
        audit.record_audit(f"acting.{action}", actor=actor, subject=f"user:{person.id}", detail=detail)
