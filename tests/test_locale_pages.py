"""Each page speaks one language. An English page names places, centers and
kinds of help in English, says a request made on the simple pages in
English, and separates the items of a list the English way; a Persian page
does all of it in Persian. Checked as a reader would: the page's own text,
with what people typed, and what is marked as the other language, set aside."""

import datetime
import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from flask_babel import force_locale

import models
from hamsayeh import persian
from hamsayeh.domain import network, timebank
from hamsayeh.web.templating import listed
from tests.conftest import sign_in, submit
from tests.factories import assembly, make_post
from tests.pages import check_page

PERSIAN_LETTERS = re.compile(r"[\u0600-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]+")
LATIN_LETTERS = re.compile(r"[A-Za-z]+")


class TextParser(HTMLParser):
    """A page's visible text and title, without scripts, styles and whatever
    is marked as written in Persian (`lang="fa"`, like the language switch's
    «فارسی»)."""

    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "input", "meta", "link", "img"):
            return
        if self.skipping or tag in ("script", "style") or (tag != "html" and dict(attrs).get("lang") == "fa"):
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def page_text(html):
    parser = TextParser()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def persian_in(html, typed=()):
    """The runs of Persian letters on a page, apart from `typed` (what people wrote)."""
    text = page_text(html)
    for words in typed:
        text = text.replace(" ".join(words.split()), " ")
    return PERSIAN_LETTERS.findall(text)


def in_english(client):
    """This browser reads the site in English (a member: until they sign in)."""
    client.set_cookie("lang", "en")


def member_in(client, member, language):
    sign_in(client, member.phone)
    submit(client, "/", "/language", {"language": language})


def tehran_today():
    return datetime.datetime.now(ZoneInfo("Asia/Tehran")).date()


@pytest.fixture
def center(places):
    return models.Center.create(
        area=places["Niavaran"],
        name="مرکز مثبت زندگی نیاوران",
        name_en="Niavaran Positive Life Center",
        address="خیابان پاسداران",
        hours="شنبه تا چهارشنبه",
    )


# --- Names ----------------------------------------------------------------------------------


def test_english_pages_name_places_and_centers_in_english(client, places, center):
    in_english(client)
    hood, district, province = places["Niavaran"], places["District 1"], places["Tehran"]
    pages = {
        "/areas/": "Tehran",  # the provinces
        f"/areas/{province.id}": "Choose a place in Tehran",
        f"/areas/{district.id}": "Niavaran",
        f"/areas/{hood.id}": "Niavaran Positive Life Center",
        f"/centers/{center.id}": "Niavaran Positive Life Center",
        f"/ideas/?area={hood.id}": "Ideas for Niavaran",
        f"/channel/{hood.id}": "Niavaran",
        f"/stories/neighborhood/{hood.id}": "The record of Niavaran",
        "/areas/?q=نیاوران": "Niavaran",
    }
    # The center's address and hours are what its staff wrote; a search page repeats the words searched for.
    typed = (center.address, center.hours, "“نیاوران”")
    for path, english in pages.items():
        html = check_page(client.get(path))
        assert english in page_text(html), path
        assert persian_in(html, typed=typed) == [], path
    assert "<h1>Niavaran</h1>" in client.get(f"/areas/{hood.id}").get_data(as_text=True)
    assert "<h1>District 1</h1>" in client.get(f"/areas/{district.id}").get_data(as_text=True)


def test_persian_pages_keep_persian_names(client, places, center):
    html = check_page(client.get(f"/areas/{places['District 1'].id}"))
    assert "<h1>منطقه ۱</h1>" in html and "Niavaran" not in html
    assert "<h1>مرکز مثبت زندگی نیاوران</h1>" in check_page(client.get(f"/centers/{center.id}"))


def test_a_place_with_no_english_name_is_named_in_persian_on_an_english_page(client, places):
    in_english(client)
    plain = models.Area.add(places["District 1"], "neighborhood", "دزاشیب", "", "دزاشیب")
    assert "<h1>دزاشیب</h1>" in check_page(client.get(f"/areas/{plain.id}"))


