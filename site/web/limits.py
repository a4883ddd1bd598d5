"""Limits on expensive responses: a PDF costs a worker up to a second, so each
member (or, for a guest, each address) may ask for only so many in a while;
one more is answered 429 with a message in the page's language.

The counts are shared by every node, so a limit holds however many processes
serve: in Redis when the site names one (HAMSAYEH_LIMITS_URL, or the Redis of
its sessions or queue), else in the database (hamsayeh.domain.rate_limits).
The limit is on unless the application is under test, where a test turns it
on for itself (RATE_LIMITS)."""

from functools import wraps

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from hamsayeh.domain import rate_limits
from hamsayeh.web.errors import render_error

# Ten PDFs in ten minutes: more than anyone prints by hand.
EXPENSIVE = (10, 10 * 60)

# One sliding window in a sorted set: drop the hits that left it, count, and
# let this one in only when there is room. Atomic in Redis, with Redis's own
# clock, so nodes whose clocks differ still count one window.
SLIDING_WINDOW = """
local now = redis.call('TIME')
local at = tonumber(now[1]) + tonumber(now[2]) / 1000000
local seconds, count = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', at - seconds)
if redis.call('ZCARD', KEYS[1]) >= count then return 0 end
redis.call('ZADD', KEYS[1], at, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(seconds))
return 1
"""


class DatabaseCounts:
    def allow(self, bucket, count, seconds):
        return rate_limits.allow(bucket, count, seconds)

    def clear(self):
        rate_limits.forget()


class RedisCounts:
    def __init__(self, url, prefix="hamsayeh:limit:"):
        import redis  # only a site that names a Redis server needs the client

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self.script = self.redis.register_script(SLIDING_WINDOW)

    def allow(self, bucket, count, seconds):
        import secrets

        return bool(self.script(keys=[self.prefix + bucket], args=[seconds, count, secrets.token_hex(8)]))

    def clear(self):
        keys = list(self.redis.scan_iter(self.prefix + "*"))
        if keys:
            self.redis.delete(*keys)


def redis_url(config):
    """The Redis that keeps the counts, or "" for the database."""
    for name in ("LIMITS_URL", "SESSION_URL", "QUEUE_URL"):
        url = config.get(name, "")
        if url.startswith(("redis://", "rediss://", "unix://")):
            return url
    return ""


def counts():
    """The application's counts, made on first use."""
    found = current_app.extensions.get("rate_limits")
    if found is None:
        url = redis_url(current_app.config)
        found = current_app.extensions["rate_limits"] = RedisCounts(url) if url else DatabaseCounts()
    return found


def who():
    """The person really there (not whom they act for), or a guest's address."""
    person = g.get("actor") or g.get("user")
    return f"user:{person.id}" if person is not None else f"address:{request.remote_addr}"


def spend(name="expensive", limit=EXPENSIVE):
    """None when the caller may have one more expensive response, else the 429 page."""
    if not current_app.config.get("RATE_LIMITS", not current_app.testing):
        return None
    count, seconds = limit
    if counts().allow(f"{name}:{who()}", count, seconds):
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
