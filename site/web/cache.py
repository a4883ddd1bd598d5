"""A small in-process cache of rendered fragments, bounded and thread-safe.

Each server process keeps its own; an entry is used only while the version it
was made for is still current, so a stale fragment is never shown, whichever
node wrote the change. That holds when every version is read from the
database for the request and moved in the writer's own transaction: revision
numbers that triggers raise (`revision`: the catalog, the organizations, the
centers, each neighborhood's board). Never a time from some node's clock: a
node whose clock is behind, or a transaction that commits after a later one,
would leave such a version where it was (tests/test_ops.py shows the board)."""

import threading
from collections import OrderedDict

from flask import current_app, g, request, session


class FragmentCache:
    def __init__(self, size):
        self.size = size
        self.entries = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, version):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, key, version, value):
        with self.lock:
            self.entries[key] = (version, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def fragment_cache(name, size=1024):
    """The application's cache called `name`, made on first use."""
    caches = current_app.extensions.setdefault("fragment_caches", {})
    if name not in caches:
        caches[name] = FragmentCache(size)
    return caches[name]


# --- Whole pages for guests ----------------------------------------------------------------
#
# A guest's page that is made only of versioned parts (the board) is the same
# for every guest who asks for the same address with the same cookies and
# language: the process keeps it whole, compressed, and sends the bytes again
# while every version it was made from holds. Nothing personal can be kept: a
# member, a kiosk, a browser with a session (which may hold a flashed message
# or its own form token), or a page whose making touched the session is made
# every time. An htmx request (a boosted link) gets its own kept copy.

# Whole compressed pages kept per process and name (about 5 KB each).
GUEST_PAGES_KEPT = 3072
# What the layout shows beyond the page's own versions and the guest's
# display cookies: each source gives a version of it (a revision number).
_layout_versions = []


def layout_version(source):
    """Register `source()`, a version of something every guest page shows."""
    _layout_versions.append(source)
    return source


def guest_page(name, versions, render):
    """The response of a page that `render()` makes from what `versions` names:
    for a plain guest's GET, this process's compressed copy while they hold."""
    key = _guest_key()
    if key is None:
        return render()
    from hamsayeh.web import auth, compression  # the plumbing that guards the key

    version = (*versions, auth.light_csrf_token("main.set_language"), *(source() for source in _layout_versions))
    cache = fragment_cache(f"guest-page:{name}", size=GUEST_PAGES_KEPT)
    body = cache.get(key, version)
    if body is None:
        html = render()
        body = compression.gzip_body(html.encode())
        if not session.modified:
            cache.put(key, version, body)
    response = current_app.response_class(body, mimetype="text/html")
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def _guest_key():
    """All that a guest's page may depend on besides its data: the address,
    the language and the cookies (the chosen neighborhood, display
    preferences); None when this request is not a plain guest's GET."""
    if (
        request.method != "GET"
        or g.get("user") is not None
        or g.get("kiosk") is not None
        or current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        or "gzip" not in request.headers.get("Accept-Encoding", "")
    ):
        return None
    from flask_babel import get_locale

    # A boosted link's page leaves out the stylesheet the first page brought, unless it restores history.
    htmx = (request.headers.get("HX-Request") == "true", request.headers.get("HX-History-Restore-Request") == "true")
    return (request.host, request.full_path, str(get_locale()), tuple(sorted(request.cookies.items())), htmx)
