"""Organizations' portals: every NGO, charity, jihadi or community group,
business and government office has a public page; its managers keep it and
its members; volunteers ask to join. A county's assembly of charities shares a
directory, short posts of experience and lessons, and a capacity inventory."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

import models
from hamsayeh import persian
from hamsayeh.domain import audit, centers, organizations
from hamsayeh.views import centers as center_views
from hamsayeh.web import auth
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key

bp = Blueprint("orgs", __name__, url_prefix="/orgs")

KIND_LABELS = {
    "charity": _l("Charity"),
    "ngo": _l("NGO"),
    "jihadi": _l("Jihadi group"),
    "community": _l("Community group"),
    "business": _l("Business (social responsibility)"),
    "government": _l("Government office"),
}
ROLE_LABELS = {"manager": _l("Manager"), "staff": _l("Staff"), "volunteer": _l("Volunteer")}
POST_KIND_LABELS = {"experience": _l("Experience"), "lesson": _l("Lesson")}
CAPACITY_LABELS = {
    "food_packages": _l("Food packages"),
    "medical_visits": _l("Medical visits"),
    "tutoring_hours": _l("Tutoring hours"),
    "shelter_beds": _l("Shelter beds"),
    "clothing": _l("Clothing sets"),
    "cash_aid": _l("Cash aid (families)"),
    "other": _l("Other help"),
}
PERIOD_LABELS = {"week": _l("a week"), "month": _l("a month"), "year": _l("a year")}
ABOUT_MAX, CONTACT_MAX, NAME_MAX = 2000, 300, 160


def labels():
    return {"kind_labels": KIND_LABELS, "role_labels": ROLE_LABELS}


def counties():
    return list(models.Area.select().where(models.Area.kind == "county").order_by(models.Area.name))


@bp.get("/")
def directory():
    kind = request.args.get("kind") if request.args.get("kind") in KIND_LABELS else ""
    county = request.args.get("county", "")
    query = models.Organization.select(models.Organization, models.Area).join(
        models.Area, on=(models.Organization.county == models.Area.id)
    )
    if kind:
        query = query.where(models.Organization.kind == kind)
    if persian.whole_number(county) is not None:
        query = query.where(models.Organization.county == persian.whole_number(county))
    return render_template(
        "orgs/directory.html",
        organizations=list(query.order_by(models.Organization.name).limit(200)),
        form=Form(kind=kind, county=county),
        counties=counties(),
        **labels(),
    )


def organization_or_404(org_id):
    return models.Organization.get_or_none(models.Organization.id == org_id) or abort(404)


def managed_or_403(org_id):
    organization = organization_or_404(org_id)
    if not (organization.managed_by(g.user) or "admin" in g.roles):
        abort(403)
    return organization


@bp.get("/<int:org_id>")
def show(org_id):
    organization = organization_or_404(org_id)
    membership = None
    if g.user is not None:
        membership = models.OrganizationMember.get_or_none(
            models.OrganizationMember.organization == organization, models.OrganizationMember.user == g.user
        )
    areas = (
        models.Area.select().join(models.OrganizationArea).where(models.OrganizationArea.organization == organization)
    )
    chosen = {row.activity_type_id for row in organization.activities}
    return render_template(
        "orgs/show.html",
        organization=organization,
        programs=list(centers.programs_of(organization).where(models.Program.starts_at >= models.utcnow()).limit(10)),
        works_there=bool(membership and membership.is_active and membership.role in models.OrganizationMember.STAFF)
        or "admin" in g.roles,
        areas=list(areas.order_by(models.Area.name)),
        activities=[item for item in catalog().activity_types if item.id in chosen],
        membership=membership,
        manages=organization.managed_by(g.user) or "admin" in g.roles,
        **labels(),
    )


def staff_of_or_403(org_id):
    """The organization's managers and staff (and headquarters) add its programs."""
    organization = organization_or_404(org_id)
    works_there = (
        g.user is not None
        and organization.memberships.where(
            models.OrganizationMember.user == g.user,
            models.OrganizationMember.is_active,
            models.OrganizationMember.role.in_(models.OrganizationMember.STAFF),
        ).exists()
    )
    if not (works_there or "admin" in g.roles):
        abort(403)
    return organization


