"""Volunteers of the Salam Mahalleh network: their profile (skills, activity
types, missions, place, days and time slots, reach) and the needs that fit them."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import persian
from hamsayeh.domain import volunteers
from hamsayeh.web import auth
from hamsayeh.web.forms import Form
from hamsayeh.web.labels import POST_KIND_LABELS, URGENCY_LABELS

bp = Blueprint("volunteers", __name__, url_prefix="/volunteer")

# (slug, label, the activity type the skill belongs to)
SKILLS = (
    ("math", _l("Teaching math and science"), "education"),
    ("languages", _l("Teaching languages"), "education"),
    ("first_aid", _l("First aid and nursing"), "health"),
    ("listening", _l("Listening and counseling"), "counseling"),
    ("elder_care", _l("Caring for the elderly"), "elderly"),
    ("childcare", _l("Looking after children"), "children"),
    ("sign_language", _l("Sign language"), "disability"),
    ("shopping", _l("Shopping and errands"), "errands"),
    ("repairs", _l("Plumbing, electrics and repairs"), "repairs"),
    ("driving", _l("Driving"), "transport"),
    ("cooking", _l("Cooking"), "food"),
    ("legal", _l("Paperwork and legal matters"), "paperwork"),
)
MISSIONS = (
    (1, _l("Inform: tell neighbors what is on offer")),
    (2, _l("Teach: share what I know")),
    (4, _l("Act: lend a hand")),
)
SLOTS = ((1, _l("Mornings")), (2, _l("Afternoons")), (4, _l("Evenings")))
REACHES = tuple(
    zip(
        models.VolunteerProfile.REACHES,
        (_l("Only my neighborhood"), _l("My district"), _l("Anywhere in my city")),
        strict=True,
    )
)
SKILLS_TEXT_MAX = 300


def weekday_options():
    """Saturday first, as the Iranian week runs; bit 0 is Saturday."""
    return [(1 << bit, persian.WEEKDAYS[day]) for bit, day in enumerate(persian.WEEK_ORDER)]


def chosen(name):
    return {persian.normalize(value) for value in request.form.getlist(name)}


def bits(values, options):
    allowed = {value for value, _label in options}
    return sum(number for number in map(persian.whole_number, values) if number in allowed)


def profile_page(form, selected, status=200):
    neighborhood = g.user.neighborhood
    centers = models.Center.within(volunteers.city_of(neighborhood)) if neighborhood else []
    return (
        render_template(
            "volunteers/profile.html",
            form=form,
            selected=selected,
            skills=SKILLS,
            missions=MISSIONS,
            weekdays=weekday_options(),
            slots=SLOTS,
            reaches=REACHES,
            centers=centers,
            activity_types=list(models.ActivityType.listed()),
        ),
        status,
    )


@bp.get("/")
@auth.signed_in_only
def profile():
    current = volunteers.profile_of(g.user)
    if current is None:
        return profile_page(Form(reach="neighborhood", active="1"), {})
    form = Form(
        reach=current.reach,
        active="1" if current.is_active else "",
        skills_text=current.skills_text,
        center=str(current.center_id or ""),
    )
    selected = {
        "activity": {str(i) for i in current.activity_ids()},
        "skill": set(filter(None, current.skills.split(","))),
        "mission": {str(v) for v, _ in MISSIONS if current.missions & v},
        "weekday": {str(v) for v, _ in weekday_options() if current.weekdays & v},
        "slot": {str(v) for v, _ in SLOTS if current.time_slots & v},
    }
    return profile_page(form, selected)


@bp.post("/")
@auth.signed_in_only
def save_profile():
    form = Form(request.form)
    selected = {name: chosen(name) for name in ("activity", "skill", "mission", "weekday", "slot")}
    activities = volunteers.listed_activities(
        n for n in map(persian.whole_number, selected["activity"]) if n is not None
    )
    skills = [slug for slug, _label, _activity in SKILLS if slug in selected["skill"]]
    if not activities:
        form.error("activity", _l("Choose at least one kind of help you would give."))
    weekdays = bits(selected["weekday"], weekday_options())
    if not weekdays:
        form.error("weekday", _l("Choose at least one day of the week."))
    slots = bits(selected["slot"], SLOTS)
    if not slots:
        form.error("slot", _l("Choose at least one time of day."))
    if form["reach"] not in models.VolunteerProfile.REACHES:
        form.error("reach", _l("Choose how far you would go."))
    if len(form["skills_text"]) > SKILLS_TEXT_MAX:
        form.error("skills_text", _l("Write at most %(count)s letters.", count=SKILLS_TEXT_MAX))
    neighborhood = g.user.neighborhood
    if neighborhood is None:
        form.error("activity", _l("Choose your neighborhood first, so that we know where you can help."))
    center = volunteers.center_near(neighborhood, persian.whole_number(form["center"]))
    if not form.ok:
        return profile_page(form, selected, 422)
    skill_slugs = {activity for slug, _label, activity in SKILLS if slug in skills}
    volunteers.save_volunteer(
        g.user,
        neighborhood,
        activities,
        skilled_activity_ids={a.id for a in activities if a.slug in skill_slugs},
        center=center,
        skills=",".join(skills),
        skills_text=form["skills_text"],
        missions=bits(selected["mission"], MISSIONS),
        weekdays=weekdays,
        time_slots=slots,
        reach=form["reach"],
        is_active=form["active"] == "1",
    )
    flash(_("Your volunteer profile is saved. Thank you for helping your neighbors."))
    return redirect(url_for("volunteers.needs"))


@bp.get("/needs")
@auth.signed_in_only
def needs():
    current = volunteers.profile_of(g.user)
    if current is None:
        return redirect(url_for("volunteers.profile"))
    return render_template(
        "volunteers/needs.html",
        profile=current,
        posts=list(volunteers.needs_for(current)),
        kind_labels=POST_KIND_LABELS,
        urgency_labels=URGENCY_LABELS,
    )
