"""The reference data that nearly every page reads (the area tree and the
activity types), kept in each server process.

A request asks the database for one number, the catalog's revision, which
triggers raise on any write to those tables (migration 0007); the copy in
memory is used only while its revision is current, so it is never stale."""

import threading
from collections import defaultdict

from flask import current_app, g

import models
from hamsayeh.domain.reference import CRISIS_PREFIX


class Catalog:
    def __init__(self, revision):
        self.revision = revision
        areas = list(models.Area.select())
        self.areas = {area.id: area for area in areas}
        # A merged area's id leads to the area it was merged into (areas_admin).
        self.merged = {area.id: area.merged_into_id for area in areas if area.merged_into_id is not None}
        children = defaultdict(list)
        for area in areas:
            if area.parent_id is not None and area.merged_into_id is None:
                # The parent from this copy: reading it costs no query.
                area.parent = self.areas[area.parent_id]
                children[area.parent_id].append(area)
        # The order of Area.sorted_children: shorter names first.
        self.children = {key: sorted(value, key=lambda a: (len(a.name), a.name)) for key, value in children.items()}
        self.activity_types = list(models.ActivityType.listed())
        self.activity_by_slug = {item.slug: item for item in self.activity_types}
        self._load_crises()

    def _load_crises(self):
        """The active crises (issue 22), and each neighborhood they hit: a
        crisis's rows raise this catalog's revision, so a page knows at once."""
        self.crisis_types = list(
            models.ActivityType.select()
            .where(models.ActivityType.slug.startswith(CRISIS_PREFIX))
            .order_by(models.ActivityType.position)
        )
        self.crisis_by_area = {}
        active = {crisis.id: crisis for crisis in models.Crisis.select().where(models.Crisis.ended_at.is_null())}
        if not active:
            return
        rows = models.CrisisArea.select().where(models.CrisisArea.crisis.in_(list(active)))
        hit = {row.area_id: active[row.crisis_id] for row in rows}
        # Each area looks up its own ancestors (the ids of its path), nearest
        # first: O(areas × depth), and a city's crisis inside a county's wins.
        for area in self.areas.values():
            for part in reversed(area.path.strip("/").split("/")):
                if part.isdigit() and int(part) in hit:
                    self.crisis_by_area[area.id] = hit[int(part)]
                    break

    def crisis_of(self, area_id):
        """The active crisis that hit this area, or None."""
        return self.crisis_by_area.get(area_id) if area_id is not None else None

    def need_type(self, slug, neighborhood_id):
        """The kind of need `slug` names: an activity type offered, or one of
        a crisis's kinds while a crisis holds the neighborhood."""
        found = self.activity_by_slug.get(slug)
        if found is None and self.crisis_of(neighborhood_id) is not None:
            found = next((item for item in self.crisis_types if item.slug == slug), None)
        return found

    def neighborhood(self, area_id):
        area = self.areas.get(self.survivor_id(area_id))
        return area if area is not None and area.is_neighborhood else None

    def survivor_id(self, area_id):
        """`area_id`, or the id of the live area it was merged into."""
        while area_id in self.merged:
            area_id = self.merged[area_id]
        return area_id

    def nearby(self, neighborhood):
        """The neighborhood and the others of its district (its siblings)."""
        if neighborhood.parent_id is None:
            return [neighborhood.id]
        return [area.id for area in self.children.get(neighborhood.parent_id, ())]


_lock = threading.Lock()


def catalog():
    """This request's catalog: the process's copy if still current, else a fresh one."""
    if "catalog" in g:
        return g.catalog
    revision = models.catalog_revision()
    current = current_app.extensions.get("catalog")
    if current is None or current.revision != revision:
        with _lock:
            current = current_app.extensions.get("catalog")
            if current is None or current.revision != revision:
                current = Catalog(revision)
                current_app.extensions["catalog"] = current
    g.catalog = current
    return current
