"""The one PDF renderer of the site: a template rendered to HTML, then to a PDF
by WeasyPrint, in Persian with the Vazirmatn font that the project installs
itself (`make assets` copies it out of the pinned npm package into
static/fonts), never a font that only happens to be on one machine.

Notices for a wall come in three sizes of the same A series, so one layout
serves them all: every length in a notice is in `rem`, and the root font size
and the page's margin grow with the paper (A5 is A4 times 1/√2, A3 times √2).
A one-page document carries no page number; a longer one is numbered
«page / pages» at its foot."""

from pathlib import Path

import segno
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from hamsayeh import persian
from hamsayeh.web.templating import listed as listed_in_locale
from hamsayeh.web.templating import local_name

FONTS = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf")


class Paper:
    """A paper size of the A series, with what a notice on it is laid out by."""

    def __init__(self, name, width, height, scale):
        self.name, self.width, self.height, self.scale = name, width, height, scale
        self.margin = round(12 * scale, 1)  # mm
        self.base = round(13 * scale, 2)  # the root font size, pt
        # The notice's sheet fills the page's box from top to bottom (less a
        # millimetre, so that rounding never pushes it to a second page).
        self.inner_height = round(height - 2 * self.margin - 1, 1)  # mm


PAPERS = {
    "A5": Paper("A5", 148, 210, 0.7071),
    "A4": Paper("A4", 210, 297, 1.0),
    "A3": Paper("A3", 297, 420, 1.4142),
}

# The words a phone without a browser sends to the site's SMS line, printed on
# every notice beside the center's phone: (the word as sent, an example
# number to send with it or None, what it does). The SMS side reads the same words.
SMS_COMMANDS = (
    ("کمک", None, _l("Ask for help: a neighbor calls you")),
    ("وضعیت", None, _l("Your open requests")),
    ("لغو", 2, _l("Cancel the request with that number")),
    ("بله", None, _l("The help you asked for was done")),
    ("راهنما", None, _l("The list of these words")),
)


class MissingFont(RuntimeError):
    pass


def fonts_folder():
    folder = Path(current_app.static_folder) / "fonts"
    missing = [name for name in FONTS if not (folder / name).is_file()]
    if missing:
        raise MissingFont(f"{', '.join(missing)} not in {folder}: run `make assets` to install the fonts")
    return folder


def qr_code(url):
    """A QR code of `url` as an inline SVG for a printed page."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 (segno draws it from our own address)


def spaced_phone(number):
    """A phone number in groups a person reads aloud: 021 2271 2345, 3000 4040."""
    number = persian.to_latin_digits(number or "").replace(" ", "").replace("-", "")
    if not number.isdigit():
        return number
    if len(number) == 11 and number.startswith("09"):
        return f"{number[:4]} {number[4:7]} {number[7:]}"
    if len(number) == 11 and number.startswith("0"):
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    groups = [number[max(0, end - 4) : end] for end in range(len(number), 0, -4)]
    return " ".join(reversed(groups))


def short_url(url):
    """The address as printed under a QR code: without its scheme, as people type it."""
    return url.split("://", 1)[-1]


def listed(items):
    """Places' names as one list in the page's language: «تجریش، نیاوران و دزاشیب»."""
    return listed_in_locale([local_name(item) for item in items], "and")


def clock(moment):
    """A moment's time of day on Tehran's clock: 17:30."""
    return f"{persian.tehran_time(moment):%H:%M}"


def weekday(day):
    """The name of a day of the week: «شنبه»."""
    return persian.WEEKDAYS[day.weekday()]


def day_month(day):
    """A day of the Jalali calendar without its year: «۸ آذر» (digits left to the caller)."""
    found = persian.to_jalali(day)
    return f"{found.day} {persian.MONTHS[found.month - 1]}"


def week_density(days):
    """How tightly a week of programs is set to stay on one page: "roomy"
    for a quiet week (it fills the page), "normal", or "dense" for a busy one;
    from the lines its days take (a day without programs takes one)."""
    lines = sum(max(1, len(items)) for _day, items, _more in days)
    return "roomy" if lines <= 8 else "normal" if lines <= 14 else "dense"


def sms_number():
    """The SMS line people text, as configured (`HAMSAYEH_SMS_NUMBER`); empty when
    the site has none, and then notices print no SMS words."""
    return current_app.config.get("SMS_NUMBER", "")


def _html(template, folder, context):
    paper = PAPERS.get(context.get("size"))
    return render_template(
        template,
        fonts=folder.as_uri() + "/",
        paper=paper,
        sms_line=sms_number(),
        sms_commands=SMS_COMMANDS,
        spaced_phone=spaced_phone,
        short_url=short_url,
        clock=clock,
        weekday=weekday,
        day_month=day_month,
        **context,
    )


def render(template, **context):
    """The PDF's bytes.

    A notice (a `size` of PAPERS) is laid out filling its page: its foot (the
    QR code, the center's details, the SMS words) at the page's foot. When its
    content would run into the foot, it is laid out again `tight` (smaller
    type, the foot in one row), and if that is still too long, flowing, foot
    after content, onto a second page. A document of more than one page is
    laid out again with page numbers (in the margins, so the pages break where
    they did); a one-page document carries none."""
    # Imported on first use (about 0.7 s), then kept by the worker.
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    folder = fonts_folder()

    def layout(**flags):
        html = _html(template, folder, {**context, **flags})
        return weasyprint.HTML(string=html, base_url=str(folder)).render(font_config=FontConfiguration())

    if context.get("size") in PAPERS:
        document = layout(page_numbers=False, fill=True, tight=False)
        if not _fits(document):
            document = layout(page_numbers=False, fill=True, tight=True)
        if not _fits(document):
            document = layout(page_numbers=False, fill=False, tight=True)
    else:
        document = layout(page_numbers=False)
    if len(document.pages) > 1:
        document = layout(page_numbers=True, fill=False, tight=True)
    return document.write_pdf()


def _fits(document):
    """Whether a filled notice is one page whose content ends above its foot."""
    if len(document.pages) != 1:
        return False
    anchors = document.pages[0].anchors
    return "notice-end" in anchors and "foot" in anchors and anchors["notice-end"][1] <= anchors["foot"][1]


def render_in_parts(template, parts, done=None):
    """One PDF of many pages, rendered `parts` (contexts) at a time; `done(n)`
    hears how many parts are laid out, so that a long batch shows progress
    and holds one part's HTML at a time."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    folder = fonts_folder()
    fonts = FontConfiguration()
    documents = []
    for number, context in enumerate(parts, start=1):
        html = _html(template, folder, context)
        documents.append(weasyprint.HTML(string=html, base_url=str(folder)).render(font_config=fonts))
        if done is not None:
            done(number)
    if not documents:
        return b""
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def response(template, filename, **context):
    """A PDF download for the browser."""
    return pdf_response(render(template, **context), filename)


def pdf_response(data, filename):
    return current_app.response_class(
        data, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )
