"""The welfare desk's plan: services given by the municipality or referred
to partners who answer in their portal, every delivery written to the shared
registry; shelter places in line and partners' pledges; visits with their
reminders; and the printed papers."""

import datetime

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import casework, registry
from tests.conftest import REGISTRY_KEY, sign_in, submit
from tests.factories import person, read_qr, welfare_case, welfare_desk
from tests.pages import check_page
from tests.printing import pdf_text_and_fonts, squeezed

CODE = "0012345679"


@pytest.fixture
def desk(places, people):
    return welfare_desk(places, people)


@pytest.fixture
def case(desk):
    """An assessed request of District 1, carried by people["social_worker"]."""
    made = welfare_case(desk["office"], desk["clerk"], registry_key=REGISTRY_KEY, social_worker=desk["worker"])
    casework.assess(made, desk["worker"], 1, housing="rented", coverage="none", decision="eligible", needs="food")
    return models.WelfareCase.get_by_id(made.id)


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user.phone)
    return client


def pdf_text(data):
    """The printed text without spaces or ZWNJ (pypdf's way of joining Persian runs)."""
    return squeezed(pdf_text_and_fonts(data)[1])


def printed(text, words):
    return squeezed(words) in text


def today():
    return "۱۴۰۵/۰۹/۰۱" if datetime.date.today() > datetime.date(2026, 11, 22) else "1404/01/01"


# --- Referrals and the partner's portal ----------------------------------------------------------


def test_a_referral_is_accepted_and_delivered_in_the_portal_and_reaches_the_registry(app, desk, case, people):
    worker = signed_in(app, desk["worker"])
    data = {"form_key": "plan-1", "category": "food", "giver": f"org-{desk['charity'].id}", "about": "سبد غذایی آذر"}
    assert submit(worker, f"/cases/{case.id}", f"/cases/{case.id}/services", data).status_code == 302
    service = models.CaseService.get()
    assert (service.status, service.partner_id) == ("referred", desk["charity"].id)
    told = models.Notification.get(models.Notification.user == people["charity_staff"])
    assert told.kind == "case_referral"
    partner = signed_in(app, people["charity_staff"])
    assert f"/cases/referrals/{service.id}" in check_page(partner.get("/cases/referrals"))
    page = check_page(partner.get(f"/cases/referrals/{service.id}"))
    # Before accepting, what the referral needs only: no phone, no address, no assessment.
    assert "رقیه بهرامی" in page and "سبد غذایی آذر" in page
    assert "۰۹۳۵" not in page and "0935" not in page and "۵۶۷۹" not in page and "زباله" not in page
    assert models.AuditEntry.select().where(models.AuditEntry.action == "case.read").count() == 1
    answer = submit(
        partner, f"/cases/referrals/{service.id}", f"/cases/referrals/{service.id}/answer", {"answer": "accept"}
    )
    assert answer.status_code == 302
    assert "۰۹۳۵۱۲۳۴۵۶۷" in check_page(partner.get(f"/cases/referrals/{service.id}"))
    delivered = submit(
        partner,
        f"/cases/referrals/{service.id}",
        f"/cases/referrals/{service.id}/delivered",
        {"delivered_on": today(), "amount": "۲٬۰۰۰٬۰۰۰"},
    )
    assert delivered.status_code == 302
    service = models.CaseService.get_by_id(service.id)
    assert (service.status, service.amount) == ("delivered", 2_000_000)
    assert models.WelfareCase.get_by_id(case.id).status == "served"
    # The charity of the assembly gave it: the registry has it under the charity, in the district's assembly.
    given = models.Service.get_by_id(service.registry_service_id)
    assert (given.organization_id, given.category, given.amount) == (desk["charity"].id, "food", 2_000_000)
    assert given.beneficiary.assembly_id == desk["assembly"].id
    # Another charity of the assembly, asking about the person, sees the service.
    other = models.Organization.get_by_id(desk["other"].id)
    found = registry.inquire(other, desk["other_manager"], REGISTRY_KEY, "national", CODE, 3, "new_aid")
    assert (found.categories, found.organizations) == ({"food": 1}, 1)
    # The social worker heard of the answer and of the delivery.
    kinds = [n.kind for n in models.Notification.select().where(models.Notification.user == desk["worker"])]
    assert kinds == ["referral_answered", "referral_answered"]


