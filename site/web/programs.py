"""The program form that a center's staff and an organization's staff both
fill in: shown, read and checked here; the program is made by the domain."""

import datetime
import re

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hamsayeh import persian
from hamsayeh.domain import centers
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import TEHRAN
from models import Program, utcnow

TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def new_program_form():
    return Form(form_key=new_key(), capacity="20", time="17:00")


def render_program_form(host, action, form, status=200):
    return (
        render_template(
            "centers/program_form.html", host=host, action=action, form=form, activity_types=catalog().activity_types
        ),
        status,
    )


def read_start(form):
    """The program's start as UTC from a Jalali date and a Tehran time, or None."""
    day = persian.parse_jalali_date(form["date"])
    if day is None:
        form.error("date", _l("Write the date like 1405/09/20."))
    elif day < datetime.datetime.now(TEHRAN).date():
        form.error("date", _l("This time has passed. Choose a later day or hour."))
    match = TIME_PATTERN.match(form["time"])
    if match is None:
        form.error("time", _l("Write the time like 17:30."))
    if day is None or match is None:
        return None
    local = datetime.datetime.combine(day, datetime.time(int(match[1]), int(match[2])), tzinfo=TEHRAN)
    start = local.astimezone(datetime.UTC).replace(tzinfo=None)
    if start <= utcnow():
        form.error("date", _l("This time has passed. Choose a later day or hour."))
        return None
    return start


def read_program(form):
    """The program's fields from the sent form; errors go on `form`."""
    title = form.text("title", Program.TITLE_MAX, 3, _l("Write the program's title."))
    activity = catalog().activity_by_slug.get(form["activity_type"])
    if activity is None:
        form.error("activity_type", _l("Choose what kind of activity it is."))
    starts_at = read_start(form)
    capacity = persian.whole_number(form["capacity"], 5000)
    if not capacity:
        form.error("capacity", _l("Write how many people can take part, from 1 to 5,000."))
    if len(form["place"]) > Program.PLACE_MAX:
        form.error("place", _l("Write at most %(count)s letters.", count=Program.PLACE_MAX))
    if len(form["about"]) > Program.ABOUT_MAX:
        form.error("about", _l("Write at most %(count)s letters.", count=Program.ABOUT_MAX))
    return {
        "title": title,
        "activity_type": activity.id if activity else None,
        "starts_at": starts_at,
        "place": form["place"],
        "about": form["about"],
        "capacity": capacity,
    }


def add_program(host, action):
    """The program form sent for a center or an organization (`host`, whose
    staff the caller has checked `g.user` is): checked, then made once."""
    form = Form(request.form)
    fields = read_program(form)
    if not form.ok:
        return render_program_form(host, action, form, 422)
    item = centers.add_program(host, g.user, form.form_key(), **fields)
    flash(_("The program is on its page. You can print its flyer now."))
    return redirect(url_for("centers.program", program_id=item.id))
