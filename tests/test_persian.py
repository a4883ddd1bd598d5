import datetime

import pytest

from hamsayeh import persian


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("۰۹۱۲۳۴۵۶۷۸۹", "09123456789"),
        ("٠٩١٢٣٤٥٦٧٨٩", "09123456789"),
        ("علي كريمي", "علی کریمی"),
        ("  سلام   دنیا \t", "سلام دنیا"),
        ("می\u200cخواهم", "می\u200cخواهم"),
        ("می \u200c خواهم", "می\u200cخواهم"),
        ("نـــان", "نان"),
        ("خط یک\r\nخط  دو", "خط یک\nخط دو"),
        (None, ""),
    ],
)
def test_normalize(typed, stored):
    assert persian.normalize(typed) == stored


def test_fold_ignores_spaces_half_spaces_and_letter_forms():
    assert persian.fold("مثبت‌زندگی") == persian.fold("مثبت زندگي") == persian.fold("مثبتزندگی")
    assert persian.fold("آبسرد") == persian.fold("ابسرد")
    assert persian.fold("Tajrish") == "tajrish"


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "+989121234567",
        "00989121234567",
        "989121234567",
        "9121234567",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123 45 67",
    ],
)
def test_phone_numbers_have_one_stored_form(typed):
    assert persian.normalize_phone(typed) == "09121234567"


@pytest.mark.parametrize(
    "typed", ["", "0912123456", "091212345678", "02188776655", "+19121234567", "abc", "08121234567", "+۹۸"]
)
def test_wrong_phone_numbers_are_refused(typed):
    assert persian.normalize_phone(typed) is None


def test_mask_phone_shows_only_the_ends():
    assert persian.mask_phone("09121234567") == "0912***4567"


@pytest.mark.parametrize("code", ["0012345679", "1234567891", "4987654326", "۰۰۱۲۳۴۵۶۷۹"])
def test_valid_national_codes(code):
    assert persian.is_valid_national_code(code)


@pytest.mark.parametrize(
    "code", ["0012345678", "1234567890", "4987654322", "1111111111", "123456789", "12345678901", "abcdefghij"]
)
def test_invalid_national_codes(code):
    assert not persian.is_valid_national_code(code)


def test_jalali_date_in_english_when_no_translation_is_active():
    assert persian.jalali_date(datetime.date(2026, 11, 22)) == "1 Azar 1405"
    assert persian.jalali_date(datetime.date(2026, 11, 22), weekday=True) == "Sunday 1 Azar 1405"
    assert persian.jalali_date(datetime.date(2026, 3, 21)) == "1 Farvardin 1405"


def test_digits_round_trip():
    assert persian.to_persian_digits("1405/09/01") == "۱۴۰۵/۰۹/۰۱"
    assert persian.to_latin_digits("۱۴۰۵") == "1405"


def test_a_whole_number_is_only_ever_made_of_the_ten_digits():
    assert persian.whole_number("۱۲") == 12 and persian.whole_number("٣4") == 34
    assert persian.whole_number("0") == 0 and persian.whole_number("12", most=10) is None
    for text in ("²", "-1", "1.5", "", " ", "1" * 13, "1" * 5000, "۱۲a"):
        assert persian.whole_number(text) is None, text
