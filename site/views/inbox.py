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
            _l("%(name)s forwarded “%(title)s”, an idea you support, to headquarters."),
            _l("%(name)s declined “%(title)s”, an idea you support. Its page says why."),
            _l("%(name)s joined “%(title)s”, an idea you support, with a similar idea. Your support went with it."),
            _l("Headquarters accepted “%(title)s”, an idea you support. It is planned."),
            _l("Work has started on “%(title)s”, an idea you support."),
            _l("“%(title)s”, an idea you support, is done. Thank you for supporting it."),
            _l("%(name)s gave you the welfare case of %(title)s."),
            _l("A visit for the welfare case of %(title)s is coming: see its day and time."),
            _l("%(name)s referred a service of the welfare desk to your organization."),
            _l("%(name)s answered a referral of the welfare case of %(title)s."),
            _l("%(name)s approved your application: your organization's page is open, and you are its manager."),
            _l("%(name)s declined your application to open an organization's page. See why."),
            _l("%(name)s asks whether you can come to help in a crisis near you."),
            _l("%(name)s sent you with a team in the crisis: see where to go, and check in there."),
            _l("Voting closed: a proposal of your neighborhood's fund passed."),
            _l("Voting closed: a proposal of your neighborhood's fund did not pass."),
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
    elif item.welfare_case_id:
        title, link, label = casework_link(item)
    elif item.kind == "helper_asked":
        title, link, label = "", url_for("accounts.profile"), _l("Answer on my account page")
    elif item.kind == "org_invited":
        title, link, label = "", url_for("orgs.invitations"), _l("Answer the invitation")
    elif item.kind in ("org_approved", "org_declined"):
        title, link, label = "", url_for("orgs.apply"), _l("See my applications")
    elif item.kind in ("fund_passed", "fund_failed"):
        title, link, label = "", url_for("funds.index"), _l("See the funds")
    elif item.kind in ("crisis_call", "crisis_team"):
        title, link, label = "", url_for("crisis.my_calls"), _l("Answer: ready or not")
    else:
        title, link, label = "", None, None
    name = item.actor.name if item.actor else _l("A neighbor")
    return {"item": item, "text": MESSAGES[item.kind] % {"name": name, "title": title}, "link": link, "label": label}


def casework_link(item):
    """A welfare case's news: the staff's case page, the person's own request,
    or the partner's referrals; the title is the person's name, which every
    one of them may read."""
    case = item.welfare_case
    if item.kind == "case_referral":
        return "", url_for("casework.referrals"), _l("See the referrals")
    if case.applicant_id == item.user_id:
        return case.name, url_for("casework.my_request", case_id=case.id), _l("See my request")
    return case.name, url_for("casework.show", case_id=case.id), _l("See the case")


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
