"""The SMS outbox: every outgoing SMS is written by `queue_sms` (or, for an
announcement to a whole area, by `queue_from`), inside the caller's
transaction, and waits there until a worker delivers it
(`site/web/sms_gateway.py`).

A message's life: queued (until `send_after`: what is not urgent waits out
the night, 22:00 to 07:00 in Tehran) › sending (a worker claimed it in a
transaction, so no other worker takes it) › sent (the provider took it) ›
delivered or failed (the provider's delivery report). A worker that dies
while sending leaves its claim; after `STALE_CLAIM` another worker sends it
again under the same idempotency key, which the provider refuses to send
twice. A message that names an event (`event_key`) is queued at most once."""

import datetime
import threading

from peewee import Value

from hamsayeh import persian
from models import SmsMessage, User, utcnow, write_transaction

# A longer text costs several SMS; nothing we send needs more than three.
MAX_BODY = 480
# One SMS holds 70 characters of Persian (UCS-2) or 160 of plain GSM-7 text.
SEGMENT_UCS2, SEGMENT_GSM = 70, 160
GSM_CHARACTERS = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Quiet hours in Tehran: nothing but what is urgent is sent from 22:00 to 07:00.
QUIET_FROM, QUIET_UNTIL = 22, 7
# Tries at delivering one message, and the wait after each failure (doubling).
MAX_ATTEMPTS = 5
FIRST_RETRY = datetime.timedelta(seconds=30)
# A claim older than this was left by a worker that died while sending.
STALE_CLAIM = datetime.timedelta(minutes=5)
# Delivery reports older than this are refused (a replayed report is stale).
REPORT_WINDOW = datetime.timedelta(minutes=5)

_queued_here = threading.local()
_clock = {"now": utcnow}


def use_clock(now):
    """The clock the outbox reads (UTC, naive): night hours, due messages and
    back-off are reckoned by it; a test sets the hour of the day with it."""
    _clock["now"] = now or utcnow


def clock():
    return _clock["now"]()


def is_plain(body):
    """Whether `body` is plain GSM-7 text (else it goes as UCS-2)."""
    return all(char in GSM_CHARACTERS for char in body)


def segment_size(body):
    """How many characters of `body` one SMS holds: 160 of plain GSM-7 text, 70 of any other (UCS-2)."""
    return SEGMENT_GSM if is_plain(body) else SEGMENT_UCS2


