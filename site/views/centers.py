"""Mosbat-e Zendegi centers (مراکز مثبت زندگی): each center's page (address,
hours, staff, the neighborhoods it serves, this week's programs, the open
needs around it), its programs with sign-ups and a waiting list, and the
notices its staff print: a program's flyer, the neighborhood's needs of the
week, and a call for volunteers, each with a QR code back to the site."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh.domain import access, board, centers
from hamsayeh.web import auth, limits, pdf, programs, tasks
from hamsayeh.web.cache import fragment_cache
from hamsayeh.web.catalog import catalog
from hamsayeh.web.forms import Form

bp = Blueprint("centers", __name__, url_prefix="/centers")

SIGNUP_LABELS = {"confirmed": _l("You have a place."), "waiting": _l("You are on the waiting list.")}
PAGE_SIZES = ("A4", "A5")
FLYERS_KEPT = 64  # rendered flyers kept per server process (about 30 KB each)


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
    center = center_or_404(center_id)
    this_week, later = centers.week_ahead(center)
    return render_template(
        "centers/show.html",
        center=center,
        staff=list(centers.staff_of_center(center)),
        neighborhoods=list(centers.center_neighborhoods(center)),
        this_week=this_week,
        later=later,
        open_needs=centers.open_needs_around(center).count(),
        is_staff=access.works_at(g.user, g.roles, center),
    )


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


def page_size():
    size = request.args.get("size", "A4")
    return size if size in PAGE_SIZES else "A4"


@bp.get("/programs/<int:program_id>/flyer.pdf")
@limits.expensive
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
@auth.requires(access.may_run_a_center)
@limits.expensive
def needs_notice(center_id):
    """The neighborhood's needs this week: kinds and counts, no one's words or name."""
    center = center_for_staff(center_id)
    url = url_for("board.index", _external=True)
    return pdf.response(
        "pdf/needs.html",
        f"needs-{center.id}.pdf",
        center=center,
        rows=centers.needs_by_activity(center),
        printed_at=models.utcnow(),
        new_this_week=centers.new_needs_this_week(center),
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
        programs=list(centers.upcoming_programs(center, limit=5)),
        qr=pdf.qr_code(url),
        url=url,
        size=page_size(),
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
    path = tasks.batch_file(item)
    if item.status != "done" or not path.exists():
        abort(404)
    return send_file(path, mimetype="application/pdf", download_name=f"cards-{center.id}-{item.id}.pdf")


@bp.post("/<int:center_id>/batches/<int:batch_id>/retry")
@auth.requires(access.may_run_a_center)
def retry_batch(center_id, batch_id):
    center = center_for_staff(center_id)
    item = batch_or_404(center, batch_id)
    if centers.queue_batch_again(item):
        tasks.print_batch(item.id, request.host_url)
    return redirect(url_for("centers.batch", center_id=center.id, batch_id=item.id))
