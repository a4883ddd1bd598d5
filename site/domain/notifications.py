"""SMS beside the inbox: the events a member is told of by SMS as well, to
those who want them, each event once, none at night unless urgent, and a
budget for a request's whole life.

Which members: those who chose it on their account page, and by default
members of the simple pages and those whose account was made by SMS, at a
center's desk or by an import (or that has no PIN yet: SMS is all they have).
Announcements only to those who asked for them.

Which events: an offer received, a helper accepted, a help marked done (the
helped person replies «بله» to confirm it), a program place freed, a call-back
booked, and announcements. Events about a request its author marked "today"
are urgent and go out at night too; the rest wait until 07:00 in Tehran.

A request's life costs at most REQUEST_BUDGET messages, whoever receives
them, the answers to what the person texts about it («بله», «لغو ۲») too:
the early events (offers, an acceptance) take at most EARLY_EVENTS places, a
help marked done any place but the last, and the last stays for the answer
to «بله» (after the last "done" SMS, one place is always left). What finds
no place reaches the inbox only; a command is carried out all the same.

The words are the web layer's (`use_texts`): the domain says which message
and its values; the text, in the member's language, fits one SMS where it can."""

from peewee import SqliteDatabase

from hamsayeh import persian
from hamsayeh.domain import sms
from models import CaseAppointment, HelpPost, HelpResponse, User, db

REQUEST_BUDGET = 4
EARLY_EVENTS = 2
# The messages of a request's early events (to its author, or to the helper of an offer).
EARLY_KINDS = ("offer", "offer_offer", "accepted", "accepted_offer")
# Inbox kinds that also go by SMS, and the message each one sends.
SMS_KINDS = {
    "response": "offer",
    "accepted": "accepted",
    "done": "done",
    "program_place": "program_place",
    "case_visit": "case_visit",
}
# Origins of accounts that live by SMS.
SMS_ORIGINS = ("sms", "desk", "import")
TODAY = 2  # HelpPost.URGENCIES: today

_texts = {}


def use_texts(render):
    """The function that words a message: render(kind, language, **values) -> str."""
    _texts["render"] = render


def text(kind, language="fa", **values):
    return _texts["render"](kind, language, **values)


def sms_by_default(user):
    """On unless the member chose otherwise: simple pages, or an account that
    lives by SMS."""
    return bool(user.simple_mode or user.origin in SMS_ORIGINS or not user.pin_hash)


def wants_sms(user):
    """Whether `user` is told of their events by SMS."""
    if not user.is_active or not user.phone:
        return False
    return sms_by_default(user) if user.sms_events is None else user.sms_events


def request_number(post):
    """The number of a request among its author's requests (1, 2, 3…): short
    enough to type back in «لغو ۲», and it never changes (posts stay)."""
    return (
        HelpPost.select()
        .where(HelpPost.author == post.author_id, HelpPost.kind == post.kind, HelpPost.id <= post.id)
        .count()
    )


def room_for(post, kind):
    """Inside the transaction that would queue it: whether the request's life
    has a place left for the message `kind` about `post`. On PostgreSQL the
    request's row is held first, so that two events at the same moment cannot
    both take the last place (SQLite's write lock already does this)."""
    if not isinstance(db.obj, SqliteDatabase):
        HelpPost.select(HelpPost.id).where(HelpPost.id == post.id).for_update().execute()
    spent = sms.messages_about(post).count()
    if kind in EARLY_KINDS:
        return spent < EARLY_EVENTS
    if kind == "done":
        return spent < REQUEST_BUDGET - 1
    return spent < REQUEST_BUDGET


def _send(user, kind, event_key, post=None, urgent=False, now=None, **values):
    """Queue one event's SMS for `user`, once; None when it is not sent."""
    if post is not None and not room_for(post, kind):
        return None
    body = text(kind, user.language, **values)
    return sms.queue_sms(user.phone, body, user=user.id, post=post, event_key=event_key, urgent=urgent, now=now)


def by_sms(user_id, kind, post=None, actor=None, program=None, now=None, welfare_case=None):
    """Inside the transaction that made an inbox notification: its SMS too,
    when it is one of SMS_KINDS and the member wants it."""
    if kind not in SMS_KINDS or (actor is not None and getattr(actor, "id", actor) == user_id):
        return None
    user = User.get_by_id(user_id)
    if not wants_sms(user):
        return None
    name = actor.name if isinstance(actor, User) else ""
    if kind == "case_visit":
        return _visit(user, welfare_case, now)
    if kind == "program_place":
        return _send(user, "program_place", f"program:{program.id}:place:{user.id}", title=program.title, now=now)
    if kind == "done":
        # Only the helped person confirms: whoever gave the help is told nothing by SMS.
        helped = user.id == post.author_id if post.kind == "request" else user.id != post.author_id
        if not helped:
            return None
        message = "done"
    else:
        message = SMS_KINDS[kind] if post.kind == "request" else f"{SMS_KINDS[kind]}_offer"
    key = f"post:{post.id}:{kind}:{user.id}:{getattr(actor, 'id', actor)}"
    urgent = post.urgency == TODAY
    return _send(user, message, key, post=post, urgent=urgent, name=name, number=request_number(post), now=now)


def _visit(user, welfare_case, now=None):
    """A welfare visit's reminder, by its Jalali day and Tehran time (the case's next planned one), once."""
    visit = (
        CaseAppointment.select()
        .where(CaseAppointment.case == welfare_case, CaseAppointment.status == "planned")
        .order_by(CaseAppointment.starts_at)
        .first()
    )
    if visit is None:
        return None
    moment = persian.tehran_time(visit.starts_at)
    when = f"{persian.format_jalali_input(moment.date())} {moment:%H:%M}"
    return _send(user, "case_visit", f"case_visit:{visit.id}:{user.id}", title=when, now=now)


def callback_booked(callback, now=None):
    """A member's call-back request is booked: they hear it by SMS."""
    if callback.user_id is None or callback.source == "sms":
        return None
    user = User.get_by_id(callback.user_id)
    if not wants_sms(user):
        return None
    return _send(user, "callback", f"callback:{callback.id}", now=now)


def announce(area_members, announcement, now=None):
    """An announcement to the members `area_members` selects who asked for
    announcements by SMS: one statement per language, whatever their number."""
    queued = 0
    for language in ("fa", "en"):
        members = area_members.where(User.sms_announcements, User.language == language, User.phone != "")
        body = text("announcement", language, title=announcement.title)
        queued += sms.queue_from(members, body, f"announcement:{announcement.id}:", now=now)
    return queued


def waiting_confirmation(user):
    """The most recent help marked done that `user` received and has not confirmed."""
    as_author = (HelpPost.kind == "request") & (HelpPost.author == user)
    as_responder = (HelpPost.kind == "offer") & (HelpResponse.responder == user)
    return (
        HelpResponse.select(HelpResponse, HelpPost)
        .join(HelpPost)
        .where(HelpResponse.status == "done", HelpPost.status != "cancelled", as_author | as_responder)
        .order_by(HelpResponse.updated_at.desc(), HelpResponse.id.desc())
        .first()
    )
