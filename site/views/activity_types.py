"""Administrators keep the list of activity types: rename, reorder, retire
or add one. A retired type stays on old posts but is offered no more."""

import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, reference
from hamsayeh.web import auth
from hamsayeh.web.forms import Form
from hamsayeh.web.templating import local_name

bp = Blueprint("activity_types", __name__, url_prefix="/admin/activity-types")

NAME_MAX = 80


def page(form, editing=None, status=200):
    """The list with one form per type, and the form that adds one."""
    new_form = form if editing is None else Form()
    return render_template(
        "activity_types/index.html", types=reference.activity_types(), form=form, new_form=new_form, editing=editing
    ), status


def validate(form):
    name = form.required("name", _l("Write the Persian name."))
    if len(name) > NAME_MAX or len(form["name_en"]) > NAME_MAX:
        form.error("name", _l("A name can be at most %(count)s letters.", count=NAME_MAX))
    position = form["position"] or "0"
    if not re.fullmatch(r"\d{1,3}", position):
        form.error("position", _l("Write the place in the list as a number from 0 to 999."))
    return {"name": name, "name_en": form["name_en"], "position": persian.whole_number(position, 10000) or 0}


def activity_type_or_404(type_id):
    """Headquarters keep every type; the page's guard has asked already."""
    item = get_object_or_404(reference.activity_types(), models.ActivityType.id == type_id)
    if not access.is_headquarters(g.user, g.roles):
        abort(403)
    return item


@bp.get("/")
@auth.requires(access.is_headquarters)
def index():
    return page(Form())


@bp.post("/")
@auth.requires(access.is_headquarters)
def create():
    form = Form(request.form)
    fields = validate(form)
    slug = form["slug"].lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", slug):
        form.error("slug", _l("Write a short English key of 2 to 40 letters, digits or _, like home_care."))
    elif reference.slug_taken(slug):
        form.error("slug", _l("This key is taken. Choose another."))
    if not form.ok:
        return page(form, status=422)
    reference.add_activity_type(g.user, slug, **fields)
    flash(_("The kind of help “%(name)s” is added.", name=local_name(models.ActivityType(**fields))))
    return redirect(url_for("activity_types.index"))


@bp.post("/<int:type_id>")
@auth.requires(access.is_headquarters)
def update(type_id):
    item = activity_type_or_404(type_id)
    form = Form(request.form)
    fields = validate(form)
    if not form.ok:
        return page(form, editing=item.id, status=422)
    reference.change_activity_type(g.user, item, is_active=form["is_active"] == "1", **fields)
    flash(_("The kind of help “%(name)s” is saved.", name=local_name(models.ActivityType(**fields))))
    return redirect(url_for("activity_types.index"))
