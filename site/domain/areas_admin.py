"""Headquarters keeps the area tree (issue 18): add, rename, move and merge
areas, and put a province, county or city under new management.

Each change is one transaction that also writes the tree's history (who,
when and why: `AreaChange`) and the audit log; the same form sent twice
makes its change once. Each server process's copy of the tree
(web/catalog.py) needs nothing from here: every write to the area table
raises the catalog's revision (migration 0007), in the same transaction.

A merge moves everything that points at the old area to the survivor. What
points at an area is read from the models themselves (`Area._meta.backrefs`),
so that a table added later is moved too; the few references a merge leaves
alone are named, with their reason, in KEPT_ON_MERGE and MOVED_APART."""

import json

from peewee import SQL, Field, ModelIndex, SqliteDatabase, Value, fn

from hamsayeh import persian
from hamsayeh.domain import access, audit, volunteers
from models import STAFF_ROLES, Area, AreaChange, AreaManager, User, VolunteerProfile, db, utcnow, write_transaction

# The kinds an area of each kind may sit under: a neighborhood under a
# district, or under a city that has no districts; a province at the top.
PARENT_KINDS = {
    "province": (None,),
    "county": ("province",),
    "city": ("province", "county"),
    "district": ("county", "city"),
    "neighborhood": ("city", "district"),
}
# What headquarters may put under a manager of its own.
MANAGED_KINDS = ("province", "county", "city")
NAME_MAX = 120
REASON_MAX = 500
PATH_MAX = 255

# References to an area that a merge leaves where they are, and why.
KEPT_ON_MERGE = {
    "area_change.area": "the old area's own history stays with it",
    "area_change.other": "the history names the places as they were at the time",
}
# References a merge moves itself, not by a plain update.
MOVED_APART = {
    "area.parent": "the old area's children move under the survivor with their subtrees (their paths rewritten)",
}


class TreeError(ValueError):
    """Why a change to the tree cannot be made. `code`: "kind" (that kind does
    not belong under that parent), "name_taken" (a sibling has the name;
    `detail` is that area), "merged_name" (an area merged into `detail` had
    the name there), "merged" (the area was merged already), "inside" (an area
    cannot go under itself), "same_place", "same", "kinds_differ",
    "children_clash" (`detail`: the names both have), "both_have" (`detail`:
    the table of which each area has its one row), "too_deep", "not_staff",
    "not_managed" (that kind is not put under a manager)."""

    def __init__(self, code, detail=None):
        super().__init__(code)
        self.code = code
        self.detail = detail


def field_key(field):
    """A foreign key's name, as "table.column"."""
    return f"{field.model._meta.table_name}.{field.name}"


def area_foreign_keys():
    """Every foreign key to an area, of every model."""
    return list(Area._meta.backrefs)


def merge_fields():
    """The foreign keys a merge moves by updating them, in the models' order."""
    skipped = KEPT_ON_MERGE.keys() | MOVED_APART.keys()
    return [field for field in area_foreign_keys() if field_key(field) not in skipped]


def search_key(name, name_en):
    return persian.fold(f"{name} {name_en}")


def allowed_kinds(parent):
    """The kinds of area that may be added under `parent` (None: the top)."""
    kind = parent.kind if parent is not None else None
    return [child for child, parents in PARENT_KINDS.items() if kind in parents]


def parent_kinds(area):
    return [kind for kind in PARENT_KINDS[area.kind] if kind is not None]


def merged_path(area_id):
    """Where a merged area's path points: outside the tree (no area has id 0),
    so that no subtree's prefix ever matches it."""
    return f"/0/{area_id}/"