def test_a_partner_declines_with_a_reason_and_a_charity_outside_the_referral_reaches_nothing(app, desk, case, people):
    service = casework.plan_service(case, desk["worker"], "plan-2", "legal", partner=desk["charity"])
    outsider = signed_in(app, desk["other_manager"])
    for page in (f"/cases/referrals/{service.id}", f"/cases/services/{service.id}/letter.pdf"):
        assert outsider.get(page).status_code == 404
    assert (
        submit(outsider, "/cases/referrals", f"/cases/referrals/{service.id}/answer", {"answer": "accept"}).status_code
        == 404
    )
    partner = signed_in(app, people["charity_staff"])
    empty = submit(
        partner, f"/cases/referrals/{service.id}", f"/cases/referrals/{service.id}/answer", {"answer": "decline"}
    )
    assert 'id="f-reason-error"' in check_page(empty, status=422)
    reason = "وکیل داوطلب این ماه نداریم"
    data = {"answer": "decline", "reason": reason}
    submit(partner, f"/cases/referrals/{service.id}", f"/cases/referrals/{service.id}/answer", data)
    assert models.CaseService.get_by_id(service.id).status == "declined"
    assert reason in check_page(signed_in(app, desk["worker"]).get(f"/cases/{case.id}"))
    # Delivering what was declined does nothing.
    submit(
        partner, f"/cases/referrals/{service.id}", f"/cases/referrals/{service.id}/delivered", {"delivered_on": today()}
    )
    assert models.CaseService.get_by_id(service.id).status == "declined" and not models.Service.select().exists()


def test_what_the_municipality_gives_is_in_the_registry_under_its_district_office(app, desk, case):
    service = casework.plan_service(case, desk["worker"], "plan-3", "health")
    worker = signed_in(app, desk["worker"])
    submit(worker, f"/cases/{case.id}", f"/cases/services/{service.id}/deliver", {"delivered_on": today()})
    given = models.Service.get()
    assert (given.organization_id, given.category) == (desk["office"].organization_id, "medical")
    record = models.BeneficiaryRecord.get(models.BeneficiaryRecord.organization == desk["office"].organization_id)
    assert (record.name, record.household_size, record.consent_to_share) == ("رقیه بهرامی", 4, False)
    # Delivered twice (a double submit), the registry still has one service.
    submit(worker, f"/cases/{case.id}", f"/cases/services/{service.id}/deliver", {"delivered_on": today()})
    assert models.Service.select().count() == 1


def test_a_delivery_date_to_come_gets_a_message_and_nothing_changes(app, desk, case):
    service = casework.plan_service(case, desk["worker"], "plan-4", "food")
    worker = signed_in(app, desk["worker"])
    response = submit(
        worker, f"/cases/{case.id}", f"/cases/services/{service.id}/deliver", {"delivered_on": "1500/01/01"}
    )
    html = check_page(response, status=422)
    assert "این تاریخ هنوز نرسیده است." in html and 'id="f-delivered_on-error"' in html and 'value="1500/01/01"' in html
    assert models.CaseService.get_by_id(service.id).status == "planned"


def test_services_wait_for_the_assessment(desk):
    fresh = welfare_case(desk["office"], desk["clerk"], name="تازه", social_worker=desk["worker"])
    with pytest.raises(casework.StateError):
        casework.plan_service(fresh, desk["worker"], "plan-5", "food")


# --- Shelter places and pledges ------------------------------------------------------------------------


