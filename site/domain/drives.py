"""Drives (پویش‌های نیکوکاری): named needs, each with its goal in rials (one
family's debt, a prisoner's release: told without naming the person), and
donors' (خیرین) pledges of money or goods toward the drive or a need. The
organizer records what came in against each pledge.

Money is an integer number of rials. The public sees, per need and in all,
what was pledged, what was received and what is still needed (the goal less
what was received), and a donor's name only when they agreed to show it.

A guest with a phone pledges once the number is confirmed by a one-time SMS
code (accounts.send_code, purpose "campaign"): the right code finds or makes the
number's account (as a guest asking for help does) and the pledge at once."""

import json
import re
from collections import namedtuple

from peewee import IntegrityError, fn

from hamsayeh import persian
from hamsayeh.domain import accounts, audit
from models import (
    DRIVE_AMOUNT_MAX,
    Campaign,
    DriveNeed,
    DrivePledge,
    OneTimeCode,
    PledgeReceipt,
    User,
    made_once,
    write_transaction,
)

PURPOSE = "campaign"
NEW_ACCOUNT_NAME = "همسایه"  # a guest donor's new account, as guests.NEW_ACCOUNT_NAME
PLEDGES_LISTED = 20
# Thousands separators people type: Latin and Persian commas, the Arabic
# thousands mark, dots, apostrophes and spaces (a half-space too).
SEPARATORS = re.compile(r"[,\u066c\u060c.'\s\u200c]")
GROUPED = re.compile(r"[0-9]{1,3}(?:[,.' ][0-9]{3})+|[0-9]+")


