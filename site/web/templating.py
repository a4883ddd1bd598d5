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
from flask_babel import get_locale
from flask_babel import gettext as _

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
    )
    # Templates and the menu ask the same rules as the views' guards.
    app.jinja_env.globals["access"] = access
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
        "page_locale": PageLocale(get_locale()),
        "prefs": prefs,
        "html_class": " ".join(classes),
        "current_user": g.get("user"),
        "current_actor": g.get("actor"),
        "current_roles": g.get("roles", frozenset()),
        "unread": models.Notification.unread_count(g.user) if g.get("user") is not None else 0,
        "inline_css": current_app.config["INLINE_CSS"],
        # Between the parts of a line of details: a middle dot would read as
        # the Persian zero (۰) beside Persian digits, so Persian pages use a comma.
        "sep": "، " if _persian_page() else " · ",
    }


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
    """A place's or a list item's name in the page's language."""
    if not _persian_page() and getattr(item, "name_en", ""):
        return item.name_en
    return digits(item.name)


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
