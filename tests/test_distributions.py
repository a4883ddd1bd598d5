"""Distributions (issue 16) through the domain: nominations checked against
the registry, a frozen list with unguessable codes, one pickup per household
and round whatever the point, paper sheets entered later, every pickup a
service in the shared registry."""

import datetime
import re
import uuid

import pytest

import models
from hamsayeh.domain import distributions, registry
from tests import factories
from tests.conftest import REGISTRY_KEY

SECRET = "test-secret-key"


@pytest.fixture
def round_(places, people):
    return factories.distribution(places, people, households=12)


def test_frozen_round_gives_each_household_one_unguessable_code(round_):
    codes = round_["codes"]
    assert len(codes) == 12 and len(set(codes.values())) == 12
    for code in codes.values():
        assert re.fullmatch(r"\d{12}", code)  # twelve digits: never a ten-digit national code
    rows = list(models.Entitlement.select())
    # The table holds no code: only a salt and the code's hash.
    for row in rows:
        assert codes[row.number] not in (row.salt, row.code_hash)
        assert row.code_hash == distributions.code_hash(codes[row.number])
    # Another site key gives other codes from the same salts.
    assert distributions.code_of("another-key", rows[0].salt) != codes[rows[0].number]
    assert models.DistributionRound.get_by_id(round_["round"].id).status == "frozen"


def test_households_with_a_phone_hear_their_code_by_sms(round_):
    sent = list(models.SmsMessage.select().where(models.SmsMessage.event_key.startswith("voucher:")))
    assert len(sent) == 4  # one household in three has a phone
    first = models.Entitlement.get(models.Entitlement.number == 1)
    message = models.SmsMessage.get(models.SmsMessage.event_key == f"voucher:{first.id}")
    assert distributions.spaced(round_["codes"][1]) in message.body.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    assert first.sms_sent_at is not None


def test_one_pickup_per_household_whatever_the_point(round_):
    first_point, second_point = round_["points"][:2]
    helper, other_helper = round_["volunteers"][:2]
    code = round_["codes"][1]
    done = distributions.mark_pickup(first_point, round_["round"], helper, code)
    assert done.status == "done"
    again = distributions.mark_pickup(
        second_point, round_["round"], other_helper, " ".join(code[i : i + 4] for i in (0, 4, 8))
    )
    assert again.status == "already"
    assert again.pickup.point_id == first_point.id and again.pickup.at == done.pickup.at
    assert models.Pickup.select().count() == 1
    refusal = models.PickupRefusal.get()
    assert (refusal.point_id, refusal.marked_by_id) == (second_point.id, other_helper.id)


def test_every_pickup_is_a_service_in_the_shared_registry(round_):
    point, helper = round_["points"][0], round_["volunteers"][0]
    distributions.mark_pickup(point, round_["round"], helper, round_["codes"][1])
    service = models.Service.get()
    nomination = models.Entitlement.get(models.Entitlement.number == 1).nomination
    assert service.beneficiary_id == nomination.record.beneficiary_id
    assert service.organization_id == nomination.organization_id
    assert (service.category, service.amount) == ("food", 5_000_000)
    # The registry's own inquiry finds it.
    desk = registry.at_desk(nomination.organization, round_["assembly"])
    found = registry.inquire(desk, helper, REGISTRY_KEY, "national", factories.national_code(100000), 1, "test")
    assert found.categories == {"food": 1}


@pytest.mark.parametrize("typed", ["", "12", "abcdefghijkl", "000000000000", "0012345679"])
def test_a_wrong_code_is_refused_and_writes_nothing(round_, typed):
    with pytest.raises(distributions.DistributionError) as error:
        distributions.mark_pickup(round_["points"][0], round_["round"], round_["volunteers"][0], typed)
    assert error.value.reason == "unknown"
    assert (
        models.Pickup.select().count() == models.PickupRefusal.select().count() == models.Service.select().count() == 0
    )


def test_guessing_codes_at_a_point_is_limited(round_):
    point, helper = round_["points"][0], round_["volunteers"][0]
    for guess in range(distributions.WRONG_CODES):
        with pytest.raises(distributions.DistributionError):
            distributions.mark_pickup(point, round_["round"], helper, f"{guess:012d}")
    # Even the right code waits now: guessing gains nothing.
    with pytest.raises(distributions.DistributionError) as error:
        distributions.mark_pickup(point, round_["round"], helper, round_["codes"][1])
    assert error.value.reason == "limit"
    later = models.utcnow() + datetime.timedelta(seconds=distributions.WRONG_WINDOW + 1)
    assert distributions.mark_pickup(point, round_["round"], helper, round_["codes"][1], now=later).status == "done"


def test_codes_of_another_round_or_campaign_and_points_outside_are_refused(round_, places, people):
    worker = round_["worker"]
    second = distributions.add_round(round_["campaign"], worker, uuid.uuid4().hex, "نوبت دوم", "بسته غذایی")
    models.DistributionRound.update(status="frozen").where(models.DistributionRound.id == second.id).execute()
    second = distributions.get_round(second.id)
    point, helper = round_["points"][0], round_["volunteers"][0]
    with pytest.raises(distributions.DistributionError) as error:
        distributions.mark_pickup(point, second, helper, round_["codes"][1])
    assert error.value.reason == "round"
    other, _org = factories.organized_campaign(places, people, "distribution", goal=10, unit="households")
    far_point = distributions.add_point(
        other, people["charity_staff"], uuid.uuid4().hex, "نقطهٔ دیگر", places["Tajrish"]
    )
    with pytest.raises(distributions.DistributionError) as error:
        distributions.mark_pickup(far_point, round_["round"], helper, round_["codes"][1])
    assert error.value.reason == "campaign"
    with pytest.raises(distributions.DistributionError) as error:
        distributions.add_point(round_["campaign"], worker, uuid.uuid4().hex, "بازار", places["Bazaar"])
    assert error.value.reason == "area"
    assert models.Pickup.select().count() == 0


