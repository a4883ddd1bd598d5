"""A fund's proposals, the neighbors' votes on them, and the expenses paid
against the ones that passed.

One member, one vote per proposal, whatever the path (web, kiosk, paper): the
database's UNIQUE(proposal, voter) holds it. A vote is changed until voting
closes and shown to nobody else; the totals are counted once, at the close.
A paper ballot is entered by one trustee and counts once a second confirms it.
An expense is paid when the fund's approvals are in, from trustees other
than its submitter, in the transaction of the last approval; one that would
take the fund below zero is refused then."""

import datetime
import secrets

from peewee import IntegrityError, fn

from hamsayeh import persian
from hamsayeh.domain import audit, facilitators, funds, inbox
from hamsayeh.domain.funds import FundError
from models import (
    FUND_AMOUNT_MAX,
    FundApproval,
    FundComment,
    FundEntry,
    FundExpense,
    FundProposal,
    FundVote,
    made_once,
    utcnow,
    write_transaction,
)

RECEIPT_MOST = 2 * 1024 * 1024
# A receipt is what its first bytes say it is, whatever its name or the
# browser claims: PNG, JPEG or PDF, nothing else (never HTML or SVG).
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
)
SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}


# --- Proposals ---------------------------------------------------------------------------------


def may_propose(user, fund, idea=None):
    """A resident of the fund's area; a facilitator of the idea's neighborhood for an idea there."""
    if idea is not None:
        return idea.neighborhood_id in funds.area_ids(fund) and facilitators.facilitates(user, idea.neighborhood_id)
    return funds.is_resident(user, fund)


def propose(fund, proposer, title, reason, amount, doer, form_key, idea=None, now=None):
    if not may_propose(proposer, fund, idea):
        raise FundError("resident")
    funds.check_amount(amount)
    now = now or utcnow()

    def make():
        proposal = FundProposal.create(
            fund=fund,
            proposer=proposer,
            idea=idea,
            title=title,
            reason=reason,
            amount=amount,
            doer=doer,
            voting_ends_at=now + datetime.timedelta(days=fund.voting_days),
            created_at=now,
            form_key=form_key,
        )
        audit.record_audit("funds.propose", proposer, f"fund:{fund.id}", f"proposal={proposal.id} amount={amount}")
        return proposal

    return made_once(FundProposal, form_key, make)


def is_open(proposal, now=None):
    return proposal.status == "voting" and (now or utcnow()) < proposal.voting_ends_at


def counted():
    """Votes that count: every web or kiosk vote, and paper ballots once confirmed."""
    return (FundVote.channel != "paper") | FundVote.confirmed_by.is_null(False)


def close_due(fund, now=None):
    """Count and close every proposal of `fund` whose voting period has ended,
    then tell the proposer and the voters the result."""
    now = now or utcnow()
    due = FundProposal.select(FundProposal.id).where(
        FundProposal.fund == fund, FundProposal.status == "voting", FundProposal.voting_ends_at <= now
    )
    for row in list(due):
        with write_transaction():
            funds.lock_fund(fund)
            proposal = FundProposal.get_by_id(row.id)
            if proposal.status != "voting":
                continue
            votes = FundVote.select(FundVote.choice, fn.COUNT(FundVote.id)).where(
                FundVote.proposal == proposal, counted()
            )
            totals = dict(votes.group_by(FundVote.choice).tuples())
            yes, no = totals.get("yes", 0), totals.get("no", 0)
            passed = yes + no >= fund.quorum and yes > no
            status = "passed" if passed else "failed"
            FundProposal.update(status=status, yes_votes=yes, no_votes=no, closed_at=now).where(
                FundProposal.id == proposal.id
            ).execute()
            people = {proposal.proposer_id} | {
                v.voter_id for v in FundVote.select(FundVote.voter).where(FundVote.proposal == proposal, counted())
            }
            for user_id in sorted(people):
                inbox.notify(user_id, f"fund_{status}")
            audit.record_audit("funds.close", None, f"fund:{fund.id}", f"proposal={proposal.id} {status} {yes}/{no}")


def close_all_due(now=None):
    """The worker's periodic task: close every fund's proposals past their
    period (no page opened ever writes). How many it closed."""
    now = now or utcnow()
    due = (
        FundProposal.select(FundProposal.fund)
        .where(FundProposal.status == "voting", FundProposal.voting_ends_at <= now)
        .distinct()
    )
    closed = 0
    for row in list(due):
        before = FundProposal.select().where(FundProposal.fund == row.fund_id, FundProposal.status == "voting").count()
        close_due(row.fund, now)
        closed += (
            before
            - FundProposal.select().where(FundProposal.fund == row.fund_id, FundProposal.status == "voting").count()
        )
    return closed


def proposals(fund):
    return list(FundProposal.select().where(FundProposal.fund == fund).order_by(FundProposal.created_at.desc()))


