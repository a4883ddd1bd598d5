"""SMS both ways, as a person with a basic phone meets them: the gateway posts
what they text and the answer waits in the outbox; their events reach them
by SMS when they want it, once, never at night unless urgent, and within a
request's budget. (The gateway adapter and the worker: test_sms_gateway.py.)"""

import datetime

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import board, callbacks, centers, network, notifications
from hamsayeh.domain import sms as outbox
from hamsayeh.views import sms as sms_views
from tests.conftest import sign_in, submit
from tests.factories import activity, make_post, person

SECRET = "a-shared-secret-for-tests"
# 10:00 and 23:30 in Tehran (UTC+3:30).
DAY = datetime.datetime(2026, 11, 30, 6, 30)
NIGHT = datetime.datetime(2026, 11, 30, 20, 0)


@pytest.fixture
def gateway(app, db):
    app.config["SMS_SECRET"] = SECRET
    yield app.test_client()
    app.config["SMS_SECRET"] = ""


@pytest.fixture
def daytime():
    outbox.use_clock(lambda: DAY)
    yield
    outbox.use_clock(None)


def deliver(client, sender, text, secret=SECRET, **fields):
    headers = {"X-Hamsayeh-Secret": secret} if secret is not None else {}
    return client.post("/sms/incoming", data={"from": sender, "text": text, **fields}, headers=headers)


def out_to(phone):
    return list(
        models.SmsMessage.select()
        .where(models.SmsMessage.direction == "out", models.SmsMessage.phone == phone)
        .order_by(models.SmsMessage.id)
    )


def last_reply(phone):
    return out_to(phone)[-1].body


@pytest.mark.parametrize("text", ["کمک", "۱", "1", " كمك ", "HELP"])
def test_a_help_message_starts_a_call_back_and_queues_a_reply(gateway, text):
    answer = deliver(gateway, "+98 912 123 4567", text)
    assert answer.status_code == 200 and "تماس" in answer.get_data(as_text=True)
    callback = models.CallbackRequest.get()
    assert (callback.phone, callback.source) == ("09121234567", "sms")
    reply = models.SmsMessage.get(models.SmsMessage.direction == "out")
    assert (reply.phone, reply.status, reply.callback_id) == ("09121234567", "queued", callback.id)


@pytest.mark.parametrize("text", ["سلام", "", "<script>alert(1)</script>", "۲", "x" * 5000, "راهنما"])
def test_anything_else_gets_the_list_of_commands_and_no_request(gateway, text):
    answer = deliver(gateway, "09121234567", text)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert all(word in body for word in ("«کمک»", "«وضعیت»", "«لغو»", "«بله»")), body
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
    for number in range(sms_views.PER_HOUR - 1):
        assert deliver(gateway, "09121234567", f"سلام {number}").status_code == 200
    assert deliver(gateway, "09121234567", "کمک").status_code == 429
    assert deliver(gateway, "09121234568", "کمک").status_code == 200  # another number is not held back
    assert models.SmsMessage.select().where(models.SmsMessage.direction == "in").count() == sms_views.PER_HOUR + 1


def test_the_outbox_command_shows_what_waits_to_be_sent(app, db):
    """In development nothing is delivered: a sign-up's code is read here."""
    outbox.queue_sms("09121234567", "کد ورود شما ۱۲۳۴۵۶ است.")
    result = app.test_cli_runner().invoke(args=["sms-outbox"])
    assert result.exit_code == 0 and "09121234567: کد ورود شما ۱۲۳۴۵۶ است." in result.output


def test_without_a_gateway_messages_stay_in_the_outbox(app, db):
    outbox.queue_sms("09121234567", "آزمایش")
    result = app.test_cli_runner().invoke(args=["sms-send"])
    assert "outbox" in result.output
    assert models.SmsMessage.get().status == "queued"


# --- Commands -------------------------------------------------------------------------


@pytest.fixture
def member(places):
    user = person("09125550001", "پروین", neighborhood=places["Tajrish"])
    models.User.update(simple_mode=True).where(models.User.id == user.id).execute()
    return models.User.get_by_id(user.id)


