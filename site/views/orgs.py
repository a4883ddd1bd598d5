"""Organizations' portals: every NGO, charity, jihadi or community group,
business and government office has a public page; its managers keep it and
its members; volunteers ask to join. A county's assembly of charities shares a
directory, short posts of experience and lessons, and a capacity inventory."""

import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, assemblies, centers, organizations
from hamsayeh.web import auth, programs
from hamsayeh.web.cache import fragment_cache, guest_page
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import digits, local_name

bp = Blueprint("orgs", __name__, url_prefix="/orgs")

ORGANIZATION_KIND_LABELS = dict(
    zip(
        models.Organization.KINDS,
        (
            _l("Charity"),
            _l("NGO"),
            _l("Jihadi group"),
            _l("Community group"),
            _l("Business (social responsibility)"),
            _l("Government office"),
            _l("Mosque"),
            _l("Heyat"),
            _l("People's group"),
        ),
        strict=True,
    )
)
MEMBER_ROLE_LABELS = dict(
    zip(models.OrganizationMember.ROLES, (_l("Manager"), _l("Staff"), _l("Volunteer")), strict=True)
)
ASSEMBLY_POST_KIND_LABELS = dict(zip(models.AssemblyPost.KINDS, (_l("Experience"), _l("Lesson")), strict=True))
CAPACITY_LABELS = dict(
    zip(
        models.Capacity.CATEGORIES,
        (
            _l("Food packages"),
            _l("Medical visits"),
            _l("Tutoring hours"),
            _l("Shelter beds"),
            _l("Clothing sets"),
            _l("Cash aid (families)"),
            _l("Other help"),
        ),
        strict=True,
    )
)
PERIOD_LABELS = dict(zip(models.Capacity.PERIODS, (_l("a week"), _l("a month"), _l("a year")), strict=True))
ABOUT_MAX, CONTACT_MAX, NAME_MAX = 2000, 300, 160
DIRECTORY_KEPT = 512  # directory pages (kind, county, language) kept per server process, about 10 KB each


def labels():
    return {"kind_labels": ORGANIZATION_KIND_LABELS, "role_labels": MEMBER_ROLE_LABELS}


@bp.get("/")
def directory():
    kind = request.args.get("kind") if request.args.get("kind") in models.Organization.KINDS else ""
    county_id = persian.whole_number(request.args.get("county", ""))
    # The same for everyone: rendered again only when an organization or the
    # area tree changed (the "organizations" revision, migration 0034, and the catalog's).
    version = (models.revision("organizations"), catalog().revision)

    def page():
        cache = fragment_cache("orgs-directory", size=DIRECTORY_KEPT)
        key = (kind, county_id, str(get_locale()))
        listing = cache.get(key, version)
        if listing is None:
            # render_template's output is already escaped HTML.
            listing = Markup(  # noqa: S704
                render_template(
                    "orgs/_directory.html",
                    organizations=list(organizations.directory(kind, county_id)),
                    form=Form(kind=kind, county="" if county_id is None else str(county_id)),
                    counties=list(organizations.counties()),
                    **labels(),
                )
            )
            cache.put(key, version, listing)
        return render_template("orgs/directory.html", listing=listing)

    # Made of that part alone for a guest: the whole page is kept while it holds.
    return guest_page("orgs", version, page)


def organization_or_404(org_id):
    return get_object_or_404(models.Organization.select(), models.Organization.id == org_id)


def managed_or_403(org_id):
    """An organization its managers (and headquarters) keep."""
    organization = organization_or_404(org_id)
    if not access.manages(g.user, g.roles, organization):
        abort(403)
    return organization


def staff_of_or_403(org_id):
    """The organization's managers and staff (and headquarters) add its programs."""
    organization = organization_or_404(org_id)
    if not access.staff_of(g.user, g.roles, organization):
        abort(403)
    return organization


