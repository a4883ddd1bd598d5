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

from hamsayeh.domain import audit, inbox
from models import (
    Area,
    Assembly,
    AssemblyPost,
    AuditEntry,
    Capacity,
    Organization,
    OrganizationActivity,
    OrganizationArea,
    OrganizationMember,
    User,
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


def counties():
    return Area.select().where(Area.kind == "county").order_by(Area.name)


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
    county = organization.county
    with write_transaction():
        Assembly.insert(county=county, name=f"مجمع خیریه‌های {county.name}").on_conflict_ignore().execute()
        assembly = Assembly.get(Assembly.county == county)
        Organization.update(assembly=assembly).where(Organization.id == organization.id).execute()
        audit.record_audit("organization.joined_assembly", actor=actor, subject=f"org:{organization.id}")
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
    """The assembly's combined capacity per month: {(category, area id): amount}."""
    combined = {}
    rows = Capacity.select(Capacity).join(Organization).where(Organization.assembly == assembly)
    for row in rows:
        key = (row.category, row.area_id)
        combined[key] = combined.get(key, 0) + row.quantity * PER_MONTH[row.period]
    return {key: round(amount) for key, amount in combined.items()}


def staff_organizations(user, assembly):
    """The assembly's member organizations where `user` is active staff."""
    return (
        Organization.select()
        .join(OrganizationMember)
        .where(
            Organization.assembly == assembly,
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
