"""The SMS entry point: a gateway posts incoming messages; «کمک» or «۱» starts a
call-back request and a reply waits in the outbox; anything else gets help."""

import pytest
from click.testing import CliRunner

import models
from hamsayeh.domain import sms as outbox
from hamsayeh.views import sms

SECRET = "a-shared-secret-for-tests"


@pytest.fixture
def gateway(app, db):
    app.config["SMS_SECRET"] = SECRET
    yield app.test_client()
    app.config["SMS_SECRET"] = ""


def deliver(client, sender, text, secret=SECRET, **fields):
    headers = {"X-Hamsayeh-Secret": secret} if secret is not None else {}
    return client.post("/sms/incoming", data={"from": sender, "text": text, **fields}, headers=headers)


@pytest.mark.parametrize("text", ["کمک", "۱", "1", " كمك ", "HELP"])
def test_a_help_message_starts_a_call_back_and_queues_a_reply(gateway, text):
    answer = deliver(gateway, "+98 912 123 4567", text)
    assert answer.status_code == 200 and "تماس" in answer.get_data(as_text=True)
    callback = models.CallbackRequest.get()
    assert (callback.phone, callback.source) == ("09121234567", "sms")
    reply = models.SmsMessage.get(models.SmsMessage.direction == "out")
    assert (reply.phone, reply.status, reply.callback_id) == ("09121234567", "queued", callback.id)


@pytest.mark.parametrize("text", ["سلام", "", "<script>alert(1)</script>", "۲", "x" * 5000])
def test_anything_else_gets_a_helpful_reply_and_no_request(gateway, text):
    answer = deliver(gateway, "09121234567", text)
    assert answer.status_code == 200 and "«کمک»" in answer.get_data(as_text=True)
    assert models.CallbackRequest.select().count() == 0
    assert models.SmsMessage.select().where(models.SmsMessage.direction == "out").count() == 1


def test_a_member_texting_gets_a_call_back_tied_to_their_neighborhood(gateway, people):
    deliver(gateway, people["resident"].phone, "کمک")
    callback = models.CallbackRequest.get()
    assert (callback.user_id, callback.neighborhood_id) == (people["resident"].id, people["resident"].neighborhood_id)


def test_the_endpoint_wants_its_secret(app, db, gateway):
    assert deliver(gateway, "09121234567", "کمک", secret="wrong").status_code == 403
    assert deliver(gateway, "09121234567", "کمک", secret=None).status_code == 403
    app.config["SMS_SECRET"] = ""
    assert deliver(gateway, "09121234567", "کمک").status_code == 404  # off until configured
    assert models.SmsMessage.select().count() == 0


def test_a_bad_number_is_refused_without_a_reply(gateway):
    assert deliver(gateway, "not a number", "کمک").status_code == 400
    assert models.SmsMessage.select().count() == 0


def test_a_retried_delivery_counts_once_and_a_flood_is_cut_off(gateway):
    for _ in range(3):
        deliver(gateway, "09121234567", "کمک", id="gw-17")
    assert models.CallbackRequest.select().count() == 1
    for number in range(sms.PER_HOUR - 1):
        assert deliver(gateway, "09121234567", f"سلام {number}").status_code == 200
    assert deliver(gateway, "09121234567", "کمک").status_code == 429
    assert deliver(gateway, "09121234568", "کمک").status_code == 200  # another number is not held back
    assert models.SmsMessage.select().where(models.SmsMessage.direction == "in").count() == sms.PER_HOUR + 1


SENT = []


class Recorder:
    """A gateway that records what it is given, and fails for one number."""

    def send(self, phone, body):
        if phone == "09120000000":
            raise OSError("the gateway is down")
        SENT.append((phone, body))


def test_the_outbox_goes_to_the_configured_sender(app, gateway):
    deliver(gateway, "09121234567", "کمک")
    models.SmsMessage.create(direction="out", phone="09120000000", body="آزمایش", status="queued")
    with app.app_context():
        assert "outbox" in CliRunner().invoke(sms.send_command).output  # the default keeps them
        app.config["SMS_SENDER"] = "tests.test_sms:Recorder"
        try:
            output = CliRunner().invoke(sms.send_command).output
        finally:
            app.config["SMS_SENDER"] = "hamsayeh.web.sms_gateway:OutboxOnly"
    assert "sent: 1, failed: 1" in output
    assert SENT[-1][0] == "09121234567"
    statuses = dict(
        models.SmsMessage.select(models.SmsMessage.phone, models.SmsMessage.status)
        .where(models.SmsMessage.direction == "out")
        .tuples()
    )
    assert statuses == {"09121234567": "sent", "09120000000": "queued"}


def test_the_outbox_command_shows_what_waits_to_be_sent(app, db):
    """In development nothing is delivered: a sign-up's code is read here."""
    outbox.queue_sms("09121234567", "کد ورود شما ۱۲۳۴۵۶ است.")
    result = app.test_cli_runner().invoke(args=["sms-outbox"])
    assert result.exit_code == 0 and "09121234567: کد ورود شما ۱۲۳۴۵۶ است." in result.output
