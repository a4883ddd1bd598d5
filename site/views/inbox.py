"""Each member's inbox: what happened to their posts, answers and invitations."""

from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

import models
from hamsayeh.domain import inbox
from hamsayeh.web import auth
from hamsayeh.web.templating import local_name

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

MESSAGES = {
    "response": _l("%(name)s answered your post “%(title)s”."),
    "accepted": _l("%(name)s accepted your answer to “%(title)s”. You can now see each other's contact details."),
    "declined": _l("%(name)s chose another helper for “%(title)s”. Thank you for offering."),
    "withdrawn": _l("%(name)s withdrew from “%(title)s”."),
    "done": _l("%(name)s marked “%(title)s” as done."),
    "confirmed": _l("%(name)s confirmed the help for “%(title)s”. Thank you."),
    "invited": _l("%(name)s invited you to help with “%(title)s”."),
    "idea": _l("%(name)s decided on your idea “%(title)s”."),
    "idea_new": _l("%(name)s proposed an idea for your neighborhood: “%(title)s”."),
    "announcement": _l("%(name)s posted an announcement: “%(title)s”."),
    "reply": _l("%(name)s replied to “%(title)s”."),
    "problem": _l("%(name)s raised a problem to headquarters: “%(title)s”."),
    "answered": _l("%(name)s answered “%(title)s” for headquarters."),
    "program_place": _l("A place opened for you in “%(title)s”: you are signed up."),
    "program_cancelled": _l("%(name)s cancelled “%(title)s”."),
}


def entry(item):
    """What a notification says, and where it leads."""
    if item.post_id:
        title, link, label = item.post.activity_type, url_for("board.show", post_id=item.post_id), _l("See the post")
        title = local_name(title)
    elif item.idea_id:
        title, link, label = item.idea.title, url_for("ideas.show", idea_id=item.idea_id), _l("See the idea")
    elif item.program_id:
        title, link, label = item.program.title, url_for("centers.program", program_id=item.program_id), _l("See it")
    elif item.announcement_id:
        title = item.announcement.title
        link, label = url_for("channel.announcement", item_id=item.announcement_id), _l("Read it")
    else:
        title, link, label = "", None, None
    name = item.actor.name if item.actor else _l("A neighbor")
    return {"item": item, "text": MESSAGES[item.kind] % {"name": name, "title": title}, "link": link, "label": label}


@bp.get("/")
@auth.signed_in_only
def index():
    notifications = [entry(item) for item in models.Notification.inbox(g.user)]
    return render_template("inbox/index.html", notifications=notifications)


@bp.post("/read")
@auth.signed_in_only
def mark_read():
    inbox.mark_inbox_read(g.user)
    return redirect(url_for("inbox.index"))
