"""Words for the states and choices of the help board, shared by the areas
that show posts."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import models
from hamsayeh.domain import timebank
from hamsayeh.web.templating import duration

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
