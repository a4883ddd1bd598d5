"""Headquarters' imports (issue 18): areas, centers, facilitators and
volunteers from CSV or XLSX, through the pages and the commands. Every row is
checked first; each bad row is named with a Persian reason and nothing is
written; a good file is written at once; the same file again adds nothing.
Imported people get accounts without a PIN, which they claim themselves."""

import ast
import datetime
import io
import re
from pathlib import Path

import openpyxl
import pytest
from flask_babel import force_locale

import models
from hamsayeh import persian
from hamsayeh.domain import access, claims, demo, imports, volunteers
from hamsayeh.web import bulk
from tests.conftest import csrf_token, sign_in
from tests.factories import person
from tests.pages import check_page

# Tables a second import must leave as they are (the audit log notes every
# import; the limit of expensive requests and the sessions count requests).
LOGS = (models.AuditEntry, models.RateHit, models.Session)
TEHRAN = "استان,شهر,منطقه,محله"


def csv_file(*lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def table_counts():
    return {model.__name__: model.select().count() for model in models.MODELS if model not in LOGS}


def upload(client, kind, data, action="import", filename="list.csv"):
    page = f"/hq/imports/{kind}"
    body = {"csrf_token": csrf_token(client, page), "file": (io.BytesIO(data), filename), "action": action}
    return client.post(page, data=body, content_type="multipart/form-data")


def problems_on(html):
    """{row number: reason} from the page's table of problems."""
    rows = re.findall(r'<tr><td class="num">([^<]+)</td><td>([^<]+)</td></tr>', html)
    return {int(persian.to_latin_digits(number).replace("٬", "")): reason for number, reason in rows}


def counts_on(html):
    """{label: number} from the page's list of counts."""
    pairs = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html)
    return {label: int(persian.to_latin_digits(value).replace("٬", "")) for label, value in pairs}


@pytest.fixture
def admin_client(client, people):
    sign_in(client, people["admin"].phone)
    return client


# --- Areas ---------------------------------------------------------------------------------


AREAS = csv_file(
    "استان,نام انگلیسی استان,شهرستان,شهر,نام انگلیسی شهر,منطقه,محله,نام انگلیسی محله,کد محله",
    "همدان,Hamadan,همدان,همدان,Hamadan,منطقه ۱,اعتمادیه,Etemadieh,1801",
    "همدان,Hamadan,همدان,همدان,Hamadan,منطقه ۱,سعیدیه,Saeedieh,1802",
    "همدان,Hamadan,همدان,همدان,Hamadan,منطقه ۲,مزدقینه,Mazdaghineh,1803",
    "همدان,,ملایر,,,,,,",
    # Tehran's city is reached without its county (the file leaves it out, the tree has none).
    "تهران,,,تهران,,منطقه ۱,دربند,Darband,1101",
)


def test_headquarters_imports_areas_and_the_same_file_adds_nothing(admin_client, places):
    page = check_page(admin_client.get("/hq/imports/areas"))
    assert "نام انگلیسی استان" in page  # the columns a first row may name
    response = upload(admin_client, "areas", AREAS)
    html = check_page(response)
    counts = counts_on(html)
    assert counts["مناطق تازه"] == 10  # Hamadan, its county, city, 2 districts, 3 neighborhoods, Malayer; Darband
    hood = models.Area.get(models.Area.name == "اعتمادیه")
    assert [a.name for a in hood.ancestors()] == ["همدان", "همدان", "همدان", "منطقه 1"]
    assert hood.kind == "neighborhood" and hood.code == "1801" and hood.name_en == "Etemadieh"
    assert hood.path == "".join(f"/{a.id}" for a in hood.ancestors()) + f"/{hood.id}/"
    assert models.Area.get(models.Area.name == "ملایر").kind == "county"
    darband = models.Area.get(models.Area.name == "دربند")
    assert darband.parent_id == places["District 1"].id  # under the existing district, no second Tehran
    assert models.Area.search(persian.fold("اعتمادیه")).first() == hood  # found by the site's search
    before = table_counts()
    again = counts_on(check_page(upload(admin_client, "areas", AREAS)))
    assert again["مناطق تازه"] == 0 and table_counts() == before
    entries = models.AuditEntry.select().where(models.AuditEntry.action == "import.areas")
    assert entries.count() == 1 and entries.first().actor_id == models.User.by_phone(admin_phone(places)).id


