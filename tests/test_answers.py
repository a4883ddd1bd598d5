"""Answering a post: offer, accept, contact details only then, done, confirm;
the inbox and its unread count."""

import models
from hamsayeh.domain import board
from hamsayeh.persian import to_persian_digits
from tests.conftest import sign_in, submit
from tests.factories import make_post
from tests.pages import check_page


def shows(html, phone):
    """A phone number on a page, in Latin or Persian digits."""
    return phone in html or to_persian_digits(phone) in html


def clients(app, people, *roles):
    result = []
    for role in roles:
        client = app.test_client()
        sign_in(client, people[role].phone)
        result.append(client)
    return result


def test_the_whole_way_from_need_to_confirmed_help(app, people, places):
    post = make_post(people["resident"], places["Tajrish"], place="کوچهٔ نسترن، پلاک ۳")
    requester, volunteer, stranger = clients(app, people, "resident", "volunteer", "facilitator")
    resident_phone, volunteer_phone = people["resident"].phone, people["volunteer"].phone
    # Before acceptance nobody sees the other's phone or the place.
    html = check_page(volunteer.get(f"/board/posts/{post.id}"))
    assert not shows(html, resident_phone) and "نسترن" not in html
    submit(volunteer, f"/board/posts/{post.id}", f"/board/posts/{post.id}/respond", {"message": "عصر آزادم"})
    response = models.HelpResponse.get()
    html = check_page(requester.get(f"/board/posts/{post.id}"))
    assert "عصر آزادم" in html and not shows(html, volunteer_phone)
    assert "۱ جدید" in html or "(1" in html  # the unread count in the header
    submit(requester, f"/board/posts/{post.id}", f"/board/responses/{response.id}/accept", {})
    assert models.HelpPost.get_by_id(post.id).status == "matched"
    # Now, and only now, the two see each other's contact details.
    assert shows(requester.get(f"/board/posts/{post.id}").get_data(as_text=True), volunteer_phone)
    html = volunteer.get(f"/board/posts/{post.id}").get_data(as_text=True)
    assert shows(html, resident_phone) and "نسترن" in html
    html = stranger.get(f"/board/posts/{post.id}").get_data(as_text=True)
    assert not shows(html, resident_phone) and not shows(html, volunteer_phone) and "نسترن" not in html
    submit(volunteer, f"/board/posts/{post.id}", f"/board/responses/{response.id}/done", {})
    assert models.HelpResponse.get_by_id(response.id).status == "done"
    # Only the neighbor who was helped confirms.
    check_page(submit(volunteer, "/", f"/board/responses/{response.id}/confirm", {}), status=403)
    submit(
        requester, f"/board/posts/{post.id}", f"/board/responses/{response.id}/confirm", {"thank_you": "دستت درد نکنه"}
    )
    assert models.HelpResponse.get_by_id(response.id).thank_you == "دستت درد نکنه"
    assert models.HelpPost.get_by_id(post.id).status == "done"
    actions = [
        e.action for e in models.PostEvent.select().where(models.PostEvent.post == post).order_by(models.PostEvent.id)
    ]
    assert actions == ["created", "responded", "accepted", "marked_done", "confirmed"]
    kinds = {(n.user_id, n.kind) for n in models.Notification.select()}
    assert kinds == {
        (people["resident"].id, "response"),
        (people["volunteer"].id, "accepted"),
        (people["resident"].id, "done"),
        (people["volunteer"].id, "confirmed"),
    }
    inbox = check_page(volunteer.get("/inbox/"))
    assert "دستت درد نکنه" not in inbox and "تأیید" in inbox


def test_only_the_author_accepts_or_declines(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    volunteer, other = clients(app, people, "volunteer", "facilitator")
    submit(volunteer, "/", f"/board/posts/{post.id}/respond", {})
    response = models.HelpResponse.get()
    for client in (volunteer, other):
        check_page(submit(client, "/", f"/board/responses/{response.id}/accept", {}), status=403)
        check_page(submit(client, "/", f"/board/responses/{response.id}/decline", {}), status=403)
    check_page(submit(other, "/", f"/board/responses/{response.id}/withdraw", {}), status=403)
    check_page(submit(other, "/", f"/board/responses/{response.id}/done", {}), status=403)
    assert models.HelpResponse.get_by_id(response.id).status == "offered"


def test_answering_twice_or_ones_own_post_creates_nothing(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    author, volunteer = clients(app, people, "resident", "volunteer")
    for _ in range(2):
        submit(volunteer, "/", f"/board/posts/{post.id}/respond", {})
    submit(author, "/", f"/board/posts/{post.id}/respond", {})
    assert models.HelpResponse.select().count() == 1


def test_a_cancelled_post_takes_no_answers(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    board.cancel_post(post, people["resident"])
    (volunteer,) = clients(app, people, "volunteer")
    submit(volunteer, "/", f"/board/posts/{post.id}/respond", {})
    assert models.HelpResponse.select().count() == 0


def test_accepting_twice_is_harmless(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    author, volunteer = clients(app, people, "resident", "volunteer")
    submit(volunteer, "/", f"/board/posts/{post.id}/respond", {})
    response = models.HelpResponse.get()
    for _ in range(2):
        assert submit(author, "/", f"/board/responses/{response.id}/accept", {}).status_code == 302
    assert models.Notification.select().where(models.Notification.kind == "accepted").count() == 1


def test_an_offer_is_confirmed_by_the_neighbor_who_took_it(app, people, places):
    offer = make_post(people["volunteer"], places["Tajrish"], "تدریس ریاضی برای دانش‌آموزان محله", kind="offer")
    helper, neighbor = clients(app, people, "volunteer", "resident")
    submit(neighbor, "/", f"/board/posts/{offer.id}/respond", {"message": "پسرم کلاس هشتم است"})
    response = models.HelpResponse.get()
    submit(helper, "/", f"/board/responses/{response.id}/accept", {})
    check_page(submit(helper, "/", f"/board/responses/{response.id}/confirm", {}), status=403)
    submit(neighbor, "/", f"/board/responses/{response.id}/confirm", {})
    assert models.HelpResponse.get_by_id(response.id).status == "confirmed"


def test_withdrawing_reopens_a_matched_post(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    author, volunteer = clients(app, people, "resident", "volunteer")
    submit(volunteer, "/", f"/board/posts/{post.id}/respond", {})
    response = models.HelpResponse.get()
    submit(author, "/", f"/board/responses/{response.id}/accept", {})
    submit(volunteer, "/", f"/board/responses/{response.id}/withdraw", {})
    assert models.HelpPost.get_by_id(post.id).status == "open"
    assert not shows(volunteer.get(f"/board/posts/{post.id}").get_data(as_text=True), people["resident"].phone)


def test_inbox_unread_count_and_mark_read(app, people, places):
    post = make_post(people["resident"], places["Tajrish"])
    author, volunteer = clients(app, people, "resident", "volunteer")
    submit(volunteer, "/", f"/board/posts/{post.id}/respond", {})
    html = check_page(author.get("/inbox/"))
    assert "کاربر volunteer" in html
    assert models.Notification.unread_count(people["resident"]) == 1
    submit(author, "/inbox/", "/inbox/read", {})
    assert models.Notification.unread_count(people["resident"]) == 0
    check_page(volunteer.get("/inbox/"))
    assert app.test_client().get("/inbox/").status_code == 302


def test_unknown_answers_are_404(app, people):
    (client,) = clients(app, people, "resident")
    check_page(submit(client, "/", "/board/responses/999/accept", {}), status=404)
