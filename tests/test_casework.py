"""The municipal welfare desk (issue 15): intake with the duplicate flag,
the assessment and the priority group's privacy, the case's states and
trail, the desk and the supervisor's reassignment, access and audit, and
two social workers saving the same case at once."""

import re
import threading

import pytest

import models
from hamsayeh.domain import casework
from tests.conftest import REGISTRY_KEY, sign_in, submit
from tests.factories import person, welfare_case, welfare_desk
from tests.pages import check_page

CODE = "0012345679"


@pytest.fixture
def desk(places, people):
    return welfare_desk(places, people)


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user.phone)
    return client


def intake(desk, **fields):
    return {
        "office": str(desk["office"].id),
        "source": "office",
        "name": "رقیه بهرامی",
        "id_kind": "national",
        "number": "۰۰۱۲۳۴۵۶۷۹",
        "phone": "۰۹۳۵ ۱۲۳ ۴۵۶۷",
        "area": str(desk["office"].district.sorted_children().first().id),
        "household_size": "۴",
        "asked": "سبد غذایی و کمک برای اجارهٔ خانه",
        "form_key": "intake-1",
        **fields,
    }


def assessment_form(case, **fields):
    return {
        "version": str(case.version),
        "household_members": "رقیه، مادر، ۴۰ ساله\nعلی، پسر، ۱۲ ساله",
        "monthly_income": "۵۰٬۰۰۰٬۰۰۰",
        "housing": "rented",
        "coverage": "none",
        "priority_group": "waste_pickers",
        "needs": ["food", "legal"],
        "note": "خانواده به کمک فوری غذا نیاز دارد.",
        "decision": "eligible",
        **fields,
    }


# --- Intake ---------------------------------------------------------------------------------------


def test_a_request_at_the_desk_keeps_the_code_only_as_the_registrys_keyed_hash(app, desk):
    client = signed_in(app, desk["clerk"])
    response = submit(client, "/cases/new", "/cases/new", intake(desk))
    assert response.status_code == 302
    case = models.WelfareCase.get()
    assert case.identifier_hash == models.identifier_hash(REGISTRY_KEY, "national", CODE)
    assert (case.last_digits, case.phone, case.household_size, case.status) == ("5679", "09351234567", 4, "registered")
    assert case.registered_by_id == desk["clerk"].id and case.office_id == desk["office"].id
    # The code is in no column, no audit entry, no page and no address.
    row = models.WelfareCase.select().where(models.WelfareCase.id == case.id).dicts().get()
    assert not any(CODE in str(value) for value in row.values())
    assert not any(CODE in f"{e.subject} {e.detail}" for e in models.AuditEntry.select())
    assert CODE not in response.location
    supervisor = signed_in(app, desk["supervisor"])
    html = check_page(supervisor.get(f"/cases/{case.id}"))
    assert "رقیه بهرامی" in html and "۵۶۷۹" in html and "0012345679" not in html and "۰۰۱۲۳۴۵۶۷۹" not in html


def test_a_double_submit_registers_one_request(app, desk):
    client = signed_in(app, desk["clerk"])
    for _ in range(2):
        assert submit(client, "/cases/new", "/cases/new", intake(desk)).status_code == 302
    assert models.WelfareCase.select().count() == 1


def test_a_duplicate_open_request_is_flagged_never_silently_made(app, desk):
    client = signed_in(app, desk["clerk"])
    submit(client, "/cases/new", "/cases/new", intake(desk))
    first = models.WelfareCase.get()
    again = submit(client, "/cases/new", "/cases/new", intake(desk, form_key="intake-2", name="رقیه بهرامی نژاد"))
    html = check_page(again, status=409)
    assert models.WelfareCase.select().count() == 1
    assert "درخواست باز" in html and f"/cases/{first.id}" in html
    # What was typed stays, but the national code is never sent back.
    assert "رقیه بهرامی نژاد" in html and "0012345679" not in html and "۰۰۱۲۳۴۵۶۷۹" not in html
    confirmed = submit(client, "/cases/new", "/cases/new", intake(desk, form_key="intake-2", as_duplicate="1"))
    assert confirmed.status_code == 302
    flagged = models.WelfareCase.select().order_by(models.WelfareCase.id.desc()).first()
    assert flagged.duplicate_of_id == first.id
    assert [event.action for event in casework.trail(flagged)] == ["registered", "flagged_duplicate"]
    # Another district's office is told only that a request is open elsewhere.
    far = desk["far"]
    elsewhere = submit(
        signed_in(app, desk["far_worker"]),
        "/cases/new",
        "/cases/new",
        intake(desk, office=str(far.id), form_key="intake-3", area=str(far.district.id)),
    )
    html = check_page(elsewhere, status=409)
    assert "منطقه ۱" in html and f"/cases/{first.id}" not in html


