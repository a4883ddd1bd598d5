"""The simple pages: one question a page, the same request as the board,
call-me-back, a short volunteer sign-up, and the simple-mode preference."""

import re

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import board, volunteers
from hamsayeh.views import simple
from tests.conftest import sign_in, submit
from tests.pages import check_page

SIMPLE_BUDGET = 8 * 1024


def simple_page(response, status=200):
    html = check_page(response, status=status, budget=SIMPLE_BUDGET)
    choices = len(re.findall(r'class="big-choice"', html))
    assert choices <= 4, "at most four big choices a page"
    return html


def links(html):
    return re.findall(r'<a class="big-choice" href="([^"]+)"', html)


def test_a_senior_asks_for_help_in_five_taps_and_it_is_on_the_board(client, people, places):
    senior = people["resident"]
    sign_in(client, senior.phone)
    html = simple_page(client.get("/simple/"))
    assert "چه کاری می‌خواهید انجام دهید؟" in html
    html = simple_page(client.get(links(html)[0].replace("&amp;", "&")))  # tap 1: I need help
    assert "گام ۱ از ۴" in html and "از اول" in html and "بازگشت" in html
    html = simple_page(client.get(links(html)[0].replace("&amp;", "&")))  # tap 2: errands
    html = simple_page(client.get(links(html)[0].replace("&amp;", "&")))  # tap 3: today
    html = simple_page(client.get(links(html)[0].replace("&amp;", "&")))  # tap 4: call my phone
    assert "گام ۴ از ۴" in html and "خرید و کارهای بیرون" in html
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    for _ in range(2):  # tap 5, twice: one request
        answer = client.post("/simple/need", data=data)
    assert answer.status_code == 302
    post = models.HelpPost.get()
    assert (post.kind, post.urgency, post.author_id, post.neighborhood_id) == (
        "request",
        2,
        senior.id,
        senior.neighborhood_id,
    )
    assert models.HelpPost.select().count() == 1
    simple_page(client.get(answer.location))
    sign_in(client, people["volunteer"].phone)
    assert "خرید و کارهای بیرون" in check_page(client.get("/board/"))


def test_other_kinds_come_three_at_a_time_and_every_kind_is_reachable(client, people, places):
    sign_in(client, people["resident"].phone)
    seen, page = set(), "/simple/need"
    while page:
        html = simple_page(client.get(page))
        found = [link.replace("&amp;", "&") for link in links(html)]
        seen.update(re.findall(r"type=(\w+)", " ".join(found)))
        page = next((link for link in found if "page=" in link), None)
    assert seen == {item.slug for item in models.ActivityType.listed()}


@pytest.mark.parametrize("path", ["/simple/need/when?type=nope", "/simple/need/reach?type=food&when=yesterday"])
def test_a_broken_step_starts_the_question_again(client, people, path):
    sign_in(client, people["resident"].phone)
    answer = client.get(path)
    assert answer.status_code == 302 and answer.location.startswith("/simple/need")


