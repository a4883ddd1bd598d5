"""The welfare desk's reports (counts only, small counts hidden, Jalali
months) and its exchange with agencies: coverage lists kept as keyed hashes
only, never the file; the served list by reference, or by the agency's own
codes for staff with that right."""

import csv
import datetime
import io

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import casework, casework_exchange, casework_reports, demo
from tests.conftest import REGISTRY_KEY, sign_in, submit
from tests.factories import welfare_case, welfare_desk
from tests.pages import check_page


@pytest.fixture
def desk(places, people):
    return welfare_desk(places, people)


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user.phone)
    return client


def codes(count, start=100_000_000):
    """`count` valid national codes."""
    return [demo.national_code(f"{start + i:09d}") for i in range(count)]


def served(desk, name, code, group="", category="food", day=None):
    case = welfare_case(desk["office"], desk["clerk"], name=name, code=code, registry_key=REGISTRY_KEY)
    casework.assess(
        case, desk["worker"], 1, housing="rented", coverage="none", decision="eligible", priority_group=group
    )
    service = casework.plan_service(case, desk["worker"], f"svc-{code}", category)
    casework.deliver(service, desk["worker"], REGISTRY_KEY, day or datetime.date.today())
    return case


# --- Reports ------------------------------------------------------------------------------------------


def test_reports_count_by_jalali_month_and_hide_every_count_under_five(app, desk, people):
    people_codes = codes(7)
    for index, code in enumerate(people_codes):
        served(desk, f"خانوار {index}", code, group="street_children" if index < 6 else "addiction")
    # Seven requests in Azar 1405 (created on its first day in Tehran) and two in Aban.
    first_of_azar = datetime.datetime(2026, 11, 21, 21, 0)  # 00:30 on 1 Azar in Tehran
    models.WelfareCase.update(created_at=first_of_azar).execute()
    for index in range(2):
        late = welfare_case(desk["office"], desk["clerk"], name=f"آبان {index}")
        models.WelfareCase.update(created_at=datetime.datetime(2026, 11, 15)).where(
            models.WelfareCase.id == late.id
        ).execute()
    report = casework_reports.report([desk["office"].id], datetime.datetime(2026, 1, 1))
    assert dict(report["by_month"]) == {persian.JalaliMonth(1405, 9): 7, persian.JalaliMonth(1405, 8): 2}
    assert report["by_group"] == {"street_children": 6, "addiction": 1}
    supervisor = signed_in(app, desk["supervisor"])
    html = check_page(supervisor.get("/cases/reports?months=24"))
    assert "کودکان کار و خیابان" in html and "معتادان متجاهر" in html
    assert "آذر ۱۴۰۵" in html and "آبان ۱۴۰۵" in html
    table = html.split("گروه‌های اولویت‌دار")[1]
    assert '<td class="num">۶</td>' in table and "کمتر از ۵" in table and '<td class="num">۱</td>' not in table
    rows = list(csv.reader(io.StringIO(supervisor.get("/cases/reports.csv?months=24").get_data(as_text=True))))
    assert ["گروه‌های اولویت‌دار", "معتادان متجاهر", "کمتر از 5"] in rows
    assert ["درخواست‌ها به تفکیک ماه", "آبان ۱۴۰۵", "کمتر از 5"] in rows
    assert not any(f"خانوار {i}" in cell for row in rows for cell in row for i in range(7))
    # Headquarters reads every district's counts; a social worker reads none.
    assert "منطقه ۱" in check_page(signed_in(app, people["admin"]).get("/cases/reports"))
    assert signed_in(app, desk["worker"]).get("/cases/reports").status_code == 403


# --- Coverage lists -------------------------------------------------------------------------------------


def upload(client, path, data, name="file", **fields):
    page = "/cases/exchange"
    token = client.get(page).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(
        path,
        data={"csrf_token": token, name: (io.BytesIO(data), "list.csv"), **fields},
        content_type="multipart/form-data",
    )