def returned(proposal):
    """What corrections of its paid expenses brought back to the fund."""
    return int(
        FundEntry.select(fn.COALESCE(fn.SUM(FundEntry.amount), 0))
        .where(FundEntry.proposal == proposal, FundEntry.kind == "correction", FundEntry.target == "fund")
        .scalar()
    )


def spent(proposal):
    return int(
        FundExpense.select(fn.COALESCE(fn.SUM(FundExpense.amount), 0))
        .where(FundExpense.proposal == proposal, FundExpense.status == "paid")
        .scalar()
    ) - returned(proposal)


def committed(proposal):
    """Paid and waiting expenses, less what corrections returned: what a new expense cannot go past."""
    return int(
        FundExpense.select(fn.COALESCE(fn.SUM(FundExpense.amount), 0)).where(FundExpense.proposal == proposal).scalar()
    ) - returned(proposal)


def comment(proposal, author, text, form_key):
    """A resident's word on a proposal while its voting is open."""
    if not funds.is_resident(author, proposal.fund):
        raise FundError("resident", "text")
    if not is_open(proposal):
        raise FundError("closed", "text")

    def make():
        return FundComment.create(proposal=proposal, author=author, text=text, form_key=form_key)

    return made_once(FundComment, form_key, make)


def comments(proposal):
    return list(FundComment.select().where(FundComment.proposal == proposal).order_by(FundComment.created_at))


# --- Votes ---------------------------------------------------------------------------------------


def my_vote(proposal, user):
    return FundVote.get_or_none(FundVote.proposal == proposal, FundVote.voter == user) if user else None


def cast_vote(proposal, voter, choice, channel="web", now=None):
    """The member's own vote, made or changed while voting is open. A paper
    ballot of theirs stands: they voted on paper."""
    if choice not in FundVote.CHOICES:
        raise FundError("choice", "choice")
    if not funds.is_resident(voter, proposal.fund):
        raise FundError("resident", "choice")
    now = now or utcnow()
    for _attempt in range(2):
        try:
            with write_transaction():
                if not is_open(FundProposal.get_by_id(proposal.id), now):
                    raise FundError("closed", "choice")
                vote = my_vote(proposal, voter)
                if vote is None:
                    return FundVote.create(
                        proposal=proposal, voter=voter, choice=choice, channel=channel, created_at=now, updated_at=now
                    )
                if vote.channel == "paper":
                    raise FundError("paper", "choice")
                FundVote.update(choice=choice, channel=channel, updated_at=now).where(FundVote.id == vote.id).execute()
                return FundVote.get_by_id(vote.id)
        except IntegrityError:
            continue  # another request of the same member made it a moment ago: change that one
    raise FundError("voted", "choice")


def enter_paper_ballot(proposal, trustee, voter, choice, now=None):
    """A trustee enters a paper ballot for `voter` (found by their record at
    the center); it counts once a second trustee confirms it. The voter stands
    before both trustees: one not on the roll yet, but living in the area,
    joins it when the second trustee confirms."""
    fund = proposal.fund
    if not funds.is_trustee(trustee, fund):
        raise FundError("trustee")
    if voter is None or not funds.lives_in_area(voter, fund):
        raise FundError("resident", "phone")
    if voter.id == trustee.id:
        raise FundError("own", "phone")
    if choice not in FundVote.CHOICES:
        raise FundError("choice", "choice")
    now = now or utcnow()
    try:
        with write_transaction():
            if not is_open(FundProposal.get_by_id(proposal.id), now):
                raise FundError("closed", "choice")
            if my_vote(proposal, voter) is not None:
                raise FundError("voted", "phone")
            vote = FundVote.create(
                proposal=proposal,
                voter=voter,
                choice=choice,
                channel="paper",
                entered_by=trustee,
                created_at=now,
                updated_at=now,
            )
            audit.record_audit("funds.paper_ballot", trustee, f"fund:{fund.id}", f"vote={vote.id} voter={voter.id}")
            return vote
    except IntegrityError:
        raise FundError("voted", "phone") from None


def waiting_ballots(proposal):
    return list(
        FundVote.select().where(
            FundVote.proposal == proposal, FundVote.channel == "paper", FundVote.confirmed_by.is_null()
        )
    )


def confirm_paper_ballot(vote, trustee, now=None):
    """The second trustee confirms the ballot the first entered; the voter,
    seen by both, is on the fund's roll from then on."""
    fund = vote.proposal.fund
    if not funds.is_trustee(trustee, fund):
        raise FundError("trustee")
    if trustee.id in (vote.entered_by_id, vote.voter_id):
        raise FundError("same")
    with write_transaction():
        if not is_open(FundProposal.get_by_id(vote.proposal_id), now):
            raise FundError("closed")
        changed = (
            FundVote.update(confirmed_by=trustee)
            .where(FundVote.id == vote.id, FundVote.confirmed_by.is_null())
            .execute()
        )
        if changed:
            audit.record_audit("funds.paper_confirm", trustee, f"fund:{fund.id}", f"vote={vote.id}")
            if funds.lives_in_area(vote.voter, fund):
                funds.add_to_roll(fund, vote.voter, trustee, "paper_ballot")
    return FundVote.get_by_id(vote.id)


