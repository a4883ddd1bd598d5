"""Organizations' portals, their members, the county assembly and its capacity.

A membership is the organization's own business: it opens that organization's
records (and, for an assembly member's staff, the registry) while it lasts,
and never gives or takes a site-wide role. Site-wide roles are given by
administrators only.

A membership is by consent on both sides: a volunteer asks and a manager
accepts; a manager invites by number and the member accepts. An invitation
says nothing to the manager of whether, or whose, the number is: nobody's
name is shown until they accept."""

import datetime

from peewee import IntegrityError

from hamsayeh.domain import assemblies, audit, inbox
from models import (
    Area,
    AssemblyMember,
    AssemblyPost,
    AuditEntry,
    Capacity,
    Organization,
    OrganizationActivity,
    OrganizationApplication,
    OrganizationArea,
    OrganizationMember,
    User,
    made_once,
    utcnow,
    write_transaction,
)

# Capacity per month, whatever period it was given in.
PER_MONTH = {"week": 52 / 12, "month": 1, "year": 1 / 12}


# Each invitation may put a line in someone's inbox: a manager sends at most this many a day.
INVITATIONS_A_DAY = 20


class NameTaken(Exception):
    """Another organization already has a page with this name."""


class TooManyInvitations(Exception):
    """The manager sent INVITATIONS_A_DAY invitations in the last day."""


class AlreadyAnswered(Exception):
    """The application was answered the other way already (declined, or approved)."""


def counties():
    """The counties, by name; never one merged into another (Area.live)."""
    return Area.live().where(Area.kind == "county").order_by(Area.name)


def directory(kind=None, county_id=None, limit=200):
    """Organizations by name, with their county; of a kind, in a county."""
    query = Organization.select(Organization, Area).join(Area, on=(Organization.county == Area.id))
    if kind:
        query = query.where(Organization.kind == kind)
    if county_id is not None:
        query = query.where(Organization.county == county_id)
    return query.order_by(Organization.name).limit(limit)


def name_taken(name):
    return Organization.select().where(Organization.name == name).exists()


def open_organization(name, kind, county, manager, actor, in_assembly=False):
    """Headquarters opens an organization's page with its first manager, and
    joins it to its county's assembly when asked: all of it, or nothing.
    NameTaken when the same name was sent twice at once."""
    try:
        with write_transaction():
            organization = Organization.create(name=name, kind=kind, county=county)
            audit.record_audit("organization.created", actor=actor, subject=f"org:{organization.id}")
            set_membership(organization, manager, "manager", actor)
            if in_assembly:
                join_assembly(organization, actor)
    except IntegrityError as error:
        raise NameTaken(name) from error
    return organization


def places_of(organization, limit=300):
    """The county's cities and neighborhoods an organization may serve."""
    return (
        Area.select()
        .where(Area.path.startswith(organization.county.path), Area.kind.in_(("city", "district", "neighborhood")))
        .order_by(Area.path)
        .limit(limit)
    )


def areas_served(organization):
    return Area.select().join(OrganizationArea).where(OrganizationArea.organization == organization).order_by(Area.name)


def membership(organization, user):
    """`user`'s membership of the organization, active or waiting (None for a guest)."""
    if user is None:
        return None
    return OrganizationMember.get_or_none(
        OrganizationMember.organization == organization, OrganizationMember.user == user
    )


def members_of(organization):
    """Its members and requests to join, the waiting ones first. Invitations
    not yet accepted are not among them: whose number was invited is not
    the organization's to know until they accept."""
    return (
        OrganizationMember.select(OrganizationMember, User)
        .join(User)
        .where(OrganizationMember.organization == organization, ~OrganizationMember.invited)
        .order_by(OrganizationMember.is_active, User.name)
    )


def listed_membership(organization, user_id):
    """One of the memberships or requests `members_of` lists (with its
    account), or None: never an invitation waiting for its answer."""
    return (
        OrganizationMember.select(OrganizationMember, User)
        .join(User)
        .where(
            OrganizationMember.organization == organization,
            OrganizationMember.user == user_id,
            ~OrganizationMember.invited,
        )
        .first()
    )


