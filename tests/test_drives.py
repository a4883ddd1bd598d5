"""Drives: needs with goals in rials, pledges by members and by guests
confirmed with an SMS code, what the organizer received, and what the public
sees (pledged, received, still needed; a donor's name only when they agreed)."""

import uuid

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import campaigns, demo, drives, organizations
from tests.conftest import CSRF_PATTERN, REGISTRY_KEY, sign_in, submit
from tests.factories import organized_campaign, person, sent_code
from tests.pages import check_page

GUEST_PHONE = "09357654321"


@pytest.fixture
def drive(places, people):
    campaign, _charity = organized_campaign(places, people, "drive", goal=2_000_000_000)
    staff = people["charity_staff"]
    release = drives.add_need(campaign, staff, uuid.uuid4().hex, "آزادی مادر سه فرزند", 1_200_000_000)
    rent = drives.add_need(campaign, staff, uuid.uuid4().hex, "اجارهٔ خانهٔ یک خانواده", 300_000_000)
    return campaign, release, rent


@pytest.mark.parametrize(
    ("typed", "rials"),
    [
        ("۲٬۵۰۰٬۰۰۰", 2_500_000),
        ("2,500,000", 2_500_000),
        ("2500000", 2_500_000),
        ("۲۵۰۰۰۰۰", 2_500_000),
        ("٢،٥٠٠،٠٠٠", 2_500_000),
        (" 1 000 000 ", 1_000_000),
        ("1.000.000", 1_000_000),
        ("5", 5),
    ],
)
def test_amounts_in_any_digits_with_or_without_separators(typed, rials):
    assert drives.parse_rials(typed) == rials


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "0",
        "-5",
        "1.5",
        "12,34",
        "1,2345",
        "²",
        "10000000000000",
        "۵ میلیون",
        "1" * 5000,
        "1,000,000,000,000,000",
    ],
)
def test_bad_amounts_are_no_amount(typed):
    assert drives.parse_rials(typed) is None


def test_pledges_receipts_and_the_totals(drive, places, people):
    campaign, release, rent = drive
    donor = person("09351110001", "نیکوکار اول", neighborhood=places["Tajrish"])
    key = uuid.uuid4().hex
    first = drives.pledge(campaign, donor, key, "money", 500_000_000, need=release)
    assert drives.pledge(campaign, donor, key, "money", 500_000_000, need=release).id == first.id
    drives.pledge(campaign, donor, uuid.uuid4().hex, "goods", 40_000_000, need=rent, goods="یخچال", public_name="م. ن.")
    drives.pledge(campaign, donor, uuid.uuid4().hex, "money", 10_000_000)
    assert models.DrivePledge.select().count() == 3
    staff = people["charity_staff"]
    receipt_key = uuid.uuid4().hex
    drives.record_receipt(first, staff, receipt_key, 200_000_000)
    drives.record_receipt(first, staff, receipt_key, 200_000_000)  # a double submit records once
    with pytest.raises(drives.DriveError) as refused:
        drives.record_receipt(first, staff, uuid.uuid4().hex, 300_000_001)
    assert refused.value.reason == "too_much"
    assert models.PledgeReceipt.select().count() == 1
    assert models.DrivePledge.get_by_id(first.id).received == 200_000_000
    total, needs, general = drives.totals(campaign)
    assert total == drives.Totals(2_000_000_000, 550_000_000, 200_000_000, 1_800_000_000)
    assert {need.id: sums for need, sums in needs} == {
        release.id: drives.Totals(1_200_000_000, 500_000_000, 200_000_000, 1_000_000_000),
        rent.id: drives.Totals(300_000_000, 40_000_000, 0, 300_000_000),
    }
    assert general.pledged == 10_000_000
    assert campaigns.progress(campaign) == {"done": 200_000_000, "goal": 2_000_000_000, "unit": "rials"}
    shown = {item.public_name for item in drives.public_context(campaign)["recent"]}
    assert shown == {"", "م. ن."}
    # What the public part holds never names the donor's account.
    assert all(item.donor_id is None for item in drives.public_context(campaign)["recent"])


def test_a_need_of_another_drive_or_a_closed_drive_takes_no_pledge(drive, places, people):
    campaign, release, _ = drive
    donor = person("09351110001", neighborhood=places["Tajrish"])
    other = campaigns.create(
        people["charity_staff"],
        uuid.uuid4().hex,
        ("organization", campaign.organization),
        "پویش دیگر",
        "",
        "drive",
        [places["District 1"].id],
        campaign.starts_on,
        campaign.ends_on,
        "rials",
        1000,
    )
    with pytest.raises(drives.DriveError) as refused:
        drives.pledge(other, donor, uuid.uuid4().hex, "money", 1000, need=release)
    assert refused.value.reason == "need"
    models.Campaign.update(status="closed").where(models.Campaign.id == campaign.id).execute()
    with pytest.raises(drives.DriveError) as refused:
        drives.pledge(campaign, donor, uuid.uuid4().hex, "money", 1000, need=release)
    assert refused.value.reason == "closed"
    assert models.DrivePledge.select().count() == 0


