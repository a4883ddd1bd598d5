"""The facilitators' network: the neighborhood's record (needs, assets,
lessons), ideas (طرح جام) with their trail, announcements both ways, and
headquarters' counts with a coverage gap."""

import csv
import io

import jdatetime

import models
from hamsayeh.domain import accounts, network
from tests.conftest import PIN, normalize, sign_in, submit
from tests.factories import make_post
from tests.pages import check_page


def neighbor(name, phone, hood):
    return accounts.create_user(phone, name, PIN, neighborhood=hood)


def record(client, hood, kind, title, **extra):
    page = f"/stories/neighborhood/{hood.id}/new?kind={kind}"
    data = {"kind": kind, "title": title, "narrative": f"{title}: روایت کوتاه از محله", "status": "current"}
    response = submit(client, page, page.split("?")[0], data | extra)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return models.Story.get(models.Story.title == normalize(title))


def test_a_facilitator_records_a_need_an_asset_and_a_lesson(client, people, places):
    tajrish = places["Tajrish"]
    sign_in(client, people["facilitator"].phone)
    assert "ثبت: نیاز" in check_page(client.get(f"/stories/neighborhood/{tajrish.id}"))
    elderly = models.ActivityType.get(models.ActivityType.slug == "elderly")
    since = jdatetime.date(1404, 1, 15).strftime("%Y/%m/%d").translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    need = record(
        client,
        tajrish,
        "need",
        "سالمندان تنها خرید روزانه ندارند",
        activity=str(elderly.id),
        for_whom="سالمندانی که تنها زندگی می‌کنند",
        how_many="۱۲",
        since=since,
    )
    assert need.how_many == 12 and need.since.isoformat() == "2025-04-04" and need.activity_ids() == {elderly.id}
    asset = record(client, tajrish, "asset", "گروه جوانان مسجد محل", is_public="1")
    lesson = record(client, tajrish, "lesson", "بازارچه خیریه کسی نیامد", next_time="زودتر و در مدرسه اعلام کنیم")
    assert lesson.next_time and not lesson.is_public

    # The need links to the asset that could meet it and to a board request.
    post = make_post(people["resident"], tajrish, "خرید هفتگی برای همسایه سالمند طبقه پایین")
    page = f"/stories/{need.id}"
    assert submit(client, page, f"{page}/links", {"asset": str(asset.id)}).status_code == 302
    assert submit(client, page, f"{page}/links", {"post": "۲۰۰۰"}).status_code == 302  # not of this neighborhood
    assert submit(client, page, f"{page}/links", {"post": str(post.id)}).status_code == 302
    html = check_page(client.get(page))
    assert "گروه جوانان مسجد محل" in html and f"/board/posts/{post.id}" in html and "۱۲" in html
    assert models.StoryPost.select().count() == 1

    # Wrong input: messages beside the fields, and what was typed stays.
    new = f"/stories/neighborhood/{tajrish.id}/new"
    wrong = {"kind": "need", "title": "کم", "narrative": "", "how_many": "چند", "since": "1499/01/01", "status": "x"}
    html = check_page(submit(client, new, new, wrong), 422)
    for name in ("title", "narrative", "how_many", "since", "status"):
        assert f'id="f-{name}-error"' in html
    assert 'value="کم"' in html and 'value="چند"' in html

    # The same form sent twice makes one story.
    data = {"kind": "asset", "title": "کتابخانه کوچک مدرسه", "narrative": "کتاب‌ها را قرض می‌دهند", "status": "current"}
    data["form_key"] = "same-form-key-1234"
    submit(client, new, new, data)
    submit(client, new, new, data)
    assert models.Story.select().where(models.Story.title == "کتابخانه کوچک مدرسه").count() == 1

    # Editing keeps the record; another neighborhood's record is not theirs.
    edit = f"/stories/{lesson.id}/edit"
    check_page(client.get(edit))
    changed = {"kind": "lesson", "title": lesson.title, "narrative": lesson.narrative, "status": "resolved"}
    assert submit(client, edit, edit, changed | {"is_public": "1"}).status_code == 302
    assert models.Story.get_by_id(lesson.id).status == "resolved"
    assert client.get(f"/stories/neighborhood/{places['Bazaar'].id}/new").status_code == 403


