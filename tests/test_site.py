"""Pages every visitor meets: home, areas, preferences, language, errors."""

import gzip

import models
from tests.conftest import sign_in, submit
from tests.pages import check_page

# Every URL rule of the site. Removing or adding one is a decision that
# changes this list.
ROUTES = {
    ("GET", "/"),
    ("GET", "/preferences"),
    ("POST", "/preferences"),
    ("POST", "/language"),
    ("GET", "/assets/htmx-2.0.11.min.js"),
    ("GET", "/static/<path:filename>"),
    ("GET", "/account/sign-up"),
    ("POST", "/account/sign-up"),
    ("GET", "/account/sign-up/<request_id>"),
    ("POST", "/account/sign-up/<request_id>"),
    ("GET", "/account/sign-in"),
    ("POST", "/account/sign-in"),
    ("POST", "/account/sign-out"),
    ("GET", "/account/"),
    ("POST", "/account/"),
    ("GET", "/account/pin"),
    ("POST", "/account/pin"),
    ("GET", "/account/sessions"),
    ("POST", "/account/sessions/<key>/end"),
    ("POST", "/account/sessions/end-others"),
    ("GET", "/areas/"),
    ("GET", "/areas/<int:area_id>"),
    ("POST", "/areas/<int:area_id>/choose"),
    ("GET", "/board/"),
    ("GET", "/board/new"),
    ("POST", "/board/new"),
    ("GET", "/board/posts/<int:post_id>"),
    ("POST", "/board/posts/<int:post_id>/cancel"),
    ("POST", "/board/posts/<int:post_id>/reopen"),
    ("POST", "/board/posts/<int:post_id>/report"),
    ("POST", "/board/posts/<int:post_id>/respond"),
    ("POST", "/board/posts/<int:post_id>/invite"),
    ("GET", "/volunteer/"),
    ("POST", "/volunteer/"),
    ("GET", "/volunteer/needs"),
    ("POST", "/board/responses/<int:response_id>/accept"),
    ("POST", "/board/responses/<int:response_id>/decline"),
    ("POST", "/board/responses/<int:response_id>/withdraw"),
    ("POST", "/board/responses/<int:response_id>/done"),
    ("POST", "/board/responses/<int:response_id>/confirm"),
    ("GET", "/inbox/"),
    ("POST", "/inbox/read"),
    ("GET", "/admin/activity-types/"),
    ("POST", "/admin/activity-types/"),
    ("POST", "/admin/activity-types/<int:type_id>"),
    ("GET", "/admin/people/"),
    ("POST", "/admin/people/"),
    ("GET", "/admin/people/<int:user_id>"),
    ("POST", "/admin/people/<int:user_id>/roles"),
    ("POST", "/admin/people/<int:user_id>/active"),
    ("POST", "/admin/people/<int:user_id>/center"),
    ("GET", "/time/"),
    ("GET", "/time/send"),
    ("POST", "/time/send"),
    ("GET", "/time/give"),
    ("POST", "/time/give"),
    ("GET", "/time/statement.pdf"),
    ("GET", "/time/areas/<int:area_id>"),
    ("GET", "/time/center"),
    ("GET", "/time/center/send"),
    ("POST", "/time/center/send"),
    ("GET", "/time/accounts/<int:account_id>"),
    ("POST", "/time/accounts/<int:account_id>/floor"),
    ("POST", "/time/transfers/<int:transfer_id>/reverse"),
    ("GET", "/simple/"),
    ("GET", "/simple/need"),
    ("POST", "/simple/need"),
    ("GET", "/simple/need/when"),
    ("GET", "/simple/need/reach"),
    ("GET", "/simple/need/check"),
    ("GET", "/simple/need/sent/<int:post_id>"),
    ("GET", "/simple/call-me"),
    ("POST", "/simple/call-me"),
    ("GET", "/simple/call-me/sent"),
    ("GET", "/simple/help-out"),
    ("GET", "/simple/help-out/days"),
    ("POST", "/simple/help-out"),
    ("GET", "/simple/near"),
    ("GET", "/simple/services"),
    ("GET", "/simple/mine"),
    ("POST", "/simple/mine/answers/<int:response_id>/accept"),
    ("POST", "/simple/mine/answers/<int:response_id>/decline"),
    ("POST", "/simple/mine/answers/<int:response_id>/confirm"),
    ("POST", "/simple/need/code"),
    ("GET", "/simple/need/code/<token>"),
    ("POST", "/simple/need/code/<token>"),
    ("GET", "/simple/need/sent"),
    ("POST", "/simple/mode"),
    ("GET", "/simple/listen/<token>.ogg"),
    ("POST", "/sms/incoming"),
    ("POST", "/sms/delivery"),
    ("POST", "/account/sms"),
    ("GET", "/account/claim"),
    ("POST", "/account/claim"),
    ("GET", "/account/claim/<request_id>"),
    ("POST", "/account/claim/<request_id>"),
    ("GET", "/desk/"),
    ("POST", "/desk/"),
    ("POST", "/desk/<int:user_id>/pin"),
    ("POST", "/desk/<int:user_id>/act"),
    ("GET", "/desk/calls"),
    ("POST", "/desk/calls/<int:callback_id>"),
    ("GET", "/desk/centers/<int:center_id>/register"),
    ("POST", "/desk/centers/<int:center_id>/register"),
    ("POST", "/desk/<int:user_id>/claim-code"),
    ("GET", "/desk/without-phone"),
    ("POST", "/account/helpers"),
    ("POST", "/account/helpers/<int:helper_id>/remove"),
    ("POST", "/account/helpers/asked/<int:ask_id>/withdraw"),
    ("POST", "/account/helper-asks/<int:ask_id>/accept"),
    ("POST", "/account/helper-asks/<int:ask_id>/decline"),
    ("POST", "/account/act/<int:person_id>"),
    ("POST", "/account/act/stop"),
    ("GET", "/facilitators/"),
    ("POST", "/facilitators/"),
    ("GET", "/facilitators/<int:user_id>"),
    ("POST", "/facilitators/<int:user_id>/assign"),
    ("POST", "/facilitators/<int:user_id>/training"),
    ("GET", "/facilitators/me"),
    ("POST", "/facilitators/me"),
    ("GET", "/stories/"),
    ("GET", "/stories/neighborhood/<int:area_id>"),
    ("GET", "/stories/neighborhood/<int:area_id>/new"),
    ("POST", "/stories/neighborhood/<int:area_id>/new"),
    ("GET", "/stories/<int:story_id>"),
    ("GET", "/stories/<int:story_id>/edit"),
    ("POST", "/stories/<int:story_id>/edit"),
    ("POST", "/stories/<int:story_id>/links"),
    ("GET", "/ideas/"),
    ("GET", "/ideas/new"),
    ("POST", "/ideas/new"),
    ("GET", "/ideas/<int:idea_id>"),
    ("POST", "/ideas/<int:idea_id>/support"),
    ("POST", "/ideas/<int:idea_id>/move"),
    # Campaigns (issue 16), campaigns engineer: campaigns, a distribution's back office, its points.
    ("GET", "/campaigns/"),
    ("GET", "/campaigns/<int:campaign_id>"),
    ("GET", "/campaigns/new"),
    ("POST", "/campaigns/new"),
    ("GET", "/campaigns/<int:campaign_id>/manage"),
    ("POST", "/campaigns/<int:campaign_id>/rounds"),
    ("POST", "/campaigns/<int:campaign_id>/points"),
    ("POST", "/campaigns/points/<int:point_id>/volunteers"),
    ("GET", "/campaigns/rounds/<int:round_id>"),
    ("POST", "/campaigns/nominations/<int:nomination_id>"),
    ("POST", "/campaigns/rounds/<int:round_id>/freeze"),
    ("POST", "/campaigns/rounds/<int:round_id>/cards"),
    ("GET", "/campaigns/cards/<int:batch_id>/<int:part>.pdf"),
    ("GET", "/campaigns/rounds/<int:round_id>/report"),
    ("GET", "/campaigns/rounds/<int:round_id>/report.csv"),
    ("GET", "/campaigns/rounds/<int:round_id>/summary.pdf"),
    ("GET", "/campaigns/rounds/<int:round_id>/nominate"),
    ("POST", "/campaigns/rounds/<int:round_id>/nominate"),
    ("GET", "/points/"),
    ("GET", "/points/<int:point_id>"),
    ("POST", "/points/<int:point_id>"),
    ("GET", "/points/<int:point_id>/sheet.pdf"),
    ("GET", "/points/<int:point_id>/sheet"),
    ("POST", "/points/<int:point_id>/sheet"),
    # Campaigns (issue 16), drives engineer: occasions, event sittings, drive needs and pledges.
    ("GET", "/occasions/"),
    ("GET", "/campaigns/<int:campaign_id>/sittings/<int:sitting_id>"),
    ("POST", "/campaigns/<int:campaign_id>/sittings/<int:sitting_id>/signup"),
    ("POST", "/campaigns/<int:campaign_id>/sittings/<int:sitting_id>/leave"),
    ("GET", "/campaigns/<int:campaign_id>/sittings/<int:sitting_id>/guest"),
    ("POST", "/campaigns/<int:campaign_id>/sittings/<int:sitting_id>/guest"),
    ("GET", "/campaigns/<int:campaign_id>/sittings/<int:sitting_id>/code/<token>"),
    ("POST", "/campaigns/<int:campaign_id>/sittings/<int:sitting_id>/code/<token>"),
    ("GET", "/campaigns/<int:campaign_id>/sittings/new"),
    ("POST", "/campaigns/<int:campaign_id>/sittings/new"),
    ("GET", "/campaigns/<int:campaign_id>/needs/new"),
    ("POST", "/campaigns/<int:campaign_id>/needs/new"),
    ("GET", "/campaigns/<int:campaign_id>/pledge"),
    ("POST", "/campaigns/<int:campaign_id>/pledge"),
    ("GET", "/campaigns/<int:campaign_id>/pledge/code/<token>"),
    ("POST", "/campaigns/<int:campaign_id>/pledge/code/<token>"),
    ("GET", "/campaigns/<int:campaign_id>/pledges"),
    ("GET", "/campaigns/<int:campaign_id>/pledges/<int:pledge_id>"),
    ("POST", "/campaigns/<int:campaign_id>/pledges/<int:pledge_id>/received"),
    ("GET", "/funds/"),
    ("GET", "/funds/<int:fund_id>"),
    ("GET", "/funds/<int:fund_id>/report/<month>.pdf"),
    ("GET", "/funds/<int:fund_id>/ledger.csv"),
    ("GET", "/funds/expenses/<int:expense_id>/receipt"),
    ("GET", "/funds/receipts/<token>"),
    ("GET", "/funds/new"),
    ("POST", "/funds/new"),
    ("GET", "/funds/<int:fund_id>/proposals/new"),
    ("POST", "/funds/<int:fund_id>/proposals/new"),
    ("GET", "/funds/proposals/<int:proposal_id>"),
    ("POST", "/funds/proposals/<int:proposal_id>/vote"),
    ("POST", "/funds/proposals/<int:proposal_id>/comments"),
    ("POST", "/funds/proposals/<int:proposal_id>/paper"),
    ("POST", "/funds/ballots/<int:vote_id>/confirm"),
    ("GET", "/funds/<int:fund_id>/desk"),
    ("POST", "/funds/<int:fund_id>/contributions"),
    ("POST", "/funds/<int:fund_id>/entries"),
    ("POST", "/funds/entries/<int:entry_id>/correct"),
    ("GET", "/funds/entries/<int:entry_id>/receipt.pdf"),
    ("GET", "/funds/proposals/<int:proposal_id>/expenses/new"),
    ("POST", "/funds/proposals/<int:proposal_id>/expenses/new"),
    ("POST", "/funds/expenses/<int:expense_id>/approve"),
    ("POST", "/funds/<int:fund_id>/pay"),
    ("GET", "/funds/<int:fund_id>/roll"),
    ("POST", "/funds/<int:fund_id>/roll"),
    ("POST", "/funds/<int:fund_id>/roll/remove"),
    ("GET", "/funds/payments/back"),
    ("GET", "/ideas/review"),
    ("GET", "/channel/"),
    ("GET", "/channel/<int:area_id>"),
    ("POST", "/channel/<int:area_id>"),
    ("GET", "/channel/items/<int:item_id>"),
    ("POST", "/channel/items/<int:item_id>/reply"),
    ("GET", "/channel/problems"),
    ("POST", "/channel/problems"),
    ("GET", "/hq/"),
    ("GET", "/hq/overview.csv"),
    ("GET", "/hq/imports/"),
    ("GET", "/hq/imports/areas"),
    ("POST", "/hq/imports/areas"),
    ("GET", "/hq/imports/centers"),
    ("POST", "/hq/imports/centers"),
    ("GET", "/hq/imports/facilitators"),
    ("POST", "/hq/imports/facilitators"),
    ("GET", "/hq/imports/volunteers"),
    ("POST", "/hq/imports/volunteers"),
    ("GET", "/registry/"),
    ("POST", "/registry/inquiry"),
    ("GET", "/registry/new"),
    ("POST", "/registry/new"),
    ("GET", "/registry/records/<int:record_id>"),
    ("POST", "/registry/records/<int:record_id>/services"),
    ("POST", "/registry/records/<int:record_id>/consent"),
    ("GET", "/registry/reports"),
    ("GET", "/registry/reports.csv"),
    ("GET", "/registry/import"),
    ("POST", "/registry/import"),
    ("GET", "/directory/"),
    ("GET", "/directory/sample.csv"),
    ("GET", "/directory/national"),
    ("GET", "/directory/national/new"),
    ("POST", "/directory/national/new"),
    ("GET", "/directory/national/import"),
    ("POST", "/directory/national/import"),
    ("GET", "/directory/areas/<int:area_id>"),
    ("GET", "/directory/areas/<int:area_id>/new"),
    ("POST", "/directory/areas/<int:area_id>/new"),
    ("GET", "/directory/areas/<int:area_id>/import"),
    ("POST", "/directory/areas/<int:area_id>/import"),
    ("GET", "/directory/areas/<int:area_id>/print.pdf"),
    ("GET", "/directory/entries/<int:entry_id>/edit"),
    ("POST", "/directory/entries/<int:entry_id>/edit"),
    ("POST", "/directory/entries/<int:entry_id>/checked"),
    ("POST", "/directory/entries/<int:entry_id>/remove"),
    ("GET", "/orgs/"),
    ("GET", "/orgs/<int:org_id>"),
    ("POST", "/orgs/<int:org_id>/join"),
    ("GET", "/orgs/<int:org_id>/edit"),
    ("POST", "/orgs/<int:org_id>/edit"),
    ("GET", "/orgs/<int:org_id>/members"),
    ("POST", "/orgs/<int:org_id>/members"),
    ("GET", "/orgs/invitations"),
    ("POST", "/orgs/invitations"),
    ("GET", "/orgs/new"),
    ("GET", "/orgs/<int:org_id>/programs/new"),
    ("POST", "/orgs/<int:org_id>/programs/new"),
    ("POST", "/orgs/new"),
    ("GET", "/orgs/assemblies/<int:assembly_id>"),
    ("POST", "/orgs/assemblies/<int:assembly_id>/posts"),
    ("POST", "/orgs/assemblies/<int:assembly_id>/capacity"),
    ("GET", "/orgs/apply"),
    ("POST", "/orgs/apply"),
    ("GET", "/orgs/applications"),
    ("GET", "/orgs/applications/<int:application_id>"),
    ("POST", "/orgs/applications/<int:application_id>/approve"),
    ("POST", "/orgs/applications/<int:application_id>/decline"),
    ("GET", "/hq/assemblies/"),
    ("POST", "/hq/assemblies/"),
    ("GET", "/hq/assemblies/<int:assembly_id>"),
    ("POST", "/hq/assemblies/<int:assembly_id>/members"),
    ("POST", "/hq/assemblies/<int:assembly_id>/coordinator"),
    ("GET", "/centers/<int:center_id>"),
    ("GET", "/centers/programs/<int:program_id>"),
    ("GET", "/centers/<int:center_id>/programs/new"),
    ("POST", "/centers/<int:center_id>/programs/new"),
    ("POST", "/centers/programs/<int:program_id>/signup"),
    ("POST", "/centers/programs/<int:program_id>/leave"),
    ("POST", "/centers/programs/<int:program_id>/cancel"),
    ("GET", "/centers/programs/<int:program_id>/flyer.pdf"),
    ("GET", "/centers/<int:center_id>/needs.pdf"),
    ("GET", "/centers/<int:center_id>/volunteers.pdf"),
    ("GET", "/kiosk/"),
    ("POST", "/kiosk/done"),
    ("GET", "/kiosk/centers/<int:center_id>"),
    ("POST", "/kiosk/centers/<int:center_id>"),
    ("POST", "/kiosk/centers/<int:center_id>/<int:kiosk_id>/revoke"),
    ("GET", "/kiosk/script-<version>.js"),
    ("POST", "/kiosk/still-here"),
    ("GET", "/kiosk/me"),
    ("POST", "/kiosk/check-in"),
    ("GET", "/kiosk/claim"),
    ("POST", "/kiosk/claim"),
    ("GET", "/centers/<int:center_id>/cards"),
    ("POST", "/centers/<int:center_id>/cards"),
    ("GET", "/centers/<int:center_id>/cards/<int:user_id>.pdf"),
    ("GET", "/centers/<int:center_id>/batches/<int:batch_id>"),
    ("GET", "/centers/<int:center_id>/batches/<int:batch_id>.pdf"),
    ("POST", "/centers/<int:center_id>/batches/<int:batch_id>/retry"),
    ("GET", "/centers/<int:center_id>/week.pdf"),
    ("GET", "/centers/programs/<int:program_id>/attendance.pdf"),
    ("GET", "/certificates/people/<int:user_id>"),
    ("POST", "/certificates/people/<int:user_id>"),
    ("GET", "/certificates/<int:certificate_id>.pdf"),
    ("GET", "/certificates/<token>"),
    # The municipal welfare desk (issue 15).
    ("GET", "/cases/"),
    ("GET", "/cases/<int:case_id>"),
    ("POST", "/cases/<int:case_id>/appointments"),
    ("GET", "/cases/<int:case_id>/assessment"),
    ("POST", "/cases/<int:case_id>/assessment"),
    ("POST", "/cases/<int:case_id>/assign"),
    ("POST", "/cases/<int:case_id>/close"),
    ("GET", "/cases/<int:case_id>/copy.pdf"),
    ("POST", "/cases/<int:case_id>/reopen"),
    ("POST", "/cases/<int:case_id>/services"),
    ("POST", "/cases/<int:case_id>/shelter"),
    ("POST", "/cases/<int:case_id>/take"),
    ("POST", "/cases/appointments/<int:appointment_id>"),
    ("GET", "/cases/ask"),
    ("POST", "/cases/ask"),
    ("GET", "/cases/exchange"),
    ("POST", "/cases/exchange/coverage"),
    ("POST", "/cases/exchange/served-codes.csv"),
    ("GET", "/cases/exchange/served.csv"),
    ("GET", "/cases/mine"),
    ("GET", "/cases/mine/<int:case_id>"),
    ("GET", "/cases/new"),
    ("POST", "/cases/new"),
    ("GET", "/cases/offices"),
    ("POST", "/cases/offices"),
    ("GET", "/cases/offices/<int:office_id>"),
    ("POST", "/cases/offices/<int:office_id>/staff"),
    ("POST", "/cases/offices/<int:office_id>/staff/<int:user_id>/remove"),
    ("POST", "/cases/pledges"),
    ("POST", "/cases/pledges/<int:pledge_id>/withdraw"),
    ("GET", "/cases/referrals"),
    ("GET", "/cases/referrals/<int:service_id>"),
    ("POST", "/cases/referrals/<int:service_id>/answer"),
    ("POST", "/cases/referrals/<int:service_id>/delivered"),
    ("GET", "/cases/reports"),
    ("GET", "/cases/reports.csv"),
    ("POST", "/cases/services/<int:service_id>/cancel"),
    ("POST", "/cases/services/<int:service_id>/deliver"),
    ("POST", "/cases/services/<int:service_id>/end"),
    ("GET", "/cases/services/<int:service_id>/letter.pdf"),
    ("GET", "/cases/shelter"),
    # Headquarters keeps the area tree and the centers (issue 18).
    ("GET", "/hq/areas/"),
    ("GET", "/hq/areas/<int:area_id>"),
    ("GET", "/hq/areas/<int:area_id>/history"),
    ("GET", "/hq/areas/new"),
    ("POST", "/hq/areas/new"),
    ("GET", "/hq/areas/<int:area_id>/rename"),
    ("POST", "/hq/areas/<int:area_id>/rename"),
    ("GET", "/hq/areas/<int:area_id>/<any(move, merge):action>"),
    ("POST", "/hq/areas/<int:area_id>/<any(move, merge):action>"),
    ("GET", "/hq/areas/<int:area_id>/managers"),
    ("POST", "/hq/areas/<int:area_id>/managers"),
    ("POST", "/hq/areas/<int:area_id>/managers/<int:user_id>/remove"),
    ("GET", "/hq/centers/"),
    ("GET", "/hq/centers/unserved"),
    ("GET", "/hq/centers/new"),
    ("POST", "/hq/centers/new"),
    ("GET", "/hq/centers/<int:center_id>/edit"),
    ("POST", "/hq/centers/<int:center_id>/edit"),
    ("POST", "/hq/centers/<int:center_id>/<any(close, reopen):action>"),
    ("GET", "/hq/centers/<int:center_id>/<any(served, place):part>"),
    ("POST", "/hq/centers/<int:center_id>/<any(served, place):part>"),
    ("POST", "/hq/centers/<int:center_id>/served/<int:area_id>/remove"),
    ("POST", "/hq/centers/<int:center_id>/staff"),
    ("POST", "/hq/centers/<int:center_id>/staff/<int:user_id>/remove"),
    # Crisis mode (issue 22).
    ("GET", "/crisis/"),
    ("GET", "/crisis/declare"),
    ("POST", "/crisis/declare"),
    ("GET", "/crisis/<int:crisis_id>"),
    ("GET", "/crisis/<int:crisis_id>/situation.pdf"),
    ("POST", "/crisis/<int:crisis_id>/call"),
    ("POST", "/crisis/<int:crisis_id>/teams"),
    ("POST", "/crisis/<int:crisis_id>/end"),
    ("GET", "/crisis/<int:crisis_id>/record"),
    ("POST", "/crisis/<int:crisis_id>/lessons"),
    ("GET", "/crisis/calls"),
    ("POST", "/crisis/calls/<int:call_id>/answer"),
    ("POST", "/crisis/team-members/<int:member_id>/check-in"),
    ("POST", "/crisis/team-members/<int:member_id>/check-out"),
    ("GET", "/crisis/<int:crisis_id>/places"),
    ("POST", "/crisis/<int:crisis_id>/places"),
    ("GET", "/crisis/places/<int:place_id>"),
    ("POST", "/crisis/places/<int:place_id>"),
    ("GET", "/crisis/<int:crisis_id>/offer"),
    ("POST", "/crisis/<int:crisis_id>/offer"),
    ("POST", "/crisis/offers/<int:offer_id>/decide"),
}


