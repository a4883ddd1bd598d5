"""The county's shared registry (Samoon): one family, many charities. Each rule
about who sees what is proven by trying it."""

import datetime
import io
from types import SimpleNamespace

import jdatetime
import pytest

import models
from app import _check_registry_key as start_up_check
from hamsayeh.domain import accounts, audit, organizations, registry
from hamsayeh.domain.demo import national_code
from tests.conftest import PIN, REGISTRY_KEY, sign_in, submit
from tests.factories import assembly
from tests.pages import check_page

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


FAMILY_CODE = national_code("007812345")


@pytest.fixture
def charities(people, places):
    """Charities A and B of the assembly of Tehran, and C outside it; one
    staff member of each (A's is the charity_staff of `people`)."""
    city = places["Tajrish"].parent.parent
    orgs = {
        "A": models.Organization.create(name="خیریهٔ الف", kind="charity", county=city),
        "B": models.Organization.create(name="خیریهٔ ب", kind="charity", county=city),
        "C": models.Organization.create(name="گروه ج", kind="community", county=city),
    }
    assembly(city, "مجمع خیریه‌های تهران", members=[orgs["A"], orgs["B"]])
    staff = {"A": people["charity_staff"]}
    for index, name in enumerate(("B", "C")):
        staff[name] = accounts.create_user(f"0912888000{index}", f"کارمند {name}", PIN, roles=("charity_staff",))
    for name, user in staff.items():
        models.OrganizationMember.create(organization=orgs[name], user=user, role="staff")
    return orgs, staff


