"""The real server for tests that need several processes at once: gunicorn
with worker processes on the test database (SQLite, or PostgreSQL when the
suite runs on it), and a member's browser that speaks to it over HTTP."""

import contextlib
import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CSRF_PATTERN, PIN

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app, workers=4):
    """(base URL, process) of gunicorn serving the site on the test's database, until the block ends."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=app.config["DATABASE_URL"],
        SECRET_KEY=app.config["SECRET_KEY"],
        HAMSAYEH_REGISTRY_KEY=app.config["REGISTRY_KEY"],
        HAMSAYEH_AUDIT_KEY=app.config["AUDIT_KEY"],
    )
    env.pop("HAMSAYEH_ENV", None)
    process = subprocess.Popen(
        [GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start")
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A member's browser: their own cookies, signed in, with the form token of `page`."""

    def __init__(self, base, user, page):
        self.base, self.user = base, user
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects)
        token = self.token("/account/sign-in")
        assert self.post("/account/sign-in", {"phone": user.phone, "pin": PIN, "csrf_token": token}) == 302
        self.csrf = self.token(page)

    def token(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return CSRF_PATTERN.search(response.read().decode()).group(1)

    def post(self, path, data):
        return self.submit(path, data)[0]

    def submit(self, path, data):
        """(status, page) of a form sent to `path`."""
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode())
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
