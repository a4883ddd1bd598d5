"""The neighborhood's services directory in Chromium without JavaScript, at
360 px, with axe-core on every page (issue 22, part 6, "done when"): a
facilitator imports Tajrish's list from a CSV file (checked and previewed
first), it shows on the neighborhood's page, prints on one page (read back
with pdftotext), and a neighbor reaches it from the simple home in one tap."""

import re
import subprocess

import pytest

import models
from hamsayeh.domain import directory

pytestmark = pytest.mark.browser

CSV = """نام,نوع,نشانی,ساعت کار,تلفن
خانه بهداشت تجریش,خانه بهداشت,"خیابان شهرداری، کوچه سعیدی، پلاک ۱۲",شنبه تا چهارشنبه ۷:۳۰ تا ۱۴,021-22710000
داروخانه شبانه‌روزی قدس,داروخانه,"میدان قدس، ضلع شمالی",شبانه‌روزی,۰۲۱ ۲۲۷۴ ۰۰۰۰
گروه ایتای محله تجریش,گروه پیام‌رسان,https://eitaa.com/tajrish_mahalle,,
"""


def pdf_words(path):
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    return re.sub(r"[\s\u200c\u202a-\u202e]", "", text)


def test_a_neighborhoods_directory_is_imported_shown_printed_and_reached_from_the_simple_pages(
    site_without_js, people, places, tmp_path
):
    site, tajrish = site_without_js, places["Tajrish"]
    fields, _problems = directory.check_fields({"name": "صدای مشاور بهزیستی", "category": "welfare", "phone": "1480"})
    directory.add_entry(None, people["admin"], "national-1480", fields)
    listing = tmp_path / "tajrish.csv"
    listing.write_text(CSV, encoding="utf-8")

    # The facilitator imports the list: checked and previewed, then imported.
    site.sign_in(people["facilitator"].phone)
    site.visit("/directory/")
    site.follow(f"/directory/areas/{tajrish.id}")
    site.follow(f"/directory/areas/{tajrish.id}/import")
    site.page.set_input_files("#f-file", str(listing))
    site.submit(f"/directory/areas/{tajrish.id}/import")  # the first button: check and preview
    assert "پرونده درست است" in site.text() and "داروخانه شبانه‌روزی قدس" in site.text()
    assert not models.DirectoryEntry.select().where(models.DirectoryEntry.area == tajrish).exists()
    site.page.set_input_files("#f-file", str(listing))
    with site.page.expect_navigation():
        site.page.click("button[value=import]")
    site.check()
    assert "واردشده از فهرست" in site.text()
    assert models.DirectoryEntry.select().where(models.DirectoryEntry.area == tajrish).count() == 3

    # Shown on the neighborhood's page, with who checked each and when, and a phone to tap.
    site.visit(f"/areas/{tajrish.id}")
    text = site.text()
    assert "خدمات نزدیک این‌جا" in text and "خانه بهداشت تجریش" in text and "صدای مشاور بهزیستی" in text
    assert f"بررسی‌شده توسط {people['facilitator'].name}" in text
    assert site.page.locator("a[href='tel:02122710000']").count() == 1
    site.screenshot("directory-neighborhood-fa")

    # Printed for the center's wall: one page, every service and its phone.
    pdf = site.page.request.get(f"/directory/areas/{tajrish.id}/print.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "list.pdf").write_bytes(pdf.body())
    info = subprocess.run(["pdfinfo", str(tmp_path / "list.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    words = pdf_words(tmp_path / "list.pdf")
    for name in ("خدماتنزدیکتجریش", "خانهبهداشتتجریش", "داروخانهشبانهروزیقدس", "صدایمشاوربهزیستی"):
        assert name in words, name
    assert "۰۲۱۲۲۷۱۰۰۰۰" in words and "۱۴۸۰" in words and "eitaa.com/tajrish_mahalle" in words

    # A neighbor of Tajrish, on the simple pages: one tap from the simple home.
    site.page.context.clear_cookies()
    site.sign_in(people["resident"].phone)
    site.visit("/simple/")
    taps = 0
    site.follow("/simple/services")
    taps += 1
    assert taps == 1
    assert "خدمات نزدیک من" in site.text() and "داروخانه شبانه‌روزی قدس" in site.text()
    call = site.page.locator("a[href='tel:02122740000']")
    assert call.count() == 1 and call.bounding_box()["height"] >= 48
    site.screenshot("directory-simple-fa")