def test_shelter_places_go_in_line_and_a_freed_place_goes_to_the_next(app, desk, case, people):
    business = models.Organization.create(
        name="تعاونی عمرانی شهر تهران", kind="business", county=desk["charity"].county
    )
    owner = person("09121110050", "مدیر تعاونی")
    models.OrganizationMember.create(organization=business, user=owner, role="manager")
    second_case = welfare_case(desk["office"], desk["clerk"], name="بی‌سرپناه دوم", social_worker=desk["worker"])
    casework.assess(second_case, desk["worker"], 1, housing="homeless", coverage="none", decision="eligible")
    third_case = welfare_case(desk["office"], desk["clerk"], name="بی‌سرپناه سوم", social_worker=desk["worker"])
    casework.assess(third_case, desk["worker"], 1, housing="homeless", coverage="none", decision="eligible")
    # Before any pledge, the first waits.
    first = casework.ask_shelter(case, desk["worker"], "shelter-1")
    assert first.status == "waiting"
    # A business pledges one place in its portal: the first in line takes it.
    portal = signed_in(app, owner)
    data = {
        "form_key": "pledge-1",
        "org": str(business.id),
        "office": str(desk["office"].id),
        "kind": "shelter",
        "quantity": "۱",
    }
    assert submit(portal, "/cases/referrals", "/cases/pledges", data).status_code == 302
    pledge = models.Pledge.get()
    first = models.CaseService.get_by_id(first.id)
    assert (first.status, first.pledge_id, first.partner_id) == ("referred", pledge.id, business.id)
    second = casework.ask_shelter(second_case, desk["worker"], "shelter-2")
    third = casework.ask_shelter(third_case, desk["worker"], "shelter-3")
    assert (second.status, third.status) == ("waiting", "waiting")
    # The business declines the first: the place goes to the second, not the third.
    casework.answer_referral(first, owner, accept=False, reason="ظرفیت این هفته پر شد")
    assert models.CaseService.get_by_id(second.id).status == "referred"
    assert models.CaseService.get_by_id(third.id).status == "waiting"
    # The second moves in, and when the stay ends the third takes the place.
    casework.answer_referral(models.CaseService.get_by_id(second.id), owner, accept=True)
    casework.deliver(models.CaseService.get_by_id(second.id), owner, REGISTRY_KEY, datetime.date.today())
    assert models.CaseService.get_by_id(third.id).status == "waiting"
    worker = signed_in(app, desk["worker"])
    html = check_page(worker.get("/cases/shelter"))
    assert "بی‌سرپناه دوم" in html and "بی‌سرپناه سوم" in html and "تعاونی عمرانی شهر تهران" in html
    submit(worker, f"/cases/{second_case.id}", f"/cases/services/{second.id}/end", {})
    assert models.CaseService.get_by_id(second.id).ended_on == persian.today()  # Tehran's day
    assert models.CaseService.get_by_id(third.id).status == "referred"


def test_food_packages_are_given_from_a_pledge_until_none_is_left(app, desk, case):
    pledge = casework.make_pledge(desk["charity"], desk["office"], desk["worker"], "pledge-food", "food", 1, "بستهٔ ماه")
    worker = signed_in(app, desk["worker"])
    data = {"form_key": "from-pledge-1", "category": "food", "giver": f"pledge-{pledge.id}"}
    assert submit(worker, f"/cases/{case.id}", f"/cases/{case.id}/services", data).status_code == 302
    assert models.CaseService.get().pledge_id == pledge.id
    again = submit(worker, f"/cases/{case.id}", f"/cases/{case.id}/services", {**data, "form_key": "from-pledge-2"})
    assert 'id="f-giver-error"' in check_page(again, status=409)
    assert models.CaseService.select().count() == 1


def test_a_pledge_is_withdrawn_by_its_own_organization_only(app, desk, people):
    pledge = casework.make_pledge(desk["charity"], desk["office"], people["charity_staff"], "pledge-w", "food", 5)
    outsider = signed_in(app, desk["other_manager"])
    assert submit(outsider, "/cases/referrals", f"/cases/pledges/{pledge.id}/withdraw", {}).status_code == 404
    owner = signed_in(app, people["charity_staff"])
    assert submit(owner, "/cases/referrals", f"/cases/pledges/{pledge.id}/withdraw", {}).status_code == 302
    assert not models.Pledge.get_by_id(pledge.id).is_active


# --- Visits and reminders -------------------------------------------------------------------------------


