"""Campaigns and distributions through the site (issue 16): the public pages,
a new campaign, nominating and verifying, a point's page on a basic phone,
paper sheets, reports, voucher cards made by the worker, and who may do
each of these (every rule tried by the wrong person)."""

import datetime
import gzip
import re
import uuid

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import distributions
from tests import factories
from tests.conftest import REGISTRY_KEY as REGISTRY_KEY_FOR_TESTS
from tests.conftest import csrf_token, sign_in, submit
from tests.pages import check_page

SIMPLE_BUDGET = 8 * 1024


@pytest.fixture
def made(places, people):
    return factories.distribution(places, people, households=9)


def latin(text):
    return persian.to_latin_digits(text)


def post_code(client, point, round_, code):
    token = csrf_token(client, f"/points/{point.id}")
    return client.post(f"/points/{point.id}", data={"csrf_token": token, "round": round_.id, "code": code})


# --- Public pages -------------------------------------------------------------------------


def test_the_public_page_shows_progress_organizer_areas_and_who_takes_part(client, made):
    distributions.mark_pickup(made["points"][0], made["round"], made["volunteers"][0], made["codes"][1])
    html = check_page(client.get(f"/campaigns/{made['campaign'].id}"))
    assert "بن کارت شهروند منطقه ۱" in html
    assert "۱ از ۳۰٬۰۰۰ خانوار" in html  # done of goal, in Persian digits
    assert '<svg class="meter"' in html and 'width="0"' in html  # 1 of 30,000 rounds down to 0 percent
    assert persian.to_persian_digits(made["office"].organization.name) in html
    for mosque, _manager in made["mosques"]:
        assert mosque.name in html
    assert "منطقه ۱" in html
    # Households never show on the public page: no name, no reference.
    assert "خانوار ۱" not in html
    listing = check_page(client.get("/campaigns/"))
    assert f"/campaigns/{made['campaign'].id}" in listing
    near = check_page(client.get(f"/campaigns/?area={made['points'][0].area_id}"))
    assert f"/campaigns/{made['campaign'].id}" in near
    far = check_page(client.get(f"/campaigns/?area={models.Area.get(models.Area.name_en == 'Bazaar').id}"))
    assert f"/campaigns/{made['campaign'].id}" not in far


def test_a_guest_finds_the_campaigns_of_their_neighborhood_from_home_and_its_page(client, made, places):
    client.set_cookie("hood", str(places["Tajrish"].id))
    listing = f"/campaigns/?area={places['Tajrish'].id}"
    for start in ("/", f"/areas/{places['Tajrish'].id}"):
        assert f'href="{listing}"' in check_page(client.get(start)).replace("&amp;", "&")
    assert f'href="/campaigns/{made["campaign"].id}"' in check_page(client.get(listing))


def test_a_mosque_is_a_kind_of_organization_with_its_portal_page(client, made):
    mosque, _manager = made["mosques"][0]
    html = check_page(client.get(f"/orgs/{mosque.id}"))
    assert mosque.name in html
    assert "مسجد" in html


# --- A new campaign ---------------------------------------------------------------------------


def test_organizer_staff_start_a_campaign_and_bad_input_writes_nothing(client, places, people):
    desk = factories.welfare_desk(places, people)
    sign_in(client, desk["worker"].phone)
    check_page(client.get("/campaigns/new"))
    before = models.Campaign.select().count()
    bad = {
        "organizer": f"office-{desk['office'].id}",
        "title": "بن",
        "kind": "distribution",
        "goal_unit": "households",
        "goal": "صفر",
        "starts_on": "1405/13/40",
        "ends_on": "",
        "form_key": uuid.uuid4().hex,
    }
    response = submit(client, "/campaigns/new", "/campaigns/new", bad)
    html = check_page(response, 422)
    assert 'aria-describedby="f-goal-error"' in html and 'href="#f-starts_on"' in html
    assert models.Campaign.select().count() == before
    key = uuid.uuid4().hex
    good = {
        **bad,
        "title": "بسته‌های غذایی رمضان",
        "goal": "۵۰۰",
        "starts_on": "۱۴۰۵/۰۹/۱۰",
        "ends_on": "1405/10/10",
        "areas": str(places["District 1"].id),
        "form_key": key,
    }
    response = submit(client, "/campaigns/new", "/campaigns/new", good)
    assert response.status_code == 302
    again = submit(client, "/campaigns/new", "/campaigns/new", good)  # a double submit
    assert again.headers["Location"] == response.headers["Location"]
    campaign = models.Campaign.get(models.Campaign.form_key == key)
    assert (campaign.goal, campaign.office_id, campaign.kind) == (500, desk["office"].id, "distribution")
    assert campaign.starts_on == datetime.date(2026, 12, 1)
    assert models.Campaign.select().count() == before + 1