def set_organization_lists(organization, areas, activities, actor, **fields):
    """Change an organization's page: its fields, places served and activity types."""
    with write_transaction():
        if fields:
            Organization.update(**fields).where(Organization.id == organization.id).execute()
        OrganizationArea.delete().where(OrganizationArea.organization == organization).execute()
        OrganizationArea.insert_many(
            [(organization.id, area) for area in areas], fields=[OrganizationArea.organization, OrganizationArea.area]
        ).execute()
        OrganizationActivity.delete().where(OrganizationActivity.organization == organization).execute()
        OrganizationActivity.insert_many(
            [(organization.id, item) for item in activities],
            fields=[OrganizationActivity.organization, OrganizationActivity.activity_type],
        ).execute()
        audit.record_audit("organization.changed", actor=actor, subject=f"org:{organization.id}")


def ask_to_join(organization, user):
    """A volunteer's request (made once); False when they are already in."""
    with write_transaction():
        if (
            OrganizationMember.select()
            .where(OrganizationMember.organization == organization, OrganizationMember.user == user)
            .exists()
        ):
            return False
        OrganizationMember.insert(
            organization=organization, user=user, role="volunteer", is_active=False
        ).on_conflict_ignore().execute()
        return True


def invite_member(organization, phone, role, actor, now=None):
    """A manager asks whoever holds `phone` to join as `role`. Done alike for
    any number: only an active account that is not already a member or
    asking is invited (a waiting, inactive membership, and a line in their
    inbox); every invitation is audited and counts against the manager's
    daily limit, whatever the number. TooManyInvitations past the limit."""
    now = now or utcnow()
    invited = User.by_phone(phone)
    if invited is not None and not invited.is_active:
        invited = None
    with write_transaction():
        sent_today = AuditEntry.select().where(
            AuditEntry.actor == actor,
            AuditEntry.action == "organization.member_invited",
            AuditEntry.at > now - datetime.timedelta(days=1),
        )
        if sent_today.count() >= INVITATIONS_A_DAY:
            raise TooManyInvitations
        if invited is not None and membership(organization, invited) is None:
            OrganizationMember.insert(
                organization=organization, user=invited, role=role, is_active=False, invited=True
            ).on_conflict_ignore().execute()
            inbox.notify(invited.id, "org_invited", actor=actor)
        audit.record_audit(
            "organization.member_invited",
            actor=actor,
            subject=audit.phone_subject(phone),
            detail=f"org:{organization.id} {role}",
        )


def invitations_of(user):
    """The invitations waiting for `user`'s answer, with their organizations."""
    return (
        OrganizationMember.select(OrganizationMember, Organization)
        .join(Organization)
        .where(OrganizationMember.user == user, OrganizationMember.invited, ~OrganizationMember.is_active)
        .order_by(OrganizationMember.id)
    )


def invitation_for(user, organization_id):
    """`user`'s invitation to the organization, waiting for their answer, or None."""
    return invitations_of(user).where(OrganizationMember.organization == organization_id).first()


def answer_invitation(invitation, accept):
    """The invited member's answer: accepting makes the membership active (only
    now does it open anything); declining leaves nothing behind."""
    with write_transaction():
        if accept:
            OrganizationMember.update(is_active=True, invited=False).where(
                OrganizationMember.id == invitation.id, OrganizationMember.invited
            ).execute()
        else:
            OrganizationMember.delete().where(
                OrganizationMember.id == invitation.id, OrganizationMember.invited
            ).execute()
        action = "organization.invitation_accepted" if accept else "organization.invitation_declined"
        audit.record_audit(
            action, actor=invitation.user_id, subject=f"org:{invitation.organization_id}", detail=invitation.role
        )


def accept_request(membership, actor):
    """A manager accepts a volunteer's request to join, in the role they asked for."""
    with write_transaction():
        OrganizationMember.update(is_active=True).where(
            OrganizationMember.id == membership.id, ~OrganizationMember.invited
        ).execute()
        audit.record_audit(
            "organization.member",
            actor=actor,
            subject=f"user:{membership.user_id}",
            detail=f"org:{membership.organization_id} {membership.role}",
        )


def set_membership(organization, user, role, actor, active=True):
    """Add or change a member (accepting a request is making it active). What
    the role opens is asked of the membership itself (access.staff_of,
    access.registry_organizations): no site-wide role is given."""
    with write_transaction():
        changed = (
            OrganizationMember.update(role=role, is_active=active)
            .where(OrganizationMember.organization == organization, OrganizationMember.user == user)
            .execute()
        )
        if not changed:
            OrganizationMember.create(organization=organization, user=user, role=role, is_active=active)
        audit.record_audit(
            "organization.member", actor=actor, subject=f"user:{user.id}", detail=f"org:{organization.id} {role}"
        )