def test_bad_input_gets_a_persian_message_beside_the_field_and_keeps_the_rest(app, desk):
    client = signed_in(app, desk["clerk"])
    response = submit(
        client, "/cases/new", "/cases/new", intake(desk, number="0012345678", phone="12345", household_size="۴۰")
    )
    html = check_page(response, status=422)
    assert "رقم کنترل" in html  # the check digit does not match
    assert 'id="f-number-error"' in html and 'id="f-phone-error"' in html and 'id="f-household_size-error"' in html
    assert 'value="رقیه بهرامی"' in html and "سبد غذایی" in html
    assert "0012345678" not in html and "۰۰۱۲۳۴۵۶۷۸" not in html
    assert models.WelfareCase.select().count() == 0


def test_a_person_without_a_phone_or_a_known_number_is_registered(app, desk):
    client = signed_in(app, desk["worker"])
    data = intake(desk, id_kind="none", number="", phone="", contact="از طریق مسجد محل، آقای رحیمی")
    assert submit(client, "/cases/new", "/cases/new", data).status_code == 302
    case = models.WelfareCase.get()
    assert (case.id_kind, case.identifier_hash, case.phone) == ("none", None, "")


def test_a_center_desk_registers_for_its_district(app, desk, people, places):
    staff = people["center_staff"]
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    models.User.update(work_center=center).where(models.User.id == staff.id).execute()
    client = signed_in(app, staff)
    response = submit(client, "/cases/new", "/cases/new", intake(desk, source="center"))
    assert response.status_code == 302
    assert models.WelfareCase.get().source == "center"
    # A center's staff registers, but does not read the district's cases.
    assert client.get(f"/cases/{models.WelfareCase.get().id}").status_code == 403


def test_a_person_asks_for_themselves_and_follows_their_request(app, desk, people):
    resident = people["resident"]
    client = signed_in(app, resident)
    # The way there: from the member's own account page.
    account = check_page(client.get("/account/"))
    assert 'href="/cases/ask"' in account and 'href="/cases/mine"' in account
    page = check_page(client.get("/cases/ask"))
    assert "منطقه ۱" in page
    data = intake(desk, name=resident.name, number="1234567891")
    data.pop("source")
    response = submit(client, "/cases/ask", "/cases/ask", data)
    case = models.WelfareCase.get()
    assert response.location == f"/cases/mine/{case.id}"
    assert (case.source, case.applicant_id) == ("self", resident.id)
    html = check_page(client.get(f"/cases/mine/{case.id}"))
    assert "ثبت شده" in html
    assert check_page(client.get("/cases/mine")).count(f"/cases/mine/{case.id}") == 1
    # Their own request, never the desk's page of it, nor anyone else's request.
    assert client.get(f"/cases/{case.id}").status_code == 403
    other = welfare_case(desk["office"], desk["clerk"], name="دیگری")
    assert client.get(f"/cases/mine/{other.id}").status_code == 404


# --- Access and audit -----------------------------------------------------------------------------


def test_a_resident_a_volunteer_a_charity_and_another_district_get_403_or_404(app, desk, people):
    case = welfare_case(desk["office"], desk["clerk"], registry_key=REGISTRY_KEY)
    casework.take(case, desk["worker"])
    pages = (f"/cases/{case.id}", f"/cases/{case.id}/assessment", f"/cases/{case.id}/copy.pdf")
    for user, status in (
        (people["resident"], 403),
        (people["volunteer"], 403),
        (people["charity_staff"], 403),
        (desk["far_worker"], 404),
    ):
        client = signed_in(app, user)
        for page in pages:
            expected = 404 if page.endswith(".pdf") else status
            assert client.get(page).status_code == expected, (user.name, page)
        assert client.post(f"/cases/{case.id}/close", data={}).status_code in (400, 403, 404)
    guest = app.test_client().get(pages[0])
    assert guest.status_code == 302 and "/account/sign-in" in guest.location