def test_a_resident_may_not_start_a_campaign(client, people):
    sign_in(client, people["resident"].phone)
    assert client.get("/campaigns/new").status_code == 403


# --- A point's page ---------------------------------------------------------------------------


def test_a_volunteer_marks_a_pickup_on_a_basic_phone_page(client, made):
    point, helper = made["points"][0], made["volunteers"][0]
    sign_in(client, helper.phone)
    page = client.get(f"/points/{point.id}")
    html = check_page(page, budget=SIMPLE_BUDGET)
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script" not in html.split("</main>")[0].split("<main")[1]
    spaced = distributions.spaced(persian.to_persian_digits(made["codes"][1]))
    response = post_code(client, point, made["round"], spaced)
    html = check_page(response, budget=SIMPLE_BUDGET)
    assert "خانوار ۱" in html
    assert models.Pickup.get().point_id == point.id


def test_the_second_point_hears_where_and_when_it_was_collected(app, client, made):
    first, second = made["points"][:2]
    distributions.mark_pickup(first, made["round"], made["volunteers"][0], made["codes"][1])
    sign_in(client, made["volunteers"][1].phone)
    response = post_code(client, second, made["round"], made["codes"][1])
    html = check_page(response, 409, budget=SIMPLE_BUDGET)
    assert first.name in html
    pickup = models.Pickup.get()
    with app.test_request_context():
        from hamsayeh.web.templating import jdatetime

        assert str(jdatetime(pickup.at)) in html
    assert models.Pickup.select().count() == 1 and models.PickupRefusal.select().count() == 1


@pytest.mark.parametrize("code", ["", "۱۲۳", "000000000000", "0012345679", "<script>"])
def test_a_wrong_code_gets_a_clear_message_and_writes_nothing(client, made, code):
    point = made["points"][0]
    sign_in(client, made["volunteers"][0].phone)
    html = check_page(post_code(client, point, made["round"], code), 422, budget=SIMPLE_BUDGET)
    assert 'id="f-code-error"' in html
    assert models.Pickup.select().count() == models.Service.select().count() == 0


def test_guessing_at_a_point_is_stopped(client, made):
    point = made["points"][0]
    sign_in(client, made["volunteers"][0].phone)
    for guess in range(distributions.WRONG_CODES):
        assert post_code(client, point, made["round"], f"{guess:012d}").status_code == 422
    assert post_code(client, point, made["round"], made["codes"][1]).status_code == 429
    assert models.Pickup.select().count() == 0


def test_only_the_points_volunteers_and_the_campaigns_staff_mark_pickups(client, made, people):
    first, second = made["points"][:2]
    code = made["codes"][1]
    # A resident, and the far district's social worker (staff of another office): not at any point.
    for outsider in (people["resident"], made["far_worker"]):
        sign_in(client, outsider.phone)
        assert client.get(f"/points/{first.id}").status_code == 403
        client.post("/account/sign-out", data={"csrf_token": csrf_token(client, "/")})
    # A volunteer of the first point, at the second point: refused, nothing written.
    sign_in(client, made["volunteers"][0].phone)
    assert client.get(f"/points/{second.id}").status_code == 403
    token = csrf_token(client, f"/points/{first.id}")
    refused = client.post(f"/points/{second.id}", data={"csrf_token": token, "round": made["round"].id, "code": code})
    assert refused.status_code == 403
    assert models.Pickup.select().count() == 0
    client.post("/account/sign-out", data={"csrf_token": csrf_token(client, "/")})
    # The campaign's staff mark at any of its points.
    sign_in(client, made["worker"].phone)
    assert post_code(client, second, made["round"], code).status_code == 200
    assert models.Pickup.get().marked_by_id == made["worker"].id


def test_a_guest_is_sent_to_sign_in(client, made):
    response = client.get(f"/points/{made['points'][0].id}")
    assert response.status_code == 302 and "/account/sign-in" in response.headers["Location"]