def test_residents_read_public_stories_only_and_cannot_edit(client, people, places):
    tajrish = places["Tajrish"]
    sign_in(client, people["facilitator"].phone)
    public = record(client, tajrish, "asset", "باغچه مشترک کوچه", is_public="1")
    private = record(client, tajrish, "need", "خانواده‌ای بی‌سرپرست در کوچه")
    for role in ("resident", "volunteer"):
        sign_in(client, people[role].phone)
        html = check_page(client.get(f"/stories/neighborhood/{tajrish.id}"))
        assert public.title in html and private.title not in html
        assert client.get(f"/stories/{private.id}").status_code == 404
        check_page(client.get(f"/stories/{public.id}"))
        assert client.get(f"/stories/{public.id}/edit").status_code == 403
        assert client.get(f"/stories/neighborhood/{tajrish.id}/new").status_code == 403
        assert client.get("/stories/").status_code == 403
    submit(client, "/", "/account/sign-out", {})
    assert private.title not in client.get(f"/stories/neighborhood/{tajrish.id}").get_data(as_text=True)
    # Headquarters reads it, but only the neighborhood's facilitators edit.
    sign_in(client, people["admin"].phone)
    assert private.title in check_page(client.get(f"/stories/{private.id}"))
    assert client.get(f"/stories/{private.id}/edit").status_code == 403


def test_headquarters_searches_the_stories_in_persian(client, people, places):
    sign_in(client, people["facilitator"].phone)
    record(client, places["Tajrish"], "need", "کلاس تقویتی برای ۳۰ کودک")
    record(client, places["Niavaran"], "lesson", "اردوی تابستانی لغو شد")
    sign_in(client, people["admin"].phone)
    # Typed with Arabic ي and ك and Latin digits, it still finds the Persian story.
    html = check_page(client.get("/stories/", query_string={"q": "كلاس تقويتي برای 30"}))
    assert "کلاس تقویتی" in html and "اردوی تابستانی" not in html
    html = check_page(client.get("/stories/", query_string={"kind": "lesson"}))
    assert "اردوی تابستانی" in html and "کلاس تقویتی" not in html
    html = check_page(client.get("/stories/", query_string={"area": places["Niavaran"].id}))
    assert "اردوی تابستانی" in html and "کلاس تقویتی" not in html
    # A center's staff read only their center's area, whatever they ask for.
    staff = people["center_staff"]
    staff.work_center = models.Center.create(area=places["District 12"], name="مرکز بازار")
    staff.save()
    sign_in(client, staff.phone)
    html = check_page(client.get("/stories/", query_string={"area": places["Tajrish"].id}))
    assert "کلاس تقویتی" not in html and "اردوی تابستانی" not in html


