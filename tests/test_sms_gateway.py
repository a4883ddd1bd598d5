"""The gateway adapter against a local stand-in of the provider, over real
HTTP: sending, retries with back-off on the task queue, a message never sent
twice when a worker dies mid-send, signed delivery reports, the credit; and
a simple-mode member's whole request life as their phone sees it."""

import datetime
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from werkzeug.serving import make_server

import models
from hamsayeh import persian
from hamsayeh.domain import sms
from hamsayeh.web import sms_gateway
from tests.conftest import PG_URL, sign_in, submit
from tests.factories import make_post, person
from tests.sms_standin import API_KEY, StandIn

DELIVERY_SECRET = "delivery-secret-for-tests"
INCOMING_SECRET = "incoming-secret-for-tests"
# 10:00 in Tehran, then 23:30, then 07:00:30 the next morning.
MORNING = datetime.datetime(2026, 11, 30, 6, 30)
LATE = datetime.datetime(2026, 11, 30, 20, 0)
NEXT_MORNING = datetime.datetime(2026, 12, 1, 3, 30, 30)


@pytest.fixture
def provider(app, db):
    """The stand-in, and the site configured to send through it."""
    saved = {key: app.config.get(key) for key in ("SMS_SENDER", "SMS_GATEWAY_URL", "SMS_API_KEY", "SMS_LINE")}
    saved.update(SMS_DELIVERY_SECRET=app.config["SMS_DELIVERY_SECRET"], SMS_SECRET=app.config["SMS_SECRET"])
    saved["SMS_RETRY_SECONDS"] = app.config["SMS_RETRY_SECONDS"]
    with StandIn() as stand_in:
        app.config.update(
            SMS_SENDER="hamsayeh.web.sms_gateway:HttpGateway",
            SMS_GATEWAY_URL=stand_in.url,
            SMS_API_KEY=API_KEY,
            SMS_LINE="10004346",
            SMS_DELIVERY_SECRET=DELIVERY_SECRET,
            SMS_SECRET=INCOMING_SECRET,
            SMS_RETRY_SECONDS=0.2,
        )
        yield stand_in
    app.config.update(saved)
    sms.use_clock(None)


@pytest.fixture
def site(app, provider):
    """The site on a port of this machine, where the provider posts its reports."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def gateway(app):
    return sms_gateway.load_sender(app.config["SMS_SENDER"], app.config)


def outbox():
    return list(models.SmsMessage.select().where(models.SmsMessage.direction == "out").order_by(models.SmsMessage.id))


def wait_for(condition, seconds=20):
    """Poll until `condition()` holds (the worker runs in other threads); its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def test_sending_speaks_the_providers_interface_and_marks_the_message(app, provider):
    message = sms.queue_sms("09121234567", "همسایه: آزمایش")
    assert sms_gateway.deliver_due(app) == {"sent": 1, "retry": 0, "failed": 0}
    [entry] = provider.delivered
    assert (entry["receptor"], entry["message"], entry["sender"], entry["localid"]) == (
        "09121234567",
        "همسایه: آزمایش",
        "10004346",
        str(message.id),
    )
    sent = models.SmsMessage.get_by_id(message.id)
    assert (sent.status, sent.provider_id, sent.attempts) == ("sent", str(entry["messageid"]), 1)
    assert sms_gateway.deliver_due(app) == {"sent": 0, "retry": 0, "failed": 0}
    assert gateway(app).status(sent.provider_id) == "delivered"


def test_the_credit_is_asked_of_the_provider(app, provider):
    assert gateway(app).credit() == 1_250_000
    result = app.test_cli_runner().invoke(args=["sms-credit"])
    assert "1250000" in result.output


