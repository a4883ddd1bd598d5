"""Headquarters imports a list, and a center registers a neighbor in person
(issue 18), in Chromium without JavaScript at 360 px, with axe-core on every
page: a file with bad rows is refused row by row, the corrected one comes in;
the desk prints a code, and the neighbor chooses their own PIN at the kiosk."""

import re

import pytest

import models
from hamsayeh import persian
from hamsayeh.domain import accounts

pytestmark = pytest.mark.browser

HEADER = "تلفن همراه,نام,استان,شهر,محله,فعالیت‌ها,روزها"


def test_headquarters_imports_volunteers_after_correcting_the_bad_rows(site_without_js, people, places, tmp_path):
    site = site_without_js
    bad = tmp_path / "volunteers.csv"
    bad.write_text(
        f"{HEADER}\n09123450001,مهسا کریمی,تهران,تهران,تجریش,سلامت,شنبه\n0212,رضا,تهران,تهران,ونک,فضانوردی,شنبه\n"
    )
    site.sign_in(people["admin"].phone)
    site.visit("/hq/imports/")
    site.follow("/hq/imports/volunteers")
    site.page.set_input_files("#f-file", str(bad))
    site.submit("/hq/imports/volunteers")
    text = site.text()
    assert "۱ مشکل: چیزی وارد نشد" in text and "شمارهٔ همراه نیست" in text
    assert models.User.by_phone("09123450001") is None
    good = tmp_path / "corrected.csv"
    good.write_text(f"{HEADER}\n09123450001,مهسا کریمی,تهران,تهران,تجریش,سلامت،کودکان,شنبه و دوشنبه\n")
    site.page.set_input_files("#f-file", str(good))
    site.submit("/hq/imports/volunteers")
    assert "داوطلبان تازه" in site.text()
    assert models.User.by_phone("09123450001").origin == "import"


def test_the_desk_registers_a_neighbor_who_chooses_a_pin_at_the_kiosk(site_without_js, people, places):
    site = site_without_js
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    site.sign_in(people["center_staff"].phone)
    site.visit("/desk/")
    site.follow(f"/desk/centers/{center.id}/register")
    site.fill("name", "صغری بانو")
    site.fill("phone", "09124445566")
    site.submit(f"/desk/centers/{center.id}/register")
    code = persian.to_latin_digits(site.page.inner_text("#claim-code")).replace(" ", "")
    assert re.fullmatch(r"\d{8}", code)
    # The terminal becomes the center's kiosk; the neighbor uses it.
    site.visit(f"/kiosk/centers/{center.id}")
    site.submit(f"/kiosk/centers/{center.id}")
    site.follow("/kiosk/claim")
    site.fill("phone", "09124445566")
    site.fill("code", code)
    site.fill("pin", "2468")
    site.fill("pin_again", "2468")
    site.submit("/kiosk/claim")
    assert "صغری بانو" in site.text()
    assert models.User.by_phone("09124445566").check_pin("2468")
