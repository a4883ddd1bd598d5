"""A guest asks for help with nothing but a mobile number, confirmed by a
one-time SMS code: the confirmed number owns the request.

The number's account is found, or made for it without a PIN (its holder
claims it and chooses a PIN later). A browser is signed in only to an account
that has no PIN of its own and is no staff account: the code is then the
only key there is. An account with a PIN gets the request, and is opened by
its PIN alone, as always."""

from collections import namedtuple

from peewee import IntegrityError

from hamsayeh.domain import access, accounts, audit, board
from models import HelpPost, write_transaction

PURPOSE = "ask_help"
# The name of an account made for a guest's number, the same whatever the
# language of the page they asked on (a person's name has one spelling,
# shown as written): its holder gives their own when they claim it.
NEW_ACCOUNT_NAME = "همسایه"

# The request made, the account that owns it, whether this browser may be
# signed in to it; or why not: "wrong", "expired", "used" (the codes'
# problems), "disabled" (the number's account is switched off) or "form"
# (the form's key belongs to someone else's post).
GuestHelp = namedtuple("GuestHelp", "post user signs_in problem")


def send_code(phone, neighborhood, address, text, now=None):
    """Step one: the code to `phone` (accounts.send_code: limited per number
    and per network with every other code, and by the guests' own site-wide
    budget)."""
    return accounts.send_code(PURPOSE, phone, address, text, neighborhood=neighborhood, now=now)


def asked(request_id):
    """The guest's code request (expired or not), or None."""
    return accounts.code_request(PURPOSE, request_id)


def still_open(found, now=None):
    """Whether the guest's code may still be used (accounts.still_open)."""
    return accounts.still_open(found, now)


def may_sign_in(user):
    """Whether the number's code alone may open `user` in a browser."""
    return not accounts.has_pin(user) and not access.sees_others_data(user)


def ask_for_help(request_id, code, form_key, display, now=None, **post):
    """Step two: the right code finds or makes the number's account and posts
    the request for it, all at once, and is used up with it. `display` (text
    size, contrast, simple mode, and the language of the page the guest
    asked on: the SMS they get speak it) is for a new account, named
    NEW_ACCOUNT_NAME. The post goes to the neighborhood chosen when the code
    was asked, else to the account's own; `post` are the board's fields
    (board.create_post)."""
    checked = accounts.check_code(PURPOSE, request_id, code, now)
    if checked.problem:
        return GuestHelp(None, None, False, checked.problem)
    found = checked.found
    try:
        with write_transaction():
            if not accounts.use_code(found, now):
                return GuestHelp(None, None, False, "used")
            user = accounts.account_for_number(found.phone, NEW_ACCOUNT_NAME, found.neighborhood_id, **display)
            if user is None:
                raise _Refused
            accounts.code_confirmed(found, user)
            place = found.neighborhood_id or user.neighborhood_id
            made = board.create_post(user, form_key, neighborhood=place, **post) if place else None
            if made is None:
                raise _NothingMade
            audit.record_audit("guest.help_asked", actor=user, subject=f"post:{made.id}")
    except _NothingMade:
        # No place for it, or the form's key is someone else's: nothing stays,
        # not even a new account, and the code is not used up.
        return GuestHelp(None, None, False, "form")
    except IntegrityError:
        # Another request made the number's account at this very moment: pressing again finds it.
        return GuestHelp(None, None, False, "again")
    except _Refused:
        with write_transaction():
            audit.record_audit("guest.help_refused", subject=audit.phone_subject(found.phone), detail="disabled")
        return GuestHelp(None, None, False, "disabled")
    return GuestHelp(made, user, may_sign_in(user), None)


class _NothingMade(Exception):
    pass


class _Refused(Exception):
    pass


def request_made_by(request_id, form_key):
    """The request this code already made with this form (the button pressed
    twice), and its owner; (None, None) when there is none."""
    found = asked(request_id)
    if found is None or found.user_id is None:
        return None, None
    post = HelpPost.get_or_none(HelpPost.form_key == form_key, HelpPost.author == found.user_id)
    return (post, found.user) if post is not None else (None, None)