@bp.get("/<int:org_id>/programs/new")
@auth.signed_in_only
def new_program(org_id):
    organization = staff_of_or_403(org_id)
    action = url_for("orgs.create_program", org_id=organization.id)
    return center_views.render_program_form(organization, action, center_views.new_program_form())


@bp.post("/<int:org_id>/programs/new")
@auth.signed_in_only
def create_program(org_id):
    organization = staff_of_or_403(org_id)
    action = url_for("orgs.create_program", org_id=organization.id)
    return center_views.add_program(organization, action, organization=organization)


@bp.post("/<int:org_id>/join")
@auth.signed_in_only
def join(org_id):
    organization = organization_or_404(org_id)
    if organizations.ask_to_join(organization, g.user):
        flash(_("Your request is sent. A manager of %(name)s will answer it.", name=organization.name))
    else:
        flash(_("You are already a member of %(name)s, or your request is waiting.", name=organization.name))
    return redirect(url_for("orgs.show", org_id=organization.id))


def places_of(organization):
    """The county's cities and neighborhoods an organization may serve."""
    county = organization.county
    return list(
        models.Area.select()
        .where(models.Area.path.startswith(county.path), models.Area.kind.in_(("city", "district", "neighborhood")))
        .order_by(models.Area.path)
        .limit(300)
    )


@bp.get("/<int:org_id>/edit")
@auth.signed_in_only
def edit(org_id):
    organization = managed_or_403(org_id)
    form = Form(about=organization.about, contact=organization.contact, wanted=organization.volunteers_wanted)
    selected = {
        "area": {str(row.area_id) for row in organization.areas},
        "activity": {str(row.activity_type_id) for row in organization.activities},
    }
    return render_edit(organization, form, selected)


def render_edit(organization, form, selected, status=200):
    return (
        render_template(
            "orgs/edit.html",
            organization=organization,
            form=form,
            selected=selected,
            places=places_of(organization),
            activity_types=catalog().activity_types,
        ),
        status,
    )


@bp.post("/<int:org_id>/edit")
@auth.signed_in_only
def update(org_id):
    organization = managed_or_403(org_id)
    form = Form(request.form)
    selected = {name: {persian.normalize(v) for v in request.form.getlist(name)} for name in ("area", "activity")}
    if len(form["about"]) > ABOUT_MAX:
        form.error("about", _l("Write at most %(count)s letters.", count=ABOUT_MAX))
    if len(form["wanted"]) > ABOUT_MAX:
        form.error("wanted", _l("Write at most %(count)s letters.", count=ABOUT_MAX))
    if len(form["contact"]) > CONTACT_MAX:
        form.error("contact", _l("Write at most %(count)s letters.", count=CONTACT_MAX))
    places = {str(area.id) for area in places_of(organization)}
    if not selected["area"] <= places:
        form.error("area", _l("Choose places of the county from the list."))
    activities = [item for item in catalog().activity_types if str(item.id) in selected["activity"]]
    if len(activities) != len(selected["activity"]):
        form.error("activity", _l("Choose kinds of activity from the list."))
    if not form.ok:
        return render_edit(organization, form, selected, 422)
    organizations.set_organization_lists(
        organization,
        [int(area) for area in selected["area"]],
        [item.id for item in activities],
        g.user,
        about=form["about"],
        contact=form["contact"],
        volunteers_wanted=form["wanted"],
    )
    flash(_("The page of %(name)s is saved.", name=organization.name))
    return redirect(url_for("orgs.show", org_id=organization.id))


@bp.get("/<int:org_id>/members")
@auth.signed_in_only
def members(org_id):
    return render_members(managed_or_403(org_id), Form(role="staff"))


def render_members(organization, form, status=200):
    rows = (
        models.OrganizationMember.select(models.OrganizationMember, models.User)
        .join(models.User)
        .where(models.OrganizationMember.organization == organization)
        .order_by(models.OrganizationMember.is_active, models.User.name)
    )
    return (
        render_template("orgs/members.html", organization=organization, members=list(rows), form=form, **labels()),
        status,
    )


