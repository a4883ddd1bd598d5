"""Headquarters keeps the area tree (issue 18): find an area, add one under
it, rename it (Persian and English), move it with its subtree, merge it into
another (everything that pointed at it moves, and its old address leads to
the survivor), put a province, county or city under a manager, and read an
area's history. A subtree's manager has these pages within their subtree."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, areas_admin, audit
from hamsayeh.web import auth, merged_areas
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.paging import Pages
from hamsayeh.web.templating import local_name

bp = Blueprint("network_admin", __name__, url_prefix="/hq/areas")
# Every page that takes an area's id answers for a merged area with its survivor's.
bp.before_app_request(merged_areas.follow_merged_areas)

KIND_LABELS = dict(
    zip(
        models.Area.KINDS,
        (_l("Province"), _l("County"), _l("City"), _l("District"), _l("Neighborhood")),
        strict=True,
    )
)
ACTION_LABELS = {
    "add": _l("Added"),
    "rename": _l("Renamed"),
    "move": _l("Moved"),
    "merge": _l("Merged"),
    "manager_added": _l("Put under a manager"),
    "manager_removed": _l("A manager left"),
}
# What a merge moves, as a person would call it; a table added later shows
# under its own name until it is given one here.
HOLDING_LABELS = {
    "area.parent": _l("Places under it"),
    "area.merged_into": _l("Places merged into it before"),
    "center.area": _l("Centers"),
    "center_area.area": _l("Centers set to serve it"),
    "user.neighborhood": _l("Members who live there"),
    "area_manager.area": _l("Managers"),
    "help_post.neighborhood": _l("Posts on the board"),
    "volunteer_profile.neighborhood": _l("Volunteers who live there"),
    "volunteer_profile.district": _l("Volunteers of the district"),
    "volunteer_profile.city": _l("Volunteers of the city"),
    "time_account.area": _l("The community pool of hours"),
    "one_time_code.neighborhood": _l("Sign-ups waiting for their code"),
    "callback_request.neighborhood": _l("Call-back requests"),
    "facilitator_assignment.neighborhood": _l("Facilitators assigned"),
    "story.neighborhood": _l("Stories of the neighborhood's record"),
    "idea.neighborhood": _l("Ideas"),
    "announcement.area": _l("Announcements and problems raised"),
    "assembly.area": _l("Charity assemblies"),
    "organization.county": _l("Organizations of the county"),
    "organization_area.area": _l("Organizations that serve it"),
    "capacity.area": _l("Capacities organizations declared"),
    "beneficiary_record.area": _l("Registry records"),
    "organization_application.area": _l("Organizations' applications"),
    "welfare_office.district": _l("The district's welfare office"),
    "welfare_case.area": _l("Welfare cases"),
}
# The one row each area may have: a merge stops when both have theirs.
UNIQUE_LABELS = {
    "time_account": _l("community pool of hours"),
    "assembly": _l("charity assembly"),
    "welfare_office": _l("welfare office"),
}
NAME_MAX, REASON_MAX = areas_admin.NAME_MAX, areas_admin.REASON_MAX
LISTED = 50
CHOICES = 20


def holding_label(key):
    return HOLDING_LABELS.get(key) or _("Other records (%(table)s)", table=key)


# --- Loaders: each fetches its area (404) and asks who may keep it (403) ---------------


def area_or_404(area_id):
    return get_object_or_404(models.Area.select(), models.Area.id == area_id)


def area_for_keeper(area_id):
    """An area that the user keeps: headquarters any, a manager those of their subtree."""
    area = area_or_404(area_id)
    if not access.manages_area(g.user, g.roles, area.survivor()):
        abort(403)
    return area


def live_area_for_keeper(area_id):
    """An area the user keeps, to change: a merged one sends them to its survivor's page."""
    area = area_for_keeper(area_id)
    if area.merged_into_id is not None:
        abort(redirect(url_for("network_admin.area", area_id=area.survivor().id)))
    return area


def scope():
    return areas_admin.kept_areas(g.user, g.roles)


