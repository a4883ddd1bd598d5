"""Each member's inbox: what happened to their posts, answers and invitations."""

from flask import Blueprint, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

import models
from hamsayeh.domain import inbox
from hamsayeh.web import auth
from hamsayeh.web.templating import local_name

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

# One sentence per kind of notification, in the order of Notification.KINDS.
MESSAGES = dict(
    zip(
        models.Notification.KINDS,
        (
            _l("%(name)s answered your post “%(title)s”."),
            _l("%(name)s accepted your answer to “%(title)s”. You can now see each other's contact details."),
            _l("%(name)s chose another helper for “%(title)s”. Thank you for offering."),
            _l("%(name)s withdrew from “%(title)s”."),
            _l("%(name)s marked “%(title)s” as done."),
            _l("%(name)s confirmed the help for “%(title)s”. Thank you."),
            _l("%(name)s invited you to help with “%(title)s”."),
            _l("%(name)s decided on your idea “%(title)s”."),
            _l("%(name)s proposed an idea for your neighborhood: “%(title)s”."),
            _l("%(name)s posted an announcement: “%(title)s”."),
            _l("%(name)s replied to “%(title)s”."),
            _l("%(name)s raised a problem to headquarters: “%(title)s”."),
            _l("%(name)s answered “%(title)s” for headquarters."),
            _l("A place opened for you in “%(title)s”: you are signed up."),
            _l("%(name)s cancelled “%(title)s”."),
            _l("%(name)s asked you to be their trusted helper."),
            _l("%(name)s invited you to join an organization as one of its members."),
        ),
        strict=True,
    )
)


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
    elif item.kind == "helper_asked":
        title, link, label = "", url_for("accounts.profile"), _l("Answer on my account page")
    elif item.kind == "org_invited":
        title, link, label = "", url_for("orgs.invitations"), _l("Answer the invitation")
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
