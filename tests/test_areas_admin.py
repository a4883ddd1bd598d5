"""Headquarters keeps the area tree (issue 18): add, rename, move, merge, each
in one transaction with its history; a merge moves every row of every table
that names the old area, found from the models themselves."""

import uuid

import peewee
import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import (
    areas_admin,
    callbacks,
    casework,
    centers,
    demo,
    facilitators,
    network,
    organizations,
    registry,
)
from hamsayeh.web.catalog import catalog
from tests.conftest import REGISTRY_KEY
from tests.factories import activity, make_post, person, volunteer, welfare_case

COUNTY = {"name": "دماوند", "name_en": "Damavand", "kind": "county", "children": []}


def key():
    return uuid.uuid4().hex


def live_in(hood, tag, people):
    """A neighborhood with a life: members, posts, a volunteer, a story, an
    idea, an announcement, a facilitator, a center, a call-back."""
    found = {"members": [person(f"0913{tag}00001", "ساکن یک", neighborhood=hood)]}
    found["members"].append(person(f"0913{tag}00002", "ساکن دو", neighborhood=hood))
    found["posts"] = [make_post(member, hood) for member in found["members"]]
    found["volunteer"] = volunteer("داوطلب", f"0913{tag}00003", hood)
    facilitators.assign_facilitator(people["facilitator"], hood, people["admin"])
    found["story"] = network.record_story(
        people["facilitator"],
        key(),
        [activity("errands")],
        neighborhood=hood,
        kind="need",
        title="نیاز",
        narrative="متن",
    )
    found["idea"] = network.propose_idea(found["members"][0], hood, "ایده", "متن ایده", "ایده", key())
    found["announcement"] = network.announce(people["admin"], hood, "خبر", "متن خبر", key())
    found["center"] = centers.open_center(hood, people["admin"], key(), name=f"مرکز {hood.name}")
    found["callback"] = callbacks.request_callback(phone=f"0913{tag}00009", neighborhood=hood)
    return found


@pytest.fixture
def two_hoods(people, places):
    """Tajrish and Niavaran, each with a life; a registry record and an
    organization that serve Niavaran."""
    lives = {name: live_in(places[name], tag, people) for name, tag in (("Tajrish", "11"), ("Niavaran", "22"))}
    demo.add_area(places["Tajrish"].ancestors()[0], COUNTY)
    county = models.Area.get(models.Area.kind == "county")
    opened = organizations.open_organization(
        "خیریهٔ امام رضا", "charity", county, people["charity_staff"], people["admin"], in_assembly=True
    )
    organization = models.Organization.get_by_id(opened.id)
    record, _created = registry.record_beneficiary(
        organization,
        people["charity_staff"],
        REGISTRY_KEY,
        "national",
        "0012345679",
        name="خانوادهٔ رحیمی",
        area=places["Niavaran"],
    )
    models.OrganizationArea.create(organization=organization, area=places["Niavaran"])
    models.OrganizationArea.create(organization=organization, area=places["Tajrish"])
    lives["record"] = record
    office = casework.open_office(places["District 1"], people["admin"])
    lives["case"] = welfare_case(office, people["social_worker"], area=places["Niavaran"])
    return lives


def pointing_at(area):
    """{"table.column": rows} of every reference a merge moves, for `area`."""
    counts = {}
    for field in areas_admin.merge_fields():
        count = field.model.select().where(field == area.id).count()
        if count:
            counts[areas_admin.field_key(field)] = count
    return counts


# --- Every reference to an area is known ---------------------------------------------------


