"""Words for the states and choices of the help board, shared by the areas
that show posts."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh.domain import board, timebank
from hamsayeh.web.templating import digits, duration, jdate, listed, local_name

# Keyed from each model's own list of values: a value added there without a
# label here fails at import (strict zip), not on a page.
POST_KIND_LABELS = dict(zip(models.HelpPost.KINDS, (_l("Need"), _l("Offer")), strict=True))
URGENCY_LABELS = tuple(
    dict(zip(models.HelpPost.URGENCIES, (_l("Normal"), _l("This week"), _l("Today")), strict=True)).values()
)
TIME_WINDOW_LABELS = tuple(
    dict(
        zip(
            models.HelpPost.TIME_WINDOWS,
            (_l("Any time"), _l("Morning (8 to 12)"), _l("Afternoon (12 to 17)"), _l("Evening (17 to 21)")),
            strict=True,
        )
    ).values()
)
RESPONSE_LABELS = dict(
    zip(
        models.HelpResponse.STATUSES,
        (
            _l("Waiting for an answer"),
            _l("Accepted"),
            _l("Another helper was chosen"),
            _l("Withdrawn"),
            _l("Marked as done, waiting for confirmation"),
            _l("Done and confirmed"),
        ),
        strict=True,
    )
)
STATUS_LABELS = dict(
    zip(
        models.HelpPost.STATUSES,
        (_l("Open"), _l("A helper was accepted"), _l("Done"), _l("Cancelled")),
        strict=True,
    )
)
# A need asked by choices alone (the simple pages): how to reach its author.
REACH_SENTENCES = dict(zip(models.HelpPost.REACHES[1:], (_l("Call my phone."), _l("Come to my door.")), strict=True))


def post_text(post):
    """What a post says, in the reader's language: the words its author
    wrote, as written; for a need asked by choices alone (the simple pages),
    the sentence those choices make, composed now for this reader."""
    if not post.reach_by:
        return digits(post.text)
    kind = local_name(post.activity_type)
    if post.needed_on:
        wanted = _("Help needed: %(kind)s, on %(date)s.", kind=kind, date=jdate(post.needed_on, weekday=True))
    elif post.urgency == board.THIS_WEEK:
        wanted = _("Help needed: %(kind)s, within a week from %(date)s.", kind=kind, date=jdate(post.created_at))
    else:
        wanted = _("Help needed: %(kind)s, any day.", kind=kind)
    return " ".join(part for part in (wanted, str(REACH_SENTENCES[post.reach_by]), digits(post.text)) if part)


def transfer_reason(transfer):
    """Why hours moved, in the reader's language: a help is named by its kind
    of help (the ledger keeps that kind's Persian name as its reason), a gift
    to a pool with no words as one; any other by what the person wrote."""
    if transfer.kind == "help" and transfer.response is not None:
        return local_name(transfer.response.post.activity_type)
    if not transfer.reason and transfer.kind == "manual" and transfer.target.kind == "pool":
        return _("A gift to the community pool")
    return digits(transfer.reason)


def post_when(post):
    """The day and the time of day a post is for. Its urgency says the day
    when no date was kept: a need for "today" is for the day it was posted
    (rows made before that day was kept), one for "this week" for the week
    from then."""
    if post.needed_on:
        day = jdate(post.needed_on, weekday=True)
    elif post.urgency == board.TODAY:
        day = jdate(post.created_at, weekday=True)
    elif post.urgency == board.THIS_WEEK:
        day = _("Within a week from %(date)s", date=jdate(post.created_at))
    else:
        day = _("Any day")
    return listed([day, TIME_WINDOW_LABELS[post.time_window]])


def floor_message(account):
    """Why a transfer from `account` was refused, with its current balance
    (read again: the refused transfer may have left a stale copy; an account
    not made yet is shown as it would be)."""
    account = timebank.current_account(account)
    if account.kind == "pool":
        return _("The community pool has only %(balance)s.", balance=duration(account.balance))
    return _(
        "This would take the account below its floor of %(floor)s. The balance is %(balance)s.",
        floor=duration(account.floor),
        balance=duration(account.balance),
    )


# The states of an idea (طرح جام): its page, the review queues and headquarters' counts.
IDEA_STATUS_LABELS = {
    "proposed": _l("Waiting for the facilitator"),
    "needs_detail": _l("More detail asked"),
    "forwarded": _l("With headquarters"),
    "declined": _l("Declined"),
    "merged": _l("Joined with a similar idea"),
    "planned": _l("Accepted: planned"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
}
