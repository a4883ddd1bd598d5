"""Mosbat-e Zendegi centers (مراکز مثبت زندگی): each center's page (address,
hours, staff, the neighborhoods it serves, this week's programs, the open
needs around it), its programs with sign-ups and a waiting list, and the
notices its staff print: a program's flyer, the neighborhood's needs of the
week, and a call for volunteers, each with a QR code back to the site."""

import datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh.domain import access, board, centers
from hamsayeh.web import auth, files, limits, pdf, programs, tasks
from hamsayeh.web.cache import fragment_cache
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form

bp = Blueprint("centers", __name__, url_prefix="/centers")

SIGNUP_LABELS = {"confirmed": _l("You have a place."), "waiting": _l("You are on the waiting list.")}
PAGE_SIZES = ("A4", "A5")
POSTER_SIZES = ("A4", "A5", "A3")  # a program's flyer is also printed as a poster
ABOUT_KEPT = 2048  # centers' public parts kept per server process and language (about 5 KB each)
CENTERS_KEPT = 4096  # centers' rows kept per server process
# An attendance sheet has rows for those who come without signing up: at
# least a few, and enough to fill its first page.
ATTENDANCE_BLANK_ROWS, ATTENDANCE_ROWS = 5, 17
NEEDS_LISTED = 8  # kinds of help on the needs notice; the others are added up in one line


# --- Loaders: each fetches its object (404) and checks who asks (403) --------------------


def center_or_404(center_id):
    return get_object_or_404(models.Center, models.Center.id == center_id)


def center_for_staff(center_id):
    center = center_or_404(center_id)
    if not access.works_at(g.user, g.roles, center):
        abort(403)
    return center


def program_or_404(program_id):
    return get_object_or_404(models.Program, models.Program.id == program_id)


def program_for_manager(program_id):
    item = program_or_404(program_id)
    if not access.manages_program(g.user, g.roles, item):
        abort(403)
    return item


def batch_or_404(center, batch_id):
    return get_object_or_404(models.PrintBatch, models.PrintBatch.id == batch_id, models.PrintBatch.center == center)


# --- A center's page and its programs ------------------------------------------------


@bp.get("/<int:center_id>")
def show(center_id):
    # Every write to a center, a program or a staff member raises the first
    # number (migration 0034), to the area tree the second.
    revisions = (models.revision("centers"), catalog().revision)
    center, served = kept_center_or_404(center_id, revisions)
    return render_template(
        "centers/show.html",
        center=center,
        about=center_about(center, served, revisions),
        is_staff=access.works_at(g.user, g.roles, center),
    )


def kept_center_or_404(center_id, revisions):
    """The center (404 when there is none) and the ids of the neighborhoods
    it serves, from this process's copy while the revisions hold: no write to
    a center, a program or a staff member, nor to the area tree, since they were read."""
    cache = fragment_cache("center-rows", size=CENTERS_KEPT)
    kept = cache.get(center_id, revisions)
    if kept is None:
        center = center_or_404(center_id)
        kept = (center, [area.id for area in centers.center_neighborhoods(center)])
        cache.put(center_id, revisions, kept)
    return kept


def center_about(center, served, revisions):
    """The center's public part (address, staff, the neighborhoods it serves,
    the open needs around it, its programs), rendered again only when the
    revisions moved, or the board's version of the neighborhoods it serves, or
    when time alone changes the lists."""
    version = (*revisions, models.HelpPost.board_version(served) if served else 0)
    cache = fragment_cache("center-about", size=ABOUT_KEPT)
    key = (center.id, str(get_locale()))
    kept = cache.get(key, version)
    if kept is not None and models.utcnow() < kept[1]:
        return kept[0]
    this_week, later = centers.week_ahead(center)
    # render_template's output is already escaped HTML.
    about = Markup(  # noqa: S704
        render_template(
            "centers/_about.html",
            center=center,
            staff=list(centers.staff_of_center(center)),
            neighborhoods=list(centers.center_neighborhoods(center)),
            this_week=this_week,
            later=later,
            open_needs=centers.open_needs_around(center).count(),
        )
    )
    cache.put(key, version, (about, lists_change_at(this_week, later)))
    return about