# --- Finding an area, and one area's page -------------------------------------------------


@bp.get("/")
@auth.requires(access.may_keep_the_tree)
def index():
    query = persian.normalize(request.args.get("q", ""))[:60]
    found = Pages(areas_admin.find_areas(query, within=scope()), LISTED) if query else None
    tops = areas_admin.live_children(None) if scope() is None else scope()
    return render_template("hq/areas.html", query=query, found=found, tops=tops, kind_labels=KIND_LABELS)


@bp.get("/<int:area_id>")
@auth.requires(access.may_keep_the_tree)
def area(area_id):
    place = area_for_keeper(area_id)
    return render_template(
        "hq/area.html",
        area=place,
        survivor=place.survivor() if place.merged_into_id else None,
        ancestors=place.ancestors(),
        children=Pages(place.sorted_children(), LISTED),
        centers=list(models.Center.select().where(models.Center.area == place).order_by(models.Center.name)),
        kind_labels=KIND_LABELS,
        may_manage=access.may_appoint_area_managers(g.user, g.roles) and place.kind in areas_admin.MANAGED_KINDS,
        may_change_place=access.manages_area(g.user, g.roles, place.parent),
        addable=areas_admin.allowed_kinds(place),
    )


@bp.get("/<int:area_id>/history")
@auth.requires(access.may_keep_the_tree)
def history(area_id):
    place = area_for_keeper(area_id)
    changes = Pages(areas_admin.history(place), LISTED)
    others = {change.other_id for change in changes.items} | {change.area_id for change in changes.items}
    names = {item.id: item for item in models.Area.select().where(models.Area.id.in_(list(others)))}
    return render_template(
        "hq/area_history.html",
        area=place,
        changes=changes,
        names=names,
        detail=areas_admin.change_detail,
        action_labels=ACTION_LABELS,
        holding_label=holding_label,
    )


# --- Adding and renaming -------------------------------------------------------------


def parent_from(values):
    """The parent named in a form or an address (none: a province at the top),
    kept by the user; headquarters alone adds a province."""
    parent_id = persian.whole_number(values.get("parent", ""), 2**31 - 1)
    parent = live_area_for_keeper(parent_id) if parent_id else None
    if parent is None and not access.is_headquarters(g.user, g.roles):
        abort(403)
    return parent


@bp.get("/new")
@auth.requires(access.may_keep_the_tree)
def new_area():
    parent = parent_from(request.args)
    kinds = areas_admin.allowed_kinds(parent)
    form = Form(form_key=new_key(), kind=kinds[0] if len(kinds) == 1 else None)
    return render_add(parent, form)


@bp.post("/new")
@auth.requires(access.may_keep_the_tree)
def add_area():
    parent = parent_from(request.form)
    form = Form(request.form)
    if form["kind"] not in areas_admin.allowed_kinds(parent):
        form.error("kind", _l("Choose what kind of place it is."))
    name, name_en, reason = names_and_reason(form)
    if form.ok:
        try:
            change = areas_admin.add_area(parent, form["kind"], name, name_en, g.user, reason, form.form_key())
        except areas_admin.TreeError as problem:
            tree_error(form, problem, parent=parent)
        else:
            flash(_("%(name)s is added.", name=local_name(change.area)))
            return redirect(url_for("network_admin.area", area_id=change.area_id))
    return render_add(parent, form), 422


def render_add(parent, form):
    kinds = [(kind, KIND_LABELS[kind]) for kind in areas_admin.allowed_kinds(parent)]
    return render_template("hq/area_add.html", parent=parent, form=form, kinds=kinds)


def names_and_reason(form):
    form.form_key()
    name = form.text("name", NAME_MAX, message=_l("Write the Persian name."))
    if len(form["name_en"]) > NAME_MAX:
        form.error("name_en", _l("A name can be at most %(count)s letters.", count=NAME_MAX))
    return name, form["name_en"], reason_of(form)


def reason_of(form):
    return form.text("reason", REASON_MAX, message=_l("Write why: the area's history keeps the reason."))


