"""The neighborhood board: needs and offers, filtered, searched and paged;
posting one, and cancelling, reopening or reporting it."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, board, timebank, volunteers
from hamsayeh.web import auth
from hamsayeh.web.cache import fragment_cache, guest_page
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.labels import (
    POST_KIND_LABELS,
    RESPONSE_LABELS,
    STATUS_LABELS,
    TIME_WINDOW_LABELS,
    URGENCY_LABELS,
    floor_message,
)
from hamsayeh.web.templating import digits, duration, local_name

bp = Blueprint("board", __name__, url_prefix="/board")

TEXT_MIN, TEXT_MAX, PLACE_MAX, QUERY_MAX = 10, 1000, 200, 60
MESSAGE_MAX = 300
# Entries kept per server process: a heading is about 1 KB, a page of posts about 10 KB.
FRAGMENT_CACHE_SIZES = {"board-heading": 4096, "board-listing": 1024}
# About how long a help takes, in minutes: what confirming it pays by default.
ESTIMATES = (30, 60, 90, 120, 180, 240)
# Why hours for a help were refused, besides a payer's floor.
PAYMENT_REFUSALS = {
    "filer": _l(
        "The community pool pays for help to a neighbor you filed for only when the neighborhood's facilitator "
        "or the center's staff confirm it. Confirm it as a gift, with no hours, or leave it to them."
    ),
    "acting": _l(
        "Acting at the desk, you cannot give this member's hours. Confirm the help as a gift, with no hours, "
        "or let the member confirm it, or a trusted helper they accepted."
    ),
    "no_account": _l("The neighbor who gave this help has no account to receive hours. Confirm it as a gift."),
    "pool_limit": _l(
        "The community pool has paid for enough help today on the posts filed by this person. "
        "Confirm it tomorrow, or as a gift."
    ),
}


def board_labels():
    return {
        "kind_labels": POST_KIND_LABELS,
        "urgency_labels": URGENCY_LABELS,
        "time_window_labels": TIME_WINDOW_LABELS,
        "status_labels": STATUS_LABELS,
        "response_labels": RESPONSE_LABELS,
        "urgency_options": list(enumerate(URGENCY_LABELS)),
        "time_window_options": list(enumerate(TIME_WINDOW_LABELS)),
        "activity_types": catalog().activity_types,
    }


def small_number(text, allowed):
    number = persian.whole_number(text)
    # (None in a range would walk the whole range.)
    return number if number is not None and number in allowed else None


@bp.get("/")
def index():
    form = Form(request.args)
    chosen = auth.chosen_neighborhood()
    hood_id = small_number(form["hood"], range(1, 2**31))
    neighborhood = catalog().neighborhood(hood_id) if hood_id else chosen
    if neighborhood is None:
        return render_template("board/index.html", neighborhood=None)
    ids = [neighborhood.id] if hood_id else catalog().nearby(neighborhood)
    activity = catalog().activity_by_slug.get(form["type"])
    # In a crisis (the catalog knows, and its revision keys the listing), urgent needs come first.
    g.crisis_area_id = neighborhood.id
    in_crisis = catalog().crisis_of(neighborhood.id) is not None
    filters = {
        "urgent_types": [item.id for item in catalog().crisis_types] if in_crisis else None,
        "activity_type": activity,
        "kind": form["kind"] if form["kind"] in models.HelpPost.KINDS else None,
        "urgency": small_number(form["urgency"], models.HelpPost.URGENCIES),
        "search_key": persian.fold(form["q"][:QUERY_MAX]),
        "page": small_number(form["page"], range(1, 10001)) or 1,
    }
    # Both parts come from the query string (the filters, the page, the links),
    # and neither depends on who is looking: each server process keeps them.
    locale, query = str(get_locale()), request.query_string
    versions = (models.HelpPost.board_version(ids), catalog().revision)

    def page():
        heading = cached_fragment(
            "board-heading",
            (neighborhood.id, locale, query),
            catalog().revision,
            lambda: render_template(
                "board/_heading.html", neighborhood=neighborhood, nearby=not hood_id, form=form, **board_labels()
            ),
        )
        # A district's neighborhoods share one listing.
        listing = cached_fragment(
            "board-listing", (tuple(ids), locale, query), versions, lambda: render_listing(ids, filters)
        )
        return render_template("board/index.html", neighborhood=neighborhood, heading=heading, listing=listing)

    # Made of those parts alone: a guest's whole page is kept while they hold.
    return guest_page("board", versions, page)


def cached_fragment(name, key, version, render):
    """The fragment for `key`, rendered again only when `version` moved."""
    cache = fragment_cache(name, size=FRAGMENT_CACHE_SIZES[name])
    fragment = cache.get(key, version)
    if fragment is None:
        # render_template's output is already escaped HTML.
        fragment = Markup(render())  # noqa: S704
        cache.put(key, version, fragment)
    return fragment


def render_listing(ids, filters):
    posts, more = models.HelpPost.board(ids, **filters)
    return render_template(
        "board/_listing.html", posts=posts, more=more, page=filters["page"], page_url=page_url, **board_labels()
    )


def page_url(number):
    """This board with the same filters, on another page."""
    args = request.args.to_dict()
    args["page"] = number
    return url_for("board.index", **args)


@bp.get("/new")
@auth.signed_in_only
def new_post():
    kind = request.args.get("kind") if request.args.get("kind") in models.HelpPost.KINDS else "request"
    form = Form(kind=kind, form_key=new_key(), urgency="0", time_window="0", estimate_minutes="60")
    return render_new_post(form)


@bp.post("/new")
@auth.signed_in_only
def create_post():
    form = Form(request.form)
    fields = validate_post(form)
    if form.ok:
        if g.actor is not None:
            fields.setdefault("filed_by", g.actor)  # who was really there
        post = board.create_post(g.user, form["form_key"], **fields)
        if post is None:
            abort(400)
        flash(_("Your post is on the board of %(name)s.", name=local_name(post.neighborhood)))
        return redirect(url_for("board.show", post_id=post.id))
    return render_new_post(form), 422


def render_new_post(form):
    labels = board_labels()
    if catalog().crisis_of(g.user.neighborhood_id) is not None:
        # The kinds of need a crisis adds, first, while it is on.
        labels["activity_types"] = catalog().crisis_types + labels["activity_types"]
    return render_template(
        "board/new.html",
        form=form,
        on_behalf=access.may_file_on_behalf(g.user, g.roles),
        estimate_options=[(str(minutes), duration(minutes)) for minutes in ESTIMATES],
        **labels,
    )


def validate_post(form):
    """The post's fields from the form, with a message for each wrong one."""
    form.form_key()
    if form["kind"] not in models.HelpPost.KINDS:
        form.error("kind", _l("Choose whether you need help or offer it."))
    # The catalog holds the types still offered, as the simple pages read them.
    activity = catalog().need_type(form["activity_type"], g.user.neighborhood_id)
    if activity is None:
        form.error("activity_type", _l("Choose what kind of help this is."))
    text = form["text"]
    if len(text) < TEXT_MIN:
        form.error("text", _l("Write at least %(count)s letters about the help.", count=TEXT_MIN))
    elif len(text) > TEXT_MAX:
        form.error(
            "text",
            _l("Write at most %(count)s letters; you have %(typed)s.", count=digits(TEXT_MAX), typed=digits(len(text))),
        )
    needed_on = None
    if form["needed_on"]:
        needed_on = persian.parse_jalali_date(form["needed_on"])
        if needed_on is None:
            form.error("needed_on", _l("Write the date like 1405/09/20, or leave it empty for any day."))
        elif needed_on < persian.today():
            form.error("needed_on", _l("This date has passed. Choose today or a later day."))
    estimate = small_number(form["estimate_minutes"] or "60", ESTIMATES)
    if estimate is None:
        form.error("estimate_minutes", _l("Choose about how long the help takes."))
    if len(form["place"]) > PLACE_MAX:
        form.error("place", _l("Write at most %(count)s letters for the place.", count=PLACE_MAX))
    neighborhood = g.user.neighborhood
    if neighborhood is None:
        form.error("text", _l("Choose your neighborhood first, so that your neighbors see your post."))
    on_behalf = {}
    if form["on_behalf_name"] or form["on_behalf_contact"]:
        if not access.may_file_on_behalf(g.user, g.roles):
            abort(403)
        if not form["on_behalf_name"] or len(form["on_behalf_name"]) > 80:
            form.error(
                "on_behalf_name", _l("Write the name of the neighbor you are filing for, in at most 80 letters.")
            )
        if not form["on_behalf_contact"] or len(form["on_behalf_contact"]) > 200:
            form.error("on_behalf_contact", _l("Write how to reach them through a center, in at most 200 letters."))
        on_behalf = {
            "filed_by": g.user,
            "on_behalf_name": form["on_behalf_name"],
            "on_behalf_contact": form["on_behalf_contact"],
        }
    return on_behalf | {
        "kind": form["kind"],
        "activity_type": activity,
        "text": text,
        "search_key": persian.fold(text),
        "urgency": small_number(form["urgency"], models.HelpPost.URGENCIES) or 0,
        "needed_on": needed_on,
        "time_window": small_number(form["time_window"], models.HelpPost.TIME_WINDOWS) or 0,
        "estimate_minutes": estimate,
        "neighborhood": neighborhood,
        "place": form["place"],
    }