def admin_phone(places):
    return models.User.select().join(models.UserRole).where(models.UserRole.role == "admin").get().phone


def test_an_area_is_found_by_its_code_and_gets_the_code_it_lacked(db, places):
    found = imports.run(imports.AreasImport(), rows(TEHRAN + ",کد محله", "تهران,تهران,منطقه ۱,تجریش,1100"), None)
    assert found.ok and found.counts == {"added": 0, "existing": 1, "codes": 1, "names_en": 0}
    assert models.Area.get_by_id(places["Tajrish"].id).code == "1100"
    # Renamed in the file, the same code still finds it: nothing is added.
    renamed = imports.run(imports.AreasImport(), rows(TEHRAN + ",کد محله", "تهران,تهران,منطقه ۱,تجریش قدیم,1100"), None)
    assert renamed.ok and renamed.counts["added"] == 0
    taken = imports.run(imports.AreasImport(), rows(TEHRAN + ",کد محله", "تهران,تهران,منطقه ۱۲,بازار,1100"), None)
    assert [(p.row, p.code) for p in taken.problems] == [(2, "code_elsewhere")]


def rows(*lines):
    return [line.split(",") for line in lines]


def test_demo_files_load_through_the_imports(db):
    for kind, name in demo.DEMO_FILES:
        demo.load_demo_file(kind, name)
    assert models.Area.select().where(models.Area.kind == "province").count() == 31
    city = models.Area.get(models.Area.kind == "city", models.Area.name == "تهران")
    assert city.sorted_children().where(models.Area.kind == "district").count() == 22
    rudehen = models.Center.get(models.Center.name == "مرکز مثبت زندگی رودهن")
    assert [a.name for a in rudehen.area.ancestors()][-1] == "رودهن" and rudehen.kind == "mosbat_center"
    before = table_counts()
    for kind, name in demo.DEMO_FILES:
        assert demo.load_demo_file(kind, name).counts.get("added") == 0
    assert table_counts() == before


# --- Centers ----------------------------------------------------------------------------------


CENTERS = csv_file(
    "نام مرکز,نام انگلیسی,نوع,استان,شهر,محله,نشانی,تلفن,ساعت کار,عرض جغرافیایی,طول جغرافیایی,محله‌های تحت پوشش",
    "مرکز مثبت زندگی تجریش,Tajrish center,مرکز مثبت زندگی,تهران,تهران,تجریش,میدان قدس,021-2271 2345,۸ تا ۱۸,35.8043,51.4339,نیاوران",
    "حسینیهٔ بازار,,مسجد,تهران,تهران,بازار,,,,,,",
)


def test_centers_come_with_their_kind_map_point_and_served_neighborhoods(admin_client, places):
    html = check_page(upload(admin_client, "centers", CENTERS))
    assert counts_on(html)["مرکزهای تازه"] == 2
    center = models.Center.get(models.Center.name == "مرکز مثبت زندگی تجریش")
    assert center.area_id == places["Tajrish"].id and center.kind == "mosbat_center"
    assert (center.latitude, center.longitude, center.phone) == (35.8043, 51.4339, "02122712345")
    assert [row.area_id for row in center.served] == [places["Niavaran"].id]
    assert models.Center.get(models.Center.name == "حسینیهٔ بازار").kind == "mosque_hall"
    before = table_counts()
    assert counts_on(check_page(upload(admin_client, "centers", CENTERS)))["مرکزهای تازه"] == 0
    assert table_counts() == before
    # The same name in another neighborhood is not the same center: the row is refused.
    moved = csv_file("نام مرکز,استان,شهر,محله", "حسینیهٔ بازار,تهران,تهران,نیاوران")
    refused = problems_on(upload(admin_client, "centers", moved).get_data(as_text=True))
    assert list(refused) == [2] and "حسینیهٔ بازار" in refused[2]


