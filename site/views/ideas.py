"""Ideas from the grassroots (طرح جام): a resident proposes one for their
neighborhood, neighbors support it, the facilitator reviews it, headquarters
answers it, and everyone sees its whole trail and what became of it."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, board, network
from hamsayeh.web import auth
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.labels import IDEA_STATUS_LABELS
from hamsayeh.web.templating import local_name

bp = Blueprint("ideas", __name__, url_prefix="/ideas")

ACTION_LABELS = {
    "proposed": _l("Proposed"),
    "ask": _l("Asked for more detail"),
    "resubmit": _l("Added the detail"),
    "forward": _l("Forwarded to headquarters"),
    "decline": _l("Declined"),
    "merge": _l("Joined with a similar idea"),
    "absorbed": _l("A similar idea joined this one"),
    "accept": _l("Accepted: planned"),
    "refuse": _l("Declined by headquarters"),
    "start": _l("Work started"),
    "finish": _l("Done"),
}
BUTTON_LABELS = {
    "ask": _l("Ask for more detail"),
    "forward": _l("Forward to headquarters"),
    "decline": _l("Decline"),
    "accept": _l("Accept and plan it"),
    "refuse": _l("Decline"),
    "start": _l("Mark as in progress"),
    "finish": _l("Mark as done"),
}
# The idea's proposer must learn why: these steps need a note.
NOTE_NEEDED = {"ask", "decline", "refuse"}
PROGRESS = ("planned", "in_progress", "done")
NOTE_MAX = 1000


def labels():
    return {"status_labels": IDEA_STATUS_LABELS, "action_labels": ACTION_LABELS, "progress": PROGRESS}


def neighborhood_from_args():
    area_id = persian.whole_number(request.args.get("area", ""))
    if area_id is not None:
        return get_object_or_404(models.Area.select(), models.Area.id == area_id, models.Area.kind == "neighborhood")
    return auth.chosen_neighborhood()


@bp.get("/")
def index():
    hood = neighborhood_from_args()
    ideas = list(network.ideas_in(hood).where(models.Idea.status != "merged").limit(100)) if hood else []
    return render_template("ideas/index.html", hood=hood, ideas=ideas, **labels())


@bp.get("/new")
@auth.signed_in_only
def new():
    return render_new(Form(form_key=new_key()))


def render_new(form, status=200):
    return render_template("ideas/new.html", form=form, hood=g.user.neighborhood), status


@bp.post("/new")
@auth.signed_in_only
def create():
    form = Form(request.form)
    title, text = validate_idea(form)
    if g.user.neighborhood is None:
        form.error("title", _l("Choose your neighborhood first: an idea belongs to a neighborhood."))
    if not form.ok:
        return render_new(form, 422)
    idea = network.propose_idea(
        g.user, g.user.neighborhood, title, text, persian.fold(f"{title} {text}"), form.form_key()
    )
    flash(_("Your idea is sent to the facilitator of %(name)s.", name=local_name(idea.neighborhood)))
    return redirect(url_for("ideas.show", idea_id=idea.id))


def validate_idea(form):
    title = form.text("title", models.Idea.TITLE_MAX, 5, _l("Give your idea a title of at least 5 letters."))
    text = form.text("text", models.Idea.TEXT_MAX, 20, _l("Explain your idea in at least 20 letters."))
    return title, text


def idea_or_404(idea_id):
    """Ideas are public: anyone reads them; what each may do with one is
    asked of access.idea_moves."""
    return get_object_or_404(models.Idea.select(), models.Idea.id == idea_id)


def render_idea(idea, form=None, status=200):
    moves = access.idea_moves(g.user, g.roles, idea)
    supported = network.has_supported(idea, g.user)
    similar = list(network.similar_ideas(idea)) if "merge" in moves else []
    return (
        render_template(
            "ideas/show.html",
            idea=idea,
            trail=list(idea.trail()),
            supporters=idea.support_count(),
            supported=supported,
            moves=moves,
            buttons={action: BUTTON_LABELS[action] for action in moves if action in BUTTON_LABELS},
            note_needed=NOTE_NEEDED,
            similar=similar,
            form=form or Form(title=idea.title, text=idea.text),
            **labels(),
        ),
        status,
    )


@bp.get("/<int:idea_id>")
def show(idea_id):
    return render_idea(idea_or_404(idea_id))


@bp.post("/<int:idea_id>/support")
@auth.signed_in_only
def support(idea_id):
    idea = idea_or_404(idea_id)
    if network.support_idea(idea, g.user):
        flash(_("Thank you: your support is counted."))
    elif idea.author_id == g.user.id:
        flash(_("This is your own idea: it already counts."))
    elif idea.status in models.Idea.OPEN:
        flash(_("Your support was already counted."))
    else:
        flash(_("This idea no longer takes support."))
    return redirect(url_for("ideas.show", idea_id=idea.id))


@bp.post("/<int:idea_id>/move")
@auth.signed_in_only
def move(idea_id):
    idea = idea_or_404(idea_id)
    form = Form(request.form)
    action = form["action"]
    if action not in access.idea_moves(g.user, g.roles, idea):
        if action in network.IDEA_MOVES and idea.status not in network.IDEA_MOVES[action][1]:
            flash(_("Someone has already moved this idea on. Here is where it stands."))
            return redirect(url_for("ideas.show", idea_id=idea.id))
        abort(403)
    note = form["note"]
    if action in NOTE_NEEDED and not note:
        form.error("note", _l("Write a short reason: the proposer will read it."))
    elif len(note) > NOTE_MAX:
        form.error("note", _l("Write at most %(count)s letters.", count=NOTE_MAX))
    changes, target = {}, None
    if action == "merge":
        target = network.merge_target(idea, persian.whole_number(form["target"]) or 0)
        if target is None:
            form.error("target", _l("Choose the similar idea to join it with."))
    if action == "resubmit":
        title, text = validate_idea(form)
        changes = {"title": title, "text": text, "search_key": persian.fold(f"{title} {text}")}
    if not form.ok:
        return render_idea(idea, form, 422)
    try:
        network.move_idea(idea, g.user, action, note=note, target=target, **changes)
    except board.StateError:
        flash(_("Someone has already moved this idea on. Here is where it stands."))
    return redirect(url_for("ideas.show", idea_id=(target or idea).id if action == "merge" else idea.id))


@bp.get("/review")
@auth.requires(access.may_review_ideas)
def review():
    """The facilitator's ideas to review in their neighborhoods; headquarters'
    forwarded ideas to answer and accepted ones to follow."""
    queues = []
    if access.is_facilitator(g.user, g.roles):
        queues.append((_("Ideas of my neighborhoods to review"), list(network.ideas_to_review(g.user))))
    if access.is_headquarters(g.user, g.roles):
        queues.append((_("Forwarded ideas to answer"), list(network.ideas_in(statuses=("forwarded",)).limit(100))))
        queues.append(
            (_("Accepted ideas to follow"), list(network.ideas_in(statuses=("planned", "in_progress")).limit(100)))
        )
    return render_template("ideas/review.html", queues=queues, **labels())
