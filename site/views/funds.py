"""Local development funds (صندوق توسعه محلی): the public page of a fund, its
monthly report and CSV, proposals and votes, and the trustees' desk where
money is recorded, paper ballots entered and expenses approved."""

import io
import re

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from playhouse.flask_utils import get_object_or_404

import models
from hamsayeh import persian
from hamsayeh.domain import access, funds, funds_votes, network
from hamsayeh.domain.funds import FundError
from hamsayeh.web import auth, limits, payment_gateway, pdf, spreadsheets
from hamsayeh.web.errors import render_error
from hamsayeh.web.files import store
from hamsayeh.web.forms import Form, new_key
from hamsayeh.web.templating import local_name, number

bp = Blueprint("funds", __name__, url_prefix="/funds")

MONTH_PATTERN = re.compile(r"(\d{4})-(\d{1,2})")
METHODS = {"cash": _l("Cash to a trustee"), "bank": _l("Bank transfer"), "gateway": _l("Online payment")}
KINDS = dict(
    zip(
        models.FundEntry.KINDS,
        (_l("Contribution"), _l("Expense"), _l("Transfer in"), _l("Refund"), _l("Correction")),
        strict=True,
    )
)
ERRORS = {
    "amount": _l("Write an amount in rials: a whole number more than zero, like 5,000,000."),
    "balance": _l("The fund does not hold this much now. Nothing was paid."),
    "trustee": _l("Only the fund's trustees record its money."),
    "resident": _l(
        "Only residents of the fund's neighborhoods on its voter roll can do this. To join the roll, ask one of "
        "the fund's trustees, your neighborhood's facilitator or your center's staff to confirm that you live here."
    ),
    "closed": _l("Voting on this proposal has closed."),
    "voting": _l("Money is spent only on a proposal that passed."),
    "beyond": _l("This goes past the amount the neighbors approved for the proposal."),
    "own": _l("A trustee does not approve an expense they submitted, or enter their own ballot."),
    "approved": _l("You approved this expense already."),
    "paid": _l("This expense is paid already."),
    "receipt": _l("Attach the receipt as a photo (PNG or JPEG) or a PDF of at most 2 MB."),
    "paper": _l("You voted on a paper ballot at the center: that vote stands."),
    "voted": _l("This member has voted on this proposal already."),
    "same": _l("A second trustee, not the one who entered it, confirms a paper ballot."),
    "choice": _l("Choose yes or no."),
    "voter": _l("No resident of the fund's neighborhoods has an account with this number."),
    "corrected": _l("This entry was corrected already, or is itself a correction."),
    "reason": _l("Write why."),
    "method": _l("Choose how the money was given."),
    "kind": _l("Choose the kind of entry."),
}


