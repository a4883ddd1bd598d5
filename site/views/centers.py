"""Mosbat-e Zendegi centers (مراکز مثبت زندگی): each center's page (address,
hours, staff, the neighborhoods it serves, this week's programs, the open
needs around it), its programs with sign-ups and a waiting list, and the
notices its staff print: a program's flyer, the neighborhood's needs of the
week, and a call for volunteers, each with a QR code back to the site."""

import datetime
import re
import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import persian
from hamsayeh.domain import audit, board, centers
from hamsayeh.web import auth, pdf, tasks
from hamsayeh.web.cache import fragment_cache
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import TEHRAN

bp = Blueprint("centers", __name__, url_prefix="/centers")

SIGNUP_LABELS = {"confirmed": _l("You have a place."), "waiting": _l("You are on the waiting list.")}
PAGE_SIZES = ("A4", "A5")
TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
WEEK = datetime.timedelta(days=7)
FLYERS_KEPT = 64  # rendered flyers kept per server process (about 30 KB each)


def center_or_404(center_id):
    return models.Center.get_or_none(models.Center.id == center_id) or abort(404)


def works_at(center):
    """The center's own staff (and headquarters) manage its programs."""
    if g.user is None:
        return False
    return "admin" in g.roles or ("center_staff" in g.roles and g.user.work_center_id == center.id)


def staff_or_403(center):
    if not works_at(center):
        abort(403)


@bp.get("/<int:center_id>")
def show(center_id):
    center = center_or_404(center_id)
    now = models.utcnow()
    programs = centers.programs_of(center).where(models.Program.starts_at >= now)
    return render_template(
        "centers/show.html",
        center=center,
        staff=list(center.staff.where(models.User.is_active).order_by(models.User.name)),
        neighborhoods=list(centers.center_neighborhoods(center)),
        this_week=list(programs.where(models.Program.starts_at < now + WEEK)),
        later=list(programs.where(models.Program.starts_at >= now + WEEK).limit(10)),
        open_needs=centers.open_needs_around(center).count(),
        is_staff=works_at(center),
    )


def local_start(program):
    return program.starts_at.replace(tzinfo=datetime.UTC).astimezone(TEHRAN)


@bp.get("/programs/<int:program_id>")
def program(program_id):
    return render_program(program_or_404(program_id), Form())


def render_program(item, form, status=200):
    mine = None
    if g.user is not None:
        mine = models.ProgramSignup.get_or_none(
            models.ProgramSignup.program == item,
            models.ProgramSignup.user == g.user,
            models.ProgramSignup.status != "cancelled",
        )
    staff = manages(item)
    signups = []
    if staff:
        signups = list(
            models.ProgramSignup.select(models.ProgramSignup, models.User)
            .join(models.User)
            .where(models.ProgramSignup.program == item, models.ProgramSignup.status != "cancelled")
            .order_by(models.ProgramSignup.status, models.ProgramSignup.created_at)
        )
    return render_template(
        "centers/program.html",
        program=item,
        taken=item.taken(),
        mine=mine,
        is_staff=staff,
        signups=signups,
        signup_labels=SIGNUP_LABELS,
        past=item.starts_at < models.utcnow(),
        form=form,
    ), status


@bp.get("/<int:center_id>/programs/new")
@auth.requires_role("center_staff", "admin")
def new_program(center_id):
    center = center_or_404(center_id)
    staff_or_403(center)
    return render_program_form(center, url_for("centers.create_program", center_id=center.id), new_program_form())


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
    if start <= models.utcnow():
        form.error("date", _l("This time has passed. Choose a later day or hour."))
        return None
    return start


