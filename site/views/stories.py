"""The neighborhood's record: the stories its facilitators keep for headquarters
(needs, assets, failures and their lessons), linked to help-board requests and
to the assets that could meet a need. Residents read the public ones."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, network
from hamsayeh.web import auth
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import local_name

bp = Blueprint("stories", __name__, url_prefix="/stories")

STORY_KIND_LABELS = dict(zip(models.Story.KINDS, (_l("Need"), _l("Asset"), _l("Failure and lesson")), strict=True))
STATUS_LABELS = {
    "need": {"current": _l("Still needed"), "resolved": _l("Met"), "archived": _l("No longer relevant")},
    "asset": {"current": _l("Available"), "resolved": _l("No longer available"), "archived": _l("Archived")},
    "lesson": {"current": _l("To keep in mind"), "resolved": _l("Put into practice"), "archived": _l("Archived")},
}
FOR_WHOM_MAX, NEXT_TIME_MAX, QUERY_MAX, PAGE_SIZE = 160, 1000, 60, 30


def neighborhood_or_404(area_id):
    return get_object_or_404(models.Area.select(), models.Area.id == area_id, models.Area.kind == "neighborhood")


def kept_neighborhood_or_403(area_id):
    """A neighborhood whose record the signed-in facilitator keeps."""
    hood = neighborhood_or_404(area_id)
    if not access.keeps_record_of(g.user, g.roles, hood):
        abort(403)
    return hood


def reads_all(hood):
    return access.may_read_all_stories(g.user, g.roles, hood)


def edits(hood):
    return access.keeps_record_of(g.user, g.roles, hood)


def labels():
    return {"kind_labels": STORY_KIND_LABELS, "status_labels": STATUS_LABELS}


@bp.get("/neighborhood/<int:area_id>")
def record(area_id):
    hood = neighborhood_or_404(area_id)
    everything = reads_all(hood)
    kind = request.args.get("kind") if request.args.get("kind") in models.Story.KINDS else None
    stories = network.stories_in(hood, kind=kind, public_only=not everything).limit(100)
    return render_template(
        "stories/record.html",
        hood=hood,
        stories=list(stories),
        kind=kind,
        everything=everything,
        can_edit=edits(hood),
        **labels(),
    )


@bp.get("/neighborhood/<int:area_id>/new")
@auth.requires(access.is_facilitator)
def new(area_id):
    hood = kept_neighborhood_or_403(area_id)
    kind = request.args.get("kind") if request.args.get("kind") in models.Story.KINDS else "need"
    return render_form(hood, None, Form(kind=kind, status="current", form_key=new_key()), set())


@bp.post("/neighborhood/<int:area_id>/new")
@auth.requires(access.is_facilitator)
def create(area_id):
    hood = kept_neighborhood_or_403(area_id)
    form = Form(request.form)
    fields, activities = validate(form)
    if not form.ok:
        return render_form(hood, None, form, {str(item.id) for item in activities}, 422)
    story = network.record_story(g.user, form.form_key(), activities, neighborhood=hood, **fields)
    flash(_("The story is in %(name)s's record.", name=local_name(hood)))
    return redirect(url_for("stories.show", story_id=story.id))


def render_form(hood, story, form, selected, status=200):
    return (
        render_template(
            "stories/form.html",
            hood=hood,
            story=story,
            form=form,
            selected={"activity": selected},
            activity_types=catalog().activity_types,
            **labels(),
        ),
        status,
    )


def validate(form):
    """The story's fields and activity types from the form, with a message
    beside each wrong field."""
    kind = form["kind"]
    if kind not in models.Story.KINDS:
        form.error("kind", _l("Choose a need, an asset or a lesson."))
        kind = "need"
    title = form.text("title", models.Story.TITLE_MAX, 3, _l("Write a short title of at least 3 letters."))
    narrative = form.text("narrative", models.Story.NARRATIVE_MAX, 10, _l("Tell the story in at least 10 letters."))
    chosen = {persian.normalize(value) for value in request.form.getlist("activity")}
    activities = [item for item in catalog().activity_types if str(item.id) in chosen]
    if chosen and len(activities) != len(chosen):
        form.error("activity", _l("Choose kinds of activity from the list."))
    how_many = None
    if form["how_many"]:
        how_many = persian.whole_number(form["how_many"], 1_000_000)
        if not how_many:
            form.error("how_many", _l("Write how many as a whole number, like 12, or leave it empty."))
    since = None
    if form["since"]:
        since = persian.parse_jalali_date(form["since"])
        if since is None:
            form.error("since", _l("Write the date like 1405/09/20, or leave it empty."))
        elif since > persian.today():
            form.error("since", _l("This date has not come yet."))
    if len(form["for_whom"]) > FOR_WHOM_MAX:
        form.error("for_whom", _l("Write at most %(count)s letters.", count=FOR_WHOM_MAX))
    if len(form["next_time"]) > NEXT_TIME_MAX:
        form.error("next_time", _l("Write at most %(count)s letters.", count=NEXT_TIME_MAX))
    if form["status"] not in models.Story.STATUSES:
        form.error("status", _l("Choose where this stands."))
    fields = {
        "kind": kind,
        "title": title,
        "narrative": narrative,
        "for_whom": form["for_whom"],
        "how_many": how_many,
        "since": since,
        "next_time": form["next_time"] if kind == "lesson" else "",
        "status": form["status"],
        "is_public": form["is_public"] == "1",
        "search_key": persian.fold(" ".join((title, narrative, form["for_whom"], form["next_time"]))),
    }
    return fields, activities


def story_or_404(story_id):
    """A story the signed-in member may read; one they may not is as if it did not exist."""
    story = get_object_or_404(models.Story.select(), models.Story.id == story_id)
    if not access.may_read_story(g.user, g.roles, story):
        abort(404)
    return story


@bp.get("/<int:story_id>")
def show(story_id):
    story = story_or_404(story_id)
    can_edit = access.may_edit_story(g.user, g.roles, story)
    assets = network.story_assets(story, public_only=not reads_all(story.neighborhood))
    linkable = list(network.linkable_assets(story)) if can_edit and story.kind == "need" else []
    return render_template(
        "stories/show.html",
        story=story,
        activities=[item for item in catalog().activity_types if item.id in story.activity_ids()],
        assets=list(assets),
        posts=list(network.story_posts(story)),
        linkable=linkable,
        can_edit=can_edit,
        form=Form(),
        **labels(),
    )


def editable_or_403(story_id):
    story = story_or_404(story_id)
    if not access.may_edit_story(g.user, g.roles, story):
        abort(403)
    return story


@bp.get("/<int:story_id>/edit")
@auth.requires(access.is_facilitator)
def edit(story_id):
    story = editable_or_403(story_id)
    values = {name: getattr(story, name) for name in ("kind", "title", "narrative", "for_whom", "next_time", "status")}
    values |= {
        "how_many": str(story.how_many) if story.how_many else "",
        "since": persian.format_jalali_input(story.since) if story.since else "",
        "is_public": "1" if story.is_public else "",
    }
    return render_form(story.neighborhood, story, Form(**values), {str(i) for i in story.activity_ids()})


@bp.post("/<int:story_id>/edit")
@auth.requires(access.is_facilitator)
def update(story_id):
    story = editable_or_403(story_id)
    form = Form(request.form)
    fields, activities = validate(form)
    if not form.ok:
        return render_form(story.neighborhood, story, form, {str(item.id) for item in activities}, 422)
    network.update_story(story, g.user, activities, **fields)
    flash(_("The story is saved."))
    return redirect(url_for("stories.show", story_id=story.id))


@bp.post("/<int:story_id>/links")
@auth.requires(access.is_facilitator)
def link(story_id):
    """Link a need to an asset of its neighborhood, or to a help-board request
    of its neighborhood (typed as the request's number)."""
    story = editable_or_403(story_id)
    if story.kind != "need":
        abort(400)
    form = Form(request.form)
    remove = form["remove"] == "1"
    if form["asset"]:
        other = network.link_target(story, asset_id=persian.whole_number(form["asset"]) or 0)
    else:
        other = network.link_target(story, post_id=persian.whole_number(form["post"].lstrip("#")))
    if other is None:
        flash(_("No request or asset of this neighborhood has that number."))
    else:
        network.link_story(story, other, g.user, remove=remove)
        flash(_("The link is removed.") if remove else _("The link is saved."))
    return redirect(url_for("stories.show", story_id=story.id))


@bp.get("/")
@auth.requires(access.may_search_stories)
def search():
    """Headquarters reads the stories of an area by kind and searches them; a
    center's staff read those of their center's area."""
    home = None if access.is_headquarters(g.user, g.roles) else g.user.work_center.area
    area = None
    area_id = persian.whole_number(request.args.get("area", ""))
    if area_id is not None:
        area = models.Area.get_or_none(models.Area.id == area_id)
    if home is not None and (area is None or not area.path.startswith(home.path)):
        area = home
    query = persian.normalize(request.args.get("q", ""))[:QUERY_MAX]
    kind = request.args.get("kind") if request.args.get("kind") in models.Story.KINDS else ""
    page = persian.whole_number(request.args.get("page", ""), 10000) or 1
    found = network.stories_in(area, kind=kind, search_key=persian.fold(query))
    rows = list(found.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    return render_template(
        "stories/search.html",
        area=area,
        query=query,
        kind=kind,
        stories=rows[:PAGE_SIZE],
        page=page,
        more=len(rows) > PAGE_SIZE,
        form=Form(q=query, kind=kind),
        **labels(),
    )
