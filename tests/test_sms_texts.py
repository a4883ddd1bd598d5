"""Every SMS the site words, with the longest values a person would meet: a
Persian one fits one SMS (70 characters of UCS-2), shortening a name or a
title rather than paying for a second; a list of requests stays within two."""

import pytest

from hamsayeh.domain import notifications, sms
from hamsayeh.web import sms_texts

# Long but real: a full name with a compound surname, titles at their limit.
LONGEST = {
    "name": "محمدحسین مولایی‌نژاد اصفهانی",
    "title": "کلاس آموزش گوشی هوشمند و پیام‌رسان‌ها برای سالمندان محلهٔ تجریش و نیاوران، هر هفته یکشنبه و سه‌شنبه صبح",
    "number": 999,
    "code": "048213",
}
# A message whose value has a longer shape of its own: a voucher's twelve digits, spaced.
LONGEST_OF_KIND = {"voucher_code": {"code": "1234 5678 9012"}}
KIND_NAMES = ("خرید و کارهای بیرون", "مراقبت از سالمندان", "آموزش و کمک درسی")


def kinds():
    with_values = {kind for kind in sms_texts._messages() if not kind.startswith("status")} | {"status_none"}
    return sorted(with_values)


@pytest.mark.parametrize("kind", kinds())
def test_each_persian_message_fits_one_sms_with_the_longest_values(app, kind):
    body = notifications.text(kind, "fa", **{**LONGEST, **LONGEST_OF_KIND.get(kind, {})})
    assert len(body) <= sms.SEGMENT_UCS2 and sms.segments(body) == 1, (len(body), body)
    assert body.startswith("همسایه")
    assert not any(char in body for char in "0123456789"), body  # Persian digits only


@pytest.mark.parametrize("kind", kinds())
def test_each_english_message_stays_within_two(app, kind):
    body = notifications.text(kind, "en", **{**LONGEST, **LONGEST_OF_KIND.get(kind, {})})
    assert body.startswith("Hamsayeh") and sms.segments(body) <= 2, body


def test_a_short_name_is_kept_whole_and_a_long_one_shortened_from_its_end(app):
    short = notifications.text("done", "fa", name="رضا")
    assert "رضا" in short and "…" not in short
    long = notifications.text("done", "fa", name=LONGEST["name"])
    assert "محمدحسین" in long and "…" in long and len(long) <= sms.SEGMENT_UCS2


def test_the_code_is_whole_whatever_else_is_shortened(app):
    body = notifications.text("claim_code", "fa", code="048213")
    assert "۰۴۸۲۱۳" in body and "…" not in body


def test_the_list_of_open_requests_stays_within_two_sms(app):
    items = [
        {"number": 100 + n, "kind": kind, "state": state, "offers": offers}
        for n, (kind, state, offers) in enumerate(zip(KIND_NAMES, ("open", "open", "matched"), (0, 12, 1), strict=True))
    ]
    body = notifications.text("status_more", "fa", items=items, more=7)
    assert sms.segments(body) <= 2, (len(body), body)
    assert "۱۰۰" in body and "۱۲ پیشنهاد" in body and "کمک‌رسان دارد" in body and "۷" in body


def test_segments_count_ucs2_and_gsm_text_as_an_operator_bills_them():
    assert sms.segments("س" * 70) == 1 and sms.segments("س" * 71) == 2 and sms.segments("س" * 134) == 2
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("a" * 69 + "«") == 1 and sms.segments("a" * 70 + "«") == 2