def test_a_wrong_key_or_a_bad_number_is_a_refusal_that_names_neither(app, provider):
    app.config["SMS_API_KEY"] = "a-wrong-key"
    with pytest.raises(sms_gateway.GatewayError) as refused:
        gateway(app).send("09121234567", "x", "1")
    assert refused.value.reason == "provider 403" and not refused.value.permanent
    app.config["SMS_API_KEY"] = API_KEY
    provider.refuse_next = 411  # the provider's word for a bad receptor
    message = sms.queue_sms("09121234567", "x")
    assert sms_gateway.deliver_due(app)["failed"] == 1
    failed = models.SmsMessage.get_by_id(message.id)
    assert (failed.status, failed.error) == ("failed", "provider 411")


def test_an_outage_is_retried_with_growing_back_off_until_it_passes(app, provider):
    provider.fail_next = 2
    message = sms.queue_sms("09121234567", "همسایه: آزمایش")
    start = sms.clock()
    assert sms_gateway.deliver_due(app)["retry"] == 1
    first = models.SmsMessage.get_by_id(message.id)
    assert (first.status, first.attempts, first.error) == ("queued", 1, "http 502")
    assert sms.due(start) == []  # it waits its back-off
    sms.use_clock(lambda: first.send_after)
    assert sms_gateway.deliver_due(app)["retry"] == 1
    second = models.SmsMessage.get_by_id(message.id)
    assert second.send_after - first.send_after >= 2 * (first.send_after - start) - datetime.timedelta(seconds=0.05)
    sms.use_clock(lambda: second.send_after)
    assert sms_gateway.deliver_due(app)["sent"] == 1
    assert len(provider.delivered) == 1 and provider.calls == 3


def test_after_the_last_try_a_message_fails_for_good(app, provider):
    provider.fail_next = sms.MAX_ATTEMPTS + 1
    message = sms.queue_sms("09121234567", "x")
    for _ in range(sms.MAX_ATTEMPTS):
        sms.use_clock(lambda: models.SmsMessage.get_by_id(message.id).send_after)
        sms_gateway.deliver_due(app)
    assert models.SmsMessage.get_by_id(message.id).status == "failed"
    assert provider.calls == sms.MAX_ATTEMPTS


def test_the_worker_retries_on_the_queue_with_back_off(app, provider, worker):
    """The real task queue: the request that queued the SMS wakes the worker,
    the first sends fail, huey tries the task again after its delay."""
    provider.fail_next = 2
    user = person("09121234567", "پروین")
    models.User.update(simple_mode=True).where(models.User.id == user.id).execute()
    client = app.test_client()
    client.post(
        "/sms/incoming", data={"from": user.phone, "text": "راهنما"}, headers={"X-Hamsayeh-Secret": INCOMING_SECRET}
    )
    assert wait_for(lambda: provider.to(user.phone))
    [message] = outbox()
    assert (message.status, message.attempts) == ("sent", 3)
    assert len(provider.delivered) == 1


