"""Headquarters keeps the assemblies of charities: one for a county, a city or
a municipal district, each under a parent nearer the top of the tree; their
member organizations (an organization may belong to several) and their
coordinators, who answer the applications of organizations of their area."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, assemblies, organizations
from hamsayeh.web import auth
from hamsayeh.web.forms import Form
from hamsayeh.web.templating import local_name

bp = Blueprint("assemblies", __name__, url_prefix="/hq/assemblies")

LEVEL_LABELS = dict(zip(models.Assembly.LEVELS, (_l("County"), _l("City"), _l("Municipal district")), strict=True))
PROBLEMS = {
    ("level", "level"): _l("Choose the level of the assembly."),
    ("area", "kind"): _l("Choose an area of the level you chose: a county for a county's assembly, and so on."),
    ("area", "taken"): _l("This area has an assembly already."),
    ("parent", "level"): _l("A parent is the assembly of a county or a city above this one."),
    ("parent", "outside"): _l("The parent's area must hold this assembly's area."),
    ("name", "taken"): _l("Another assembly has this name."),
}


def chain(area):
    """The chain "county › city › district" of an area."""
    return " › ".join(local_name(a) for a in [*area.ancestors(), area] if a.kind != "province")


def area_choices():
    """(id, name) of every county, city and district, in the order of the tree."""
    places = models.Area.select().where(models.Area.kind.in_(models.Assembly.LEVELS)).order_by(models.Area.path)
    return [(str(place.id), chain(place)) for place in places]


def render_index(form, status=200):
    items = list(assemblies.listing())
    return (
        render_template(
            "assemblies/index.html",
            items=items,
            form=form,
            levels=LEVEL_LABELS,
            areas=area_choices(),
            parents=[(str(item.id), item.name) for item in items if item.level != "district"],
            chain=chain,
        ),
        status,
    )


@bp.get("/")
@auth.requires(access.may_manage_assemblies)
def index():
    return render_index(Form(level="district"))


@bp.post("/")
@auth.requires(access.may_manage_assemblies)
def create():
    form = Form(request.form)
    name = form.text("name", models.Assembly.NAME_MAX, 3, _l("Write the assembly's name."))
    area = models.Area.get_or_none(models.Area.id == (persian.whole_number(form["area"]) or 0))
    if area is None:
        form.error("area", _l("Choose the area of the assembly."))
    parent = None
    if form["parent"]:
        parent = models.Assembly.get_or_none(models.Assembly.id == (persian.whole_number(form["parent"]) or 0))
        if parent is None:
            form.error("parent", _l("Choose the parent from the list."))
    if form.ok:
        try:
            assembly = assemblies.create(form["level"], area, parent, name, g.user)
        except assemblies.AssemblyError as problem:
            form.error(problem.field, PROBLEMS[(problem.field, problem.code)])
    if not form.ok:
        return render_index(form, 422)
    flash(_("%(name)s is made. Now add its members and name its coordinator.", name=assembly.name))
    return redirect(url_for("assemblies.show", assembly_id=assembly.id))


def assembly_or_404(assembly_id):
    return get_object_or_404(models.Assembly.select(), models.Assembly.id == assembly_id)


def candidates(assembly, members):
    """The organizations of the assembly's county that are not members yet."""
    county = organizations.county_of(assembly.area) or assembly.area
    taken = {org.id for org in members}
    return [org for org in organizations.directory(county_id=county.id, limit=1000) if org.id not in taken]


def render_show(assembly, form, status=200):
    members = list(assemblies.members(assembly))
    return (
        render_template(
            "assemblies/show.html",
            assembly=assembly,
            members=members,
            candidates=candidates(assembly, members),
            parents=assemblies.ancestors(assembly),
            children=list(assemblies.children(assembly)),
            form=form,
            levels=LEVEL_LABELS,
            place=chain(assembly.area),
        ),
        status,
    )


@bp.get("/<int:assembly_id>")
@auth.requires(access.may_manage_assemblies)
def show(assembly_id):
    return render_show(assembly_or_404(assembly_id), Form())


@bp.post("/<int:assembly_id>/members")
@auth.requires(access.may_manage_assemblies)
def members(assembly_id):
    """Add an organization of the county, or remove a member."""
    assembly = assembly_or_404(assembly_id)
    form = Form(request.form)
    wanted = persian.whole_number(form["remove"] or form["organization"]) or 0
    organization = models.Organization.get_or_none(models.Organization.id == wanted)
    if form["remove"]:
        if organization is None or not assemblies.remove_member(assembly, organization, g.user):
            abort(404)
        flash(_("%(name)s is no longer a member of the assembly.", name=organization.name))
    else:
        if organization is None or organization.id not in {org.id for org in candidates(assembly, [])}:
            form.error("organization", _l("Choose an organization of the county from the list."))
            return render_show(assembly, form, 422)
        assemblies.add_member(assembly, organization, g.user)
        flash(_("%(name)s is a member of the assembly.", name=organization.name))
    return redirect(url_for("assemblies.show", assembly_id=assembly.id))


@bp.post("/<int:assembly_id>/coordinator")
@auth.requires(access.may_manage_assemblies)
def coordinator(assembly_id):
    """Name the coordinator by their mobile number, or name nobody."""
    assembly = assembly_or_404(assembly_id)
    form = Form(request.form)
    if form["clear"] == "1":
        assemblies.set_coordinator(assembly, None, g.user)
        flash(_("The assembly has no coordinator now."))
        return redirect(url_for("assemblies.show", assembly_id=assembly.id))
    phone = form.phone("coordinator")
    user = models.User.by_phone(phone) if phone else None
    if phone and (user is None or not user.is_active):
        form.error("coordinator", _l("No member has this number. They sign up first, then you name them."))
    if not form.ok:
        return render_show(assembly, form, 422)
    assemblies.set_coordinator(assembly, user, g.user)
    flash(_("%(name)s coordinates the assembly.", name=user.name))
    return redirect(url_for("assemblies.show", assembly_id=assembly.id))