def record_family(client, consent=False, number=FAMILY_CODE, id_kind="national"):
    data = {"id_kind": id_kind, "number": number, "name": "خانوادهٔ رحیمی", "household_size": "۴"}
    data["household"] = "مریم، دختر، ۱۲ ساله"
    if consent:
        data["consent"] = "1"
    response = submit(client, "/registry/new", "/registry/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return models.BeneficiaryRecord.get(models.BeneficiaryRecord.id == int(response.location.rsplit("/", 1)[1]))


def add_service(client, record, category="food", **extra):
    page = f"/registry/records/{record.id}"
    today = jdatetime.date.today().strftime("%Y/%m/%d")
    data = {"category": category, "given_on": today, "amount": "۵٬۰۰۰٬۰۰۰", "note": "سبد غذایی ماه"} | extra
    return submit(client, page, f"{page}/services", data)


def inquire(client, number, months="6"):
    data = {"id_kind": "national", "number": number, "reason": "new_aid", "months": months}
    return submit(client, "/registry/", "/registry/inquiry", data)


def test_charity_b_sees_charity_as_food_service_without_the_familys_details(client, charities):
    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    record = record_family(client)
    assert add_service(client, record).status_code == 302
    html = check_page(client.get(f"/registry/records/{record.id}"))
    assert "سبد غذایی ماه" in html and "۵٬۰۰۰٬۰۰۰" in html
    assert "خانوادهٔ رحیمی" not in html.split("</title>")[0]  # nor in the browser's history

    sign_in(client, staff["B"].phone)
    typed = f"{FAMILY_CODE[:3]}-{FAMILY_CODE[3:]}".translate(PERSIAN)  # Persian digits and a dash
    html = check_page(inquire(client, typed))
    assert "۱ خدمت" in html and "از ۱ سازمان" in html and "غذا" in html
    assert "خانوادهٔ رحیمی" not in html and "سبد غذایی ماه" not in html
    assert FAMILY_CODE not in html and FAMILY_CODE.translate(PERSIAN) not in html
    assert f"{FAMILY_CODE[-4:]}".translate(PERSIAN) in html

    # Every inquiry is in the audit log with who and why; the code never is.
    entry = models.AuditEntry.get(models.AuditEntry.action == "registry.inquiry")
    assert entry.actor_id == staff["B"].id and "reason:new_aid" in entry.detail
    for row in models.AuditEntry.select():
        assert FAMILY_CODE not in f"{row.subject} {row.detail}"
    assert audit.verify_audit_chain() is None


def test_the_national_code_is_stored_only_as_a_keyed_hash_and_its_last_digits(client, charities, db):
    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    record_family(client)
    person = models.Beneficiary.get()
    assert person.last_digits == FAMILY_CODE[-4:]
    assert person.identifier_hash == models.identifier_hash(REGISTRY_KEY, "national", FAMILY_CODE)
    assert person.identifier_hash != models.identifier_hash("another key", "national", FAMILY_CODE)
    for model in models.MODELS:
        for row in model.select().dicts():
            assert not any(FAMILY_CODE in str(value) for value in row.values()), model.__name__


def test_consent_lets_other_members_see_name_and_household(client, charities):
    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    record = record_family(client, consent=True)
    sign_in(client, staff["B"].phone)
    html = check_page(inquire(client, FAMILY_CODE))
    assert "خانوادهٔ رحیمی" in html and "۰ خدمت" in html
    sign_in(client, staff["A"].phone)
    page = f"/registry/records/{record.id}"
    assert submit(client, page, f"{page}/consent", {"consent": ""}).status_code == 302
    sign_in(client, staff["B"].phone)
    assert "خانوادهٔ رحیمی" not in check_page(inquire(client, FAMILY_CODE))
    assert models.AuditEntry.select().where(models.AuditEntry.action == "registry.consent_withdrawn").exists()


def test_wrong_numbers_are_refused_beside_the_field(client, charities):
    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    wrong_check = FAMILY_CODE[:9] + str((int(FAMILY_CODE[9]) + 1) % 10)
    for number, message in (
        (wrong_check, "رقم کنترل"),
        ("12345", "۱۰ رقم"),
        ("۱۲۳abc۴۵۶۷۸", "فقط رقم"),
    ):
        html = check_page(inquire(client, number), 422)
        assert 'id="f-number-error"' in html and message in html, number
    data = {"id_kind": "foreign", "number": "12345678901", "name": "", "household_size": "۴۰"}
    html = check_page(submit(client, "/registry/new", "/registry/new", data), 422)
    for name in ("number", "name", "household_size"):
        assert f'id="f-{name}-error"' in html
    assert not models.Beneficiary.select().exists()
    # A code written without its leading zeros is the same code.
    assert record_family(client, number=FAMILY_CODE.lstrip("0")).beneficiary.last_digits == FAMILY_CODE[-4:]
    foreign = record_family(client, number="۱۲۳۴-۵۶۷۸-۹۰۱۲", id_kind="foreign")
    assert foreign.beneficiary_id != models.Beneficiary.get(models.Beneficiary.last_digits == FAMILY_CODE[-4:]).id


def test_recording_twice_and_a_double_submitted_service_make_one(client, charities):
    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    first = record_family(client)
    assert record_family(client).id == first.id
    assert add_service(client, first, form_key="same-service-form").status_code == 302
    assert add_service(client, first, form_key="same-service-form").status_code == 302
    assert models.Service.select().count() == 1
    html = check_page(add_service(client, first, category="x", given_on="1499/01/01", amount="بسیار"), 422)
    for name in ("category", "given_on", "amount"):
        assert f'id="f-{name}-error"' in html
    sign_in(client, staff["B"].phone)
    second = record_family(client)
    assert second.id != first.id and second.beneficiary_id == first.beneficiary_id
    assert models.Beneficiary.select().count() == 1


def test_only_staff_of_assembly_members_reach_the_registry(client, charities, people):
    orgs, staff = charities
    sign_in(client, staff["A"].phone)
    record = record_family(client)
    for role in ("resident", "volunteer", "facilitator", "center_staff", "social_worker", "admin"):
        sign_in(client, people[role].phone)
        for path in ("/registry/", "/registry/new", f"/registry/records/{record.id}"):
            assert client.get(path).status_code == 403, (role, path)
        assert client.post("/registry/inquiry", data={"number": FAMILY_CODE}).status_code in (400, 403)
    # Staff of an organization outside the assembly, and a volunteer of a member.
    models.OrganizationMember.create(organization=orgs["A"], user=people["volunteer"], role="volunteer")
    for user in (staff["C"], people["volunteer"]):
        sign_in(client, user.phone)
        assert client.get("/registry/").status_code == 403
    # Another member's staff: the record's address shows nothing.
    sign_in(client, staff["B"].phone)
    assert client.get(f"/registry/records/{record.id}").status_code == 404
    page = f"/registry/records/{record.id}"
    assert submit(client, "/registry/", f"{page}/services", {"category": "food"}).status_code == 404
    assert submit(client, "/registry/", f"{page}/consent", {"consent": "1"}).status_code == 404
    submit(client, "/", "/account/sign-out", {})
    assert client.get("/registry/").status_code == 302


def test_registry_pages_are_never_cached_and_inquiries_are_limited(client, charities, monkeypatch):
    from hamsayeh.domain import registry

    _orgs, staff = charities
    sign_in(client, staff["B"].phone)
    assert client.get("/registry/").headers["Cache-Control"] == "no-store"
    monkeypatch.setattr(registry, "INQUIRIES_PER_HOUR", 3)
    for _ in range(3):
        check_page(inquire(client, FAMILY_CODE))
    html = check_page(inquire(client, FAMILY_CODE), 429)
    assert 'id="f-number-error"' in html and FAMILY_CODE not in html
    assert registry.recent_inquiries(staff["B"]) == 3
    # Recording someone shows what others gave them: it counts against the same limit.
    data = {"id_kind": "national", "number": FAMILY_CODE, "name": "خانوادهٔ رحیمی", "household_size": "2"}
    html = check_page(submit(client, "/registry/new", "/registry/new", data), 429)
    assert FAMILY_CODE not in html and not models.Beneficiary.select().exists()
    # A bad reason sends the page back without the (valid) number in it.
    monkeypatch.setattr(registry, "INQUIRIES_PER_HOUR", 60)
    html = check_page(submit(client, "/registry/", "/registry/inquiry", {"number": FAMILY_CODE, "reason": "x"}), 422)
    assert 'id="f-reason-error"' in html and FAMILY_CODE not in html


def test_a_lost_or_changed_key_stops_the_start(charities, client):
    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    record_family(client)
    with pytest.raises(registry.RegistryKeyError, match="not set"):
        registry.check_registry_key("")
    assert registry.check_registry_key(REGISTRY_KEY) is True  # the first key is remembered
    with pytest.raises(registry.RegistryKeyError, match="not the key"):
        registry.check_registry_key("a-new-key")
    # The start-up hook of the application says so before serving anything.
    with pytest.raises(registry.RegistryKeyError, match="not the key"):
        start_up_check(SimpleNamespace(config={"REGISTRY_KEY": "a-new-key"}))


def test_the_report_shows_parallel_services_and_the_shy_needy_by_reference_only(client, charities, people, places):
    from tests.factories import make_post

    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    family = record_family(client)
    add_service(client, family)
    quiet = record_family(client, number=national_code("123456789"))
    old_need = make_post(people["volunteer"], places["Bazaar"], "همسایهٔ سالمند بی‌تلفن به خرید هفتگی نیاز دارد")
    models.HelpPost.update(
        filed_by=people["volunteer"],
        on_behalf_name="آقای رحیمی",
        created_at=models.utcnow() - datetime.timedelta(days=20),
    ).where(models.HelpPost.id == old_need.id).execute()
    sign_in(client, staff["B"].phone)
    b_record = record_family(client)
    add_service(client, b_record)  # food again, the same month, from another charity

    html = check_page(client.get("/registry/reports"))
    family_ref = registry.registry_ref(REGISTRY_KEY, family.beneficiary_id)
    quiet_ref = registry.registry_ref(REGISTRY_KEY, quiet.beneficiary_id)
    parallel = html.split('id="parallel"')[1].split('id="many"')[0]
    # Which organizations served someone is not shown without their consent: how many is.
    assert family_ref in parallel and "۲ سازمان" in parallel and "خیریهٔ ب" not in parallel
    shy = html.split('id="shy"')[1].split('id="by-category"')[0]
    assert quiet_ref in shy and family_ref not in shy and "۱ نفر" in shy
    assert f"/board/posts/{old_need.id}" in shy
    for secret in ("خانوادهٔ رحیمی", "آقای رحیمی", FAMILY_CODE, FAMILY_CODE[-4:]):
        assert secret not in html
    assert registry.served_by_many(family.beneficiary.assembly, datetime.date(2000, 1, 1), at_least=2) == [
        (family.beneficiary_id, 2)
    ]
    rows = client.get("/registry/reports.csv").get_data(as_text=True)
    assert family_ref in rows and "خدمت‌های موازی" in rows and "خانوادهٔ رحیمی" not in rows


def upload(client, filename, data):
    token_page = "/registry/import"
    from tests.conftest import csrf_token

    body = {"csrf_token": csrf_token(client, token_page), "file": (io.BytesIO(data), filename)}
    return client.post("/registry/import", data=body, content_type="multipart/form-data")


def test_an_imported_list_brings_the_good_rows_and_names_the_bad_ones(client, charities):
    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    wrong_check = FAMILY_CODE[:9] + str((int(FAMILY_CODE[9]) + 1) % 10)
    lines = [
        "کد ملی,نام,تعداد خانوار,آخرین خدمت,نوع خدمت",
        f"{FAMILY_CODE.translate(PERSIAN)},خانوادهٔ رحیمی,۴,۱۴۰۵/۰۸/۰۱,غذا",
        f"{wrong_check},خانوادهٔ کریمی,3,,",
        f"{national_code('123456789')},خانوادهٔ نوری,2,,",
        f"{national_code('234567891')},,2,,",
        f"{national_code('345678912')},خانوادهٔ صالحی,40,,",
        f"{national_code('456789123').lstrip('0')},خانوادهٔ امینی,,1405/07/15,درمانی",
    ]
    data = "\n".join(lines).encode("utf-8")
    html = check_page(upload(client, "list.csv", data))
    assert "۳ نفر تازه ثبت شد" in html and "۲ خدمت افزوده شد" in html
    bad = html.split('id="bad-rows"')[1]
    for row, reason in (("۳", "رقم کنترل"), ("۵", "نام خالی"), ("۶", "۱ تا ۳۰")):
        assert f'<td class="num">{row}</td><td>' in bad and reason in bad, row
    assert models.Beneficiary.select().count() == 3 and models.Service.select().count() == 2
    # The same file again adds nothing.
    html = check_page(upload(client, "list.csv", data))
    assert "۰ نفر تازه ثبت شد" in html and "۳ نفر پیش‌تر ثبت شده بودند" in html and "۰ خدمت افزوده شد" in html
    assert models.Beneficiary.select().count() == 3 and models.Service.select().count() == 2


def test_an_excel_list_with_numbers_and_dates_in_cells_comes_in(client, charities):
    import openpyxl

    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["کد ملی", "نام", "خانوار", "آخرین خدمت", "نوع"])
    sheet.append([int(FAMILY_CODE), "خانوادهٔ رحیمی", 4, datetime.datetime(2026, 10, 1), "food"])
    sheet.append(["12345", "خانوادهٔ کریمی", 3, None, None])
    out = io.BytesIO()
    book.save(out)
    html = check_page(upload(client, "list.xlsx", out.getvalue()))
    assert "۱ نفر تازه ثبت شد" in html and "۱۰ رقم" in html
    service = models.Service.get()
    assert service.given_on == datetime.date(2026, 10, 1) and service.category == "food"
    assert models.Beneficiary.get().last_digits == FAMILY_CODE[-4:]
    for broken in (
        b"PK\x03\x04 not really a workbook",
        b"a,b\n" + b'"' + b"x" * 200_000 + b'"\n',  # a field longer than a CSV reader takes
        bytes(range(256)) * 10,
    ):
        html = check_page(upload(client, "list.xlsx", broken), 422)
        assert 'id="f-file-error"' in html
    assert 'id="f-file-error"' in check_page(upload(client, "empty.csv", b""), 422)
    # A workbook whose cells are not what they seem: each row is refused with its reason.
    lines = f"{national_code('567891234')},خانوادهٔ کاظمی,²,,\n{national_code('678912345')},x,2,1405/13/45,"
    html = check_page(upload(client, "list.csv", lines.encode()))
    assert "۱ تا ۳۰" in html and "۱۴۰۵/۰۹/۲۰" in html and models.Beneficiary.select().count() == 1


