"""A need on the board or a call-back carried into the welfare desk's intake
(issue 15, point 1): the form opens filled from it, by its id only; the case
keeps a link to it, and registering it again finds the same case. The
post's author and the caller learn nothing; a resident, a volunteer, a
charity's staff and another district's social worker get no action and 403
or 404 when they forge the address."""

import re
import threading

import pytest

import models
from hamsayeh.domain import callbacks, casework
from tests.conftest import REGISTRY_KEY, sign_in, submit
from tests.factories import activity, make_post, person, welfare_case, welfare_desk
from tests.pages import check_page

CODE = "0012345679"
CSRF = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture
def desk(places, people):
    return welfare_desk(places, people)


@pytest.fixture
def need(people, places):
    """The resident's need on Tajrish's board (District 1)."""
    return make_post(people["resident"], places["Tajrish"], text="مادرم بیمار است و برای خرید دارو کمک می‌خواهم")


@pytest.fixture
def tajrish_center(places):
    return models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user.phone)
    return client


def at_center(user, center):
    models.User.update(work_center=center).where(models.User.id == user.id).execute()
    return models.User.get_by_id(user.id)


def value_of(html, name):
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return found.group(1) if found else None


def selected_area(html):
    select = html.split('id="f-area"', 1)[1].split("</select>", 1)[0]
    return re.search(r'<option value="(\d+)" selected', select).group(1)


def asked_in(html):
    return re.search(r'<textarea id="f-asked"[^>]*>([^<]*)</textarea>', html).group(1)


def sent(form_html, **typed):
    """The filled form as the browser sends it, with what the desk types."""
    data = {
        name: value_of(form_html, name)
        for name in ("office", "post", "callback", "form_key", "name", "requester", "phone", "contact")
    }
    data = {name: value for name, value in data.items() if value is not None}
    data.update(
        area=selected_area(form_html),
        household_size="۳",
        id_kind="national",
        number=CODE,
        asked=asked_in(form_html),
        **typed,
    )
    return data


def register_from(client, page, **typed):
    form = check_page(client.get(page))
    return form, submit(client, page, "/cases/new", sent(form, **typed))


# --- From the board ---------------------------------------------------------------------------------


def test_a_need_on_the_board_opens_the_intake_filled_and_becomes_one_linked_case(app, desk, need, people, places):
    resident = people["resident"]
    worker = signed_in(app, desk["worker"])
    board_page = check_page(worker.get(f"/board/posts/{need.id}"))
    assert f'href="/cases/new?post={need.id}"' in board_page and "ثبت به‌عنوان درخواست رفاهی" in board_page

    form = check_page(worker.get(f"/cases/new?post={need.id}"))
    # Who asked, how to reach them, the place and what is asked: from the post, in Persian.
    assert value_of(form, "name") == resident.name and value_of(form, "phone") == resident.phone
    assert value_of(form, "post") == str(need.id) and selected_area(form) == str(places["Tajrish"].id)
    asked = asked_in(form)
    assert activity("errands").name in asked and "برای خرید دارو کمک می‌خواهم" in asked
    assert "تابلوی محله" in form and f'href="/board/posts/{need.id}"' in form
    # The national code is typed: nothing fills it, and the source is not a choice here.
    assert value_of(form, "number") is None and 'id="f-source"' not in form
    looked = models.AuditEntry.get(models.AuditEntry.action == "case.intake_from")
    assert (looked.actor_id, looked.subject) == (desk["worker"].id, f"post:{need.id}")

    response = submit(worker, f"/cases/new?post={need.id}", "/cases/new", sent(form))
    case = models.WelfareCase.get()
    assert response.status_code == 302 and response.location == f"/cases/{case.id}"
    assert (case.board_post_id, case.callback_id, case.source) == (need.id, None, "board")
    assert (case.name, case.phone, case.area_id, case.office_id) == (
        resident.name,
        resident.phone,
        places["Tajrish"].id,
        desk["office"].id,
    )
    # The case is the desk's, not the author's: no applicant, so no "my requests", no reminders.
    assert case.applicant_id is None
    assert case.identifier_hash == models.identifier_hash(REGISTRY_KEY, "national", CODE)
    registered = models.AuditEntry.get(models.AuditEntry.action == "case.registered")
    assert registered.detail == f"office:{desk['office'].id} post:{need.id}"
    page = check_page(worker.get(f"/cases/{case.id}"))
    assert f'href="/board/posts/{need.id}"' in page and "از تابلوی محله" in page

    # Registered again, from a new form or by another social worker: the same case.
    again = worker.get(f"/cases/new?post={need.id}")
    assert again.status_code == 302 and again.location == f"/cases/{case.id}"
    second = signed_in(app, desk["second"])
    late_form = check_page(second.get(f"/cases/new?post={need.id}", follow_redirects=True))
    assert f"درخواست {case.id}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in late_form
    twice = submit(worker, f"/cases/{case.id}", "/cases/new", sent(form, form_key="another-form"))
    assert twice.status_code == 302 and twice.location == f"/cases/{case.id}"
    # And the same form sent twice makes nothing more.
    assert submit(worker, f"/cases/{case.id}", "/cases/new", sent(form)).location == f"/cases/{case.id}"
    assert models.WelfareCase.select().count() == 1