def test_status_lists_my_open_requests_in_one_message_with_their_numbers(gateway, member, places):
    first = make_post(member, places["Tajrish"])
    make_post(member, places["Tajrish"], activity_type=activity("health"))
    done = make_post(member, places["Tajrish"])
    board.cancel_post(done, member)
    helper = person("09125550002", "رضا", neighborhood=places["Tajrish"])
    board.respond_to_post(first, helper)
    body = deliver(gateway, member.phone, "وضعیت").get_data(as_text=True)
    assert "۱ " in body and "۲ " in body and "۳ " not in body  # the cancelled third is not open
    assert "۱ پیشنهاد" in body and "در انتظار" in body
    assert outbox.segments(body) <= 2


def test_status_names_each_kind_of_help_in_the_members_language(gateway, member, places):
    models.User.update(language="en").where(models.User.id == member.id).execute()
    make_post(member, places["Tajrish"])
    make_post(member, places["Tajrish"], activity_type=activity("health"))
    body = deliver(gateway, member.phone, "status").get_data(as_text=True)
    for slug in ("errands", "health"):
        kind = activity(slug)
        assert kind.name_en and kind.name_en in body and kind.name not in body, body
    assert body.startswith("Hamsayeh") and not any("\u0600" <= char <= "\u06ff" for char in body), body


def test_status_counts_what_one_message_cannot_list(gateway, member, places):
    for _ in range(5):
        make_post(member, places["Tajrish"])
    body = deliver(gateway, member.phone, "وضعیت").get_data(as_text=True)
    assert "۳ " in body and "۴ " not in body and "۲ درخواست دیگر" in body


@pytest.mark.parametrize("text", ["لغو ۲", "لغو2", "لغو ٢", " لغو   2 ", "cancel 2"])
def test_cancel_with_a_number_cancels_that_request_in_any_digits(gateway, member, places, text):
    first, second = make_post(member, places["Tajrish"]), make_post(member, places["Tajrish"])
    body = deliver(gateway, member.phone, text).get_data(as_text=True)
    assert "۲" in body and "لغو شد" in body
    assert models.HelpPost.get_by_id(second.id).status == "cancelled"
    assert models.HelpPost.get_by_id(first.id).status == "open"


def test_cancel_never_reaches_another_members_request_or_a_closed_one(gateway, member, places):
    other = person("09125550003", "دیگری", neighborhood=places["Tajrish"])
    theirs = make_post(other, places["Tajrish"])
    body = deliver(gateway, member.phone, "لغو 1").get_data(as_text=True)
    assert "ندارید" in body
    assert models.HelpPost.get_by_id(theirs.id).status == "open"
    assert "«لغو ۱»" in deliver(gateway, member.phone, "لغو").get_data(as_text=True)


def test_the_operators_opt_out_word_turns_sms_off_and_cancels_nothing(gateway, member, places):
    for _ in range(11):
        make_post(member, places["Tajrish"])
    deliver(gateway, member.phone, "لغو11")
    assert models.HelpPost.select().where(models.HelpPost.status == "cancelled").count() == 0
    fresh = models.User.get_by_id(member.id)
    assert (fresh.sms_events, fresh.sms_announcements, notifications.wants_sms(fresh)) == (False, False, False)


def test_yes_confirms_the_most_recent_help_waiting_and_pays_its_estimate(gateway, member, places):
    helper = person("09125550002", "رضا", neighborhood=places["Tajrish"])
    older = make_post(member, places["Tajrish"])
    newer = make_post(member, places["Tajrish"], estimate_minutes=90)
    for post in (older, newer):
        response = board.respond_to_post(post, helper)
        board.accept_response(response, member)
        board.mark_done(response, helper)
    body = deliver(gateway, member.phone, "بله").get_data(as_text=True)
    assert "رضا" in body and "تأیید" in body
    confirmed = models.HelpResponse.get(models.HelpResponse.post == newer)
    assert confirmed.status == "confirmed"
    assert models.HelpResponse.get(models.HelpResponse.post == older).status == "done"
    paid = models.TimeTransfer.get(models.TimeTransfer.kind == "help")
    assert paid.minutes == 90
    deliver(gateway, member.phone, "بله")
    assert models.HelpResponse.get(models.HelpResponse.post == older).status == "confirmed"
    assert "منتظر" in deliver(gateway, member.phone, "بله").get_data(as_text=True)


def test_a_number_without_an_account_gets_a_useful_answer(gateway, places):
    for text in ("وضعیت", "بله", "لغو ۱"):
        body = deliver(gateway, f"0912555{len(text):04d}", text).get_data(as_text=True)
        assert "حساب ندارد" in body and "«کمک»" in body