def persian_digits_back(html):
    return persian.to_latin_digits(html)


def pledge_page(campaign):
    return f"/campaigns/{campaign.id}/pledge"


def test_a_member_pledges_with_a_form(client, drive, people):
    campaign, release, _ = drive
    sign_in(client, people["resident"].phone)
    page = pledge_page(campaign)
    html = check_page(client.get(page))
    assert "آزادی مادر سه فرزند" in html and 'name="phone"' not in html
    # Bad amounts: the message beside the field, the typed text back, nothing written.
    for typed in ("", "پنج میلیون", "1.5", "-3", "0"):
        bad = submit(client, page, page, {"need": str(release.id), "kind": "money", "amount": typed})
        html = check_page(bad, 422)
        assert 'id="f-amount-error"' in html and 'href="#f-amount"' in html
    bad = submit(client, page, page, {"need": "99999", "kind": "gold", "amount": "1000"})
    html = check_page(bad, 422)
    assert 'id="f-need-error"' in html and 'id="f-kind-error"' in html
    assert models.DrivePledge.select().count() == 0
    key = uuid.uuid4().hex
    data = {"need": str(release.id), "kind": "money", "amount": "۵۰٬۰۰۰٬۰۰۰", "form_key": key}
    assert submit(client, page, page, data).status_code == 302
    assert submit(client, page, page, data).status_code == 302  # a double submit: one pledge
    made = models.DrivePledge.get()
    assert (made.amount, made.need_id, made.donor_id, made.public_name) == (
        50_000_000,
        release.id,
        people["resident"].id,
        "",
    )
    # Toward the drive as a whole, goods, with the name shown as the donor agreed.
    data = {
        "need": "",
        "kind": "goods",
        "amount": "3000000",
        "goods": "ده پتو",
        "show_name": "yes",
        "public_name": "م. ر.",
    }
    assert submit(client, page, page, data).status_code == 302
    made = models.DrivePledge.select().order_by(models.DrivePledge.id.desc()).first()
    assert (made.need_id, made.kind, made.goods, made.amount, made.public_name) == (
        None,
        "goods",
        "ده پتو",
        3_000_000,
        "م. ر.",
    )