def test_a_need_filed_for_a_neighbor_without_a_phone_brings_the_name_and_the_centers_contact(app, desk, people, places):
    filer = people["facilitator"]
    filed = make_post(
        filer,
        places["Niavaran"],
        filed_by=filer,
        on_behalf_name="عصمت رضایی",
        on_behalf_contact="از طریق مرکز مثبت زندگی نیاوران، خانم کریمی",
    )
    form = check_page(signed_in(app, desk["worker"]).get(f"/cases/new?post={filed.id}"))
    assert value_of(form, "name") == "عصمت رضایی" and value_of(form, "requester") == filer.name
    assert value_of(form, "contact") == "از طریق مرکز مثبت زندگی نیاوران، خانم کریمی"
    # The filer's own number is not the neighbor's.
    assert value_of(form, "phone") is None and filer.phone not in form
    assert selected_area(form) == str(places["Niavaran"].id)


def test_a_need_asked_by_choices_is_told_in_the_readers_language(app, desk, people, places):
    chosen = make_post(people["resident"], places["Tajrish"], text="", reach_by="door", urgency=0)
    errands = activity("errands")
    client = signed_in(app, desk["worker"])
    persian = asked_in(check_page(client.get(f"/cases/new?post={chosen.id}")))
    assert (
        persian
        == f"از تابلوی محله برای {errands.name} کمک خواسته است: نیاز به کمک: {errands.name}، هر روزی که بتوانید. به در خانه‌ام بیایید."
    )
    models.User.update(language="en").where(models.User.id == desk["worker"].id).execute()
    english = asked_in(check_page(client.get(f"/cases/new?post={chosen.id}")))
    assert (
        english.startswith(f"Asked on the neighborhood board for help with {errands.name_en}")
        and "Come to my door." in english
    )
    models.User.update(language="fa").where(models.User.id == desk["worker"].id).execute()
    page = check_page(client.get(f"/cases/new?post={chosen.id}"))
    assert submit(client, f"/cases/new?post={chosen.id}", "/cases/new", sent(page)).status_code == 302
    assert models.WelfareCase.get().asked.endswith("به در خانه‌ام بیایید.")


def test_the_posts_author_learns_nothing(app, desk, need, people):
    author = signed_in(app, people["resident"])

    def what_the_author_sees():
        pages = [
            author.get(path).get_data(as_text=True) for path in (f"/board/posts/{need.id}", "/inbox/", "/cases/mine")
        ]
        return [CSRF.sub("", page) for page in pages]

    before = what_the_author_sees()
    post_before = models.HelpPost.select().where(models.HelpPost.id == need.id).dicts().get()
    events, texts = models.PostEvent.select().count(), models.SmsMessage.select().count()
    worker = signed_in(app, desk["worker"])
    register_from(worker, f"/cases/new?post={need.id}")
    assert models.WelfareCase.select().count() == 1
    assert what_the_author_sees() == before
    assert models.HelpPost.select().where(models.HelpPost.id == need.id).dicts().get() == post_before
    assert (models.PostEvent.select().count(), models.SmsMessage.select().count()) == (events, texts)
    assert models.Notification.select().where(models.Notification.user == people["resident"]).count() == 0
    # Forging the address: the author may not open the intake, from their post or any other way.
    assert author.get(f"/cases/new?post={need.id}").status_code == 403
    assert "درخواست رفاهی" not in before[0]