@bp.get("/<int:org_id>")
def show(org_id):
    organization = organization_or_404(org_id)
    chosen = {row.activity_type_id for row in organization.activities}
    return render_template(
        "orgs/show.html",
        organization=organization,
        programs=list(centers.upcoming_programs(organization, 10)),
        works_there=access.staff_of(g.user, g.roles, organization),
        areas=list(organizations.areas_served(organization)),
        activities=[item for item in catalog().activity_types if item.id in chosen],
        membership=organizations.membership(organization, g.user),
        manages=access.manages(g.user, g.roles, organization),
        assemblies=list(assemblies.assemblies_of(organization)),
        **labels(),
    )


@bp.get("/<int:org_id>/programs/new")
@auth.signed_in_only
def new_program(org_id):
    organization = staff_of_or_403(org_id)
    action = url_for("orgs.create_program", org_id=organization.id)
    return programs.render_program_form(organization, action, programs.new_program_form())


@bp.post("/<int:org_id>/programs/new")
@auth.signed_in_only
def create_program(org_id):
    organization = staff_of_or_403(org_id)
    action = url_for("orgs.create_program", org_id=organization.id)
    return programs.add_program(organization, action)


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
    return list(organizations.places_of(organization))


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
    rows = list(organizations.members_of(organization))
    return (
        render_template("orgs/members.html", organization=organization, members=rows, form=form, **labels()),
        status,
    )


@bp.post("/<int:org_id>/members")
@auth.signed_in_only
def add_member(org_id):
    """A manager invites someone by phone number, or accepts or removes one of
    the members listed (named by their account, not their number). An
    invitation gets the same answer for any number, names nobody, and opens
    nothing until the invited member accepts it. What a member may do follows
    from the membership alone: it gives no site-wide role."""
    organization = managed_or_403(org_id)
    form = Form(request.form)
    if form["member"]:
        return answer_listed_member(organization, form)
    if form["remove"]:
        abort(400)  # a member is removed from the list, never by number
    if form["role"] not in models.OrganizationMember.ROLES:
        form.error("role", _l("Choose a role."))
    phone = form.phone()
    if form.ok:
        try:
            organizations.invite_member(organization, phone, form["role"], g.user)
        except organizations.TooManyInvitations:
            limit = digits(organizations.INVITATIONS_A_DAY)
            form.error("phone", _l("You sent %(count)s invitations today. Try again tomorrow.", count=limit))
    if not form.ok:
        return render_members(organization, form, 422)
    flash(
        _(
            "If this number has an account, its holder is asked to join as %(role)s. "
            "They are a member once they accept.",
            role=MEMBER_ROLE_LABELS[form["role"]],
        )
    )
    return redirect(url_for("orgs.members", org_id=organization.id))


def answer_listed_member(organization, form):
    """Accept a volunteer's request (in the role they asked for), or remove a
    member or a request. Role changes are an invitation again: the member
    agrees to what their role opens."""
    membership = organizations.listed_membership(organization, persian.whole_number(form["member"]) or 0)
    if membership is None:
        abort(404)
    name = membership.user.name
    if form["remove"] == "1":
        if membership.user_id == g.user.id:
            abort(400)
        organizations.remove_membership(organization, membership.user_id, g.user)
        flash(_("%(name)s is no longer a member.", name=name))
    elif not membership.is_active:
        organizations.accept_request(membership, g.user)
        flash(_("%(name)s is a member as %(role)s.", name=name, role=MEMBER_ROLE_LABELS[membership.role]))
    return redirect(url_for("orgs.members", org_id=organization.id))


@bp.get("/invitations")
@auth.signed_in_only
def invitations():
    """The signed-in member's invitations to organizations, to accept or decline."""
    return render_template("orgs/invitations.html", invitations=list(organizations.invitations_of(g.user)), **labels())


