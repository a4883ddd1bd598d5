"""Each member's inbox: what happened to their posts, answers and invitations."""

from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

import models
from hamsayeh import auth

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

MESSAGES = {
    "response": _l("%(name)s answered your post “%(title)s”."),
    "accepted": _l("%(name)s accepted your answer to “%(title)s”. You can now see each other's contact details."),
    "declined": _l("%(name)s chose another helper for “%(title)s”. Thank you for offering."),
    "withdrawn": _l("%(name)s withdrew from “%(title)s”."),
    "done": _l("%(name)s marked “%(title)s” as done."),
    "confirmed": _l("%(name)s confirmed the help for “%(title)s”. Thank you."),
    "invited": _l("%(name)s invited you to help with “%(title)s”."),
}


@bp.get("/")
@auth.signed_in_only
def index():
    notifications = list(models.Notification.inbox(g.user))
    return render_template("inbox/index.html", notifications=notifications, messages=MESSAGES)


@bp.post("/read")
@auth.signed_in_only
def mark_read():
    models.mark_inbox_read(g.user)
    return redirect(url_for("inbox.index"))