def test_a_coverage_list_marks_the_covered_keeps_only_hashes_and_again_changes_nothing(app, desk):
    covered = served(desk, "تحت پوشش کمیته", "0012345679")
    listed = [*codes(50), "0012345679"]
    data = ("کد ملی\n" + "\n".join(listed) + "\nنامعتبر\n1234567890\n").encode()
    files_before = models.StoredFile.select().count()
    supervisor = signed_in(app, desk["supervisor"])
    html = check_page(upload(supervisor, "/cases/exchange/coverage", data, agency="relief"))
    assert "۵۱" in html and "۲ ردیف" in html
    assert models.AgencyCoverage.select().count() == 51
    stored = {row.identifier_hash for row in models.AgencyCoverage.select()}
    assert models.identifier_hash(REGISTRY_KEY, "national", "0012345679") in stored
    assert not any(code in digest for code in listed for digest in stored)
    assert models.StoredFile.select().count() == files_before  # the file is never kept
    assert "کمیتهٔ امداد" in check_page(supervisor.get(f"/cases/{covered.id}"))
    before = [(row.id, row.listed_at) for row in models.AgencyCoverage.select().order_by(models.AgencyCoverage.id)]
    again = check_page(upload(supervisor, "/cases/exchange/coverage", data, agency="relief"))
    assert "۰ نفر تازه" in again
    assert [
        (row.id, row.listed_at) for row in models.AgencyCoverage.select().order_by(models.AgencyCoverage.id)
    ] == before
    # A newer list replaces the older one.
    result = casework_exchange.import_coverage(
        desk["office"], "relief", desk["supervisor"], REGISTRY_KEY, [("national", c) for c in listed[:10]]
    )
    assert (result["added"], result["removed"]) == (0, 41)
    entry = (
        models.AuditEntry.select()
        .where(models.AuditEntry.action == "case.coverage_imported")
        .order_by(models.AuditEntry.id.desc())
        .first()
    )
    assert "0012345679" not in entry.detail and "removed:41" in entry.detail


def test_a_broken_list_names_its_problem_and_imports_nothing(app, desk):
    supervisor = signed_in(app, desk["supervisor"])
    html = check_page(
        upload(supervisor, "/cases/exchange/coverage", b"\x00\x01\x02garbage", agency="relief"), status=422
    )
    assert 'id="f-file-error"' in html
    html = check_page(upload(supervisor, "/cases/exchange/coverage", b"name\nabc\n", agency="relief"), status=422)
    assert "کد ملی معتبری ندارد" in html
    assert not models.AgencyCoverage.select().exists()


def test_only_a_supervisor_exchanges_and_only_staff_with_the_right_export_by_code(app, desk, people):
    for user in (desk["worker"], desk["clerk"], people["charity_staff"], people["admin"], desk["far_worker"]):
        assert signed_in(app, user).get("/cases/exchange").status_code == 403
    supervisor = signed_in(app, desk["supervisor"])
    served(desk, "خدمت‌گرفته", "0012345679")
    rows = list(csv.reader(io.StringIO(supervisor.get("/cases/exchange/served.csv").get_data(as_text=True))))
    assert len(rows) == 2 and "خدمت‌گرفته" not in str(rows) and "0012345679" not in str(rows)
    assert rows[1][0] == casework_exchange.case_ref(REGISTRY_KEY, models.WelfareCase.get().id)
    asked = ("0012345679\n" + "\n".join(codes(3))).encode()
    assert "served-codes" not in check_page(supervisor.get("/cases/exchange"))
    assert upload(supervisor, "/cases/exchange/served-codes.csv", asked, name="codes").status_code == 403
    casework.set_staff(desk["office"], desk["supervisor"], "supervisor", people["admin"], exports_codes=True)
    response = upload(supervisor, "/cases/exchange/served-codes.csv", asked, name="codes")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == ["0012345679"]
    entry = models.AuditEntry.get(models.AuditEntry.action == "case.served_codes_exported")
    assert entry.actor_id == desk["supervisor"].id and "asked:4 matched:1" in entry.detail


# --- Offices, kept by headquarters -----------------------------------------------------------------------


def test_headquarters_opens_an_office_and_names_its_staff(app, places, people):
    admin = signed_in(app, people["admin"])
    district = places["District 12"]
    assert submit(admin, "/cases/offices", "/cases/offices", {"district": str(district.id)}).status_code == 302
    office = models.WelfareOffice.get(models.WelfareOffice.district == district)
    page = f"/cases/offices/{office.id}"
    bad = submit(admin, page, f"{page}/staff", {"phone": people["resident"].phone, "role": "social_worker"})
    assert "نقش مددکار" in check_page(bad, status=422)
    good = {"phone": people["social_worker"].phone, "role": "supervisor", "exports_codes": "1"}
    assert submit(admin, page, f"{page}/staff", good).status_code == 302
    post = models.WelfareStaff.get()
    assert (post.role, post.exports_codes, post.user_id) == ("supervisor", True, people["social_worker"].id)
    assert signed_in(app, people["social_worker"]).get("/cases/").status_code == 200
    assert signed_in(app, people["social_worker"]).get(page).status_code == 403