def add_program(host, action, **owner):
    """The program form sent for a center or an organization (`owner` names
    which): checked, then made once."""
    form = Form(request.form)
    title = form.text("title", models.Program.TITLE_MAX, 3, _l("Write the program's title."))
    activity = catalog().activity_by_slug.get(form["activity_type"])
    if activity is None:
        form.error("activity_type", _l("Choose what kind of activity it is."))
    starts_at = read_start(form)
    capacity = persian.whole_number(form["capacity"], 5000)
    if not capacity:
        form.error("capacity", _l("Write how many people can take part, from 1 to 5,000."))
    if len(form["place"]) > models.Program.PLACE_MAX:
        form.error("place", _l("Write at most %(count)s letters.", count=models.Program.PLACE_MAX))
    if len(form["about"]) > models.Program.ABOUT_MAX:
        form.error("about", _l("Write at most %(count)s letters.", count=models.Program.ABOUT_MAX))
    if not form.ok:
        return render_program_form(host, action, form, 422)

    def make():
        item = models.Program.create(
            title=title,
            activity_type=activity.id,
            starts_at=starts_at,
            place=form["place"],
            about=form["about"],
            capacity=capacity,
            created_by=g.user,
            form_key=form.form_key(),
            **owner,
        )
        audit.record_audit("program.created", actor=g.user, subject=f"program:{item.id}")
        return item

    item = models.made_once(models.Program, form.form_key(), make)
    flash(_("The program is on its page. You can print its flyer now."))
    return redirect(url_for("centers.program", program_id=item.id))


@bp.post("/<int:center_id>/programs/new")
@auth.requires_role("center_staff", "admin")
def create_program(center_id):
    center = center_or_404(center_id)
    staff_or_403(center)
    return add_program(center, url_for("centers.create_program", center_id=center.id), center=center)


def manages(program):
    """Who keeps a program: its center's staff, or its organization's
    managers and staff (and headquarters)."""
    if program.center_id:
        return works_at(program.center)
    if g.user is None:
        return False
    return "admin" in g.roles or (
        program.organization.memberships.where(
            models.OrganizationMember.user == g.user,
            models.OrganizationMember.is_active,
            models.OrganizationMember.role.in_(models.OrganizationMember.STAFF),
        ).exists()
    )


def program_or_404(program_id):
    return models.Program.get_or_none(models.Program.id == program_id) or abort(404)


@bp.post("/programs/<int:program_id>/signup")
@auth.signed_in_only
def signup(program_id):
    item = program_or_404(program_id)
    try:
        mine = centers.sign_up(item, g.user)
        flash(SIGNUP_LABELS[mine.status])
    except board.StateError:
        flash(_("This program no longer takes sign-ups."))
    return redirect(url_for("centers.program", program_id=item.id))


@bp.post("/programs/<int:program_id>/leave")
@auth.signed_in_only
def leave(program_id):
    item = program_or_404(program_id)
    if centers.leave_program(item, g.user):
        flash(_("You are no longer signed up. Your place goes to the next one waiting."))
    return redirect(url_for("centers.program", program_id=item.id))


@bp.post("/programs/<int:program_id>/cancel")
@auth.signed_in_only
def cancel(program_id):
    item = program_or_404(program_id)
    if not manages(item):
        abort(403)
    form = Form(request.form)
    reason = form.text("reason", 300, 3, _l("Write why, in a few words: everyone signed up will read it."))
    if not form.ok:
        return render_program(item, form, 422)
    try:
        centers.cancel_program(item, g.user, reason)
        flash(_("The program is cancelled, and everyone signed up is told."))
    except board.StateError:
        flash(_("This program was already cancelled."))
    return redirect(url_for("centers.program", program_id=item.id))


# --- Printed notices ---------------------------------------------------------------------


def page_size():
    size = request.args.get("size", "A4")
    return size if size in PAGE_SIZES else "A4"


@bp.get("/programs/<int:program_id>/flyer.pdf")
def flyer(program_id):
    """Anyone may print a program's flyer: each version of it is made once per
    server process, so asking again and again costs nothing."""
    item = program_or_404(program_id)
    url = url_for("centers.program", program_id=item.id, _external=True)
    size = page_size()
    key = (item.id, size, str(get_locale()), url)
    version = (item.status, item.title, item.starts_at, item.place, item.about, item.capacity, catalog().revision)
    cache = fragment_cache("flyers", size=FLYERS_KEPT)
    data = cache.get(key, version)
    if data is None:
        data = pdf.render("pdf/flyer.html", program=item, center=item.host, qr=pdf.qr_code(url), url=url, size=size)
        cache.put(key, version, data)
    return pdf.pdf_response(data, f"program-{item.id}.pdf")


