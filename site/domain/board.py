"""The neighborhood board: help requests and offers, answers and their states."""

from peewee import IntegrityError

from hamsayeh import persian
from hamsayeh.domain import inbox, timebank
from models import HelpPost, HelpResponse, PostEvent, PostReport, utcnow, write_transaction

# Two of HelpPost.URGENCIES (normal, this week, today).
THIS_WEEK, TODAY = 1, 2


class StateError(Exception):
    """The action does not fit the post's or the answer's state any more."""


def respond_to_post(post, responder, message=""):
    """Offer to help (or answer an offer). A second answer from the same member
    returns the first."""
    if responder.id == post.author_id:
        raise StateError("own_post")
    try:
        with write_transaction():
            if HelpPost.get_by_id(post.id).status not in ("open", "matched"):
                raise StateError("closed")
            response = HelpResponse.create(post=post, responder=responder, message=message)
            PostEvent.create(post=post, actor=responder, action="responded")
            inbox.notify(post.author_id, "response", post, responder)
        return response
    except IntegrityError:
        return HelpResponse.get(HelpResponse.post == post, HelpResponse.responder == responder)


def _move_response(response, actor, from_statuses, to_status, event, notify_user, **extra):
    """Change the answer's state only if it is still in one of `from_statuses`."""
    with write_transaction():
        changed = (
            HelpResponse.update(status=to_status, updated_at=utcnow(), **extra)
            .where(HelpResponse.id == response.id, HelpResponse.status.in_(from_statuses))
            .execute()
        )
        if not changed:
            raise StateError(to_status)
        post = response.post
        PostEvent.create(post=post, actor=actor, action=event, detail=f"response:{response.id}")
        inbox.notify(notify_user, to_status, post, actor)
        accepted = post.accepted_responses()
        if to_status == "confirmed" and not accepted.where(HelpResponse.status != "confirmed").exists():
            new_status = "done"
        elif accepted.exists():
            new_status = "matched"
        else:
            new_status = "open"
        HelpPost.update(status=new_status, updated_at=utcnow()).where(
            HelpPost.id == post.id, HelpPost.status != "cancelled"
        ).execute()


def accept_response(response, actor):
    _move_response(response, actor, ("offered",), "accepted", "accepted", response.responder_id)


def decline_response(response, actor):
    _move_response(response, actor, ("offered",), "declined", "declined", response.responder_id)


def withdraw_response(response, actor):
    _move_response(response, actor, ("offered", "accepted"), "withdrawn", "withdrawn", response.post.author_id)


def mark_done(response, actor):
    other = response.post.author_id if actor.id == response.responder_id else response.responder_id
    _move_response(response, actor, ("accepted",), "done", "marked_done", other)


def confirm_help(response, actor, thank_you="", minutes=0, made_by=None):
    """Confirm the help and pay the helper `minutes` (none: a gift), all or
    nothing: when the payment cannot be made, the help stays unconfirmed.
    `actor` confirms: the helped person, or for a neighbor without an account
    a second person (access.confirms_for_pool). `made_by` is who is really
    there when someone acts for the helped person: the confirmation and the
    payment name them. Nobody confirms (and is paid for) their own help, and
    nobody draws hours that others would not agree to:

    - whoever filed a need for a neighbor without an account does not also
      confirm it as paid by the pool (they would answer it from a second
      account and pay themselves): they confirm it as a gift, or leave it to
      a second person;
    - staff acting at a desk move none of the member's hours: only a trusted
      helper the member accepted does."""
    made_by = made_by or actor
    post = response.post
    helper = post.helper(response)
    if made_by.id == helper:
        raise StateError("own_help")
    if minutes and post.on_behalf_name and made_by.id in (post.author_id, post.filed_by_id):
        raise timebank.TransferError("filer")
    if minutes and made_by.id != actor.id and not timebank.moves_hours_for(made_by, actor):
        raise timebank.TransferError("acting")
    accounts = timebank.help_accounts(response) if minutes else None
    with write_transaction():
        _move_response(response, made_by, ("accepted", "done"), "confirmed", "confirmed", helper, thank_you=thank_you)
        if minutes:
            timebank.pay_for_help(response, minutes, made_by, *accounts)


def response_of(post, user):
    """`user`'s own answer to `post`, or None."""
    return HelpResponse.get_or_none(HelpResponse.post == post, HelpResponse.responder == user)


def responses_to(post):
    """Every answer to `post`, first first: what its author sees."""
    return list(post.responses.order_by(HelpResponse.id))


def posts_by(author, limit=10):
    """The member's latest posts, newest first."""
    return list(
        HelpPost.select()
        .where(HelpPost.author == author)
        .order_by(HelpPost.created_at.desc(), HelpPost.id.desc())
        .limit(limit)
    )


def needed_day(urgency, needed_on=None, now=None):
    """The day a post is for: the day chosen; else, for one marked "today",
    the day it is posted, in Tehran (kept as a date, so that it still says
    which day when read tomorrow); None: any day."""
    if needed_on is None and urgency == TODAY:
        return persian.tehran_time(now or utcnow()).date()
    return needed_on


def create_post(author, form_key, **fields):
    """The new post, or the one this same form already created (double submit);
    None when the form key belongs to someone else's post."""
    fields["needed_on"] = needed_day(fields.get("urgency", 0), fields.get("needed_on"))
    try:
        with write_transaction():
            post = HelpPost.create(author=author, form_key=form_key, **fields)
            PostEvent.create(post=post, actor=author, action="created")
        return post
    except IntegrityError:
        existing = HelpPost.get_or_none(HelpPost.form_key == form_key)
        return existing if existing is not None and existing.author_id == author.id else None


def cancel_post(post, actor):
    with write_transaction():
        changed = (
            HelpPost.update(status="cancelled", updated_at=utcnow())
            .where(HelpPost.id == post.id, HelpPost.status.in_(("open", "matched")))
            .execute()
        )
        if changed:
            PostEvent.create(post=post, actor=actor, action="cancelled")
    return bool(changed)


def reopen_post(post, actor):
    with write_transaction():
        changed = (
            HelpPost.update(status="open", updated_at=utcnow())
            .where(HelpPost.id == post.id, HelpPost.status == "cancelled")
            .execute()
        )
        if changed:
            PostEvent.create(post=post, actor=actor, action="reopened")
    return bool(changed)


def report_post(post, reporter, reason):
    """True when this is the member's first report of the post."""
    try:
        with write_transaction():
            PostReport.create(post=post, reporter=reporter, reason=reason)
            PostEvent.create(post=post, actor=reporter, action="reported")
    except IntegrityError:
        return False
    return True
