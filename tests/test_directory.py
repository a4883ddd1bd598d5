"""The neighborhood's services directory (issue 22, part 6): phones and
addresses normalized, the lists of a neighborhood and of the places above
it, who keeps which list (each rule tried as the wrong role), "checked again
today", the CSV import, the printed page and the simple pages."""

import re
import subprocess
import threading

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, demo, directory, directory_demo
from tests.conftest import sign_in, submit
from tests.pages import check_page

SIMPLE_BUDGET = 8 * 1024
HEADER = "نام,نوع,نشانی,ساعت کار,تلفن"


def entry(area, actor, name, category="clinic", phone="02122730000", address="خیابان مقصودبیک", **extra):
    fields, problems = directory.check_fields(
        {"name": name, "category": category, "address": address, "hours": "شبانه‌روزی", "phone": phone}
    )
    assert not problems, problems
    return directory.add_entry(area, actor, f"key-{name}", fields, **extra)


def tajrish_center(places, people):
    center = models.Center.create(
        area=places["Tajrish"], name="مرکز مثبت زندگی تجریش", address="میدان قدس، کوچه گلستان", phone="02122712345"
    )
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    return models.Center.get_by_id(center.id)


# --- Phones and addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("021-22712345", "02122712345"),
        ("۰۲۱ ۲۲۷۱ ۲۳۴۵", "02122712345"),
        ("(021) 2271-2345", "02122712345"),
        ("+98 21 2271 2345", "02122712345"),
        ("00982122712345", "02122712345"),
        ("0311-2345678", "03112345678"),
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "09121234567"),
        ("+989121234567", "09121234567"),
        ("۱۴۸۰", "1480"),
        ("123", "123"),
        ("", ""),
    ],
)
def test_phones_are_kept_in_one_form(typed, stored):
    assert directory.normalize_service_phone(typed) == (stored, None)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("22712345", "phone_area_code"),
        ("۲۲۷۱۲۳۴۵", "phone_area_code"),
        ("021-2271", "phone_invalid"),
        ("0912123456", "phone_invalid"),
        ("0021-22712345", "phone_invalid"),
        ("تلفن ندارد", "phone_letters"),
        ("021-2271234x", "phone_letters"),
        ("99", "phone_invalid"),
    ],
)
def test_a_phone_that_cannot_be_dialled_is_refused_with_its_reason(typed, why):
    assert directory.normalize_service_phone(typed) == (None, why)


def test_addresses_and_names_are_normalized():
    assert directory.normalize_address("  خيابان  دربند ,كوچه ۴ ، پلاک 12. ") == "خیابان دربند، کوچه 4، پلاک 12"
    fields, problems = directory.check_fields(
        {"name": " داروخانه  دكتر  نيك ", "category": "pharmacy", "phone": "021 2274 0000"}
    )
    assert not problems
    assert fields["name"] == "داروخانه دکتر نیک" and fields["phone"] == "02122740000"


def test_a_channel_needs_an_address_one_can_follow_and_a_board_its_place():
    _fields, problems = directory.check_fields({"name": "گروه محله", "category": "messenger_group", "address": "گروه"})
    assert problems == {"address": "channel_address"}
    fields, problems = directory.check_fields(
        {"name": "گروه محله", "category": "messenger_group", "address": "@tajrish_mahalle"}
    )
    assert not problems and fields["address"] == "@tajrish_mahalle"
    _fields, problems = directory.check_fields({"name": "تابلو", "category": "notice_board", "address": ""})
    assert problems == {"address": "board_place"}


# --- What a neighborhood shows ----------------------------------------------------------------


def test_a_neighborhood_shows_its_own_then_its_districts_then_the_national_entries(db, places, people):
    hq, facilitator = people["admin"], people["facilitator"]
    district = places["Tajrish"].ancestors()[-1]
    entry(places["Tajrish"], facilitator, "درمانگاه تجریش")
    entry(district, hq, "درمانگاه منطقه ۱")
    entry(None, hq, "صدای مشاور بهزیستی", category="welfare", phone="1480", address="")
    entry(places["Bazaar"], hq, "درمانگاه بازار")
    sections = dict(directory.services_near(places["Tajrish"]))
    assert [item.name for item in sections["local"]] == ["درمانگاه تجریش", "درمانگاه منطقه 1"]
    assert [item.name for item in sections["government"]] == ["صدای مشاور بهزیستی"]
    # Niavaran, in the same district: the district's and the national entries, never Tajrish's own.
    near_niavaran = [item.name for _s, items in directory.services_near(places["Niavaran"]) for item in items]
    assert near_niavaran == ["صدای مشاور بهزیستی", "درمانگاه منطقه 1"]