def test_guests_need_no_account_for_the_simple_home_or_to_ask_for_help(client, places):
    simple_page(client.get("/simple/"))
    simple_page(client.get("/simple/near"))
    client.set_cookie("hood", str(places["Tajrish"].id))
    simple_page(client.get("/simple/need"))
    html = simple_page(client.get("/simple/need/reach?type=food&when=week"))
    assert 'id="f-phone"' in html  # the number the code goes to (tests/test_front_door.py)
    for path in ("/simple/need/check?type=food&when=week&reach=phone", "/simple/mine"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/account/sign-in" in answer.location


def test_call_me_back_with_only_a_phone_number(client, places):
    html = simple_page(client.get("/simple/call-me"))
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    html = simple_page(submit(client, "/simple/call-me", "/simple/call-me", {"phone": "0912", "form_key": key}), 422)
    assert 'id="f-phone-error"' in html and 'value="0912"' in html
    for _ in range(2):
        answer = submit(client, "/simple/call-me", "/simple/call-me", {"phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "form_key": key})
    assert answer.status_code == 302
    callback = models.CallbackRequest.get()
    assert (callback.phone, callback.source, callback.status) == ("09121234567", "web", "open")
    assert models.CallbackRequest.select().count() == 1
    simple_page(client.get(answer.location))


def test_call_me_back_with_a_name_and_a_center(client, places):
    center = models.Center.create(area=places["District 1"], name="مرکز مثبت زندگی تجریش")
    client.set_cookie("hood", str(places["Tajrish"].id))
    html = simple_page(client.get("/simple/call-me"))
    assert "مرکز مثبت زندگی تجریش" in html
    html = simple_page(submit(client, "/simple/call-me", "/simple/call-me", {"way": "center", "name": ""}), 422)
    assert 'id="f-name-error"' in html and 'id="f-center-error"' in html
    data = {"way": "center", "name": "خانم رحیمی", "center": str(center.id), "form_key": "k-center"}
    assert submit(client, "/simple/call-me", "/simple/call-me", data).status_code == 302
    callback = models.CallbackRequest.get()
    assert (callback.name, callback.center_id, callback.phone) == ("خانم رحیمی", center.id, "")


def test_a_member_asks_to_be_called_with_one_tap_and_sees_it_in_my_requests(client, people, places):
    sign_in(client, people["resident"].phone)
    html = simple_page(client.get("/simple/call-me"))
    assert "۰۹۱۲۰۰۰۰۰۰۱" in html
    key = re.search(r'name="form_key" value="([^"]+)"', html).group(1)
    submit(client, "/simple/call-me", "/simple/call-me", {"mine": "1", "form_key": key})
    assert models.CallbackRequest.get().phone == people["resident"].phone
    assert "به‌زودی با شما تماس می‌گیریم" in simple_page(client.get("/simple/mine"))


def test_my_requests_say_where_they_stand_in_plain_words(client, people, places):
    from tests.factories import make_post

    post = make_post(people["resident"], places["Tajrish"], "کمک برای خرید نان و شیر از مغازهٔ سر کوچه")
    sign_in(client, people["resident"].phone)
    assert "در انتظار پاسخ همسایه‌ها" in simple_page(client.get("/simple/mine"))
    board.accept_response(board.respond_to_post(post, people["volunteer"]), people["resident"])
    html = simple_page(client.get("/simple/mine"))
    assert "کاربر volunteer برای کمک به شما می‌آید" in html and "در انتظار" not in html


def test_a_short_volunteer_sign_up(client, people, places):
    sign_in(client, people["resident"].phone)
    html = simple_page(client.get("/simple/help-out"))
    html = simple_page(client.get(links(html)[1].replace("&amp;", "&")))  # health
    assert "پنج‌شنبه و جمعه" in html
    answer = submit(
        client, "/simple/help-out/days?type=health", "/simple/help-out", {"type": "health", "days": "weekend"}
    )
    simple_page(answer)
    profile = models.VolunteerProfile.get(models.VolunteerProfile.user == people["resident"])
    assert profile.weekdays == 0b1100000 and profile.is_active
    assert [a.slug for a in models.ActivityType.select().where(models.ActivityType.id.in_(profile.activity_ids()))] == [
        "health"
    ]


def test_simple_mode_is_a_preference_that_decides_where_a_member_lands(client, people, places):
    resident = people["resident"]
    sign_in(client, resident.phone)
    answer = submit(client, "/", "/simple/mode", {"simple": "1"})
    assert answer.location == "/simple/"
    assert models.User.get_by_id(resident.id).simple_mode
    assert 'name="simple" value=""' in simple_page(client.get("/simple/"))  # the way back to the full site
    client.post(
        "/account/sign-out",
        data={
            "csrf_token": re.search(
                r'name="csrf_token" value="([^"]+)"', client.get("/simple/").get_data(as_text=True)
            ).group(1)
        },
    )
    assert sign_in(client, resident.phone).location == "/simple/"
    submit(client, "/simple/", "/simple/mode", {"simple": ""})
    assert not models.User.get_by_id(resident.id).simple_mode
    assert sign_in(client, resident.phone).location == "/"


def test_every_simple_page_can_be_listened_to_in_persian(app, client, people, places):
    sign_in(client, people["resident"].phone)
    for path in ("/simple/", "/simple/need", "/simple/need/when?type=food", "/simple/call-me", "/simple/mine"):
        html = simple_page(client.get(path))
        link = re.search(r'class="listen" href="([^"]+)"', html).group(1)
        audio = client.get(link)
        assert audio.status_code == 200 and audio.mimetype == "audio/ogg" and audio.data[:4] == b"OggS"
        assert "immutable" in audio.headers["Cache-Control"]
        assert len(audio.data) < 40 * 1024  # a few seconds at 12 kbit/s
    with app.app_context():
        words = simple.speech_signer().loads(link.rsplit("/", 1)[1].removesuffix(".ogg"))
    assert "درخواست‌های من" in words
    # Only the site's own words are spoken.
    # The words travel in the link: never a phone number (addresses end up in logs).
    sign_in(client, people["resident"].phone)
    call_page = simple_page(client.get("/simple/call-me"))
    assert "۰۹۱۲۰۰۰۰۰۰۱" in call_page
    call_link = re.search(r'class="listen" href="([^"]+)"', call_page).group(1)
    with app.app_context():
        spoken = simple.speech_signer().loads(call_link.rsplit("/", 1)[1].removesuffix(".ogg"))
    assert "0912" not in persian.normalize(spoken)
    forged = link[:-8] + ("A" if link[-5] != "A" else "B") + link[-7:]
    assert client.get(forged).status_code == 404
    assert client.get("/simple/listen/anything.ogg").status_code == 404


def test_the_simple_pages_ask_for_the_number_and_pin_on_a_simple_page(client, people, places):
    answer = client.get("/simple/mine")
    html = simple_page(client.get(answer.location))
    assert "شماره و رمز شما" in html and "/simple/call-me" in html
    data = {"phone": people["resident"].phone, "pin": "0000", "next": "/simple/mine"}
    html = simple_page(submit(client, answer.location, "/account/sign-in", data), 422)
    assert 'id="f-pin-error"' in html
    answer = submit(client, answer.location, "/account/sign-in", {**data, "pin": "2580"})
    assert answer.location == "/simple/mine"


def test_a_volunteer_adding_a_kind_on_the_simple_pages_keeps_the_rest(client, people, places):
    from tests.factories import activity

    user = people["volunteer"]
    volunteers.save_volunteer(
        user,
        places["Tajrish"],
        [activity("repairs")],
        skilled_activity_ids={activity("repairs").id},
        weekdays=0b0000011,
        time_slots=2,
        reach="district",
    )
    sign_in(client, user.phone)
    submit(client, "/simple/help-out/days?type=food", "/simple/help-out", {"type": "food", "days": "weekend"})
    profile = models.VolunteerProfile.get(models.VolunteerProfile.user == user)
    kinds = {row.activity_type.slug: row.skilled for row in profile.activities}
    assert kinds == {"repairs": True, "food": False}
    assert (profile.weekdays, profile.time_slots, profile.reach) == (0b1100011, 2, "district")
