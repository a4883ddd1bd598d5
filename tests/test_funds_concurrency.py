"""A fund under a crowd, through the real server: gunicorn with four worker
processes on the test database (SQLite, or PostgreSQL when the suite runs on
it). Fifty expense approvals at once against a fund that can pay only some
never take it below zero, and its balance equals its ledger afterwards; twenty
votes at once by one member count once."""

import datetime
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import models
from hamsayeh.domain import files, funds, funds_votes
from tests.factories import fund as make_fund
from tests.factories import person
from tests.live_site import Browser as Member
from tests.live_site import gunicorn

WORKERS = 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def server(app, db):
    with gunicorn(app, WORKERS) as (base, _process):
        yield base


def passed_proposal(fund, residents, amount):
    start = models.utcnow() - datetime.timedelta(days=fund.voting_days, hours=1)
    proposal = funds_votes.propose(fund, residents[0], "آسفالت کوچه", "چاله‌ها", amount, "پیمانکار", "p", now=start)
    for voter in residents:
        funds_votes.cast_vote(proposal, voter, "yes", now=start + datetime.timedelta(hours=1))
    funds_votes.close_due(fund)
    return models.FundProposal.get_by_id(proposal.id)


def test_fifty_approvals_at_once_never_take_the_fund_below_zero(server, people, places):
    fund, trustees = make_fund(places["Tajrish"], people["admin"], trustee_count=4)
    residents = [person(f"0938100{i:04d}", f"ساکن {i}", neighborhood=places["Tajrish"]) for i in range(2)]
    for resident in residents:
        funds.confirm_resident(fund, resident, trustees[0], "trustee")
    funds.record_contribution(fund, trustees[0], 2_000_000, "cash", "k", name="نیکوکار")  # pays 20 of the 50
    proposal = passed_proposal(fund, residents, 5_000_000)
    expenses = []
    for i in range(50):
        expense = funds_votes.submit_expense(
            proposal, trustees[0], 100_000, "فروشگاه", f"قلم {i}", PNG, files.write, uuid.uuid4().hex
        )
        funds_votes.approve_expense(expense, trustees[1])
        expenses.append(expense)
    desk = f"/funds/{fund.id}/desk"
    approvers = [Member(server, trustees[2], desk), Member(server, trustees[3], desk)]

    def approve(pair):
        index, expense = pair
        member = approvers[index % 2]
        return member.post(f"/funds/expenses/{expense.id}/approve", {"csrf_token": member.csrf})

    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(approve, enumerate(expenses)))
    assert statuses.count(302) == 20 and statuses.count(422) == 30, statuses
    fund = models.Fund.get_by_id(fund.id)
    assert fund.balance == 0 == funds.ledger_balance(fund)
    assert funds.verify_ledger() == []
    paid = models.FundExpense.select().where(models.FundExpense.status == "paid").count()
    assert paid == 20 == models.FundEntry.select().where(models.FundEntry.kind == "expense").count()


def test_twenty_votes_at_once_by_one_member_count_once(server, people, places):
    fund, trustees = make_fund(places["Tajrish"], people["admin"])
    voter = person("09381009999", "رأی‌دهنده", neighborhood=places["Tajrish"])
    funds.confirm_resident(fund, voter, trustees[0], "trustee")
    proposal = funds_votes.propose(fund, voter, "چراغ کوچه", "کوچه تاریک است", 1_000_000, "برقکار", "v")
    page = f"/funds/proposals/{proposal.id}"
    member = Member(server, voter, page)

    def vote(index):
        return member.post(f"{page}/vote", {"csrf_token": member.csrf, "choice": ("yes", "no")[index % 2]})

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(vote, range(20)))
    assert statuses == [302] * 20
    votes = list(models.FundVote.select().where(models.FundVote.proposal == proposal))
    assert len(votes) == 1 and votes[0].voter_id == voter.id
    assert sum(funds_votes.count_votes(proposal)) == 1