@bp.post("/invitations")
@auth.signed_in_only
def answer_invitation():
    """Only the invited member answers their own invitation."""
    form = Form(request.form)
    invitation = organizations.invitation_for(g.user, persian.whole_number(form["org"]) or 0)
    if invitation is None:
        abort(404)
    accept = form["accept"] == "1"
    organizations.answer_invitation(invitation, accept)
    name = invitation.organization.name
    if accept:
        flash(_("You are a member of %(name)s as %(role)s.", name=name, role=MEMBER_ROLE_LABELS[invitation.role]))
    else:
        flash(_("You declined the invitation of %(name)s.", name=name))
    if form["next"] == "org":  # answered on the organization's page: back to it
        return redirect(url_for("orgs.show", org_id=invitation.organization_id))
    return redirect(url_for("orgs.invitations"))


@bp.get("/new")
@auth.requires(access.may_open_organizations)
def new():
    return render_new(Form(kind="charity"))


def render_new(form, status=200):
    counties = list(organizations.counties())
    return render_template("orgs/new.html", form=form, counties=counties, **labels()), status


@bp.post("/new")
@auth.requires(access.may_open_organizations)
def create():
    """Headquarters opens an organization's page and names its first manager."""
    form = Form(request.form)
    name = form.text("name", NAME_MAX, 3, _l("Write the organization's name."))
    if name and organizations.name_taken(name):
        form.error("name", _l("An organization with this name already has a page."))
    if form["kind"] not in models.Organization.KINDS:
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
        organization = organizations.open_organization(
            name, form["kind"], county, manager, g.user, in_assembly=form["assembly"] == "1"
        )
    except organizations.NameTaken:  # the same name sent twice at once
        form.error("name", _l("An organization with this name already has a page."))
        return render_new(form, 422)
    flash(_("The page of %(name)s is open. Its manager can now fill it in.", name=name))
    return redirect(url_for("orgs.show", org_id=organization.id))


# --- The assembly ---------------------------------------------------------------------


def assembly_or_404(assembly_id):
    return get_object_or_404(models.Assembly.select(), models.Assembly.id == assembly_id)


@bp.get("/assemblies/<int:assembly_id>")
def assembly(assembly_id):
    item = assembly_or_404(assembly_id)
    return render_assembly(item, Form(form_key=new_key(), kind="experience", period="month"))


def render_assembly(item, form, status=200):
    by_category, capacity, places = organizations.capacity_summary(item)

    def place_name(area_id):
        return local_name(places[area_id]) if area_id in places else _("Whole county")

    mine = access.assembly_organizations(g.user, g.roles, item)
    posts = organizations.assembly_posts(item) if access.may_read_assembly_posts(g.user, g.roles, item) else []
    return (
        render_template(
            "orgs/assembly.html",
            assembly=item,
            members=list(assemblies.members(item)),
            parents=assemblies.ancestors(item),
            children=list(assemblies.children(item)),
            posts=list(posts),
            category_totals=[(CAPACITY_LABELS[c], by_category[c]) for c in CAPACITY_LABELS if c in by_category],
            capacity_rows=sorted(
                ((CAPACITY_LABELS[c], place_name(a), amount) for (c, a), amount in capacity.items()),
                key=lambda row: (str(row[0]), str(row[1])),
            ),
            mine=mine,
            places=places_of(mine[0]) if mine else [],
            form=form,
            post_kinds=ASSEMBLY_POST_KIND_LABELS,
            capacity_labels=CAPACITY_LABELS,
            period_labels=PERIOD_LABELS,
            **labels(),
        ),
        status,
    )


def acting_member(item, form):
    """The member organization the signed-in staff member speaks for (their
    choice when they work for several); 403 for anyone else."""
    mine = access.assembly_organizations(g.user, g.roles, item)
    if not mine:
        abort(403)
    return next((org for org in mine if form["org"] in (org.desk, str(org.id))), mine[0])


