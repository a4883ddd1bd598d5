"""SMS for phones without a browser.

An SMS gateway posts each incoming message to `POST /sms/incoming` with the
fields `from` (the sender's number), `text`, and optionally `id` (the
gateway's message id, so that a retried delivery counts once), and the shared
secret in the `X-Hamsayeh-Secret` header (`HAMSAYEH_SMS_SECRET`; without it
the endpoint is off). «کمک», «help» or «۱» starts a call-back request for that
number (as many a day as the web form allows); anything else gets a reply
that says what to send. Replies go to the
outbox (`sms_message`), and `flask sms-send` hands queued ones to the sender
named by `HAMSAYEH_SMS_SENDER` ("module:Class").

The default sender, `OutboxOnly`, sends nothing: messages wait in the outbox
for staff to see. A real gateway (Kavenegar, Ghasedak, or an operator's own
HTTP API) is a class with `send(phone, body)` that raises on failure; name it
in `HAMSAYEH_SMS_SENDER`, with its key in its own environment variable."""

import hmac
import os

import click
from flask import Blueprint, abort, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _

import models
from hamsayeh import persian
from hamsayeh.domain import callbacks, sms
from hamsayeh.web.sms_gateway import load_sender

bp = Blueprint("sms", __name__, url_prefix="/sms")

# Messages accepted from one number in an hour; more get no answer.
PER_HOUR = 5
TEXT_MAX = 480


def init_app(app):
    app.config.setdefault("SMS_SECRET", os.environ.get("HAMSAYEH_SMS_SECRET", ""))
    app.config.setdefault("SMS_SENDER", os.environ.get("HAMSAYEH_SMS_SENDER", "hamsayeh.web.sms_gateway:OutboxOnly"))
    app.cli.add_command(send_command)
    app.cli.add_command(outbox_command)
    app.extensions["csrf"].exempt(incoming)


def replies():
    """The answers an SMS gets, in Persian: the people who text are not choosing a language."""
    with force_locale("fa"):
        return {
            "callback": _("Hamsayeh: we have your request. Someone from your neighborhood will call you back soon."),
            "already": _("Hamsayeh: we already have your requests of today. Someone will call you back soon."),
            "other": _("Hamsayeh: to ask a neighbor for help, send the word «کمک» or the number 1."),
        }


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
    reply = callbacks.receive_sms(phone, text, gateway_id, replies(), per_hour=PER_HOUR)
    # None: the number sent too many this hour. "": delivered again, answered already.
    return plain("", 429) if reply is None else plain(reply)


def plain(body, status=200):
    return current_app.response_class(body, status=status, mimetype="text/plain")


@click.command("sms-outbox")
@click.option("--last", default=10, help="How many of the newest queued messages to show.")
def outbox_command(last):
    """Show the newest messages waiting in the outbox (in development, where a
    sign-up's code is read, since the default sender delivers nothing)."""
    with models.connection():
        for message in list(sms.queued_sms().order_by(models.SmsMessage.id.desc()).limit(last))[::-1]:
            click.echo(f"{message.created_at:%Y-%m-%d %H:%M} {message.phone}: {message.body}")


@click.command("sms-send")
def send_command():
    """Hand the outbox's queued messages to the configured sender."""
    chosen = load_sender(current_app.config["SMS_SENDER"])
    if not getattr(chosen, "delivers", True):
        click.echo("the sender keeps messages in the outbox (set HAMSAYEH_SMS_SENDER to deliver them)")
        return
    sent = failed = 0
    with models.connection():
        for message in sms.queued_sms():
            try:
                chosen.send(message.phone, message.body)
            except Exception:
                failed += 1
                continue
            sms.mark_sms_sent(message)
            sent += 1
    click.echo(f"sent: {sent}, failed: {failed}")
