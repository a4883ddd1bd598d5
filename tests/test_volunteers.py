"""Volunteers: registration, "needs that fit me", and matching needs to volunteers."""

import datetime

import models
from hamsayeh.domain import board, volunteers
from tests.conftest import sign_in, submit
from tests.factories import activity, make_post, volunteer
from tests.pages import check_page

ALL_DAYS = 127  # Saturday to Friday
MORNING, AFTERNOON, EVENING = 1, 2, 4


def test_registering_as_a_volunteer(client, people, places):
    user = people["resident"]
    sign_in(client, user.phone)
    check_page(client.get("/volunteer/"))
    errands, food = activity("errands"), activity("food")
    data = {
        "activity": [str(errands.id), str(food.id)],
        "skill": ["shopping", "cooking", "made-up"],
        "skills_text": "  آشپزی  سنتی ",
        "mission": ["1", "4"],
        "weekday": ["1", "64"],  # Saturday and Friday
        "slot": ["4"],
        "reach": "district",
        "active": "1",
    }
    response = submit(client, "/volunteer/", "/volunteer/", data)
    assert response.status_code == 302
    profile = models.VolunteerProfile.get(models.VolunteerProfile.user == user)
    assert (profile.missions, profile.weekdays, profile.time_slots, profile.reach) == (5, 65, 4, "district")
    assert profile.skills == "shopping,cooking" and profile.skills_text == "آشپزی سنتی"
    assert profile.district_id == places["District 1"].id
    assert profile.city_id == next(a for a in places.values() if a.kind == "city").id
    assert {(a.activity_type.slug, a.skilled) for a in profile.activities} == {("errands", True), ("food", True)}
    assert "volunteer" in models.User.get_by_id(user.id).roles()
    html = check_page(client.get("/volunteer/"))
    assert f'value="{errands.id}" checked' in html and 'value="64" checked' in html
    # Saving again replaces the choices; nothing is added twice.
    data["activity"] = [str(food.id)]
    submit(client, "/volunteer/", "/volunteer/", data)
    assert [a.activity_type.slug for a in profile.activities] == ["food"]
    assert models.VolunteerProfile.select().count() == 1


def test_an_empty_volunteer_form_explains_each_missing_choice(client, people, places):
    sign_in(client, people["resident"].phone)
    html = check_page(
        submit(client, "/volunteer/", "/volunteer/", {"reach": "moon", "skills_text": "خیاطی"}), status=422
    )
    for field in ("activity", "weekday", "slot", "reach"):
        assert f'id="f-{field}-error"' in html, field
    assert 'value="خیاطی"' in html
    assert models.VolunteerProfile.select().count() == 0


def test_needs_that_fit_me_follow_reach_and_activity(client, people, places):
    me = volunteer("داوطلب", "09121111111", places["Tajrish"], slugs=("errands",), reach="district")
    in_district = make_post(people["resident"], places["Niavaran"], "خرید نان برای همسایهٔ بیمار")
    make_post(people["resident"], places["Bazaar"], "خرید در منطقهٔ دیگری از شهر")
    make_post(people["resident"], places["Niavaran"], "تعمیر در نیاوران برای شیر آب", activity_type=activity("repairs"))
    make_post(people["resident"], places["Niavaran"], "پیشنهاد خرید برای همسایه‌ها", kind="offer")
    assert [p.id for p in volunteers.needs_for(me)] == [in_district.id]
    me.reach = "neighborhood"
    me.save()
    assert list(volunteers.needs_for(me)) == []
    me.reach = "city"
    me.save()
    assert len(list(volunteers.needs_for(me))) == 2
    sign_in(client, me.user.phone)
    html = check_page(client.get("/volunteer/needs"))
    assert "خرید نان" in html


def test_matching_ranks_by_place_availability_skill_and_load(people, places):
    needed_on = datetime.date.today() + datetime.timedelta(days=(4 - datetime.date.today().weekday()) % 7 or 7)
    post = make_post(
        people["resident"], places["Tajrish"], "خرید دارو در صبح جمعه", needed_on=needed_on, time_window=1
    )  # a Friday morning
    near = volunteer("همسایهٔ تجریش", "09121111111", places["Tajrish"])
    district = volunteer("همسایهٔ نیاوران", "09121111112", places["Niavaran"])
    busy = volunteer("همسایهٔ پرکار", "09121111113", places["Tajrish"])
    not_friday = volunteer("نه جمعه", "09121111114", places["Tajrish"], weekdays=ALL_DAYS - 64)
    volunteer("فقط محلهٔ خودم", "09121111115", places["Niavaran"], reach="neighborhood")
    volunteer("بازار، کل شهر", "09121111116", places["Bazaar"], reach="city", slots=EVENING)
    volunteer("بازار، فقط منطقه", "09121111117", places["Bazaar"], reach="district")
    volunteer("نوع دیگر", "09121111118", places["Tajrish"], slugs=("repairs",))
    paused = volunteer("مرخصی", "09121111119", places["Tajrish"])
    paused.is_active = False
    paused.save()
    for number in range(2):
        other = make_post(people["resident"], places["Tajrish"], f"کار دیگری شمارهٔ {number} برای کمک")
        board.accept_response(board.respond_to_post(other, busy.user), people["resident"])
    names = [m.user.name for m in volunteers.match_volunteers(post)]
    assert names[0] == "همسایهٔ تجریش"
    # Being free on the day counts for more than living one street closer.
    assert names.index("همسایهٔ تجریش") < names.index("همسایهٔ نیاوران") < names.index("نه جمعه")
    assert names.index("همسایهٔ تجریش") < names.index("همسایهٔ پرکار")
    assert "بازار، کل شهر" in names
    for absent in ("فقط محلهٔ خودم", "بازار، فقط منطقه", "نوع دیگر", "مرخصی"):
        assert absent not in names
    assert near.id != district.id and not_friday.id


def test_the_author_and_the_districts_facilitator_see_matches_and_invite(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    helper = volunteer("داوطلب نزدیک", "09121111111", places["Niavaran"])
    for role in ("resident", "facilitator"):
        client = app.test_client()
        sign_in(client, people[role].phone)
        html = check_page(client.get(f"/board/posts/{post.id}"))
        assert "داوطلب نزدیک" in html
        assert "09121111111" not in html and "۰۹۱۲۱۱۱۱۱۱۱" not in html
        submit(client, f"/board/posts/{post.id}", f"/board/posts/{post.id}/invite", {"volunteer": str(helper.id)})
    invitations = models.Notification.select().where(models.Notification.kind == "invited")
    assert [n.user_id for n in invitations] == [helper.user_id, helper.user_id]
    outsider = app.test_client()
    sign_in(outsider, people["volunteer"].phone)
    assert "داوطلب نزدیک" not in outsider.get(f"/board/posts/{post.id}").get_data(as_text=True)
    check_page(submit(outsider, "/", f"/board/posts/{post.id}/invite", {"volunteer": str(helper.id)}), status=403)


def test_inviting_someone_who_is_not_a_match_does_nothing(client, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    far = volunteer("دور", "09121111111", places["Bazaar"], reach="district")
    sign_in(client, people["resident"].phone)
    submit(client, "/", f"/board/posts/{post.id}/invite", {"volunteer": str(far.id)})
    submit(client, "/", f"/board/posts/{post.id}/invite", {"volunteer": "abc"})
    assert models.Notification.select().count() == 0


def test_city_of_a_neighborhood(places):
    assert volunteers.city_of(places["Tajrish"]).kind == "city"
    assert volunteers.city_of(places["Tajrish"]).id == volunteers.city_of(places["Bazaar"]).id