def propose(client, title="کتابخانه کوچک در پارک محله"):
    data = {"title": title, "text": "قفسه‌ای کنار نیمکت‌ها که هر کس کتابی بگذارد و کتابی بردارد."}
    response = submit(client, "/ideas/new", "/ideas/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return models.Idea.get(models.Idea.title == title)


def move(client, idea, action, **data):
    page = f"/ideas/{idea.id}"
    return submit(client, page, f"{page}/move", {"action": action, **data})


def test_an_idea_from_proposal_through_headquarters_with_its_whole_trail(client, people, places):
    tajrish = places["Tajrish"]
    resident = people["resident"]
    sign_in(client, resident.phone)
    check_page(client.get("/ideas/new"))
    idea = propose(client)
    assert models.Notification.get(models.Notification.kind == "idea_new").user_id == people["facilitator"].id
    page = f"/ideas/{idea.id}"
    # The proposer's own support is not counted twice.
    submit(client, page, f"{page}/support", {})
    for index in range(2):
        helper = neighbor(f"همسایه {index}", f"0912555000{index}", tajrish)
        sign_in(client, helper.phone)
        submit(client, page, f"{page}/support", {})
        submit(client, page, f"{page}/support", {})
    assert idea.support_count() == 2
    assert "۲ حامی" in check_page(client.get(page))
    # Only the neighborhood's facilitator reviews: a neighbor cannot forward it.
    assert move(client, idea, "forward").status_code == 403
    sign_in(client, people["facilitator"].phone)
    assert "کتابخانه کوچک" in check_page(client.get("/ideas/review"))
    assert move(client, idea, "forward", note="ایده خوبی است").status_code == 302
    sign_in(client, people["admin"].phone)
    assert "کتابخانه کوچک" in check_page(client.get("/ideas/review"))
    assert move(client, idea, "accept", note="شهرداری منطقه قفسه را می‌سازد").status_code == 302
    assert move(client, idea, "start").status_code == 302
    # A second click of an old button does nothing twice.
    assert move(client, idea, "accept").status_code == 302
    assert models.Idea.get_by_id(idea.id).status == "in_progress"
    sign_in(client, resident.phone)
    html = check_page(client.get(page))
    for step in ("پیشنهاد شد", "به ستاد فرستاده شد", "پذیرفته شد", "کار شروع شد", "شهرداری منطقه قفسه را می‌سازد"):
        assert step in html, step
    assert "کاربر facilitator" in html and "کاربر admin" in html
    assert [event.action for event in idea.trail()] == ["proposed", "forward", "accept", "start"]
    inbox = check_page(client.get("/inbox/"))
    assert inbox.count(f"/ideas/{idea.id}") == 3


def test_reviewing_an_idea_needs_reasons_and_joins_duplicates(client, people, places):
    sign_in(client, people["resident"].phone)
    first = propose(client, "پیاده‌روی صبحگاهی سالمندان")
    second = propose(client, "پیاده روی صبح با سالمندان محله")
    supporter = neighbor("همسایه حامی", "09125550009", places["Tajrish"])
    sign_in(client, supporter.phone)
    submit(client, f"/ideas/{second.id}", f"/ideas/{second.id}/support", {})
    sign_in(client, people["facilitator"].phone)
    html = check_page(move(client, first, "decline"), 422)
    assert 'id="f-note-error"' in html
    assert move(client, first, "ask", note="کجا و چه ساعتی؟").status_code == 302
    assert move(client, second, "merge", target=str(first.id)).status_code == 302
    assert models.Idea.get_by_id(second.id).status == "merged"
    # The joined idea's proposer and supporter now support the other one.
    assert {row.user_id for row in first.supports} == {supporter.id}
    sign_in(client, people["resident"].phone)
    html = check_page(client.get(f"/ideas/{first.id}"))
    assert "کجا و چه ساعتی؟" in html
    data = {"title": first.title, "text": "هر روز ساعت هفت صبح از پارک نیاوران، با همراهی دو داوطلب."}
    assert move(client, first, "resubmit", **data).status_code == 302
    assert models.Idea.get_by_id(first.id).status == "proposed"
    # Nobody but the proposer adds the detail; a neighbor cannot decide.
    assert move(client, first, "forward").status_code == 403


def test_an_announcement_to_a_district_reaches_its_members(client, people, places):
    bazaar_member = neighbor("همسایه بازار", "09125550100", places["Bazaar"])
    niavaran_member = neighbor("همسایه نیاوران", "09125550101", places["Niavaran"])
    district = places["District 1"]
    sign_in(client, people["admin"].phone)
    page = f"/channel/{district.id}"
    data = {"title": "واکسن آنفولانزای سالمندان", "body": "از شنبه در مرکز تجریش، صبح‌ها.", "form_key": "k" * 30}
    assert submit(client, page, page, data).status_code == 302
    assert submit(client, page, page, data).status_code == 302
    item = models.Announcement.get()
    assert models.Announcement.select().count() == 1
    reached = {n.user_id for n in models.Notification.select().where(models.Notification.announcement == item)}
    assert niavaran_member.id in reached and people["resident"].id in reached
    assert bazaar_member.id not in reached and people["admin"].id not in reached
    sign_in(client, niavaran_member.phone)
    assert "واکسن آنفولانزای سالمندان" in check_page(client.get("/inbox/"))
    assert "واکسن آنفولانزای سالمندان" in check_page(client.get(f"/channel/{places['Niavaran'].id}"))
    reply_page = f"/channel/items/{item.id}"
    html = check_page(submit(client, reply_page, f"{reply_page}/reply", {"reply": ""}), 422)
    assert 'id="f-reply-error"' in html
    assert submit(client, reply_page, f"{reply_page}/reply", {"reply": "برای همراه هم جا هست؟"}).status_code == 302
    assert models.Notification.select().where(models.Notification.kind == "reply").get().user_id == people["admin"].id
    sign_in(client, bazaar_member.phone)
    assert "واکسن" not in check_page(client.get(f"/channel/{places['Bazaar'].id}"))
    assert client.post(page, data={"title": "x"}).status_code in (400, 403)


def test_facilitators_announce_only_where_they_serve(client, people, places):
    sign_in(client, people["facilitator"].phone)
    data = {"title": "جلسه محله", "body": "پنجشنبه عصر در مسجد جامع"}
    for area, status in ((places["Tajrish"], 302), (places["District 1"], 302), (places["District 12"], 403)):
        page = f"/channel/{area.id}"
        assert submit(client, f"/channel/{places['Tajrish'].id}", page, data).status_code == status
    assert submit(client, "/channel/0", "/channel/0", data).status_code == 403
    sign_in(client, people["resident"].phone)
    html = check_page(client.get(f"/channel/{places['Tajrish'].id}"))
    assert "جلسه محله" in html and "<form" not in html.split("<main")[1].split("</main>")[0]


def test_a_problem_goes_to_headquarters_and_its_answer_comes_back(client, people, places):
    sign_in(client, people["facilitator"].phone)
    check_page(client.get("/channel/problems"))
    data = {"neighborhood": str(places["Bazaar"].id), "title": "آب", "body": "لوله‌کشی کوچه خراب است"}
    html = check_page(submit(client, "/channel/problems", "/channel/problems", data), 422)
    assert 'id="f-neighborhood-error"' in html and 'id="f-title-error"' in html
    data |= {"neighborhood": str(places["Tajrish"].id), "title": "قطعی آب کوچه‌ها"}
    assert submit(client, "/channel/problems", "/channel/problems", data).status_code == 302
    problem = models.Announcement.get(models.Announcement.kind == "problem")
    assert models.Notification.get(models.Notification.kind == "problem").user_id == people["admin"].id
    page = f"/channel/items/{problem.id}"
    for role in ("resident", "volunteer", "center_staff"):
        sign_in(client, people[role].phone)
        assert client.get(page).status_code == 404
    assert not models.Notification.select().where(models.Notification.kind == "announcement").exists()
    sign_in(client, people["admin"].phone)
    assert "قطعی آب" in check_page(client.get("/channel/problems"))
    answer = "با آبفای منطقه هماهنگ شد؛ تا فردا وصل می‌شود."
    assert submit(client, page, f"{page}/reply", {"reply": answer}).status_code == 302
    assert models.Announcement.get_by_id(problem.id).status == "answered"
    sign_in(client, people["facilitator"].phone)
    assert answer in check_page(client.get(page))
    assert models.Notification.get(models.Notification.kind == "answered").user_id == people["facilitator"].id


def test_headquarters_sees_an_areas_counts_and_its_coverage_gap(client, people, places):
    from tests.factories import volunteer

    tajrish = places["Tajrish"]
    make_post(people["resident"], tajrish, "کمک برای بردن کیسهٔ برنج به خانه")
    make_post(people["resident"], places["Bazaar"], "کسی که با پدرم به درمانگاه برود")
    volunteer("داوطلب تجریش", "09120000500", tajrish)
    sign_in(client, people["facilitator"].phone)
    record(client, tajrish, "asset", "سالن ورزش مدرسه")
    sign_in(client, people["resident"].phone)
    propose(client)
    sign_in(client, people["admin"].phone)
    city = tajrish.parent.parent
    html = check_page(client.get("/hq/", query_string={"area": city.id}))
    assert "۱ از ۳ محله تسهیل‌گر ندارد" in html and "<svg" in html
    assert "بازار" in html.split("تسهیل‌گر ندارد")[1]  # the neighborhood without one is named
    html = check_page(client.get("/hq/", query_string={"area": places["District 1"].id}))
    assert "۰ از ۲ محله تسهیل‌گر ندارد" in html
    for name in ("داوطلب تجریش", "کاربر resident", people["resident"].phone, "کیسهٔ برنج"):
        assert name not in html
    response = client.get("/hq/overview.csv", query_string={"area": city.id})
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["بخش", "مورد", "تعداد"]
    counted = {(row[0], row[1]): int(row[2]) for row in rows[1:]}
    assert counted[("پوشش", "محله‌های بی‌تسهیل‌گر")] == 1
    assert counted[("سرمایه‌ها در روایت‌های تسهیل‌گران", "نوعش گفته نشده")] == 1
    assert sum(count for (section, _item), count in counted.items() if section.startswith("نیازهای باز")) == 2
    assert sum(count for (section, _item), count in counted.items() if section == "ایده‌ها") == 1
    check_page(client.get("/hq/"))
    for role in ("resident", "facilitator", "center_staff"):
        sign_in(client, people[role].phone)
        assert client.get("/hq/").status_code == 403
        assert client.get("/hq/overview.csv").status_code == 403


def test_one_form_sent_many_times_at_once_makes_one_row(people, places):
    """Double submits race in parallel requests: each finds the one row made
    (on PostgreSQL they meet at the unique form key)."""
    import threading

    made, barrier = [], threading.Barrier(6)

    def send():
        with models.db.connection_context():
            barrier.wait()
            item = network.announce(people["admin"], places["Tajrish"], "جلسهٔ محله", "پنجشنبه عصر", "same-form")
            made.append(item.id)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 6 and len(set(made)) == 1
    assert models.Announcement.select().count() == 1
    assert (
        models.Notification.select().where(models.Notification.kind == "announcement").count()
        == (
            models.User.select().where(
                models.User.neighborhood == places["Tajrish"], models.User.id != people["admin"].id
            )
        ).count()
    )