# --- Events by SMS ----------------------------------------------------------------------


def test_who_gets_sms_by_default_and_their_own_choice_wins(db, member, places):
    web = person("09125550010", "وب", neighborhood=places["Tajrish"])
    assert notifications.wants_sms(member) and not notifications.wants_sms(web)
    models.User.update(origin="desk").where(models.User.id == web.id).execute()
    assert notifications.wants_sms(models.User.get_by_id(web.id))
    models.User.update(sms_events=False).where(models.User.id == member.id).execute()
    assert not notifications.wants_sms(models.User.get_by_id(member.id))


def test_the_account_page_saves_the_sms_choices(client, member):
    sign_in(client, member.phone)
    page = client.get("/account/").get_data(as_text=True)
    assert 'name="sms_events" value="1" checked' in page
    submit(client, "/account/", "/account/sms", {"sms_announcements": "1"})
    fresh = models.User.get_by_id(member.id)
    assert (fresh.sms_events, fresh.sms_announcements) == (False, True)


def test_an_offer_reaches_a_simple_mode_member_once_and_a_web_member_not_at_all(db, member, places, daytime):
    helper = person("09125550002", "رضا", neighborhood=places["Tajrish"])
    post = make_post(member, places["Tajrish"])
    board.respond_to_post(post, helper)
    board.respond_to_post(post, helper)  # a second press finds the first answer
    [message] = out_to(member.phone)
    assert "رضا" in message.body and "۱" in message.body
    assert (message.post_id, message.user_id, message.event_key) == (
        post.id,
        member.id,
        f"post:{post.id}:response:{member.id}:{helper.id}",
    )
    web_post = make_post(helper, places["Tajrish"])
    board.respond_to_post(web_post, member)
    assert out_to(helper.phone) == []


def test_the_same_event_is_never_queued_twice(db, member):
    first = outbox.queue_sms(member.phone, "یک", event_key="post:1:offer:1")
    assert first is not None
    assert outbox.queue_sms(member.phone, "دو", event_key="post:1:offer:1") is None
    assert [m.body for m in out_to(member.phone)] == ["یک"]


def test_nothing_but_urgent_news_is_sent_at_night(db, member, places):
    outbox.use_clock(lambda: NIGHT)
    try:
        helper = person("09125550002", "رضا", neighborhood=places["Tajrish"])
        normal = make_post(member, places["Tajrish"])
        today = make_post(member, places["Tajrish"], urgency=2)
        board.respond_to_post(normal, helper)
        board.respond_to_post(today, helper)
        held, urgent = out_to(member.phone)
        assert persian.tehran_time(held.send_after).strftime("%Y-%m-%d %H:%M") == "2026-12-01 07:00"
        assert urgent.send_after == NIGHT
        assert outbox.due(NIGHT) == [urgent.id]
        assert set(outbox.due(held.send_after)) == {held.id, urgent.id}
    finally:
        outbox.use_clock(None)


@pytest.mark.parametrize(
    ("tehran", "held_until"),
    [("21:59", None), ("22:00", "07:00+1"), ("03:15", "07:00"), ("06:59", "07:00"), ("07:00", None)],
)
def test_quiet_hours_run_from_22_to_07_in_tehran(tehran, held_until):
    hour, minute = map(int, tehran.split(":"))
    local = datetime.datetime(2026, 11, 30, hour, minute, tzinfo=persian.TEHRAN)
    now = local.astimezone(datetime.UTC).replace(tzinfo=None)
    went = persian.tehran_time(outbox.send_time(now, urgent=False))
    if held_until is None:
        assert went == local
    else:
        day = 1 if held_until.endswith("+1") else 0
        assert (went.hour, went.minute, went.date() - local.date()) == (7, 0, datetime.timedelta(days=day))
    assert outbox.send_time(now, urgent=True) == now


def test_a_requests_life_costs_at_most_four_messages_whoever_gets_them(db, member, places, daytime):
    helpers = [person(f"0912555100{n}", f"همسایه {n}", neighborhood=places["Tajrish"]) for n in range(4)]
    for helper in helpers:
        models.User.update(simple_mode=True).where(models.User.id == helper.id).execute()
    post = make_post(member, places["Tajrish"])
    responses = [board.respond_to_post(post, helper) for helper in helpers]  # four offers: two SMS
    board.decline_response(responses[0], member)
    board.accept_response(responses[1], member)  # the helper's SMS: no place left
    board.mark_done(responses[1], models.User.get_by_id(helpers[1].id))
    assert [m.user_id for m in outbox.messages_about(post)] == [member.id, member.id, member.id]
    assert "«بله»" in out_to(member.phone)[-1].body
    assert models.Notification.select().where(models.Notification.post == post).count() >= 7  # the inbox has them all


