"""Local development funds (issue 17): the ledger that never goes below zero
and is never edited, proposals and votes (one member, one vote, secret until
the close), paper ballots by two trustees, expenses with receipts approved by
other trustees, the public page, report and CSV, and receipts checked by QR."""

import datetime
import io
import re
import subprocess
import uuid

import peewee
import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, files, funds, funds_votes
from hamsayeh.domain.funds import FundError
from hamsayeh.web import tasks
from tests.conftest import CSRF_PATTERN, sign_in
from tests.factories import fund as make_fund
from tests.factories import person, read_qr
from tests.pages import check_page

KEY = "test-secret-key"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def setup(people, places):
    """A fund of Tajrish with three trustees (two approvals, a quorum of two),
    and three residents of Tajrish; one resident of Bazaar."""
    fund, trustees = make_fund(places["Tajrish"], people["admin"])
    residents = [person(f"0936100{i:04d}", f"ساکن {i}", neighborhood=places["Tajrish"]) for i in range(3)]
    for resident in residents:
        funds.confirm_resident(fund, resident, trustees[0], "trustee")
    outsider = person("09361009999", "ساکن بازار", neighborhood=places["Bazaar"])
    return fund, trustees, residents, outsider


def token(client, page):
    return CSRF_PATTERN.search(client.get(page).get_data(as_text=True)).group(1)


def post(client, page, action, data, **kwargs):
    return client.post(action, data={"csrf_token": token(client, page), **data}, **kwargs)


def contribute(fund, trustee, amount, name="مریم احمدی"):
    return funds.record_contribution(fund, trustee, amount, "cash", KEY, name=name, form_key=uuid.uuid4().hex)


def passed_proposal(fund, proposer, voters, amount=3_000_000):
    """A proposal voted for by `voters` and closed: passed when they are a quorum."""
    start = models.utcnow() - datetime.timedelta(days=fund.voting_days, hours=1)
    proposal = funds_votes.propose(
        fund, proposer, "نیمکت پارک", "برای سالمندان محله", amount, "شهرداری", uuid.uuid4().hex, now=start
    )
    for voter in voters:
        funds_votes.cast_vote(proposal, voter, "yes", now=start + datetime.timedelta(hours=1))
    funds_votes.close_due(fund)
    return models.FundProposal.get_by_id(proposal.id)


def store(name, data):
    files.write(name, data)


# --- Amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "rials"),
    [
        ("۵٬۰۰۰٬۰۰۰", 5_000_000),
        ("5,000,000", 5_000_000),
        ("5000000", 5_000_000),
        ("٥٠٠٠", 5000),
        ("۱.۲۵۰.۰۰۰", 1_250_000),
        ("۲ ۰۰۰", 2000),
        ("-5000", None),
        ("5.5", None),
        ("پنج", None),
        ("9" * 14, None),
        ("1e6", None),
    ],
)
def test_amounts_in_any_digits_with_or_without_separators(typed, rials):
    assert funds_votes.read_amount(typed) == rials


# --- The ledger ------------------------------------------------------------------------------


def test_balance_follows_the_ledger_and_never_goes_below_zero(setup):
    fund, trustees, _residents, _outsider = setup
    contribute(fund, trustees[0], 2_000_000)
    funds.record_entry(fund, trustees[1], "transfer_in", 500_000, "از صندوق منطقه")
    with pytest.raises(FundError) as refused:
        funds.record_entry(fund, trustees[1], "refund", 3_000_000, "بازپرداخت")
    assert refused.value.reason == "balance"
    funds.record_entry(fund, trustees[1], "refund", 500_000, "بازپرداخت")
    fund = models.Fund.get_by_id(fund.id)
    assert fund.balance == funds.ledger_balance(fund) == 2_000_000
    assert funds.verify_ledger() == []
    # The database itself refuses a negative balance, whatever the code does.
    with pytest.raises(peewee.IntegrityError), models.db.atomic():
        models.Fund.update(balance=-1).where(models.Fund.id == fund.id).execute()


@pytest.mark.parametrize("amount", [0, -5, 10**13, 2.5, "1000"])
def test_absurd_amounts_write_nothing(setup, amount):
    fund, trustees, _residents, _outsider = setup
    with pytest.raises(FundError):
        funds.record_contribution(fund, trustees[0], amount, "cash", KEY, name="کسی")
    assert models.FundEntry.select().count() == 0


def test_entries_are_never_changed_or_deleted(setup):
    fund, trustees, _residents, _outsider = setup
    entry = contribute(fund, trustees[0], 1_000_000)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete_instance()
    # Past the code, straight to the database: the trigger refuses it.
    with pytest.raises(peewee.DatabaseError), models.db.atomic():
        models.FundEntry.update(amount=1).where(models.FundEntry.id == entry.id).execute()
    assert models.FundEntry.get_by_id(entry.id).amount == 1_000_000


