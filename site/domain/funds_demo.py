"""The demo's local development fund: Niavaran's, in Tehran, with its three
trustees, contributions in cash and by bank, a proposal that passed and was
spent on (with a real PDF invoice as its receipt), and one that failed. Made
through the fund's own operations; seeding twice adds nothing."""

import datetime
import zlib

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, files, funds, funds_votes

DEMO_PIN = "2580"
FUND_KEY = "demo-fund-niavaran"
# Residents of Niavaran in the demo (DEMO_PEOPLE): they are the trustees.
TRUSTEE_PHONES = ("09120000001", "09120000002", "09120000005")
VOTERS = (("09120000171", "نسرین بهادری"), ("09120000172", "کاوه امیری"), ("09120000173", "لیلا صدری"))
CONTRIBUTIONS = (
    ("demo-fund-c1", 25_000_000, "cash", "خانوادهٔ شریفی", False),
    ("demo-fund-c2", 10_000_000, "bank", "داروخانهٔ نیاوران", False),
    ("demo-fund-c3", 5_000_000, "cash", "", True),
)


def invoice_pdf(lines):
    """A small, real one-page PDF invoice (Latin text in Helvetica): what a shop prints."""
    text = "BT /F1 14 Tf 50 780 Td 18 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    stream = zlib.compress(text.encode())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table)
    return bytes(out)


def _proposal(fund, proposer, form_key, title, reason, amount, doer, yes, no, start):
    proposal = funds_votes.propose(fund, proposer, title, reason, amount, doer, form_key, now=start)
    for voter, choice in [(v, "yes") for v in yes] + [(v, "no") for v in no]:
        if funds_votes.my_vote(proposal, voter) is None:
            funds_votes.cast_vote(proposal, voter, choice, now=start + datetime.timedelta(hours=2))
    return proposal


def seed():
    """The fund, once; how many ledger entries it holds."""
    existing = models.Fund.get_or_none(models.Fund.form_key == FUND_KEY)
    if existing is not None:
        return models.FundEntry.select().where(models.FundEntry.fund == existing).count()
    niavaran = (
        models.Area.select()
        .where(models.Area.kind == "neighborhood", models.Area.name == persian.normalize("نیاوران"))
        .first()
    )
    admin = models.User.by_phone("09120000007")
    trustees = [models.User.by_phone(phone) for phone in TRUSTEE_PHONES]
    if niavaran is None or admin is None or None in trustees:
        return 0
    voters = [
        models.User.by_phone(phone) or accounts.create_user(phone, name, DEMO_PIN, neighborhood=niavaran)
        for phone, name in VOTERS
    ]
    fund = funds.open_fund("صندوق توسعهٔ محلی نیاوران", [niavaran], trustees, admin, FUND_KEY, quorum=3)
    for voter in voters:  # confirmed in person by a trustee: on the fund's voter roll
        funds.confirm_resident(fund, voter, trustees[0], "trustee")
    for form_key, amount, method, name, anonymous in CONTRIBUTIONS:
        funds.record_contribution(
            fund, trustees[0], amount, method, None, name=name, anonymous=anonymous, form_key=form_key
        )
    start = models.utcnow() - datetime.timedelta(days=fund.voting_days + 1)
    benches = _proposal(
        fund,
        voters[0],
        "demo-fund-p1",
        "نیمکت و سایه‌بان برای پارک محله",
        "سالمندان محله جایی برای نشستن در پارک ندارند.",
        18_000_000,
        "کارگاه نجاری محله",
        yes=voters + trustees[1:2],
        no=[],
        start=start,
    )
    _proposal(
        fund,
        voters[1],
        "demo-fund-p2",
        "نقاشی دیوار مدرسه",
        "دیوار مدرسه رنگ‌ورورفته است.",
        30_000_000,
        "گروه هنری جوانان",
        yes=voters[1:2],
        no=[voters[2]],
        start=start,
    )
    funds_votes.close_due(fund)
    benches = models.FundProposal.get_by_id(benches.id)
    if benches.status == "passed":
        receipt = invoice_pdf(
            ["Niavaran carpentry workshop", "Invoice 1405-118", "2 park benches with shade", "Total: 15,000,000 IRR"]
        )
        expense = funds_votes.submit_expense(
            benches,
            trustees[0],
            15_000_000,
            "کارگاه نجاری محله",
            "دو نیمکت با سایه‌بان",
            receipt,
            files.write,
            "demo-fund-e1",
        )
        for trustee in trustees[1:3]:
            if models.FundExpense.get_by_id(expense.id).status == "pending":
                funds_votes.approve_expense(expense, trustee)
    return models.FundEntry.select().where(models.FundEntry.fund == fund).count()
