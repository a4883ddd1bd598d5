"""The SMS outbox: messages wait here until `flask sms-send` hands them to
the gateway (the sender of `site/web/sms_gateway.py`). Every outgoing SMS is
written by `queue_sms`, inside the caller's transaction when there is one."""

from models import SmsMessage, utcnow, write_transaction

# A longer text costs several SMS; nothing we send needs more than three.
MAX_BODY = 480


def queue_sms(phone, body, callback=None):
    """Put one outgoing SMS in the outbox."""
    return SmsMessage.create(direction="out", phone=phone, body=body[:MAX_BODY], status="queued", callback=callback)


def queued_sms():
    return SmsMessage.select().where(SmsMessage.direction == "out", SmsMessage.status == "queued")


def mark_sms_sent(message):
    with write_transaction():
        SmsMessage.update(status="sent", sent_at=utcnow()).where(SmsMessage.id == message.id).execute()
