"""The SMS outbox: messages wait here until `flask sms-send` hands them to the gateway."""

from models import SmsMessage


def queue_sms(phone, text):
    """Put one outgoing SMS in the outbox (inside the caller's transaction, if any)."""
    return SmsMessage.create(direction="out", phone=phone, body=text[:480], status="queued")
