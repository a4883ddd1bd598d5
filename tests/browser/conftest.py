"""Browser tests drive the real site, served on a local port, in Debian's
Chromium through Playwright. Every page a test visits is scanned by axe-core
(WCAG 2.2 A and AA), checked for text contrast by our own measurement (axe
skips some Persian text) and for sideways scrolling at 360 px."""

import shutil
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
# WCAG's relative-luminance contrast of every element that holds text against
# its nearest opaque background.
CONTRAST_SCRIPT = """() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const worst = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    const fg = parse(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 7) worst.push({text: el.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100});
  }
  return worst;
}"""


class Site:
    """A page object: visits and forms, each page checked as it is reached."""

    def __init__(self, page, scanner):
        self.page = page
        self.scanner = scanner

    def visit(self, path):
        response = self.page.goto(path)
        self.check()
        return response

    def check(self):
        """axe-core, contrast of 7:1 for all text, and no sideways scrolling."""
        self.page.wait_for_load_state("load")
        # With scripts off in the page, the scan runs on its copy in a page that may run them.
        target = self.page
        if self.scanner is not None:
            self.scanner.set_content(self.page.content())
            target = self.scanner
        results = Axe().run(target, options=AXE_OPTIONS)
        assert results.violations_count == 0, f"{self.page.url}\n{results.generate_report()}"
        low = target.evaluate(CONTRAST_SCRIPT)
        assert not low, f"{self.page.url}: text under 7:1 contrast: {low}"
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{self.page.url} scrolls sideways by {overflow}px"

    def fill(self, field, value):
        self.page.fill(f"#f-{field}", value)

    def submit(self, action):
        """Send the form that posts to `action` and check the page it leads to."""
        with self.page.expect_navigation():
            # The form's own button: at a kiosk, the big number pad's keys (and a hidden default) come before it.
            self.page.click(f"form[action='{action}'] button[type=submit]:not([name=kiosk_key]):not([hidden])")
        self.check()

    def follow(self, href):
        with self.page.expect_navigation():
            self.page.click(f"main a[href='{href}']")
        self.check()

    def sign_in(self, phone, pin="2580"):
        self.visit("/account/sign-in")
        self.fill("phone", phone)
        self.fill("pin", pin)
        self.submit("/account/sign-in")

    def text(self):
        return self.page.inner_text("body")

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs it from Debian's packages"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30000)
        yield chromium
        chromium.close()


def _context(browser, live_server, javascript):
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 360, "height": 740},
        java_script_enabled=javascript,
        locale="fa-IR",
    )
    context.set_default_timeout(10000)
    return context


@pytest.fixture
def site(browser, live_server, db):
    context = _context(browser, live_server, javascript=True)
    yield Site(context.new_page(), scanner=None)
    context.close()


@pytest.fixture
def site_without_js(browser, live_server, db):
    context = _context(browser, live_server, javascript=False)
    scan_context = _context(browser, live_server, javascript=True)
    yield Site(context.new_page(), scanner=scan_context.new_page())
    context.close()
    scan_context.close()
