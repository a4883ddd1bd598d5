"""Who delivers the outbox's SMS, and the worker's tasks that hand them over.

The sender is named by `HAMSAYEH_SMS_SENDER` ("module:Class"): a class with
`send(phone, body, key)` that returns the provider's id of the message and
raises `GatewayError` on failure (`permanent` when trying again cannot help),
made by `from_config(config)` when it has one. `key` is the idempotency key:
the provider refuses to send a second message under the same key.

- `OutboxOnly` (the default, when no gateway is configured) keeps every
  message in the outbox for staff to see: nothing leaves the server.
- `HttpGateway` speaks to an Iranian SMS provider's REST interface, shaped
  like Kavenegar's (`POST {url}/v1/{key}/sms/send.json` with receptor, sender,
  message and localid, the idempotency key; `sms/status.json`;
  `account/info.json` for the credit). Ghasedak's interface is the same in
  kind (its `checkid` is the idempotency key). Address, key and line come
  from HAMSAYEH_SMS_GATEWAY_URL, HAMSAYEH_SMS_API_KEY and HAMSAYEH_SMS_LINE;
  setting the key chooses it.

Sending runs on the task queue: `dispatch` (every minute, and at once after
a request queued a message) hands the due messages, in parts, to `deliver`,
which claims each one (a status change in a transaction: no two workers
send one message), sends it, and on failure leaves it queued for its back-off
while huey retries the task with the same growing delay. Tasks carry message
ids only: no phone number or text reaches the queue or its log."""

import datetime
import importlib
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request

from huey import crontab

import models
from hamsayeh.domain import sms

log = logging.getLogger(__name__)

# Messages a dispatch hands over, and how many one task sends.
DISPATCH_LIMIT = 2000
PART = 50
# Kavenegar's delivery statuses: 10 delivered; 6, 11, 13, 14 and 100 failed; the rest on the way.
DELIVERED = frozenset({10})
UNDELIVERED = frozenset({6, 11, 13, 14, 100})
# The provider's refusals that trying again cannot mend: a bad number, a bad
# text, a number that refuses advertising.
PERMANENT = frozenset({411, 414, 422, 426})


