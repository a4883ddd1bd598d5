"""The neighborhood board: posting, filters, search, paging, privacy and bad input."""

import datetime

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import board
from tests.conftest import csrf_token, sign_in, submit
from tests.factories import make_post
from tests.pages import check_page

TOMORROW = persian.format_jalali_input(datetime.date.today() + datetime.timedelta(days=1))


def post_form(client, **fields):
    page = client.get("/board/new").get_data(as_text=True)
    form_key = page.split('name="form_key" value="')[1].split('"')[0]
    data = {
        "form_key": form_key,
        "kind": "request",
        "activity_type": "errands",
        "text": "خرید دارو از داروخانهٔ سر کوچه برای مادرم",
        "urgency": "1",
        "needed_on": TOMORROW,
        "time_window": "1",
        "place": "کوچهٔ یاس، پلاک ۷",
        **fields,
    }
    return submit(client, "/board/new", "/board/new", data)


def test_thirteen_activity_types_come_with_the_schema(db):
    assert models.ActivityType.listed().count() == 13


def test_a_resident_posts_a_need_and_it_is_on_the_board(client, people, places):
    sign_in(client, people["resident"].phone)
    check_page(client.get("/board/new"))
    response = post_form(client)
    assert response.status_code == 302
    post = models.HelpPost.get()
    assert (post.kind, post.status, post.urgency, post.time_window) == ("request", "open", 1, 1)
    assert post.neighborhood_id == places["Tajrish"].id
    assert post.needed_on == datetime.date.today() + datetime.timedelta(days=1)
    assert [e.action for e in post.events] == ["created"]
    html = check_page(client.get(response.location))
    assert "کوچهٔ یاس" in html  # the author sees the exact place
    board = check_page(client.get("/board/"))
    assert "خرید دارو" in board


def test_a_double_submit_creates_one_post(client, people, places):
    sign_in(client, people["resident"].phone)
    page = client.get("/board/new").get_data(as_text=True)
    form_key = page.split('name="form_key" value="')[1].split('"')[0]
    data = {"form_key": form_key, "kind": "request", "activity_type": "food", "text": "یک وعده غذای گرم برای همسایه"}
    first = submit(client, "/board/new", "/board/new", data)
    second = submit(client, "/board/new", "/board/new", data)
    assert first.location == second.location
    assert models.HelpPost.select().count() == 1


