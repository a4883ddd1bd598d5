"""Simple "My requests" (issue 20, point 6): who offered, in plain words, with
big buttons to accept or say no there and then; a helper on the way; the
help to confirm once it is done; and the inbox with its count in the simple
header. Every change goes through the board's own functions."""

import re

import models
from hamsayeh.domain import board, timebank
from tests.conftest import sign_in, submit
from tests.factories import make_post
from tests.pages import check_page

SIMPLE_BUDGET = 8 * 1024


def mine(client, status=200):
    return check_page(client.get("/simple/mine"), status=status, budget=SIMPLE_BUDGET)


def press(client, action, **data):
    """A button of My requests, sent from that page with its token."""
    return submit(client, "/simple/mine", action, data)


def test_an_offer_names_the_neighbor_and_is_accepted_there_and_then(client, people, places):
    resident, volunteer = people["resident"], people["volunteer"]
    post = make_post(resident, places["Tajrish"])
    answer = board.respond_to_post(post, volunteer, "فردا صبح می‌توانم بیایم")
    sign_in(client, resident.phone)
    html = mine(client)
    assert "کاربر volunteer پیشنهاد داده که به شما کمک کند." in html
    assert "فردا صبح می‌توانم بیایم" in html
    assert "در انتظار پاسخ همسایه‌ها" not in html, "never 'waiting' once someone offered"
    accept = f"/simple/mine/answers/{answer.id}/accept"
    assert f'action="{accept}"' in html and f'action="/simple/mine/answers/{answer.id}/decline"' in html
    assert "بله، کاربر volunteer را می‌پذیرم" in html and "نه، ممنون" in html
    first = press(client, accept)
    second = press(client, accept)  # pressed twice: accepted once
    assert first.status_code == second.status_code == 302 and first.location == "/simple/mine"
    assert models.HelpResponse.get_by_id(answer.id).status == "accepted"
    assert models.PostEvent.select().where(models.PostEvent.action == "accepted").count() == 1
    assert (
        models.Notification.select()
        .where(models.Notification.user == volunteer, models.Notification.kind == "accepted")
        .count()
        == 1
    )
    html = mine(client)
    assert "کاربر volunteer برای کمک به شما می‌آید." in html and "۰۹۱۲۰۰۰۰۰۰۲" in html
    assert 'action="/simple/mine/answers/' not in html, "nothing to press while the helper is on the way"


def test_saying_no_leaves_the_request_waiting_for_others(client, people, places):
    resident = people["resident"]
    post = make_post(resident, places["Tajrish"])
    answer = board.respond_to_post(post, people["volunteer"])
    sign_in(client, resident.phone)
    assert press(client, f"/simple/mine/answers/{answer.id}/decline").status_code == 302
    assert models.HelpResponse.get_by_id(answer.id).status == "declined"
    html = mine(client)
    assert "در انتظار پاسخ همسایه‌ها" in html and "کاربر volunteer" not in html


def test_a_done_help_asks_to_be_confirmed_and_pays_as_the_board_does(client, people, places):
    resident, volunteer = people["resident"], people["volunteer"]
    post = make_post(resident, places["Tajrish"])
    answer = board.respond_to_post(post, volunteer)
    board.accept_response(answer, resident)
    board.mark_done(models.HelpResponse.get_by_id(answer.id), volunteer)
    sign_in(client, resident.phone)
    html = mine(client)
    assert "کاربر volunteer می‌گوید کمک انجام شد. آیا به شما کمک کرد؟" in html
    confirm = f"/simple/mine/answers/{answer.id}/confirm"
    assert f'action="{confirm}"' in html and "بله، به من کمک شد" in html
    assert press(client, confirm).status_code == 302
    assert press(client, confirm).status_code == 302  # twice: paid once
    assert models.HelpResponse.get_by_id(answer.id).status == "confirmed"
    assert models.HelpPost.get_by_id(post.id).status == "done"
    assert timebank.member_account(volunteer).balance == post.estimate_minutes
    html = mine(client)
    assert "کاربر volunteer به شما کمک کرد. سپاس!" in html and "انجام شد" in html


def test_when_the_time_bank_cannot_pay_a_gift_is_offered_beside_the_button(client, people, places):
    resident, volunteer = people["resident"], people["volunteer"]
    timebank.set_floor(timebank.member_account(resident), 0, False, people["center_staff"])
    post = make_post(resident, places["Tajrish"])
    answer = board.respond_to_post(post, volunteer)
    board.accept_response(answer, resident)
    board.mark_done(models.HelpResponse.get_by_id(answer.id), volunteer)
    sign_in(client, resident.phone)
    confirm = f"/simple/mine/answers/{answer.id}/confirm"
    html = check_page(press(client, confirm), status=422, budget=SIMPLE_BUDGET)
    message = re.search(rf'<p class="error" id="f-gift-{answer.id}">([^<]+)</p>', html).group(1)
    assert "بانک زمان شما" in message
    assert 'name="gift" value="1"' in html and f'aria-describedby="f-gift-{answer.id}"' in html
    assert models.HelpResponse.get_by_id(answer.id).status == "done"
    assert press(client, confirm, gift="1").status_code == 302
    assert models.HelpResponse.get_by_id(answer.id).status == "confirmed"
    assert timebank.member_account(volunteer).balance == 0


def test_no_one_else_answers_for_the_member(app, client, people, places):
    resident, volunteer = people["resident"], people["volunteer"]
    answer = board.respond_to_post(make_post(resident, places["Tajrish"]), volunteer)
    for action in ("accept", "decline", "confirm"):
        path = f"/simple/mine/answers/{answer.id}/{action}"
        assert submit(client, "/account/sign-in", path, {}).location.startswith("/account/sign-in")
    for who in ("facilitator", "volunteer", "admin"):
        other = app.test_client()
        sign_in(other, people[who].phone)
        for action in ("accept", "decline", "confirm"):
            response = submit(other, "/simple/mine", f"/simple/mine/answers/{answer.id}/{action}", {})
            check_page(response, status=404)
    assert models.HelpResponse.get_by_id(answer.id).status == "offered"
    sign_in(client, resident.phone)
    assert submit(client, "/simple/mine", "/simple/mine/answers/999999/accept", {}).status_code == 404


def test_the_simple_header_shows_the_inbox_with_its_count(client, people, places):
    resident = people["resident"]
    sign_in(client, resident.phone)
    html = mine(client)
    assert '<a href="/inbox/">پیام‌ها</a>' in html
    post = make_post(resident, places["Tajrish"])
    board.respond_to_post(post, people["volunteer"])
    board.respond_to_post(post, people["facilitator"])
    for path in ("/simple/", "/simple/mine", "/simple/need"):
        html = check_page(client.get(path), budget=SIMPLE_BUDGET)
        assert '<a href="/inbox/">پیام‌ها (۲ جدید)</a>' in html


def test_ten_requests_with_offers_stay_under_the_simple_budget(client, people, places):
    resident = people["resident"]
    helpers = [people[role] for role in ("volunteer", "facilitator", "center_staff")]
    for index in range(10):
        post = make_post(resident, places["Tajrish"], f"درخواست شمارهٔ {index}")
        for helper in helpers:
            board.respond_to_post(post, helper, "می‌توانم امروز عصر کمک کنم")
    sign_in(client, resident.phone)
    html = mine(client)
    assert html.count("/accept") == 30