def test_every_foreign_key_to_an_area_is_moved_by_a_merge_or_kept_for_a_reason():
    """A table added later with a key to an area is moved by a merge unless it
    is named, with its reason, among those a merge leaves alone."""
    found = {
        areas_admin.field_key(field)
        for model in models.MODELS
        for field in model._meta.refs
        if field.rel_model is models.Area
    }
    moved = {areas_admin.field_key(field) for field in areas_admin.merge_fields()}
    named = set(areas_admin.KEPT_ON_MERGE) | set(areas_admin.MOVED_APART)
    assert found == moved | named
    assert not moved & named
    assert {"help_post.neighborhood", "user.neighborhood", "center.area", "story.neighborhood"} <= moved
    assert all(reason for reason in (*areas_admin.KEPT_ON_MERGE.values(), *areas_admin.MOVED_APART.values()))


# --- Merging ------------------------------------------------------------------------------


def test_a_merge_moves_everything_and_keeps_the_old_area_as_merged(people, places, two_hoods):
    old, survivor = places["Niavaran"], places["Tajrish"]
    before_old, before_survivor = pointing_at(old), pointing_at(survivor)
    for name in (
        "help_post.neighborhood",
        "user.neighborhood",
        "center.area",
        "story.neighborhood",
        "idea.neighborhood",
    ):
        assert before_old[name] >= 1, name
    assert before_old["beneficiary_record.area"] == 1
    assert before_old["callback_request.neighborhood"] == 1
    assert before_old["welfare_case.area"] == 1

    change = areas_admin.merge_areas(old, survivor, people["admin"], "دو محله یکی شدند", key())

    # Nothing names the old area any more: whatever table it is in.
    assert pointing_at(old) == {}
    after = pointing_at(survivor)
    # The same facilitator and the same organization served both: one link stays.
    for name, count in before_old.items():
        repeated = name in ("facilitator_assignment.neighborhood", "organization_area.area")
        assert after[name] == before_survivor.get(name, 0) + count - (1 if repeated else 0), name
    lives = two_hoods["Niavaran"]
    assert {post.neighborhood_id for post in models.HelpPost.select()} == {survivor.id}
    assert models.User.get_by_id(lives["members"][0].id).neighborhood_id == survivor.id
    assert models.Center.get_by_id(lives["center"].id).area_id == survivor.id
    assert models.BeneficiaryRecord.get_by_id(two_hoods["record"].id).area_id == survivor.id
    assert models.WelfareCase.get_by_id(two_hoods["case"].id).area_id == survivor.id
    # The old area stays, merged, out of the tree; its history says who, when, why and what moved.
    gone = models.Area.get_by_id(old.id)
    assert gone.merged_into_id == survivor.id and gone.merged_at is not None
    assert gone.path == f"/0/{old.id}/" and gone.survivor().id == survivor.id
    assert change.action == "merge" and change.other_id == survivor.id and change.actor_id == people["admin"].id
    assert change.reason == "دو محله یکی شدند"
    assert areas_admin.change_detail(change)["moved"]["help_post.neighborhood"] == 2
    assert models.AuditEntry.select().where(models.AuditEntry.action == "area.merge").count() == 1
    assert old.id not in [area.id for area in places["District 1"].sorted_children()]
    assert old.id not in [area.id for area in models.Area.search(persian.fold("نیاوران"))]
    assert models.Area.add(places["District 1"], "neighborhood", "نیاوران", "Niavaran", "x").id == survivor.id


def test_a_failure_midway_through_a_merge_leaves_nothing_changed(db, people, places, two_hoods):
    """A real failure from the database, after the posts and the members have
    moved: the whole merge is undone."""
    order = [areas_admin.field_key(field) for field in areas_admin.merge_fields()]
    assert order.index("help_post.neighborhood") < order.index("story.neighborhood")
    assert order.index("user.neighborhood") < order.index("story.neighborhood")
    old, survivor = places["Niavaran"], places["Tajrish"]
    before = pointing_at(old)
    revision = models.catalog_revision()
    with failing_updates(db, "story"), pytest.raises(peewee.DatabaseError, match="stopped"):
        areas_admin.merge_areas(old, survivor, people["admin"], "دو محله یکی شدند", key())
    assert pointing_at(old) == before
    assert models.Area.get_by_id(old.id).merged_into_id is None
    assert not models.AreaChange.select().exists()
    assert not models.AuditEntry.select().where(models.AuditEntry.action == "area.merge").exists()
    assert models.catalog_revision() == revision