def post_or_404(post_id, rule=access.may_see_post):
    """The post, when this member may see it (else 404) and `rule` lets them
    at it (else 403)."""
    post = get_object_or_404(models.HelpPost.select(), models.HelpPost.id == post_id)
    if not access.may_see_post(g.user, g.roles, post):
        abort(404)
    if not rule(g.user, g.roles, post):
        abort(403)
    return post


@bp.get("/posts/<int:post_id>")
def show(post_id):
    post = post_or_404(post_id)
    is_author = access.is_post_author(g.user, g.roles, post)
    mine = board.response_of(post, g.user) if g.user is not None and not is_author else None
    coordinating = access.coordinates_post(g.user, g.roles, post)
    responses = board.responses_to(post) if is_author or post.on_behalf_name else []
    return render_template(
        "board/show.html",
        post=post,
        matches=list(volunteers.match_volunteers(post, limit=5)) if coordinating else [],
        is_author=is_author,
        mine=mine,
        responses=responses if is_author else [],
        pool_confirms=[
            response
            for response in responses
            if response.status in ("accepted", "done") and access.confirms_for_pool(g.user, g.roles, response)
        ],
        can_see_place=access.may_see_post_place(g.user, g.roles, post),
        help_minutes_options=[(0, _("None: it was a gift"))] + [(m, duration(m)) for m in models.HELP_MINUTES],
        **board_labels(),
    )


