"""Limits on expensive responses: a PDF costs a worker up to a second, so each
member (or, for a guest, each address) may ask for only so many in a while;
one more is answered 429 with a message in the page's language.

The counts are kept in the server process, so with several workers a member
gets the limit once per worker: still a bound, and nothing to run beside the
site. The limit is on unless the application is under test, where a test
turns it on for itself (RATE_LIMITS)."""

import threading
import time
from collections import deque
from functools import wraps

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from hamsayeh.web.errors import render_error

# Ten PDFs in ten minutes: more than anyone prints by hand.
EXPENSIVE = (10, 10 * 60)
KEYS_KEPT = 10_000


class SlidingWindow:
    """When each key was last let through, within the window."""

    def __init__(self):
        self.hits = {}
        self.lock = threading.Lock()

    def allow(self, key, count, seconds):
        now = time.monotonic()
        with self.lock:
            recent = self.hits.get(key)
            if recent is None:
                if len(self.hits) >= KEYS_KEPT:
                    self._forget_idle(now - seconds)
                recent = self.hits[key] = deque()
            while recent and recent[0] <= now - seconds:
                recent.popleft()
            if len(recent) >= count:
                return False
            recent.append(now)
            return True

    def _forget_idle(self, since):
        for key in [key for key, recent in self.hits.items() if not recent or recent[-1] <= since]:
            del self.hits[key]

    def clear(self):
        with self.lock:
            self.hits.clear()


def window(name):
    """The application's window called `name`, made on first use."""
    windows = current_app.extensions.setdefault("rate_limits", {})
    return windows.setdefault(name, SlidingWindow())


def who():
    """The person really there (not whom they act for), or a guest's address."""
    person = g.get("actor") or g.get("user")
    return f"user:{person.id}" if person is not None else f"address:{request.remote_addr}"


def spend(name="expensive", limit=EXPENSIVE):
    """None when the caller may have one more expensive response, else the 429 page."""
    if not current_app.config.get("RATE_LIMITS", not current_app.testing):
        return None
    count, seconds = limit
    if window(name).allow(who(), count, seconds):
        return None
    page, status = render_error(
        429,
        _l("Too many printouts for now"),
        _l("You have asked for many printouts in the last few minutes. Please wait ten minutes and try again."),
    )
    return page, status, {"Retry-After": str(seconds)}


def expensive(view):
    """The view counts against the caller's limit of expensive responses."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        return spend() or view(*args, **kwargs)

    return wrapped