@bp.post("/<int:org_id>/members")
@auth.signed_in_only
def add_member(org_id):
    """A manager adds a member by phone number, or accepts or removes one of
    the members (named by their account, not their number)."""
    organization = managed_or_403(org_id)
    form = Form(request.form)
    if form["role"] not in ROLE_LABELS:
        form.error("role", _l("Choose a role."))
    if form["member"]:
        user = (
            models.User.select()
            .join(models.OrganizationMember)
            .where(
                models.OrganizationMember.organization == organization,
                models.User.id == (persian.whole_number(form["member"]) or 0),
            )
            .first()
        ) or abort(404)
    else:
        phone = form.phone()
        user = models.User.by_phone(phone) if phone else None
        if phone and user is None:
            form.error("phone", _l("No member has this number. They sign up first, then you add them."))
    if not form.ok:
        return render_members(organization, form, 422)
    if form["remove"] == "1":
        if user.id == g.user.id:
            abort(400)
        organizations.remove_membership(organization, user.id, g.user)
        flash(_("%(name)s is no longer a member.", name=user.name))
    else:
        organizations.set_membership(organization, user, form["role"], g.user)
        flash(_("%(name)s is a member as %(role)s.", name=user.name, role=ROLE_LABELS[form["role"]]))
    return redirect(url_for("orgs.members", org_id=organization.id))


@bp.get("/new")
@auth.requires_role("admin")
def new():
    return render_new(Form(kind="charity"))


def render_new(form, status=200):
    return render_template("orgs/new.html", form=form, counties=counties(), **labels()), status


@bp.post("/new")
@auth.requires_role("admin")
def create():
    """Headquarters opens an organization's page and names its first manager."""
    form = Form(request.form)
    name = form.text("name", NAME_MAX, 3, _l("Write the organization's name."))
    if name and models.Organization.select().where(models.Organization.name == name).exists():
        form.error("name", _l("An organization with this name already has a page."))
    if form["kind"] not in KIND_LABELS:
        form.error("kind", _l("Choose what kind of organization it is."))
    county = models.Area.get_or_none(
        models.Area.id == (persian.whole_number(form["county"]) or 0), models.Area.kind == "county"
    )
    if county is None:
        form.error("county", _l("Choose the county where it works."))
    phone = form.phone("manager")
    manager = models.User.by_phone(phone) if phone else None
    if phone and manager is None:
        form.error("manager", _l("No member has this number. They sign up first, then you add them."))
    if not form.ok:
        return render_new(form, 422)
    try:
        with models.write_transaction():  # the page, its manager and its assembly, or nothing
            organization = models.Organization.create(name=name, kind=form["kind"], county=county)
            audit.record_audit("organization.created", actor=g.user, subject=f"org:{organization.id}")
            organizations.set_membership(organization, manager, "manager", g.user)
            if form["assembly"] == "1":
                organizations.join_assembly(organization, g.user)
    except IntegrityError:  # the same name sent twice at once
        form.error("name", _l("An organization with this name already has a page."))
        return render_new(form, 422)
    flash(_("The page of %(name)s is open. Its manager can now fill it in.", name=name))
    return redirect(url_for("orgs.show", org_id=organization.id))


# --- The assembly ---------------------------------------------------------------------


def assembly_or_404(assembly_id):
    return models.Assembly.get_or_none(models.Assembly.id == assembly_id) or abort(404)


def member_organizations(assembly):
    """The assembly's member organizations the signed-in member works for."""
    if g.user is None:
        return []
    return list(
        models.Organization.select()
        .join(models.OrganizationMember)
        .where(
            models.Organization.assembly == assembly,
            models.OrganizationMember.user == g.user,
            models.OrganizationMember.is_active,
            models.OrganizationMember.role.in_(models.OrganizationMember.STAFF),
        )
    )


@bp.get("/assemblies/<int:assembly_id>")
def assembly(assembly_id):
    item = assembly_or_404(assembly_id)
    return render_assembly(item, Form(form_key=new_key(), kind="experience", period="month"))