def rials(value):
    """۵٬۰۰۰٬۰۰۰ ریال (۵۰۰٬۰۰۰ تومان): rials, with tomans beside them."""
    return _("%(rials)s rials (%(tomans)s tomans)", rials=number(value), tomans=number(value // 10))


@bp.app_template_filter("rials")
def rials_filter(value):
    return rials(value)


@bp.app_template_global("area_funds")
def area_funds(area_id):
    """The funds a neighborhood's page links to."""
    return funds.funds_of_area(area_id)


def refused(form, error):
    form.error(error.field or "amount", ERRORS.get(error.reason, ERRORS["amount"]))


def read_amount(form, name="amount"):
    amount = funds_votes.read_amount(form[name]) if form[name] else None
    if not amount:
        form.error(name, ERRORS["amount"])
    return amount


# --- Loaders --------------------------------------------------------------------------------


def public_fund(fund_id):
    """Anyone reads a fund's page (the worker counts proposals past their period: no GET writes)."""
    return get_object_or_404(models.Fund, models.Fund.id == fund_id)


def kept_by_trustee(model, object_id, fund_of):
    """`model`'s row `object_id` for a trustee of its fund (`fund_of(row)`): 404, or 403 for anyone else."""
    found = get_object_or_404(model, model.id == object_id)
    if not access.keeps_fund(g.user, g.roles, fund_of(found)):
        abort(403)
    return found


def fund_for_trustee(fund_id):
    return kept_by_trustee(models.Fund, fund_id, lambda fund: fund)


def public_proposal(proposal_id):
    return get_object_or_404(models.FundProposal, models.FundProposal.id == proposal_id)


def proposal_for_voter(proposal_id):
    """Only the member themself votes: never someone acting for them at a desk."""
    proposal = get_object_or_404(models.FundProposal, models.FundProposal.id == proposal_id)
    if g.get("actor") is not None or not access.may_vote_in_fund(g.user, g.roles, proposal.fund):
        abort(403)
    return proposal


def proposal_for_trustee(proposal_id):
    return kept_by_trustee(models.FundProposal, proposal_id, lambda proposal: proposal.fund)


def ballot_for_trustee(vote_id):
    return kept_by_trustee(models.FundVote, vote_id, lambda vote: vote.proposal.fund)


def expense_for_trustee(expense_id):
    return kept_by_trustee(models.FundExpense, expense_id, lambda expense: expense.fund)


def entry_for_trustee(entry_id):
    return kept_by_trustee(models.FundEntry, entry_id, lambda entry: entry.fund)


def entry_for_receipt(entry_id):
    entry = get_object_or_404(models.FundEntry, models.FundEntry.id == entry_id)
    if entry.receipt_number is None or not access.may_print_fund_receipt(g.user, g.roles, entry):
        abort(403)
    return entry


# --- Public pages ------------------------------------------------------------------------------


@bp.get("/")
def index():
    mine = funds.funds_of_area(g.user.neighborhood_id) if g.user and g.user.neighborhood_id else []
    kept = funds.funds_of_trustee(g.user) if g.user else []
    return render_template(
        "funds/index.html", mine=mine, kept=kept, everyone=models.Fund.select().order_by(models.Fund.id)
    )


@bp.get("/<int:fund_id>")
def show(fund_id):
    fund = public_fund(fund_id)
    return render_template(
        "funds/show.html",
        fund=fund,
        areas=funds.neighborhoods(fund),
        months=funds.by_month(fund),
        proposals=[(p, funds_votes.spent(p)) for p in funds_votes.proposals(fund)],
        expenses=funds_votes.expenses(fund),
        entries=funds.latest_entries(fund, 30),
        kinds=KINDS,
        methods=METHODS,
        trustee=access.keeps_fund(g.user, g.roles, fund),
        roll_keeper=access.keeps_fund_roll(g.user, g.roles, fund),
        online=payment_gateway.gateway() is not None,
        pay_form=Form(form_key=new_key()),
        masked=funds.masked_name,
    )


def month_or_404(text):
    found = MONTH_PATTERN.fullmatch(text or "")
    if not found or not 1 <= int(found.group(2)) <= 12 or not 1300 <= int(found.group(1)) <= 1500:
        abort(404)
    return persian.JalaliMonth(int(found.group(1)), int(found.group(2)))


@bp.get("/<int:fund_id>/report/<month>.pdf")
@limits.expensive
def report(fund_id, month):
    fund = public_fund(fund_id)
    chosen = month_or_404(month)
    rows = funds.entries(fund, chosen)
    url = url_for("funds.show", fund_id=fund.id, _external=True)
    return pdf.response(
        "pdf/fund_report.html",
        f"fund-{fund.id}-{month}.pdf",
        fund=fund,
        month=chosen,
        rows=rows,
        into=sum(r.amount for r in rows if r.target == "fund"),
        out=sum(r.amount for r in rows if r.source == "fund"),
        kinds=KINDS,
        masked=funds.masked_name,
        proposals=[p for p in funds_votes.proposals(fund) if p.status != "voting"][:10],
        qr=pdf.qr_code(url),
        url=url,
    )


@bp.get("/<int:fund_id>/ledger.csv")
def ledger_csv(fund_id):
    fund = public_fund(fund_id)
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow(["id", "date", "kind", "from", "to", "rials", "reason", "contributor", "proposal", "corrects"])
    for row in funds.entries(fund):
        writer.writerow(
            [
                row.id,
                persian.jalali_date(persian.tehran_time(row.created_at).date()),
                row.kind,
                row.source,
                row.target,
                row.amount,
                row.reason,
                funds.masked_name(row.contributor_name),
                row.proposal_id or "",
                row.corrects_id or "",
            ]
        )
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="fund-{fund.id}.csv"'
    return response


@bp.get("/expenses/<int:expense_id>/receipt")
def receipt_file(expense_id):
    """The receipt as uploaded: only PNG, JPEG or PDF (checked by content when
    kept), never rendered by the browser as a page of this site."""
    expense = get_object_or_404(models.FundExpense, models.FundExpense.id == expense_id)
    response = store().send(expense.receipt_name, expense.receipt_type, max_age=0) or abort(404)
    suffix = funds_votes.SUFFIXES[expense.receipt_type]
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{expense.id}{suffix}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/receipts/<token>")
def check_receipt(token):
    entry = funds.entry_by_receipt_token(token) or abort(404)
    response = make_response(render_template("funds/check.html", entry=entry, methods=METHODS))
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- Opening a fund -----------------------------------------------------------------------------


def render_new(form, status=200):
    """Headquarters types the neighborhood's number; a facilitator chooses among theirs."""
    served = [] if access.is_headquarters(g.user, g.roles) else list(network.assigned_neighborhoods(g.user))
    return render_template("funds/new.html", form=form, served=[(a.id, local_name(a)) for a in served]), status


@bp.get("/new")
@auth.requires(access.may_open_funds)
def new():
    return render_new(Form(form_key=new_key(), voting_days="7", quorum="3", approvals="2"))


@bp.post("/new")
@auth.requires(access.may_open_funds)
def create():
    form = Form(request.form)
    form.text("name", models.Fund.NAME_MAX)
    area = models.Area.get_or_none(models.Area.id == (persian.whole_number(form["area"]) or 0))
    if area is None or area.kind != "neighborhood" or not access.may_open_fund_in(g.user, g.roles, area):
        form.error("area", _l("Choose a neighborhood you serve."))
    phones = [persian.normalize_phone(line) for line in form["trustees"].split() if line]
    people = [models.User.by_phone(phone) for phone in phones]
    if None in people or not 3 <= len(people) <= 5:
        form.error("trustees", _l("Write the mobile numbers of three to five residents with an account, one a line."))
    rules = [persian.whole_number(form[name], 1000) for name in ("voting_days", "quorum", "approvals")]
    if None in rules:
        form.error("voting_days", _l("Write the rules as whole numbers."))
    if form.ok:
        try:
            fund = funds.open_fund(form["name"], [area], people, g.user, form.form_key(), *rules)
        except FundError as error:
            form.error(
                error.field or "name",
                _l(
                    "Check the trustees (residents of the neighborhood) and the rules: voting days 1 to 60, at least 2 approvals, fewer than the trustees."
                ),
            )
    if not form.ok:
        return render_new(form, 422)
    return redirect(url_for("funds.show", fund_id=fund.id))


# --- Proposals and votes --------------------------------------------------------------------------


def chosen_idea(form):
    """The neighborhood idea (طرح جام) a facilitator proposes for, if any."""
    number = persian.whole_number(form["idea"]) if form["idea"] else None
    return models.Idea.get_or_none(models.Idea.id == number) if number else None


def render_propose(fund, form, status=200):
    return render_template("funds/propose.html", fund=fund, form=form, idea=chosen_idea(form)), status


@bp.get("/<int:fund_id>/proposals/new")
@auth.signed_in_only
def propose_form(fund_id):
    fund = public_fund(fund_id)
    return render_propose(fund, Form(form_key=new_key(), idea=request.args.get("idea", "")))


@bp.post("/<int:fund_id>/proposals/new")
@auth.signed_in_only
def propose(fund_id):
    fund = get_object_or_404(models.Fund, models.Fund.id == fund_id)
    form = Form(request.form)
    title = form.text("title", models.FundProposal.TITLE_MAX, 3)
    reason = form.text("reason", models.FundProposal.TEXT_MAX, 10)
    amount = read_amount(form)
    doer = form.text("doer", models.FundProposal.DOER_MAX, 2)
    idea = chosen_idea(form)
    if form.ok:
        try:
            proposal = funds_votes.propose(fund, g.user, title, reason, amount, doer, form.form_key(), idea=idea)
        except FundError as error:
            form.error("title", ERRORS.get(error.reason, ERRORS["resident"]))
    if not form.ok:
        return render_propose(fund, form, 422)
    return redirect(url_for("funds.proposal", proposal_id=proposal.id))


def render_proposal(proposal, form=None, status=200):
    fund = proposal.fund
    closed = proposal.status != "voting"
    return render_template(
        "funds/proposal.html",
        proposal=proposal,
        fund=fund,
        form=form or Form(),
        mine=funds_votes.my_vote(proposal, g.user) if g.get("actor") is None else None,  # secret from staff
        may_vote=access.may_vote_in_fund(g.user, g.roles, fund) and g.get("actor") is None,
        off_roll=g.user is not None and funds.lives_in_area(g.user, fund) and not funds.is_on_roll(g.user, fund),
        open=funds_votes.is_open(proposal),
        closed=closed,
        spent=funds_votes.spent(proposal),
        expenses=[e for e in funds_votes.expenses(fund) if e.proposal_id == proposal.id],
        trustee=access.keeps_fund(g.user, g.roles, fund),
        waiting=funds_votes.waiting_ballots(proposal) if access.keeps_fund(g.user, g.roles, fund) else [],
        comments=funds_votes.comments(proposal),
        comment_key=(form or Form())["form_key"] or new_key(),
        masked=funds.masked_name,
    ), status


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id):
    return render_proposal(public_proposal(proposal_id))


@bp.post("/proposals/<int:proposal_id>/vote")
@auth.signed_in_only
def vote(proposal_id):
    proposal = proposal_for_voter(proposal_id)
    form = Form(request.form)
    try:
        funds_votes.cast_vote(proposal, g.user, form["choice"], channel="kiosk" if g.get("kiosk") else "web")
    except FundError as error:
        refused(form, error)
        return render_proposal(proposal, form, 422)
    flash(_("Your vote is kept. You can change it until voting closes."))
    return redirect(url_for("funds.proposal", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/comments")
@auth.signed_in_only
def discuss(proposal_id):
    proposal = proposal_for_voter(proposal_id)
    form = Form(request.form)
    text = form.text("text", models.FundComment.TEXT_MAX, 2)
    if form.ok:
        try:
            funds_votes.comment(proposal, g.user, text, form.form_key())
        except FundError as error:
            form.error("text", ERRORS.get(error.reason, ERRORS["closed"]))
    if not form.ok:
        return render_proposal(proposal, form, 422)
    return redirect(url_for("funds.proposal", proposal_id=proposal.id) + "#discussion")


@bp.post("/proposals/<int:proposal_id>/paper")
@auth.signed_in_only
def paper_ballot(proposal_id):
    proposal = proposal_for_trustee(proposal_id)
    form = Form(request.form)
    voter = models.User.by_phone(persian.normalize_phone(form["phone"]))
    try:
        funds_votes.enter_paper_ballot(proposal, g.user, voter, form["ballot_choice"])
    except FundError as error:
        field = "ballot_choice" if error.field == "choice" else "phone"
        form.error(field, ERRORS["voter"] if error.reason == "resident" else ERRORS.get(error.reason, ERRORS["choice"]))
        return render_proposal(proposal, form, 422)
    flash(_("The paper ballot is entered. A second trustee confirms it on this page."))
    return redirect(url_for("funds.proposal", proposal_id=proposal.id))


@bp.post("/ballots/<int:vote_id>/confirm")
@auth.signed_in_only
def confirm_ballot(vote_id):
    ballot = ballot_for_trustee(vote_id)
    try:
        funds_votes.confirm_paper_ballot(ballot, g.user)
    except FundError as error:
        form = Form()
        form.error("ballot_choice", ERRORS.get(error.reason, ERRORS["same"]))
        return render_proposal(ballot.proposal, form, 422)
    flash(_("The paper ballot is confirmed and counted."))
    return redirect(url_for("funds.proposal", proposal_id=ballot.proposal_id))


# --- The trustees' desk ------------------------------------------------------------------------------


def render_desk(fund, form=None, status=200):
    return render_template(
        "funds/desk.html",
        fund=fund,
        form=form or Form(form_key=new_key()),
        entry_key=new_key(),
        pending=[e for e in funds_votes.expenses(fund) if e.status == "pending"],
        approvers=funds_votes.approvers,
        passed=[p for p in funds_votes.proposals(fund) if p.status == "passed"],
        entries=funds.latest_entries(fund, 20),
        kinds=KINDS,
        methods=METHODS,
    ), status


@bp.get("/<int:fund_id>/desk")
@auth.signed_in_only
def desk(fund_id):
    return render_desk(fund_for_trustee(fund_id))


@bp.post("/<int:fund_id>/contributions")
@auth.signed_in_only
def contribute(fund_id):
    fund = fund_for_trustee(fund_id)
    form = Form(request.form)
    amount = read_amount(form)
    if form["method"] not in ("cash", "bank"):
        form.error("method", ERRORS["method"])
    anonymous = form["anonymous"] == "1"
    if not anonymous:
        form.text("contributor", 80, 2, _l("Write the contributor's name, or tick anonymous."))
    if form.ok:
        try:
            entry = funds.record_contribution(
                fund,
                g.user,
                amount,
                form["method"],
                current_app.config["SECRET_KEY"],
                name=form["contributor"],
                anonymous=anonymous,
                form_key=form.form_key(),
            )
        except FundError as error:
            refused(form, error)
    if not form.ok:
        return render_desk(fund, form, 422)
    flash(_("The contribution is recorded. Print its receipt for the contributor."))
    return redirect(url_for("funds.desk", fund_id=fund.id, receipt=entry.id))


@bp.post("/<int:fund_id>/entries")
@auth.signed_in_only
def record(fund_id):
    fund = fund_for_trustee(fund_id)
    form = Form(request.form)
    amount = read_amount(form, "entry_amount")
    reason = form.text("entry_reason", models.FundEntry.REASON_MAX, 3)
    if form.ok:
        try:
            funds.record_entry(fund, g.user, form["kind"], amount, reason, form_key=form.form_key())
        except FundError as error:
            form.error("entry_amount", ERRORS.get(error.reason, ERRORS["amount"]))
    if not form.ok:
        return render_desk(fund, form, 422)
    return redirect(url_for("funds.desk", fund_id=fund.id))


@bp.post("/entries/<int:entry_id>/correct")
@auth.signed_in_only
def correct(entry_id):
    entry = entry_for_trustee(entry_id)
    form = Form(request.form)
    try:
        funds.correct_entry(entry, g.user, form["reason"], form_key=form.form_key())
    except FundError as error:
        form.error("corrections", ERRORS.get(error.reason, ERRORS["reason"]))
        return render_desk(entry.fund, form, 422)
    return redirect(url_for("funds.desk", fund_id=entry.fund_id))


@bp.get("/entries/<int:entry_id>/receipt.pdf")
@auth.signed_in_only
@limits.expensive
def receipt(entry_id):
    entry = entry_for_receipt(entry_id)
    token = funds.receipt_token(entry, current_app.config["SECRET_KEY"]) or abort(404)
    url = url_for("funds.check_receipt", token=token, _external=True)
    return pdf.response(
        "pdf/fund_receipt.html",
        f"receipt-{entry.receipt_number}.pdf",
        entry=entry,
        methods=METHODS,
        qr=pdf.qr_code(url),
        url=url,
    )


def render_expense(proposal, form, status=200):
    return render_template("funds/expense.html", proposal=proposal, fund=proposal.fund, form=form), status


@bp.get("/proposals/<int:proposal_id>/expenses/new")
@auth.signed_in_only
def expense_form(proposal_id):
    return render_expense(proposal_for_trustee(proposal_id), Form(form_key=new_key()))


@bp.post("/proposals/<int:proposal_id>/expenses/new")
@auth.signed_in_only
def submit_expense(proposal_id):
    proposal = proposal_for_trustee(proposal_id)
    form = Form(request.form)
    amount = read_amount(form)
    payee = form.text("payee", models.FundExpense.PAYEE_MAX, 2)
    description = form.text("description", models.FundExpense.TEXT_MAX, 3)
    upload = request.files.get("receipt")
    data = upload.read(funds_votes.RECEIPT_MOST + 1) if upload else b""
    if form.ok:
        try:
            funds_votes.submit_expense(
                proposal, g.user, amount, payee, description, data, store().write, form.form_key()
            )
        except FundError as error:
            refused(form, error)
    if not form.ok:
        return render_expense(proposal, form, 422)
    flash(_("The expense is submitted. Other trustees approve it on the desk."))
    return redirect(url_for("funds.desk", fund_id=proposal.fund_id))


@bp.post("/expenses/<int:expense_id>/approve")
@auth.signed_in_only
def approve(expense_id):
    expense = expense_for_trustee(expense_id)
    try:
        expense = funds_votes.approve_expense(expense, g.user)
    except FundError as error:
        form = Form()
        form.error("approve", ERRORS.get(error.reason, ERRORS["balance"]))
        return render_desk(expense.fund, form, 422)
    flash(_("The expense is paid.") if expense.status == "paid" else _("Your approval is kept."))
    return redirect(url_for("funds.desk", fund_id=expense.fund_id))


# --- The voter roll: residents confirmed in person --------------------------------------------------


def fund_for_roll(fund_id):
    """A trustee of the fund, a facilitator of its neighborhood or the staff of its center."""
    fund = get_object_or_404(models.Fund, models.Fund.id == fund_id)
    if not access.keeps_fund_roll(g.user, g.roles, fund):
        abort(403)
    return fund


def render_roll(fund, status=200):
    text = request.values.get("q", "")[:80]
    page = max(1, min(persian.whole_number(request.values.get("page", "")) or 1, 10_000))
    candidates, more = funds.roll_candidates(fund, text, page)
    on_roll, more_on_roll = funds.roll(fund, text, page)
    return render_template(
        "funds/roll.html",
        fund=fund,
        text=text,
        page=page,
        candidates=candidates,
        on_roll=on_roll,
        more=more or more_on_roll,
        size=funds.roll_size(fund),
        mask=persian.mask_phone,
    ), status


def roll_member(fund):
    number = persian.whole_number(request.form.get("user", ""))
    member = models.User.get_or_none(models.User.id == number) if number else None
    return member if member is not None and funds.lives_in_area(member, fund) else None


@bp.get("/<int:fund_id>/roll")
@auth.signed_in_only
def roll(fund_id):
    return render_roll(fund_for_roll(fund_id))


@bp.post("/<int:fund_id>/roll")
@auth.signed_in_only
def confirm_resident(fund_id):
    fund = fund_for_roll(fund_id)
    member = roll_member(fund)
    try:
        funds.confirm_resident(fund, member, g.user, access.fund_roll_role(g.user, g.roles, fund))
    except FundError:
        flash(_("This member does not live in the fund's neighborhoods; nobody was added."))
        return render_roll(fund, 422)
    flash(_("%(name)s is on the fund's voter roll.", name=member.name))
    return redirect(url_for("funds.roll", fund_id=fund.id, q=request.form.get("q", "")))


@bp.post("/<int:fund_id>/roll/remove")
@auth.signed_in_only
def remove_resident(fund_id):
    fund = fund_for_roll(fund_id)
    number = persian.whole_number(request.form.get("user", ""))
    member = models.User.get_or_none(models.User.id == number) if number else None
    if member is not None and funds.remove_resident(fund, member, g.user):
        flash(_("%(name)s is no longer on the fund's voter roll.", name=member.name))
    return redirect(url_for("funds.roll", fund_id=fund.id))


# --- Online contributions -----------------------------------------------------------------------------


# Guests may pay online: each starts a payment with the gateway, so a member
# (or a guest's address) starts at most ten in ten minutes, on every node.
PAY_LIMIT = (10, 10 * 60)


def too_many_payments():
    """None while the caller may start one more payment, else the 429 page."""
    if not current_app.config.get("RATE_LIMITS", not current_app.testing):
        return None
    count, seconds = PAY_LIMIT
    if limits.counts().allow(f"fund-pay:{limits.who()}", count, seconds):
        return None
    page, status = render_error(
        429,
        _l("Too many payments for now"),
        _l("You have started many online payments in the last few minutes. Please wait ten minutes and try again."),
    )
    return page, status, {"Retry-After": str(seconds)}


@bp.post("/<int:fund_id>/pay")
def pay(fund_id):
    fund = get_object_or_404(models.Fund, models.Fund.id == fund_id)
    gateway = payment_gateway.gateway() or abort(404)
    limited = too_many_payments()
    if limited is not None:
        return limited
    form = Form(request.form)
    amount = read_amount(form)
    if not form.ok:
        flash(str(form.errors["amount"]))
        return redirect(url_for("funds.show", fund_id=fund.id))
    payment = funds.start_payment(fund, amount, contributor=g.user, anonymous=form["anonymous"] == "1")
    try:
        token, page = gateway.start(payment.reference, amount, url_for("funds.paid", _external=True))
    except payment_gateway.GatewayError:
        flash(_("The payment gateway did not answer. Nothing was paid; try again later."))
        return redirect(url_for("funds.show", fund_id=fund.id))
    funds.attach_gateway_token(payment, token)
    return redirect(page)


@bp.get("/payments/back")
def paid():
    """Where the gateway sends the payer back: signed, then verified with the gateway."""
    gateway = payment_gateway.gateway() or abort(404)
    args = request.args
    reference, token, status = args.get("reference", ""), args.get("token", ""), args.get("status", "")
    payment = models.FundPayment.get_or_none(models.FundPayment.reference == reference) or abort(404)
    if payment.gateway_token != token or not gateway.callback_is_signed(
        reference, token, status, args.get("amount", ""), args.get("signature")
    ):
        abort(400)
    try:
        succeeded, amount = gateway.verify(token) if status == "paid" else (False, 0)
    except payment_gateway.GatewayError:
        flash(
            _(
                "The payment could not be checked with the gateway yet. If money was taken, it will be returned by the bank."
            )
        )
        return redirect(url_for("funds.show", fund_id=payment.fund_id))
    payment = funds.settle_payment(reference, amount, succeeded, current_app.config["SECRET_KEY"])
    entry = funds.payment_entry(payment)
    if entry is None:
        flash(_("The payment was not completed. Nothing was recorded."))
        return redirect(url_for("funds.show", fund_id=payment.fund_id))
    token = funds.receipt_token(entry, current_app.config["SECRET_KEY"])
    flash(_("Thank you: your contribution is in the fund's ledger."))
    return redirect(url_for("funds.check_receipt", token=token))