def test_every_read_by_someone_not_its_social_worker_is_audited(app, desk):
    case = welfare_case(desk["office"], desk["clerk"])
    casework.take(case, desk["worker"])

    def reads():
        return models.AuditEntry.select().where(
            models.AuditEntry.action == "case.read", models.AuditEntry.subject == f"case:{case.id}"
        )

    check_page(signed_in(app, desk["worker"]).get(f"/cases/{case.id}"))
    assert reads().count() == 0
    for reader in (desk["supervisor"], desk["clerk"], desk["second"]):
        check_page(signed_in(app, reader).get(f"/cases/{case.id}"))
    assert sorted(entry.actor_id for entry in reads()) == sorted(
        user.id for user in (desk["supervisor"], desk["clerk"], desk["second"])
    )


def test_the_priority_group_is_seen_by_the_cases_social_workers_and_the_supervisor_only(app, desk):
    case = welfare_case(desk["office"], desk["clerk"])
    casework.take(case, desk["worker"])
    casework.assess(case, desk["worker"], 2, **casework_fields("waste_pickers"))
    label = "زباله‌گرد"
    for user in (desk["worker"], desk["supervisor"]):
        assert label in check_page(signed_in(app, user).get(f"/cases/{case.id}"))
    for user in (desk["second"], desk["clerk"]):
        html = check_page(signed_in(app, user).get(f"/cases/{case.id}"))
        assert label not in html and "رقیه بهرامی" in html
        assert signed_in(app, user).get(f"/cases/{case.id}/assessment").status_code == 404
    # Given a second social worker, they see it too.
    casework.assign(
        case, desk["supervisor"], models.WelfareCase.get_by_id(case.id).version, desk["worker"], desk["second"]
    )
    assert label in check_page(signed_in(app, desk["second"]).get(f"/cases/{case.id}"))


def casework_fields(group="", decision="eligible", note="", reason=""):
    return {
        "household_members": "",
        "monthly_income": None,
        "housing": "rented",
        "disability": False,
        "chronic_illness": False,
        "health_note": "",
        "coverage": "none",
        "priority_group": group,
        "needs": "food",
        "note": note,
        "decision": decision,
        "decision_reason": reason,
    }


# --- The assessment, states and the trail ---------------------------------------------------------


def test_the_whole_life_of_a_case_is_kept_with_who_when_and_why(app, desk):
    case = welfare_case(desk["office"], desk["clerk"])
    worker = signed_in(app, desk["worker"])
    assert submit(worker, "/cases/", f"/cases/{case.id}/take", {}).status_code == 302
    page = f"/cases/{case.id}/assessment"
    html = check_page(worker.get(page))
    assert 'name="version" value="2"' in html
    assert submit(worker, page, page, assessment_form(models.WelfareCase.get_by_id(case.id))).status_code == 302
    saved = casework.assessment_of(case)
    assert (saved.priority_group, saved.needs, saved.monthly_income) == ("waste_pickers", "food,legal", 50_000_000)
    assert models.WelfareCase.get_by_id(case.id).status == "assessed"
    service = casework.plan_service(case, desk["worker"], "svc-1", "food", "سبد ماه آذر")
    response = submit(
        worker, f"/cases/{case.id}", f"/cases/services/{service.id}/deliver", {"delivered_on": "۱۴۰۵/۰۹/۰۱"}
    )
    assert response.status_code == 302
    assert models.WelfareCase.get_by_id(case.id).status == "served"
    current = models.WelfareCase.get_by_id(case.id)
    closing = {"version": str(current.version), "reason": "served", "note": "برنامه انجام شد"}
    assert submit(worker, f"/cases/{case.id}", f"/cases/{case.id}/close", closing).status_code == 302
    closed = models.WelfareCase.get_by_id(case.id)
    assert (closed.status, closed.close_reason) == ("closed", "served") and closed.closed_at is not None
    reopening = {"version": str(closed.version), "note": "صاحبخانه اخطار تخلیه داده است"}
    assert submit(worker, f"/cases/{case.id}", f"/cases/{case.id}/reopen", reopening).status_code == 302
    assert models.WelfareCase.get_by_id(case.id).status == "reopened"
    trail = list(casework.trail(case))
    assert [(e.action, e.status) for e in trail] == [
        ("registered", "registered"),
        ("taken", "registered"),
        ("assessed", "assessed"),
        ("planned", "assessed"),
        ("delivered", "served"),
        ("closed", "closed"),
        ("reopened", "reopened"),
    ]
    assert trail[-1].actor_id == desk["worker"].id and trail[-1].note == "صاحبخانه اخطار تخلیه داده است"
    html = check_page(worker.get(f"/cases/{case.id}"))
    assert "صاحبخانه اخطار تخلیه داده است" in html and "بازگشایی" in html


