"""Acting for someone: a relative the person named, or staff who look after
them, use the site as the person; every change is recorded under their own
name, and the person's PIN and helpers stay the person's alone."""

import re

import pytest

import models
from hamsayeh.domain import accounts, acting, board, timebank
from hamsayeh.domain import audit as audit_log
from tests.conftest import sign_in, submit
from tests.factories import make_post
from tests.pages import check_page


def audit(action):
    return list(models.AuditEntry.select().where(models.AuditEntry.action == action))


def test_a_senior_names_a_relative_who_then_asks_for_help_for_her(client, app, people, places):
    senior = people["resident"]
    son = accounts.create_user("09120000400", "پسر خانم", "2580", neighborhood=places["Niavaran"])
    sign_in(client, senior.phone)
    html = check_page(submit(client, "/account/", "/account/helpers", {"phone": "0912"}), status=422)
    assert 'id="f-phone-error"' in html
    assert submit(client, "/account/", "/account/helpers", {"phone": "۰۹۱۲۰۰۰۰۴۰۰"}).status_code == 302
    relative = app.test_client()
    sign_in(relative, son.phone)
    # He may act for her once he accepts (issue 14: helpers by consent).
    ask = models.TrustedHelper.get()
    assert submit(relative, "/account/", f"/account/helper-asks/{ask.id}/accept", {}).status_code == 302
    html = check_page(relative.get("/account/"))
    assert "کار به جای کاربر resident" in html
    assert submit(relative, "/account/", f"/account/act/{senior.id}", {}).status_code == 302
    html = check_page(relative.get("/board/"))
    assert "به جای کاربر resident کار می‌کنید" in html
    data = {"type": "errands", "when": "week", "reach": "phone", "form_key": "acting-1"}
    submit(relative, "/simple/", "/simple/need", data)
    post = models.HelpPost.get()
    assert (post.author_id, post.filed_by_id, post.neighborhood_id) == (senior.id, son.id, senior.neighborhood_id)
    writes = audit("acting.write")
    assert [(w.actor_id, w.subject, w.detail) for w in writes] == [(son.id, f"user:{senior.id}", "/simple/need")]
    # The PIN and who may act stay the senior's.
    assert relative.get("/account/pin").status_code == 403
    assert submit(relative, "/board/", "/account/helpers", {"phone": "09120000002"}).status_code == 403
    # She takes it back: the next request of her son is his own again.
    submit(client, "/account/", f"/account/helpers/{son.id}/remove", {})
    assert "به جای" not in relative.get("/board/").get_data(as_text=True)
    assert audit("acting.start") and models.TrustedHelper.select().count() == 0


def test_no_one_acts_for_a_person_who_did_not_name_them(client, people, places):
    sign_in(client, people["volunteer"].phone)
    assert submit(client, "/account/", f"/account/act/{people['resident'].id}", {}).status_code == 404
    assert submit(client, "/account/", f"/account/act/{people['admin'].id}", {}).status_code == 404


def test_a_facilitator_acts_for_a_neighbor_at_the_desk_and_stops(client, people, places):
    sign_in(client, people["facilitator"].phone)
    resident = people["resident"]
    html = check_page(submit(client, "/desk/", "/desk/", {"phone": resident.phone}))
    assert f"/desk/{resident.id}/act" in html
    assert submit(client, "/desk/", f"/desk/{resident.id}/act", {}).status_code == 302
    html = check_page(client.get("/time/"))
    assert "به جای کاربر resident" in html
    # Acting as a resident reaches only what the resident may reach.
    assert client.get("/desk/").status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/account/act/stop", data={"csrf_token": token})
    assert client.get("/desk/").status_code == 200
    assert [e.action for e in models.AuditEntry.select().order_by(models.AuditEntry.id)][-2:] == [
        "acting.start",
        "acting.stop",
    ]
    assert audit_log.verify_audit_chain() is None


def test_staff_accounts_cannot_be_acted_for(client, people, places):
    sign_in(client, people["facilitator"].phone)
    assert submit(client, "/desk/", f"/desk/{people['center_staff'].id}/act", {}).status_code == 404


def test_a_helper_acting_for_the_person_cannot_confirm_and_pay_their_own_help(client, app, people, places):
    """Issue 14, finding 7: a son who answered his mother's need, acting for
    her, would confirm it and pay himself from her hours."""
    mother = people["resident"]
    son = accounts.create_user("09120000401", "پسر", "2580", neighborhood=places["Tajrish"])
    acting.add_trusted_helper(mother, son)
    post = make_post(mother, places["Tajrish"])
    answer = board.respond_to_post(post, son)
    board.accept_response(answer, mother)
    timebank.member_account(mother)
    sign_in(client, son.phone)
    assert submit(client, "/account/", f"/account/act/{mother.id}", {}).status_code == 302
    data = {"minutes": "60", "thank_you": ""}
    assert submit(client, f"/board/posts/{post.id}", f"/board/responses/{answer.id}/confirm", data).status_code == 403
    assert models.HelpResponse.get_by_id(answer.id).status == "accepted"
    assert models.TimeTransfer.select().count() == 0
    # The domain refuses it too, whoever calls it.
    with pytest.raises(board.StateError):
        board.confirm_help(models.HelpResponse.get_by_id(answer.id), mother, minutes=60, made_by=son)
    # The mother herself confirms, and the ledger names her.
    board.confirm_help(models.HelpResponse.get_by_id(answer.id), mother, minutes=60)
    assert [t.made_by_id for t in models.TimeTransfer.select()] == [mother.id]