@bp.get("/<int:area_id>/rename")
@auth.requires(access.may_keep_the_tree)
def rename(area_id):
    place = live_area_for_keeper(area_id)
    form = Form(form_key=new_key(), name=place.name, name_en=place.name_en)
    return render_template("hq/area_rename.html", area=place, form=form)


@bp.post("/<int:area_id>/rename")
@auth.requires(access.may_keep_the_tree)
def save_name(area_id):
    place = live_area_for_keeper(area_id)
    form = Form(request.form)
    name, name_en, reason = names_and_reason(form)
    if form.ok:
        try:
            areas_admin.rename_area(place, name, name_en, g.user, reason, form.form_key())
        except areas_admin.TreeError as problem:
            tree_error(form, problem, parent=place.parent)
        else:
            flash(_("The new name is kept, and the old one in the history."))
            return redirect(url_for("network_admin.area", area_id=place.id))
    return render_template("hq/area_rename.html", area=place, form=form), 422


# --- Moving and merging: choose the other area, give the reason ----------------------


CHOICE_PAGES = {
    "move": (_l("Move %(name)s"), _l("The place to move it under")),
    "merge": (_l("Merge %(name)s into another area"), _l("The area that stays")),
}


def candidates(place, action, query):
    """Areas the user keeps that `place` may go under (a move) or into (a merge), matching `query`."""
    kinds = areas_admin.parent_kinds(place) if action == "move" else [place.kind]
    found = areas_admin.find_areas(query, within=scope(), kinds=kinds).where(
        ~models.Area.path.startswith(place.path), models.Area.id != (place.parent_id or 0)
    )
    return list(found.limit(CHOICES)) if query else []


def render_choice(place, action, form, status=200):
    title, legend = CHOICE_PAGES[action]
    return render_template(
        "hq/area_choose.html",
        area=place,
        action=action,
        form=form,
        title=title,
        legend=legend,
        choices=candidates(place, action, form["q"]),
        holdings=areas_admin.holdings(place) if action == "merge" else {},
        holding_label=holding_label,
        kind_labels=KIND_LABELS,
    ), status


def choice_guard(place):
    """Moving or merging takes an area out of its parent: the user keeps both."""
    if not access.manages_area(g.user, g.roles, place.parent):
        abort(403)


@bp.get("/<int:area_id>/<any(move, merge):action>")
@auth.requires(access.may_keep_the_tree)
def choose(area_id, action):
    place = live_area_for_keeper(area_id)
    choice_guard(place)
    form = Form(request.args, form_key=new_key())
    form.data["q"] = form["q"][:60]
    return render_choice(place, action, form)


@bp.post("/<int:area_id>/<any(move, merge):action>")
@auth.requires(access.may_keep_the_tree)
def change_place(area_id, action):
    place = live_area_for_keeper(area_id)
    choice_guard(place)
    form = Form(request.form)
    other_id = persian.whole_number(form["other"], 2**31 - 1)
    other = models.Area.get_or_none(models.Area.id == other_id) if other_id else None
    if other is None or not access.manages_area(g.user, g.roles, other):
        form.error(
            "other", _l("Choose the place to move it under.") if action == "move" else _l("Choose the area that stays.")
        )
    reason = reason_of(form)
    if form.ok:
        change = areas_admin.move_area if action == "move" else areas_admin.merge_areas
        try:
            change(place, other, g.user, reason, form.form_key())
        except areas_admin.TreeError as problem:
            tree_error(form, problem, parent=other, field="other")
        else:
            if action == "merge":
                flash(_("%(old)s is merged into %(name)s.", old=local_name(place), name=local_name(other)))
                return redirect(url_for("network_admin.area", area_id=other.id))
            flash(_("%(name)s is moved.", name=local_name(place)))
            return redirect(url_for("network_admin.area", area_id=place.id))
    return render_choice(place, action, form, status=422)


# --- Managers of a subtree -----------------------------------------------------------------


