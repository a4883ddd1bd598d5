"""Who may do what: every permission as a plain function of (user, roles, object).

Views load an object and ask here (through one loader per kind of object,
which answers 404 or 403 itself); templates and the menu ask the same
functions, so a rule is written once. `user` may be None (a guest) and
`roles` is the set of the user's roles (empty for a guest). Nothing here
writes, and nothing knows of Flask.
"""

from hamsayeh.domain import facilitators, registry, timebank
from models import STAFF_ROLES, OrganizationMember, TrustedHelper

# --- Site-wide roles ------------------------------------------------------------


def is_headquarters(user, roles):
    """Headquarters (ستاد): the site's administrators."""
    return user is not None and "admin" in roles


def is_volunteer(user, roles):
    return user is not None and "volunteer" in roles


def is_facilitator(user, roles):
    return user is not None and "facilitator" in roles


def is_center_staff(user, roles):
    return user is not None and "center_staff" in roles


def is_staff(user, roles):
    """Anyone whose role shows them other people's data: shorter sessions, no acting for them."""
    return user is not None and bool(set(roles) & STAFF_ROLES)


# --- Places: centers and neighborhoods --------------------------------------------


def works_at(user, roles, center):
    """Headquarters, or the center's own staff."""
    return is_headquarters(user, roles) or (
        is_center_staff(user, roles) and center is not None and user.work_center_id == center.id
    )


def facilitates(user, roles, neighborhood_id):
    """An assigned facilitator of the neighborhood."""
    return (
        is_facilitator(user, roles) and neighborhood_id is not None and facilitators.facilitates(user, neighborhood_id)
    )


# --- Organizations --------------------------------------------------------------------


def _membership(user, organization):
    if user is None:
        return None
    return OrganizationMember.get_or_none(
        OrganizationMember.organization == organization, OrganizationMember.user == user, OrganizationMember.is_active
    )


def manages(user, roles, organization):
    """The organization's active managers, and headquarters."""
    membership = _membership(user, organization)
    return is_headquarters(user, roles) or (membership is not None and membership.role == "manager")


def staff_of(user, roles, organization):
    """The organization's active managers and staff, and headquarters."""
    membership = _membership(user, organization)
    return is_headquarters(user, roles) or (membership is not None and membership.role in OrganizationMember.STAFF)


def registry_organizations(user, roles):
    """The assembly members where `user` is active staff: through them, and only
    them, the user reads and writes the shared registry."""
    if user is None:
        return []
    return list(registry.registry_organizations(user))


# --- People: looking after a member, acting for them ------------------------------------


def looks_after(actor, actor_roles, member):
    """Whether staff `actor` looks after `member` (never a staff account): a
    center's staff its members, a facilitator the neighbors of the
    neighborhoods they are assigned to."""
    if actor is None or member.id == actor.id or set(member.roles()) & STAFF_ROLES:
        return False
    if "center_staff" in actor_roles and actor.work_center_id and timebank.is_center_member(actor.work_center, member):
        return True
    if "facilitator" in actor_roles and member.neighborhood_id:
        return facilitators.facilitates(actor, member.neighborhood_id)
    return False


def may_act_for(actor, actor_roles, person):
    """A trusted helper the person named, or staff who look after them."""
    if actor is None or set(person.roles()) & STAFF_ROLES or not person.is_active:
        return False
    named = TrustedHelper.select().where(TrustedHelper.person == person, TrustedHelper.helper == actor).exists()
    return named or looks_after(actor, actor_roles, person)
