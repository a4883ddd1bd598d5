"""SMS for phones without a browser, both ways.

Incoming: an SMS gateway posts each incoming message to `POST /sms/incoming`
with the fields `from` (the sender's number), `text`, and optionally `id`
(the gateway's message id, so that a retried delivery counts once), and the
shared secret in the `X-Hamsayeh-Secret` header (`HAMSAYEH_SMS_SECRET`;
without it the endpoint is off). The text is read as a command
(`domain/sms_commands.py`: «کمک», «وضعیت», «لغو ۲», «بله», «راهنما») and
answered by SMS.

Delivery reports: the provider posts `messageid` and `status` (Kavenegar's
codes) to `POST /sms/delivery`, signed: `X-Hamsayeh-Timestamp` (Unix seconds)
and `X-Hamsayeh-Signature`, the hex HMAC-SHA256 of "timestamp.messageid.status" under
`HAMSAYEH_SMS_DELIVERY_SECRET` (without it the endpoint is off). A report
more than five minutes old or new is refused, and one older than the last
applied to its message changes nothing: a replayed report does nothing.

Outgoing messages wait in the outbox (`sms_message`) for the worker, which
hands them to the sender named by `HAMSAYEH_SMS_SENDER` (see
`web/sms_gateway.py`; the default keeps them in the outbox); `flask sms-send`
sends what is due from the command line, `flask sms-outbox` shows what waits,
`flask sms-credit` asks the provider for the account's credit."""

import datetime
import hashlib
import hmac
import time

import click
from flask import Blueprint, abort, current_app, request
from flask.cli import with_appcontext

import models
from hamsayeh import persian
from hamsayeh.domain import sms, sms_commands
from hamsayeh.web import sms_gateway, sms_texts

bp = Blueprint("sms", __name__, url_prefix="/sms")

# Messages accepted from one number in an hour; more get no answer.
PER_HOUR = 5
TEXT_MAX = 480
# A signed delivery report is taken within this many seconds of its timestamp.
REPORT_WINDOW = int(sms.REPORT_WINDOW.total_seconds())


def init_app(app):
    sms_gateway.configure(app)
    sms_texts.init_app(app)
    app.cli.add_command(send_command)
    app.cli.add_command(outbox_command)
    app.cli.add_command(credit_command)
    app.extensions["csrf"].exempt(incoming)
    app.extensions["csrf"].exempt(delivery)
    app.after_request(_wake_worker)


def _wake_worker(response):
    """A request that queued an SMS wakes the worker, which sends it at once
    (the worker's minute-by-minute round would take up to a minute)."""
    if sms.take_queued_here():
        sms_gateway.wake_worker(current_app)
    return response


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
    reply = sms_commands.receive_sms(phone, text, gateway_id, per_hour=PER_HOUR)
    # None: the number sent too many this hour. "": delivered again, answered already.
    return plain("", 429) if reply is None else plain(reply)


def signature(secret, timestamp, provider_id, status):
    """The delivery report's signature: hex HMAC-SHA256 of "timestamp.messageid.status"."""
    return hmac.new(secret.encode(), f"{timestamp}.{provider_id}.{status}".encode(), hashlib.sha256).hexdigest()


@bp.post("/delivery")
def delivery():
    """A delivery report, signed by the provider (see the module's text)."""
    secret = current_app.config["SMS_DELIVERY_SECRET"]
    if not secret:
        abort(404)
    stamp = request.headers.get("X-Hamsayeh-Timestamp", "")
    given = request.headers.get("X-Hamsayeh-Signature", "")
    provider_id, status = request.form.get("messageid", ""), request.form.get("status", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > REPORT_WINDOW:
        abort(403)
    if not hmac.compare_digest(given.encode(), signature(secret, stamp, provider_id, status).encode()):
        abort(403)
    provider_id, status = provider_id[:40], persian.whole_number(status, 1000)
    if not provider_id or status is None:
        return plain("", 400)
    reported_at = datetime.datetime.fromtimestamp(int(stamp), datetime.UTC).replace(tzinfo=None)
    sms.record_delivery(provider_id, sms_gateway.outcome(status), reported_at)
    return plain("ok")


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
@with_appcontext
def send_command():
    """Hand the outbox's due messages to the configured sender, here and now."""
    chosen = sms_gateway.load_sender(current_app.config["SMS_SENDER"], current_app.config)
    if not getattr(chosen, "delivers", True):
        click.echo("the sender keeps messages in the outbox (set HAMSAYEH_SMS_SENDER to deliver them)")
        return
    with models.connection():
        counts = sms_gateway.deliver_due(current_app, chosen)
    click.echo(f"sent: {counts['sent']}, failed: {counts['retry'] + counts['failed']}")


@click.command("sms-credit")
@with_appcontext
def credit_command():
    """The SMS provider account's credit, in rials."""
    chosen = sms_gateway.load_sender(current_app.config["SMS_SENDER"], current_app.config)
    if not hasattr(chosen, "credit"):
        click.echo("the sender has no account to ask (set HAMSAYEH_SMS_API_KEY)")
        return
    click.echo(f"credit: {chosen.credit()}")
