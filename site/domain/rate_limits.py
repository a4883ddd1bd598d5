"""The counts behind the limits on expensive responses, kept in the database
when the site names no Redis: one count however many nodes serve."""

import datetime

from peewee import SqliteDatabase

from models import RateHit, db, utcnow, write_transaction

# Hits older than this are no use to any limit: each call sweeps them away.
LONGEST_WINDOW = datetime.timedelta(days=1)
# The class of the advisory locks taken here (PostgreSQL), apart from the audit chain's.
LOCK_CLASS = 7243002


def allow(bucket, count, seconds, now=None):
    """True, and counted, when `bucket` had fewer than `count` hits in the last
    `seconds`; else False. Two nodes asking at once for the last place meet at
    a lock: SQLite's write lock, or an advisory lock on the bucket."""
    now = now or utcnow()
    with write_transaction():
        if not isinstance(db.obj, SqliteDatabase):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, bucket))
        RateHit.delete().where(RateHit.at < now - LONGEST_WINDOW).execute()
        recent = RateHit.select().where(
            RateHit.bucket == bucket, RateHit.at > now - datetime.timedelta(seconds=seconds)
        )
        if recent.count() >= count:
            return False
        RateHit.insert(bucket=bucket, at=now).execute()
        return True


def forget(prefix=""):
    """Start every count again (those whose bucket starts with `prefix`)."""
    with write_transaction():
        RateHit.delete().where(RateHit.bucket.startswith(prefix)).execute()
