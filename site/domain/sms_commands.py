"""What a person can do by SMS, from any phone: each message that comes in is
read as one command, and answered with one SMS.

- «کمک» (or «۱», "help"): call me back (a call-back request, within its limits);
- «وضعیت»: my open requests, each with its number, in one message;
- «لغو ۲»: cancel my request number 2 (the number «وضعیت» shows; any digits);
- «بله»: confirm the help most recently marked done for me;
- «آماده‌ام» or «نمی‌توانم»: a volunteer's answer to a crisis call (ready, or I can't);
- «راهنما», or anything else: the list of commands.

A number without an account gets the same list, and «وضعیت», «لغو» or «بله»
from it is told that the number has no account (and that «کمک» works).
«لغو۱۱», which Iranian lines treat as "no more messages", turns the member's
SMS off. A number that sends more than `per_hour` messages in an hour gets no
answer, and a message the gateway delivers twice is read once."""

import datetime
import re
from collections import namedtuple

from hamsayeh import persian
from hamsayeh.domain import board, callbacks, crisis_callout, notifications, sms, timebank
from models import HelpPost, HelpResponse, SmsMessage, User, write_transaction

# What starts each command, after `persian.fold` (so «كمك», «کمک » and «کمک» are one).
HELP_WORDS = frozenset({"کمک", "کمککنید", "help", "komak", "1"})
STATUS_WORDS = frozenset({"وضعیت", "status", "vaziat"})
YES_WORDS = frozenset({"بله", "بلی", "آره", "اره", "yes", "bale", "baleh"})
GUIDE_WORDS = frozenset({"راهنما", "rahnama", "guide", "?", "؟"})
# A volunteer's answer to a crisis call (crisis_callout.answer_by_sms).
READY_WORDS = frozenset({"امادهام", "اماده", "ready", "amadeam", "amade"})
CANNOT_WORDS = frozenset({"نمیتوانم", "نمیتونم", "cannot", "nemitavanam", "nemitonam"})
CANCEL = re.compile(r"^(?:لغو|cancel|laghv)\s*(\d{1,6})?$")
# The opt-out Iranian operators ask every line to honour.
STOP = "لغو11"
# Requests listed in one «وضعیت» answer; more are counted.
STATUS_LISTED = 3

# The answer queued: its message, its values, the request it is about.
Answer = namedtuple("Answer", "kind values post", defaults=({}, None))


def _member(phone):
    user = User.by_phone(phone)
    return user if user is not None and user.is_active else None


def open_requests(member):
    """The member's requests still open or matched, oldest first."""
    return (
        HelpPost.select()
        .where(HelpPost.author == member, HelpPost.kind == "request", HelpPost.status.in_(("open", "matched")))
        .order_by(HelpPost.id)
    )


def request_by_number(member, number):
    """The member's request with this number (as `notifications.request_number` counts), or None."""
    if not number:
        return None
    return (
        HelpPost.select()
        .where(HelpPost.author == member, HelpPost.kind == "request")
        .order_by(HelpPost.id)
        .offset(number - 1)
        .limit(1)
        .first()
    )


def _status(member):
    posts = list(open_requests(member))
    if not posts:
        return Answer("status_none")
    items = []
    for post in posts[:STATUS_LISTED]:
        offers = post.responses.where(HelpResponse.status == "offered").count()
        # Both names of the kind of help: the answer names it in the member's language.
        kind = post.activity_type
        items.append(
            {
                "number": notifications.request_number(post),
                "kind": kind.name,
                "kind_en": kind.name_en,
                "state": post.status,
                "offers": offers,
            }
        )
    more = len(posts) - len(items)
    return Answer("status_more", {"items": items, "more": more}) if more else Answer("status", {"items": items})


def _cancel(member, number):
    if number is None:
        return Answer("cancel_how")
    post = request_by_number(member, number)
    if post is None or not board.cancel_post(post, member):
        return Answer("cancel_unknown", {"number": number})
    return Answer("cancelled", {"number": number}, post)


def _confirm(member):
    response = notifications.waiting_confirmation(member)
    if response is None:
        return Answer("confirm_none")
    helper = User.get_by_id(response.post.helper(response))
    try:
        # Paid as the web pays by default: the request's estimate; a gift when that cannot be paid.
        try:
            board.confirm_help(response, member, minutes=response.post.estimate_minutes)
        except timebank.TransferError:
            board.confirm_help(response, member)
    except board.StateError:
        return Answer("confirm_none")
    return Answer("confirmed", {"name": helper.name}, response.post)


def _stop(member):
    User.update(sms_events=False, sms_announcements=False).where(User.id == member.id).execute()
    return Answer("stopped")


def answer(phone, text):
    """The command in `text` from `phone`, carried out: its answer."""
    folded = persian.fold(text)
    if folded in HELP_WORDS:
        member = _member(phone)
        try:
            callback = callbacks.request_callback(
                phone=phone, source="sms", user=member, neighborhood=member.neighborhood_id if member else None
            )
        except callbacks.LimitReached:
            return Answer("already"), None
        return Answer("callback_reply"), callback
    cancel = CANCEL.match(persian.normalize(text).lower())
    crisis_answer = "ready" if folded in READY_WORDS else "cannot" if folded in CANNOT_WORDS else None
    asks_member = folded in STATUS_WORDS or folded in YES_WORDS or cancel is not None or crisis_answer is not None
    if not asks_member:
        return Answer("commands"), None
    member = _member(phone)
    if member is None:
        return Answer("not_member"), None
    if crisis_answer is not None:
        return Answer(crisis_callout.answer_by_sms(member, crisis_answer)), None
    if folded in STATUS_WORDS:
        return _status(member), None
    if folded in YES_WORDS:
        return _confirm(member), None
    if folded == persian.fold(STOP):
        return _stop(member), None
    return _cancel(member, int(cancel.group(1)) if cancel.group(1) else None), None


def receive_sms(phone, text, gateway_id, per_hour, now=None):
    """An SMS from `phone`: kept, read as a command, answered (the answer
    queued at once, night or day: the person is waiting). Returns the
    answer's text, "" when the gateway delivered this message before, or
    None when the number sent more than `per_hour` this hour.

    An answer about a request («بله», «لغو ۲») is one of the messages of that
    request's life (notifications.REQUEST_BUDGET): when the budget is spent,
    the command is still carried out, and the answer is not sent."""
    # The outbox's clock: the answer is due at once by the clock the worker reads.
    now = now or sms.clock()
    with write_transaction():
        if gateway_id and SmsMessage.select().where(SmsMessage.gateway_id == gateway_id).exists():
            return ""
        recent = SmsMessage.select().where(
            SmsMessage.direction == "in",
            SmsMessage.phone == phone,
            SmsMessage.created_at >= now - datetime.timedelta(hours=1),
        )
        if recent.count() >= per_hour:
            return None
        reply, callback = answer(phone, text)
        SmsMessage.create(
            direction="in",
            phone=phone,
            body=text,
            status="received",
            callback=callback,
            gateway_id=gateway_id,
            created_at=now,
        )
        member = _member(phone)
        body = notifications.text(reply.kind, member.language if member else "fa", **reply.values)
        if reply.post is None or notifications.room_for(reply.post, reply.kind):
            sms.queue_sms(phone, body, callback, user=member, post=reply.post, now=now)
    return body
