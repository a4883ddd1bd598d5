"""Words for the states and choices of the help board, shared by the areas
that show posts."""

from flask_babel import lazy_gettext as _l

KIND_LABELS = {"request": _l("Need"), "offer": _l("Offer")}
URGENCY_LABELS = (_l("Normal"), _l("This week"), _l("Today"))
TIME_WINDOW_LABELS = (_l("Any time"), _l("Morning (8 to 12)"), _l("Afternoon (12 to 17)"), _l("Evening (17 to 21)"))
RESPONSE_LABELS = {
    "offered": _l("Waiting for an answer"),
    "accepted": _l("Accepted"),
    "declined": _l("Another helper was chosen"),
    "withdrawn": _l("Withdrawn"),
    "done": _l("Marked as done, waiting for confirmation"),
    "confirmed": _l("Done and confirmed"),
}
STATUS_LABELS = {
    "open": _l("Open"),
    "matched": _l("A helper was accepted"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}