class GatewayError(Exception):
    """The provider did not take the message. The text names no number, no key."""

    def __init__(self, reason, permanent=False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class OutboxOnly:
    """Keeps every message in the outbox: nothing leaves the server."""

    delivers = False

    def send(self, phone, body, key=None):
        raise NotImplementedError


class HttpGateway:
    """An SMS provider's REST interface, Kavenegar's shape."""

    delivers = True
    TIMEOUT = 10

    def __init__(self, url, api_key, line, timeout=TIMEOUT):
        self.url, self.api_key, self.line, self.timeout = url.rstrip("/"), api_key, line, timeout

    @classmethod
    def from_config(cls, config):
        return cls(config["SMS_GATEWAY_URL"], config["SMS_API_KEY"], config["SMS_LINE"])

    def _call(self, action, method, params=None):
        """The answer's entries; GatewayError for a refusal or no answer. The
        address holds the key: it is never put into an error or a log."""
        address = f"{self.url}/v1/{urllib.parse.quote(self.api_key, safe='')}/{action}/{method}.json"
        data = urllib.parse.urlencode(params or {}).encode()
        # The address is the configuration's own (https in production), never a user's.
        request = urllib.request.Request(address, data=data, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                content = answer.read()
        except urllib.error.HTTPError as error:
            content = error.read()
            if error.code >= 500 or not content:
                raise GatewayError(f"http {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise GatewayError(f"no answer: {type(error).__name__}") from None
        try:
            answer = json.loads(content)
            status = int(answer["return"]["status"])
        except (ValueError, KeyError, TypeError):
            raise GatewayError("unreadable answer") from None
        if status != 200:
            raise GatewayError(f"provider {status}", permanent=status in PERMANENT)
        return answer.get("entries")

    def send(self, phone, body, key):
        entries = self._call("sms", "send", {"receptor": phone, "sender": self.line, "message": body, "localid": key})
        try:
            return str(entries[0]["messageid"])
        except (IndexError, KeyError, TypeError):
            raise GatewayError("unreadable answer") from None

    def status(self, provider_id):
        """ "delivered", "failed" or "sent" (still on its way)."""
        entries = self._call("sms", "status", {"messageid": provider_id})
        return outcome(entries[0]["status"])

    def credit(self):
        """What is left on the account, in rials."""
        return int(self._call("account", "info")["remaincredit"])


def outcome(status):
    """Our word for one of the provider's delivery statuses."""
    status = int(status)
    return "delivered" if status in DELIVERED else "failed" if status in UNDELIVERED else "sent"


def load_sender(name, config=None):
    """An instance of the sender class named "module:Class"."""
    module, _sep, cls = name.partition(":")
    sender = getattr(importlib.import_module(module), cls)
    if config is not None and hasattr(sender, "from_config"):
        return sender.from_config(config)
    return sender()


def default_sender(config):
    """The sender an environment names: its own choice, else the provider when a key is set."""
    return (
        config.get("SMS_SENDER")
        or ("hamsayeh.web.sms_gateway:HttpGateway" if config.get("SMS_API_KEY") else "")
        or "hamsayeh.web.sms_gateway:OutboxOnly"
    )


def deliver_one(sender, message_id, first_retry=sms.FIRST_RETRY, slack=datetime.timedelta(0)):
    """Claim, send and mark one message: "sent", "retry" (queued again for its
    back-off), "failed" (for good), or None when it was not this worker's to
    send. `slack`: a retry may come a moment before its back-off ends."""
    message = sms.claim(message_id, sms.clock() + slack)
    if message is None:
        return None
    try:
        provider_id = sender.send(message.phone, message.body, sms.idempotency_key(message))
    except GatewayError as error:
        again = sms.mark_failed_try(message, error.reason, error.permanent, first_retry=first_retry)
        log.warning("sms %s not sent (try %s): %s", message.id, message.attempts, error.reason)
        return "retry" if again else "failed"
    sms.mark_sent(message, provider_id)
    return "sent"


class SendLater(Exception):
    """Some messages of the part wait for their back-off: huey tries the task again."""


_tasks = {}
# A retry by the queue may wake a moment before the outbox's back-off ends.
RETRY_SLACK = datetime.timedelta(seconds=1)


def configure(app):
    """The SMS settings, from the environment (each call after the first changes nothing)."""
    config = app.config
    config.setdefault("SMS_SECRET", os.environ.get("HAMSAYEH_SMS_SECRET", ""))
    # The line people text (printed on every notice beside the center's phone).
    config.setdefault("SMS_NUMBER", os.environ.get("HAMSAYEH_SMS_NUMBER", ""))
    config.setdefault("SMS_GATEWAY_URL", os.environ.get("HAMSAYEH_SMS_GATEWAY_URL", "https://api.kavenegar.com"))
    config.setdefault("SMS_API_KEY", os.environ.get("HAMSAYEH_SMS_API_KEY", ""))
    config.setdefault("SMS_LINE", os.environ.get("HAMSAYEH_SMS_LINE", ""))
    # The key of the delivery reports' signature (HMAC-SHA256): without it, reports are refused.
    config.setdefault("SMS_DELIVERY_SECRET", os.environ.get("HAMSAYEH_SMS_DELIVERY_SECRET", ""))
    config.setdefault("SMS_SENDER", default_sender({**config, "SMS_SENDER": os.environ.get("HAMSAYEH_SMS_SENDER")}))
    # The first wait before a failed message is tried again; each later wait doubles.
    config.setdefault("SMS_RETRY_SECONDS", sms.FIRST_RETRY.total_seconds())


def first_retry(app):
    return datetime.timedelta(seconds=app.config["SMS_RETRY_SECONDS"])


def init_tasks(app, huey):
    """Register the worker's SMS tasks on the queue (tasks.init_app calls this)."""
    configure(app)
    _tasks.update(app=app, huey=huey)

    def deliver(message_ids):
        """Send these messages (their ids); a failed one is tried again after its back-off."""
        with app.app_context(), models.connection():
            sender = load_sender(app.config["SMS_SENDER"], app.config)
            results = [deliver_one(sender, message_id, first_retry(app), RETRY_SLACK) for message_id in message_ids]
        if "retry" in results:
            raise SendLater(f"{results.count('retry')} of {len(results)} wait for their back-off")

    def dispatch():
        """Hand the due messages to `deliver`, in parts."""
        with app.app_context(), models.connection():
            if not getattr(load_sender(app.config["SMS_SENDER"], app.config), "delivers", True):
                return 0
            due = sms.due(limit=DISPATCH_LIMIT)
        delay = app.config["SMS_RETRY_SECONDS"]
        for start in range(0, len(due), PART):
            huey.enqueue(_tasks["deliver"].s(due[start : start + PART], retry_delay=delay))
        return len(due)

    # Retries follow the outbox's own back-off: 30 s, then doubling (sms.retry_delay).
    _tasks["deliver"] = huey.task(
        retries=sms.MAX_ATTEMPTS - 1, retry_delay=app.config["SMS_RETRY_SECONDS"], retry_backoff=2, name="sms_deliver"
    )(deliver)
    _tasks["dispatch_now"] = huey.task(name="sms_dispatch_now")(dispatch)
    _tasks["dispatch_every_minute"] = huey.periodic_task(crontab(), name="sms_dispatch")(dispatch)


def wake_worker(app):
    """Ask the worker to send what is due now (after a request queued a message)."""
    if "dispatch_now" in _tasks and getattr(load_sender(app.config["SMS_SENDER"], app.config), "delivers", True):
        _tasks["dispatch_now"]()


def deliver_due(app, sender=None):
    """Send every due message now, in this process (`flask sms-send`, tests):
    the same claim and marks as the worker's. Counts of each result."""
    sender = sender or load_sender(app.config["SMS_SENDER"], app.config)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for message_id in sms.due(limit=DISPATCH_LIMIT):
        result = deliver_one(sender, message_id, first_retry(app))
        if result:
            counts[result] += 1
    return counts
