"""An idea's supporters hear when it moves (issue 21): forwarded, declined,
joined with another, accepted, started, done. Each supporter once, never
whoever moved it, and the proposer only by the proposer's own message."""

import pytest

import models
from hamsayeh.domain import network
from tests.conftest import sign_in, submit
from tests.factories import person
from tests.pages import check_page

# The moves that bring the idea where the tested one starts from, by whom.
BEFORE = {
    "forward": [],
    "decline": [],
    "merge": [],
    "accept": [("forward", "facilitator")],
    "refuse": [("forward", "facilitator")],
    "start": [("forward", "facilitator"), ("accept", "admin")],
    "finish": [("forward", "facilitator"), ("accept", "admin"), ("start", "admin")],
    "ask": [],
    "resubmit": [("ask", "facilitator")],
}
MOVER = {"forward": "facilitator", "decline": "facilitator", "merge": "facilitator", "ask": "facilitator"}
TOLD = {
    "forward": "idea_forwarded",
    "decline": "idea_declined",
    "refuse": "idea_declined",
    "merge": "idea_merged",
    "accept": "idea_planned",
    "start": "idea_started",
    "finish": "idea_done",
}
SUPPORTER_KINDS = set(TOLD.values())


def propose(author, neighborhood, title="کتابخانهٔ کوچک در پارک محله"):
    return network.propose_idea(author, neighborhood, title, "قفسه‌ای کنار نیمکت‌ها", "", form_key=title)


@pytest.fixture
def supported(people, places):
    """The resident's idea, supported by two neighbors, by the facilitator
    who will move it, and by a neighbor whose account was disabled since."""
    idea = propose(people["resident"], places["Tajrish"])
    neighbors = [person(f"0912444000{i}", f"همسایهٔ {i}", neighborhood=places["Tajrish"]) for i in range(3)]
    for member in [*neighbors, people["facilitator"]]:
        assert network.support_idea(idea, member)
    models.User.update(is_active=False).where(models.User.id == neighbors[2].id).execute()
    return idea, neighbors[:2], neighbors[2]


def told(user, kinds=SUPPORTER_KINDS):
    return list(
        models.Notification.select()
        .where(models.Notification.user == user, models.Notification.kind.in_(list(kinds)))
        .order_by(models.Notification.id)
    )


def take(idea, action, people, by=None):
    actor = people[by or MOVER.get(action, "admin")] if action != "resubmit" else people["resident"]
    target = propose(people["resident"], idea.neighborhood, "کتابخانهٔ محله") if action == "merge" else None
    fields = {"title": idea.title, "text": idea.text} if action == "resubmit" else {}
    network.move_idea(models.Idea.get_by_id(idea.id), actor, action, note="دلیل", target=target, **fields)
    return actor


@pytest.mark.parametrize("action", list(BEFORE))
def test_each_supporter_hears_once_when_the_idea_moves(supported, people, action):
    idea, neighbors, disabled = supported
    for step, by in BEFORE[action]:
        take(idea, step, people, by)
    everyone = [*neighbors, disabled, people["facilitator"], people["admin"], people["resident"]]
    before = {user.id: len(told(user)) for user in everyone}
    author_before = len(told(people["resident"], {"idea"}))
    actor = take(idea, action, people)

    for member in neighbors:
        news = told(member)[before[member.id] :]
        if action in TOLD:
            assert [(n.kind, n.idea_id, n.actor_id) for n in news] == [(TOLD[action], idea.id, actor.id)]
        else:  # asking for detail, and the answer, stay between the proposer and the facilitator
            assert news == []
    # Not whoever moved it (the facilitator supports it too), nor a disabled account.
    assert len(told(actor)) == before[actor.id] and len(told(disabled)) == before[disabled.id]
    # The proposer gets the proposer's message (when someone else moved it), never a supporter's too.
    assert told(people["resident"], SUPPORTER_KINDS) == []
    assert len(told(people["resident"], {"idea"})) == author_before + (action != "resubmit")


def test_a_proposer_listed_among_the_supporters_is_still_told_once(supported, people):
    idea, neighbors, _disabled = supported
    models.IdeaSupport.insert(idea=idea, user=people["resident"]).execute()
    take(idea, "forward", people)
    assert [n.kind for n in told(people["resident"], {"idea", *SUPPORTER_KINDS})] == ["idea"]
    assert [n.kind for n in told(neighbors[0])] == ["idea_forwarded"]


def test_a_supporter_reads_in_the_inbox_that_the_idea_went_to_headquarters(client, supported, people):
    idea, neighbors, _disabled = supported
    sign_in(client, people["facilitator"].phone)
    page = f"/ideas/{idea.id}"
    assert submit(client, page, f"{page}/move", {"action": "forward", "note": "ایدهٔ خوبی است"}).status_code == 302
    sign_in(client, neighbors[0].phone)
    html = check_page(client.get("/inbox/"))
    assert "کتابخانهٔ کوچک در پارک محله" in html and f'href="/ideas/{idea.id}"' in html
    assert "ستاد" in html
    # The idea's page tells a supporter that the inbox will say when it moves.
    assert "باخبر" in check_page(client.get(page))
