"""Who delivers the outbox's SMS: the sender named by `HAMSAYEH_SMS_SENDER`
("module:Class", a class with `send(phone, body)` that raises on failure).
The default, `hamsayeh.web.sms_gateway:OutboxOnly`, keeps every message for staff to see."""

import importlib


class OutboxOnly:
    """Keeps every message in the outbox: nothing leaves the server."""

    delivers = False

    def send(self, phone, body):
        raise NotImplementedError


def load_sender(name):
    """An instance of the sender class named "module:Class"."""
    module, _sep, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)()