@bp.get("/<int:area_id>/managers")
@auth.requires(access.may_appoint_area_managers)
def managers(area_id):
    place = managed_area_or_404(area_id)
    return render_managers(place, Form(form_key=new_key()))


def managed_area_or_404(area_id):
    place = live_area_for_keeper(area_id)
    if place.kind not in areas_admin.MANAGED_KINDS or not access.may_appoint_area_managers(g.user, g.roles):
        abort(404)
    return place


def render_managers(place, form, status=200):
    return render_template(
        "hq/area_managers.html",
        area=place,
        form=form,
        managers=list(areas_admin.managers_of(place)),
        remove_key=new_key(),
    ), status


@bp.post("/<int:area_id>/managers")
@auth.requires(access.may_appoint_area_managers)
def add_manager(area_id):
    place = managed_area_or_404(area_id)
    form = Form(request.form)
    form.form_key()
    phone = form.phone()
    reason = reason_of(form)
    member = models.User.by_phone(phone) if form.ok else None
    if form.ok:
        audit.audit("people.lookup", actor=g.user, subject=f"user:{member.id}" if member else "none")
        if member is None:
            form.error("phone", _l("No account has this number."))
    if form.ok:
        try:
            areas_admin.add_manager(place, member, g.user, reason, form.form_key())
        except areas_admin.TreeError as problem:
            tree_error(form, problem, field="phone")
        else:
            flash(_("%(person)s manages %(name)s now.", person=member.name, name=local_name(place)))
            return redirect(url_for("network_admin.managers", area_id=place.id))
    return render_managers(place, form, status=422)


@bp.post("/<int:area_id>/managers/<int:user_id>/remove")
@auth.requires(access.may_appoint_area_managers)
def remove_manager(area_id, user_id):
    place = managed_area_or_404(area_id)
    member = get_object_or_404(models.User.select(), models.User.id == user_id)
    form = Form(request.form)
    reason = reason_of(form)
    if not form.ok:
        flash(form.errors["reason"])
        return redirect(url_for("network_admin.managers", area_id=place.id))
    areas_admin.remove_manager(place, member, g.user, reason, form.form_key())
    flash(_("%(person)s no longer manages %(name)s.", person=member.name, name=local_name(place)))
    return redirect(url_for("network_admin.managers", area_id=place.id))


# --- Why a change could not be made, beside the field it concerns ----------------------------


def tree_error(form, problem, parent=None, field=None):
    code, detail = problem.code, problem.detail
    if code == "kind":
        form.error(field or "kind", _l("That kind of place does not belong there. Choose another."))
    elif code == "name_taken":
        where = local_name(parent) if parent is not None else _("Iran")
        form.error("name", _l("%(place)s has a place with this name already.", place=where))
    elif code == "merged_name":
        form.error(
            "name", _l("A place with this name was merged into %(name)s. Choose another name.", name=local_name(detail))
        )
    elif code == "merged":
        form.error(
            field or "reason", _l("That area was merged into %(name)s. Choose that one.", name=local_name(detail))
        )
    elif code == "inside":
        form.error(field, _l("A place cannot go under itself or under a place inside it."))
    elif code == "same_place":
        form.error(field, _l("It is there already. Choose another place."))
    elif code == "same":
        form.error(field, _l("An area cannot be merged into itself. Choose another."))
    elif code == "kinds_differ":
        form.error(field, _l("Only places of the same kind are merged. Choose another."))
    elif code == "children_clash":
        form.error(
            field, _l("Both have places called %(names)s. Merge or rename those first.", names="، ".join(detail))
        )
    elif code == "both_have":
        what = UNIQUE_LABELS.get(detail) or detail
        form.error(
            field, _l("Each of the two has its own %(what)s, and only one can stay. Settle that first.", what=what)
        )
    elif code == "too_deep":
        form.error(field or "kind", _l("The tree would grow too deep there."))
    elif code == "not_staff":
        form.error(field, _l("Only an active staff account can manage an area. Give them a staff role first."))
    else:
        form.error(field or "reason", _l("Only a province, a county or a city is put under a manager."))
