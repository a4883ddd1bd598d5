"""SMS for phones without a browser.

An SMS gateway posts each incoming message to `POST /sms/incoming` with the
fields `from` (the sender's number), `text`, and optionally `id` (the
gateway's message id, so that a retried delivery counts once), and the shared
secret in the `X-Hamsayeh-Secret` header (`HAMSAYEH_SMS_SECRET`; without it
the endpoint is off). «کمک», «help» or «۱» starts a call-back request for that
number; anything else gets a reply that says what to send. Replies go to the
outbox (`sms_message`), and `flask sms-send` hands queued ones to the sender
named by `HAMSAYEH_SMS_SENDER` ("module:Class").

The default sender, `OutboxOnly`, sends nothing: messages wait in the outbox
for staff to see. A real gateway (Kavenegar, Ghasedak, or an operator's own
HTTP API) is a class with `send(phone, body)` that raises on failure; name it
in `HAMSAYEH_SMS_SENDER`, with its key in its own environment variable."""

import datetime
import hmac
import importlib
import os

import click
from flask import Blueprint, abort, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _

import models
from hamsayeh import persian

bp = Blueprint("sms", __name__, url_prefix="/sms")

# What asks for help, after normalizing (so «۱» and «1» are the same).
HELP_WORDS = frozenset({"کمک", "کمک کنید", "help", "komak", "1"})
# Messages accepted from one number in an hour; more get no answer.
PER_HOUR = 5
TEXT_MAX = 480


def init_app(app):
    app.config.setdefault("SMS_SECRET", os.environ.get("HAMSAYEH_SMS_SECRET", ""))
    app.config.setdefault("SMS_SENDER", os.environ.get("HAMSAYEH_SMS_SENDER", "hamsayeh.sms:OutboxOnly"))
    app.cli.add_command(send_command)
    app.extensions["csrf"].exempt(incoming)


class OutboxOnly:
    """Keeps every message in the outbox: nothing leaves the server."""

    delivers = False

    def send(self, phone, body):
        raise NotImplementedError


def sender():
    module, _sep, name = current_app.config["SMS_SENDER"].partition(":")
    return getattr(importlib.import_module(module), name)()


def queue(phone, body, callback=None):
    """The one place where an SMS is written to the outbox."""
    return models.SmsMessage.create(direction="out", phone=phone, body=body, status="queued", callback=callback)


@bp.post("/incoming")
def incoming():
    secret = current_app.config["SMS_SECRET"]
    if not secret:
        abort(404)
    if not hmac.compare_digest(request.headers.get("X-Hamsayeh-Secret", "").encode(), secret.encode()):
        abort(403)
    phone = persian.normalize_phone(request.form.get("from"))
    if phone is None:
        return plain("", 400)
    text = persian.normalize(request.form.get("text"))[:TEXT_MAX]
    gateway_id = persian.normalize(request.form.get("id"))[:64] or None
    if gateway_id and models.SmsMessage.select().where(models.SmsMessage.gateway_id == gateway_id).exists():
        return plain("")  # the gateway delivered it again: answered already
    since = models.utcnow() - datetime.timedelta(hours=1)
    recent = models.SmsMessage.select().where(
        models.SmsMessage.direction == "in", models.SmsMessage.phone == phone, models.SmsMessage.created_at >= since
    )
    if recent.count() >= PER_HOUR:
        return plain("", 429)
    # Replies are in Persian: the people who text are not choosing a language.
    with force_locale("fa"), models.write_transaction():
        callback = None
        if persian.fold(text) in {persian.fold(word) for word in HELP_WORDS}:
            member = models.User.by_phone(phone)
            callback = models.CallbackRequest.create(
                phone=phone,
                source="sms",
                user=member,
                neighborhood=member.neighborhood_id if member else None,
            )
            body = _("Hamsayeh: we have your request. Someone from your neighborhood will call you back soon.")
        else:
            body = _("Hamsayeh: to ask a neighbor for help, send the word «کمک» or the number 1.")
        models.SmsMessage.create(
            direction="in", phone=phone, body=text, status="received", callback=callback, gateway_id=gateway_id
        )
        queue(phone, body, callback)
    return plain(body)


def plain(body, status=200):
    return current_app.response_class(body, status=status, mimetype="text/plain")


@click.command("sms-send")
def send_command():
    """Hand the outbox's queued messages to the configured sender."""
    chosen = sender()
    if not getattr(chosen, "delivers", True):
        click.echo("the sender keeps messages in the outbox (set HAMSAYEH_SMS_SENDER to deliver them)")
        return
    sent = failed = 0
    with models.connection():
        for message in models.SmsMessage.select().where(
            models.SmsMessage.direction == "out", models.SmsMessage.status == "queued"
        ):
            try:
                chosen.send(message.phone, message.body)
            except Exception:
                failed += 1
                continue
            models.SmsMessage.update(status="sent", sent_at=models.utcnow()).where(
                models.SmsMessage.id == message.id
            ).execute()
            sent += 1
    click.echo(f"sent: {sent}, failed: {failed}")
