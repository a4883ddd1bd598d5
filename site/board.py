"""The neighborhood board: needs and offers, filtered, searched and paged;
posting one, and cancelling, reopening or reporting it."""

import datetime
import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import auth, persian
from hamsayeh.forms import Form

bp = Blueprint("board", __name__, url_prefix="/board")

TEXT_MIN, TEXT_MAX, PLACE_MAX, QUERY_MAX = 10, 1000, 200, 60
KIND_LABELS = {"request": _l("Need"), "offer": _l("Offer")}
URGENCY_LABELS = (_l("Normal"), _l("This week"), _l("Today"))
TIME_WINDOW_LABELS = (_l("Any time"), _l("Morning (8 to 12)"), _l("Afternoon (12 to 17)"), _l("Evening (17 to 21)"))
STATUS_LABELS = {
    "open": _l("Open"),
    "matched": _l("A helper was accepted"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}


def board_labels():
    return {
        "kind_labels": KIND_LABELS,
        "urgency_labels": URGENCY_LABELS,
        "time_window_labels": TIME_WINDOW_LABELS,
        "status_labels": STATUS_LABELS,
        "urgency_options": list(enumerate(URGENCY_LABELS)),
        "time_window_options": list(enumerate(TIME_WINDOW_LABELS)),
        "activity_types": list(models.ActivityType.listed()),
    }


def neighbors_of(neighborhood):
    """The neighborhood and the others of its district (its siblings in the tree)."""
    return [area.id for area in neighborhood.parent.sorted_children()] if neighborhood.parent else [neighborhood.id]


def small_number(text, allowed):
    return int(text) if text.isdigit() and int(text) in allowed else None


@bp.get("/")
def index():
    form = Form(request.args)
    chosen = auth.chosen_neighborhood()
    hood_id = small_number(form["hood"], range(1, 2**31))
    neighborhood = (
        models.Area.get_or_none(models.Area.id == hood_id, models.Area.kind == "neighborhood") if hood_id else chosen
    )
    if neighborhood is None:
        return render_template("board/index.html", neighborhood=None, posts=[], more=False, form=form, **board_labels())
    ids = [neighborhood.id] if hood_id else neighbors_of(neighborhood)
    activity = models.ActivityType.get_or_none(models.ActivityType.slug == form["type"]) if form["type"] else None
    page = small_number(form["page"], range(1, 10001)) or 1
    posts, more = models.HelpPost.board(
        ids,
        activity_type=activity,
        kind=form["kind"] if form["kind"] in KIND_LABELS else None,
        urgency=small_number(form["urgency"], models.HelpPost.URGENCIES),
        search_key=persian.fold(form["q"][:QUERY_MAX]),
        page=page,
    )
    return render_template(
        "board/index.html",
        neighborhood=neighborhood,
        nearby=not hood_id,
        posts=posts,
        more=more,
        page=page,
        page_url=page_url,
        form=form,
        **board_labels(),
    )


def page_url(number):
    """This board with the same filters, on another page."""
    args = request.args.to_dict()
    args["page"] = number
    return url_for("board.index", **args)


@bp.get("/new")
@auth.signed_in_only
def new_post():
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else "request"
    form = Form(kind=kind, form_key=secrets.token_urlsafe(24), urgency="0", time_window="0")
    return render_template("board/new.html", form=form, **board_labels())


@bp.post("/new")
@auth.signed_in_only
def create_post():
    form = Form(request.form)
    fields = validate_post(form)
    if form.ok:
        post = models.create_post(g.user, form["form_key"], **fields)
        if post is None:
            abort(400)
        flash(_("Your post is on the board of %(name)s.", name=post.neighborhood.name))
        return redirect(url_for("board.show", post_id=post.id))
    return render_template("board/new.html", form=form, **board_labels()), 422


def validate_post(form):
    """The post's fields from the form, with a message for each wrong one."""
    if not form["form_key"] or len(form["form_key"]) > 64:
        form.data["form_key"] = secrets.token_urlsafe(24)
    if form["kind"] not in KIND_LABELS:
        form.error("kind", _l("Choose whether you need help or offer it."))
    activity = models.ActivityType.get_or_none(
        models.ActivityType.slug == form["activity_type"], models.ActivityType.is_active
    )
    if activity is None:
        form.error("activity_type", _l("Choose what kind of help this is."))
    text = form["text"]
    if len(text) < TEXT_MIN:
        form.error("text", _l("Write at least %(count)s letters about the help.", count=TEXT_MIN))
    elif len(text) > TEXT_MAX:
        form.error("text", _l("Write at most %(count)s letters; you have %(typed)s.", count=TEXT_MAX, typed=len(text)))
    needed_on = None
    if form["needed_on"]:
        needed_on = persian.parse_jalali_date(form["needed_on"])
        if needed_on is None:
            form.error("needed_on", _l("Write the date like 1405/09/20, or leave it empty for any day."))
        elif needed_on < datetime.date.today():
            form.error("needed_on", _l("This date has passed. Choose today or a later day."))
    if len(form["place"]) > PLACE_MAX:
        form.error("place", _l("Write at most %(count)s letters for the place.", count=PLACE_MAX))
    neighborhood = g.user.neighborhood
    if neighborhood is None:
        form.error("text", _l("Choose your neighborhood first, so that your neighbors see your post."))
    return {
        "kind": form["kind"],
        "activity_type": activity,
        "text": text,
        "search_key": persian.fold(text),
        "urgency": small_number(form["urgency"], models.HelpPost.URGENCIES) or 0,
        "needed_on": needed_on,
        "time_window": small_number(form["time_window"], models.HelpPost.TIME_WINDOWS) or 0,
        "neighborhood": neighborhood,
        "place": form["place"],
    }


def post_or_404(post_id):
    return models.HelpPost.get_or_none(models.HelpPost.id == post_id) or abort(404)


@bp.get("/posts/<int:post_id>")
def show(post_id):
    post = post_or_404(post_id)
    if post.status == "cancelled" and (g.user is None or g.user.id != post.author_id):
        abort(404)
    return render_template(
        "board/show.html",
        post=post,
        is_author=g.user is not None and g.user.id == post.author_id,
        can_see_place=post.can_see_place(g.user),
        **board_labels(),
    )


def author_only(post):
    if g.user.id != post.author_id:
        abort(403)


@bp.post("/posts/<int:post_id>/cancel")
@auth.signed_in_only
def cancel(post_id):
    post = post_or_404(post_id)
    author_only(post)
    if models.cancel_post(post, g.user):
        flash(_("Your post is cancelled. You can open it again at any time."))
    return redirect(url_for("board.show", post_id=post.id))


@bp.post("/posts/<int:post_id>/reopen")
@auth.signed_in_only
def reopen(post_id):
    post = post_or_404(post_id)
    author_only(post)
    if models.reopen_post(post, g.user):
        flash(_("Your post is open again."))
    return redirect(url_for("board.show", post_id=post.id))


@bp.post("/posts/<int:post_id>/report")
@auth.signed_in_only
def report(post_id):
    post = post_or_404(post_id)
    reason = persian.normalize(request.form.get("reason"))[:300]
    models.report_post(post, g.user, reason)
    flash(_("Thank you. The neighborhood's facilitator will look at this post."))
    return redirect(url_for("board.show", post_id=post.id))