def test_a_member_s_english_pages_name_their_neighborhood_in_english(client, people, places):
    member = people["resident"]
    title, text = "قفسهٔ کتاب در پارک", "یک قفسهٔ کوچک کتاب در پارک."
    idea = network.propose_idea(member, places["Tajrish"], title, text, persian.fold(title), "k" * 20)
    member_in(client, member, "en")
    typed = (member.name, idea.title, idea.text)
    for path, english in {f"/ideas/{idea.id}": "Ideas for Tajrish", "/account/": "Tajrish"}.items():
        html = check_page(client.get(path))
        assert english in page_text(html), path
        assert persian_in(html, typed=typed) == [], path


def test_a_gift_to_the_pool_reads_in_the_reader_s_language(client, people, places):
    member = people["resident"]
    sign_in(client, member.phone)
    answer = submit(client, "/time/give", "/time/give", {"minutes": "30", "reason": "", "form_key": "g" * 20})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1000]
    assert models.TimeTransfer.get().reason == ""  # no sentence stored in the giver's language
    text = page_text(check_page(client.get("/time/")))
    assert "منطقه ۱" in text and "هدیه" in text
    submit(client, "/", "/language", {"language": "en"})
    html = check_page(client.get("/time/"))
    assert "Sent by hand to District 1" in page_text(html)
    assert "A gift to the community pool" in page_text(html)
    assert persian_in(html, typed=(member.name,)) == []


def test_hours_paid_for_a_help_name_its_kind_in_the_reader_s_language(client, people, places):
    helped, helper = people["resident"], people["volunteer"]
    post = make_post(helped, places["Tajrish"])
    response = models.HelpResponse.create(post=post, responder=helper, status="accepted")
    timebank.pay_for_help(response, 60, helped, [timebank.member_account(helped)], timebank.member_account(helper))
    member_in(client, helper, "en")
    html = check_page(client.get("/time/"))
    assert "Shopping and errands" in page_text(html)
    assert persian_in(html, typed=(helper.name, helped.name)) == []


# --- A request made on the simple pages -------------------------------------------------------


