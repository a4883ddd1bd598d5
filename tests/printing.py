"""Reading printed PDFs back the way a person would: their text (in the order
it is read), their fonts, their paper, where the ink is, and the QR code.
Shared by the tests of notices, cards, statements and certificates."""

import io
import re
import subprocess

from PIL import Image, ImageOps
from pypdf import PdfReader

from hamsayeh import persian
from tests.factories import read_qr

__all__ = ["has_number", "ink_box", "paper_mm", "pdf_text_and_fonts", "read_qr", "reads_in_order", "squeezed"]

MM_PER_POINT = 25.4 / 72
DIGITS = re.compile(r"[0-9۰-۹:/٬,.]")


def pdf_text_and_fonts(data):
    """The reader, the text of every page (pypdf drops the ZWNJ), and the fonts used."""
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages).replace("\u200c", "")
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    return reader, text, fonts


def squeezed(text):
    """Text without spaces or the ZWNJ: pypdf splits and joins Persian runs its own way."""
    return "".join(text.replace("\u200c", "").split())


def _without_digits(text):
    return DIGITS.sub("", squeezed(text))


def reads_in_order(text, lines):
    """Whether each of `lines` is in `text`, one after another. pypdf reverses
    some runs of digits in right-to-left text (and not others), so lines are
    compared without their digits: check those with `has_number`."""
    position = 0
    flat = _without_digits(text)
    for line in lines:
        found = flat.find(_without_digits(line), position)
        if found < 0:
            return False
        position = found + 1
    return True


def has_number(text, number):
    """Whether `number` (digits, maybe with a colon or spaces) is in `text` as
    printed in Persian digits, read either way (see `reads_in_order`)."""
    flat = squeezed(text)
    written = squeezed(persian.to_persian_digits(number))
    return written in flat or written[::-1] in flat


def paper_mm(data, page=0):
    """(width, height) of a page in whole millimetres."""
    box = PdfReader(io.BytesIO(data)).pages[page].mediabox
    return round(float(box.width) * MM_PER_POINT), round(float(box.height) * MM_PER_POINT)


def ink_box(data, tmp_path, page=1):
    """Where the ink is on a page, as fractions of its width and height
    (left, top, right, bottom), from poppler's rendering at 40 dpi."""
    (tmp_path / "ink.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "ink.pdf", "ink"], cwd=tmp_path, check=True
    )
    image = Image.open(next(tmp_path.glob("ink*.png"))).convert("L")
    left, top, right, bottom = ImageOps.invert(image).point(lambda v: 255 if v > 24 else 0).getbbox()
    return left / image.width, top / image.height, right / image.width, bottom / image.height