# --- Volunteers ----------------------------------------------------------------------------------


VOLUNTEERS_HEADER = "تلفن همراه,نام,استان,شهر,محله,فعالیت‌ها,روزها,ساعت‌ها"


def volunteer_line(phone, name="مهسا کریمی", hood="تجریش", kinds="سلامت، کودکان", days="شنبه و دوشنبه", times=""):
    return f"{phone},{name},تهران,تهران,{hood},{kinds},{days},{times}"


def test_volunteers_get_accounts_they_claim_themselves_and_again_nothing_is_added(admin_client, places):
    member = person("09123330001", "نگار صالحی", neighborhood=places["Bazaar"])  # signed up on the web, with a PIN
    data = csv_file(
        VOLUNTEERS_HEADER,
        volunteer_line("0912 333 0002", kinds="health؛ elderly", days="همه روزها", times="صبح و عصر"),
        volunteer_line("۰۹۱۲۳۳۳۰۰۰۱", name="نگار صالحی", hood="بازار", days="جمعه"),
    )
    counts = counts_on(check_page(upload(admin_client, "volunteers", data)))
    assert counts == {"حساب‌های تازه": 1, "کسانی که حساب داشتند": 1, "داوطلبان تازه": 2, "کسانی که داوطلب بودند": 0}
    made = models.User.by_phone("09123330002")
    assert made.origin == "import" and made.pin_hash == "" and made.neighborhood_id == places["Tajrish"].id
    assert made.roles() == {"resident", "volunteer"} and claims.claimable(made)
    profile = volunteers.profile_of(made)
    assert profile.weekdays == 127 and profile.time_slots == 1 | 4
    assert profile.district_id == places["District 1"].id
    assert profile.city_id == volunteers.city_of(places["Tajrish"]).id  # the rule the profile form keeps
    assert {row.activity_type.slug for row in profile.activities} == {"health", "elderly"}
    assert models.AuditEntry.get(models.AuditEntry.subject == f"user:{made.id}").action == "account.made_at_import"
    # The member who signed up keeps their own PIN, and becomes a volunteer on Fridays.
    member = models.User.get_by_id(member.id)
    assert member.check_pin("2580") and "volunteer" in member.roles()
    assert volunteers.profile_of(member).weekdays == 1 << 6
    before = table_counts()
    again = counts_on(check_page(upload(admin_client, "volunteers", data)))
    assert again["حساب‌های تازه"] == 0 and again["داوطلبان تازه"] == 0 and table_counts() == before


BAD_VOLUNTEERS = (
    # (how the row is wrong, the line)
    ("not a mobile number", volunteer_line("02122334455")),
    ("no name", volunteer_line("09124440000", name="")),
    ("a name without letters", volunteer_line("09124440000", name="۱۲۳")),
    ("an unknown neighborhood", volunteer_line("09124440000", hood="ونک")),
    ("a district, not a neighborhood", "09124440000,مهسا,تهران,تهران,منطقه ۱,سلامت,شنبه,"),
    ("an unknown activity", volunteer_line("09124440000", kinds="سلامت، فضانوردی")),
    ("an unknown day", volunteer_line("09124440000", days="شنبه، روز ملی")),
    ("no activity", volunteer_line("09124440000", kinds="")),
    ("an unknown time of day", volunteer_line("09124440000", times="نیمه‌شب")),
    ("a name too long", volunteer_line("09124440000", name="ن" * 81)),
)


