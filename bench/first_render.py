"""First render on Chrome's "Slow 3G" profile (2 s latency, 400 kbit/s).

Serves the site with the production server (gunicorn) on a fresh SQLite
database with the demo data, then for each page measures in Chromium:
the compressed HTML size, the render-blocking requests, and the time to
first contentful paint on a cold cache, beside the same page with its
stylesheet moved out to a separate file (the design we rejected).
Prints a Markdown table and writes it to bench/out/first_render.md.

    .venv/bin/python bench/first_render.py
"""

import gzip
import http.server
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PAGES = ["/", "/areas/", "/account/sign-in", "/account/sign-up", "/preferences"]
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 400 * 1000 / 8, "uploadThroughput": 400 * 1000 / 8}
ROUNDS = 3
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3", SECRET_KEY="bench-only", FLASK_APP="app")
    for command in (["flask", "migrate"], ["flask", "seed-demo"]):
        subprocess.run([BIN / command[0], *command[1:]], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def compressed_size(base, path):
    request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") != "gzip":
            body = gzip.compress(body)
    return len(body)


class SeparateStylesheet(http.server.BaseHTTPRequestHandler):
    """Serves the site's pages with the inline stylesheet moved out to its own
    file: the design this one is compared against, over the same throttled link."""

    upstream = ""

    def do_GET(self):
        if self.path == "/separate.css":
            body, kind = (ROOT / "static/css/site.css").read_bytes(), "text/css"
        else:
            with urllib.request.urlopen(self.upstream + self.path) as response:
                html = response.read().decode()
            start, end = html.index("<style>"), html.index("</style>") + len("</style>")
            body = (html[:start] + '<link rel="stylesheet" href="/separate.css">' + html[end:]).encode()
            kind = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_separate_stylesheet_server(upstream):
    SeparateStylesheet.upstream = upstream
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SeparateStylesheet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def first_paint(browser, base, path):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.goto(base + path, wait_until="load")
    page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0", timeout=30000)
    paint = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
    blocking = page.evaluate(
        "performance.getEntriesByType('resource').filter(r => r.renderBlockingStatus === 'blocking').length"
    )
    context.close()
    return paint / 1000, blocking


def main():
    with tempfile.TemporaryDirectory() as workdir:
        server, base = start_server(workdir)
        separate, separate_base = start_separate_stylesheet_server(base)
        try:
            rows = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                for path in PAGES:
                    inline = [first_paint(browser, base, path) for _ in range(ROUNDS)]
                    external = [first_paint(browser, separate_base, path) for _ in range(ROUNDS)]
                    rows.append(
                        (
                            path,
                            compressed_size(base, path),
                            inline[0][1],
                            statistics.median(t for t, _ in inline),
                            statistics.median(t for t, _ in external),
                        )
                    )
                browser.close()
        finally:
            separate.shutdown()
            server.terminate()
            server.wait()
    lines = [
        "| page | HTML, gzip | render-blocking requests | first paint, Slow 3G | same page with a separate stylesheet |",
        "| --- | --- | --- | --- | --- |",
    ]
    for path, size, blocking, inline_s, external_s in rows:
        lines.append(f"| `{path}` | {size / 1024:.1f} KB | {blocking} | {inline_s:.2f} s | {external_s:.2f} s |")
    table = "\n".join(lines)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "first_render.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