def test_the_neighborhood_page_lists_each_service_with_who_checked_it_and_when(client, places, people):
    center = tajrish_center(places, people)
    linked = entry(
        places["Tajrish"], people["facilitator"], center.name, category="mosbat_center", phone="", address=""
    )
    directory.edit_entry(linked, people["facilitator"], _fields_of(linked), center_id=center.id)
    entry(places["Tajrish"], people["facilitator"], "داروخانه شبانه‌روزی قدس", category="pharmacy")
    html = check_page(client.get(f"/areas/{places['Tajrish'].id}"))
    assert "خدمات نزدیک این‌جا" in html and "داروخانه شبانه‌روزی قدس" in html
    assert 'href="tel:02122730000"' in html
    with client.application.test_request_context():
        today = persian.to_persian_digits(str(persian.jalali_date(persian.today())))
    assert f"بررسی‌شده توسط {people['facilitator'].name} در {today}" in html
    # The center's entry links its page and shows the center's own address and phone.
    assert f'href="/centers/{center.id}"' in html and "میدان قدس، کوچه گلستان" in html
    assert 'href="tel:02122712345"' in html
    assert "نگهداری این فهرست" not in html, "a guest keeps no list"


def _fields_of(item):
    return {name: getattr(item, name) for name in ("name", "category", "address", "hours", "phone")}


# --- Who keeps which list ----------------------------------------------------------------------


def add_through_form(client, area_path, name="درمانگاه تازه", **extra):
    data = {"name": name, "category": "clinic", "phone": "021-22730001", "form_key": f"form-{name}", **extra}
    return submit(client, f"/directory/{area_path}/new", f"/directory/{area_path}/new", data)


def test_a_facilitator_keeps_their_neighborhoods_list_and_it_is_audited(client, places, people):
    sign_in(client, people["facilitator"].phone)
    html = check_page(client.get("/directory/"))
    assert f'/directory/areas/{places["Tajrish"].id}"' in html
    answer = add_through_form(client, f"areas/{places['Tajrish'].id}")
    assert answer.status_code == 302
    item = models.DirectoryEntry.get()
    assert (item.area_id, item.phone, item.checked_by_id) == (
        places["Tajrish"].id,
        "02122730001",
        people["facilitator"].id,
    )
    assert models.AuditEntry.get(models.AuditEntry.action == "directory.added").actor_id == people["facilitator"].id
    check_page(client.get(f"/directory/areas/{places['Tajrish'].id}"))


def test_a_double_submit_adds_one_entry(client, places, people):
    sign_in(client, people["facilitator"].phone)
    for _ in range(2):
        assert add_through_form(client, f"areas/{places['Tajrish'].id}").status_code == 302
    assert models.DirectoryEntry.select().count() == 1
    # The same name again, from another form: said beside the name, nothing written.
    answer = add_through_form(client, f"areas/{places['Tajrish'].id}", form_key="another")
    html = check_page(answer, status=422)
    assert "خدمتی با همین نام در این فهرست هست." in html and models.DirectoryEntry.select().count() == 1


def test_a_bad_phone_is_said_beside_its_field_and_nothing_is_written(client, places, people):
    sign_in(client, people["facilitator"].phone)
    answer = add_through_form(client, f"areas/{places['Tajrish'].id}", phone="22730001", hours="<b>۸ تا ۱۴</b>")
    html = check_page(answer, status=422)
    assert re.search(r'id="f-phone-error">پیش‌شماره را هم بنویسید', html)
    assert 'aria-describedby="f-phone-error' in html and 'href="#f-phone"' in html
    assert 'value="22730001"' in html and "&lt;b&gt;" in html, "what was typed comes back, escaped"
    assert not models.DirectoryEntry.select().exists()


def test_center_staff_keep_the_lists_of_their_centers_neighborhoods(client, places, people):
    tajrish_center(places, people)
    sign_in(client, people["center_staff"].phone)
    assert add_through_form(client, f"areas/{places['Tajrish'].id}").status_code == 302
    # Bazaar's members have another center (or none near): not this staff's list.
    models.Center.create(area=places["Bazaar"], name="مرکز مثبت زندگی بازار")
    assert add_through_form(client, f"areas/{places['Bazaar'].id}", name="دیگر").status_code == 403


