"""Demo data of crisis mode: a past flood in Damavand county, ended, with its
record (a need met, volunteers asked and ready, a team that checked in and
out at a shelter, stocks, an offer from a group in Tehran, and a lesson).
It is made through the domain's own operations, then moved back in time as a
whole. Seeding twice adds nothing: the crisis is made once by its form key."""

import datetime
import uuid

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, board, crisis, crisis_callout, crisis_places, volunteers

FORM_KEY = "demo-crisis-flood"
DAYS_AGO = 40
# (phone, name, neighborhood, skills): Damavand's own volunteers.
VOLUNTEERS = (
    ("09120000031", "حمید رستمی", "گیلاوند", "امدادگر هلال احمر"),
    ("09120000032", "لیلا کاظمی", "مرکز شهر", "پرستار"),
    ("09120000033", "جواد نیک‌نام", "گیلاوند", "راننده وانت"),
)
RESIDENT = ("09120000034", "اکبر صفری", "گیلاوند")


def _neighborhood(county, name):
    return (
        models.Area.select()
        .where(models.Area.path.startswith(county.path), models.Area.name == name, models.Area.kind == "neighborhood")
        .first()
    )


def _member(phone, name, home, pin, roles=("resident",)):
    return models.User.by_phone(phone) or accounts.create_user(phone, name, pin, roles=roles, neighborhood=home)


def seed(pin):
    """The number of past crises in the demo (0 when Damavand is not in the tree)."""
    county = models.Area.get_or_none(models.Area.kind == "county", models.Area.name == "دماوند")
    admin = models.User.by_phone("09120000007")
    if county is None or admin is None:
        return 0
    if models.Crisis.get_or_none(models.Crisis.form_key == FORM_KEY) is not None:
        return models.Crisis.select().where(models.Crisis.ended_at.is_null(False)).count()
    start = persian.today() - datetime.timedelta(days=DAYS_AGO)
    flood = crisis.declare(
        admin,
        county,
        FORM_KEY,
        kind="flood",
        what_to_do="از کنار رودخانهٔ تار دور شوید؛ وسایل برقی را خاموش کنید.",
        where_to_go="سالن ورزشی شهید چمران دماوند، بلوار امام",
        started_on=start,
    )
    helpers = []
    for phone, name, hood, skills in VOLUNTEERS:
        user = _member(phone, name, _neighborhood(county, hood), pin, roles=("resident", "volunteer"))
        if volunteers.profile_of(user) is None:
            errands = list(models.ActivityType.select().where(models.ActivityType.slug.in_(("errands", "health"))))
            volunteers.save_volunteer(
                user, user.neighborhood, errands, weekdays=127, time_slots=7, reach="city", skills_text=skills
            )
        helpers.append(user)
    crisis_callout.call_volunteers(admin, flood, nearby=False)
    calls = list(models.CrisisCall.select().where(models.CrisisCall.crisis == flood).order_by(models.CrisisCall.id))
    for call in calls[:2]:
        crisis_callout.answer_call(call, "ready", "sms")
    for call in calls[2:]:
        crisis_callout.answer_call(call, "cannot", "web")
    shelter = crisis_places.add_place(admin, flood, "shelter", "سالن ورزشی شهید چمران", "بلوار امام", 120)
    crisis_places.update_place(admin, shelter, 46, {"water": (300, 400), "blankets": (90, 120)})
    kitchen = crisis_places.add_place(admin, flood, "kitchen", "آشپزخانهٔ مسجد جامع", "خیابان امام", 0)
    crisis_places.update_place(admin, kitchen, 0, {"food": (250, 300)})
    offer = crisis_places.offer_help(
        admin, flood, "demo-crisis-offer", "گروه جهادی شهید همت تهران", "۰۹۱۲۷۷۷۸۸۹۹", "water", 100, "صد بطری آب"
    )
    crisis_places.decide_offer(admin, offer, True, shelter)
    team = crisis_callout.form_team(
        admin, flood, "demo-crisis-team", "تیم امداد گیلاوند", "جابه‌جایی خانواده‌ها", shelter, [c.id for c in calls[:2]]
    )
    for member in team.members:
        crisis_callout.check_in(member, admin)
        crisis_callout.check_out(models.CrisisTeamMember.get_by_id(member.id), admin)
    home = _neighborhood(county, RESIDENT[2])
    resident = _member(RESIDENT[0], RESIDENT[1], home, pin)
    text = persian.normalize("خانهٔ ما را آب گرفته؛ برای دو شب سرپناه می‌خواهیم.")
    need = board.create_post(
        resident,
        uuid.uuid5(uuid.NAMESPACE_URL, FORM_KEY).hex,
        kind="request",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "crisis-shelter"),
        text=text,
        search_key=persian.fold(text),
        urgency=2,
        neighborhood=home,
    )
    crisis.add_lesson(
        admin,
        flood,
        "demo-crisis-lesson",
        "پیامک فراخوان شب رسید",
        "پیامک‌های فراخوان داوطلبان ساعت ۱۱ شب رسید و نیمی از آن‌ها صبح دیدند.",
        "فراخوان را با تماس تلفنی دو نفر از هر محله همراه کنیم.",
    )
    crisis.end(admin, flood)
    _move_back(flood, need, datetime.timedelta(days=DAYS_AGO - 1))
    return 1


def _move_back(flood, need, by):
    """The whole record, as it happened: `by` earlier (three hours at the
    shelter for each of the team, four days of crisis)."""
    now = models.utcnow()
    with models.write_transaction():
        declared_at = models.Crisis.get_by_id(flood.id).declared_at - by
        models.Crisis.update(declared_at=declared_at, ended_at=declared_at + datetime.timedelta(days=4)).where(
            models.Crisis.id == flood.id
        ).execute()
        for call in models.CrisisCall.select().where(models.CrisisCall.crisis == flood):
            models.CrisisCall.update(asked_at=call.asked_at - by, answered_at=call.answered_at - by).where(
                models.CrisisCall.id == call.id
            ).execute()
        teams = models.CrisisTeam.select(models.CrisisTeam.id).where(models.CrisisTeam.crisis == flood)
        for member in models.CrisisTeamMember.select().where(models.CrisisTeamMember.team.in_(teams)):
            arrived = member.checked_in_at - by
            models.CrisisTeamMember.update(
                checked_in_at=arrived, checked_out_at=arrived + datetime.timedelta(hours=3)
            ).where(models.CrisisTeamMember.id == member.id).execute()
        for event in models.CrisisEvent.select().where(models.CrisisEvent.crisis == flood):
            models.CrisisEvent.update(at=event.at - by).where(models.CrisisEvent.id == event.id).execute()
        models.HelpPost.update(
            status="done", created_at=now - by, updated_at=now - by + datetime.timedelta(days=1)
        ).where(models.HelpPost.id == need.id).execute()
