"""The front door (issue 20, point 5): asking for help and a call back first
on the home page, simple-mode members sent to the simple pages, a guest's
request with only a mobile number confirmed by an SMS code, and the size
chosen as a guest kept at sign-in."""

import re

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, guests
from tests.conftest import PIN, sign_in, submit
from tests.factories import sent_code
from tests.pages import check_page

SIMPLE_BUDGET = 8 * 1024
GUEST_PHONE = "09125550101"
LATIN_DIGIT = re.compile("[0-9]")
PERSIAN_DIGIT = re.compile("[۰-۹]")


def error_of(html, field):
    found = re.search(rf'id="f-{field}-error">([^<]*)<', html)
    return found.group(1) if found else None


def choice_links(html):
    return [link.replace("&amp;", "&") for link in re.findall(r'<a class="big-choice" href="([^"]+)"', html)]


def hidden(html):
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def at(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def as_guest_in(client, neighborhood):
    client.set_cookie("hood", str(neighborhood.id))


def reach_page(client):
    """The guest's way from `/` to the page that asks the number: three taps."""
    html = check_page(client.get("/"))
    html = check_page(client.get(choice_links(html)[0]), budget=SIMPLE_BUDGET)  # 1: I need help
    html = check_page(client.get(choice_links(html)[0]), budget=SIMPLE_BUDGET)  # 2: errands
    return check_page(client.get(choice_links(html)[0]), budget=SIMPLE_BUDGET)  # 3: today


def ask_code(client, phone=GUEST_PHONE, reach="phone", **kwargs):
    """Tap 4: the number typed, and how to be reached (each choice sends the form)."""
    page = "/simple/need/reach?type=errands&when=today"
    data = {"type": "errands", "when": "today", "phone": phone, "reach": reach}
    return submit(client, page, "/simple/need/code", data, **kwargs)


def send_with_code(client, code_page, code, **kwargs):
    """Tap 5: the code typed, and "Yes, send it"."""
    html = check_page(client.get(code_page), budget=SIMPLE_BUDGET)
    return client.post(code_page, data={**hidden(html), "code": code}, **kwargs)


# --- The home page ------------------------------------------------------------------


def test_the_home_page_offers_help_and_a_call_back_before_anything_else(client, people, places):
    for who in (None, people["resident"]):
        if who is not None:
            sign_in(client, who.phone)
        html = check_page(client.get("/"))
        main = html[html.index('<main id="main"') :]
        first = re.search(r"<(a|h1|h2|p|form)\b[^>]*>", main[main.index(">") + 1 :]).group(0)
        assert 'class="big-choice"' in first, "the first thing in the page is a big choice"
        assert choice_links(main)[:2] == ["/simple/need", "/simple/call-me"]
        assert main.index('class="big-choice"') < main.index("<h1>")
        assert "کمک می‌خواهم" in main and "با من تماس بگیرید" in main


def test_a_member_or_guest_in_simple_mode_lands_on_the_simple_home(client, people, places):
    resident = people["resident"]
    accounts.update_profile(resident, simple_mode=True)
    sign_in(client, resident.phone)
    answer = client.get("/")
    assert answer.status_code == 302 and answer.location == "/simple/"
    guest = client.application.test_client()
    assert guest.get("/").status_code == 200
    submit(guest, "/simple/", "/simple/mode", {"simple": "1"})
    assert guest.get("/").location == "/simple/"
    submit(guest, "/simple/", "/simple/mode", {"simple": ""})
    assert guest.get("/").status_code == 200


# --- A guest asks for help -------------------------------------------------------------


def test_a_guest_asks_for_help_in_five_taps_with_only_a_number_and_its_code(client, places):
    as_guest_in(client, places["Tajrish"])
    submit(client, "/preferences", "/preferences", {"text_size": "2", "high_contrast": "1"})
    html = reach_page(client)
    assert 'id="f-phone"' in html and 'type="tel"' in html
    assert html.count('<button class="big-choice" type="submit" name="reach"') == 2
    answer = ask_code(client, "۰۹۱۲ ۵۵۵ ۰۱۰۱")  # 4
    assert answer.status_code == 302 and answer.location.startswith("/simple/need/code/")
    code = sent_code(GUEST_PHONE)
    assert code and models.OneTimeCode.get().code_hash != code  # kept as a hash only
    html = check_page(client.get(answer.location), budget=SIMPLE_BUDGET)
    assert "گام ۴ از ۴" in html and "خرید و کارهای بیرون" in html
    # The number by its last digits only: the page's address stays in a kiosk's history.
    assert "…۰۱۰۱" in html and "9125550101" not in persian.to_latin_digits(html)
    assert len(re.findall(r'<input id="f-\w+"', html)) == 1, "one field: the code"
    answer = send_with_code(client, answer.location, persian.to_persian_digits(code))  # 5
    assert answer.status_code == 302
    post = models.HelpPost.get()
    owner = models.User.get(models.User.phone == GUEST_PHONE)
    assert (post.author_id, post.neighborhood_id, post.kind, post.urgency) == (
        owner.id,
        places["Tajrish"].id,
        "request",
        2,
    )
    assert post.reach_by == "phone" and post.activity_type.slug == "errands"
    # A member for the confirmed number, with no PIN yet, on the simple pages, at the size chosen.
    assert (owner.pin_hash, owner.simple_mode, owner.text_size, owner.high_contrast) == ("", True, 2, True)
    assert owner.roles() == {"resident"} and owner.neighborhood_id == places["Tajrish"].id
    # This browser is signed in to it, and sees the request in My requests.
    assert answer.location == f"/simple/need/sent/{post.id}"
    check_page(client.get(answer.location), budget=SIMPLE_BUDGET)
    assert "در انتظار پاسخ همسایه‌ها" in check_page(client.get("/simple/mine"), budget=SIMPLE_BUDGET)
    # No PIN opens it until its holder claims it.
    for pin in ("", "0000", PIN):
        assert accounts.sign_in(GUEST_PHONE, pin, "10.9.0.1").user is None


def test_the_button_pressed_twice_makes_one_request_and_one_account(client, places):
    as_guest_in(client, places["Tajrish"])
    code_page = ask_code(client).location
    html = check_page(client.get(code_page), budget=SIMPLE_BUDGET)
    data = {**hidden(html), "code": sent_code(GUEST_PHONE)}
    guest_session = client.get_cookie("hamsayeh_session").value
    first = client.post(code_page, data=data)
    # The second press left at the same moment, with the guest's session, before the first was answered.
    client.set_cookie("hamsayeh_session", guest_session)
    second = client.post(code_page, data=data)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    # Pressed once more (from the page still open), now signed in: still the same request.
    third = submit(client, "/simple/", code_page, {k: v for k, v in data.items() if k != "csrf_token"})
    assert third.location == first.location
    assert client.get("/simple/mine").status_code == 200
    assert models.HelpPost.select().count() == 1
    assert models.User.select().where(models.User.phone == GUEST_PHONE).count() == 1
    # The code is used: its page is gone, for this browser and any other.
    stranger = client.application.test_client()
    assert client.get(code_page).status_code == stranger.get(code_page).status_code == 404
    # Another browser sending the used code finds nothing and makes nothing.
    stranger.set_cookie("hood", str(places["Tajrish"].id))
    reach = "/simple/need/reach?type=errands&when=today"
    answer = submit(stranger, reach, code_page, {k: v for k, v in data.items() if k != "csrf_token"})
    assert answer.status_code == 422 and "استفاده شده" in error_of(answer.get_data(as_text=True), "code")
    assert models.HelpPost.select().count() == 1


def test_a_wrong_code_says_so_beside_the_field_and_five_tries_use_it_up(client, places):
    as_guest_in(client, places["Tajrish"])
    code_page = ask_code(client).location
    right = sent_code(GUEST_PHONE)
    wrong = "000000" if right != "000000" else "111111"
    for attempt in range(models.OneTimeCode.TRIES):
        answer = send_with_code(client, code_page, wrong)
        html = check_page(answer, status=422, budget=SIMPLE_BUDGET)
        message = error_of(html, "code")
        assert message and "درست نیست" in message, attempt
        assert 'aria-invalid="true"' in html and 'aria-describedby="f-code-error"' in html
        # The form keeps the request; the code is never echoed back.
        assert hidden(html)["type"] == "errands" and hidden(html)["reach"] == "phone" and wrong not in html
    # No try is left: the page is gone, and the form still open in the browser says why the code fails.
    assert client.get(code_page).status_code == 404
    answer = client.post(code_page, data={**hidden(html), "code": right})
    assert "دیگر کار نمی‌کند" in error_of(check_page(answer, status=422, budget=SIMPLE_BUDGET), "code")
    assert not models.HelpPost.select().exists() and not models.User.select().exists()


def test_an_expired_code_makes_nothing(client, places):
    as_guest_in(client, places["Tajrish"])
    code_page = ask_code(client).location
    form = hidden(check_page(client.get(code_page), budget=SIMPLE_BUDGET))
    models.OneTimeCode.update(expires_at=models.utcnow() - models.OneTimeCode.LIFETIME).execute()
    assert client.get(code_page).status_code == 404  # the page is gone with the code
    answer = client.post(code_page, data={**form, "code": sent_code(GUEST_PHONE)})  # from the page left open
    assert "دیگر کار نمی‌کند" in error_of(check_page(answer, status=422, budget=SIMPLE_BUDGET), "code")
    answer = client.post(code_page, data={**form, "code": ""})
    assert "با پیامک آمده" in error_of(check_page(answer, status=422, budget=SIMPLE_BUDGET), "code")
    assert not models.HelpPost.select().exists()
    assert client.get("/simple/need/code/no-such-request?type=errands&when=today&reach=phone").status_code == 404


def test_a_wrong_number_is_told_beside_the_field_and_kept(client, places):
    as_guest_in(client, places["Tajrish"])
    answer = ask_code(client, "0912 55")
    html = check_page(answer, status=422, budget=SIMPLE_BUDGET)
    assert "۱۱ رقم" in error_of(html, "phone") and 'value="0912 55"' in html
    assert not models.OneTimeCode.select().exists() and not models.SmsMessage.select().exists()
    # A forged choice starts the question again; nothing is sent.
    page = "/simple/need/reach?type=errands&when=today"
    answer = submit(client, page, "/simple/need/code", {"type": "nope", "when": "today", "phone": GUEST_PHONE})
    assert answer.status_code == 302 and answer.location == "/simple/need"
    assert not models.SmsMessage.select().exists()


def test_codes_are_limited_per_number_and_per_address_in_persian_digits(client, places):
    as_guest_in(client, places["Tajrish"])
    for index in range(accounts.SIGN_UP_LIMITS["phone"]):
        assert ask_code(client, **at(f"10.7.0.{index}")).status_code == 302
    answer = ask_code(client, **at("10.7.0.99"))
    message = error_of(check_page(answer, status=429, budget=SIMPLE_BUDGET), "phone")
    assert message and PERSIAN_DIGIT.search(message) and not LATIN_DIGIT.search(message)
    # One address asks for many numbers: it shares the sign-up's limit per address.
    hood = places["Tajrish"].id
    more = accounts.SIGN_UP_LIMITS["address"]
    asked = [guests.send_code(f"091255502{index:02d}", hood, "10.7.1.1", "{}".format) for index in range(more + 1)]
    assert all(one.request_id for one in asked[:more]) and asked[more].request_id is None
    # Sign-up codes and a guest's count together: the number has no fresh budget at sign-up.
    refused = accounts.request_sign_up(GUEST_PHONE, "کسی", "9753", None, "10.7.2.1", "{}".format, "exists")
    assert refused.request_id is None


def test_a_guest_asking_on_an_english_page_gets_an_account_that_speaks_english(client, places):
    """The new account keeps the page's language (its SMS speak it), and a
    name that is the same whatever the language it was asked in."""
    as_guest_in(client, places["Tajrish"])
    submit(client, "/simple/", "/language", {"language": "en"})
    code_page = ask_code(client).location
    assert send_with_code(client, code_page, sent_code(GUEST_PHONE)).status_code == 302
    owner = models.User.get(models.User.phone == GUEST_PHONE)
    assert (owner.language, owner.name) == ("en", guests.NEW_ACCOUNT_NAME)
    persian_guest = client.application.test_client()
    as_guest_in(persian_guest, places["Tajrish"])
    code_page = ask_code(persian_guest, "09125550102").location
    assert send_with_code(persian_guest, code_page, sent_code("09125550102")).status_code == 302
    owner = models.User.get(models.User.phone == "09125550102")
    assert (owner.language, owner.name) == ("fa", guests.NEW_ACCOUNT_NAME)


def test_a_number_with_a_pin_gets_the_request_but_the_code_opens_no_account(client, people, places):
    resident = people["resident"]
    as_guest_in(client, places["Niavaran"])
    code_page = ask_code(client, resident.phone, reach="door").location
    answer = send_with_code(client, code_page, sent_code(resident.phone))
    assert answer.status_code == 302 and answer.location == "/simple/need/sent"
    post = models.HelpPost.get()
    assert (post.author_id, post.neighborhood_id, post.reach_by) == (resident.id, places["Niavaran"].id, "door")
    assert "شماره شما حساب دارد" in check_page(client.get(answer.location), budget=SIMPLE_BUDGET)
    assert client.get("/simple/mine").status_code == 302  # still a guest: the PIN opens the account
    assert models.User.get_by_id(resident.id).pin_hash == resident.pin_hash
    # The owner sees it in My requests after signing in as always.
    sign_in(client, resident.phone)
    assert "خرید و کارهای بیرون" in check_page(client.get("/simple/mine"), budget=SIMPLE_BUDGET)


def test_a_second_request_from_a_number_without_a_pin_signs_in_again(client, places):
    as_guest_in(client, places["Tajrish"])
    send_with_code(client, ask_code(client).location, sent_code(GUEST_PHONE))
    other = client.application.test_client()
    as_guest_in(other, places["Tajrish"])
    answer = send_with_code(other, ask_code(other, reach="door").location, sent_code(GUEST_PHONE))
    owner = models.User.get(models.User.phone == GUEST_PHONE)
    assert (
        models.User.select().count() == 1
        and models.HelpPost.select().where(models.HelpPost.author == owner).count() == 2
    )
    assert answer.location.startswith("/simple/need/sent/")
    assert check_page(other.get("/simple/mine"), budget=SIMPLE_BUDGET).count("<h2>") == 2


def test_a_disabled_number_asks_nothing_and_staff_are_never_signed_in_by_a_code(client, people, places):
    resident = people["resident"]
    accounts.set_active(resident, False)
    as_guest_in(client, places["Tajrish"])
    answer = send_with_code(client, ask_code(client, resident.phone).location, sent_code(resident.phone))
    assert "مرکز" in error_of(check_page(answer, status=422, budget=SIMPLE_BUDGET), "code")
    assert not models.HelpPost.select().exists()
    staff = people["center_staff"]
    models.User.update(pin_hash="").where(models.User.id == staff.id).execute()
    assert not guests.may_sign_in(models.User.get_by_id(staff.id))


def test_a_guest_without_a_neighborhood_chooses_it_first(client, places):
    answer = client.get("/simple/need")
    assert answer.status_code == 302 and answer.location == "/areas/"
    assert "اول محله" in check_page(client.get(answer.location))
    # Once chosen, the guest is back at the first step of the request, not at home.
    niavaran = places["Niavaran"]
    page, action = f"/areas/{niavaran.id}", f"/areas/{niavaran.id}/choose"
    chosen = submit(client, page, action, {})
    assert chosen.status_code == 302 and chosen.location == "/simple/need"
    assert client.get_cookie("then") is None
    assert check_page(client.get(chosen.location), budget=SIMPLE_BUDGET)
    # Choosing a neighborhood another time leads home, as before.
    assert submit(client, page, action, {}).location == "/"


def test_a_member_goes_from_home_to_a_sent_request_in_five_taps(client, people, places):
    sign_in(client, people["resident"].phone)
    html = check_page(client.get("/"))
    for _tap in range(4):  # I need help, errands, today, call my phone
        html = check_page(client.get(choice_links(html)[0]), budget=SIMPLE_BUDGET)
    assert "گام ۴ از ۴" in html
    answer = client.post("/simple/need", data=hidden(html))  # 5: yes, send it
    assert answer.status_code == 302
    assert models.HelpPost.get().author_id == people["resident"].id
    assert not models.OneTimeCode.select().exists()


# --- Text size and contrast chosen as a guest --------------------------------------


def test_the_size_and_contrast_chosen_as_a_guest_are_kept_at_sign_in_and_saved(app, people):
    resident = people["resident"]
    accounts.update_profile(resident, text_size=0, high_contrast=False)
    client = app.test_client()
    submit(client, "/preferences", "/preferences", {"text_size": "2", "high_contrast": "1"})
    sign_in(client, resident.phone)
    assert 'class="ts2 hc"' in client.get("/").get_data(as_text=True)
    saved = models.User.get_by_id(resident.id)
    assert (saved.text_size, saved.high_contrast) == (2, True)
    # Another device, with nothing chosen there, gets the saved size.
    other = app.test_client()
    sign_in(other, resident.phone)
    assert 'class="ts2 hc"' in other.get("/").get_data(as_text=True)


def test_a_choice_made_as_a_member_is_not_taken_back_at_the_next_sign_in(app, people):
    resident = people["resident"]
    client = app.test_client()
    submit(client, "/preferences", "/preferences", {"text_size": "2", "high_contrast": ""})
    sign_in(client, resident.phone)
    submit(client, "/preferences", "/preferences", {"text_size": "1", "high_contrast": ""})
    submit(client, "/", "/account/sign-out", {})
    sign_in(client, resident.phone)
    assert models.User.get_by_id(resident.id).text_size == 1


def test_switching_to_the_simple_pages_alone_chooses_no_size(app, people):
    resident = people["resident"]
    accounts.update_profile(resident, text_size=2)
    client = app.test_client()
    submit(client, "/simple/", "/simple/mode", {"simple": "1"})
    sign_in(client, resident.phone)
    assert models.User.get_by_id(resident.id).text_size == 2


def test_presses_sent_at_the_same_moment_make_one_request_and_one_account(app, places):
    import threading

    from hamsayeh.views.simple import need_fields
    from hamsayeh.web.catalog import catalog

    sent = guests.send_code(GUEST_PHONE, places["Tajrish"].id, "10.8.0.1", "{}".format)
    code = sent_code(GUEST_PHONE)
    with app.app_context():
        fields = need_fields(catalog().activity_by_slug["errands"], "today", "phone")
    barrier, answers = threading.Barrier(4), []

    def press():
        with models.db.connection_context():
            barrier.wait()
            answers.append(guests.ask_for_help(sent.request_id, code, "one-form", {}, **fields))

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made = [answer for answer in answers if answer.post is not None]
    assert len(answers) == 4 and len(made) == 1
    assert {answer.problem for answer in answers if answer.post is None} <= {"used", "again"}
    assert models.HelpPost.select().count() == 1 and models.User.select().count() == 1
    assert guests.request_made_by(sent.request_id, "one-form")[0].id == made[0].post.id