class failing_updates:
    """A trigger that refuses every update of `table`, for the block."""

    def __init__(self, db, table):
        self.db, self.table = db, table
        self.postgres = isinstance(db.obj, peewee.PostgresqlDatabase)

    def __enter__(self):
        if self.postgres:
            self.db.execute_sql(
                "CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'stopped'; END $$"
            )
            self.db.execute_sql(
                f'CREATE TRIGGER refuse BEFORE UPDATE ON "{self.table}" FOR EACH ROW EXECUTE FUNCTION refuse_update()'
            )
        else:
            self.db.execute_sql(
                f"CREATE TRIGGER refuse BEFORE UPDATE ON \"{self.table}\" BEGIN SELECT RAISE(ABORT, 'stopped'); END"
            )
        return self

    def __exit__(self, *exc):
        if self.postgres:
            self.db.execute_sql(f'DROP TRIGGER refuse ON "{self.table}"')
            self.db.execute_sql("DROP FUNCTION refuse_update()")
        else:
            self.db.execute_sql("DROP TRIGGER refuse")


def test_a_merge_sent_twice_is_made_once_and_a_merged_area_is_merged_no_more(people, places):
    old, survivor = places["Niavaran"], places["Tajrish"]
    form_key = key()
    first = areas_admin.merge_areas(old, survivor, people["admin"], "یکی شدند", form_key)
    again = areas_admin.merge_areas(old, survivor, people["admin"], "یکی شدند", form_key)
    assert first.id == again.id and models.AreaChange.select().count() == 1
    with pytest.raises(areas_admin.TreeError) as refused:
        areas_admin.merge_areas(old, places["Bazaar"], people["admin"], "دوباره", key())
    assert refused.value.code == "merged" and refused.value.detail.id == survivor.id


def test_merging_districts_brings_their_neighborhoods_and_refuses_a_clash(people, places):
    district_1, district_12 = places["District 1"], places["District 12"]
    pool = models.TimeAccount.create(kind="pool", area=district_12)
    change = areas_admin.merge_areas(district_12, district_1, people["admin"], "یکی شدند", key())
    bazaar = models.Area.get_by_id(places["Bazaar"].id)
    assert bazaar.parent_id == district_1.id and bazaar.path == f"{district_1.path}{bazaar.id}/"
    assert models.TimeAccount.get_by_id(pool.id).area_id == district_1.id
    assert areas_admin.change_detail(change)["before"]["children"] == 1
    # Two districts that both have a neighborhood called Bazaar: those are merged first.
    city = places["Tehran"] if places["Tehran"].kind == "city" else district_1.parent
    other = areas_admin.add_area(city, "district", "منطقه ۲", "District 2", people["admin"], "تازه", key()).area
    areas_admin.add_area(other, "neighborhood", "بازار", "Bazaar", people["admin"], "تازه", key())
    with pytest.raises(areas_admin.TreeError) as refused:
        areas_admin.merge_areas(other, district_1, people["admin"], "یکی شوند", key())
    assert refused.value.code == "children_clash" and refused.value.detail == ["بازار"]


def test_a_merge_stops_when_both_have_the_one_row_each_may_have(people, places):
    for district in (places["District 1"], places["District 12"]):
        models.TimeAccount.create(kind="pool", area=district)
    with pytest.raises(areas_admin.TreeError) as refused:
        areas_admin.merge_areas(places["District 12"], places["District 1"], people["admin"], "یکی", key())
    assert refused.value.code == "both_have" and refused.value.detail == "time_account"
    assert models.Area.get_by_id(places["District 12"].id).merged_into_id is None


# --- Adding, renaming and moving -------------------------------------------------------------