def remove_membership(organization, user_id, actor):
    """The member leaves: what the membership opened closes with it, at once."""
    with write_transaction():
        OrganizationMember.delete().where(
            OrganizationMember.organization == organization, OrganizationMember.user == user_id
        ).execute()
        audit.record_audit(
            "organization.member_removed", actor=actor, subject=f"user:{user_id}", detail=f"org:{organization.id}"
        )


def join_assembly(organization, actor):
    """Make the organization a member of its county's assembly (made if needed)."""
    assembly = assemblies.county_assembly(organization.county, actor)
    assemblies.add_member(assembly, organization, actor)
    return assembly


def state_capacity(organization, category, quantity, period, area, actor):
    """Say what the organization can offer of a kind in a place: stated again,
    it replaces the amount; zero removes it."""
    with write_transaction():
        if quantity:
            Capacity.insert(
                organization=organization, category=category, quantity=quantity, period=period, area=area
            ).on_conflict(
                conflict_target=[Capacity.organization, Capacity.category, Capacity.area],
                update={Capacity.quantity: quantity, Capacity.period: period, Capacity.updated_at: utcnow()},
            ).execute()
        else:
            Capacity.delete().where(
                Capacity.organization == organization, Capacity.category == category, Capacity.area == area
            ).execute()
        audit.record_audit("organization.capacity", actor=actor, subject=f"org:{organization.id}", detail=category)


def assembly_capacity(assembly):
    """The assembly's combined capacity per month, with that of the assemblies
    below it (each organization once): {(category, area id): amount}."""
    combined = {}
    members = assemblies.member_ids(assemblies.scope_ids(assembly))
    rows = Capacity.select(Capacity).where(Capacity.organization.in_(list(members)))
    for row in rows:
        key = (row.category, row.area_id)
        combined[key] = combined.get(key, 0) + row.quantity * PER_MONTH[row.period]
    return {key: round(amount) for key, amount in combined.items()}


def staff_organizations(user, assembly):
    """The assembly's member organizations where `user` is active staff."""
    return (
        Organization.select()
        .join(OrganizationMember)
        .switch(Organization)
        .join(AssemblyMember)
        .where(
            AssemblyMember.assembly == assembly,
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(OrganizationMember.STAFF),
        )
        .order_by(Organization.name)
    )


def share_post(assembly, organization, author, kind, title, body, form_key):
    """A member organization's experience or lesson, shared once per form."""
    with write_transaction():
        AssemblyPost.insert(
            assembly=assembly,
            organization=organization,
            author=author,
            kind=kind,
            title=title,
            body=body,
            form_key=form_key,
        ).on_conflict_ignore().execute()


def assembly_posts(assembly, limit=30):
    return (
        AssemblyPost.select(AssemblyPost, Organization)
        .join(Organization)
        .where(AssemblyPost.assembly == assembly)
        .order_by(AssemblyPost.created_at.desc())
        .limit(limit)
    )


def capacity_summary(assembly):
    """The assembly's capacity per month: ({category: amount},
    {(category, area id): amount}, {area id: area}) for the places named."""
    capacity = assembly_capacity(assembly)
    by_category = {}
    for (category, _area), amount in capacity.items():
        by_category[category] = by_category.get(category, 0) + amount
    area_ids = [area_id for _category, area_id in capacity if area_id]
    places = {area.id: area for area in Area.select().where(Area.id.in_(area_ids))}
    return by_category, capacity, places


# --- Organizations apply ---------------------------------------------------------------
#
# A group asks to open its own page; headquarters, or the coordinator of the
# assembly of its district, city or county (access.may_answer_application),
# approves or declines it with a reason, and the applicant hears the answer in
# their inbox. The contact given stays with the application (the reviewers and
# the applicant see it): the page's public contact is its manager's to write.

# Where a group may say it works: a county, or a municipal district of one.
APPLICATION_AREA_KINDS = ("county", "district")


def application_places():
    """The counties and municipal districts an application may name, in the order of the tree."""
    return Area.select().where(Area.kind.in_(APPLICATION_AREA_KINDS)).order_by(Area.path)


def county_of(area):
    """The county that holds `area` (the area itself when it is one); in a
    tree without counties, its city; None when it has neither."""
    chain = [area, *reversed(area.ancestors())]
    return next((a for a in chain if a.kind == "county"), None) or next((a for a in chain if a.kind == "city"), None)