def test_an_organizations_staff_accounts_share_one_hourly_limit(client, charities, monkeypatch):
    """Issue 14, finding 8: a manager who adds staff accounts (unverified
    sign-ups are cheap) does not multiply the registry's hourly look-ups."""
    orgs, staff = charities
    monkeypatch.setattr(registry, "INQUIRIES_PER_HOUR", 3)
    monkeypatch.setattr(registry, "ORGANIZATION_INQUIRIES_PER_HOUR", 5)
    team = [staff["A"]]
    for index in range(3):
        team.append(accounts.create_user(f"0912777000{index}", f"کارمند {index}", PIN))
        organizations.set_membership(orgs["A"], team[-1], "staff", staff["A"])
    answered = 0
    for user in team:
        sign_in(client, user.phone)
        for _ in range(3):
            response = inquire(client, FAMILY_CODE)
            assert response.status_code in (200, 429)
            answered += response.status_code == 200
    assert answered == 5 and registry.recent_organization_inquiries(orgs["A"]) == 5
    # Recording someone new counts against the organization's limit too.
    sign_in(client, team[-1].phone)
    data = {"id_kind": "national", "number": FAMILY_CODE, "name": "خانوادهٔ رحیمی", "household_size": "2"}
    check_page(submit(client, "/registry/new", "/registry/new", data), 429)
    # Another member organization's staff are not held back by it.
    sign_in(client, staff["B"].phone)
    check_page(inquire(client, FAMILY_CODE))


def test_a_list_longer_than_one_request_may_hold_is_refused_beside_the_field(client, charities):
    """Issue 14: no request holds a worker for long; a longer list comes in parts."""
    from hamsayeh.web import imports

    _orgs, staff = charities
    sign_in(client, staff["A"].phone)
    rows = [f"{national_code(str(100000000 + i))},خانوادهٔ {i},2" for i in range(imports.MAX_ROWS + 1)]
    html = check_page(upload(client, "list.csv", "\n".join(rows).encode("utf-8")), status=422)
    assert 'id="f-file-error"' in html and "۱۰۰۰" in html
    assert models.Beneficiary.select().count() == 0