def segments(body):
    """How many SMS `body` costs: 70 characters in one (UCS-2), 67 a part
    beyond; plain GSM-7 text 160, then 153 a part."""
    single = segment_size(body)
    part = 153 if single == SEGMENT_GSM else 67
    return 1 if len(body) <= single else -(-len(body) // part)


def send_time(now, urgent):
    """When a message queued at `now` (UTC) may go: at once, or, when it is
    not urgent and Tehran is in its quiet hours, at the next 07:00 there."""
    if urgent:
        return now
    local = persian.tehran_time(now)
    if QUIET_UNTIL <= local.hour < QUIET_FROM:
        return now
    morning = local.replace(hour=QUIET_UNTIL, minute=0, second=0, microsecond=0)
    if local.hour >= QUIET_FROM:
        morning += datetime.timedelta(days=1)
    return morning.astimezone(datetime.UTC).replace(tzinfo=None)


def queue_sms(phone, body, callback=None, *, user=None, post=None, event_key=None, urgent=True, now=None):
    """Put one outgoing SMS in the outbox; None when `event_key` was queued
    before (the same event is never sent twice). Answers and codes are
    urgent: the person is waiting for them."""
    now = now or clock()
    row = {
        "direction": "out",
        "phone": phone,
        "body": body[:MAX_BODY],
        "status": "queued",
        "callback": callback,
        "user": user,
        "post": post,
        "event_key": event_key,
        "created_at": now,
        "send_after": send_time(now, urgent),
    }
    if event_key is None:
        message = SmsMessage.create(**row)
    else:
        # A second insert of the event meets the unique key and adds nothing
        # (on PostgreSQL without aborting the caller's transaction).
        if not SmsMessage.insert(**row).on_conflict_ignore().as_rowcount().execute():
            return None
        message = SmsMessage.get(SmsMessage.event_key == event_key)
    _queued_here.any = True
    return message


def queue_from(members, body, event_prefix, urgent=False, now=None):
    """One SMS to each member `members` selects (a query of User with the
    columns id and phone), in one statement however many they are; each
    event key is `event_prefix` and the member's id, so that the same
    announcement never reaches anyone twice. The number queued."""
    now = now or clock()
    rows = members.select(
        Value("out"),
        User.phone,
        Value(body[:MAX_BODY]),
        Value("queued"),
        User.id,
        Value(event_prefix).concat(User.id.cast("text")),
        Value(now),
        Value(send_time(now, urgent)),
        Value(0),
        Value(""),
    )
    fields = [
        SmsMessage.direction,
        SmsMessage.phone,
        SmsMessage.body,
        SmsMessage.status,
        SmsMessage.user,
        SmsMessage.event_key,
        SmsMessage.created_at,
        SmsMessage.send_after,
        # Every column without a null: the database fills no defaults here.
        SmsMessage.attempts,
        SmsMessage.error,
    ]
    count = SmsMessage.insert_from(rows, fields).on_conflict_ignore().as_rowcount().execute()
    _queued_here.any = bool(count) or getattr(_queued_here, "any", False)
    return count


def take_queued_here():
    """Whether this thread queued a message since it last asked: the web layer
    asks after each request, to wake the worker at once."""
    queued, _queued_here.any = getattr(_queued_here, "any", False), False
    return queued


def queued_sms():
    return SmsMessage.select().where(SmsMessage.direction == "out", SmsMessage.status == "queued")


def due(now=None, limit=1000):
    """Ids of the messages a worker should send now: queued ones whose time
    has come, and those whose claim a dead worker left. Oldest first."""
    now = now or clock()
    query = (
        SmsMessage.select(SmsMessage.id)
        .where(
            SmsMessage.direction == "out",
            ((SmsMessage.status == "queued") & (SmsMessage.send_after <= now))
            | ((SmsMessage.status == "sending") & (SmsMessage.claimed_at < now - STALE_CLAIM)),
        )
        .order_by(SmsMessage.send_after, SmsMessage.id)
        .limit(limit)
    )
    return [row.id for row in query]


def claim(message_id, now=None):
    """Take the message for this worker, in a transaction: from queued (when
    due) or from a dead worker's stale claim to sending. None when another
    worker has it, it is sent already, or its time has not come."""
    now = now or clock()
    with write_transaction():
        claimed = (
            SmsMessage.update(status="sending", claimed_at=now, attempts=SmsMessage.attempts + 1)
            .where(
                SmsMessage.id == message_id,
                SmsMessage.direction == "out",
                ((SmsMessage.status == "queued") & (SmsMessage.send_after <= now))
                | ((SmsMessage.status == "sending") & (SmsMessage.claimed_at < now - STALE_CLAIM)),
            )
            .execute()
        )
    return SmsMessage.get_by_id(message_id) if claimed else None


def idempotency_key(message):
    """What the provider is given to refuse a second sending of this message."""
    return str(message.id)


def retry_delay(attempts, first=FIRST_RETRY):
    """The wait after the `attempts`-th failed try: 30 s, 1, 2, 4 minutes…"""
    return first * 2 ** max(attempts - 1, 0)


def mark_sent(message, provider_id, now=None):
    """The provider took the message (only the claim's holder marks it)."""
    with write_transaction():
        SmsMessage.update(status="sent", sent_at=now or clock(), provider_id=provider_id, error="").where(
            SmsMessage.id == message.id, SmsMessage.status == "sending"
        ).execute()


def mark_sms_sent(message):
    """Sent by hand (`flask sms-send` with a sender that gives no id)."""
    mark_sent(message, None)


def mark_failed_try(message, reason, permanent=False, now=None, first_retry=FIRST_RETRY):
    """A try that failed: the message waits its back-off and is queued again,
    or fails for good after MAX_ATTEMPTS tries or a permanent refusal. The
    reason kept names no number and no text. True when it will be tried again."""
    now = now or clock()
    again = not permanent and message.attempts < MAX_ATTEMPTS
    with write_transaction():
        SmsMessage.update(
            status="queued" if again else "failed",
            send_after=now + retry_delay(message.attempts, first_retry) if again else SmsMessage.send_after,
            claimed_at=None,
            error=reason[:200],
        ).where(SmsMessage.id == message.id, SmsMessage.status == "sending").execute()
    return again


# The outcomes a delivery report can bring (a message still on its way changes
# nothing), the weaker first: of two reports of the same second, whichever
# comes first, the stronger stands (a message delivered was delivered, whatever
# failed on its way; the provider's times are whole seconds).
REPORTED = ("failed", "delivered")


def record_delivery(provider_id, outcome, reported_at, now=None):
    """A delivery report: the message `provider_id` was "delivered" or has
    "failed". Applied only when newer than the last report applied, or of
    the same second and stronger (REPORTED), so that a replayed or late
    report changes nothing, and never to a message that is not out yet.
    True when applied."""
    # The report's own time against the real clock: reports come from the world outside.
    now = now or utcnow()
    if outcome not in REPORTED or abs(now - reported_at) > REPORT_WINDOW:
        return False
    later = SmsMessage.reported_at.is_null() | (SmsMessage.reported_at < reported_at)
    weaker = REPORTED[: REPORTED.index(outcome)]
    if weaker:
        later |= (SmsMessage.reported_at == reported_at) & SmsMessage.status.in_(weaker)
    with write_transaction():
        changed = (
            SmsMessage.update(status=outcome, reported_at=reported_at)
            .where(
                SmsMessage.provider_id == provider_id,
                SmsMessage.direction == "out",
                SmsMessage.status.in_(("sent", "delivered", "failed")),
                later,
            )
            .execute()
        )
    return bool(changed)


def messages_about(post):
    """The messages sent (or waiting) about one request: its life's budget."""
    return SmsMessage.select().where(SmsMessage.direction == "out", SmsMessage.post == post)
