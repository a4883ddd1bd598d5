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

from flask import current_app


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