@bp.get("/<int:center_id>/needs.pdf")
@auth.requires_role("center_staff", "admin")
def needs_notice(center_id):
    """The neighborhood's needs this week: kinds and counts, no one's words or name."""
    center = center_or_404(center_id)
    staff_or_403(center)
    since = models.utcnow() - WEEK
    url = url_for("board.index", _external=True)
    return pdf.response(
        "pdf/needs.html",
        f"needs-{center.id}.pdf",
        center=center,
        rows=centers.needs_by_activity(center),
        printed_at=models.utcnow(),
        new_this_week=centers.open_needs_around(center).where(models.HelpPost.created_at >= since).count(),
        qr=pdf.qr_code(url),
        url=url,
        size=page_size(),
    )


@bp.get("/<int:center_id>/volunteers.pdf")
@auth.requires_role("center_staff", "admin")
def volunteers_notice(center_id):
    """A call for volunteers: what the neighborhood needs most, and where to sign up."""
    center = center_or_404(center_id)
    staff_or_403(center)
    url = url_for("volunteers.profile", _external=True)
    return pdf.response(
        "pdf/volunteers.html",
        f"volunteers-{center.id}.pdf",
        center=center,
        kinds=centers.needs_by_activity(center)[:5],
        programs=list(centers.programs_of(center).where(models.Program.starts_at >= models.utcnow()).limit(5)),
        qr=pdf.qr_code(url),
        url=url,
        size=page_size(),
    )


# --- Volunteer cards, one or a batch in the background --------------------------------

CARDS_PER_PART = 20


def prints_folder():
    folder = Path(current_app.instance_path) / "prints"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def batch_file(batch):
    return prints_folder() / f"batch-{batch.id}.pdf"


def card_context(center, profiles):
    names = {item.id: item for item in catalog().activity_types}
    return {
        "center": center,
        "cards": [(profile, [names[a] for a in sorted(profile.activity_ids()) if a in names]) for profile in profiles],
        "qr": pdf.qr_code(url_for("centers.show", center_id=center.id, _external=True)),
    }


@bp.get("/<int:center_id>/cards")
@auth.requires_role("center_staff", "admin")
def cards(center_id):
    center = center_or_404(center_id)
    staff_or_403(center)
    batches = models.PrintBatch.select().where(models.PrintBatch.center == center)
    return render_template(
        "centers/cards.html",
        center=center,
        volunteers=list(centers.center_volunteers(center).limit(50)),
        count=centers.center_volunteers(center).count(),
        batches=list(batches.order_by(models.PrintBatch.created_at.desc()).limit(10)),
    )


@bp.get("/<int:center_id>/cards/<int:user_id>.pdf")
@auth.requires_role("center_staff", "admin")
def card(center_id, user_id):
    center = center_or_404(center_id)
    staff_or_403(center)
    profile = centers.center_volunteers(center).where(models.User.id == user_id).first() or abort(404)
    return pdf.response("pdf/cards.html", f"card-{user_id}.pdf", **card_context(center, [profile]))


@bp.post("/<int:center_id>/cards")
@auth.requires_role("center_staff", "admin")
def print_cards(center_id):
    """All the center's volunteer cards as one PDF, made in the background."""
    center = center_or_404(center_id)
    staff_or_403(center)
    with models.write_transaction():
        batch = models.PrintBatch.create(
            center=center, total=centers.center_volunteers(center).count(), created_by=g.user
        )
        audit.record_audit("print.batch", actor=g.user, subject=f"batch:{batch.id}", detail=f"center:{center.id}")
    tasks.print_batch(batch.id, request.host_url)
    flash(_("The cards are being made. This page shows how far it has come."))
    return redirect(url_for("centers.batch", center_id=center.id, batch_id=batch.id))