def test_a_file_with_fifty_bad_rows_names_each_of_them_and_adds_nothing(admin_client, places):
    lines, bad = [VOLUNTEERS_HEADER], {}
    for index in range(70):
        if index % 7 in (0, 3):  # twenty good rows among them
            lines.append(volunteer_line(f"091255{index:05d}"))
            continue
        why, line = BAD_VOLUNTEERS[len(bad) % len(BAD_VOLUNTEERS)]
        line = line.replace("09124440000", f"091266{index:05d}")
        lines.append(line)
        bad[len(lines)] = why
    lines.append(volunteer_line("09125500000"))  # the same number as the first good row
    bad[len(lines)] = "the same number twice"
    assert len(bad) == 51
    before = table_counts()
    response = upload(admin_client, "volunteers", csv_file(*lines))
    html = check_page(response, status=422)
    named = problems_on(html)
    assert sorted(named) == sorted(bad)  # each bad row, by its number as the spreadsheet shows it
    for number, reason in named.items():
        assert re.search("[\u0600-\u06ff]", reason), (number, bad[number], reason)
    assert "«۰۲۱۲۲۳۳۴۴۵۵» شمارهٔ همراه نیست" in named[next(n for n, w in bad.items() if w == "not a mobile number")]
    assert "سطر ۲" in named[len(lines)]  # the first row with the same number
    assert "۵۱ مشکل" in html
    assert table_counts() == before
    assert not models.AuditEntry.select().where(models.AuditEntry.action.startswith("import.")).exists()


def test_every_reason_the_engine_gives_has_a_sentence():
    source = Path(imports.__file__).read_text(encoding="utf-8")
    codes = {
        constant.value
        for node in ast.walk(ast.parse(source))
        if is_bad(node)
        for constant in ast.walk(node.args[0])
        if isinstance(constant, ast.Constant)
    }
    codes |= set(re.findall(r'\["(no_[a-z_]+)"\]', source)) | {"no_rows", "unknown_column", "column_twice"}
    codes |= {"column_missing", "unreadable", "too_many_rows"}
    assert codes <= set(bulk.REASONS), codes - set(bulk.REASONS)


def is_bad(node):
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Bad" and node.args


def test_reasons_are_sentences_in_persian(app):
    problem = imports.Problem(4, "too_long", {"column": "name", "most": 80})
    with app.test_request_context(), force_locale("fa"):
        assert bulk.reason(problem) == "نام بیشتر از ۸۰ حرف است."


# --- Facilitators --------------------------------------------------------------------------------