def test_a_resident_a_volunteer_a_charity_and_another_district_get_no_action_and_403_or_404(app, desk, need, people):
    form = check_page(signed_in(app, desk["worker"]).get(f"/cases/new?post={need.id}"))
    forged = sent(form, form_key="forged")
    for user, status in (
        (people["volunteer"], 403),
        (people["charity_staff"], 403),
        (people["facilitator"], 403),
        (desk["far_worker"], 404),
    ):
        client = signed_in(app, user)
        page = check_page(client.get(f"/board/posts/{need.id}"))
        assert "/cases/new?post=" not in page, user.name
        assert client.get(f"/cases/new?post={need.id}").status_code == status, user.name
        assert submit(client, f"/board/posts/{need.id}", "/cases/new", forged).status_code == status, user.name
    # Another district's social worker, posting to their own office with District 1's need: 404, nothing made.
    far = signed_in(app, desk["far_worker"])
    elsewhere = {**forged, "office": str(desk["far"].id), "area": str(desk["far"].district_id)}
    assert submit(far, "/cases/new", "/cases/new", elsewhere).status_code == 404
    assert models.WelfareCase.select().count() == 0


def test_offers_cancelled_needs_and_odd_ids_open_nothing(app, desk, people, places, need):
    offer = make_post(people["volunteer"], places["Tajrish"], kind="offer", text="می‌توانم برای سالمندان خرید کنم")
    cancelled = make_post(people["resident"], places["Niavaran"], text="نیاز به کمک برای جابه‌جایی وسایل")
    models.HelpPost.update(status="cancelled").where(models.HelpPost.id == cancelled.id).execute()
    client = signed_in(app, desk["worker"])
    assert "/cases/new?post=" not in check_page(client.get(f"/board/posts/{offer.id}"))
    for query in (f"post={offer.id}", f"post={cancelled.id}", "post=999999", "post=abc", "post=", "callback=x"):
        assert client.get(f"/cases/new?{query}").status_code == 404, query
    # A need of District 12 is not District 1's to register.
    far_need = make_post(people["resident"], places["Bazaar"])
    assert client.get(f"/cases/new?post={far_need.id}").status_code == 404
    assert "/cases/new?post=" not in check_page(client.get(f"/board/posts/{far_need.id}"))


def test_a_person_with_an_open_request_is_flagged_from_the_board_too(app, desk, need):
    first = welfare_case(desk["office"], desk["clerk"], registry_key=REGISTRY_KEY)
    worker = signed_in(app, desk["worker"])
    form, response = register_from(worker, f"/cases/new?post={need.id}")
    html = check_page(response, status=409)
    assert f"/cases/{first.id}" in html and value_of(html, "post") == str(need.id) and CODE not in html
    confirmed = submit(worker, f"/cases/{first.id}", "/cases/new", sent(form, as_duplicate="1"))
    assert confirmed.status_code == 302
    flagged = models.WelfareCase.get(models.WelfareCase.board_post == need.id)
    assert (flagged.duplicate_of_id, flagged.source) == (first.id, "board")


# --- From a call-back ----------------------------------------------------------------------------------


def test_a_call_back_opens_the_intake_filled_and_the_case_keeps_its_link(app, desk, places, people, tajrish_center):
    clerk = at_center(desk["clerk"], tajrish_center)
    by_phone = callbacks.request_callback(
        "cb-phone", phone="09351112233", neighborhood=places["Tajrish"], activity_type=activity("errands")
    )
    by_name = callbacks.request_callback("cb-name", name="حسن کریمی", center=tajrish_center)
    client = signed_in(app, clerk)
    calls = check_page(client.get("/desk/calls"))
    for call in (by_phone, by_name):
        assert f'href="/cases/new?callback={call.id}"' in calls
    # Ids only: the number is never in an address.
    assert not re.search(r'href="/cases/new\?[^"]*0935', calls)

    form = check_page(client.get(f"/cases/new?callback={by_phone.id}"))
    assert value_of(form, "phone") == "09351112233" and value_of(form, "callback") == str(by_phone.id)
    assert selected_area(form) == str(places["Tajrish"].id) and activity("errands").name in form
    response = submit(client, f"/cases/new?callback={by_phone.id}", "/cases/new", sent(form, name="مریم توکلی"))
    case = models.WelfareCase.get()
    assert response.location == f"/cases/{case.id}"
    assert (case.callback_id, case.board_post_id, case.source, case.phone) == (
        by_phone.id,
        None,
        "phone",
        "09351112233",
    )
    assert "درخواست تماس" in check_page(client.get(f"/cases/{case.id}"))
    # The call-back itself is left as it was: the desk still says whether it called.
    assert models.CallbackRequest.get_by_id(by_phone.id).status == "open"

    named = check_page(client.get(f"/cases/new?callback={by_name.id}"))
    assert value_of(named, "name") == "حسن کریمی" and value_of(named, "phone") is None
    assert "مرکز مثبت زندگی تجریش" in value_of(named, "contact")
    assert selected_area(named) == str(places["Tajrish"].id)


