"""Headquarters keeps the centers and hubs (issue 18): opens one (a
Mosbat-e Zendegi center, a mosque hall, a school or a community house),
edits it, sets the neighborhoods it serves beyond its own, names its staff,
moves it, closes it without losing its history and opens it again; and sees
the neighborhoods no open center serves, nearest to a center first. A
subtree's manager does the same within it; a center's own staff edit its
details (not its kind, place, staff or neighborhoods)."""

import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, areas_admin, audit, centers
from hamsayeh.web import auth
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.paging import Pages
from hamsayeh.web.templating import local_name

bp = Blueprint("centers_admin", __name__, url_prefix="/hq/centers")

KIND_LABELS = dict(
    zip(
        models.Center.KINDS,
        (_l("Mosbat-e Zendegi center"), _l("Mosque hall"), _l("School"), _l("Community house")),
        strict=True,
    )
)
LIMITS = {"name": 160, "name_en": 160, "address": 300, "hours": 200}
PHONE = re.compile(r"0\d{7,10}")
DEGREES = re.compile(r"-?\d{1,3}(\.\d{1,7})?")
LISTED = 50
CHOICES = 20


# --- Loaders: each fetches its center (404) and asks who may do what with it (403) -------


def center_or_404(center_id):
    return get_object_or_404(
        models.Center.select(models.Center, models.Area).join(models.Area), models.Center.id == center_id
    )


def center_for_editor(center_id):
    """A center whose details the user may edit: its keepers and its own staff."""
    center = center_or_404(center_id)
    if not access.may_edit_center(g.user, g.roles, center):
        abort(403)
    return center


def center_for_keeper(center_id):
    """A center whose kind, place, staff and neighborhoods the user keeps."""
    center = center_or_404(center_id)
    if not access.runs_center_network(g.user, g.roles, center):
        abort(403)
    return center


def scope():
    return areas_admin.kept_areas(g.user, g.roles)


# --- Lists: every center, and the neighborhoods none serves --------------------------------


@bp.get("/")
@auth.requires(access.may_keep_the_tree)
def index():
    query = persian.normalize(request.args.get("q", ""))[:60]
    found = Pages(centers.find_centers(query, within=scope()), LISTED)
    return render_template("hq/centers.html", query=query, found=found, kind_labels=KIND_LABELS)


@bp.get("/unserved")
@auth.requires(access.may_keep_the_tree)
def unserved():
    query = persian.normalize(request.args.get("q", ""))[:60]
    found = Pages(centers.unserved_neighborhoods(within=scope(), text=query), LISTED)
    return render_template("hq/unserved.html", query=query, found=found)


# --- Opening and editing a center ------------------------------------------------------------


def area_for_new_center(values):
    area_id = persian.whole_number(values.get("area", ""), 2**31 - 1)
    area = get_object_or_404(models.Area.select(), models.Area.id == (area_id or 0))
    if area.merged_into_id is not None or not access.manages_area(g.user, g.roles, area):
        abort(403)
    return area


@bp.get("/new")
@auth.requires(access.may_keep_the_tree)
def new():
    area = area_for_new_center(request.args)
    return render_form(None, Form(form_key=new_key(), kind="mosbat_center"), area=area)


@bp.post("/new")
@auth.requires(access.may_keep_the_tree)
def create():
    area = area_for_new_center(request.form)
    form = Form(request.form)
    fields = validate(form, network=True)
    if form.ok:
        try:
            center = centers.open_center(area, g.user, form.form_key(), **fields)
        except centers.CenterError as problem:
            center_error(form, problem)
        else:
            flash(_("%(name)s is open.", name=local_name(center)))
            return redirect(url_for("centers_admin.edit", center_id=center.id))
    return render_form(None, form, area=area, status=422)


@bp.get("/<int:center_id>/edit")
@auth.requires()
def edit(center_id):
    center = center_for_editor(center_id)
    return render_form(center, form_with_errors(center, Form()))


@bp.post("/<int:center_id>/edit")
@auth.requires()
def save(center_id):
    center = center_for_editor(center_id)
    keeper = access.runs_center_network(g.user, g.roles, center)
    form = Form(request.form)
    fields = validate(form, network=keeper)
    if form.ok:
        try:
            centers.edit_center(center, g.user, fields)
        except centers.CenterError as problem:
            center_error(form, problem)
        else:
            flash(_("The center's details are saved."))
            return redirect(url_for("centers_admin.edit", center_id=center.id))
    return render_form(center, form, status=422)