@bp.post("/assemblies/<int:assembly_id>/posts")
@auth.signed_in_only
def post(assembly_id):
    item = assembly_or_404(assembly_id)
    form = Form(request.form)
    organization = acting_member(item, form)
    if form["kind"] not in models.AssemblyPost.KINDS:
        form.error("kind", _l("Choose an experience or a lesson."))
    title = form.text("title", models.AssemblyPost.TITLE_MAX, 3, _l("Write a title of at least 3 letters."))
    body = form.text("body", models.AssemblyPost.BODY_MAX, 10, _l("Write at least 10 letters."))
    if not form.ok:
        return render_assembly(item, form, 422)
    organizations.share_post(item, organization, g.user, form["kind"], title, body, form.form_key())
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
    if form["category"] not in models.Capacity.CATEGORIES:
        form.error("category", _l("Choose what you can offer."))
    if form["period"] not in models.Capacity.PERIODS:
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


# --- Organizations apply ------------------------------------------------------------------

APPLY_FIELDS = ("name", "kind", "registration_number", "registration_body", "area")
REGISTRATION_NUMBER = re.compile(r"^[0-9][0-9/\-]{0,29}$")


def application_places():
    """(id, "county" or "county › city › district") of the places an application may name."""
    places = list(organizations.application_places())
    names = {place.id: local_name(place) for place in places}
    rows = []
    for place in places:
        if place.kind == "county":
            rows.append((str(place.id), names[place.id]))
        else:
            chain = [local_name(a) for a in place.ancestors() if a.kind in ("county", "city")]
            rows.append((str(place.id), " › ".join([*chain, names[place.id]])))
    return rows


def render_apply(form, status=200):
    mine = list(organizations.applications_of(g.user)) if g.user else []
    return (
        render_template(
            "orgs/apply.html",
            form=form,
            places=application_places(),
            applications=mine,
            **labels(),
        ),
        status,
    )


@bp.get("/apply")
def apply():
    """A group asks to open its page. A guest reads what it takes and signs in
    (or up) first: the answer comes to the applicant's inbox, and the page
    will be theirs to keep. What a guest typed comes back after signing in
    (but the contact's name and number, which stay out of addresses)."""
    form = Form(kind="charity", form_key=new_key())
    for name in APPLY_FIELDS:
        if request.args.get(name):
            form.data[name] = persian.normalize(request.args[name])[:NAME_MAX]
    if g.user is not None:
        form.data.setdefault("contact_name", g.user.name)
        form.data.setdefault("contact_phone", g.user.phone)
    return render_apply(form)


@bp.post("/apply")
def send_application():
    form = Form(request.form)
    if g.user is None:
        kept = {name: form[name] for name in APPLY_FIELDS if form[name]}
        return redirect(url_for("accounts.sign_in", next=url_for("orgs.apply", **kept)))
    name = form.text("name", models.OrganizationApplication.NAME_MAX, 3, _l("Write the organization's name."))
    if name and organizations.name_taken(name):
        form.error("name", _l("An organization with this name already has a page."))
    elif name and organizations.application_waiting(name, other_than=form.form_key()):
        form.error("name", _l("An application for an organization with this name is waiting for its answer."))
    kind = form["kind"]
    if kind not in models.Organization.KINDS:
        form.error("kind", _l("Choose what kind of organization it is."))
    optional = kind in models.Organization.REGISTRATION_OPTIONAL
    number = form["registration_number"].replace(" ", "")
    form.data["registration_number"] = number
    if not number and not optional:
        form.error(
            "registration_number", _l("Write its registration number. Only grassroots groups may leave it empty.")
        )
    elif number and not REGISTRATION_NUMBER.match(number):
        form.error("registration_number", _l("Write the registration number in digits, like 12345."))
    body = form["registration_body"]
    if not body and not optional:
        form.error("registration_body", _l("Write which body registered it, like the Welfare Organization."))
    elif len(body) > models.OrganizationApplication.BODY_MAX:
        form.error(
            "registration_body",
            _l("Write at most %(count)s letters.", count=digits(models.OrganizationApplication.BODY_MAX)),
        )
    places = dict(application_places())
    if form["area"] not in places:
        form.error("area", _l("Choose the county or the district where it works."))
    contact = form.text(
        "contact_name", models.OrganizationApplication.CONTACT_MAX, 2, _l("Write the name of the person to contact.")
    )
    phone = form.phone("contact_phone")
    about = form["about"]
    if len(about) > models.OrganizationApplication.ABOUT_MAX:
        form.error(
            "about", _l("Write at most %(count)s letters.", count=digits(models.OrganizationApplication.ABOUT_MAX))
        )
    if not form.ok:
        return render_apply(form, 422)
    organizations.apply(
        g.user,
        form.form_key(),
        name=name,
        kind=kind,
        registration_number=number,
        registration_body=body,
        area=int(form["area"]),
        contact_name=contact,
        contact_phone=phone,
        about=about,
    )
    flash(_("Your application is sent. You will hear the answer in your inbox."))
    return redirect(url_for("orgs.apply"))