def test_a_decision_not_to_serve_needs_its_reason_beside_the_field(app, desk):
    case = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"])
    worker = signed_in(app, desk["worker"])
    page = f"/cases/{case.id}/assessment"
    response = submit(worker, page, page, assessment_form(case, decision="not_eligible", monthly_income="بسیار"))
    html = check_page(response, status=422)
    assert 'id="f-decision_reason-error"' in html and 'id="f-monthly_income-error"' in html
    assert "خانواده به کمک فوری غذا نیاز دارد." in html  # the note typed is kept
    assert casework.assessment_of(case) is None


def test_two_social_workers_saving_the_same_case_at_once_lose_nothing(app, desk):
    case = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"], co_worker=desk["second"])
    first, second = signed_in(app, desk["worker"]), signed_in(app, desk["second"])
    page = f"/cases/{case.id}/assessment"
    # Both open the form on the same version.
    token_first = re.search(r'name="csrf_token" value="([^"]+)"', first.get(page).get_data(as_text=True)).group(1)
    token_second = re.search(r'name="csrf_token" value="([^"]+)"', second.get(page).get_data(as_text=True)).group(1)
    mine = assessment_form(case, note="یادداشت مددکار اول: بدهی اجاره دارند.", csrf_token=token_first)
    theirs = assessment_form(
        case, note="یادداشت مددکار دوم: پسر ترک تحصیل کرده است.", coverage="welfare", csrf_token=token_second
    )
    assert first.post(page, data=mine).status_code == 302
    response = second.post(page, data=theirs)
    html = check_page(response, status=409)
    # The second hears who saved, sees the other's change, and keeps what they typed.
    assert "بدهی اجاره دارند" in html and "پسر ترک تحصیل کرده است" in html and "نرگس" not in html.split("<main")[0]
    assert desk["worker"].name in html
    assert casework.assessment_of(case).note == "یادداشت مددکار اول: بدهی اجاره دارند."
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert submit(second, page, page, {**theirs, "version": version}).status_code == 302
    saved = casework.assessment_of(case)
    assert (saved.note, saved.coverage) == ("یادداشت مددکار دوم: پسر ترک تحصیل کرده است.", "welfare")