def test_a_centers_staff_registers_a_call_back_once_and_reads_no_case(app, desk, places, people, tajrish_center):
    staff = at_center(people["center_staff"], tajrish_center)
    call = callbacks.request_callback("cb-1", phone="09351112233", neighborhood=places["Tajrish"])
    client = signed_in(app, staff)
    form, response = register_from(client, f"/cases/new?callback={call.id}", name="مریم توکلی")
    case = models.WelfareCase.get()
    # Registered into District 1's office; the center's staff do not read its cases.
    assert case.office_id == desk["office"].id and response.location == "/cases/new"
    again = client.get(f"/cases/new?callback={call.id}")
    assert again.status_code == 302 and again.location == "/desk/calls"
    twice = submit(client, "/desk/calls", "/cases/new", sent(form, name="مریم توکلی", form_key="second-form"))
    assert twice.location == "/desk/calls" and models.WelfareCase.select().count() == 1
    assert "درخواست ۱" in check_page(client.get("/desk/calls"))


def test_a_call_back_without_a_place_goes_to_the_desks_own_office(app, desk, tajrish_center):
    clerk = at_center(desk["clerk"], tajrish_center)
    unplaced = callbacks.request_callback("cb-sms", phone="09351112244", source="sms")
    _form, response = register_from(signed_in(app, clerk), f"/cases/new?callback={unplaced.id}", name="ناشناس")
    assert response.status_code == 302
    case = models.WelfareCase.get()
    assert (case.office_id, case.area_id, case.callback_id) == (
        desk["office"].id,
        desk["office"].district_id,
        unplaced.id,
    )


def test_no_one_else_registers_a_call_back_and_a_forged_address_gets_403_or_404(
    app, desk, places, people, tajrish_center
):
    call = callbacks.request_callback("cb-1", phone="09351112233", neighborhood=places["Tajrish"])
    clerk = signed_in(app, at_center(desk["clerk"], tajrish_center))
    forged = sent(check_page(clerk.get(f"/cases/new?callback={call.id}")), name="مریم توکلی", form_key="forged")
    bazaar = models.Center.create(area=places["Bazaar"], name="مرکز مثبت زندگی بازار")
    far_staff = at_center(person("09121110009", "کارمند بازار", roles=("center_staff",)), bazaar)
    for user, status in (
        (people["resident"], 403),
        (people["volunteer"], 403),
        (people["charity_staff"], 403),
        (desk["far_worker"], 404),  # another district's social worker: not this call's desk
        (desk["worker"], 404),  # District 1's social worker, who does not answer call-backs
        (far_staff, 404),  # another district's center: another desk's call
    ):
        client = signed_in(app, user)
        assert client.get(f"/cases/new?callback={call.id}").status_code == status, user.name
        assert submit(client, "/account/", "/cases/new", forged).status_code == status, user.name
    # The center of District 12 answers its own calls, with no action on District 1's.
    calls = check_page(signed_in(app, far_staff).get("/desk/calls"))
    assert f"callback={call.id}" not in calls
    assert models.WelfareCase.select().count() == 0


# --- Two desks at once ----------------------------------------------------------------------------------


def test_two_desks_registering_the_same_need_at_once_make_one_case(app, desk, need):
    barrier, outcomes = threading.Barrier(4), []
    fields = {
        "name": "رقیه بهرامی",
        "area": need.neighborhood_id,
        "household_size": 2,
        "asked": "کمک برای خرید دارو",
        "source": "board",
        "board_post": need,
    }

    def register(actor, key):
        with app.app_context(), models.connection():
            barrier.wait()
            try:
                casework.register(desk["office"], actor, key, **fields)
                outcomes.append("made")
            except casework.AlreadyRegistered as found:
                outcomes.append(found.case.board_post_id)

    actors = [desk["worker"], desk["second"], desk["clerk"], desk["supervisor"]]
    threads = [threading.Thread(target=register, args=(a, f"race-{i}")) for i, a in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == sorted(["made", need.id, need.id, need.id], key=str)
    assert models.WelfareCase.select().where(models.WelfareCase.board_post == need.id).count() == 1