def test_verifying_flags_doubles_and_households_served_before(places, people):
    made = factories.distribution(places, people, households=3)
    worker, (mosque, manager), (other_mosque, other_manager) = made["worker"], made["mosques"][0], made["mosques"][1]
    distributions.mark_pickup(made["points"][0], made["round"], made["volunteers"][0], made["codes"][1])
    second = distributions.add_round(made["campaign"], worker, uuid.uuid4().hex, "نوبت دوم", "بسته غذایی")
    code = factories.national_code(100000)  # served in the first round
    a = distributions.nominate(
        second, mosque, manager, REGISTRY_KEY, uuid.uuid4().hex, "national", code, "الف", places["Tajrish"]
    )
    b = distributions.nominate(
        second, other_mosque, other_manager, REGISTRY_KEY, uuid.uuid4().hex, "national", code, "الف", places["Tajrish"]
    )
    found = distributions.findings(second, [a, b])
    assert found[a.id] == {"double", "served"}
    assert found[b.id] == {"double", "served", "registry"}  # the first mosque gave a like service lately
    distributions.verify(a, worker)
    with pytest.raises(distributions.DistributionError) as error:
        distributions.verify(b, worker)
    assert error.value.reason == "double"
    distributions.reject(b, worker, "دوبار معرفی شده")
    assert distributions.freeze(second, worker, SECRET) == 1


def test_nominating_outside_the_campaign_or_after_freezing_is_refused(round_, places):
    mosque, manager = round_["mosques"][0]
    with pytest.raises(distributions.DistributionError) as error:
        distributions.nominate(
            round_["round"],
            mosque,
            manager,
            REGISTRY_KEY,
            uuid.uuid4().hex,
            "national",
            factories.national_code(7),
            "ب",
            places["Tajrish"],
        )
    assert error.value.reason == "round"
    second = distributions.add_round(round_["campaign"], round_["worker"], uuid.uuid4().hex, "نوبت دوم", "بسته")
    with pytest.raises(distributions.DistributionError) as error:
        distributions.nominate(
            second,
            mosque,
            manager,
            REGISTRY_KEY,
            uuid.uuid4().hex,
            "national",
            factories.national_code(7),
            "ب",
            places["Bazaar"],
        )
    assert error.value.reason == "area"
    assert models.Nomination.select().where(models.Nomination.round == second).count() == 0


def test_a_paper_sheet_entered_later_reports_its_doubles(round_):
    point, helper = round_["points"][0], round_["volunteers"][0]
    other_point, other_helper = round_["points"][1], round_["volunteers"][1]
    sheet = distributions.sheet_of(point, round_["round"])
    references = [e.number for e in sheet]
    assert references == [1, 4, 7, 10]
    # Household 4 collected at another point (with its code) before the sheet came in.
    distributions.mark_pickup(other_point, round_["round"], other_helper, round_["codes"][4])
    signed = distributions.parse_references("۱، ۴\n7")
    assert signed == [1, 4, 7]
    at = models.utcnow() - datetime.timedelta(hours=3)
    result = distributions.enter_sheet(point, round_["round"], helper, signed, at)
    assert [n for n, _p in result.done] == [1, 7]
    assert [(n, p.point_id) for n, p in result.doubles] == [(4, other_point.id)]
    # Entered twice by mistake: nothing twice.
    again = distributions.enter_sheet(point, round_["round"], helper, signed, at)
    assert [n for n, _p in again.entered] == [1, 7] and [n for n, _p in again.doubles] == [4]
    assert models.Pickup.select().count() == 3
    assert models.Service.select().count() == 3
    # A reference not on this point's sheet refuses the whole entry.
    with pytest.raises(distributions.DistributionError) as error:
        distributions.enter_sheet(point, round_["round"], helper, [2, 10], at)
    assert error.value.reason == "sheet" and error.value.missing == [2]
    assert models.Pickup.select().count() == 3


def test_reports_count_per_point_area_and_day(round_):
    point, helper = round_["points"][0], round_["volunteers"][0]
    distributions.mark_pickup(point, round_["round"], helper, round_["codes"][1])
    distributions.mark_pickup(round_["points"][1], round_["round"], round_["volunteers"][1], round_["codes"][1])
    report = distributions.report(round_["round"])
    assert (report["total"], report["served"], report["waiting"], report["doubles"]) == (12, 1, 11, 1)
    by_point = {p.name: (expected, collected, refused) for p, expected, collected, refused in report["points"]}
    assert by_point[point.name] == (4, 1, 0)
    assert sum(e for _a, e, _s in report["areas"]) == 12
    assert sum(count for _d, count in report["days"]) == 1
    assert len(distributions.not_served(round_["round"])) == 11
    rows = list(distributions.csv_rows(round_["round"], round_["worker"]))
    assert models.AuditEntry.select().where(models.AuditEntry.action == "distribution.exported").count() == 1
    assert len(rows) == 12 and rows[0][6] == point.name
    assert not any(factories.national_code(100000) in str(cell) for row in rows for cell in row)


def test_freezing_twice_makes_nothing_twice(round_):
    with pytest.raises(distributions.DistributionError) as error:
        distributions.freeze(round_["round"], round_["worker"], SECRET)
    assert error.value.reason == "round"
    assert models.Entitlement.select().count() == 12
    assert models.SmsMessage.select().where(models.SmsMessage.event_key.startswith("voucher:")).count() == 4