def lists_change_at(this_week, later):
    """When the programs shown change with no write at all: one of this week
    starts (and leaves), or the first later one comes within the week."""
    moments = [item.starts_at for item in this_week] + [item.starts_at - centers.WEEK for item in later]
    return min(moments, default=datetime.datetime.max)


@bp.get("/programs/<int:program_id>")
def program(program_id):
    return render_program(program_or_404(program_id), Form())


def render_program(item, form, status=200):
    staff = access.manages_program(g.user, g.roles, item)
    return render_template(
        "centers/program.html",
        program=item,
        taken=item.taken(),
        mine=centers.signup_of(item, g.user) if g.user is not None else None,
        is_staff=staff,
        signups=list(centers.signups_of(item)) if staff else [],
        signup_labels=SIGNUP_LABELS,
        past=item.starts_at < models.utcnow(),
        form=form,
    ), status


@bp.get("/<int:center_id>/programs/new")
@auth.requires(access.may_run_a_center)
def new_program(center_id):
    center = center_for_staff(center_id)
    action = url_for("centers.create_program", center_id=center.id)
    return programs.render_program_form(center, action, programs.new_program_form())


@bp.post("/<int:center_id>/programs/new")
@auth.requires(access.may_run_a_center)
def create_program(center_id):
    center = center_for_staff(center_id)
    return programs.add_program(center, url_for("centers.create_program", center_id=center.id))


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
    item = program_for_manager(program_id)
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


def page_size(sizes=PAGE_SIZES):
    size = request.args.get("size", "A4")
    return size if size in sizes else "A4"


@bp.get("/programs/<int:program_id>/flyer.pdf")
@limits.expensive
def flyer(program_id):
    """Anyone may print a program's flyer: each version of it is made once and
    kept where every node finds it, so asking again and again costs nothing."""
    item = program_or_404(program_id)
    url = url_for("centers.program", program_id=item.id, _external=True)
    size = page_size(POSTER_SIZES)
    key = (item.id, size, str(get_locale()), url)
    host = item.host
    version = (
        (item.status, item.title, item.starts_at, item.place, item.about, item.capacity, catalog().revision),
        (
            host.name,
            getattr(host, "name_en", ""),
            getattr(host, "address", ""),
            getattr(host, "phone", ""),
            getattr(host, "hours", ""),
        ),
        (getattr(host, "contact", ""), pdf.sms_number()),
    )
    # Kept in the store every node shares, under a name of its version: made once for the whole site.
    name, older = files.versioned_name("flyers", "-".join(map(str, key[:3])), (key, version), ".pdf")
    data = files.store().read(name)
    if data is None:
        data = pdf.render("pdf/flyer.html", program=item, center=item.host, qr=pdf.qr_code(url), url=url, size=size)
        files.store().write(name, data, replacing=older)
    return pdf.pdf_response(data, f"program-{item.id}.pdf")


@bp.get("/<int:center_id>/needs.pdf")
@auth.requires(access.may_run_a_center)
@limits.expensive
def needs_notice(center_id):
    """The neighborhood's needs this week: kinds and counts, no one's words or name."""
    center = center_for_staff(center_id)
    url = url_for("board.index", _external=True)
    kinds = centers.needs_by_activity(center)
    return pdf.response(
        "pdf/needs.html",
        f"needs-{center.id}.pdf",
        center=center,
        rows=kinds[:NEEDS_LISTED],
        other_kinds=kinds[NEEDS_LISTED:],
        printed_at=models.utcnow(),
        new_this_week=centers.new_needs_this_week(center),
        open_needs=centers.open_needs_around(center).count(),
        places=pdf.listed(hood for hood in centers.center_neighborhoods(center)),
        qr=pdf.qr_code(url),
        url=url,
        size=page_size(),
    )


@bp.get("/<int:center_id>/volunteers.pdf")
@auth.requires(access.may_run_a_center)
@limits.expensive
def volunteers_notice(center_id):
    """A call for volunteers: what the neighborhood needs most, and where to sign up."""
    center = center_for_staff(center_id)
    url = url_for("volunteers.profile", _external=True)
    return pdf.response(
        "pdf/volunteers.html",
        f"volunteers-{center.id}.pdf",
        center=center,
        kinds=centers.needs_by_activity(center)[:5],
        programs=list(centers.upcoming_programs(center, limit=2)),
        qr=pdf.qr_code(url),
        url=url,
        size=page_size(),
    )