def facilitators_workbook(*rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["تلفن همراه", "نام", "استان", "شهر", "محله", "دوره", "ساعت", "تاریخ"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_facilitators_come_with_their_training_from_a_spreadsheet(admin_client, people, places):
    day = datetime.date(2025, 5, 1)
    data = facilitators_workbook(
        ("09127770001", "لیلا احمدی", "تهران", "تهران", "تجریش", "تسهیل‌گری محله", 24, day),
        ("09127770001", "لیلا احمدی", "تهران", "تهران", "نیاوران", "روایت نیازها", 8, "1404/03/01"),
        ("09127770002", "امیر نوری", "تهران", "تهران", "بازار", "", "", ""),
        (people["facilitator"].phone, "کاربر facilitator", "تهران", "تهران", "بازار", "کار با سالمندان", 12, day),
    )
    html = check_page(upload(admin_client, "facilitators", data, filename="list.xlsx"))
    assert counts_on(html) == {
        "حساب‌های تازه": 2,
        "تسهیل‌گرانی که حساب داشتند": 1,
        "محله‌هایی که تازه سپرده شد": 4,
        "دوره‌هایی که تازه ثبت شد": 3,
    }
    made = models.User.by_phone("09127770001")
    profile = models.FacilitatorProfile.get(models.FacilitatorProfile.user == made)
    assert profile.training_hours() == 32 and made.roles() == {"resident", "facilitator"}
    assert {a.neighborhood_id for a in profile.assignments} == {places["Tajrish"].id, places["Niavaran"].id}
    assert models.Training.get(models.Training.course == "روایت نیازها").completed_on == datetime.date(2025, 5, 22)
    # A staff account is never claimed by SMS: in person at a desk (test_in_person), and nobody set a PIN.
    assert made.pin_hash == "" and not claims.claimable(made) and access.may_be_claimed_in_person(made)
    before = table_counts()
    assert (
        counts_on(check_page(upload(admin_client, "facilitators", data, filename="list.xlsx")))[
            "دوره‌هایی که تازه ثبت شد"
        ]
        == 0
    )
    assert table_counts() == before


def test_a_list_never_makes_staff_of_an_existing_account(admin_client, people, places):
    data = facilitators_workbook((people["resident"].phone, "کاربر resident", "تهران", "تهران", "تجریش", "", "", ""))
    named = problems_on(check_page(upload(admin_client, "facilitators", data, filename="l.xlsx"), status=422))
    assert list(named) == [2] and "نقش تسهیل‌گر" in named[2]
    assert "facilitator" not in people["resident"].roles()


# --- Files, checks, commands and who may import ------------------------------------------------------


def test_checking_a_file_writes_nothing_and_says_what_it_would_add(admin_client, places):
    before = table_counts()
    html = check_page(upload(admin_client, "areas", AREAS, action="check"))
    assert counts_on(html)["مناطق تازه"] == 10 and "پرونده درست است" in html
    assert table_counts() == before


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 not a workbook", "این پرونده خوانده نمی‌شود"),
        (csv_file("استان,رنگ", "تهران,آبی"), "ستون «رنگ»"),
        (csv_file("نام,نشانی", "مرکز,خیابان"), "ستون‌های استان"),
        (csv_file("استان"), "سطری برای وارد کردن ندارد"),
    ],
)
def test_a_broken_file_is_named_and_nothing_is_written(admin_client, places, data, reason):
    before = table_counts()
    kind = "centers" if data.startswith("نام".encode()) else "areas"
    html = check_page(upload(admin_client, kind, data), status=422)
    assert reason in html
    assert table_counts() == before


def test_a_file_in_windows_arabic_reads_as_well(admin_client, places):
    data = "استان,شهر,منطقه,محله\nتهران,تهران,منطقه ۱۲,پامنار\n".replace("۱۲", "12").encode("cp1256")
    assert counts_on(check_page(upload(admin_client, "areas", data)))["مناطق تازه"] == 1


@pytest.mark.parametrize(
    "role", ["resident", "volunteer", "facilitator", "center_staff", "charity_staff", "social_worker"]
)
def test_only_headquarters_imports(client, people, places, role):
    sign_in(client, people[role].phone)
    before = table_counts()
    assert client.get("/hq/imports/areas").status_code == 403
    assert upload(client, "areas", AREAS).status_code == 403
    assert table_counts() == before


def test_the_command_imports_a_big_file_and_lists_every_bad_row(app, db, people, places, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "volunteers.csv"
    good.write_bytes(csv_file(VOLUNTEERS_HEADER, *(volunteer_line(f"0912880{i:04d}") for i in range(1500))))
    result = runner.invoke(args=["import-volunteers", str(good), "--by", people["admin"].phone])
    assert result.exit_code == 0, result.output
    assert "حساب‌های تازه: 1500" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file(VOLUNTEERS_HEADER, volunteer_line("123"), volunteer_line("09128899999", hood="ونک")))
    result = runner.invoke(args=["import-volunteers", str(bad), "--by", people["admin"].phone])
    assert result.exit_code == 1
    assert "row 2: «۱۲۳» شمارهٔ همراه نیست" in result.output and "row 3:" in result.output
    refused = runner.invoke(args=["import-volunteers", str(good), "--by", people["resident"].phone])
    assert refused.exit_code != 0 and "administrator" in refused.output


def test_thousands_of_bad_rows_show_the_first_ones_within_the_pages_budget(admin_client, places):
    lines = [VOLUNTEERS_HEADER, *(volunteer_line(f"0212{i:07d}") for i in range(3000))]
    html = check_page(upload(admin_client, "volunteers", csv_file(*lines)), status=422)
    assert len(problems_on(html)) == 200 and "و ۲۸۰۰ مشکل دیگر" in html