def render_batch(batch_id):
    """In the worker: claim the batch (one attempt at a time), lay the cards
    out a part at a time, counting progress, then write the file and mark the
    batch done."""
    claimed = (
        models.PrintBatch.update(status="running", done_count=0, updated_at=models.utcnow())
        .where(models.PrintBatch.id == batch_id, models.PrintBatch.status.in_(("queued", "failed")))
        .execute()
    )
    if not claimed:  # done already, or another attempt has it
        return
    batch = models.PrintBatch.get_by_id(batch_id)
    center = batch.center
    profiles = list(centers.center_volunteers(center))
    models.PrintBatch.update(total=len(profiles)).where(models.PrintBatch.id == batch.id).execute()
    parts = [profiles[i : i + CARDS_PER_PART] for i in range(0, len(profiles), CARDS_PER_PART)]

    def done(number):
        models.PrintBatch.update(
            done_count=min(number * CARDS_PER_PART, len(profiles)), updated_at=models.utcnow()
        ).where(models.PrintBatch.id == batch.id).execute()

    try:
        data = pdf.render_in_parts("pdf/cards.html", (card_context(center, part) for part in parts), done)
        path = batch_file(batch)
        temporary = path.with_suffix(f".{uuid.uuid4().hex}.part")
        temporary.write_bytes(data)
        temporary.replace(path)  # a reader never sees half a file
    except Exception:
        models.PrintBatch.update(status="failed").where(models.PrintBatch.id == batch.id).execute()
        raise
    models.PrintBatch.update(status="done", done_count=len(profiles), finished_at=models.utcnow()).where(
        models.PrintBatch.id == batch.id
    ).execute()


def batch_or_404(center, batch_id):
    return models.PrintBatch.get_or_none(models.PrintBatch.id == batch_id, models.PrintBatch.center == center) or abort(
        404
    )


@bp.get("/<int:center_id>/batches/<int:batch_id>")
@auth.requires_role("center_staff", "admin")
def batch(center_id, batch_id):
    center = center_or_404(center_id)
    staff_or_403(center)
    item = batch_or_404(center, batch_id)
    return render_template("centers/batch.html", center=center, batch=item, may_retry=may_retry(item))


@bp.get("/<int:center_id>/batches/<int:batch_id>.pdf")
@auth.requires_role("center_staff", "admin")
def batch_pdf(center_id, batch_id):
    center = center_or_404(center_id)
    staff_or_403(center)
    item = batch_or_404(center, batch_id)
    path = batch_file(item)
    if item.status != "done" or not path.exists():
        abort(404)
    return send_file(path, mimetype="application/pdf", download_name=f"cards-{center.id}-{item.id}.pdf")


STALE_BATCH = datetime.timedelta(minutes=10)


def retryable():
    """A failed batch, or one a dead worker left: it has not moved for a while."""
    stale = models.PrintBatch.status.in_(("queued", "running")) & (
        models.PrintBatch.updated_at < models.utcnow() - STALE_BATCH
    )
    return (models.PrintBatch.status == "failed") | stale


def may_retry(item):
    return models.PrintBatch.select().where(models.PrintBatch.id == item.id, retryable()).exists()


@bp.post("/<int:center_id>/batches/<int:batch_id>/retry")
@auth.requires_role("center_staff", "admin")
def retry_batch(center_id, batch_id):
    center = center_or_404(center_id)
    staff_or_403(center)
    item = batch_or_404(center, batch_id)
    with models.write_transaction():  # a double click queues it once
        queued = (
            models.PrintBatch.update(status="queued", done_count=0, updated_at=models.utcnow())
            .where(models.PrintBatch.id == item.id, retryable())
            .execute()
        )
    if queued:
        tasks.print_batch(item.id, request.host_url)
    return redirect(url_for("centers.batch", center_id=center.id, batch_id=item.id))
