"""Organizations' portals, their members, the county assembly and its capacity."""

from hamsayeh.domain import audit
from models import (
    PER_MONTH,
    Assembly,
    Capacity,
    Organization,
    OrganizationActivity,
    OrganizationArea,
    OrganizationMember,
    UserRole,
    utcnow,
    write_transaction,
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


def set_membership(organization, user, role, actor, active=True):
    """Add or change a member (accepting a request is making it active); the
    registry's staff get the charity_staff role, which shows them its pages."""
    with write_transaction():
        changed = (
            OrganizationMember.update(role=role, is_active=active)
            .where(OrganizationMember.organization == organization, OrganizationMember.user == user)
            .execute()
        )
        if not changed:
            OrganizationMember.create(organization=organization, user=user, role=role, is_active=active)
        if active and role in OrganizationMember.STAFF:
            UserRole.insert(user=user, role="charity_staff").on_conflict_ignore().execute()
        audit.record_audit(
            "organization.member", actor=actor, subject=f"user:{user.id}", detail=f"org:{organization.id} {role}"
        )


def remove_membership(organization, user_id, actor):
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