def render_form(center, form, area=None, status=200):
    keeper = center is None or access.runs_center_network(g.user, g.roles, center)
    return render_template(
        "hq/center_form.html",
        center=center,
        area=area or center.area,
        form=form,
        keeper=keeper,
        kinds=list(KIND_LABELS.items()),
        staff=list(centers.all_staff(center)) if center else [],
        served=list(centers.served_neighborhoods(center)) if center and keeper else [],
    ), status


def validate(form, network):
    """A center's fields from the form, each wrong one with its message beside it."""
    form.form_key()
    fields = {"name": form.text("name", LIMITS["name"], message=_l("Write the center's Persian name."))}
    for name in ("name_en", "address", "hours"):
        if len(form[name]) > LIMITS[name]:
            form.error(name, _l("Write at most %(count)s letters.", count=LIMITS[name]))
        fields[name] = form[name]
    phone = re.sub(r"[\s-]", "", form["phone"])
    if phone and not PHONE.fullmatch(phone):
        form.error("phone", _l("Write the phone number with its area code, like 02122701234."))
    fields["phone"] = phone
    fields["latitude"], fields["longitude"] = map_point(form)
    if network:
        if form["kind"] not in models.Center.KINDS:
            form.error("kind", _l("Choose what kind of place the center is."))
        fields["kind"] = form["kind"]
    return fields


def map_point(form):
    """Latitude and longitude in degrees (Persian or Latin digits, either
    decimal mark), both or neither, inside Iran."""
    numbers = []
    for name in ("latitude", "longitude"):
        text = form[name].replace("٫", ".").replace("/", ".").replace(",", ".")
        if text and not DEGREES.fullmatch(text):
            form.error(name, _l("Write degrees as a number, like 35.7219."))
        numbers.append(float(text) if text and DEGREES.fullmatch(text) else None)
    if form.errors.get("latitude") or form.errors.get("longitude"):
        return None, None
    problem = centers.point_problem(*numbers)
    if problem == "half":
        form.error(
            "longitude" if numbers[1] is None else "latitude", _l("Write both numbers of the map point, or neither.")
        )
    elif problem == "outside":
        form.error("latitude", _l("This point is not in Iran. Latitude is 24 to 40.5, longitude 43.5 to 64."))
    return tuple(numbers) if problem is None else (None, None)


def center_error(form, problem):
    messages = {
        "name_taken": ("name", _l("Another center has this name. Choose another.")),
        "merged": ("reason", _l("That area was merged into another. Choose the one that stays.")),
        "closed": ("reason", _l("The center is closed already.")),
        "open": ("reason", _l("The center is open already.")),
        "not_neighborhood": ("area", _l("A center serves neighborhoods. Choose a neighborhood.")),
        "own_area": ("area", _l("The center is there already. Choose another place.")),
        "not_staff": (
            "staff_phone",
            _l("This account works at another center, or is disabled. It must leave there first."),
        ),
    }
    field, message = messages[problem.code]
    form.error(field, message)


# --- Closing and opening again ------------------------------------------------------------------


@bp.post("/<int:center_id>/<any(close, reopen):action>")
@auth.requires(access.may_keep_the_tree)
def close_or_reopen(center_id, action):
    center = center_for_keeper(center_id)
    form = Form(request.form)
    reason = form.text("reason", 300, message=_l("Write why: the center's record keeps the reason."))
    if form.ok:
        try:
            (centers.close_center if action == "close" else centers.reopen_center)(center, g.user, reason)
        except centers.CenterError as problem:
            center_error(form, problem)
    if not form.ok:
        return render_form(center, form_with_errors(center, form), status=422)
    flash(
        _("The center is closed. Its programs and records stay.")
        if action == "close"
        else _("The center is open again.")
    )
    return redirect(url_for("centers_admin.edit", center_id=center.id))