# --- Paper sheets ------------------------------------------------------------------------------


def test_a_paper_sheet_is_printed_and_entered_later_with_its_doubles(client, made, tmp_path):
    point, helper = made["points"][0], made["volunteers"][0]
    distributions.mark_pickup(made["points"][1], made["round"], made["volunteers"][1], made["codes"][4])
    sign_in(client, helper.phone)
    sheet = client.get(f"/points/{point.id}/sheet.pdf?round={made['round'].id}")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    (tmp_path / "sheet.pdf").write_bytes(sheet.data)
    import subprocess

    text = subprocess.run(
        ["pdftotext", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "خانوار" in text or "ﺧﺎﻧﻮار" in text
    check_page(client.get(f"/points/{point.id}/sheet"))
    # No day, then a reference not on this point's sheet: nothing entered.
    data = {"round": made["round"].id, "references": "1 2", "day": "", "clock": ""}
    html = check_page(submit(client, f"/points/{point.id}/sheet", f"/points/{point.id}/sheet", data), 422)
    assert 'id="f-day-error"' in html
    today = persian.format_jalali_input(persian.tehran_time(models.utcnow()).date())
    data = {**data, "day": today}
    html = check_page(submit(client, f"/points/{point.id}/sheet", f"/points/{point.id}/sheet", data), 422)
    assert 'id="f-references-error"' in html and "۲" in html
    assert models.Pickup.select().count() == 1
    data = {"round": made["round"].id, "references": "۱، ۴، ۷", "day": today, "clock": "10:30"}
    html = check_page(submit(client, f"/points/{point.id}/sheet", f"/points/{point.id}/sheet", data))
    assert made["points"][1].name in html  # household 4's double: where it collected
    assert models.Pickup.select().count() == 3
    assert models.PickupRefusal.select().where(models.PickupRefusal.source == "sheet").count() == 1


# --- Nominating, verifying, freezing -------------------------------------------------------------


def test_a_mosque_nominates_and_the_office_verifies_then_freezes(client, places, people):
    made = factories.distribution(places, people, households=3, freeze=False)
    mosque, manager = made["mosques"][0]
    round_ = made["round"]
    sign_in(client, manager.phone)
    page = f"/campaigns/rounds/{round_.id}/nominate"
    check_page(client.get(page))
    bad = {
        "organization": mosque.id,
        "number": "0012345678",
        "name": "",
        "size": "۴۰",
        "area": places["Bazaar"].id,
        "phone": "123",
        "form_key": uuid.uuid4().hex,
    }
    html = check_page(submit(client, page, page, bad), 422)
    for name in ("number", "name", "size", "area", "phone"):
        assert f'id="f-{name}-error"' in html
    before = models.Nomination.select().count()
    assert before == 3
    good = {
        **bad,
        "number": "۰۰۱۲۳۴۵۶۷۹",
        "name": "زهرا محمدی",
        "size": "4",
        "area": places["Tajrish"].id,
        "phone": "۰۹۱۲۳۴۵۶۷۸۹",
    }
    assert submit(client, page, page, good).status_code == 302
    assert submit(client, page, page, good).status_code == 302  # a double submit
    assert models.Nomination.select().count() == before + 1
    nomination = models.Nomination.get(models.Nomination.name == "زهرا محمدی")
    assert nomination.phone == "09123456789" and nomination.last_digits == "5679"
    # The mosque's manager does not verify: the organizer's staff do.
    assert client.get(f"/campaigns/rounds/{round_.id}").status_code == 403
    client.post("/account/sign-out", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, made["worker"].phone)
    html = check_page(client.get(f"/campaigns/rounds/{round_.id}"))
    assert "زهرا محمدی" in html and "0012345679" not in html and "۰۰۱۲۳۴۵۶۷۹" not in html
    submit(client, f"/campaigns/rounds/{round_.id}", f"/campaigns/nominations/{nomination.id}", {"decision": "verify"})
    assert models.Nomination.get_by_id(nomination.id).status == "verified"
    submit(client, f"/campaigns/rounds/{round_.id}", f"/campaigns/rounds/{round_.id}/freeze", {})
    assert models.Entitlement.select().count() == 4
    assert models.SmsMessage.select().where(models.SmsMessage.phone == "09123456789").count() == 1


def test_staff_of_another_office_see_no_round_report_or_csv(client, made):
    sign_in(client, made["far_worker"].phone)
    round_id = made["round"].id
    for path in (
        f"/campaigns/rounds/{round_id}",
        f"/campaigns/rounds/{round_id}/report",
        f"/campaigns/rounds/{round_id}/report.csv",
        f"/campaigns/{made['campaign'].id}/manage",
    ):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/")
    assert client.post(f"/campaigns/rounds/{round_id}/cards", data={"csrf_token": token}).status_code == 403


# --- Reports and cards ----------------------------------------------------------------------------


def test_reports_csv_and_summary(client, made):
    distributions.mark_pickup(made["points"][0], made["round"], made["volunteers"][0], made["codes"][1])
    distributions.mark_pickup(made["points"][1], made["round"], made["volunteers"][1], made["codes"][1])
    sign_in(client, made["worker"].phone)
    html = check_page(client.get(f"/campaigns/rounds/{made['round'].id}/report"))
    assert made["points"][0].name in html and "خانوار ۲" in html  # household 2 waits
    csv_text = client.get(f"/campaigns/rounds/{made['round'].id}/report.csv").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert len(lines) == 10 and made["points"][0].name in lines[1]
    assert factories.national_code(100000) not in csv_text and made["codes"][1] not in csv_text
    summary = client.get(f"/campaigns/rounds/{made['round'].id}/summary.pdf")
    assert summary.status_code == 200 and summary.data.startswith(b"%PDF")


def test_the_worker_makes_the_voucher_cards_with_their_codes(client, made, worker, tmp_path):
    sign_in(client, made["worker"].phone)
    round_id = made["round"].id
    response = submit(client, f"/campaigns/rounds/{round_id}", f"/campaigns/rounds/{round_id}/cards", {})
    assert response.status_code == 302
    batch = models.VoucherBatch.get()
    import time

    for _ in range(300):
        batch = models.VoucherBatch.get_by_id(batch.id)
        if batch.status in ("done", "failed"):
            break
        time.sleep(0.1)
    assert (batch.status, batch.done_count, batch.parts) == ("done", 9, 1)
    data = client.get(f"/campaigns/cards/{batch.id}/1.pdf").data
    assert data.startswith(b"%PDF")
    # The QR codes of the page are the households' codes, and nothing more.
    assert set(factories.read_qr(data, tmp_path).split()) == set(made["codes"].values())
    (tmp_path / "cards.pdf").write_bytes(data)
    import subprocess

    text = subprocess.run(
        ["pdftotext", str(tmp_path / "cards.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert re.sub(r"\s", "", distributions.spaced(made["codes"][9])) in re.sub(r"\s", "", latin(text))
    assert factories.national_code(100000) not in text
    # Another office's staff may not download them.
    client.post("/account/sign-out", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, made["far_worker"].phone)
    assert client.get(f"/campaigns/cards/{batch.id}/1.pdf").status_code == 403


def test_point_page_fits_a_basic_phone_in_english_too(client, made):
    sign_in(client, made["volunteers"][0].phone)
    client.post("/language", data={"csrf_token": csrf_token(client, "/"), "language": "en"})
    page = client.get(f"/points/{made['points'][0].id}")
    check_page(page, budget=SIMPLE_BUDGET)
    assert len(gzip.compress(page.data)) < SIMPLE_BUDGET


# --- The demo ---------------------------------------------------------------------------------


def test_the_demo_has_a_voucher_round_through_three_mosques(app, client):
    from hamsayeh.domain import demo
    from tests.conftest import REGISTRY_KEY

    demo.seed(REGISTRY_KEY, app.config["SECRET_KEY"])
    counts = {
        model: model.select().count()
        for model in (models.Nomination, models.Entitlement, models.Pickup, models.PickupRefusal, models.AuditEntry)
    }
    demo.seed(REGISTRY_KEY, app.config["SECRET_KEY"])  # twice adds nothing
    assert counts == {model: model.select().count() for model in counts}
    campaign = models.Campaign.get(models.Campaign.form_key == "demo-vouchers")
    points = distributions.points_of(campaign)
    assert len(points) == 3 and all(p.organization.kind == "mosque" for p in points)
    assert (counts[models.Nomination], counts[models.Entitlement]) == (31, 30)
    assert (counts[models.Pickup], counts[models.PickupRefusal]) == (6, 1)
    html = check_page(client.get(f"/campaigns/{campaign.id}"))
    assert "۶ از ۳۰۰ خانوار" in html
    # The codes the worker would print are the ones the points take: household 30 collects at the third mosque.
    round_ = distributions.rounds_of(campaign)[0]
    entitlement = models.Entitlement.get(models.Entitlement.round == round_, models.Entitlement.number == 30)
    code = distributions.code_of(app.config["SECRET_KEY"], entitlement.salt)
    helper = models.User.by_phone("09120000009")
    assert (
        distributions.mark_pickup(
            points[[p.name for p in points].index("مسجد الزهرا دربند")], round_, helper, code
        ).status
        == "done"
    )


def test_a_heyat_applies_for_its_page_without_a_registration_number(client, people, places):
    sign_in(client, people["resident"].phone)
    data = {
        "name": "هیأت محبان الحسین نیاوران",
        "kind": "heyat",
        "registration_number": "",
        "registration_body": "",
        "area": places["District 1"].id,
        "contact_name": "عباس قاسمی",
        "contact_phone": "09123456789",
        "about": "",
        "form_key": uuid.uuid4().hex,
    }
    assert submit(client, "/orgs/apply", "/orgs/apply", data).status_code == 302
    assert models.OrganizationApplication.get().kind == "heyat"
    html = check_page(client.get("/orgs/?kind=people_group"))
    assert "گروه مردمی" in html


def test_the_assembly_of_the_area_verifies_but_does_not_run_the_round(client, places, people):
    from hamsayeh.domain import assemblies

    made = factories.distribution(places, people, households=3, freeze=False)
    coordinator = people["facilitator"]
    assemblies.set_coordinator(made["assembly"], coordinator, people["admin"])
    pending = distributions.nominate(
        made["round"],
        *made["mosques"][0],
        REGISTRY_KEY_FOR_TESTS,
        uuid.uuid4().hex,
        "national",
        factories.national_code(555),
        "کبری نادری",
        places["Tajrish"],
    )
    round_id = made["round"].id
    sign_in(client, coordinator.phone)
    html = check_page(client.get(f"/campaigns/rounds/{round_id}"))
    assert "کبری نادری" in html and f"/campaigns/rounds/{round_id}/freeze" not in html
    submit(client, f"/campaigns/rounds/{round_id}", f"/campaigns/nominations/{pending.id}", {"decision": "verify"})
    assert models.Nomination.get_by_id(pending.id).status == "verified"
    token = csrf_token(client, "/")
    assert client.post(f"/campaigns/rounds/{round_id}/freeze", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/campaigns/rounds/{round_id}/report").status_code == 403
    assert models.DistributionRound.get_by_id(round_id).status == "nominating"
    # The coordinator of another district's assembly: nothing.
    client.post("/account/sign-out", data={"csrf_token": token})
    far = assemblies.create("district", places["District 12"], None, "مجمع خیرین منطقه ۱۲", people["admin"])
    assemblies.set_coordinator(far, people["center_staff"], people["admin"])
    sign_in(client, people["center_staff"].phone)
    assert client.get(f"/campaigns/rounds/{round_id}").status_code == 403
    token = csrf_token(client, "/")
    refused = client.post(f"/campaigns/nominations/{pending.id}", data={"csrf_token": token, "decision": "reject"})
    assert refused.status_code == 403 and models.Nomination.get_by_id(pending.id).status == "verified"


def test_a_volunteer_marks_pickups_at_the_centers_kiosk(client, made, people, places):
    from hamsayeh.domain import accounts

    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    sign_in(client, people["center_staff"].phone)
    page = f"/kiosk/centers/{center.id}"
    assert submit(client, page, page, {"name": "پایانهٔ توزیع"}).status_code == 302
    point = made["points"][0]
    sign_in(client, made["volunteers"][0].phone)
    response = client.get(f"/points/{point.id}")
    html = check_page(response)
    assert response.headers["Cache-Control"] == "no-store" and "kiosk_key" in html  # the big number pad
    assert post_code(client, point, made["round"], made["codes"][1]).status_code == 200
    assert models.Pickup.get().point_id == point.id
    # The rest of the back office stays off the kiosk.
    assert client.get(f"/points/{point.id}/sheet").status_code == 403
