"""A drive in Chromium at 360 px without JavaScript: a neighbor finds the
year's occasions, opens a drive planned around one, pledges toward a need;
the organizer records it received; the public page then shows what was
pledged, received and still needed, and not the donor's name."""

import uuid

import pytest

import models
from hamsayeh.domain import drives, occasions
from tests.factories import organized_campaign

pytestmark = pytest.mark.browser


def test_a_neighbor_pledges_and_the_organizer_records_it_received(site_without_js, people, places):
    site = site_without_js
    occasions.load_calendar()
    coming = occasions.upcoming()[0]
    drive, _ = organized_campaign(places, people, "drive", goal=2_000_000_000, occasion=coming)
    need = drives.add_need(drive, people["charity_staff"], uuid.uuid4().hex, "آزادی مادر سه فرزند", 1_200_000_000)

    site.sign_in(people["resident"].phone)
    site.visit(f"/areas/{places['Tajrish'].id}")
    site.follow("/occasions/")
    assert coming.name in site.text()
    site.follow(f"/campaigns/{drive.id}")
    site.follow(f"/campaigns/{drive.id}/pledge?need={need.id}")
    site.page.check("input[name=kind][value=money]")
    site.fill("amount", "۵۰٬۰۰۰٬۰۰۰")
    site.submit(f"/campaigns/{drive.id}/pledge")
    pledge = models.DrivePledge.get()
    assert (pledge.amount, pledge.need_id, pledge.donor_id) == (50_000_000, need.id, people["resident"].id)
    site.screenshot("drive-pledged-360")

    site.page.context.clear_cookies()
    site.sign_in(people["charity_staff"].phone)
    site.visit(f"/campaigns/{drive.id}")
    site.follow(f"/campaigns/{drive.id}/pledges")
    assert people["resident"].name in site.text()
    site.follow(f"/campaigns/{drive.id}/pledges/{pledge.id}")
    site.fill("amount", "20,000,000")
    site.submit(f"/campaigns/{drive.id}/pledges/{pledge.id}/received")
    assert models.DrivePledge.get_by_id(pledge.id).received == 20_000_000

    site.page.context.clear_cookies()
    site.visit(f"/campaigns/{drive.id}")
    text = site.text()
    assert people["resident"].name not in text
    assert "۵۰٬۰۰۰٬۰۰۰" in text  # pledged
    assert "۲۰٬۰۰۰٬۰۰۰" in text  # received
    assert "۱٬۱۸۰٬۰۰۰٬۰۰۰" in text  # the need still needs its goal less what came in
    site.screenshot("drive-public-360")
