"""Administrators keep the list of activity types."""

import pytest

import models
from tests.conftest import sign_in, submit
from tests.pages import check_page


@pytest.fixture(autouse=True)
def restore_activity_types(db):
    """The list is reference data that other tests rely on: put it back."""
    saved = [dict(row.__data__) for row in models.ActivityType.select()]
    yield
    with models.db.atomic():
        models.ActivityType.delete().where(models.ActivityType.id.not_in([row["id"] for row in saved])).execute()
        for row in saved:
            models.ActivityType.update(**row).where(models.ActivityType.id == row["id"]).execute()


def test_admin_renames_retires_and_adds_a_kind_of_help(client, people):
    sign_in(client, people["admin"].phone)
    check_page(client.get("/admin/activity-types/"))
    food = models.ActivityType.get(models.ActivityType.slug == "food")
    data = {"name": "غذا و بستهٔ معیشتی", "name_en": "Food and groceries", "position": "3"}
    submit(client, "/admin/activity-types/", f"/admin/activity-types/{food.id}", data)
    food = models.ActivityType.get_by_id(food.id)
    assert (food.name, food.position, food.is_active) == ("غذا و بستهٔ معیشتی", 3, False)
    assert food not in list(models.ActivityType.listed())
    new = {"slug": "Home_Care", "name": "مراقبت در خانه", "name_en": "Home care", "position": "۱۴"}
    assert submit(client, "/admin/activity-types/", "/admin/activity-types/", new).status_code == 302
    added = models.ActivityType.get(models.ActivityType.slug == "home_care")
    assert added.position == 14 and added.is_active
    assert models.AuditEntry.select().where(models.AuditEntry.action.startswith("activity_type.")).count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"slug": "food", "name": "تکراری"}, "slug"),
        ({"slug": "x", "name": "کوتاه"}, "slug"),
        ({"slug": "fine_key", "name": ""}, "name"),
        ({"slug": "fine_key", "name": "درست", "position": "-1"}, "position"),
    ],
)
def test_bad_new_kinds_are_refused_with_a_message(client, people, data, field):
    sign_in(client, people["admin"].phone)
    before = models.ActivityType.select().count()
    html = check_page(submit(client, "/admin/activity-types/", "/admin/activity-types/", data), status=422)
    assert f'id="f-{field}-error"' in html
    assert models.ActivityType.select().count() == before


def test_others_cannot_edit_the_list(client, people):
    sign_in(client, people["facilitator"].phone)
    food = models.ActivityType.get(models.ActivityType.slug == "food")
    check_page(client.get("/admin/activity-types/"), status=403)
    check_page(submit(client, "/", f"/admin/activity-types/{food.id}", {"name": "x"}), status=403)
    assert models.ActivityType.get_by_id(food.id).name == "غذا"