def test_a_visit_is_planned_in_jalali_and_tehran_time_and_reminded_once(app, desk, people):
    made = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"], applicant=people["resident"])
    worker = signed_in(app, desk["worker"])
    bad = submit(
        worker,
        f"/cases/{made.id}",
        f"/cases/{made.id}/appointments",
        {"form_key": "v0", "kind": "home_visit", "day": "۱۴۰۵/۱۳/۰۱", "time": "۲۵:۰۰"},
    )
    html = check_page(bad, status=422)
    assert 'id="f-day-error"' in html and 'id="f-time-error"' in html
    tomorrow = datetime.datetime.now(casework.persian.TEHRAN) + datetime.timedelta(days=1)
    day = casework.persian.format_jalali_input(tomorrow.date())
    data = {"form_key": "v1", "kind": "home_visit", "day": day, "time": "10:30", "place": "منزل، کوچهٔ یاس"}
    assert submit(worker, f"/cases/{made.id}", f"/cases/{made.id}/appointments", data).status_code == 302
    visit = models.CaseAppointment.get()
    local = casework.persian.tehran_time(visit.starts_at)
    assert (local.date(), local.hour, local.minute) == (tomorrow.date(), 10, 30)
    # The day before: one reminder each to the social worker and the person, never twice.
    assert casework.send_reminders(now=visit.starts_at - datetime.timedelta(days=2)) == 0
    assert casework.send_reminders(now=visit.starts_at - datetime.timedelta(hours=20)) == 1
    assert casework.send_reminders(now=visit.starts_at - datetime.timedelta(hours=19)) == 0
    reminded = models.Notification.select().where(models.Notification.kind == "case_visit")
    assert sorted(n.user_id for n in reminded) == sorted([desk["worker"].id, people["resident"].id])
    inbox = check_page(signed_in(app, people["resident"]).get("/inbox/"))
    assert f"/cases/mine/{made.id}" in inbox
    # Marked done, it is in the trail.
    submit(worker, f"/cases/{made.id}", f"/cases/appointments/{visit.id}", {"status": "done"})
    assert models.CaseAppointment.get_by_id(visit.id).status == "done"
    assert [e.action for e in casework.trail(made)][-1] == "visit_done"


# --- Printed papers ---------------------------------------------------------------------------------------


def test_the_persons_copy_holds_the_request_and_plan_and_nothing_sensitive(app, desk, case, people, tmp_path):
    casework.plan_service(case, desk["worker"], "plan-copy", "food", partner=desk["charity"])
    casework.assess(
        case,
        desk["worker"],
        models.WelfareCase.get_by_id(case.id).version,
        housing="rented",
        coverage="none",
        decision="eligible",
        priority_group="addiction",
    )
    models.WelfareCase.update(applicant=people["resident"]).where(models.WelfareCase.id == case.id).execute()
    response = signed_in(app, people["resident"]).get(f"/cases/{case.id}/copy.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for words in ("رقیه بهرامی", "خیریهٔ مهر منطقه", "ادارهٔ رفاه منطقه", "سبد غذایی و کمک برای اجارهٔ خانه"):
        assert printed(text, words), words
    for hidden in ("متجاهر", "5679", "9765", "۵۶۷۹", "۹۷۶۵"):
        assert hidden not in text, hidden
    assert read_qr(response.data, tmp_path).endswith(f"/cases/mine/{case.id}")


def test_the_referral_letter_has_a_qr_code_that_opens_the_referral_for_the_partner(app, desk, case, people, tmp_path):
    service = casework.plan_service(case, desk["worker"], "plan-letter", "legal", about="پیگیری پروندهٔ دادگاه")
    assert signed_in(app, desk["worker"]).get(f"/cases/services/{service.id}/letter.pdf").status_code == 404
    service = casework.plan_service(case, desk["worker"], "plan-letter-2", "legal", partner=desk["charity"])
    response = signed_in(app, people["charity_staff"]).get(f"/cases/services/{service.id}/letter.pdf")
    text = pdf_text(response.data)
    assert printed(text, "معرفی‌نامه") and printed(text, "خیریهٔ مهر منطقه")
    assert "4567" not in text and "۴۵۶۷" not in text and "7654" not in text and "۷۶۵۴" not in text  # no phone
    url = read_qr(response.data, tmp_path)
    assert url.endswith(f"/cases/referrals/{service.id}")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert signed_in(app, people["charity_staff"]).get("/" + path).status_code == 200


def test_a_person_who_lives_by_sms_gets_the_visits_day_and_time_by_sms_once(desk, people):
    resident = people["resident"]
    models.User.update(simple_mode=True).where(models.User.id == resident.id).execute()
    made = welfare_case(desk["office"], desk["clerk"], social_worker=desk["worker"], applicant=resident)
    starts = datetime.datetime(2026, 12, 10, 7, 0)  # 10:30 in Tehran, 19 Azar 1405
    casework.plan_appointment(
        made, desk["worker"], "v-sms", kind="home_visit", starts_at=starts, with_user=desk["worker"]
    )
    casework.send_reminders(now=starts - datetime.timedelta(hours=10))
    messages = list(models.SmsMessage.select().where(models.SmsMessage.direction == "out"))
    assert [m.phone for m in messages] == [resident.phone]  # the social worker's account is not one that lives by SMS
    assert "۱۴۰۵/۰۹/۱۹ ۱۰:۳۰" in messages[0].body and len(messages[0].body) <= 70