def test_kinds_names_and_places_must_fit(people, places):
    admin = people["admin"]
    cases = [
        (lambda: areas_admin.add_area(places["District 1"], "city", "شهر", "", admin, "چرا", key()), "kind"),
        (lambda: areas_admin.add_area(None, "neighborhood", "محله", "", admin, "چرا", key()), "kind"),
        (
            lambda: areas_admin.add_area(places["District 1"], "neighborhood", "تجریش", "", admin, "چرا", key()),
            "name_taken",
        ),
        (lambda: areas_admin.rename_area(places["Niavaran"], "تجریش", "", admin, "چرا", key()), "name_taken"),
        (lambda: areas_admin.move_area(places["Niavaran"], places["Bazaar"], admin, "چرا", key()), "kind"),
        (lambda: areas_admin.move_area(places["District 1"], places["Tajrish"], admin, "چرا", key()), "inside"),
        (lambda: areas_admin.move_area(places["Niavaran"], places["District 1"], admin, "چرا", key()), "same_place"),
        (lambda: areas_admin.merge_areas(places["Niavaran"], places["Niavaran"], admin, "چرا", key()), "same"),
        (
            lambda: areas_admin.merge_areas(places["Niavaran"], places["District 12"], admin, "چرا", key()),
            "kinds_differ",
        ),
    ]
    for attempt, code in cases:
        with pytest.raises(areas_admin.TreeError) as refused:
            attempt()
        assert refused.value.code == code
    assert not models.AreaChange.select().exists()
    areas_admin.merge_areas(places["Niavaran"], places["Tajrish"], admin, "یکی", key())
    with pytest.raises(areas_admin.TreeError) as refused:
        areas_admin.add_area(places["District 1"], "neighborhood", "نیاوران", "", admin, "دوباره", key())
    assert refused.value.code == "merged_name" and refused.value.detail.id == places["Tajrish"].id


def test_a_move_rewrites_the_paths_of_the_whole_subtree(people, places):
    admin = people["admin"]
    province = places["Tajrish"].ancestors()[0]
    rey = areas_admin.add_area(province, "city", "ری", "Rey", admin, "شهر تازه", key()).area
    helper = volunteer("داوطلب", "09135550001", places["Niavaran"])
    post = make_post(people["resident"], places["Niavaran"])
    change = areas_admin.move_area(places["District 1"], rey, admin, "تقسیمات تازه", key())
    district = models.Area.get_by_id(places["District 1"].id)
    assert district.parent_id == rey.id and district.path == f"{rey.path}{district.id}/"
    for name in ("Tajrish", "Niavaran"):
        hood = models.Area.get_by_id(places[name].id)
        assert hood.path == f"{district.path}{hood.id}/"
        assert [area.id for area in hood.ancestors()] == [province.id, rey.id, district.id]
    # A volunteer's district and city, kept beside their neighborhood, follow.
    profile = models.VolunteerProfile.get_by_id(helper.id)
    assert (profile.district_id, profile.city_id) == (district.id, rey.id)
    assert models.HelpPost.get_by_id(post.id).neighborhood_id == places["Niavaran"].id
    assert areas_admin.change_detail(change)["before"]["parent"] == places["District 1"].parent_id
    assert models.Area.get_by_id(places["Bazaar"].id).path.startswith(places["District 12"].path)
    assert [change.action for change in areas_admin.history(district)] == ["move"]
    assert [change.action for change in areas_admin.history(rey)] == ["move", "add"]


def test_a_neighborhood_moved_to_another_district_takes_its_volunteers_along(people, places):
    helper = volunteer("داوطلب", "09135550002", places["Niavaran"])
    areas_admin.move_area(places["Niavaran"], places["District 12"], people["admin"], "مرز تازه", key())
    profile = models.VolunteerProfile.get_by_id(helper.id)
    assert profile.district_id == places["District 12"].id


