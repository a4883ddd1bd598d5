"""A local development fund's whole cycle in Chromium at 360 px with
JavaScript off: contributions at the trustees' desk, a neighbor's proposal,
votes from three residents (one on a paper ballot that two trustees enter),
the expense with its receipt approved by two other trustees, and the public
page and monthly PDF that show it."""

import datetime
import re
import struct
import subprocess
import zlib

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import funds_votes
from tests.browser.test_board import switch_to
from tests.factories import fund as make_fund
from tests.factories import person

pytestmark = pytest.mark.browser


def small_png():
    """A real 8×8 grey PNG, as a phone's photo of a receipt would be (smaller)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_whole_cycle_without_javascript(site_without_js, people, places, tmp_path):
    site = site_without_js
    fund, trustees = make_fund(places["Tajrish"], people["admin"], quorum=3)
    residents = [person(f"0939200{i:04d}", f"همسایه {i}", neighborhood=places["Tajrish"]) for i in range(3)]

    # Two contributions at the trustees' desk, one anonymous.
    site.sign_in(trustees[0].phone)
    site.visit(f"/funds/{fund.id}/desk")
    desk_form = f"/funds/{fund.id}/contributions"
    site.fill("amount", "پنج")
    site.submit(desk_form)
    assert site.page.get_attribute("#f-amount", "aria-invalid") == "true"
    site.fill("amount", "۶٬۰۰۰٬۰۰۰")
    site.page.check("input[name=method][value=cash]")
    site.fill("contributor", "مهدی کاظمی")
    site.submit(desk_form)
    assert "۶٬۰۰۰٬۰۰۰" in site.text()
    site.fill("amount", "2,000,000")
    site.page.check("input[name=method][value=bank]")
    site.page.check("input[name=anonymous]")
    site.submit(desk_form)
    assert "۸٬۰۰۰٬۰۰۰ ریال" in site.text()

    # The trustee confirms the three residents, whom they know in person, on the fund's voter roll.
    roll = f"/funds/{fund.id}/roll"
    site.visit(f"/funds/{fund.id}")
    site.follow(roll)
    for resident in residents:
        site.fill("q", persian.to_persian_digits(resident.phone))
        with site.page.expect_navigation():
            site.page.click("form[role=search] button[type=submit]")
        site.check()
        assert resident.phone not in site.text()  # masked: 0939***0001
        site.submit(roll)
        assert f"{resident.name} در فهرست رأی‌دهندگان صندوق است" in site.text()
    assert models.FundResident.select().where(models.FundResident.how == "trustee").count() == 3

    # A neighbor proposes, and votes.
    switch_to(site, residents[0].phone)
    site.visit(f"/funds/{fund.id}")
    site.follow(f"/funds/{fund.id}/proposals/new")
    site.fill("title", "سایه‌بان ایستگاه اتوبوس")
    site.fill("reason", "سالمندان زیر آفتاب منتظر اتوبوس می‌مانند.")
    site.fill("amount", "۵٬۰۰۰٬۰۰۰")
    site.fill("doer", "کارگاه آهنگری محله")
    site.submit(f"/funds/{fund.id}/proposals/new")
    proposal = models.FundProposal.get()
    vote_form = f"/funds/proposals/{proposal.id}/vote"
    site.page.check("input[name=choice][value=yes]")
    site.submit(vote_form)
    assert "رأی شما: بله" in site.text()
    switch_to(site, residents[1].phone)
    site.visit(f"/funds/proposals/{proposal.id}")
    site.page.check("input[name=choice][value=yes]")
    site.submit(vote_form)
    assert "بله، ۲" not in site.text()  # the totals stay secret until the close

    # The third votes on paper at the center: one trustee enters it, a second confirms.
    switch_to(site, trustees[0].phone)
    site.visit(f"/funds/proposals/{proposal.id}")
    site.fill("phone", persian.to_persian_digits(residents[2].phone))
    site.page.check("input[name=ballot_choice][value=yes]")
    site.submit(f"/funds/proposals/{proposal.id}/paper")
    ballot = models.FundVote.get(models.FundVote.voter == residents[2])
    switch_to(site, trustees[1].phone)
    site.visit(f"/funds/proposals/{proposal.id}")
    site.submit(f"/funds/ballots/{ballot.id}/confirm")

    # The voting period ends (seven days later).
    past = models.utcnow() - datetime.timedelta(minutes=1)
    models.FundProposal.update(voting_ends_at=past).where(models.FundProposal.id == proposal.id).execute()
    funds_votes.close_all_due()  # the worker's periodic task
    site.visit(f"/funds/proposals/{proposal.id}")
    assert "تصویب شد: ۳ بله، ۰ نه." in site.text()

    # The expense, with its receipt, approved by the two other trustees.
    switch_to(site, trustees[0].phone)
    site.visit(f"/funds/proposals/{proposal.id}")
    site.follow(f"/funds/proposals/{proposal.id}/expenses/new")
    site.fill("amount", "۴٬۵۰۰٬۰۰۰")
    site.fill("payee", "کارگاه آهنگری محله")
    site.fill("description", "سایه‌بان فلزی")
    (tmp_path / "receipt.png").write_bytes(small_png())
    site.page.set_input_files("#f-receipt", str(tmp_path / "receipt.png"))
    site.submit(f"/funds/proposals/{proposal.id}/expenses/new")
    expense = models.FundExpense.get()
    for trustee in trustees[1:3]:
        switch_to(site, trustee.phone)
        site.visit(f"/funds/{fund.id}/desk")
        site.submit(f"/funds/expenses/{expense.id}/approve")
    assert models.FundExpense.get_by_id(expense.id).status == "paid"

    # The public page and the monthly report show it, to anyone.
    site.page.context.clear_cookies()
    site.visit(f"/funds/{fund.id}")
    text = site.text()
    assert "۳٬۵۰۰٬۰۰۰ ریال (۳۵۰٬۰۰۰ تومان)" in text and "سایه‌بان فلزی" in text and "مهدی ک." in text
    assert "کاظمی" not in text
    site.screenshot("funds-fa-nojs")
    month = persian.jalali_month()
    report = site.page.request.get(f"/funds/{fund.id}/report/{month.year}-{month.month:02d}.pdf")
    assert report.ok and report.headers["content-type"] == "application/pdf"
    (tmp_path / "report.pdf").write_bytes(report.body())
    pdf_text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True).stdout
    # pdftotext drops the half-space and marks runs with bidi controls (docs: TOOLING.md).
    pdf_text = re.sub("[\u200c\u202a-\u202e]", "", pdf_text)
    assert "۳٬۵۰۰٬۰۰۰" in pdf_text and "سایهبان فلزی" in pdf_text
    assert "۴٬۵۰۰٬۰۰۰" in pdf_text and "کاظمی" not in pdf_text
