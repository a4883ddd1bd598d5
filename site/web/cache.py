"""A small in-process cache of rendered fragments, bounded and thread-safe.

Each server process keeps its own; an entry is used only while the version it
was made for is still current, so a stale fragment is never shown."""

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