def test_a_guest_pledges_only_with_the_code_sent_to_their_phone(client, drive):
    campaign, _, rent = drive
    page = pledge_page(campaign)
    html = check_page(client.get(page))
    assert 'name="phone"' in html
    data = {"need": str(rent.id), "kind": "goods", "amount": "40,000,000", "goods": "یخچال", "show_name": "yes"}
    # No number, or a wrong one: no code, no pledge.
    html = check_page(submit(client, page, page, {**data, "public_name": "خانوادهٔ نیکو"}), 422)
    assert 'id="f-phone-error"' in html
    sent = submit(client, page, page, {**data, "public_name": "خانوادهٔ نیکو", "phone": "۰۹۳۵ ۷۶۵ ۴۳۲۱"})
    assert sent.status_code == 302
    code_page = sent.location
    html = check_page(client.get(code_page))
    assert "۴۰٬۰۰۰٬۰۰۰" in html
    code = sent_code(GUEST_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    html = check_page(submit(client, code_page, code_page, {"code": wrong}), 422)
    assert 'id="f-code-error"' in html
    assert models.DrivePledge.select().count() == 0
    # A made-up token finds nothing.
    assert client.get(f"/campaigns/{campaign.id}/pledge/code/made-up").status_code == 404
    key = uuid.uuid4().hex
    assert submit(client, code_page, code_page, {"code": code, "form_key": key}).status_code == 302
    made = models.DrivePledge.get()
    assert made.donor.phone == GUEST_PHONE and made.public_name == "خانوادهٔ نیکو" and made.kind == "goods"
    # The same code again (a second press, or someone who saw it) makes nothing more.
    assert client.get(code_page).status_code == 404  # its page is gone once used
    assert submit(client, page, code_page, {"code": code, "form_key": key}).status_code == 302
    assert models.DrivePledge.select().count() == 1
    # Someone else who saw the code, in another browser, makes nothing.
    other = client.application.test_client()
    html = check_page(submit(other, page, code_page, {"code": code, "form_key": uuid.uuid4().hex}), 422)
    assert 'id="f-code-error"' in html
    assert models.DrivePledge.select().count() == 1


def test_a_guest_cannot_pledge_by_posting_around_the_code(client, drive):
    campaign, release, _ = drive
    page = pledge_page(campaign)
    data = {"need": str(release.id), "kind": "money", "amount": "1000000"}
    check_page(submit(client, page, page, data), 422)
    assert models.DrivePledge.select().count() == 0
    assert models.OneTimeCode.select().count() == 0


def test_only_the_organizers_staff_see_donors_and_record_receipts(client, drive, places, people):
    campaign, release, _ = drive
    donor = person("09351110001", "نیکوکار پنهان", neighborhood=places["Tajrish"])
    made = drives.pledge(campaign, donor, uuid.uuid4().hex, "money", 100_000_000, need=release)
    pledges, detail = f"/campaigns/{campaign.id}/pledges", f"/campaigns/{campaign.id}/pledges/{made.id}"
    received = f"{detail}/received"
    outsider = person("09351110009", "مدیر خیریهٔ دیگر")
    organizations.open_organization(
        "خیریهٔ دیگر", "charity", places["District 12"].ancestors()[-1], outsider, people["admin"]
    )
    for who in (people["resident"].phone, outsider.phone, donor.phone):
        other = client.application.test_client()
        sign_in(other, who)
        assert other.get(pledges).status_code == 403
        assert other.get(detail).status_code == 403
        token = submit(other, "/account/", received, {"amount": "100000000"})
        assert token.status_code == 403
    assert client.get(pledges).status_code == 302  # a guest signs in first
    assert models.DrivePledge.get_by_id(made.id).received == 0
    sign_in(client, people["charity_staff"].phone)
    html = check_page(client.get(pledges))
    assert "نیکوکار پنهان" in html
    assert models.AuditEntry.select().where(models.AuditEntry.action == "drive.donors_viewed").exists()
    assert "09351110001" in persian_digits_back(check_page(client.get(detail)))
    assert models.AuditEntry.select().where(models.AuditEntry.action == "drive.donor_viewed").exists()
    for typed in ("", "abc", "0", "100,000,001"):
        html = check_page(submit(client, detail, received, {"amount": typed}), 422)
        assert 'id="f-amount-error"' in html
    assert models.PledgeReceipt.select().count() == 0
    key = uuid.uuid4().hex
    assert submit(client, detail, received, {"amount": "۶۰٬۰۰۰٬۰۰۰", "form_key": key}).status_code == 302
    assert submit(client, detail, received, {"amount": "۶۰٬۰۰۰٬۰۰۰", "form_key": key}).status_code == 302
    assert models.DrivePledge.get_by_id(made.id).received == 60_000_000
    assert models.PledgeReceipt.select().count() == 1


def test_the_public_page_shows_the_sums_without_donors_names(client, drive, places, people):
    campaign, release, _ = drive
    hidden = person("09351110001", "نیکوکار پنهان", neighborhood=places["Tajrish"])
    shown = person("09351110002", "نیکوکار پیدا", neighborhood=places["Tajrish"])
    first = drives.pledge(campaign, hidden, uuid.uuid4().hex, "money", 100_000_000, need=release)
    drives.pledge(campaign, shown, uuid.uuid4().hex, "money", 20_000_000, public_name="نیکوکار پیدا")
    drives.record_receipt(first, people["charity_staff"], uuid.uuid4().hex, 40_000_000)
    html = check_page(client.get(f"/campaigns/{campaign.id}"))
    assert "نیکوکار پنهان" not in html and hidden.phone not in html
    assert "نیکوکار پیدا" in html
    assert "۱۲۰٬۰۰۰٬۰۰۰" in html  # pledged in all
    assert "۴۰٬۰۰۰٬۰۰۰" in html  # received
    assert "۱٬۱۶۰٬۰۰۰٬۰۰۰" in html  # the release still needs its goal less what came in
    assert "۱۱۶٬۰۰۰٬۰۰۰ تومان" in html


def test_the_demo_has_an_iftar_and_a_drive_for_prisoners_families(db):
    demo.seed(REGISTRY_KEY)
    counts = (
        models.Campaign.select().count(),
        models.DrivePledge.select().count(),
        models.EventSitting.select().count(),
    )
    demo.seed(REGISTRY_KEY)  # twice adds nothing
    assert (
        models.Campaign.select().count(),
        models.DrivePledge.select().count(),
        models.EventSitting.select().count(),
    ) == counts
    drive = models.Campaign.get(models.Campaign.form_key == "demo-drive-prisoners")
    total, needs, _ = drives.totals(drive)
    assert len(needs) == 3 and 0 < total.received < total.pledged
    iftar = models.Campaign.get(models.Campaign.form_key == "demo-event-iftar")
    assert iftar.kind == "event" and iftar.occasion.key == "ramadan" and len(iftar.sittings) == 3
    # The public part names only the donors who agreed.
    names = {item.public_name for item in drives.public_context(drive)["recent"]}
    assert "" in names and "زهرا احمدی" in names


def test_a_closed_drive_shows_no_form_and_sends_no_code(client, drive):
    campaign, release, _ = drive
    page = pledge_page(campaign)
    token_page = check_page(client.get(page))
    assert 'name="amount"' in token_page
    models.Campaign.update(status="closed").where(models.Campaign.id == campaign.id).execute()
    html = check_page(client.get(page))
    assert 'name="amount"' not in html and "این پویش دیگر تعهد نمی‌پذیرد" in html
    data = {"need": str(release.id), "kind": "money", "amount": "1000000", "phone": "09357654321"}
    sent = client.post(page, data={**data, "csrf_token": CSRF_PATTERN.search(token_page).group(1)})
    assert sent.status_code == 422
    assert models.OneTimeCode.select().count() == 0 and models.DrivePledge.select().count() == 0


def test_only_the_organizer_adds_needs_and_a_need_form_checks_its_goal(client, drive, people):
    campaign, _, _ = drive
    new = f"/campaigns/{campaign.id}/needs/new"
    sign_in(client, people["resident"].phone)
    assert client.get(new).status_code == 403
    assert submit(client, "/account/", new, {"title": "نیاز", "goal": "1000"}).status_code == 403
    organizer = client.application.test_client()
    sign_in(organizer, people["charity_staff"].phone)
    check_page(organizer.get(new))
    html = check_page(submit(organizer, new, new, {"title": "", "goal": "بسیار", "about": "x" * 1001}), 422)
    assert 'id="f-title-error"' in html and 'id="f-goal-error"' in html and 'id="f-about-error"' in html
    assert models.DriveNeed.select().count() == 2
    key = uuid.uuid4().hex
    data = {"title": "دیهٔ یک حادثهٔ کارگاهی", "goal": "۴۰۰٬۰۰۰٬۰۰۰", "form_key": key}
    assert submit(organizer, new, new, data).status_code == 302
    assert submit(organizer, new, new, data).status_code == 302
    made = models.DriveNeed.select().order_by(models.DriveNeed.id.desc()).first()
    assert (made.title, made.goal, models.DriveNeed.select().count()) == ("دیهٔ یک حادثهٔ کارگاهی", 400_000_000, 3)
    assert "دیهٔ یک حادثهٔ کارگاهی" in check_page(client.get(f"/campaigns/{campaign.id}"))


def test_ids_of_another_kind_or_a_draft_find_nothing(client, drive, people):
    campaign, _, _ = drive
    assert client.get(f"/campaigns/{campaign.id}/sittings/1").status_code == 404
    assert client.get("/campaigns/99999/pledge").status_code == 404
    models.Campaign.update(status="draft").where(models.Campaign.id == campaign.id).execute()
    assert client.get(pledge_page(campaign)).status_code == 404
    organizer = client.application.test_client()
    sign_in(organizer, people["charity_staff"].phone)
    assert organizer.get(pledge_page(campaign)).status_code == 200


@pytest.mark.parametrize("odd", ["²", "1" * 5000, "-1", "۱۲", "", "<b>x</b>", "0,000", "1e9"])
def test_odd_input_to_every_form_never_breaks_a_page(client, drive, people, odd):
    campaign, release, _ = drive
    made = drives.pledge(campaign, people["resident"], uuid.uuid4().hex, "money", 1000, need=release)
    fields = dict.fromkeys(
        ("need", "kind", "amount", "goods", "show_name", "public_name", "phone", "code", "title", "goal", "about"), odd
    )
    fields.update(dict.fromkeys(("note", "place", "date", "time", "capacity", "form_key"), odd))
    base = f"/campaigns/{campaign.id}"
    for who in (None, people["charity_staff"].phone):
        browser = client.application.test_client()
        if who:
            sign_in(browser, who)
        for action in (
            f"{base}/pledge",
            f"{base}/needs/new",
            f"{base}/pledges/{made.id}/received",
            f"{base}/pledge/code/{odd[:20] or 'x'}",
        ):
            assert submit(browser, pledge_page(campaign), action, fields).status_code < 500, (action, odd[:10])
    # Only "۱۲" is an amount (12 rials received); no odd title makes a need.
    assert models.DriveNeed.select().count() == 2
    assert [r.amount for r in models.PledgeReceipt.select()] == ([12] if odd == "۱۲" else [])