def test_a_stolen_form_key_creates_nothing_for_another(app, people, places):
    owner, other = app.test_client(), app.test_client()
    sign_in(owner, people["resident"].phone)
    sign_in(other, people["volunteer"].phone)
    data = {"form_key": "same-key", "kind": "offer", "activity_type": "food", "text": "غذای خانگی برای دو نفر"}
    submit(owner, "/board/new", "/board/new", data)
    check_page(submit(other, "/board/new", "/board/new", data), status=400)
    assert models.HelpPost.select().count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "کوتاه"}, "text"),
        ({"text": "الف" * 1001}, "text"),
        ({"activity_type": "astrology"}, "activity_type"),
        ({"kind": "sale"}, "kind"),
        ({"needed_on": "1400/01/01"}, "needed_on"),
        ({"needed_on": "فردا"}, "needed_on"),
        ({"needed_on": "1405/13/40"}, "needed_on"),
        ({"place": "x" * 201}, "place"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_kept(client, people, places, fields, field):
    sign_in(client, people["resident"].phone)
    html = check_page(post_form(client, **fields), status=422)
    assert f'id="f-{field}-error"' in html
    assert f'href="#f-{field}"' in html
    assert "خرید دارو" in html or fields.get("text") is not None
    assert models.HelpPost.select().count() == 0


def test_posting_needs_a_neighborhood(client, people, places):
    user = people["resident"]
    user.neighborhood = None
    user.save()
    sign_in(client, user.phone)
    check_page(post_form(client), status=422)
    assert models.HelpPost.select().count() == 0


def test_guests_are_asked_to_sign_in_before_posting(client, places):
    assert "/account/sign-in" in client.get("/board/new").location
    token = csrf_token(client)
    assert "/account/sign-in" in client.post("/board/new", data={"csrf_token": token}).location


def test_the_board_shows_my_neighborhood_and_its_district_only(client, people, places):
    make_post(people["resident"], places["Tajrish"], "کمک در تجریش برای بردن خرید")
    make_post(people["resident"], places["Niavaran"], "کمک در نیاوران برای بردن خرید")
    make_post(people["resident"], places["Bazaar"], "کمک در بازار برای بردن خرید")
    sign_in(client, people["volunteer"].phone)
    html = check_page(client.get("/board/"))
    assert "کمک در تجریش" in html and "کمک در نیاوران" in html
    assert "کمک در بازار" not in html
    html = check_page(client.get("/board/", query_string={"hood": places["Bazaar"].id}))
    assert "کمک در بازار" in html and "کمک در تجریش" not in html


def test_urgent_first_then_newest(people, places):
    old_urgent = make_post(people["resident"], places["Tajrish"], "فوری و قدیمی برای امروز", urgency=2)
    normal = make_post(people["resident"], places["Tajrish"], "عادی و جدید برای هفته")
    posts, _ = models.HelpPost.board([places["Tajrish"].id])
    assert [p.id for p in posts] == [old_urgent.id, normal.id]


def test_filters_and_persian_search(client, people, places):
    make_post(
        people["resident"],
        places["Tajrish"],
        "تدریس ریاضی کلاس ۹ برای دو دانش‌آموز",
        kind="offer",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "education"),
    )
    make_post(
        people["resident"],
        places["Tajrish"],
        "تعمیر شیر آب آشپزخانه",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "repairs"),
    )
    sign_in(client, people["volunteer"].phone)
    for query in ("رياضي", "کلاس 9", "كلاس ٩", "دانش آموز"):
        html = check_page(client.get("/board/", query_string={"q": query}))
        assert "تدریس ریاضی" in html and "تعمیر شیر" not in html, query
    html = check_page(client.get("/board/", query_string={"type": "repairs"}))
    assert "تعمیر شیر" in html and "تدریس ریاضی" not in html
    html = check_page(client.get("/board/", query_string={"kind": "offer"}))
    assert "تدریس ریاضی" in html and "تعمیر شیر" not in html
    for odd in ({"page": "-1"}, {"page": "abc"}, {"urgency": "9"}, {"hood": "x"}, {"type": "nope"}, {"q": "%_'"}):
        check_page(client.get("/board/", query_string=odd))


def test_the_board_pages(client, people, places):
    for number in range(models.HelpPost.PAGE_SIZE + 3):
        make_post(people["resident"], places["Tajrish"], f"درخواست شماره {number} برای کمک")
    sign_in(client, people["volunteer"].phone)
    first = check_page(client.get("/board/"))
    assert first.count('href="/board/posts/') == models.HelpPost.PAGE_SIZE
    assert "page=2" in first
    second = check_page(client.get("/board/", query_string={"page": 2}))
    assert second.count('href="/board/posts/') == 3


def test_the_exact_place_is_shown_to_the_author_only(app, people, places):
    post = make_post(people["resident"], places["Tajrish"], place="کوچهٔ نسترن، پلاک ۳")
    for role in ("volunteer", "facilitator", "admin"):
        other = app.test_client()
        sign_in(other, people[role].phone)
        assert "نسترن" not in check_page(other.get(f"/board/posts/{post.id}"))
    assert "نسترن" not in check_page(app.test_client().get(f"/board/posts/{post.id}"))
    assert "نسترن" not in check_page(app.test_client().get("/board/", query_string={"hood": places["Tajrish"].id}))
    author = app.test_client()
    sign_in(author, people["resident"].phone)
    assert "نسترن" in check_page(author.get(f"/board/posts/{post.id}"))