def application_waiting(name, other_than=""):
    """Whether an application for an organization of this name waits for its
    answer (but the one form `other_than` made: the same form sent twice)."""
    return (
        OrganizationApplication.select()
        .where(
            OrganizationApplication.name == name,
            OrganizationApplication.status == "pending",
            OrganizationApplication.form_key != other_than,
        )
        .exists()
    )


def apply(applicant, form_key, **fields):
    """The member's application, made once per form (sent twice, the first
    stays). `fields`: name, kind, registration_number, registration_body,
    area, contact_name, contact_phone, about."""

    def make():
        application = OrganizationApplication.create(applicant=applicant, form_key=form_key, **fields)
        audit.record_audit(
            "organization.applied", actor=applicant, subject=f"application:{application.id}", detail=fields["kind"]
        )
        return application

    return made_once(OrganizationApplication, form_key, make)


def applications_of(user):
    """The member's applications, the latest first, with the page each opened."""
    return (
        OrganizationApplication.select()
        .where(OrganizationApplication.applicant == user)
        .order_by(OrganizationApplication.created_at.desc(), OrganizationApplication.id.desc())
    )


def applications_to_answer(within=None, status="pending", limit=200):
    """Applications of `status`, the oldest first, with their areas and
    applicants; `within`: only those whose area is under one of these areas
    (a coordinator's), None: all (headquarters)."""
    query = (
        OrganizationApplication.select(OrganizationApplication, Area, User)
        .join(Area, on=(OrganizationApplication.area == Area.id))
        .switch(OrganizationApplication)
        .join(User, on=(OrganizationApplication.applicant == User.id))
        .where(OrganizationApplication.status == status)
    )
    if within is not None:
        if not within:
            return query.where(OrganizationApplication.id.is_null())
        condition = None
        for area in within:
            match = Area.path.startswith(area.path)
            condition = match if condition is None else (condition | match)
        query = query.where(condition)
    order = OrganizationApplication.created_at if status == "pending" else OrganizationApplication.decided_at.desc()
    return query.order_by(order, OrganizationApplication.id).limit(limit)


def approve(application, actor):
    """Open the organization's page, with the applicant as its active manager:
    all of it, or nothing. Approved twice (or by two reviewers at once), it
    opens one page and returns it. NameTaken when another page took the name
    meanwhile; AlreadyAnswered when it was declined."""
    try:
        with write_transaction():
            current = OrganizationApplication.get_by_id(application.id)
            if current.status == "approved":
                return current.organization
            if current.status != "pending":
                raise AlreadyAnswered
            area = current.area
            county = county_of(area) or area
            organization = Organization.create(
                name=current.name,
                kind=current.kind,
                county=county,
                about=current.about,
                registration_number=current.registration_number,
                registration_body=current.registration_body,
            )
            if area.id != county.id:
                OrganizationArea.create(organization=organization, area=area)
            OrganizationMember.insert(
                organization=organization, user=current.applicant_id, role="manager", is_active=True
            ).on_conflict_ignore().execute()
            OrganizationApplication.update(
                status="approved", organization=organization, decided_by=actor, decided_at=utcnow()
            ).where(OrganizationApplication.id == current.id, OrganizationApplication.status == "pending").execute()
            audit.record_audit(
                "organization.created",
                actor=actor,
                subject=f"org:{organization.id}",
                detail=f"application:{current.id}",
            )
            audit.record_audit(
                "organization.member",
                actor=actor,
                subject=f"user:{current.applicant_id}",
                detail=f"org:{organization.id} manager",
            )
            inbox.notify(current.applicant_id, "org_approved", actor=actor)
            return organization
    except IntegrityError as error:
        # Two approvals at once (PostgreSQL): the first opened the page.
        current = OrganizationApplication.get_by_id(application.id)
        if current.status == "approved":
            return current.organization
        raise NameTaken(application.name) from error


def decline(application, actor, reason):
    """Decline with a reason, which the applicant reads. Declined twice, the
    first reason stays; AlreadyAnswered when it was approved."""
    with write_transaction():
        current = OrganizationApplication.get_by_id(application.id)
        if current.status == "declined":
            return
        if current.status != "pending":
            raise AlreadyAnswered
        OrganizationApplication.update(status="declined", reason=reason, decided_by=actor, decided_at=utcnow()).where(
            OrganizationApplication.id == current.id
        ).execute()
        audit.record_audit("organization.application_declined", actor=actor, subject=f"application:{current.id}")
        inbox.notify(current.applicant_id, "org_declined", actor=actor)