def test_two_workers_never_send_one_message_twice(app, provider):
    for number in range(30):
        sms.queue_sms(f"091212{number:05d}", "همسایه: آزمایش")
    results = []

    def work():
        with models.connection():
            results.append(sms_gateway.deliver_due(app))

    workers = [threading.Thread(target=work) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert sum(result["sent"] for result in results) == 30
    assert len(provider.delivered) == 30 and provider.calls == 30


WORKER_SCRIPT = textwrap.dedent(
    """
    import sys
    from app import create_app
    import models
    from hamsayeh.web import sms_gateway
    app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "SECRET_KEY": "x", "AUDIT_KEY": "x",
                      "REGISTRY_KEY": sys.argv[4], "QUEUE_FILE": sys.argv[5],
                      "SMS_SENDER": "hamsayeh.web.sms_gateway:HttpGateway", "SMS_GATEWAY_URL": sys.argv[2],
                      "SMS_API_KEY": sys.argv[3], "SMS_LINE": "10004346"})
    with app.app_context(), models.connection():
        sms_gateway.deliver_due(app)
    """
)


def test_a_worker_killed_while_sending_never_makes_a_second_sms(app, provider, tmp_path):
    """The worker dies after the provider took the message and before it was
    marked sent: the next worker sends it again under the same localid,
    which the provider does not send twice."""
    message = sms.queue_sms("09121234567", "همسایه: آزمایش")
    provider.hold = threading.Event()
    database = PG_URL or app.config["DATABASE_URL"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WORKER_SCRIPT,
            database,
            provider.url,
            API_KEY,
            app.config["REGISTRY_KEY"],
            str(tmp_path / "q"),
        ],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: len(provider.delivered) == 1)  # the provider took it…
        process.send_signal(signal.SIGKILL)  # …and the worker dies before hearing so
    finally:
        process.wait()
        provider.hold.set()
    provider.hold = None
    left = models.SmsMessage.get_by_id(message.id)
    assert left.status == "sending"
    assert sms_gateway.deliver_due(app)["sent"] == 0  # the claim is fresh: nobody takes it yet
    sms.use_clock(lambda: left.claimed_at + sms.STALE_CLAIM + datetime.timedelta(seconds=1))
    assert sms_gateway.deliver_due(app)["sent"] == 1
    sent = models.SmsMessage.get_by_id(message.id)
    assert sent.status == "sent" and sent.provider_id == str(provider.delivered[0]["messageid"])
    assert len(provider.delivered) == 1  # one SMS reached the phone


def test_delivery_reports_are_signed_fresh_and_applied_once(app, provider, site):
    message = sms.queue_sms("09121234567", "همسایه: آزمایش")
    sms_gateway.deliver_due(app)
    messageid = provider.delivered[0]["messageid"]
    assert provider.report(site, "a-guessed-secret", messageid) == 403
    assert provider.report(site, DELIVERY_SECRET, messageid, timestamp=time.time() - 3600) == 403
    assert models.SmsMessage.get_by_id(message.id).status == "sent"
    stamp = time.time()
    assert provider.report(site, DELIVERY_SECRET, messageid, status=10, timestamp=stamp) == 200
    assert models.SmsMessage.get_by_id(message.id).status == "delivered"
    # The same report replayed, and an older "failed" one, change nothing.
    assert provider.report(site, DELIVERY_SECRET, messageid, status=10, timestamp=stamp) == 200
    assert provider.report(site, DELIVERY_SECRET, messageid, status=11, timestamp=stamp - 60) == 200
    assert models.SmsMessage.get_by_id(message.id).status == "delivered"
    app.config["SMS_DELIVERY_SECRET"] = ""
    assert provider.report(site, DELIVERY_SECRET, messageid) == 404  # off until configured


def test_of_two_reports_in_the_same_second_delivered_stands_whichever_comes_first(app, provider, site):
    """The provider's times are whole seconds: "failed" (an attempt on the way)
    and "delivered" may share one, and arrive in either order."""
    first, second = sms.queue_sms("09121234567", "همسایه: یک"), sms.queue_sms("09121234568", "همسایه: دو")
    sms_gateway.deliver_due(app)
    ids = {entry["receptor"]: entry["messageid"] for entry in provider.delivered}
    stamp = time.time()
    for phone, order in (("09121234567", (11, 10)), ("09121234568", (10, 11))):
        for status in order:
            assert provider.report(site, DELIVERY_SECRET, ids[phone], status=status, timestamp=stamp) == 200
    assert [models.SmsMessage.get_by_id(m.id).status for m in (first, second)] == ["delivered", "delivered"]
    # A report of a later second still says what happened last.
    assert provider.report(site, DELIVERY_SECRET, ids["09121234567"], status=11, timestamp=stamp + 1) == 200
    assert models.SmsMessage.get_by_id(first.id).status == "failed"