def test_two_helpers_two_dones_and_two_yeses_still_cost_four_messages(gateway, member, places, daytime):
    """The worst case of a request's life: two offers, both accepted, both
    marked done, and «بله» twice (each confirms one help). The answer to the
    first «بله» always finds its place; nothing goes past four."""
    helpers = [person(f"0912555110{n}", f"همسایه {n}", neighborhood=places["Tajrish"]) for n in range(2)]
    models.User.update(simple_mode=True).where(models.User.id.in_([helper.id for helper in helpers])).execute()
    post = make_post(member, places["Tajrish"])
    responses = [board.respond_to_post(post, helper) for helper in helpers]
    for response in responses:
        board.accept_response(response, member)
    for response, helper in zip(responses, helpers, strict=True):
        board.mark_done(models.HelpResponse.get_by_id(response.id), models.User.get_by_id(helper.id))
    first = deliver(gateway, member.phone, "بله").get_data(as_text=True)
    assert "تأیید" in first and last_reply(member.phone) == first  # answered by SMS
    second = deliver(gateway, member.phone, "بله").get_data(as_text=True)
    assert "تأیید" in second and last_reply(member.phone) == first  # carried out; no SMS has a place for it
    statuses = [models.HelpResponse.get_by_id(response.id).status for response in responses]
    assert statuses == ["confirmed", "confirmed"]
    sent = [message.body for message in outbox.messages_about(post).order_by(models.SmsMessage.id)]
    assert len(sent) == notifications.REQUEST_BUDGET == 4, sent
    # The two offers, the first help marked done (reply «بله»), the answer to the first «بله».
    assert "همسایه ۰" in sent[0] and "همسایه ۱" in sent[1] and "«بله»" in sent[2] and sent[3] == first


def test_a_freed_program_place_and_a_booked_call_back_reach_the_member(db, member, places, people, daytime):
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    program = centers.add_program(
        center,
        people["center_staff"],
        "program-form",
        title="کلاس آموزش گوشی هوشمند برای سالمندان محلهٔ تجریش، هفته‌ای دو بار",
        activity_type=activity("education"),
        # Three days from the real today: the program takes sign-ups whatever the day the tests run.
        starts_at=models.utcnow() + datetime.timedelta(days=3),
        capacity=1,
    )
    first = person("09125550030", "نفر اول", neighborhood=places["Tajrish"])
    centers.sign_up(program, first)
    centers.sign_up(program, member)  # waits for a place
    centers.leave_program(program, first)
    [place] = out_to(member.phone)
    assert place.event_key == f"program:{program.id}:place:{member.id}"
    assert "کلاس آموزش" in place.body and "…" in place.body and outbox.segments(place.body) == 1
    callback = callbacks.request_callback(phone=member.phone, user=member, neighborhood=places["Tajrish"].id)
    booked = out_to(member.phone)[-1]
    assert booked.event_key == f"callback:{callback.id}" and "تماس" in booked.body
    callbacks.request_callback(phone=member.phone, source="sms", user=member)  # answered by its own reply
    assert len(out_to(member.phone)) == 2


def test_an_announcement_reaches_only_those_who_asked_by_sms(db, member, places, people):
    asked = person("09125550020", "خواهان", neighborhood=places["Niavaran"])
    models.User.update(sms_announcements=True).where(models.User.id.in_([asked.id])).execute()
    far = person("09125550021", "دور", neighborhood=places["Bazaar"])
    models.User.update(sms_announcements=True).where(models.User.id == far.id).execute()
    network.announce(people["facilitator"], places["District 1"], "پاک‌سازی پارک محله جمعه ساعت ۹", "متن", "form-1")
    network.announce(people["facilitator"], places["District 1"], "پاک‌سازی پارک محله جمعه ساعت ۹", "متن", "form-1")
    [message] = out_to(asked.phone)
    assert "پاک‌سازی پارک" in message.body and outbox.segments(message.body) == 1
    assert out_to(far.phone) == [] and out_to(member.phone) == []