def ask_on_the_simple_pages(client, when="today", reach="phone"):
    html = client.get(f"/simple/need/check?type=errands&when={when}&reach={reach}").get_data(as_text=True)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    answer = client.post("/simple/need", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return models.HelpPost.get(models.HelpPost.id == int(answer.location.rsplit("/", 1)[1])), html


def persian_sentence(html):
    return re.search(r"<p>(نیاز به کمک:.*?)</p>", html).group(1)


def test_a_request_asked_in_persian_reads_in_english_to_an_english_reader(client, people, places):
    sign_in(client, people["resident"].phone)
    post, check = ask_on_the_simple_pages(client)
    # Kept as the choices made, never as a Persian sentence.
    assert (post.text, post.reach_by, post.urgency, post.needed_on) == ("", "phone", 2, tehran_today())
    assert "نیاز به کمک: خرید و کارهای بیرون، " in check and "به تلفنم زنگ بزنید." in check
    reader = people["volunteer"]
    member_in(client, reader, "en")
    today = jdatetime.date.fromgregorian(date=tehran_today())
    for path in (f"/board/posts/{post.id}", "/board/", "/simple/near"):
        html = check_page(client.get(path))
        text = page_text(html)
        assert "Help needed: Shopping and errands, on " in text and "Call my phone." in text, path
        assert persian_in(html, typed=(reader.name,)) == [], path
    submit(client, "/", "/language", {"language": "fa"})
    sentence = persian_sentence(check_page(client.get(f"/board/posts/{post.id}")))
    assert persian.to_persian_digits(f"{today.day} ") in sentence and "به تلفنم زنگ بزنید." in sentence
    assert LATIN_LETTERS.findall(sentence) == []


def test_a_request_asked_in_english_reads_in_persian_to_a_persian_reader(client, people, places):
    member_in(client, people["resident"], "en")
    post, check = ask_on_the_simple_pages(client, when="week", reach="door")
    assert "Help needed: Shopping and errands, within a week from " in page_text(check)
    assert (post.text, post.reach_by, post.urgency, post.needed_on) == ("", "door", 1, None)
    sign_in(client, people["volunteer"].phone)
    sentence = persian_sentence(check_page(client.get(f"/board/posts/{post.id}")))
    assert "ظرف یک هفته از" in sentence and "به در خانه‌ام بیایید." in sentence
    assert LATIN_LETTERS.findall(sentence) == []


def migration(name):
    path = Path(__file__).parent.parent / "migrations" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_requests_stored_as_sentences_before_become_their_choices(db, people, places):
    """Migration 0022's data step, over rows written the old way in either language."""
    author, hood = people["resident"], places["Tajrish"]
    errands = models.ActivityType.get(models.ActivityType.slug == "errands").name
    in_persian = make_post(author, hood, f"کمک برای {errands}، امروز. به تلفنم زنگ بزنید.", urgency=2)
    in_english = make_post(author, hood, f"Help with {errands}, this week. Come to my door.", urgency=1)
    typed = make_post(author, hood, "Help with the shopping, today. Call my phone.", urgency=2)
    # 21:00 UTC on 29 November is half past midnight on Monday 30 November (9 Azar 1405) in Tehran.
    models.HelpPost.update(created_at=datetime.datetime(2026, 11, 29, 21, 0), needed_on=None).execute()
    steps = migration("0022_post_choices")
    steps.keep_choices(db)
    steps.keep_the_day(db)
    first, second, kept = (models.HelpPost.get_by_id(row.id) for row in (in_persian, in_english, typed))
    assert (first.text, first.reach_by, first.urgency, first.needed_on) == ("", "phone", 2, datetime.date(2026, 11, 30))
    assert (second.text, second.reach_by, second.urgency, second.needed_on) == ("", "door", 1, None)
    # A person's own words stay as written; only its day is kept.
    assert (kept.text, kept.reach_by, kept.needed_on) == (typed.text, "", datetime.date(2026, 11, 30))


# --- When a post is for ---------------------------------------------------------------------


def when_of(client, post):
    html = check_page(client.get(f"/board/posts/{post.id}"))
    return re.search(r"<dt>(?:زمان|When)</dt><dd>(.*?)</dd>", html).group(1)


def test_a_need_for_today_says_its_day_not_any_day(client, people, places):
    """The board's "Today" with no date, as the simple pages' "today", is for this very day."""
    post = make_post(people["resident"], places["Tajrish"], urgency=2)
    assert post.needed_on == tehran_today()
    today = jdatetime.date.fromgregorian(date=tehran_today())
    when = when_of(client, post)
    assert persian.to_persian_digits(f"{today.day} ") in when and "هر روز" not in when
    in_english(client)
    when = when_of(client, post)
    assert f"{today.day} " in when and "Any day" not in when and PERSIAN_LETTERS.findall(when) == []


def test_a_need_for_this_week_says_the_week_not_any_day(client, people, places):
    post = make_post(people["resident"], places["Tajrish"], urgency=1, time_window=1)
    when = when_of(client, post)
    assert "ظرف یک هفته از" in when and "هر روز" not in when
    in_english(client)
    assert when_of(client, post).startswith("Within a week from ")


def test_a_need_for_no_day_in_particular_still_says_any_day(client, people, places):
    post = make_post(people["resident"], places["Tajrish"], urgency=0)
    assert when_of(client, post) == "هر روز،\u200f هر ساعتی"
    in_english(client)
    assert when_of(client, post) == "Any day, Any time"


def test_a_need_marked_today_before_its_day_was_kept_says_the_day_it_was_posted(client, people, places):
    post = make_post(people["resident"], places["Tajrish"], urgency=2)
    moment = datetime.datetime(2026, 11, 29, 21, 0)  # Monday 9 Azar 1405, 00:30 in Tehran
    models.HelpPost.update(needed_on=None, created_at=moment).where(models.HelpPost.id == post.id).execute()
    assert when_of(client, post).startswith("دوشنبه ۹ آذر ۱۴۰۵")


# --- List separators ------------------------------------------------------------------------------


def test_a_center_s_neighborhoods_are_separated_as_the_page_s_language_does(client, places, center):
    in_english(client)
    served = re.search(r"<dd>(<a href=\"/areas/.*?)</dd>", check_page(client.get(f"/centers/{center.id}"))).group(1)
    assert "</a>, <a" in served and "،" not in served
    client.delete_cookie("lang")
    served = re.search(r"<dd>(<a href=\"/areas/.*?)</dd>", check_page(client.get(f"/centers/{center.id}"))).group(1)
    assert "</a>،\u200f <a" in served and "," not in served


def test_the_list_filter_joins_in_the_page_s_language_and_escapes(app):
    with app.test_request_context():
        with force_locale("fa"):
            assert listed(["تجریش", "نیاوران", "<b>"]) == "تجریش،\u200f نیاوران،\u200f &lt;b&gt;"
            assert listed(["تجریش", "نیاوران", "بازار"], "and") == "تجریش،\u200f نیاوران، و بازار"
        with force_locale("en"):
            assert listed(["Tajrish", None, "Niavaran", ""]) == "Tajrish, Niavaran"
            assert listed(["Tajrish", "Niavaran", "Bazaar"], "and") == "Tajrish, Niavaran, and Bazaar"
            assert listed(["one"]) == "one" and listed([]) == ""


@pytest.fixture
def charities(people, places):
    """Two charities of Tehran's assembly, each with one staff member."""
    city = places["Tajrish"].parent.parent
    tehran = assembly(city, "مجمع خیریه‌های تهران")
    staff = (people["charity_staff"], people["social_worker"])
    for index, member in enumerate(staff):
        charity = models.Organization.create(name=f"خیریهٔ {index}", kind="charity", county=city)
        models.AssemblyMember.create(assembly=tehran, organization=charity)
        models.OrganizationMember.create(organization=charity, user=member, role="staff")
    return staff


def record_and_serve(client, number):
    data = {"id_kind": "national", "number": number, "name": "خانوادهٔ رحیمی", "household_size": "۴"}
    answer = submit(client, "/registry/new", "/registry/new", data)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1000]
    page = answer.location
    today = jdatetime.date.fromgregorian(date=tehran_today()).strftime("%Y/%m/%d")
    assert submit(client, page, f"{page}/services", {"category": "food", "given_on": today}).status_code == 302


def test_the_registry_s_sentences_and_dates_follow_the_page_s_language(client, charities):
    number = "0012345679"
    first, second = charities
    sign_in(client, first.phone)
    record_and_serve(client, number)
    sign_in(client, second.phone)
    record_and_serve(client, number)
    inquiry = {"id_kind": "national", "number": number, "reason": "new_aid", "months": "6"}

    def answer():
        html = check_page(submit(client, "/registry/", "/registry/inquiry", inquiry))
        return re.search(r'<p class="big">(.*?)</p>', html).group(1)

    def service_dates():
        html = check_page(client.get("/registry/reports"))
        return re.search(r'id="parallel".*?<span class="meta">(.*?)</span>', html, re.S).group(1)

    assert "خدمت، از ۲ سازمان." in answer() and "," not in answer()
    assert "،\u200f" in service_dates() and "," not in service_dates()
    submit(client, "/", "/language", {"language": "en"})
    assert "2 services, from 2 organizations." in answer() and "،" not in answer()
    assert service_dates().count(", ") == 2 and PERSIAN_LETTERS.findall(service_dates()) == []