def reviewer_areas():
    """The areas whose applications the reviewer answers: None for headquarters (all)."""
    if access.is_headquarters(g.user, g.roles):
        return None
    return [item.area for item in assemblies.coordinated_by(g.user)]


@bp.get("/applications")
@auth.requires(access.may_review_applications)
def applications():
    within = reviewer_areas()
    return render_template(
        "orgs/applications.html",
        pending=list(organizations.applications_to_answer(within)),
        approved=list(organizations.applications_to_answer(within, "approved", limit=20)),
        declined=list(organizations.applications_to_answer(within, "declined", limit=20)),
        **labels(),
    )


def application_or_404(application_id):
    """An application its reviewer may answer; to anyone else, as if it did not exist."""
    item = get_object_or_404(
        models.OrganizationApplication.select(), models.OrganizationApplication.id == application_id
    )
    if not access.may_answer_application(g.user, g.roles, item):
        abort(404)
    return item


@bp.get("/applications/<int:application_id>")
@auth.requires(access.may_review_applications)
def application(application_id):
    return render_application(application_or_404(application_id), Form())


def render_application(item, form, status=200):
    return (
        render_template(
            "orgs/application.html",
            item=item,
            form=form,
            place=item.area,
            ancestors=item.area.ancestors(),
            name_taken=item.status == "pending" and organizations.name_taken(item.name),
            **labels(),
        ),
        status,
    )


@bp.post("/applications/<int:application_id>/approve")
@auth.requires(access.may_review_applications)
def approve_application(application_id):
    item = application_or_404(application_id)
    form = Form(request.form)
    try:
        organization = organizations.approve(item, g.user)
    except organizations.NameTaken:
        form.error("approve", _l("An organization with this name already has a page. Decline, and say why."))
        return render_application(item, form, 422)
    except organizations.AlreadyAnswered:
        flash(_("This application was already answered."))
        return redirect(url_for("orgs.application", application_id=item.id))
    flash(_("The page of %(name)s is open. Its applicant is its manager.", name=organization.name))
    return redirect(url_for("orgs.show", org_id=organization.id))


@bp.post("/applications/<int:application_id>/decline")
@auth.requires(access.may_review_applications)
def decline_application(application_id):
    item = application_or_404(application_id)
    form = Form(request.form)
    reason = form.text(
        "reason", models.OrganizationApplication.REASON_MAX, 5, _l("Write the reason: the applicant reads it.")
    )
    if not form.ok:
        return render_application(item, form, 422)
    try:
        organizations.decline(item, g.user, reason)
    except organizations.AlreadyAnswered:
        flash(_("This application was already answered."))
        return redirect(url_for("orgs.application", application_id=item.id))
    flash(_("The application is declined. The applicant reads your reason."))
    return redirect(url_for("orgs.applications"))