def render_assembly(item, form, status=200):
    capacity = organizations.assembly_capacity(item)
    area_ids = {area_id for _category, area_id in capacity if area_id}
    names = {area.id: area.name for area in models.Area.select().where(models.Area.id.in_(list(area_ids)))}
    names[item.county_id] = _("Whole county")
    by_category = {}
    for (category, _area), amount in capacity.items():
        by_category[category] = by_category.get(category, 0) + amount
    mine = member_organizations(item)
    # The members' posts may speak of families: they stay within the assembly.
    posts = []
    if mine or "admin" in g.roles:
        posts = (
            models.AssemblyPost.select(models.AssemblyPost, models.Organization)
            .join(models.Organization)
            .where(models.AssemblyPost.assembly == item)
            .order_by(models.AssemblyPost.created_at.desc())
            .limit(30)
        )
    return (
        render_template(
            "orgs/assembly.html",
            assembly=item,
            members=list(item.members.order_by(models.Organization.name)),
            posts=list(posts),
            category_totals=[(CAPACITY_LABELS[c], by_category[c]) for c in CAPACITY_LABELS if c in by_category],
            capacity_rows=sorted(
                ((CAPACITY_LABELS[c], names.get(a, _("Whole county")), amount) for (c, a), amount in capacity.items()),
                key=lambda row: (str(row[0]), str(row[1])),
            ),
            mine=mine,
            places=places_of(mine[0]) if mine else [],
            form=form,
            post_kinds=POST_KIND_LABELS,
            capacity_labels=CAPACITY_LABELS,
            period_labels=PERIOD_LABELS,
            **labels(),
        ),
        status,
    )


def acting_member(item, form):
    mine = member_organizations(item)
    if not mine:
        abort(403)
    return next((org for org in mine if str(org.id) == form["org"]), mine[0])


@bp.post("/assemblies/<int:assembly_id>/posts")
@auth.signed_in_only
def post(assembly_id):
    item = assembly_or_404(assembly_id)
    form = Form(request.form)
    organization = acting_member(item, form)
    if form["kind"] not in POST_KIND_LABELS:
        form.error("kind", _l("Choose an experience or a lesson."))
    title = form.text("title", models.AssemblyPost.TITLE_MAX, 3, _l("Write a title of at least 3 letters."))
    body = form.text("body", models.AssemblyPost.BODY_MAX, 10, _l("Write at least 10 letters."))
    if not form.ok:
        return render_assembly(item, form, 422)
    with models.write_transaction():
        models.AssemblyPost.insert(
            assembly=item,
            organization=organization,
            author=g.user,
            kind=form["kind"],
            title=title,
            body=body,
            form_key=form.form_key(),
        ).on_conflict_ignore().execute()
    flash(_("Your post is shared with the assembly."))
    return redirect(url_for("orgs.assembly", assembly_id=item.id))


@bp.post("/assemblies/<int:assembly_id>/capacity")
@auth.signed_in_only
def capacity(assembly_id):
    """A member organization states what it can offer; stating a kind and place
    again replaces the earlier amount, and zero removes it."""
    item = assembly_or_404(assembly_id)
    form = Form(request.form)
    organization = acting_member(item, form)
    if form["category"] not in CAPACITY_LABELS:
        form.error("category", _l("Choose what you can offer."))
    if form["period"] not in PERIOD_LABELS:
        form.error("period", _l("Choose the period."))
    quantity = persian.whole_number(form["quantity"].replace(",", "").replace("٬", ""), 1_000_000)
    if quantity is None:
        form.error("quantity", _l("Write how many as a whole number, like 40 (0 removes it)."))
    area = organization.county_id  # the whole county
    if form["area"]:
        if form["area"] not in {str(place.id) for place in places_of(organization)}:
            form.error("area", _l("Choose places of the county from the list."))
        else:
            area = int(form["area"])
    if not form.ok:
        return render_assembly(item, form, 422)
    organizations.state_capacity(organization, form["category"], quantity, form["period"], area, g.user)
    flash(_("The capacity of %(name)s is saved.", name=organization.name))
    return redirect(url_for("orgs.assembly", assembly_id=item.id))