WRONG_ROLES = (
    # (who, the list they try) : none of them keeps it.
    ("resident", "Tajrish"),
    ("volunteer", "Tajrish"),
    ("charity_staff", "Tajrish"),
    ("social_worker", "Tajrish"),
    ("facilitator", "Bazaar"),  # not assigned there
    ("facilitator", "District 1"),  # a district's list: headquarters'
    ("facilitator", None),  # the national list
    ("center_staff", "Tajrish"),  # works at no center
)


@pytest.mark.parametrize(("role", "place"), WRONG_ROLES)
def test_the_wrong_role_cannot_keep_a_list(client, places, people, role, place):
    area = places[place] if place else None
    path = f"areas/{area.id}" if area else "national"
    sign_in(client, people[role].phone)
    for page in (f"/directory/{path}", f"/directory/{path}/new", f"/directory/{path}/import"):
        assert client.get(page).status_code == 403, page
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/").get_data(as_text=True)).group(1)
    answer = client.post(f"/directory/{path}/new", data={"csrf_token": token, "name": "x", "category": "clinic"})
    assert answer.status_code == 403
    assert not models.DirectoryEntry.select().exists()


@pytest.mark.parametrize("role", ["facilitator", "center_staff", "resident"])
def test_the_wrong_keeper_cannot_change_check_or_remove_an_entry(client, places, people, role):
    tajrish_center(places, people)
    models.Center.create(area=places["Bazaar"], name="مرکز مثبت زندگی بازار")
    bazaar = entry(places["Bazaar"], people["admin"], "درمانگاه بازار")
    national = entry(None, people["admin"], "صدای مشاور", category="welfare", phone="1480", address="")
    sign_in(client, people[role].phone)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/").get_data(as_text=True)).group(1)
    for item in (bazaar, national):
        assert client.get(f"/directory/entries/{item.id}/edit").status_code == 403
        for action in ("edit", "checked", "remove"):
            data = {"csrf_token": token, "name": "عوض شد", "category": "clinic"}
            assert client.post(f"/directory/entries/{item.id}/{action}", data=data).status_code == 403
    assert sorted(item.name for item in models.DirectoryEntry.select()) == ["درمانگاه بازار", "صدای مشاور"]
    assert all(item.checked_by_id == people["admin"].id for item in models.DirectoryEntry.select())


def test_a_guest_is_asked_to_sign_in_and_the_pages_are_not_for_every_member(client, places, people):
    assert client.get("/directory/").status_code == 302
    assert client.get(f"/directory/areas/{places['Tajrish'].id}/new").status_code == 302
    sign_in(client, people["volunteer"].phone)
    assert client.get("/directory/").status_code == 403
    assert client.get("/directory/entries/999/edit").status_code == 403


def test_headquarters_keeps_the_national_list_shown_to_every_neighborhood(client, places, people):
    sign_in(client, people["admin"].phone)
    data = {"name": "اورژانس اجتماعی", "category": "welfare", "phone": "۱۲۳", "form_key": "national-1"}
    assert submit(client, "/directory/national/new", "/directory/national/new", data).status_code == 302
    item = models.DirectoryEntry.get()
    assert item.area_id is None and item.phone == "123"
    for hood in ("Tajrish", "Bazaar"):
        assert 'href="tel:123"' in check_page(client.get(f"/areas/{places[hood].id}"))
    html = check_page(client.get("/directory/national"))
    assert "خدمات سراسری" in html and "اورژانس اجتماعی" in html
    check_page(client.get("/directory/national/import"))
    check_page(client.get(f"/directory/entries/{item.id}/edit"))
    # A district's list is headquarters' too, shown in its neighborhoods.
    check_page(client.get(f"/directory/areas/{places['District 1'].id}/new"))


# --- Checked again today, changed, removed ------------------------------------------------------


def test_checked_again_today_moves_who_and_when_and_is_audited(client, places, people):
    item = entry(places["Tajrish"], people["admin"], "داروخانه قدس", category="pharmacy")
    models.DirectoryEntry.update(checked_at=models.utcnow().replace(year=2024)).execute()
    tajrish_center(places, people)
    sign_in(client, people["center_staff"].phone)
    page = f"/directory/areas/{places['Tajrish'].id}"
    html = check_page(client.get(page))
    assert "۱۴۰۳" in html and "نیم سال است بررسی نشده" in html
    answer = submit(client, page, f"/directory/entries/{item.id}/checked", {})
    assert answer.status_code == 302 and answer.location == page
    fresh = models.DirectoryEntry.get_by_id(item.id)
    assert fresh.checked_by_id == people["center_staff"].id and fresh.checked_at.date() == models.utcnow().date()
    assert "نیم سال است بررسی نشده" not in check_page(client.get(page))
    audit = models.AuditEntry.get(models.AuditEntry.action == "directory.checked")
    assert (audit.actor_id, audit.subject) == (people["center_staff"].id, f"directory:{item.id}")