@bp.post("/posts/<int:post_id>/invite")
@auth.signed_in_only
def invite(post_id):
    post = post_or_404(post_id, access.coordinates_post)
    wanted = persian.normalize(request.form.get("volunteer"))
    match = next((m for m in volunteers.match_volunteers(post, limit=20) if str(m.id) == wanted), None)
    if match is None:
        flash(_("This volunteer cannot be invited to this post."))
    else:
        volunteers.invite_volunteer(post, match.user, g.user)
        flash(_("%(name)s is invited. They will see it in their inbox.", name=match.user.name))
    return redirect(url_for("board.show", post_id=post.id))


@bp.post("/posts/<int:post_id>/respond")
@auth.signed_in_only
def respond(post_id):
    post = post_or_404(post_id, access.may_answer_post)
    message = persian.normalize(request.form.get("message"))[:MESSAGE_MAX]
    try:
        board.respond_to_post(post, g.user, message)
    except board.StateError:
        flash(_("This post is not taking answers any more."))
    else:
        flash(_("Your answer is sent. You will see it in your inbox when they reply."))
    return redirect(url_for("board.show", post_id=post.id))


def response_or_404(response_id, rule):
    """The answer, when `rule` lets this member change it (else 403)."""
    response = get_object_or_404(models.HelpResponse.select(), models.HelpResponse.id == response_id)
    if not rule(g.user, g.roles, response):
        abort(403)
    return response