def test_every_route_is_listed(app):
    found = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert found == ROUTES


def test_no_get_changes_anything(app, client, people):
    """A crawler following every GET link changes no data (ASVS V3.5.3);
    only the audit log notes the sensitive pages it read."""
    sign_in(client, people["admin"].phone)
    counted = [model for model in models.MODELS if model is not models.AuditEntry]
    before = {model.__name__: model.select().count() for model in counted}
    for method, rule in ROUTES:
        if method == "GET" and "<" not in rule:
            client.get(rule)
    client.get(f"/areas/{people['admin'].neighborhood_id}")
    after = {model.__name__: model.select().count() for model in counted}
    assert before == after


def test_home_is_persian_right_to_left_and_small(client, db):
    html = check_page(client.get("/"))
    assert '<html lang="fa" dir="rtl"' in html
    assert "همسایه" in html
    assert "<style>" in html  # the first visit renders from this one response
    assert '<link rel="stylesheet"' not in html
    assert 'src="/assets/htmx-2.0.11.min.js" defer' in html


def test_pages_are_compressed_when_the_browser_accepts_it(client, db):
    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "همسایه" in gzip.decompress(response.get_data()).decode()
    assert "Accept-Encoding" in response.headers["Vary"]


def test_htmx_is_served_by_this_site_and_cached(client):
    response = client.get("/assets/htmx-2.0.11.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert b"htmx" in gzip.decompress(response.get_data())
    response.close()


def test_security_headers(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'sha256-" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_navigation_leaves_out_the_inline_styles(client, db):
    html = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)
    assert "<style>" not in html
    restore = client.get("/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<style>" in restore.get_data(as_text=True)


def test_language_switch_without_javascript(client, db):
    response = submit(client, "/", "/language", {"language": "en", "next": "/areas/"})
    assert response.status_code == 302 and response.location == "/areas/"
    html = check_page(client.get("/areas/"))
    assert '<html lang="en" dir="ltr"' in html
    assert "Find your neighborhood" in html
    submit(client, "/", "/language", {"language": "fa", "next": "/"})
    assert '<html lang="fa" dir="rtl"' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_targets(client, db):
    response = submit(client, "/", "/language", {"language": "xx", "next": "https://evil.example/"})
    assert response.location == "/"
    assert '<html lang="fa"' in client.get("/").get_data(as_text=True)


def test_members_language_is_kept_in_the_profile(client, people):
    sign_in(client, people["resident"].phone)
    submit(client, "/", "/language", {"language": "en"})
    assert models.User.get_by_id(people["resident"].id).language == "en"


def test_guest_preferences_persist_in_a_cookie(client, db):
    response = submit(client, "/preferences", "/preferences", {"text_size": "2", "high_contrast": "1", "next": "/"})
    assert response.status_code == 302
    html = check_page(client.get("/"))
    assert 'class="ts2 hc"' in html


def test_member_preferences_persist_in_the_profile(app, people):
    client = app.test_client()
    sign_in(client, people["resident"].phone)
    submit(client, "/preferences", "/preferences", {"text_size": "1", "high_contrast": ""})
    user = models.User.get_by_id(people["resident"].id)
    assert (user.text_size, user.high_contrast) == (1, False)
    other_device = app.test_client()
    sign_in(other_device, people["resident"].phone)
    assert 'class="ts1"' in other_device.get("/").get_data(as_text=True)


def test_bad_preference_values_are_ignored(client, db):
    submit(client, "/preferences", "/preferences", {"text_size": "99", "high_contrast": "<script>"})
    assert 'class="ts0"' in client.get("/").get_data(as_text=True)
    client.set_cookie("prefs", "garbage")
    check_page(client.get("/"))


def test_error_pages_are_persian_and_in_the_layout(client, people):
    html = check_page(client.get("/no-such-page"), status=404)
    assert "صفحه پیدا نشد" in html
    check_page(client.get("/areas/999999"), status=404)
    check_page(client.post("/areas/"), status=405)


def test_a_broken_view_shows_the_500_page_not_a_traceback(app, client, db):
    app.view_functions["main.preferences"], original = (lambda: 1 / 0), app.view_functions["main.preferences"]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        html = check_page(client.get("/preferences"), status=500)
    finally:
        app.view_functions["main.preferences"] = original
    assert "Traceback" not in html and "ZeroDivisionError" not in html
    assert "مشکلی" in html


def test_health(client, db):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_odd_numbers_in_addresses_never_break_a_page(app, client, people):
    """Digits that are not digits ("²"), or thousands of them, are no number."""
    sign_in(client, people["admin"].phone)
    odd = ("²", "1" * 5000, "-1", "۱۲", "")
    for method, rule in ROUTES:
        if method != "GET" or "<" in rule or rule.endswith(".js"):
            continue
        for value in odd:
            query = dict.fromkeys(("area", "page", "county", "months", "kind", "q", "org", "type"), value)
            assert client.get(rule, query_string=query).status_code < 500, (rule, value[:10])
