"""What every template gets: the page's language and direction, display
preferences, the inline stylesheet, and filters for Persian digits and
Jalali dates."""

import base64
import datetime
import hashlib
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal
from flask import current_app, g
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

import models
from hamsayeh import persian
from hamsayeh.domain import access
from hamsayeh.web.auth import current_preferences

TEHRAN = ZoneInfo("Asia/Tehran")


def init_app(app):
    css = minify_css((Path(app.static_folder) / "css" / "site.css").read_text(encoding="utf-8"))
    app.config["INLINE_CSS"] = css
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    app.config["INLINE_CSS_HASH"] = f"sha256-{digest}"
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        digits=digits,
        number=number,
        jdate=jdate,
        jdatetime=jdatetime,
        local_name=local_name,
        jinput=jinput,
        duration=duration,
        listed=listed,
    )
    # Templates and the menu ask the same rules as the views' guards.
    app.jinja_env.globals["access"] = access
    app.jinja_env.globals["kept_for_guests"] = kept_for_guests
    # What a post says and when it is for, in the reader's language (labels
    # builds on the filters above, so it is imported once they exist).
    from hamsayeh.web import labels

    app.jinja_env.filters.update(
        post_text=labels.post_text, post_when=labels.post_when, transfer_reason=labels.transfer_reason
    )
    app.context_processor(page_context)


def minify_css(css):
    """Comments and layout whitespace out: the stylesheet rides inside every
    page, so that a first visit renders from its first response."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s+", " ", css)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    # Only after a colon: a space before one is a descendant combinator.
    css = re.sub(r":\s+", ":", css)
    return css.replace(";}", "}").strip()


class PageLocale:
    """The page's `lang` and `dir`, from the selected locale."""

    def __init__(self, locale):
        locale = locale or Locale.parse("fa")
        self.lang = locale.language
        # Babel's CLDR data knows each script's direction: no hand-kept list.
        self.dir = locale.text_direction
        self.other = "en" if self.lang == "fa" else "fa"


def page_context():
    prefs = current_preferences()
    classes = [f"ts{prefs.text_size}"]
    if prefs.high_contrast:
        classes.append("hc")
    return {
        **locale_context(),
        "prefs": prefs,
        "html_class": " ".join(classes),
        "current_user": g.get("user"),
        "current_actor": g.get("actor"),
        "current_roles": g.get("roles", frozenset()),
        "unread": models.Notification.unread_count(g.user) if g.get("user") is not None else 0,
        "inline_css": current_app.config["INLINE_CSS"],
    }


def locale_context():
    """What a render needs of the locale in force when it starts (the
    request's, or the one `force_locale` set), found once per locale and
    process: the page's `lang` and `dir`, the separator of details, and `_`,
    `gettext` and `ngettext` bound to the locale's catalog. Flask-Babel's own
    callables, which Jinja's i18n extension calls for every string, find the
    request's context, its locale and the catalog anew each time: on a page of
    thirty strings that was most of the layout's cost. (Macros imported
    without context still call Flask-Babel's, and get the same text.)"""
    locale = get_locale()
    known = current_app.extensions.setdefault("locale_context", {})
    if locale not in known:
        gettext, ngettext = template_gettext(get_translations())
        known[locale] = {
            "page_locale": PageLocale(locale),
            # Between two parts of a line of details that each carry their own
            # markup; a list of plain values is `|listed`. Both are the locale's.
            "sep": escape(list_patterns("narrow")["2"]).format("", ""),
            "_": gettext,
            "gettext": gettext,
            "ngettext": ngettext,
        }
    return known[locale]


def kept_for_guests(*key, caller):
    """`{% call kept_for_guests(name, language) %}…{% endcall %}`: for a guest,
    the block's HTML made once per key and process (the layout's header, the
    same for every guest of a language); for a member or at a kiosk, made
    every time. What the block shows must depend on nothing but its key."""
    if g.get("user") is not None or g.get("kiosk") is not None:
        return caller()
    kept = current_app.extensions.setdefault("kept_for_guests", {})
    if key not in kept:
        kept[key] = caller()
    return kept[key]