def change_response(response_id, rule, change, message, **extra):
    """Run `change` on the answer when `rule` says this member may."""
    response = response_or_404(response_id, rule)
    try:
        change(response, g.user, **extra)
    except board.StateError:
        flash(_("This was already changed. Here is where it stands now."))
    else:
        flash(message)
    return redirect(url_for("board.show", post_id=response.post_id))


@bp.post("/responses/<int:response_id>/accept")
@auth.signed_in_only
def accept(response_id):
    message = _("Accepted. You can now see each other's contact details.")
    return change_response(response_id, access.asked_for_response, board.accept_response, message)


@bp.post("/responses/<int:response_id>/decline")
@auth.signed_in_only
def decline(response_id):
    return change_response(response_id, access.asked_for_response, board.decline_response, _("Declined, with thanks."))


@bp.post("/responses/<int:response_id>/withdraw")
@auth.signed_in_only
def withdraw(response_id):
    return change_response(
        response_id, access.gave_response, board.withdraw_response, _("You have withdrawn your answer.")
    )


@bp.post("/responses/<int:response_id>/done")
@auth.signed_in_only
def done(response_id):
    message = _("Marked as done. The neighbor who was helped will confirm it.")
    return change_response(response_id, access.takes_part_in, board.mark_done, message)


@bp.post("/responses/<int:response_id>/confirm")
@auth.signed_in_only
def confirm(response_id):
    """Confirm the help and pay the helper the hours chosen (none: a gift)."""
    response = response_or_404(response_id, access.may_confirm_help)
    actor = g.get("actor")
    if actor is not None and not access.may_confirm_as_actor(actor, g.actor_roles, response):
        abort(403)
    thank_you = persian.normalize(request.form.get("thank_you"))[:MESSAGE_MAX]
    # The post's estimate, unless the helped person chose otherwise.
    minutes = response.post.estimate_minutes
    if "minutes" in request.form:
        minutes = small_number(persian.normalize(request.form["minutes"]), (0, *models.HELP_MINUTES))
    if minutes is None:
        flash(_("Choose from the list how long the help took."))
        return redirect(url_for("board.show", post_id=response.post_id))
    message = _("Thank you for confirming. The help is recorded as done.")
    try:
        return change_response(
            response_id,
            access.may_confirm_help,
            board.confirm_help,
            message,
            thank_you=thank_you,
            minutes=minutes,
            made_by=actor,
        )
    except timebank.TransferError as error:
        if error.reason in PAYMENT_REFUSALS:
            flash(PAYMENT_REFUSALS[error.reason])
        else:
            flash(floor_message(error.account) + " " + _("Choose fewer hours, or none."))
        return redirect(url_for("board.show", post_id=response.post_id))


def change_own_post(post_id, change, message):
    """Run `change` on the signed-in member's own post."""
    post = post_or_404(post_id, access.is_post_author)
    if change(post, g.user):
        flash(message)
    return redirect(url_for("board.show", post_id=post.id))


@bp.post("/posts/<int:post_id>/cancel")
@auth.signed_in_only
def cancel(post_id):
    message = _("Your post is cancelled. You can open it again at any time.")
    return change_own_post(post_id, board.cancel_post, message)


@bp.post("/posts/<int:post_id>/reopen")
@auth.signed_in_only
def reopen(post_id):
    return change_own_post(post_id, board.reopen_post, _("Your post is open again."))


@bp.post("/posts/<int:post_id>/report")
@auth.signed_in_only
def report(post_id):
    post = post_or_404(post_id, access.may_answer_post)
    reason = persian.normalize(request.form.get("reason"))[:300]
    board.report_post(post, g.user, reason)
    flash(_("Thank you. The neighborhood's facilitator will look at this post."))
    return redirect(url_for("board.show", post_id=post.id))