def test_saves_racing_in_threads_let_exactly_one_through(app, desk):
    """On both databases: the version in the UPDATE's WHERE decides."""
    case = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"], co_worker=desk["second"])
    version = models.WelfareCase.get_by_id(case.id).version
    barrier, outcomes = threading.Barrier(4), []

    def save(worker, note):
        with app.app_context(), models.connection():
            barrier.wait()
            try:
                casework.assess(case, worker, version, **casework_fields(note=note))
                outcomes.append("saved")
            except casework.Conflict:
                outcomes.append("conflict")

    workers = [desk["worker"], desk["second"], desk["worker"], desk["second"]]
    threads = [threading.Thread(target=save, args=(w, f"note {i}")) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    assert models.WelfareCase.get_by_id(case.id).version == version + 1
    assert models.CaseEvent.select().where(models.CaseEvent.action == "assessed").count() == 1


# --- The desk and the supervisor ----------------------------------------------------------------------


def test_the_desk_shows_caseload_new_requests_late_ones_visits_and_unanswered_referrals(app, desk):
    mine = welfare_case(desk["office"], desk["clerk"], name="پرونده من", social_worker=desk["worker"])
    fresh = welfare_case(desk["office"], desk["clerk"], name="درخواست تازه")
    late = welfare_case(desk["office"], desk["clerk"], name="درخواست قدیمی")
    models.WelfareCase.update(created_at=models.utcnow() - casework.datetime.timedelta(days=9)).where(
        models.WelfareCase.id == late.id
    ).execute()
    casework.assess(mine, desk["worker"], 1, **casework_fields())
    casework.plan_service(mine, desk["worker"], "ref-1", "legal", partner=desk["charity"])
    casework.plan_appointment(
        mine,
        desk["worker"],
        "visit-1",
        kind="home_visit",
        starts_at=models.utcnow() + casework.datetime.timedelta(minutes=5),
        with_user=desk["worker"],
    )
    elsewhere = welfare_case(desk["far"], desk["far_worker"], name="درخواست منطقهٔ دیگر")
    html = check_page(signed_in(app, desk["worker"]).get("/cases/"))
    for name in ("پرونده من", "درخواست تازه", "درخواست قدیمی", "خیریهٔ مهر منطقه ۱"):
        assert name in html, name
    assert elsewhere.name not in html
    assert html.count(f'action="/cases/{fresh.id}/take"') == 1
    assert "پرونده‌های منطقه" not in html  # the district's list is the supervisor's
    assert "پرونده‌های منطقه" in check_page(signed_in(app, desk["supervisor"]).get("/cases/"))


def test_the_supervisor_gives_a_case_to_another_social_worker(app, desk):
    case = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"])
    supervisor = signed_in(app, desk["supervisor"])
    data = {"version": "1", "social_worker": str(desk["second"].id), "co_worker": "", "note": "بار کاری"}
    assert submit(supervisor, f"/cases/{case.id}", f"/cases/{case.id}/assign", data).status_code == 302
    assert models.WelfareCase.get_by_id(case.id).social_worker_id == desk["second"].id
    told = models.Notification.get(models.Notification.user == desk["second"])
    assert (told.kind, told.welfare_case_id) == ("case_assigned", case.id)
    inbox = check_page(signed_in(app, desk["second"]).get("/inbox/"))
    assert f"/cases/{case.id}" in inbox and "رقیه بهرامی" in inbox
    # A social worker does not reassign, and a stale version changes nothing.
    worker = signed_in(app, desk["second"])
    data = {"version": "2", "social_worker": str(desk["worker"].id)}
    assert submit(worker, f"/cases/{case.id}", f"/cases/{case.id}/assign", data).status_code == 403
    stale = {"version": "1", "social_worker": str(desk["worker"].id)}
    submit(supervisor, f"/cases/{case.id}", f"/cases/{case.id}/assign", stale)
    assert models.WelfareCase.get_by_id(case.id).social_worker_id == desk["second"].id


def test_a_member_who_leaves_the_office_or_loses_the_role_reaches_nothing(app, desk, people):
    case = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"])
    client = signed_in(app, desk["worker"])
    assert client.get(f"/cases/{case.id}").status_code == 200
    casework.remove_staff(desk["office"], desk["worker"].id, people["admin"])
    assert client.get(f"/cases/{case.id}").status_code == 403
    assert client.get("/cases/").status_code == 403
    supervisor = desk["supervisor"]
    client = signed_in(app, supervisor)
    models.UserRole.delete().where(models.UserRole.user == supervisor).execute()
    person("09121110099", "کسی")  # the tables still hold others
    assert client.get("/cases/").status_code in (302, 403)


def test_the_desk_reads_in_english_too(app, desk):
    case = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"])
    casework.assess(case, desk["worker"], 1, **casework_fields("trans"))
    client = signed_in(app, desk["worker"])
    submit(client, "/", "/language", {"language": "en"})
    html = check_page(client.get(f"/cases/{case.id}"))
    assert '<html lang="en" dir="ltr"' in html and "Transgender people" in html and "Tajrish" in html
    for page in ("/cases/", f"/cases/{case.id}/assessment", "/cases/new", "/cases/shelter"):
        assert "،" not in check_page(client.get(page)).split("<main")[1].split("</main>")[0], page