def form_with_errors(center, form):
    """The edit form as the center is, with the closing form's reason and message."""
    values = {name: getattr(center, name) for name in (*centers.DETAILS, *centers.NETWORK_FIELDS)}
    for name in ("latitude", "longitude"):
        values[name] = "" if values[name] is None else f"{values[name]:.7f}".rstrip("0").rstrip(".")
    shown = Form(**values, reason=form["reason"], form_key=new_key())
    shown.errors = dict(form.errors)
    return shown


# --- The neighborhoods it serves, and its place --------------------------------------------------


def area_choices(query, kinds=None):
    return list(areas_admin.find_areas(query, within=scope(), kinds=kinds).limit(CHOICES)) if query else []


@bp.get("/<int:center_id>/<any(served, place):part>")
@auth.requires(access.may_keep_the_tree)
def choose_area(center_id, part):
    center = center_for_keeper(center_id)
    return render_choice(center, part, Form(request.args))


def render_choice(center, part, form, status=200):
    form.data["q"] = form["q"][:60]
    return render_template(
        "hq/center_area.html",
        center=center,
        part=part,
        form=form,
        choices=area_choices(form["q"], kinds=("neighborhood",) if part == "served" else None),
        served=list(centers.served_neighborhoods(center)),
    ), status


@bp.post("/<int:center_id>/<any(served, place):part>")
@auth.requires(access.may_keep_the_tree)
def save_area(center_id, part):
    center = center_for_keeper(center_id)
    form = Form(request.form)
    area_id = persian.whole_number(form["area"], 2**31 - 1)
    area = models.Area.get_or_none(models.Area.id == area_id) if area_id else None
    if area is None or not access.manages_area(g.user, g.roles, area):
        form.error("area", _l("Choose a neighborhood from the list."))
    else:
        try:
            if part == "served":
                centers.serve_neighborhood(center, area, g.user)
            else:
                centers.move_center(center, area, g.user)
        except centers.CenterError as problem:
            center_error(form, problem)
    if not form.ok:
        return render_choice(center, part, form, status=422)
    flash(
        _("%(center)s serves %(name)s too.", center=local_name(center), name=local_name(area))
        if part == "served"
        else _("%(center)s is now in %(name)s.", center=local_name(center), name=local_name(area))
    )
    return redirect(url_for("centers_admin.choose_area", center_id=center.id, part=part))


@bp.post("/<int:center_id>/served/<int:area_id>/remove")
@auth.requires(access.may_keep_the_tree)
def stop_serving(center_id, area_id):
    center = center_for_keeper(center_id)
    area = get_object_or_404(models.Area.select(), models.Area.id == area_id)
    centers.stop_serving(center, area, g.user)
    flash(_("%(center)s no longer serves %(name)s.", center=local_name(center), name=local_name(area)))
    return redirect(url_for("centers_admin.choose_area", center_id=center.id, part="served"))


# --- Its staff ------------------------------------------------------------------------------------


@bp.post("/<int:center_id>/staff")
@auth.requires(access.may_keep_the_tree)
def add_staff(center_id):
    center = center_for_keeper(center_id)
    form = Form(request.form)
    phone = form.phone("staff_phone")
    member = models.User.by_phone(phone) if form.ok else None
    if form.ok:
        audit.audit("people.lookup", actor=g.user, subject=f"user:{member.id}" if member else "none")
        if member is None:
            form.error("staff_phone", _l("No account has this number."))
    if form.ok:
        try:
            centers.assign_staff(center, member, g.user)
        except centers.CenterError as problem:
            center_error(form, problem)
    if not form.ok:
        shown = form_with_errors(center, form)
        shown.data["staff_phone"] = form["staff_phone"]
        return render_form(center, shown, status=422)
    flash(_("%(person)s works at %(center)s now.", person=member.name, center=local_name(center)))
    return redirect(url_for("centers_admin.edit", center_id=center.id))


@bp.post("/<int:center_id>/staff/<int:user_id>/remove")
@auth.requires(access.may_keep_the_tree)
def remove_staff(center_id, user_id):
    center = center_for_keeper(center_id)
    member = get_object_or_404(models.User.select(), models.User.id == user_id, models.User.work_center == center)
    centers.release_staff(center, member, g.user)
    flash(_("%(person)s no longer works at %(center)s.", person=member.name, center=local_name(center)))
    return redirect(url_for("centers_admin.edit", center_id=center.id))