def test_no_phone_number_code_or_text_reaches_the_logs(app, provider, site, caplog):
    """At the level a site logs (INFO; the site's own modules at every level),
    through a failure, a retry, an incoming message and a delivery report."""
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="hamsayeh")
    provider.fail_next = 1
    sms.queue_sms("09121234567", "همسایه: کد شما ۴۸۲۹۱۷ است.")
    sms_gateway.deliver_due(app)
    later = sms.clock() + datetime.timedelta(minutes=1)
    sms.use_clock(lambda: later)
    sms_gateway.deliver_due(app)
    assert provider.report(site, DELIVERY_SECRET, provider.delivered[0]["messageid"]) == 200
    app.test_client().post(
        "/sms/incoming", data={"from": "09121234567", "text": "وضعیت"}, headers={"X-Hamsayeh-Secret": INCOMING_SECRET}
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "sms" in logged  # the failure was logged…
    for secret in ("09121234567", "9121234567", "۴۸۲۹۱۷", "482917", API_KEY):
        assert secret not in logged  # …naming none of these


def test_a_simple_mode_members_request_life_by_sms(app, provider, site, places):
    """From the request to «بله», as the member's phone sees it: at most four
    SMS, each one of 70 characters at most, none at night, and «بله» confirms."""
    sms.use_clock(lambda: MORNING)
    member = person("09125550001", "پروین اعتصامی", neighborhood=places["Tajrish"])
    helper = person("09125550002", "محمدحسین مولایی‌نژاد", neighborhood=places["Tajrish"])
    models.User.update(simple_mode=True).where(models.User.id.in_([member.id, helper.id])).execute()
    post = make_post(member, places["Tajrish"])

    helping = app.test_client()
    sign_in(helping, helper.phone)
    submit(helping, f"/board/posts/{post.id}", f"/board/posts/{post.id}/respond", {"message": "فردا صبح می‌آیم"})
    sms_gateway.deliver_due(app)
    [offer] = provider.to(member.phone)
    assert "محمدحسین" in offer

    asking = app.test_client()
    sign_in(asking, member.phone)
    response = models.HelpResponse.get(models.HelpResponse.post == post)
    submit(asking, f"/board/posts/{post.id}", f"/board/responses/{response.id}/accept", {})
    sms_gateway.deliver_due(app)
    assert len(provider.to(helper.phone)) == 1

    sms.use_clock(lambda: LATE)
    submit(helping, f"/board/posts/{post.id}", f"/board/responses/{response.id}/done", {})
    assert sms_gateway.deliver_due(app)["sent"] == 0  # 23:30 in Tehran: it waits
    assert len(provider.to(member.phone)) == 1

    sms.use_clock(lambda: NEXT_MORNING)
    sms_gateway.deliver_due(app)
    done = provider.to(member.phone)[-1]
    assert "«بله»" in done

    reply = asking.post(
        "/sms/incoming", data={"from": member.phone, "text": "بله"}, headers={"X-Hamsayeh-Secret": INCOMING_SECRET}
    )
    assert reply.status_code == 200
    sms_gateway.deliver_due(app)
    assert models.HelpResponse.get_by_id(response.id).status == "confirmed"
    assert models.HelpPost.get_by_id(post.id).status == "done"

    for entry in provider.delivered:
        assert provider.report(site, DELIVERY_SECRET, entry["messageid"]) == 200
    messages = outbox()
    texts = [entry["message"] for entry in provider.delivered]
    assert 3 <= len(texts) <= 4
    assert all(len(text) <= 70 and sms.segments(text) == 1 for text in texts), texts
    assert all(7 <= persian.tehran_time(message.sent_at).hour < 22 for message in messages)
    assert all(message.status == "delivered" for message in messages)
    assert [message.post_id for message in messages] == [post.id] * len(messages)
    again = asking.post(
        "/sms/incoming", data={"from": member.phone, "text": "بله"}, headers={"X-Hamsayeh-Secret": INCOMING_SECRET}
    )
    assert "منتظر" in again.get_data(as_text=True)