class DriveError(ValueError):
    """Why a drive refused: "kind" (not a drive), "closed" (not open),
    "need" (a need of another drive), "too_much" (more received than pledged)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def parse_rials(text):
    """An amount in rials typed in Persian, Arabic-Indic or Latin digits, with
    or without thousands separators ("۲٬۵۰۰٬۰۰۰", "2,500,000", "2500000"),
    as an int from 1 to DRIVE_AMOUNT_MAX; None for anything else (a fraction,
    a sign, letters, separators in the wrong places)."""
    raw = persian.to_latin_digits(str(text or "")).strip()
    raw = raw.replace("\u200c", "").replace("\u066c", ",").replace("\u060c", ",")
    # Past 24 characters no grouping of a trillion fits: no number worth reading.
    if not raw or len(raw) > 24 or not GROUPED.fullmatch(raw):
        return None
    value = int(SEPARATORS.sub("", raw))
    return value if 1 <= value <= DRIVE_AMOUNT_MAX else None


# --- Needs ---------------------------------------------------------------------------


def needs_of(campaign):
    return list(DriveNeed.select().where(DriveNeed.campaign == campaign).order_by(DriveNeed.id))


def add_need(campaign, actor, form_key, title, goal, about=""):
    """A named need of a drive, made once per form."""
    if campaign.kind != "drive":
        raise DriveError("kind")

    def make():
        item = DriveNeed.create(
            campaign=campaign, title=title, about=about, goal=goal, created_by=actor, form_key=form_key
        )
        audit.record_audit("drive.need_added", actor=actor, subject=f"need:{item.id}")
        return item

    return made_once(DriveNeed, form_key, make)


# --- Pledges ----------------------------------------------------------------------------


def takes_pledges(campaign):
    """Whether the drive takes pledges now (asked before a guest's code is sent)."""
    return campaign.kind == "drive" and campaign.status == "open"


def _check_open(campaign, need):
    campaign = Campaign.get_by_id(campaign.id)
    if campaign.kind != "drive":
        raise DriveError("kind")
    if campaign.status != "open":
        raise DriveError("closed")
    if need is not None and need.campaign_id != campaign.id:
        raise DriveError("need")


def pledge(campaign, donor, form_key, kind, amount, need=None, goods="", public_name=""):
    """A member's pledge toward the drive or one of its needs, made once per
    form: a double submit finds the first. `public_name` is shown only when
    the donor agreed (empty: "a donor")."""
    _check_open(campaign, need)

    def make():
        item = DrivePledge.create(
            campaign=campaign,
            need=need,
            donor=donor,
            kind=kind,
            amount=amount,
            goods=goods if kind == "goods" else "",
            public_name=public_name,
            form_key=form_key,
        )
        audit.record_audit("drive.pledged", actor=donor, subject=f"pledge:{item.id}")
        return item

    return made_once(DrivePledge, form_key, make)


# A guest's pledge: made, with its donor; or why not ("wrong", "expired",
# "used", "disabled", "closed", "again").
GuestPledge = namedtuple("GuestPledge", "pledge donor problem")


def send_code_for(phone, address, text, payload, now=None):
    """A code to `phone` for a guest's step in a campaign (a pledge, a place
    at a sitting), limited with every other code per number and per network,
    and by the campaigns' own site-wide budget; what the code will do is kept
    with it (`payload`, with "campaign" and "action"). accounts.CodeRequest."""
    sent = accounts.send_code(PURPOSE, phone, address, text, now=now)
    if sent.request_id:
        found = accounts.code_request(PURPOSE, sent.request_id)
        with write_transaction():
            OneTimeCode.update(payload=json.dumps(payload)).where(OneTimeCode.id == found.id).execute()
    return sent


def send_guest_code(phone, address, text, campaign, fields, now=None):
    """Step one for a guest donor: a code to `phone`, the pledge it will make kept with it."""
    return send_code_for(phone, address, text, {"campaign": campaign.id, "action": "pledge", **fields}, now)


def guest_request(request_id):
    """A guest's code request for a campaign (expired or not), or None."""
    return accounts.code_request(PURPOSE, request_id)


def still_open(found, now=None):
    return accounts.still_open(found, now)


def code_payload(found):
    """What a guest's code request will do: {"campaign", "action", ...}."""
    try:
        payload = json.loads(found.payload or "{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def requested_pledge(found):
    """The pledge a guest's code request will make (campaign, need, kind, amount...), or {}."""
    payload = code_payload(found)
    return payload if payload.get("action") == "pledge" else {}


def pledge_as_guest(request_id, code, form_key, now=None):
    """Step two: the right code finds or makes the number's account and makes
    the pledge kept with the code, all at once, and is used up with it."""
    checked = accounts.check_code(PURPOSE, request_id, code, now)
    if checked.problem:
        return GuestPledge(None, None, checked.problem)
    found = checked.found
    fields = requested_pledge(found)
    campaign = Campaign.get_or_none(Campaign.id == fields["campaign"]) if fields else None
    need = DriveNeed.get_or_none(DriveNeed.id == fields.get("need")) if fields.get("need") else None
    try:
        if campaign is None:
            raise DriveError("closed")
        _check_open(campaign, need)
        with write_transaction():
            if not accounts.use_code(found, now):
                return GuestPledge(None, None, "used")
            donor = accounts.account_for_number(found.phone, NEW_ACCOUNT_NAME, None)
            if donor is None:
                return GuestPledge(None, None, "disabled")
            accounts.code_confirmed(found, donor)
            made = DrivePledge.create(
                campaign=campaign,
                need=need,
                donor=donor,
                kind=fields["kind"],
                amount=fields["amount"],
                goods=fields.get("goods", ""),
                public_name=fields.get("public_name", ""),
                form_key=form_key,
            )
            audit.record_audit("drive.pledged", actor=donor, subject=f"pledge:{made.id}", detail="guest")
    except DriveError:
        return GuestPledge(None, None, "closed")
    except IntegrityError:
        return GuestPledge(None, None, "again")
    return GuestPledge(made, donor, None)


def guest_pledge_made(request_id, form_key):
    """The pledge this code already made with this form (the button pressed twice), or None."""
    found = guest_request(request_id)
    if found is None or found.user_id is None:
        return None
    return DrivePledge.get_or_none(DrivePledge.form_key == form_key, DrivePledge.donor == found.user_id)


# --- Receipts (the organizer's) ---------------------------------------------------------


def record_receipt(pledge_row, actor, form_key, amount, note=""):
    """What came in against a pledge, recorded by the organizer's staff (the
    caller checked access.runs_campaign), made once per form. Never more than
    was pledged in all: raises DriveError("too_much"), and nothing is written."""

    def make():
        added = (
            DrivePledge.update(received=DrivePledge.received + amount)
            .where(DrivePledge.id == pledge_row.id, DrivePledge.received + amount <= DrivePledge.amount)
            .execute()
        )
        if not added:
            raise DriveError("too_much")
        item = PledgeReceipt.create(pledge=pledge_row, amount=amount, note=note, recorded_by=actor, form_key=form_key)
        audit.record_audit("drive.received", actor=actor, subject=f"pledge:{pledge_row.id}", detail=str(amount))
        return item

    return made_once(PledgeReceipt, form_key, make)


def pledges_for_organizer(campaign, actor):
    """Every pledge with its donor (name and number, to collect it), newest
    first: for the organizer's staff alone, and the look is audited."""
    with write_transaction():
        audit.record_audit("drive.donors_viewed", actor=actor, subject=f"campaign:{campaign.id}")
    return list(
        DrivePledge.select(DrivePledge, User)
        .join(User, on=DrivePledge.donor)
        .where(DrivePledge.campaign == campaign)
        .order_by(DrivePledge.id.desc())
    )


def receipts_for_organizer(pledge_row, actor):
    """A pledge's receipts, for its page where the organizer's staff see the
    donor's name and number: the look is audited."""
    with write_transaction():
        audit.record_audit("drive.donor_viewed", actor=actor, subject=f"pledge:{pledge_row.id}")
    return list(pledge_row.receipts.order_by(PledgeReceipt.id))


# --- What the public sees ---------------------------------------------------------------

# Pledged, received and still needed (the goal less what was received).
Totals = namedtuple("Totals", "goal pledged received still")


def _totals(goal, pledged, received):
    pledged, received = int(pledged or 0), int(received or 0)
    return Totals(goal, pledged, received, max(goal - received, 0))


def sums_by_need(campaign):
    """{need id or None: (pledged, received)}."""
    rows = (
        DrivePledge.select(DrivePledge.need, fn.SUM(DrivePledge.amount), fn.SUM(DrivePledge.received))
        .where(DrivePledge.campaign == campaign)
        .group_by(DrivePledge.need)
        .tuples()
    )
    return {need: (pledged, received) for need, pledged, received in rows}


def totals(campaign):
    """(the drive's totals, [(need, its totals)], the totals of pledges to the drive as a whole)."""
    sums = sums_by_need(campaign)
    needs = [(need, _totals(need.goal, *sums.get(need.id, (0, 0)))) for need in needs_of(campaign)]
    pledged = sum(int(p or 0) for p, _ in sums.values())
    received = sum(int(r or 0) for _, r in sums.values())
    general = sums.get(None, (0, 0))
    return _totals(campaign.goal, pledged, received), needs, _totals(0, *general)


def progress(campaign):
    """The drive's progress: rials received toward its goal (campaigns.progress)."""
    received = (
        DrivePledge.select(fn.COALESCE(fn.SUM(DrivePledge.received), 0))
        .where(DrivePledge.campaign == campaign)
        .scalar()
    )
    return {"done": int(received or 0), "goal": campaign.goal, "unit": campaign.goal_unit}


def recent_pledges(campaign, limit=PLEDGES_LISTED):
    """The newest pledges as the public sees them: the amount, the need, and
    the name only when the donor agreed (`public_name`); never the account."""
    return list(
        DrivePledge.select(
            DrivePledge.id,
            DrivePledge.need,
            DrivePledge.kind,
            DrivePledge.amount,
            DrivePledge.goods,
            DrivePledge.received,
            DrivePledge.public_name,
            DrivePledge.created_at,
        )
        .where(DrivePledge.campaign == campaign)
        .order_by(DrivePledge.id.desc())
        .limit(limit)
    )


def public_context(campaign):
    """What the campaign's public page shows of a drive (templates/campaigns/_drive.html)."""
    total, needs, general = totals(campaign)
    return {
        "total": total,
        "needs": needs,
        "general": general,
        "recent": recent_pledges(campaign),
        "need_titles": {need.id: need.title for need, _ in needs},
    }