def test_only_the_author_cancels_and_reopens(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    other = app.test_client()
    sign_in(other, people["volunteer"].phone)
    check_page(submit(other, "/board/", f"/board/posts/{post.id}/cancel", {}), status=403)
    author = app.test_client()
    sign_in(author, people["resident"].phone)
    submit(author, "/board/", f"/board/posts/{post.id}/cancel", {})
    assert models.HelpPost.get_by_id(post.id).status == "cancelled"
    check_page(other.get(f"/board/posts/{post.id}"), status=404)
    assert "کمک برای خرید" not in other.get("/board/").get_data(as_text=True)
    submit(author, "/board/", f"/board/posts/{post.id}/reopen", {})
    assert models.HelpPost.get_by_id(post.id).status == "open"
    assert [e.action for e in models.HelpPost.get_by_id(post.id).events.order_by(models.PostEvent.id)] == [
        "created",
        "cancelled",
        "reopened",
    ]


def test_a_report_counts_once_per_member(client, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    sign_in(client, people["volunteer"].phone)
    for _ in range(2):
        assert submit(client, "/board/", f"/board/posts/{post.id}/report", {"reason": "تبلیغ"}).status_code == 302
    assert models.PostReport.select().count() == 1


def test_unknown_posts_are_404(client, places):
    check_page(client.get("/board/posts/424242"), status=404)


def test_a_volunteer_files_a_need_for_a_neighbor_without_a_phone(app, people, places):
    filer = app.test_client()
    sign_in(filer, people["volunteer"].phone)
    response = post_form(filer, on_behalf_name="خانم صالحی", on_behalf_contact="در مرکز نیاوران سراغشان را بگیرید")
    assert response.status_code == 302
    post = models.HelpPost.get()
    assert (post.filed_by_id, post.on_behalf_name) == (people["volunteer"].id, "خانم صالحی")
    assert "مرکز نیاوران" in check_page(filer.get(response.location))
    stranger = app.test_client()
    sign_in(stranger, people["facilitator"].phone)
    html = check_page(stranger.get(response.location))
    assert "خانم صالحی" in html and "مرکز نیاوران" not in html


def test_a_resident_cannot_file_for_someone_else(client, people, places):
    sign_in(client, people["resident"].phone)
    check_page(post_form(client, on_behalf_name="کسی", on_behalf_contact="جایی"), status=403)
    assert models.HelpPost.select().count() == 0


def test_filing_for_someone_needs_a_way_to_reach_them(client, people, places):
    sign_in(client, people["center_staff"].phone)
    html = check_page(post_form(client, on_behalf_name="آقای کاظمی"), status=422)
    assert 'id="f-on_behalf_contact-error"' in html and 'value="آقای کاظمی"' in html
    assert models.HelpPost.select().count() == 0


def test_the_cached_board_is_never_stale(app, people, places):
    viewer = app.test_client()
    sign_in(viewer, people["volunteer"].phone)
    first = make_post(people["resident"], places["Tajrish"], "نخستین نوشته برای آزمودن حافظه")
    assert "نخستین نوشته" in viewer.get("/board/").get_data(as_text=True)
    assert "نخستین نوشته" in viewer.get("/board/").get_data(as_text=True)  # now from the cache
    make_post(people["resident"], places["Niavaran"], "دومین نوشته پس از ساختن حافظه")
    assert "دومین نوشته" in viewer.get("/board/").get_data(as_text=True)
    board.cancel_post(first, people["resident"])
    assert "نخستین نوشته" not in viewer.get("/board/").get_data(as_text=True)
    errands = models.ActivityType.get(models.ActivityType.slug == "errands")
    models.ActivityType.update(name="خرید روزانه").where(models.ActivityType.id == errands.id).execute()
    try:
        assert "خرید روزانه" in viewer.get("/board/").get_data(as_text=True)
    finally:
        models.ActivityType.update(name=errands.name).where(models.ActivityType.id == errands.id).execute()


def test_the_area_tree_kept_in_memory_follows_every_write(app, people, places):
    viewer = app.test_client()
    viewer.set_cookie("hood", str(places["Tajrish"].id))
    assert "تجریش" in viewer.get("/board/").get_data(as_text=True)
    revision = models.catalog_revision()
    # A write that no model code makes: the database's triggers still see it.
    models.Area.update(name="تجریش قدیم").where(models.Area.id == places["Tajrish"].id).execute()
    assert models.catalog_revision() > revision
    assert "تجریش قدیم" in viewer.get("/board/").get_data(as_text=True)
    district = places["District 1"]
    models.Area.add(district, "neighborhood", "دزاشیب", "Darrous", "دزاشیب")
    make_post(people["resident"], models.Area.get(models.Area.name == "دزاشیب"), "نوشته‌ای در محله‌ای تازه")
    assert "نوشته‌ای در محله‌ای تازه" in viewer.get("/board/").get_data(as_text=True)


def test_a_too_long_text_is_counted_in_persian_digits(client, people):
    """Issue 14: every message in Persian digits on a Persian page."""
    sign_in(client, people["resident"].phone)
    html = check_page(post_form(client, text="ا" * 3000), status=422)
    error = html.split('id="f-text-error"')[1].split("</p>")[0]
    assert "۳۰۰۰" in error and not any(digit in error for digit in "0123456789")
