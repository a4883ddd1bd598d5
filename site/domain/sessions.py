"""Signed-in sessions kept on the server (ASVS V7.4.1, V7.4.2): the browser
holds a random id, the store only its hash, so that whoever reads the store
cannot take a session over. Ending a session deletes its record: a cookie
copied before sign-out, kiosk Finish, a time-out, a PIN change or a disabled
account then opens nothing.

Two stores behind one small interface: the `session` table (the default), or
Redis when the site names one. `use_store` picks it once at start-up."""

import dataclasses
import datetime
import hashlib
import json
import secrets

from models import Session, utcnow, write_transaction


@dataclasses.dataclass
class Record:
    """One session as stored: `data` is the serialized session, opaque here."""

    id_hash: str
    user_id: int
    data: str
    user_agent: str
    created_at: datetime.datetime
    seen_at: datetime.datetime
    expires_at: datetime.datetime


def new_id():
    return secrets.token_urlsafe(32)


def id_hash(session_id):
    return hashlib.sha256(session_id.encode()).hexdigest()


class TableStore:
    """Sessions in the database's `session` table."""

    def load(self, key, now):
        row = Session.get_or_none(Session.id_hash == key, Session.expires_at > now)
        return None if row is None else _record(row)

    def create(self, record):
        with write_transaction():
            # Sessions nobody ended and nobody came back to: gone once past their time.
            Session.delete().where(Session.expires_at <= record.created_at).execute()
            Session.insert(user=record.user_id, **_columns(record)).execute()

    def update(self, record):
        changed = (
            Session.update(data=record.data, seen_at=record.seen_at, expires_at=record.expires_at)
            .where(Session.id_hash == record.id_hash)
            .execute()
        )
        return changed > 0

    def delete(self, keys):
        if keys:
            Session.delete().where(Session.id_hash.in_(list(keys))).execute()

    def keys_of(self, user_id):
        return [row.id_hash for row in Session.select(Session.id_hash).where(Session.user == user_id)]

    def of_user(self, user_id, now):
        rows = Session.select().where(Session.user == user_id, Session.expires_at > now)
        return [_record(row) for row in rows]


def _record(row):
    return Record(row.id_hash, row.user_id, row.data, row.user_agent, row.created_at, row.seen_at, row.expires_at)


def _columns(record):
    fields = dataclasses.asdict(record)
    fields.pop("user_id")
    return fields


class RedisStore:
    """Sessions in Redis: each one a key that expires by itself, and a set of
    each member's keys so that all of them can be ended at once."""

    def __init__(self, url, prefix="hamsayeh"):
        import redis  # only a site that names a Redis server needs the client

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def _key(self, key):
        return f"{self.prefix}:session:{key}"

    def _user_key(self, user_id):
        return f"{self.prefix}:user-sessions:{user_id}"

    def load(self, key, now):
        value = self.redis.get(self._key(key))
        return None if value is None else _from_json(value)

    def create(self, record):
        with self.redis.pipeline() as pipe:
            pipe.set(self._key(record.id_hash), _to_json(record), nx=True, exat=_timestamp(record.expires_at))
            pipe.sadd(self._user_key(record.user_id), record.id_hash)
            pipe.execute()

    def update(self, record):
        # XX: a session ended meanwhile (by sign-out elsewhere, a PIN change)
        # stays ended instead of coming back with this request's changes.
        written = self.redis.set(
            self._key(record.id_hash), _to_json(record), xx=True, exat=_timestamp(record.expires_at)
        )
        return bool(written)

    def delete(self, keys):
        keys = list(keys)
        if not keys:
            return
        records = [value for value in self.redis.mget([self._key(key) for key in keys]) if value is not None]
        with self.redis.pipeline() as pipe:
            pipe.delete(*[self._key(key) for key in keys])
            for record in map(_from_json, records):
                pipe.srem(self._user_key(record.user_id), record.id_hash)
            pipe.execute()

    def keys_of(self, user_id):
        return [member.decode() for member in self.redis.smembers(self._user_key(user_id))]

    def of_user(self, user_id, now):
        keys = self.keys_of(user_id)
        values = self.redis.mget([self._key(key) for key in keys]) if keys else []
        gone = [key for key, value in zip(keys, values, strict=True) if value is None]
        if gone:  # expired by Redis: forget them in the member's set too
            self.redis.srem(self._user_key(user_id), *gone)
        return [_from_json(value) for value in values if value is not None]


def _timestamp(moment):
    return int(moment.replace(tzinfo=datetime.UTC).timestamp())


def _to_json(record):
    fields = dataclasses.asdict(record)
    for name in ("created_at", "seen_at", "expires_at"):
        fields[name] = fields[name].isoformat()
    return json.dumps(fields)


def _from_json(value):
    fields = json.loads(value)
    for name in ("created_at", "seen_at", "expires_at"):
        fields[name] = datetime.datetime.fromisoformat(fields[name])
    return Record(**fields)


_store = TableStore()


def use_store(store):
    """The store every session goes to from now on (chosen at start-up)."""
    global _store
    _store = store


def current_store():
    return _store


def load(key, now=None):
    """The live session whose id hashes to `key`, or None."""
    return _store.load(key, now or utcnow())


def start(user_id, data, user_agent, expires_at, now=None):
    """A new session for a member who just signed in: its id, for the cookie."""
    now = now or utcnow()
    session_id = new_id()
    record = Record(id_hash(session_id), user_id, data, user_agent[:200], now, now, expires_at)
    _store.create(record)
    return session_id, record


def save(record):
    """Write a session's changes; False when it was ended meanwhile."""
    return _store.update(record)


def end(*keys):
    _store.delete(keys)


def end_all(user, keep=None):
    """End every session of `user` (all but `keep`, the hash of the one in use)."""
    _store.delete([key for key in _store.keys_of(user.id) if key != keep])


def end_one(user, key):
    """End one of the member's own sessions; another member's key ends nothing."""
    if key in _store.keys_of(user.id):
        _store.delete([key])
        return True
    return False


def active(user, now=None):
    """The member's live sessions, the most recently used first."""
    return sorted(_store.of_user(user.id, now or utcnow()), key=lambda record: record.seen_at, reverse=True)
