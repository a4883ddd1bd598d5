"""Assemblies of charities at every level: a county's, a city's, a municipal
district's (Tehran has one in each of its 22 districts). Each may have a
parent, nearer the top of the area tree: a city's assembly over its
districts'. Headquarters makes them, adds and removes member organizations
and names a coordinator; an organization may belong to several.

What an assembly "sees": its own registry in full (for its members, by the
registry's rules), and below it only what its children's reports show, counts
and pseudonymous references, never a name or a number (see registry.py)."""

from peewee import IntegrityError

from hamsayeh.domain import audit
from models import Area, Assembly, AssemblyMember, Organization, write_transaction

# The area kind each level of assembly stands on, and the levels its parent may be.
PARENT_LEVELS = {"county": (), "city": ("county",), "district": ("county", "city")}


class AssemblyError(Exception):
    """A rule of the tree of assemblies was broken: `field` names the form's
    field, `code` the reason (views word it)."""

    def __init__(self, field, code):
        super().__init__(f"{field}: {code}")
        self.field, self.code = field, code


# --- Reading the tree ------------------------------------------------------------------


def of_area(area):
    """The assembly standing on exactly this area, or None."""
    return Assembly.get_or_none(Assembly.area == area)


def of_district(area):
    """The assembly of the municipal district that holds `area` (a district,
    or a neighborhood of one), or None."""
    if area is None:
        return None
    district = next((a for a in [area, *reversed(area.ancestors())] if a.kind == "district"), None)
    return of_area(district) if district is not None else None


def nearest(area):
    """The assembly of `area` or of its nearest ancestor that has one (a
    neighborhood's district, else its city, else its county), or None."""
    if area is None:
        return None
    ids = [area.id, *(a.id for a in reversed(area.ancestors()))]
    found = {a.area_id: a for a in Assembly.select().where(Assembly.area.in_(ids))}
    return next((found[i] for i in ids if i in found), None)


def ancestors(assembly):
    """Its parents, from the top down to its own parent."""
    chain, seen = [], {assembly.id}
    parent_id = assembly.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = Assembly.get_by_id(parent_id)
        chain.append(parent)
        seen.add(parent.id)
        parent_id = parent.parent_id
    return list(reversed(chain))


def children(assembly):
    return Assembly.select().where(Assembly.parent == assembly).order_by(Assembly.name)


def scope_ids(assembly):
    """The ids of the assembly and of every assembly below it: whose records
    its reports count."""
    ids, frontier = [assembly.id], [assembly.id]
    while frontier:
        frontier = [row.id for row in Assembly.select(Assembly.id).where(Assembly.parent.in_(frontier))]
        frontier = [i for i in frontier if i not in ids]
        ids.extend(frontier)
    return ids


def listing():
    """Every assembly with its area, in the order of the area tree (a parent before its children)."""
    return Assembly.select(Assembly, Area).join(Area, on=(Assembly.area == Area.id)).order_by(Area.path)


# --- Members --------------------------------------------------------------------------


def members(assembly):
    """Its member organizations, by name."""
    return (
        Organization.select()
        .join(AssemblyMember)
        .where(AssemblyMember.assembly == assembly)
        .order_by(Organization.name)
    )


def member_ids(assembly_ids):
    """The ids of organizations that belong to any of these assemblies."""
    query = AssemblyMember.select(AssemblyMember.organization).where(AssemblyMember.assembly.in_(list(assembly_ids)))
    return {row.organization_id for row in query}


def assemblies_of(organization):
    """The assemblies an organization belongs to, by name."""
    return (
        Assembly.select()
        .join(AssemblyMember)
        .where(AssemblyMember.organization == organization)
        .order_by(Assembly.name)
    )


def is_member(organization, assembly):
    return (
        AssemblyMember.select()
        .where(AssemblyMember.organization == organization, AssemblyMember.assembly == assembly)
        .exists()
    )


def add_member(assembly, organization, actor):
    """The organization joins the assembly; False when it was a member already."""
    with write_transaction():
        if is_member(organization, assembly):
            return False
        AssemblyMember.insert(assembly=assembly, organization=organization).on_conflict_ignore().execute()
        audit.record_audit(
            "assembly.member_added", actor=actor, subject=f"assembly:{assembly.id}", detail=f"org:{organization.id}"
        )
    return True


def remove_member(assembly, organization, actor):
    """The organization leaves the assembly: its staff no longer reach that
    registry. What it recorded there stays in the assembly's registry."""
    with write_transaction():
        removed = (
            AssemblyMember.delete()
            .where(AssemblyMember.assembly == assembly, AssemblyMember.organization == organization)
            .execute()
        )
        if removed:
            audit.record_audit(
                "assembly.member_removed",
                actor=actor,
                subject=f"assembly:{assembly.id}",
                detail=f"org:{organization.id}",
            )
    return bool(removed)


# --- Making and keeping assemblies ---------------------------------------------------------


def check_new(level, area, parent, name):
    """The first broken rule of a new assembly, as an AssemblyError, or None."""
    if level not in Assembly.LEVELS:
        return AssemblyError("level", "level")
    if area is None or area.kind != level:
        return AssemblyError("area", "kind")
    if of_area(area) is not None:
        return AssemblyError("area", "taken")
    if parent is not None:
        if parent.level not in PARENT_LEVELS[level]:
            return AssemblyError("parent", "level")
        if parent.area_id not in {a.id for a in area.ancestors()}:
            return AssemblyError("parent", "outside")
    if Assembly.select().where(Assembly.name == name).exists():
        return AssemblyError("name", "taken")
    return None


def create(level, area, parent, name, actor):
    """Headquarters makes an assembly of `level` on `area` (whose kind it must
    be), under `parent` (an assembly of an ancestor area, or None). Raises
    AssemblyError for a broken rule, also when the same area or name was
    taken at the same moment."""
    problem = check_new(level, area, parent, name)
    if problem:
        raise problem
    try:
        with write_transaction():
            assembly = Assembly.create(level=level, area=area, parent=parent, name=name)
            audit.record_audit(
                "assembly.created",
                actor=actor,
                subject=f"assembly:{assembly.id}",
                detail=f"{level} area:{area.id} parent:{parent.id if parent else '-'}",
            )
    except IntegrityError as error:
        raise AssemblyError("area" if of_area(area) else "name", "taken") from error
    return assembly


def set_coordinator(assembly, user, actor):
    """Name the member who coordinates the assembly (None: nobody). The
    coordinator answers the applications of organizations of its area."""
    with write_transaction():
        Assembly.update(coordinator=user).where(Assembly.id == assembly.id).execute()
        audit.record_audit(
            "assembly.coordinator",
            actor=actor,
            subject=f"assembly:{assembly.id}",
            detail=f"user:{user.id}" if user else "none",
        )


def coordinated_by(user):
    """The assemblies `user` coordinates."""
    if user is None:
        return Assembly.select().where(Assembly.id.is_null())
    return Assembly.select().where(Assembly.coordinator == user).order_by(Assembly.name)


def county_assembly(county, actor=None):
    """The county's assembly, made (with its usual name) when there is none."""
    assembly = of_area(county)
    if assembly is not None:
        return assembly
    level = county.kind if county.kind in Assembly.LEVELS else "county"
    try:
        with write_transaction():
            assembly = Assembly.create(level=level, area=county, name=f"مجمع خیریه‌های {county.name}")
            audit.record_audit("assembly.created", actor=actor, subject=f"assembly:{assembly.id}", detail="county")
    except IntegrityError:
        assembly = of_area(county)
    return assembly