def test_a_correction_points_to_what_it_corrects_once(setup):
    fund, trustees, _residents, _outsider = setup
    wrong = contribute(fund, trustees[0], 9_000_000)
    fix = funds.correct_entry(wrong, trustees[1], "مبلغ اشتباه وارد شد")
    assert (fix.kind, fix.corrects_id, fix.source, fix.target) == ("correction", wrong.id, "fund", "contributors")
    with pytest.raises(FundError):
        funds.correct_entry(wrong, trustees[2], "دوباره")
    with pytest.raises(FundError):
        funds.correct_entry(fix, trustees[2], "اصلاح اصلاح")
    assert models.Fund.get_by_id(fund.id).balance == 0 == funds.ledger_balance(fund)


def test_a_double_submit_records_once(setup):
    fund, trustees, _residents, _outsider = setup
    key = uuid.uuid4().hex
    first = funds.record_contribution(fund, trustees[0], 700_000, "bank", KEY, name="علی", form_key=key)
    again = funds.record_contribution(fund, trustees[0], 700_000, "bank", KEY, name="علی", form_key=key)
    assert first.id == again.id and models.Fund.get_by_id(fund.id).balance == 700_000


# --- Votes -------------------------------------------------------------------------------------


def test_one_member_one_vote_changed_until_the_close_and_secret(client, setup):
    fund, _trustees, residents, _outsider = setup
    proposal = funds_votes.propose(fund, residents[0], "روشنایی کوچه", "کوچه تاریک است", 2_000_000, "برقکار", "k1")
    page = f"/funds/proposals/{proposal.id}"
    sign_in(client, residents[1].phone)
    assert post(client, page, f"{page}/vote", {"choice": "no"}).status_code == 302
    assert post(client, page, f"{page}/vote", {"choice": "yes"}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "رأی شما: بله" in html or "Your vote" in html
    votes = list(models.FundVote.select().where(models.FundVote.proposal == proposal))
    assert [(v.voter_id, v.choice) for v in votes] == [(residents[1].id, "yes")]
    # Another neighbor sees no totals and no choices while voting is open.
    client.get("/account/sign-out")
    sign_in(client, residents[2].phone)
    html = check_page(client.get(page))
    assert "بله، ۱" not in html and residents[1].name not in html
    bad = post(client, page, f"{page}/vote", {"choice": "maybe"})
    assert bad.status_code == 422 and "بله یا نه" in bad.get_data(as_text=True)


def test_results_follow_quorum_and_majority_and_people_hear(setup):
    fund, _trustees, residents, _outsider = setup
    passed = passed_proposal(fund, residents[0], residents[1:3])
    assert (passed.status, passed.yes_votes, passed.no_votes) == ("passed", 2, 0)
    short = passed_proposal(fund, residents[0], residents[1:2])
    assert short.status == "failed"  # one vote is short of the quorum of two
    told = models.Notification.select().where(models.Notification.kind == "fund_passed")
    assert {n.user_id for n in told} == {residents[0].id, residents[1].id, residents[2].id}
    with pytest.raises(FundError) as closed:
        funds_votes.cast_vote(passed, residents[0], "no")
    assert closed.value.reason == "closed"


def test_paper_ballots_need_two_trustees_and_never_double_a_vote(setup):
    fund, trustees, residents, _outsider = setup
    proposal = funds_votes.propose(fund, residents[0], "کلاس خیاطی", "برای زنان سرپرست خانوار", 1_000_000, "مرکز", "k2")
    ballot = funds_votes.enter_paper_ballot(proposal, trustees[0], residents[1], "yes")
    assert funds_votes.count_votes(proposal) == (0, 0)  # not counted until a second trustee confirms
    with pytest.raises(FundError):
        funds_votes.confirm_paper_ballot(ballot, trustees[0])
    funds_votes.confirm_paper_ballot(ballot, trustees[1])
    assert funds_votes.count_votes(proposal) == (1, 0)
    # The voter cannot vote again online, nor on a second paper.
    with pytest.raises(FundError) as online:
        funds_votes.cast_vote(proposal, residents[1], "no")
    assert online.value.reason == "paper"
    with pytest.raises(FundError):
        funds_votes.enter_paper_ballot(proposal, trustees[2], residents[1], "no")
    # Someone who voted online gets no paper ballot.
    funds_votes.cast_vote(proposal, residents[2], "no")
    with pytest.raises(FundError):
        funds_votes.enter_paper_ballot(proposal, trustees[0], residents[2], "yes")
    assert funds_votes.count_votes(proposal) == (1, 1)


# --- Expenses -----------------------------------------------------------------------------------


def test_an_expense_is_paid_after_two_other_trustees_approve(setup):
    fund, trustees, residents, _outsider = setup
    contribute(fund, trustees[0], 5_000_000)
    proposal = passed_proposal(fund, residents[0], residents[1:3])
    expense = funds_votes.submit_expense(proposal, trustees[0], 2_500_000, "نجاری", "نیمکت", PNG, store, "e1")
    with pytest.raises(FundError) as own:
        funds_votes.approve_expense(expense, trustees[0])
    assert own.value.reason == "own"
    assert funds_votes.approve_expense(expense, trustees[1]).status == "pending"
    with pytest.raises(FundError):
        funds_votes.approve_expense(expense, trustees[1])
    assert funds_votes.approve_expense(expense, trustees[2]).status == "paid"
    fund = models.Fund.get_by_id(fund.id)
    assert fund.balance == 2_500_000 == funds.ledger_balance(fund)
    assert funds_votes.spent(proposal) == 2_500_000
    with pytest.raises(FundError) as beyond:
        funds_votes.submit_expense(proposal, trustees[1], 600_000, "نجاری", "رنگ", PDF, store, "e2")
    assert beyond.value.reason == "beyond"


def test_an_expense_the_fund_cannot_pay_is_refused_and_its_approval_not_kept(setup):
    fund, trustees, residents, _outsider = setup
    contribute(fund, trustees[0], 1_000_000)
    proposal = passed_proposal(fund, residents[0], residents[1:3])
    expense = funds_votes.submit_expense(proposal, trustees[0], 2_000_000, "نجاری", "نیمکت", PNG, store, "e3")
    funds_votes.approve_expense(expense, trustees[1])
    with pytest.raises(FundError) as short:
        funds_votes.approve_expense(expense, trustees[2])
    assert short.value.reason == "balance"
    assert funds_votes.approvers(expense) == [trustees[1]]
    assert models.Fund.get_by_id(fund.id).balance == 1_000_000


def test_a_failed_proposal_spends_nothing(setup):
    fund, trustees, residents, _outsider = setup
    contribute(fund, trustees[0], 1_000_000)
    failed = passed_proposal(fund, residents[0], [])
    with pytest.raises(FundError) as voting:
        funds_votes.submit_expense(failed, trustees[0], 100_000, "کسی", "چیزی", PNG, store, "e4")
    assert voting.value.reason == "voting"


def test_a_receipt_that_is_not_an_image_or_pdf_is_refused_and_nothing_written(client, setup):
    fund, trustees, residents, _outsider = setup
    proposal = passed_proposal(fund, residents[0], residents[1:3])
    sign_in(client, trustees[0].phone)
    page = f"/funds/proposals/{proposal.id}/expenses/new"
    html_file = (io.BytesIO(b"<html><script>alert(1)</script></html>"), "receipt.png", "image/png")
    data = {"amount": "۱٬۰۰۰٬۰۰۰", "payee": "نجاری", "description": "نیمکت", "form_key": "x1", "receipt": html_file}
    response = post(client, page, page, data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "PNG" in html and 'aria-describedby="f-receipt' in html
    assert models.FundExpense.select().count() == 0 and models.StoredFile.select().count() == 0
    good = {**data, "receipt": (io.BytesIO(PNG), "r.png", "image/png"), "form_key": "x2"}
    assert post(client, page, page, good, content_type="multipart/form-data").status_code == 302
    expense = models.FundExpense.get()
    assert expense.amount == 1_000_000 and expense.receipt_type == "image/png"
    served = client.get(f"/funds/expenses/{expense.id}/receipt")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_bad_input_gets_a_persian_message_beside_the_field(client, setup):
    fund, trustees, _residents, _outsider = setup
    sign_in(client, trustees[0].phone)
    page = f"/funds/{fund.id}/desk"
    for typed in ("-5000", "پنج هزار", "99999999999999", ""):
        response = post(
            client, page, f"/funds/{fund.id}/contributions", {"amount": typed, "method": "cash", "contributor": "علی"}
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'id="f-amount-error"' in html and "ریال" in html
    assert models.FundEntry.select().count() == 0
    response = post(
        client,
        page,
        f"/funds/{fund.id}/contributions",
        {"amount": "۲٬۰۰۰٬۰۰۰", "method": "cash", "contributor": "علی رضایی"},
    )
    assert response.status_code == 302
    assert models.Fund.get_by_id(fund.id).balance == 2_000_000


# --- Who may do what ----------------------------------------------------------------------------


def test_only_trustees_record_money(client, setup, people):
    fund, _trustees, residents, _outsider = setup
    for wrong in (residents[0], people["admin"], people["facilitator"], people["center_staff"]):
        sign_in(client, wrong.phone)
        assert client.get(f"/funds/{fund.id}/desk").status_code == 403
        data = {
            "csrf_token": token(client, f"/funds/{fund.id}"),
            "amount": "1000",
            "method": "cash",
            "contributor": "x",
        }
        assert client.post(f"/funds/{fund.id}/contributions", data=data).status_code == 403
        assert client.post(f"/funds/{fund.id}/entries", data={**data, "kind": "refund"}).status_code == 403
        client.get("/account/sign-out")
    assert models.FundEntry.select().count() == 0


def test_only_residents_of_the_area_vote_and_only_for_themselves(client, setup, people):
    fund, _trustees, residents, outsider = setup
    proposal = funds_votes.propose(fund, residents[0], "روشنایی", "کوچه تاریک است", 2_000_000, "برقکار", "k3")
    page = f"/funds/proposals/{proposal.id}"
    sign_in(client, outsider.phone)
    assert post(client, page, f"{page}/vote", {"choice": "yes"}).status_code == 403
    client.get("/account/sign-out")
    # A guest is sent to sign in; a resident votes only as themself (no voter field is read).
    assert client.post(f"{page}/vote", data={"choice": "yes"}).status_code in (302, 400)
    sign_in(client, people["center_staff"].phone)
    data = {"choice": "yes", "voter": residents[1].id, "phone": residents[1].phone}
    post(client, page, f"{page}/vote", data)
    votes = list(models.FundVote.select())
    assert all(v.voter_id == people["center_staff"].id for v in votes)
    # Staff enter paper ballots only when they are the fund's trustees.
    assert post(client, page, f"{page}/paper", {"phone": residents[1].phone, "ballot_choice": "yes"}).status_code == 403
    assert not models.FundVote.select().where(models.FundVote.voter == residents[1]).exists()


def test_only_trustees_approve_and_submit_expenses(client, setup, people):
    fund, trustees, residents, _outsider = setup
    contribute(fund, trustees[0], 5_000_000)
    proposal = passed_proposal(fund, residents[0], residents[1:3])
    expense = funds_votes.submit_expense(proposal, trustees[0], 1_000_000, "نجاری", "نیمکت", PNG, store, "e5")
    for wrong in (residents[0], people["admin"]):
        sign_in(client, wrong.phone)
        csrf = token(client, f"/funds/{fund.id}")
        assert client.post(f"/funds/expenses/{expense.id}/approve", data={"csrf_token": csrf}).status_code == 403
        assert client.get(f"/funds/proposals/{proposal.id}/expenses/new").status_code == 403
        client.get("/account/sign-out")
    assert models.FundApproval.select().count() == 0


def test_only_headquarters_or_the_facilitator_opens_a_fund(client, people, places):
    sign_in(client, people["resident"].phone)
    assert client.get("/funds/new").status_code == 403
    client.get("/account/sign-out")
    sign_in(client, people["facilitator"].phone)
    form = check_page(client.get("/funds/new"))
    assert f'<option value="{places["Tajrish"].id}"' in form and f'<option value="{places["Bazaar"].id}"' not in form
    trustees = [person(f"0937100{i:04d}", f"امین {i}", neighborhood=places["Tajrish"]) for i in range(3)]
    data = {
        "name": "صندوق تجریش",
        "area": str(places["Bazaar"].id),  # not one the facilitator serves
        "trustees": "\n".join(t.phone for t in trustees),
        "voting_days": "۷",
        "quorum": "3",
        "approvals": "2",
        "form_key": "f1",
    }
    assert post(client, "/funds/new", "/funds/new", data).status_code == 422
    response = post(client, "/funds/new", "/funds/new", {**data, "area": str(places["Tajrish"].id)})
    assert response.status_code == 302
    fund = models.Fund.get()
    assert {t.id for t in funds.trustees(fund)} == {t.id for t in trustees}


# --- Transparency -----------------------------------------------------------------------------------


def test_public_page_report_and_csv_mask_contributors(client, setup, tmp_path):
    fund, trustees, residents, _outsider = setup
    contribute(fund, trustees[0], 5_000_000, name="مریم احمدی")
    funds.record_contribution(fund, trustees[0], 1_000_000, "cash", KEY, anonymous=True, name="ناشناس")
    proposal = passed_proposal(fund, residents[0], residents[1:3])
    expense = funds_votes.submit_expense(proposal, trustees[0], 2_000_000, "نجاری رضا", "نیمکت", PNG, store, "e6")
    funds_votes.approve_expense(expense, trustees[1])
    funds_votes.approve_expense(expense, trustees[2])
    html = check_page(client.get(f"/funds/{fund.id}"))
    assert "۴٬۰۰۰٬۰۰۰ ریال" in html and "۴۰۰٬۰۰۰ تومان" in html
    assert "مریم ا." in html and "احمدی" not in html and "ناشناس" in html
    assert "نیمکت پارک" in html
    csv_text = client.get(f"/funds/{fund.id}/ledger.csv").get_data(as_text=True)
    assert "احمدی" not in csv_text and "5000000" in csv_text and "expense" in csv_text
    month = models.FundEntry.get().created_at
    chosen = persian.jalali_month(month)
    report = client.get(f"/funds/{fund.id}/report/{chosen.year}-{chosen.month:02d}.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(report.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    assert "۴٬۰۰۰٬۰۰۰" in text and "احمدی" not in text and "نیمکت" in text
    assert client.get(f"/funds/{fund.id}/report/1405-13.pdf").status_code == 404


def test_a_receipt_qr_opens_a_page_with_only_what_it_states(client, setup, tmp_path):
    fund, trustees, residents, _outsider = setup
    entry = funds.record_contribution(
        fund, trustees[0], 3_000_000, "cash", KEY, contributor=residents[0], name=residents[0].name
    )
    sign_in(client, residents[0].phone)  # the contributor prints their own receipt
    data = client.get(f"/funds/entries/{entry.id}/receipt.pdf").data
    url = read_qr(data, tmp_path)
    path = re.sub(r"^https?://[^/]+", "", url)
    client.get("/account/sign-out")
    html = check_page(client.get(path))
    named = persian.to_persian_digits(residents[0].name)
    assert "۳٬۰۰۰٬۰۰۰" in html and named in html and residents[0].phone not in html
    assert client.get(path[:-2] + "xx").status_code == 404
    sign_in(client, residents[1].phone)  # someone else cannot print it
    assert client.get(f"/funds/entries/{entry.id}/receipt.pdf").status_code == 403


def test_every_trustee_action_is_audited(setup):
    fund, trustees, residents, _outsider = setup
    entry = contribute(fund, trustees[0], 4_000_000)
    funds.correct_entry(entry, trustees[1], "اشتباه")
    contribute(fund, trustees[0], 4_000_000)
    proposal = funds_votes.propose(fund, residents[0], "کتابخانه", "برای بچه‌ها", 1_000_000, "مسجد", "k9")
    ballot = funds_votes.enter_paper_ballot(proposal, trustees[0], residents[1], "yes")
    funds_votes.confirm_paper_ballot(ballot, trustees[1])
    funds.record_entry(fund, trustees[2], "refund", 100_000, "بازپرداخت")
    passed = passed_proposal(fund, residents[0], residents[1:3])
    expense = funds_votes.submit_expense(passed, trustees[0], 1_000_000, "نجاری", "نیمکت", PNG, store, "e9")
    funds_votes.approve_expense(expense, trustees[1])
    funds_votes.approve_expense(expense, trustees[2])
    entries = models.AuditEntry.select().where(models.AuditEntry.subject == f"fund:{fund.id}")
    done = {(e.action, e.actor_id) for e in entries}
    assert {
        ("funds.open", fund.opened_by_id),
        ("funds.contribution", trustees[0].id),
        ("funds.correction", trustees[1].id),
        ("funds.paper_ballot", trustees[0].id),
        ("funds.paper_confirm", trustees[1].id),
        ("funds.refund", trustees[2].id),
        ("funds.expense", trustees[0].id),
        ("funds.approve", trustees[1].id),
        ("funds.approve", trustees[2].id),
        ("funds.pay", trustees[2].id),
    } <= done


def test_pages_pass_their_checks(client, setup):
    fund, trustees, residents, _outsider = setup
    contribute(fund, trustees[0], 5_000_000)
    proposal = passed_proposal(fund, residents[0], residents[1:3])
    check_page(client.get("/funds/"))
    check_page(client.get(f"/funds/proposals/{proposal.id}"))
    sign_in(client, trustees[0].phone)
    check_page(client.get(f"/funds/{fund.id}/desk"))
    check_page(client.get(f"/funds/proposals/{proposal.id}/expenses/new"))
    check_page(client.get(f"/funds/{fund.id}/proposals/new"))


def test_the_demo_has_a_tehran_fund_with_a_passed_and_a_failed_proposal_and_a_paid_receipt(client, db, tmp_path):
    from hamsayeh.domain import demo
    from tests.conftest import REGISTRY_KEY

    demo.seed(REGISTRY_KEY)
    counts = [model.select().count() for model in (models.Fund, models.FundEntry, models.FundVote, models.FundExpense)]
    demo.seed(REGISTRY_KEY)  # twice adds nothing
    assert [m.select().count() for m in (models.Fund, models.FundEntry, models.FundVote, models.FundExpense)] == counts
    fund = models.Fund.get(models.Fund.form_key == "demo-fund-niavaran")
    assert fund.area.name == "نیاوران" and len(funds.trustees(fund)) == 3
    assert sorted(p.status for p in funds_votes.proposals(fund)) == ["failed", "passed"]
    expense = models.FundExpense.get()
    assert expense.status == "paid" and expense.receipt_type == "application/pdf"
    assert fund.balance == funds.ledger_balance(fund) == 40_000_000 - 15_000_000
    served = client.get(f"/funds/expenses/{expense.id}/receipt")
    (tmp_path / "invoice.pdf").write_bytes(served.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "invoice.pdf"), "-"], capture_output=True, text=True).stdout
    assert "15,000,000 IRR" in text
    check_page(client.get(f"/funds/{fund.id}"))


def test_a_member_votes_at_the_centers_kiosk(client, setup, people, places):
    fund, _trustees, residents, _outsider = setup
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    sign_in(client, people["center_staff"].phone)
    page = f"/kiosk/centers/{center.id}"
    assert post(client, page, page, {"name": "پایانهٔ ورودی"}).status_code == 302
    proposal = funds_votes.propose(fund, residents[0], "روشنایی", "کوچه تاریک است", 2_000_000, "برقکار", "k4")
    sign_in(client, residents[1].phone)
    html = check_page(client.get(f"/funds/{fund.id}"), budget=8 * 1024)
    assert "/ledger.csv" not in html  # no link to a page the kiosk refuses
    page = f"/funds/proposals/{proposal.id}"
    check_page(client.get(page), budget=8 * 1024)
    assert post(client, page, f"{page}/vote", {"choice": "yes"}).status_code == 302
    assert models.FundVote.get().channel == "kiosk"
    assert client.get(f"/funds/{fund.id}/ledger.csv").status_code == 403


def test_the_neighborhood_page_and_a_members_home_link_the_fund(client, setup, places):
    fund, _trustees, residents, _outsider = setup
    link = f'href="/funds/{fund.id}"'
    assert link in check_page(client.get(f"/areas/{places['Tajrish'].id}"))
    assert link not in client.get(f"/areas/{places['Bazaar'].id}").get_data(as_text=True)
    sign_in(client, residents[0].phone)
    assert link in check_page(client.get("/"))


def test_staff_acting_for_a_neighbor_at_the_desk_cannot_vote_for_them(client, setup, people):
    fund, _trustees, residents, _outsider = setup
    proposal = funds_votes.propose(fund, residents[0], "روشنایی", "کوچه تاریک است", 2_000_000, "برقکار", "k5")
    sign_in(client, people["facilitator"].phone)  # the facilitator looks after Tajrish's neighbors
    assert post(client, "/account/", f"/account/act/{residents[1].id}", {}).status_code == 302
    page = f"/funds/proposals/{proposal.id}"
    assert 'name="choice"' not in client.get(page).get_data(as_text=True)
    assert post(client, page, f"{page}/vote", {"choice": "yes"}).status_code == 403
    assert models.FundVote.select().count() == 0


def test_a_facilitator_proposes_on_behalf_of_a_neighborhood_idea(client, setup, people, places):
    fund, _trustees, residents, _outsider = setup
    from hamsayeh.domain import facilitators, network

    idea = network.propose_idea(residents[0], places["Tajrish"], "کتابخانهٔ محله", "کتاب برای بچه‌ها", "", "i1")
    helper = person("09361008888", "تسهیل‌گر بازار", roles=("facilitator",), neighborhood=places["Bazaar"])
    facilitators.assign_facilitator(helper, places["Tajrish"], people["admin"])
    sign_in(client, helper.phone)
    assert f"/funds/{fund.id}/proposals/new?idea={idea.id}" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    page = f"/funds/{fund.id}/proposals/new"
    data = {"title": "کتابخانهٔ محله", "reason": "کتاب برای بچه‌های محله", "amount": "۳٬۰۰۰٬۰۰۰", "doer": "مسجد"}
    refused = post(client, page, page, {**data, "form_key": "p1"})  # on their own, they do not live here
    assert refused.status_code == 422 and "ساکنان" in refused.get_data(as_text=True)
    form = check_page(client.get(f"{page}?idea={idea.id}"))
    assert "کتابخانهٔ محله" in form
    assert post(client, page, page, {**data, "form_key": "p2", "idea": str(idea.id)}).status_code == 302
    proposal = models.FundProposal.get()
    assert (proposal.idea_id, proposal.proposer_id) == (idea.id, helper.id)


def test_neighbors_discuss_a_proposal_while_voting_is_open(client, setup):
    fund, _trustees, residents, outsider = setup
    proposal = funds_votes.propose(fund, residents[0], "روشنایی", "کوچه تاریک است", 2_000_000, "برقکار", "k6")
    page = f"/funds/proposals/{proposal.id}"
    sign_in(client, residents[1].phone)
    assert post(client, page, f"{page}/comments", {"text": "لامپ کم‌مصرف بگیرید", "form_key": "c1"}).status_code == 302
    assert post(client, page, f"{page}/comments", {"text": "لامپ کم‌مصرف بگیرید", "form_key": "c1"}).status_code == 302
    empty = post(client, page, f"{page}/comments", {"text": "", "form_key": "c2"})
    assert empty.status_code == 422 and 'id="f-text-error"' in empty.get_data(as_text=True)
    assert models.FundComment.select().count() == 1
    client.get("/account/sign-out")
    html = check_page(client.get(page))
    assert "لامپ کم‌مصرف بگیرید" in html and "ساکن" in html
    sign_in(client, outsider.phone)
    assert post(client, page, f"{page}/comments", {"text": "من هم", "form_key": "c3"}).status_code == 403


def test_an_unknown_fund_proposal_or_expense_is_not_found(client, setup):
    _fund, trustees, residents, _outsider = setup
    sign_in(client, residents[0].phone)
    csrf = token(client, "/funds/")
    assert client.get("/funds/9999").status_code == 404
    assert client.get("/funds/proposals/9999").status_code == 404
    assert client.post("/funds/proposals/9999/vote", data={"csrf_token": csrf, "choice": "yes"}).status_code == 404
    assert client.get("/funds/9999/report/1405-09.pdf").status_code == 404
    client.get("/account/sign-out")
    sign_in(client, trustees[0].phone)
    csrf = token(client, "/funds/")
    assert client.post("/funds/expenses/9999/approve", data={"csrf_token": csrf}).status_code == 404
    assert client.get("/funds/proposals/9999/expenses/new").status_code == 404
    assert models.FundVote.select().count() == 0


def test_reading_pages_after_the_close_writes_nothing_and_the_worker_counts(client, setup):
    """No GET changes anything (ASVS V3.5.3): a proposal past its period is
    counted by the worker's periodic task, and its people hear of it even when
    nobody opens a page."""
    fund, trustees, residents, _outsider = setup
    start = models.utcnow() - datetime.timedelta(days=fund.voting_days, hours=1)
    proposal = funds_votes.propose(
        fund, residents[0], "نیمکت پارک", "برای سالمندان", 1_000_000, "شهرداری", "k", now=start
    )
    for voter in residents[1:3]:
        funds_votes.cast_vote(proposal, voter, "yes", now=start + datetime.timedelta(hours=1))
    sign_in(client, trustees[0].phone)
    for page in (
        f"/funds/{fund.id}",
        f"/funds/proposals/{proposal.id}",
        f"/funds/{fund.id}/ledger.csv",
        f"/funds/{fund.id}/desk",
        f"/funds/proposals/{proposal.id}/expenses/new",
    ):
        assert client.get(page).status_code == 200
    assert models.FundProposal.get_by_id(proposal.id).status == "voting"
    assert not models.Notification.select().where(models.Notification.kind.startswith("fund_")).exists()
    assert "در حال شمارش" in client.get(f"/funds/proposals/{proposal.id}").get_data(as_text=True)

    assert "fund_votes" in [task.__name__ for task in tasks.huey._registry._periodic_tasks]
    assert tasks._fund_votes() == 1  # what the worker runs every minute
    assert models.FundProposal.get_by_id(proposal.id).status == "passed"
    told = models.Notification.select().where(models.Notification.kind == "fund_passed")
    assert {n.user_id for n in told} == {r.id for r in residents}
    assert funds_votes.close_all_due() == 0


def test_staff_acting_for_a_neighbor_never_see_their_secret_vote(app, client, setup, people):
    fund, _trustees, residents, _outsider = setup
    proposal = funds_votes.propose(fund, residents[0], "روشنایی", "کوچه تاریک است", 2_000_000, "برقکار", "k6")
    funds_votes.cast_vote(proposal, residents[1], "no")
    page = f"/funds/proposals/{proposal.id}"
    member = app.test_client()
    sign_in(member, residents[1].phone)
    assert "رأی شما: نه." in member.get(page).get_data(as_text=True)  # the member sees their own
    sign_in(client, people["facilitator"].phone)
    assert post(client, "/account/", f"/account/act/{residents[1].id}", {}).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "رأی شما" not in html and "نه." not in html


def test_a_corrected_expense_frees_its_part_of_the_proposal(setup):
    """A paid expense entered wrongly is corrected (the money comes back); the
    right expense can then be spent against the proposal, and no more."""
    fund, trustees, residents, _outsider = setup
    contribute(fund, trustees[0], 5_000_000)
    proposal = passed_proposal(fund, residents[0], residents[1:3])
    wrong = funds_votes.submit_expense(proposal, trustees[0], 3_000_000, "نجاری", "نیمکت", PNG, store, "w1")
    funds_votes.approve_expense(wrong, trustees[1])
    assert funds_votes.approve_expense(wrong, trustees[2]).status == "paid"
    paid = models.FundEntry.get(models.FundEntry.expense == wrong)
    funds.correct_entry(paid, trustees[1], "فاکتور اشتباه بود")
    assert funds_votes.spent(proposal) == 0
    right = funds_votes.submit_expense(proposal, trustees[0], 2_800_000, "نجاری", "نیمکت", PNG, store, "w2")
    funds_votes.approve_expense(right, trustees[1])
    assert funds_votes.approve_expense(right, trustees[2]).status == "paid"
    with pytest.raises(FundError) as beyond:
        funds_votes.submit_expense(proposal, trustees[0], 300_000, "نجاری", "رنگ", PNG, store, "w3")
    assert beyond.value.reason == "beyond"
    fund = models.Fund.get_by_id(fund.id)
    assert fund.balance == 2_200_000 == funds.ledger_balance(fund)


# --- The voter roll: choosing a neighborhood is not living there ------------------------------


def test_choosing_the_neighborhood_does_not_let_a_member_vote_propose_or_comment(client, setup, places):
    """The reviewer's attack: a member of Bazaar chooses Tajrish for themself
    with one POST and tries to vote, propose and comment on Tajrish's fund."""
    fund, trustees, residents, outsider = setup
    proposal = funds_votes.propose(fund, residents[0], "روشنایی", "کوچه تاریک است", 2_000_000, "برقکار", "k-att")
    page = f"/funds/proposals/{proposal.id}"
    sign_in(client, outsider.phone)
    tajrish = places["Tajrish"]
    post(client, f"/areas/{tajrish.id}", f"/areas/{tajrish.id}/choose", {})
    outsider = models.User.get_by_id(outsider.id)
    assert outsider.neighborhood_id == tajrish.id and not funds.is_resident(outsider, fund)
    html = check_page(client.get(page))
    assert 'name="choice"' not in html and "فهرست رأی‌دهندگان" in html and "امینان" in html
    assert post(client, page, f"{page}/vote", {"choice": "yes"}).status_code == 403
    assert post(client, page, f"{page}/comments", {"text": "موافقم", "form_key": "c-att"}).status_code == 403
    new = f"/funds/{fund.id}/proposals/new"
    data = {"title": "پارک", "reason": "برای بچه‌های محله", "amount": "1000000", "doer": "شهرداری", "form_key": "p-att"}
    refused = post(client, new, new, data)
    assert refused.status_code == 422 and "فهرست رأی‌دهندگان" in refused.get_data(as_text=True)
    with pytest.raises(FundError):
        funds_votes.cast_vote(proposal, outsider, "yes")
    assert models.FundVote.select().count() == models.FundComment.select().count() == 0
    assert models.FundProposal.select().count() == 1

    # A trustee sees them in person and puts them on the roll: now they vote, propose and comment.
    sign_in(client, trustees[1].phone)
    roll = f"/funds/{fund.id}/roll"
    html = check_page(client.get(f"{roll}?q=بازار"))
    assert outsider.phone not in html and persian.to_persian_digits(persian.mask_phone(outsider.phone)) in html
    assert post(client, roll, roll, {"user": str(outsider.id)}).status_code == 302
    sign_in(client, outsider.phone)
    assert 'name="choice"' in check_page(client.get(page))
    assert post(client, page, f"{page}/vote", {"choice": "yes"}).status_code == 302
    assert post(client, page, f"{page}/comments", {"text": "موافقم", "form_key": "c-ok"}).status_code == 302
    assert post(client, new, new, data).status_code == 302
    assert models.FundProposal.select().count() == 2

    # They move back to Bazaar: the roll's row stays until removed, but they no longer vote.
    bazaar = places["Bazaar"]
    post(client, f"/areas/{bazaar.id}", f"/areas/{bazaar.id}/choose", {})
    assert post(client, page, f"{page}/vote", {"choice": "no"}).status_code == 403
    assert models.FundVote.get(models.FundVote.voter == outsider).choice == "yes"


def test_who_may_keep_the_roll(client, setup, people, places):
    """A trustee, the neighborhood's facilitator and its center's staff confirm;
    a resident, another fund's trustee and another center's staff are refused."""
    fund, _trustees, residents, _outsider = setup
    newcomer = person("09361007777", "تازه‌وارد", neighborhood=places["Tajrish"])
    other_fund, other_trustees = make_fund(places["Bazaar"], people["admin"], phone_prefix="0935200")
    center = models.Center.create(area=places["Tajrish"], name="مرکز تجریش")
    other_center = models.Center.create(area=places["Bazaar"], name="مرکز بازار")
    accounts.set_work_center(people["center_staff"], other_center, people["admin"])
    roll = f"/funds/{fund.id}/roll"
    for refused in (residents[0], other_trustees[0], people["center_staff"]):
        sign_in(client, refused.phone)
        assert client.get(roll).status_code == 403
        token_page = f"/funds/{other_fund.id}"
        assert post(client, token_page, roll, {"user": str(newcomer.id)}).status_code == 403
    assert not funds.is_on_roll(newcomer, fund)
    # The staff of Tajrish's center confirm (at the desk), as does the facilitator.
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    sign_in(client, people["center_staff"].phone)
    assert post(client, roll, roll, {"user": str(newcomer.id)}).status_code == 302
    assert models.FundResident.get(user=newcomer, fund=fund).how == "desk"
    sign_in(client, people["facilitator"].phone)
    page = check_page(client.get(roll))
    assert "تازه‌وارد" in page and "09361007777" not in page
    assert post(client, roll, f"{roll}/remove", {"user": str(newcomer.id)}).status_code == 302
    assert not funds.is_on_roll(newcomer, fund)
    assert post(client, roll, roll, {"user": str(newcomer.id)}).status_code == 302
    assert models.FundResident.get(user=newcomer, fund=fund).how == "facilitator"
    # Someone living elsewhere is not put on the roll, by anyone.
    stranger = person("09361006666", "غریبه", neighborhood=places["Bazaar"])
    assert post(client, roll, roll, {"user": str(stranger.id)}).status_code == 422
    assert not funds.is_on_roll(stranger, fund)
    actions = [e.action for e in models.AuditEntry.select().order_by(models.AuditEntry.id)]
    assert actions.count("funds.roll.add") >= 3 + 2 and "funds.roll.remove" in actions


def test_a_double_confirmation_adds_one_row_and_one_audit_entry(client, setup, places):
    fund, trustees, _residents, _outsider = setup
    newcomer = person("09361005555", "همسایهٔ تازه", neighborhood=places["Tajrish"])
    sign_in(client, trustees[0].phone)
    roll = f"/funds/{fund.id}/roll"
    csrf = token(client, roll)
    for _ in range(2):
        response = client.post(roll, data={"csrf_token": csrf, "user": str(newcomer.id)})
        assert response.status_code == 302
    rows = models.FundResident.select().where(models.FundResident.user == newcomer)
    assert rows.count() == 1 and rows.get().confirmed_by_id == trustees[0].id
    entries = models.AuditEntry.select().where(
        models.AuditEntry.action == "funds.roll.add", models.AuditEntry.subject == f"user:{newcomer.id}"
    )
    assert entries.count() == 1 and entries.get().actor_id == trustees[0].id


def test_a_paper_ballot_entered_by_two_trustees_puts_the_voter_on_the_roll(setup, places):
    fund, trustees, _residents, _outsider = setup
    voter = person("09361004444", "رأی کاغذی", neighborhood=places["Tajrish"])
    proposal = funds_votes.propose(fund, trustees[0], "سطل زباله", "کوچه کثیف است", 1_000_000, "شهرداری", "k-pb")
    ballot = funds_votes.enter_paper_ballot(proposal, trustees[0], voter, "yes")
    assert not funds.is_on_roll(voter, fund)
    funds_votes.confirm_paper_ballot(ballot, trustees[1])
    row = models.FundResident.get(user=voter, fund=fund)
    assert (row.how, row.confirmed_by_id) == ("paper_ballot", trustees[1].id)
    assert funds.is_resident(voter, fund)