def count_votes(proposal):
    """(yes, no) counted now: shown only once voting has closed."""
    totals = dict(
        FundVote.select(FundVote.choice, fn.COUNT(FundVote.id))
        .where(FundVote.proposal == proposal, counted())
        .group_by(FundVote.choice)
        .tuples()
    )
    return totals.get("yes", 0), totals.get("no", 0)


# --- Expenses --------------------------------------------------------------------------------------


def receipt_type(data):
    """The receipt's type by its content; None for anything but PNG, JPEG or PDF."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    return None


def submit_expense(proposal, trustee, amount, payee, description, receipt, keep_file, form_key):
    """A trustee submits an expense against a passed proposal, with its
    receipt; `keep_file(name, data)` stores the receipt where every node sees it."""
    fund = proposal.fund
    if not funds.is_trustee(trustee, fund):
        raise FundError("trustee")
    if proposal.status == "voting" and not is_open(proposal):
        close_due(fund)  # the worker had not counted it yet
        proposal = FundProposal.get_by_id(proposal.id)
    if proposal.status != "passed":
        raise FundError("voting", "amount")
    funds.check_amount(amount)
    if not receipt or len(receipt) > RECEIPT_MOST:
        raise FundError("receipt", "receipt")
    kind = receipt_type(receipt)
    if kind is None:
        raise FundError("receipt", "receipt")
    found = FundExpense.get_or_none(FundExpense.form_key == form_key)
    if found is not None:
        return found
    name = f"funds/receipt-{secrets.token_hex(12)}{SUFFIXES[kind]}"

    def make():
        funds.lock_fund(fund)
        if committed(proposal) + amount > proposal.amount:
            raise FundError("beyond", "amount")
        keep_file(name, receipt)
        expense = FundExpense.create(
            fund=fund,
            proposal=proposal,
            amount=amount,
            payee=payee,
            description=description,
            receipt_name=name,
            receipt_type=kind,
            submitted_by=trustee,
            form_key=form_key,
        )
        audit.record_audit("funds.expense", trustee, f"fund:{fund.id}", f"expense={expense.id} amount={amount}")
        return expense

    return made_once(FundExpense, form_key, make)


def approve_expense(expense, trustee, now=None):
    """A trustee's approval; the last one needed pays the expense in the same
    transaction, or is refused (and not kept) when the fund does not hold it."""
    fund = expense.fund
    if not funds.is_trustee(trustee, fund):
        raise FundError("trustee")
    if trustee.id == expense.submitted_by_id:
        raise FundError("own")
    try:
        with write_transaction():
            funds.lock_fund(fund)
            expense = FundExpense.get_by_id(expense.id)
            if expense.status == "paid":
                raise FundError("paid")
            if FundApproval.select().where(FundApproval.expense == expense, FundApproval.trustee == trustee).exists():
                raise FundError("approved")
            FundApproval.create(expense=expense, trustee=trustee, created_at=now or utcnow())
            approvals = FundApproval.select().where(FundApproval.expense == expense).count()
            audit.record_audit("funds.approve", trustee, f"fund:{fund.id}", f"expense={expense.id}")
            if approvals >= fund.approvals_needed:
                if spent(expense.proposal) + expense.amount > expense.proposal.amount:
                    raise FundError("beyond")
                funds.move(
                    fund,
                    "expense",
                    "fund",
                    "payees",
                    expense.amount,
                    expense=expense,
                    proposal=expense.proposal_id,
                    reason=expense.description[: FundEntry.REASON_MAX],
                    recorded_by=trustee,
                )
                FundExpense.update(status="paid", paid_at=now or utcnow()).where(FundExpense.id == expense.id).execute()
                audit.record_audit("funds.pay", trustee, f"fund:{fund.id}", f"expense={expense.id}")
    except IntegrityError:
        raise FundError("approved") from None
    return FundExpense.get_by_id(expense.id)


def expenses(fund):
    return list(FundExpense.select().where(FundExpense.fund == fund).order_by(FundExpense.created_at.desc()))


def approvers(expense):
    return [a.trustee for a in FundApproval.select().where(FundApproval.expense == expense)]


def read_amount(text):
    """Rials typed with any digits, with or without separators (٬ , . space); None otherwise."""
    cleaned = persian.normalize(text).replace("٬", "").replace(",", "").replace("،", "").replace(" ", "")
    cleaned = cleaned.replace("'", "").replace("_", "")
    if "." in cleaned:
        groups = cleaned.split(".")
        if all(len(group) == 3 for group in groups[1:]):
            cleaned = "".join(groups)
    return persian.whole_number(cleaned, FUND_AMOUNT_MAX)