def test_a_rename_keeps_the_old_names_in_the_history_and_search_finds_the_new(people, places):
    change = areas_admin.rename_area(places["Bazaar"], "بازار بزرگ", "Grand Bazaar", people["admin"], "نام رسمی", key())
    assert areas_admin.change_detail(change)["before"] == {"name": "بازار", "name_en": "Bazaar"}
    assert [area.id for area in models.Area.search(persian.fold("بازار بزرگ"))] == [places["Bazaar"].id]
    assert [area.id for area in models.Area.search(persian.fold("grand"))] == [places["Bazaar"].id]


# --- Managers ---------------------------------------------------------------------------------


def test_a_manager_is_a_staff_account_and_manages_their_subtree_only(people, places):
    province = places["Tajrish"].ancestors()[0]
    with pytest.raises(areas_admin.TreeError) as refused:
        areas_admin.add_manager(province, people["resident"], people["admin"], "مدیر تازه", key())
    assert refused.value.code == "not_staff"
    with pytest.raises(areas_admin.TreeError) as refused:
        areas_admin.add_manager(places["District 1"], people["social_worker"], people["admin"], "مدیر", key())
    assert refused.value.code == "not_managed"
    city = places["District 1"].parent
    areas_admin.add_manager(city, people["social_worker"], people["admin"], "مدیر تازه", key())
    assert areas_admin.manages(people["social_worker"], places["Niavaran"])
    assert areas_admin.manages(people["social_worker"], city)
    assert not areas_admin.manages(people["social_worker"], province)
    assert not areas_admin.manages(people["center_staff"], places["Niavaran"])
    areas_admin.remove_manager(city, people["social_worker"], people["admin"], "پایان کار", key())
    assert not areas_admin.manages(people["social_worker"], places["Niavaran"])
    assert [change.action for change in areas_admin.history(city)] == ["manager_removed", "manager_added"]


# --- The per-process copies of the tree ---------------------------------------------------------


def test_the_catalog_in_memory_follows_every_change(app, people, places):
    """Each server process keeps the tree; after an add, a rename, a move and
    a merge, the next request sees the change (the revision trigger)."""
    admin = people["admin"]

    def copy():
        with app.test_request_context("/"):
            return catalog()

    first = copy()
    added = areas_admin.add_area(places["District 12"], "neighborhood", "پامنار", "Pamenar", admin, "تازه", key()).area
    second = copy()
    assert second is not first and added.id in second.areas
    assert added.id in [area.id for area in second.children[places["District 12"].id]]
    assert copy() is second  # nothing changed: the same copy serves
    areas_admin.rename_area(added, "پامنار نو", "New Pamenar", admin, "نام تازه", key())
    assert copy().areas[added.id].name == "پامنار نو"
    areas_admin.move_area(added, places["District 1"], admin, "مرز تازه", key())
    moved = copy()
    assert moved.areas[added.id].parent_id == places["District 1"].id
    assert added.id in moved.nearby(moved.areas[places["Tajrish"].id])
    areas_admin.merge_areas(added, places["Tajrish"], admin, "یکی شدند", key())
    merged = copy()
    assert added.id not in [area.id for area in merged.children[places["District 1"].id]]
    assert merged.neighborhood(added.id).id == places["Tajrish"].id
    assert added.id not in merged.nearby(merged.areas[places["Tajrish"].id])


def test_nothing_is_added_under_or_moved_into_a_merged_area(people, places):
    areas_admin.merge_areas(places["District 12"], places["District 1"], people["admin"], "یکی", key())
    for attempt in (
        lambda: areas_admin.add_area(places["District 12"], "neighborhood", "کوچه", "", people["admin"], "چرا", key()),
        lambda: areas_admin.move_area(places["Tajrish"], places["District 12"], people["admin"], "چرا", key()),
        lambda: areas_admin.rename_area(places["District 12"], "نو", "", people["admin"], "چرا", key()),
    ):
        with pytest.raises(areas_admin.TreeError) as refused:
            attempt()
        assert refused.value.code == "merged" and refused.value.detail.id == places["District 1"].id
