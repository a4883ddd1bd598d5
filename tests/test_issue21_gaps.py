"""Small gaps found beside issue 21: a closed center's public page, a
volunteer's way to their own certificates, merged areas counted as live, and
a benchmark that compared a page with the site's own health view."""

import ast
import datetime
import uuid
from pathlib import Path

import models
from hamsayeh.domain import areas_admin, centers, demo, network, organizations
from tests.conftest import sign_in, submit
from tests.factories import person, volunteer
from tests.pages import check_page

ROOT = Path(__file__).resolve().parents[1]


def program_of(center, author):
    return models.Program.create(
        center=center,
        title="کارگاه خیاطی",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "health"),
        starts_at=models.utcnow() + datetime.timedelta(days=2),
        capacity=10,
        created_by=author,
        form_key=uuid.uuid4().hex,
    )


# --- A closed center says so, and takes no sign-ups ----------------------------------------------


def test_a_closed_centers_page_says_so_with_its_reason_and_its_programs_take_no_sign_ups(client, people, places):
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    program = program_of(center, people["admin"])
    assert "این مرکز بسته است" not in check_page(client.get(f"/centers/{center.id}"))
    centers.close_center(center, people["admin"], "بازسازی ساختمان")
    html = check_page(client.get(f"/centers/{center.id}"))
    assert "این مرکز بسته است." in html and "بازسازی ساختمان" in html
    assert "برنامه‌هایش ثبت‌نام نمی‌پذیرند" in html
    # Its program keeps its page; a sign-up, sent anyway, makes nothing.
    sign_in(client, people["resident"].phone)
    page = f"/centers/programs/{program.id}"
    assert f'action="{page}/signup"' not in check_page(client.get(page))
    answer = submit(client, page, f"{page}/signup", {}, follow_redirects=True)
    assert "این برنامه دیگر ثبت‌نام نمی‌پذیرد." in check_page(answer)
    assert models.ProgramSignup.select().count() == 0
    # Open again, it takes them.
    centers.reopen_center(center, people["admin"], "بازسازی تمام شد")
    assert "این مرکز بسته است" not in check_page(client.get(f"/centers/{center.id}"))
    assert f'action="{page}/signup"' in check_page(client.get(page))
    submit(client, page, f"{page}/signup", {})
    assert models.ProgramSignup.select().count() == 1


def test_a_closed_centers_page_in_english(client, people, places):
    center = models.Center.create(area=places["Tajrish"], name="مرکز تجریش", name_en="Tajrish center")
    centers.close_center(center, people["admin"], "repairs")
    client.set_cookie("lang", "en")
    html = check_page(client.get(f"/centers/{center.id}"))
    assert "This center is closed." in html and "repairs" in html


# --- A volunteer finds their own certificates from their time bank -------------------------------


def test_a_volunteer_finds_their_own_certificates_on_their_time_bank_page(client, people, places):
    helper = volunteer("داوطلب تجریش", "09127770001", places["Tajrish"]).user
    sign_in(client, helper.phone)
    link = f'href="/certificates/people/{helper.id}"'
    assert link in check_page(client.get("/time/"))
    check_page(client.get(f"/certificates/people/{helper.id}"))
    # A resident who is no volunteer is not offered one.
    resident = person("09127770002", neighborhood=places["Tajrish"])
    sign_in(client, resident.phone)
    assert "/certificates/people/" not in check_page(client.get("/time/"))


# --- Merged areas count for nothing -------------------------------------------------------------


def merge(old, survivor, admin):
    areas_admin.merge_areas(old, survivor, admin, "یکی شدند", uuid.uuid4().hex)


def test_a_merged_neighborhood_is_not_counted_in_the_national_overview(people, places):
    demo.add_area(places["District 1"], {"name": "دربند", "name_en": "Darband", "kind": "neighborhood"})
    darband = models.Area.get(models.Area.name_en == "Darband")
    before = network.area_overview(None)
    assert (before["neighborhoods"], before["uncovered"]) == (4, 2)  # Bazaar and Darband have no facilitator
    merge(darband, places["Niavaran"], people["admin"])
    after = network.area_overview(None)
    assert (after["neighborhoods"], after["uncovered"]) == (3, 1)
    assert [area.id for area in after["uncovered_sample"]] == [places["Bazaar"].id]


def test_a_merged_county_leaves_the_counties_list(people, places):
    province = models.Area.get(models.Area.kind == "province")
    for name, name_en in (("شمیرانات", "Shemiranat"), ("لواسانات", "Lavasanat")):
        demo.add_area(province, {"name": name, "name_en": name_en, "kind": "county"})
    found = {area.name_en: area for area in models.Area.select().where(models.Area.kind == "county")}
    assert [area.name_en for area in organizations.counties()] == ["Shemiranat", "Lavasanat"]  # by Persian name
    merge(found["Lavasanat"], found["Shemiranat"], people["admin"])
    assert [area.name_en for area in organizations.counties()] == ["Shemiranat"]


# --- The scale benchmark compares no page with the site's own view -------------------------------


def test_the_scale_benchmark_loads_only_the_board_and_reports_no_ratio_to_our_own_view():
    from bench import scale

    tree = ast.parse((ROOT / "bench" / "scale.py").read_text(encoding="utf-8"))
    loaded = [
        ast.unparse(call.args[0])
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "load"
    ]
    assert loaded and all("/board/" in url for url in loaded), loaded
    assert "health" not in scale.HEADER and "ratio" not in scale.HEADER
    # The README's table is the script's.
    assert scale.HEADER in (ROOT / "README.md").read_text(encoding="utf-8")