def _lock_tree():
    """One change to the tree at a time (SQLite's write lock already does it):
    the checks of a move or a merge hold until it is written."""
    if not isinstance(db.obj, SqliteDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(7243018)")


def _once(form_key, make):
    """The change this form made, or `make()` it now: under the tree's lock,
    so that a form sent twice at once finds the first (any other failure is
    left to rise, and the transaction undoes everything)."""
    with write_transaction():
        _lock_tree()
        found = AreaChange.get_or_none(AreaChange.form_key == form_key)
        return found if found is not None else make()


def _fresh(area):
    return Area.get_by_id(area.id) if area is not None else None


def _live(*areas):
    for area in areas:
        if area is not None and area.merged_into_id is not None:
            raise TreeError("merged", area.survivor())


def _siblings(parent):
    return Area.select().where(Area.parent.is_null() if parent is None else Area.parent == parent.id)


def _check_name_free(parent, name, area=None):
    found = _siblings(parent).where(Area.name == name)
    if area is not None:
        found = found.where(Area.id != area.id)
    taken = found.first()
    if taken is not None:
        raise TreeError("merged_name", taken.survivor()) if taken.merged_into_id else TreeError("name_taken", taken)


def _record(action, area, actor, reason, form_key, other=None, **detail):
    change = AreaChange.create(
        area=area,
        action=action,
        other=other,
        actor=actor,
        reason=reason,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
        form_key=form_key,
    )
    audit.record_audit(f"area.{action}", actor=actor, subject=f"area:{area.id}", detail=f"change:{change.id}")
    return change


# --- Adding and renaming ---------------------------------------------------------------


def add_area(parent, kind, name, name_en, actor, reason, form_key):
    """A new area under `parent` (None: a province); its history's first line."""

    def make():
        fresh = _fresh(parent)
        _live(fresh)
        if kind not in allowed_kinds(fresh):
            raise TreeError("kind")
        _check_name_free(fresh, name)
        prefix = fresh.path if fresh is not None else "/"
        area = Area.create(parent=fresh, kind=kind, name=name, name_en=name_en, search_key=search_key(name, name_en))
        area.path = f"{prefix}{area.id}/"
        if len(area.path) > PATH_MAX:
            raise TreeError("too_deep")
        Area.update(path=area.path).where(Area.id == area.id).execute()
        after = {"name": name, "name_en": name_en, "kind": kind}
        return _record("add", area, actor, reason, form_key, other=fresh, after=after)

    return _once(form_key, make)


def rename_area(area, name, name_en, actor, reason, form_key):
    """New Persian and English names; the history keeps the old ones."""

    def make():
        fresh = _fresh(area)
        _live(fresh)
        _check_name_free(fresh.parent, name, fresh)
        Area.update(name=name, name_en=name_en, search_key=search_key(name, name_en)).where(
            Area.id == fresh.id
        ).execute()
        before = {"name": fresh.name, "name_en": fresh.name_en}
        return _record(
            "rename", fresh, actor, reason, form_key, before=before, after={"name": name, "name_en": name_en}
        )

    return _once(form_key, make)


# --- Moving ----------------------------------------------------------------------------


def _rewrite_paths(area, new_parent):
    """Put `area` (live) under `new_parent` and rewrite the paths of its whole subtree at once."""
    old_prefix, new_prefix = area.path, f"{new_parent.path}{area.id}/"
    longest = Area.select(fn.MAX(fn.LENGTH(Area.path))).where(Area.path.startswith(old_prefix)).scalar()
    if longest - len(old_prefix) + len(new_prefix) > PATH_MAX:
        raise TreeError("too_deep")
    Area.update(path=Value(new_prefix).concat(fn.SUBSTR(Area.path, len(old_prefix) + 1))).where(
        Area.path.startswith(old_prefix)
    ).execute()
    Area.update(parent=new_parent).where(Area.id == area.id).execute()
    return new_prefix


def _refresh_volunteers(path):
    """Volunteers keep their neighborhood's district and city beside it (for
    matching): set them again for every neighborhood under `path`."""
    hoods = (
        VolunteerProfile.select(VolunteerProfile.neighborhood)
        .join(Area, on=(VolunteerProfile.neighborhood == Area.id))
        .where(Area.path.startswith(path))
        .distinct()
    )
    places = {}
    for row in hoods:
        hood = Area.get_by_id(row.neighborhood_id)
        district, city = hood.parent or hood, volunteers.city_of(hood)
        places.setdefault((district.id, city.id), []).append(hood.id)
    for (district, city), ids in places.items():
        VolunteerProfile.update(district=district, city=city).where(VolunteerProfile.neighborhood.in_(ids)).execute()


def move_area(area, new_parent, actor, reason, form_key):
    """Put `area` and everything under it beneath `new_parent`, whose kind
    must fit (PARENT_KINDS)."""

    def make():
        fresh, parent = _fresh(area), _fresh(new_parent)
        _live(fresh, parent)
        if parent.path.startswith(fresh.path):
            raise TreeError("inside")
        if parent.id == fresh.parent_id:
            raise TreeError("same_place")
        if parent.kind not in PARENT_KINDS[fresh.kind]:
            raise TreeError("kind")
        _check_name_free(parent, fresh.name, fresh)
        before = {"parent": fresh.parent_id, "path": fresh.path}
        path = _rewrite_paths(fresh, parent)
        _refresh_volunteers(path)
        return _record(
            "move",
            fresh,
            actor,
            reason,
            form_key,
            other=parent,
            before=before,
            after={"parent": parent.id, "path": path},
        )

    return _once(form_key, make)


# --- Merging ---------------------------------------------------------------------------


def _unique_partners(field):
    """For each unique index of `field`'s table that holds it with other
    columns, those other columns: the rows that would repeat one another."""
    for index in field.model._meta.indexes:
        if isinstance(index, ModelIndex):
            # A partial index (one active crisis per area) holds only some rows: never a reason to drop one.
            if not index._unique or index._where is not None:
                continue
            columns, unique = [part.name for part in index._expressions if isinstance(part, Field)], True
        else:
            columns, unique = index
        if unique and field.name in columns and len(columns) > 1:
            yield [field.model._meta.fields[name] for name in columns if name != field.name]


def _drop_repeats(field, old, survivor):
    """Delete the old area's rows that the survivor already has (the same
    link under a unique index, like a facilitator assigned to both): the
    survivor's row stands for both. How many were dropped."""
    dropped = 0
    model = field.model
    for partners in _unique_partners(field):
        twin = model.alias()
        same = [getattr(twin, other.name) == other for other in partners]
        repeat = twin.select(SQL("1")).where(getattr(twin, field.name) == survivor.id, *same)
        dropped += model.delete().where(field == old.id, fn.EXISTS(repeat)).execute()
    return dropped


def holdings(area):
    """{"table.column": how many rows point at `area`} for what a merge would
    move, without the empty ones; and its children."""
    found = {}
    for field in merge_fields():
        count = field.model.select().where(field == area.id).count()
        if count:
            found[field_key(field)] = count
    children = Area.live().where(Area.parent == area.id).count()
    if children:
        found["area.parent"] = children
    return found


def merge_areas(old, survivor, actor, reason, form_key):
    """Move everything that points at `old` to `survivor` (of the same kind),
    in one transaction: its children with their subtrees, and every row of
    every table that names it. `old` stays, merged, so that its history and
    its old address (which leads to the survivor) remain."""

    def make():
        gone, kept = _fresh(old), _fresh(survivor)
        if gone.id == kept.id:
            raise TreeError("same")
        _live(gone, kept)
        if gone.kind != kept.kind:
            raise TreeError("kinds_differ")
        kept_names = {row.name for row in _siblings(kept).where(Area.merged_into.is_null())}
        children = list(_siblings(gone))
        clash = sorted(child.name for child in children if child.merged_into_id is None and child.name in kept_names)
        if clash:
            raise TreeError("children_clash", clash)
        for field in merge_fields():
            both = (
                [field.model.select().where(field == area.id).exists() for area in (kept, gone)] if field.unique else ()
            )
            if all(both) and both:
                raise TreeError("both_have", field.model._meta.table_name)
        all_kept_names = {row.name for row in _siblings(kept)}
        for child in children:
            if child.merged_into_id is None:
                _rewrite_paths(child, kept)
            elif child.name not in all_kept_names:
                # A merged child keeps its name under the survivor: adding it again finds its survivor.
                Area.update(parent=kept).where(Area.id == child.id).execute()
        moved, dropped = {}, {}
        for field in merge_fields():
            repeats = _drop_repeats(field, gone, kept)
            if repeats:
                dropped[field_key(field)] = repeats
            count = field.model.update({field: kept.id}).where(field == gone.id).execute()
            if count:
                moved[field_key(field)] = count
        Area.update(merged_into=kept, merged_at=utcnow(), path=merged_path(gone.id)).where(Area.id == gone.id).execute()
        _refresh_volunteers(kept.path)
        before = {"parent": gone.parent_id, "path": gone.path, "children": len(children)}
        return _record("merge", gone, actor, reason, form_key, other=kept, before=before, moved=moved, dropped=dropped)

    return _once(form_key, make)


# --- Managers of a subtree -------------------------------------------------------------


def kept_areas(user, roles):
    """The subtrees `user` keeps: None (all of Iran) for headquarters, else
    the areas they manage."""
    return None if access.is_headquarters(user, roles) else managed_areas(user)


def managed_areas(user):
    """The areas whose subtrees `user` manages, by name."""
    if user is None:
        return []
    return list(
        Area.select()
        .join(AreaManager, on=(AreaManager.area == Area.id))
        .where(AreaManager.user == user)
        .order_by(Area.name)
    )


def is_area_manager(user):
    return user is not None and AreaManager.select().where(AreaManager.user == user).exists()


def manages(user, area):
    """Whether `area` lies in a subtree put under `user`."""
    if user is None or area is None or area.merged_into_id is not None:
        return False
    return any(area.path.startswith(root.path) for root in managed_areas(user))


def managers_of(area):
    return (
        User.select(User, AreaManager)
        .join(AreaManager, on=(AreaManager.user == User.id))
        .where(AreaManager.area == area)
        .order_by(User.name)
    )


def add_manager(area, member, actor, reason, form_key):
    """Put `area`'s subtree under `member`, a staff account (whose sessions are
    a staff member's: shorter, never acted for)."""

    def make():
        fresh = _fresh(area)
        _live(fresh)
        if fresh.kind not in MANAGED_KINDS:
            raise TreeError("not_managed")
        if not member.is_active or not set(member.roles()) & STAFF_ROLES:
            raise TreeError("not_staff")
        AreaManager.insert(area=fresh, user=member, assigned_by=actor).on_conflict_ignore().execute()
        return _record("manager_added", fresh, actor, reason, form_key, after={"user": member.id})

    return _once(form_key, make)


def remove_manager(area, member, actor, reason, form_key):
    def make():
        AreaManager.delete().where(AreaManager.area == area, AreaManager.user == member).execute()
        return _record("manager_removed", area, actor, reason, form_key, before={"user": member.id})

    return _once(form_key, make)


# --- Reading the tree ------------------------------------------------------------------


def history(area):
    """Every change that concerns `area` (its own, and those that named it:
    a child added or moved in, an area merged into it), newest first."""
    return (
        AreaChange.select(AreaChange, User)
        .join(User, on=(AreaChange.actor == User.id))
        .where((AreaChange.area == area.id) | (AreaChange.other == area.id))
        .order_by(AreaChange.at.desc(), AreaChange.id.desc())
    )


def change_detail(change):
    return json.loads(change.detail) if change.detail else {}


def find_areas(text, within=None, kinds=None):
    """Live areas whose folded names hold the folded `text`, within the
    subtrees of `within` (a list of areas; None: anywhere); shorter names first."""
    key = persian.fold(text)
    found = Area.live().where(Area.search_key.contains(key)) if key else Area.live()
    if kinds:
        found = found.where(Area.kind.in_(kinds))
    if within is not None:
        if not within:
            return found.where(SQL("1 = 0"))
        scope = Area.path.startswith(within[0].path)
        for root in within[1:]:
            scope |= Area.path.startswith(root.path)
        found = found.where(scope)
    return found.order_by(fn.LENGTH(Area.name), Area.name, Area.id)


def live_children(area):
    """An area's children (the provinces for None), shorter names first."""
    return Area.roots() if area is None else area.sorted_children()
