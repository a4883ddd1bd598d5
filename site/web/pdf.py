"""The one PDF renderer of the site: a template rendered to HTML, then to a PDF
by WeasyPrint, in Persian with the Vazirmatn font that the project installs
itself (`make assets` copies it out of the pinned npm package into
static/fonts), never a font that only happens to be on one machine."""

from pathlib import Path

import segno
from flask import current_app, render_template
from markupsafe import Markup

FONTS = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf")


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


def render(template, **context):
    """The PDF's bytes."""
    # Imported on first use (about 0.7 s), then kept by the worker.
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    folder = fonts_folder()
    html = render_template(template, fonts=folder.as_uri() + "/", **context)
    return weasyprint.HTML(string=html, base_url=str(folder)).write_pdf(font_config=FontConfiguration())


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
        html = render_template(template, fonts=folder.as_uri() + "/", **context)
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