def test_an_entry_is_changed_and_removed_by_its_keeper(client, places, people):
    item = entry(places["Tajrish"], people["admin"], "داروخانه قدس", category="pharmacy")
    sign_in(client, people["facilitator"].phone)
    page = f"/directory/entries/{item.id}/edit"
    html = check_page(client.get(page))
    assert 'value="داروخانه قدس"' in html
    data = {"name": "داروخانه شبانه‌روزی قدس", "category": "pharmacy", "phone": "02122740001", "hours": "شبانه‌روزی"}
    assert submit(client, page, page, data).status_code == 302
    fresh = models.DirectoryEntry.get_by_id(item.id)
    assert (fresh.name, fresh.phone, fresh.checked_by_id) == (data["name"], "02122740001", people["facilitator"].id)
    assert "name,phone" in models.AuditEntry.get(models.AuditEntry.action == "directory.edited").detail
    assert submit(client, page, f"/directory/entries/{item.id}/remove", {}).status_code == 302
    assert not models.DirectoryEntry.select().exists()
    assert models.AuditEntry.select().where(models.AuditEntry.action == "directory.removed").count() == 1


# --- Import from a CSV file ---------------------------------------------------------------------


def upload(client, area, text, action):
    page = f"/directory/areas/{area.id}/import"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "action": action, "file": (__import__("io").BytesIO(text.encode()), "list.csv")}
    return client.post(page, data=data, content_type="multipart/form-data")


def test_an_import_names_each_bad_row_in_persian_and_writes_nothing(client, places, people):
    sign_in(client, people["facilitator"].phone)
    text = (
        f"{HEADER}\n"
        "خانه بهداشت تجریش,خانه بهداشت,خیابان شهرداری,۷ تا ۱۴,021-22710000\n"
        "نانوایی,نانوایی,خیابان دربند,,021-22710001\n"
        "داروخانه قدس,داروخانه,میدان قدس,,22740000\n"
        "خانه بهداشت تجريش,خانه بهداشت,خیابان دیگر,,021-22710002\n"
        "گروه محله,گروه پیام‌رسان,گروه ما,,\n"
    )
    html = check_page(upload(client, places["Tajrish"], text, "import"), status=422)
    assert "۴ مشکل: چیزی وارد نشد" in html
    assert "«نانوایی» از نوع‌های خدمت این فهرست نیست" in html
    assert "«22740000» پیش‌شماره ندارد" in html or "«۲۲۷۴۰۰۰۰» پیش‌شماره ندارد" in html
    assert "خدمتی با همین نام در ردیف ۲ هم هست." in html
    assert "«گروه ما» نشانی گروه نیست" in html
    assert not models.DirectoryEntry.select().exists()


def test_an_import_is_previewed_then_added_once(client, places, people):
    center = tajrish_center(places, people)
    sign_in(client, people["facilitator"].phone)
    text = (
        f"{HEADER}\n"
        '"خانه بهداشت تجریش",خانه بهداشت,"خیابان  شهرداری ,كوچه سعيدي",۷:۳۰ تا ۱۴,۰۲۱-۲۲۷۱۰۰۰۰\n'
        + f"{center.name},مرکز مثبت زندگی,,,\n"
        "گروه ایتای محله,گروه پیام‌رسان,https://eitaa.com/tajrish_mahalle,,\n"
    )
    html = check_page(upload(client, places["Tajrish"], text, "check"))
    assert "پرونده درست است" in html and "خانه بهداشت تجریش" in html and "۰۲۱۲۲۷۱۰۰۰۰" in html
    assert not models.DirectoryEntry.select().exists(), "a preview writes nothing"
    html = check_page(upload(client, places["Tajrish"], text, "import"))
    assert models.DirectoryEntry.select().count() == 3
    health = models.DirectoryEntry.get(models.DirectoryEntry.category == "health_house")
    assert (health.phone, health.address, health.checked_by_id) == (
        "02122710000",
        "خیابان شهرداری، کوچه سعیدی",
        people["facilitator"].id,
    )
    assert models.DirectoryEntry.get(models.DirectoryEntry.category == "mosbat_center").center_id == center.id
    assert models.AuditEntry.select().where(models.AuditEntry.action == "directory.added").count() == 3
    html = check_page(upload(client, places["Tajrish"], text, "import"))
    assert models.DirectoryEntry.select().count() == 3, "the same file again adds nothing"
    assert re.search(r"خدماتی که در فهرست بودند</dt><dd>۳", html)


def test_the_sample_file_imports_as_it_is(client, places, people):
    sign_in(client, people["facilitator"].phone)
    sample = client.get("/directory/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    html = check_page(upload(client, places["Tajrish"], sample.get_data(as_text=True), "import"))
    assert "واردشده از فهرست" in html
    assert models.DirectoryEntry.select().count() == sample.get_data(as_text=True).strip().count("\n")


# --- The printed page and the simple pages ------------------------------------------------------


def pdf_words(path):
    """The PDF's text as pdftotext reads it, without spaces, half-spaces or direction marks."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    return re.sub(r"[\s\u200c\u202a-\u202e]", "", text)


def test_the_printed_list_is_one_page_with_every_service_and_phone(client, places, people, tmp_path):
    tajrish_center(places, people)
    entry(places["Tajrish"], people["facilitator"], "داروخانه شبانه‌روزی قدس", category="pharmacy")
    entry(None, people["admin"], "صدای مشاور بهزیستی", category="welfare", phone="1480", address="")
    answer = client.get(f"/directory/areas/{places['Tajrish'].id}/print.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    (tmp_path / "list.pdf").write_bytes(answer.data)
    info = subprocess.run(["pdfinfo", str(tmp_path / "list.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    flat = pdf_words(tmp_path / "list.pdf")
    for words in ("خدمات نزدیک تجریش", "داروخانه شبانه‌روزی قدس", "صدای مشاور بهزیستی", "ادارات دولتی"):
        assert "".join(words.replace("\u200c", "").split()) in flat, words
    assert "۰۲۱۲۲۷۳۰۰۰۰" in flat and "۱۴۸۰" in flat


def test_a_long_list_still_prints_on_one_page_keeping_the_offices_and_channels(client, places, people, tmp_path):
    for number in range(45):
        entry(
            places["Tajrish"],
            people["facilitator"],
            f"درمانگاه شبانه‌روزی شمارهٔ {number}",
            phone=f"021227{number:05d}",
            address=f"خیابان دربند، کوچهٔ شهید فلاحی، روبه‌روی پارک، پلاک {number}",
        )
    entry(
        places["Tajrish"],
        people["facilitator"],
        "گروه ایتای محله",
        category="messenger_group",
        phone="",
        address="https://eitaa.com/tajrish_mahalle",
    )
    entry(None, people["admin"], "صدای مشاور بهزیستی", category="welfare", phone="1480", address="")
    answer = client.get(f"/directory/areas/{places['Tajrish'].id}/print.pdf")
    (tmp_path / "long.pdf").write_bytes(answer.data)
    info = subprocess.run(["pdfinfo", str(tmp_path / "long.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info), info
    words = pdf_words(tmp_path / "long.pdf")
    assert "گروهایتایمحله" in words and "صدایمشاوربهزیستی" in words, "local services make room first"
    assert "۱۷خدمتدیگردرسایت" in words


def test_services_near_me_is_one_tap_from_the_simple_home(client, places, people):
    entry(places["Tajrish"], people["facilitator"], "داروخانه شبانه‌روزی قدس", category="pharmacy")
    entry(None, people["admin"], "صدای مشاور بهزیستی", category="welfare", phone="1480", address="")
    sign_in(client, people["resident"].phone)
    home = check_page(client.get("/simple/"), budget=SIMPLE_BUDGET)
    link = re.search(r'<a class="btn second" href="([^"]+)">خدمات نزدیک من</a>', home).group(1)
    html = check_page(client.get(link), budget=SIMPLE_BUDGET)
    assert len(re.findall('class="big-choice"', html)) <= 4
    assert 'class="btn second" href="tel:02122730000"' in html and 'href="tel:1480"' in html
    assert "داروخانه شبانه‌روزی قدس" in html


def test_services_near_me_asks_a_guest_for_a_neighborhood_and_stays_small_when_long(client, places, people):
    html = check_page(client.get("/simple/services"), budget=SIMPLE_BUDGET)
    assert 'href="/areas/"' in html
    for number in range(60):
        entry(places["Tajrish"], people["facilitator"], f"درمانگاه شمارهٔ {number}", phone=f"021227{number:05d}")
    client.set_cookie("hood", str(places["Tajrish"].id))
    html = check_page(client.get("/simple/services"), budget=SIMPLE_BUDGET)
    assert html.count('href="tel:') == 30


# --- Demo data ---------------------------------------------------------------------------------


def test_the_demo_has_two_tehran_neighborhoods_lists_and_seeding_twice_adds_nothing(db):
    demo.seed()
    first = models.DirectoryEntry.select().count()
    assert first == len(directory_demo.DEMO_ENTRIES)
    demo.seed()
    assert models.DirectoryEntry.select().count() == first
    for name in ("تجریش", "نیاوران"):
        hood = demo.find_neighborhood(name, "تهران")
        own = directory.kept_for(hood)
        assert len(own) >= 4 and {item.checked_by_id for item in own} != {None}
        names = [item.name for _s, items in directory.services_near(hood) for item in items]
        assert "صدای مشاور بهزیستی" in names and "شهرداری منطقه 1" in names
    tajrish = demo.find_neighborhood("تجریش", "تهران")
    center = models.DirectoryEntry.get(models.DirectoryEntry.name == "مرکز مثبت زندگی تجریش")
    assert center.center_id == models.Center.get(models.Center.name == "مرکز مثبت زندگی تجریش").id
    assert center.area_id == tajrish.id


def test_the_neighborhood_page_stays_within_its_budget_with_a_long_list(client, places, people):
    for number in range(directory.LISTED + 5):
        entry(
            places["Tajrish"],
            people["facilitator"],
            f"درمانگاه شبانه‌روزی شمارهٔ {number}",
            phone=f"021227{number:05d}",
            address=f"خیابان دربند، کوچهٔ شهید فلاحی، پلاک {number}",
        )
    html = check_page(client.get(f"/areas/{places['Tajrish'].id}"))
    assert html.count('href="tel:') == directory.LISTED


def test_a_long_list_above_never_crowds_out_the_neighborhoods_own(db, places, people):
    for number in range(directory.LISTED):
        entry(None, people["admin"], f"خط ملی {number}", category="welfare", phone=f"1{number:03d}", address="")
    entry(places["Tajrish"], people["facilitator"], "درمانگاه تجریش")
    shown = [item.name for _s, items in directory.services_near(places["Tajrish"]) for item in items]
    assert len(shown) == directory.LISTED and "درمانگاه تجریش" in shown


def test_renaming_onto_another_entrys_name_is_refused_beside_the_name(client, places, people):
    entry(places["Tajrish"], people["facilitator"], "داروخانه قدس", category="pharmacy")
    other = entry(places["Tajrish"], people["facilitator"], "داروخانه نیک", category="pharmacy")
    sign_in(client, people["facilitator"].phone)
    page = f"/directory/entries/{other.id}/edit"
    answer = submit(client, page, page, {"name": "داروخانه قدس", "category": "pharmacy"})
    html = check_page(answer, status=422)
    assert re.search(r'id="f-name-error">خدمتی با همین نام در این فهرست هست.', html)
    assert models.DirectoryEntry.get_by_id(other.id).name == "داروخانه نیک"
    assert not models.AuditEntry.select().where(models.AuditEntry.action == "directory.edited").exists()


def test_racing_forms_of_the_same_name_make_one_entry(db, places, people):
    """Eight keepers add the same service at once, each from their own form:
    the unique key (the place and the folded name) lets one through."""
    fields, _problems = directory.check_fields({"name": "داروخانه قدس", "category": "pharmacy"})
    barrier, outcomes = threading.Barrier(8), []

    def add(number):
        with models.connection():
            barrier.wait()
            try:
                directory.add_entry(places["Tajrish"], people["facilitator"], f"race-{number}", fields)
                outcomes.append("added")
            except directory.EntryError as problem:
                outcomes.append(problem.code)

    workers = [threading.Thread(target=add, args=(number,)) for number in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == ["added"] + ["name_taken"] * 7
    assert models.DirectoryEntry.select().count() == 1


def test_the_lists_read_in_english_too(client, places, people):
    entry(places["Tajrish"], people["facilitator"], "داروخانه قدس", category="pharmacy")
    submit(client, "/", "/language", {"language": "en"})
    html = check_page(client.get(f"/areas/{places['Tajrish'].id}"))
    for seen in ("Services near here", "Pharmacy", "Checked by", 'href="tel:02122730000"', "021 2273 0000"):
        assert seen in html, seen
    html = check_page(client.get("/simple/services"), budget=SIMPLE_BUDGET)
    assert "Services near me" in html
