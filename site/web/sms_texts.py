"""The words of every SMS the site sends, in the reader's language: the
domain names a message and its values (`notifications.text`), this module
words it. Persian SMS are UCS-2, 70 characters to one SMS: every message fits
one where it can, shortening a name or a title (with "…") rather than paying
for a second SMS. `tests/test_sms_texts.py` checks each with the longest
values a person would meet."""

from babel.lists import format_list
from flask import has_app_context
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _

from hamsayeh import persian
from hamsayeh.domain import notifications, sms

# Values that may be shortened to make a message fit one SMS.
SHORTENED = ("name", "title", "kind")
# A shortened value keeps at least this much of itself.
SHORTEST = 6
ELLIPSIS = "…"

_app = {}


def init_app(app):
    """Messages are worded inside this application (its catalogs) when they
    are made outside a request (a test, a command, the worker)."""
    _app["app"] = app
    notifications.use_texts(render)


def _messages():
    """Every message: a whole sentence each, with named values."""
    return {
        "offer": lambda v: _("Hamsayeh: %(name)s offered to help with your request %(number)s.", **v),
        "offer_offer": lambda v: _("Hamsayeh: %(name)s asks for the help you offered.", **v),
        "accepted": lambda v: _("Hamsayeh: %(name)s accepted your help. The place is on the site.", **v),
        "accepted_offer": lambda v: _("Hamsayeh: %(name)s accepted your request for their help.", **v),
        "done": lambda v: _("Hamsayeh: is the help of %(name)s done? If so, reply «بله».", **v),
        "program_place": lambda v: _("Hamsayeh: a place in «%(title)s» is yours now.", **v),
        "callback": lambda v: _("Hamsayeh: your call-back request is booked. We will call you soon."),
        "case_visit": lambda v: _("Hamsayeh: a welfare visit is planned for %(title)s.", **v),
        "announcement": lambda v: _("Hamsayeh, news for your area: %(title)s", **v),
        # Answers to what a person texts.
        "callback_reply": lambda v: _("Hamsayeh: we have your request. A neighbor will call you soon."),
        "already": lambda v: _("Hamsayeh: we have today's requests already. We will call you soon."),
        "commands": lambda v: _("Hamsayeh: send «کمک» for a call, «وضعیت», «لغو» and a number, «بله» to confirm."),
        "not_member": lambda v: _("Hamsayeh: this number has no account. Send «کمک» and we will call you."),
        "status": lambda v: _("Hamsayeh, your open requests: %(requests)s.", **v),
        "status_more": lambda v: ngettext(
            "Hamsayeh, your open requests: %(requests)s, and %(num)s more.",
            "Hamsayeh, your open requests: %(requests)s, and %(num)s more.",
            v["more"],
            requests=v["requests"],
        ),
        "status_none": lambda v: _("Hamsayeh: you have no open request. Send «کمک» for a call."),
        "cancelled": lambda v: _("Hamsayeh: your request %(number)s is cancelled.", **v),
        "cancel_unknown": lambda v: _("Hamsayeh: you have no open request %(number)s. Send «وضعیت».", **v),
        "cancel_how": lambda v: _("Hamsayeh: send «لغو» and the request's number, like «لغو ۱»."),
        "confirmed": lambda v: _("Hamsayeh: thank you. The help of %(name)s is confirmed.", **v),
        "confirm_none": lambda v: _("Hamsayeh: no help is waiting for you to confirm."),
        "stopped": lambda v: _("Hamsayeh: we will send you no more SMS but answers to yours."),
        "claim_code": lambda v: _("Hamsayeh: your code is %(code)s. It works for 10 minutes. Never give it.", **v),
        "claim_none": lambda v: _("Hamsayeh: there is no account to claim with this number."),
        "voucher_code": lambda v: _(
            "Hamsayeh, «%(title)s»: your household's code is %(code)s. Show it at the point.", **v
        ),
        # A crisis: volunteers asked, and the answers to their «آماده‌ام» or «نمی‌توانم».
        "crisis_call": lambda v: _("Hamsayeh: crisis in %(name)s. Can you come? Reply «آماده‌ام» or «نمی‌توانم».", **v),
        "crisis_ready": lambda v: _("Hamsayeh: thank you. You are on the list of ready volunteers."),
        "crisis_cannot": lambda v: _("Hamsayeh: thank you for answering. Stay safe."),
        "crisis_none": lambda v: _("Hamsayeh: no crisis is asking for you now."),
        "crisis_team": lambda v: _("Hamsayeh: you are in a crisis team. Go to: %(title)s", **v),
    }


def _status_item(item):
    """One open request in «وضعیت»: its number, its kind and where it stands."""
    if item["state"] == "matched":
        return _("%(number)s %(kind)s: has a helper", **item)
    if item["offers"]:
        return ngettext(
            "%(number)s %(kind)s: %(num)s offer",
            "%(number)s %(kind)s: %(num)s offers",
            item["offers"],
            number=item["number"],
            kind=item["kind"],
        )
    return _("%(number)s %(kind)s: waiting", **item)


def _word(kind, values):
    words = _messages()[kind]
    if kind.startswith("status") and "items" in values:
        values = {
            **values,
            "requests": format_list([_status_item(item) for item in values["items"]], locale=get_locale()),
        }
    return words(values)


def _shorten(value, by):
    keep = max(SHORTEST, len(value) - by - len(ELLIPSIS))
    return value if keep >= len(value) else value[:keep].rstrip() + ELLIPSIS


def render(kind, language="fa", **values):
    """The message `kind` with `values`, in `language`: one SMS where a
    shorter name or title makes it fit."""
    if not has_app_context():
        with _app["app"].app_context():
            return render(kind, language, **values)
    with force_locale(language):
        if kind.startswith("status") and "items" in values:
            return _status(values, language)
        body = _in_digits(_word(kind, values), language)
        for name in SHORTENED:
            if sms.segments(body) == 1 or not isinstance(values.get(name), str):
                continue
            values = {**values, name: _shorten(values[name], len(body) - sms.segment_size(body))}
            body = _in_digits(_word(kind, values), language)
        return body


# «وضعیت» answers in one message of at most this many SMS.
STATUS_SEGMENTS = 2


def _status(values, language):
    """The open requests in one message of at most STATUS_SEGMENTS SMS: each
    kind of help by its first word when the whole names do not fit, then
    fewer requests listed and the rest counted."""
    items = [{**item, "kind": _kind_name(item, language)} for item in values["items"]]
    more = values.get("more", 0)
    while True:
        for short in (False, True):
            listed = [{**item, "kind": item["kind"].split()[0]} if short else item for item in items]
            kind = "status_more" if more else "status"
            body = _in_digits(_word(kind, {"items": listed, "more": more}), language)
            if sms.segments(body) <= STATUS_SEGMENTS or (len(items) == 1 and short):
                return body
        items, more = items[:-1], more + 1


def _kind_name(item, language):
    """A kind of help in the reader's language, as `templating.local_name`
    names it on a page: its English name on English, when it has one."""
    if language != "fa" and item.get("kind_en"):
        return item["kind_en"]
    return item["kind"]


def _in_digits(body, language):
    """A Persian SMS writes every number in Persian digits, a code too."""
    return persian.to_persian_digits(body) if language == "fa" else body
