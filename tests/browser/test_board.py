"""The neighborhood board in Chromium at 360 px, with scripts on and off."""

import pytest

import models

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_resident_posts_a_need_and_a_neighbor_finds_it(request, javascript, people, places):
    site = request.getfixturevalue("site" if javascript else "site_without_js")
    site.sign_in(people["resident"].phone)
    site.visit("/board/")
    site.follow("/board/new?kind=request")
    # A mistake first: the text is kept and the message sits beside the field.
    site.page.select_option("#f-activity_type", "companionship")
    site.fill("text", "کوتاه")
    site.submit("/board/new")
    assert site.page.get_attribute("#f-text", "aria-invalid") == "true"
    assert site.page.input_value("#f-text") == "کوتاه"
    site.fill("text", "همسایهٔ تنهای ما امروز هم‌صحبت می‌خواهد؛ کسی سری به او بزند")
    site.page.check("input[name=urgency][value='2']")
    site.fill("place", "کوچهٔ اقاقیا، پلاک ۱۱")
    site.submit("/board/new")
    post = models.HelpPost.get()
    assert site.page.url.endswith(f"/board/posts/{post.id}")
    assert "اقاقیا" in site.text()
    site.screenshot(f"board-post-fa-{'js' if javascript else 'nojs'}")
    site.page.context.clear_cookies()
    site.sign_in(people["volunteer"].phone)
    site.visit("/board/?q=هم صحبت")
    site.follow(f"/board/posts/{post.id}")
    assert "هم‌صحبت" in site.text() and "اقاقیا" not in site.text()
    site.screenshot(f"board-fa-{'js' if javascript else 'nojs'}")