@bp.get("/<int:center_id>/week.pdf")
@auth.requires(access.may_run_a_center)
@limits.expensive
def week_notice(center_id):
    """The week's programs of the center, Saturday to Friday, on one page: this
    week's, or the next one's (`?week=next`)."""
    center = center_for_staff(center_id)
    first_day = centers.week_start(models.utcnow(), later=request.args.get("week") == "next")
    url = url_for("centers.show", center_id=center.id, _external=True)
    days = centers.week_programs(center, first_day)
    return pdf.response(
        "pdf/week.html",
        f"week-{center.id}-{first_day:%Y%m%d}.pdf",
        center=center,
        days=days,
        density=pdf.week_density(days),
        qr=pdf.qr_code(url),
        url=url,
        size=page_size(),
    )


@bp.get("/programs/<int:program_id>/attendance.pdf")
@auth.signed_in_only
@limits.expensive
def attendance(program_id):
    """A program's attendance sheet: the names of those signed up and a column
    to sign. Guarded as the program's list of sign-ups is: its keepers only."""
    item = program_for_manager(program_id)
    signups = centers.attendance_list(item, g.user)
    return pdf.response(
        "pdf/attendance.html",
        f"attendance-{item.id}.pdf",
        program=item,
        signups=signups,
        taken=sum(1 for signup in signups if signup.status == "confirmed"),
        waiting=sum(1 for signup in signups if signup.status == "waiting"),
        blank_rows=max(ATTENDANCE_BLANK_ROWS, ATTENDANCE_ROWS - len(signups)),
        printed_at=models.utcnow(),
    )


# --- Volunteer cards, one or a batch in the background --------------------------------


@bp.get("/<int:center_id>/cards")
@auth.requires(access.may_run_a_center)
def cards(center_id):
    center = center_for_staff(center_id)
    return render_template(
        "centers/cards.html",
        center=center,
        volunteers=list(centers.center_volunteers(center).limit(50)),
        count=centers.center_volunteers(center).count(),
        batches=centers.recent_batches(center),
    )


@bp.get("/<int:center_id>/cards/<int:user_id>.pdf")
@auth.requires(access.may_run_a_center)
@limits.expensive
def card(center_id, user_id):
    center = center_for_staff(center_id)
    profile = get_object_or_404(centers.center_volunteers(center), models.User.id == user_id)
    return pdf.response("pdf/cards.html", f"card-{user_id}.pdf", **tasks.card_context(center, [profile]))


@bp.post("/<int:center_id>/cards")
@auth.requires(access.may_run_a_center)
def print_cards(center_id):
    """All the center's volunteer cards as one PDF, made in the background."""
    center = center_for_staff(center_id)
    batch = centers.queue_print_batch(center, g.user)
    tasks.print_batch(batch.id, request.host_url)
    flash(_("The cards are being made. This page shows how far it has come."))
    return redirect(url_for("centers.batch", center_id=center.id, batch_id=batch.id))


@bp.get("/<int:center_id>/batches/<int:batch_id>")
@auth.requires(access.may_run_a_center)
def batch(center_id, batch_id):
    center = center_for_staff(center_id)
    item = batch_or_404(center, batch_id)
    return render_template("centers/batch.html", center=center, batch=item, may_retry=centers.may_retry(item))


@bp.get("/<int:center_id>/batches/<int:batch_id>.pdf")
@auth.requires(access.may_run_a_center)
def batch_pdf(center_id, batch_id):
    center = center_for_staff(center_id)
    item = batch_or_404(center, batch_id)
    if item.status != "done":
        abort(404)
    download = f"cards-{center.id}-{item.id}.pdf"
    return files.store().send(tasks.batch_file(item), "application/pdf", download_name=download) or abort(404)


@bp.post("/<int:center_id>/batches/<int:batch_id>/retry")
@auth.requires(access.may_run_a_center)
def retry_batch(center_id, batch_id):
    center = center_for_staff(center_id)
    item = batch_or_404(center, batch_id)
    if centers.queue_batch_again(item):
        tasks.print_batch(item.id, request.host_url)
    return redirect(url_for("centers.batch", center_id=center.id, batch_id=item.id))