def template_gettext(translations):
    """Jinja's "newstyle" gettext and ngettext over one catalog: the text is
    always a format string (`%%` is a percent sign) and, where the template
    escapes, markup whose named values are escaped."""

    @pass_eval_context
    def gettext(eval_ctx, string, **variables):
        text = translations.ugettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (the catalog's own text, as Jinja's i18n extension takes it)
        return text % variables if variables or "%" in text else text

    @pass_eval_context
    def ngettext(eval_ctx, singular, plural, num, **variables):
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (the catalog's own text)
        return text % variables

    return gettext, ngettext


def _persian_page():
    """Asked for every number on a page: answered once per request."""
    if "persian_page" not in g:
        locale = get_locale()
        g.persian_page = locale is None or locale.language == "fa"
    return g.persian_page


def digits(value):
    """Persian digits on a Persian page; text stored with Latin digits."""
    if value is None:
        return ""
    return persian.to_persian_digits(value) if _persian_page() else str(value)


def number(value):
    """A number with grouping, in the page's digits: ۱۲٬۳۴۵."""
    text = format_decimal(value, locale="en")
    if _persian_page():
        text = text.replace(",", "٬")
    return digits(text)


def _local(value):
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=datetime.UTC).astimezone(TEHRAN)
    return value


def jdate(value, weekday=False):
    return digits(persian.jalali_date(_local(value), weekday=weekday))


def jdatetime(value):
    return digits(persian.jalali_datetime(_local(value)))


def local_name(item):
    """The name of a place, a center, a kind of help (anything with `name`
    and `name_en`) in the page's language: the one way every page, and any
    text composed in Python, shows such a name. An English page falls back to
    the Persian name when no English one was given; a person's or an
    organization's name has only the one it was written with."""
    if item is None:
        return ""
    if not _persian_page() and getattr(item, "name_en", ""):
        return item.name_en
    return digits(item.name)


# CLDR's list patterns, as Babel gives them for the page's language. Babel
# leaves some partly empty (Persian's narrow list has only its last join and
# its join of two, and babel.lists.format_list raises KeyError on three
# items): a missing join is the next wider style's, as CLDR resolves it.
LIST_STYLES = {
    # Parts of a line of details, no conjunction: «تجریش،‏ ۴ آذر» / «Tajrish, 4 Azar».
    "narrow": ("standard-narrow", "standard-short", "standard"),
    # A list that ends with "and": «تجریش،‏ نیاوران، و بازار» / «Tajrish, Niavaran, and Bazaar».
    "and": ("standard",),
}


def list_patterns(style):
    locale = get_locale() or Locale.parse("fa")
    patterns = {}
    for name in LIST_STYLES[style]:
        for key, value in (locale.list_patterns.get(name) or {}).items():
            patterns.setdefault(key, value)
    return patterns


def listed(items, style="narrow"):
    """Items joined as the page's language joins a list (CLDR's patterns, the
    algorithm of babel.lists.format_list), as markup: each item is escaped
    unless it is markup already. Empty items, and a template's `x if c` whose
    condition is false, are left out."""
    parts = [escape(item) for item in items if item]
    if len(parts) < 2:
        return parts[0] if parts else Markup("")
    patterns = {key: escape(value) for key, value in list_patterns(style).items()}
    if len(parts) == 2:
        return patterns["2"].format(*parts)
    result = patterns["start"].format(parts[0], parts[1])
    for part in parts[2:-1]:
        result = patterns["middle"].format(result, part)
    return patterns["end"].format(result, parts[-1])


def jinput(value):
    """A date as the Jalali text a form field shows."""
    return persian.format_jalali_input(value) if value else ""


def duration(minutes):
    """Minutes as hours and minutes, in the page's digits: ۲ ساعت و ۱۵ دقیقه."""
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        text = _("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)
    elif hours:
        text = _("%(hours)s h", hours=hours)
    else:
        text = _("%(minutes)s min", minutes=rest)
    return sign + digits(text)
