"""The forms that start things, each visited in Chromium at 360 px with
JavaScript off and scanned by axe (WCAG 2.2 A and AA) with 7:1 contrast:
a new campaign and what a campaign's staff add to it (a drive's needs, an
iftar's sittings), a new fund, and headquarters' national list of services.
Their flows are tried through the test client in their own modules."""

import pytest

import models
from hamsayeh.domain import demo
from tests.conftest import REGISTRY_KEY

pytestmark = pytest.mark.browser
HEADQUARTERS = "09120000007"


def test_the_forms_that_start_campaigns_funds_and_national_services(site_without_js, db):
    site = site_without_js
    demo.seed(REGISTRY_KEY)
    site.sign_in(HEADQUARTERS)
    pages = [
        "/campaigns/new",
        "/funds/new",
        "/directory/national",
        "/directory/national/new",
        "/directory/national/import",
    ]
    for campaign in models.Campaign.select():
        pages.append(f"/campaigns/{campaign.id}/manage")
        if campaign.kind == "drive":
            pages.append(f"/campaigns/{campaign.id}/needs/new")
        if campaign.kind == "event":
            pages.append(f"/campaigns/{campaign.id}/sittings/new")
    for page in pages:
        response = site.visit(page)
        assert response.status == 200, page
        assert site.page.locator("h1").count() == 1, page
