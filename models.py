"""Hamsayeh's data: the models, their queries and their state changes.

Nothing here knows of Flask: a CLI command, a background task and a test use
these functions exactly as the views do. Writes go through `write_transaction`,
which takes SQLite's write lock at the start so that a check and the write
after it can never interleave with another writer.
"""

import datetime
import hashlib
import hmac
import itertools
import json
import os
from collections import namedtuple
from urllib.parse import urlparse

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import (
    JOIN,
    SQL,
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Check,
    DatabaseProxy,
    DateField,
    DateTimeField,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    Model,
    SmallIntegerField,
    SqliteDatabase,
    TextField,
    Value,
    fn,
)
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

db = DatabaseProxy()
# Connections kept per process: one per server thread is plenty.
POOL_SIZE = 16


def open_database(url):
    """A pooled peewee database for `sqlite:///path` or `postgresql://…` URLs.

    A request takes a connection from the pool and gives it back at the end:
    opening one (and, on SQLite, setting its pragmas) costs more than a page."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ":memory:"
        return PooledSqliteDatabase(
            path,
            pragmas={
                "journal_mode": "wal",
                "synchronous": "normal",
                "foreign_keys": 1,
                "busy_timeout": 10000,
            },
            timeout=10,
            max_connections=POOL_SIZE,
            stale_timeout=600,
            check_same_thread=False,
        )
    if parsed.scheme in ("postgres", "postgresql"):
        return PooledPostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            prefer_psycopg3=True,
            max_connections=POOL_SIZE,
            stale_timeout=300,
        )
    raise ValueError(f"unsupported DATABASE_URL scheme: {parsed.scheme!r}")


def write_transaction():
    """A transaction that holds the write lock from its first statement."""
    if isinstance(db.obj, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def made_once(model, form_key, make):
    """The row a form made, made now by `make()` if it was not: a double submit
    finds the first. Two submits that race on PostgreSQL (where nothing holds a
    table's write lock) meet at the unique form key, and the second reads the first."""
    try:
        with write_transaction():
            found = model.get_or_none(model.form_key == form_key)
            return found if found is not None else make()
    except IntegrityError:
        return model.get(model.form_key == form_key)


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Revision(BaseModel):
    """A number that database triggers raise on every write to some tables
    (see migration 0007): "catalog" covers the area tree and the activity types."""

    name = CharField(max_length=40, primary_key=True)
    number = IntegerField()


def catalog_revision():
    """The reference data's revision: one indexed read."""
    # Asked on every page: written out once rather than built by the query
    # builder each time, which costs more than the query itself.
    sql = f'SELECT "number" FROM "revision" WHERE "name" = {db.param}'  # noqa: S608 (a placeholder, no value)
    row = db.execute_sql(sql, ("catalog",)).fetchone()
    return row[0] if row else None


# --- Places -------------------------------------------------------------------


class Area(BaseModel):
    """A node of province › county › city › district › neighborhood."""

    KINDS = ("province", "county", "city", "district", "neighborhood")

    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    kind = CharField(
        max_length=16, constraints=[Check("kind IN ('province', 'county', 'city', 'district', 'neighborhood')")]
    )
    name = CharField(max_length=120)
    name_en = CharField(max_length=120, default="")
    # Materialized path of ids, "/1/14/230/": a subtree is one indexed prefix match.
    path = CharField(max_length=255, index=True, default="")
    search_key = CharField(max_length=255, index=True, default="")

    class Meta:
        indexes = ((("parent", "name"), True),)

    @classmethod
    def add(cls, parent, kind, name, name_en, search_key):
        """The child of `parent` with this (normalized) name, created if it is
        not there; `search_key` is the folded form that `search` matches."""
        with write_transaction():
            area = cls.get_or_none(cls.parent == parent, cls.name == name)
            if area is None:
                area = cls.create(parent=parent, kind=kind, name=name, name_en=name_en, search_key=search_key)
                area.path = f"{parent.path if parent else '/'}{area.id}/"
                area.save()
        return area

    @classmethod
    def roots(cls):
        return cls.select().where(cls.parent.is_null()).order_by(cls.name)

    @classmethod
    def search(cls, key, kinds=None, limit=30):
        """Areas whose folded names contain the folded `key`."""
        if not key:
            return cls.select().where(SQL("1 = 0"))
        found = cls.select().where(cls.search_key.contains(key))
        if kinds:
            found = found.where(cls.kind.in_(kinds))
        return found.order_by(fn.LENGTH(cls.search_key), cls.name).limit(limit)

    def sorted_children(self):
        return Area.select().where(Area.parent == self).order_by(fn.LENGTH(Area.name), Area.name)

    def ancestors(self):
        """From the province down to this area's parent."""
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1] if part]
        by_id = {area.id: area for area in Area.select().where(Area.id.in_(ids))} if ids else {}
        return [by_id[i] for i in ids if i in by_id]

    def subtree(self):
        return Area.select().where(Area.path.startswith(self.path))

    @property
    def is_neighborhood(self):
        return self.kind == "neighborhood"


class Center(BaseModel):
    """A Mosbat-e Zendegi center (مرکز مثبت زندگی): a neighborhood's hub."""

    area = ForeignKeyField(Area, backref="centers", on_delete="RESTRICT")
    name = CharField(max_length=160, unique=True)
    name_en = CharField(max_length=160, default="")
    address = CharField(max_length=300, default="")
    phone = CharField(max_length=20, default="")
    hours = CharField(max_length=200, default="")

    @classmethod
    def within(cls, area):
        return cls.select().join(Area).where(Area.path.startswith(area.path)).order_by(cls.name)


# --- People -------------------------------------------------------------------

ROLES = (
    "resident",
    "volunteer",
    "facilitator",
    "center_staff",
    "charity_staff",
    "social_worker",
    "admin",
)
STAFF_ROLES = frozenset(ROLES) - {"resident", "volunteer"}
TEXT_SIZES = (0, 1, 2)

_hasher = PasswordHasher()


class User(BaseModel):
    phone = CharField(max_length=11, unique=True)
    name = CharField(max_length=80)
    pin_hash = CharField(max_length=200)
    neighborhood = ForeignKeyField(Area, null=True, backref="residents", on_delete="SET NULL")
    language = CharField(max_length=5, default="fa")
    text_size = SmallIntegerField(default=0, constraints=[Check("text_size BETWEEN 0 AND 2")])
    high_contrast = BooleanField(default=False)
    simple_mode = BooleanField(default=False)
    is_active = BooleanField(default=True)
    # Center staff: the center where they work (and whose members they serve).
    work_center = ForeignKeyField(Center, null=True, backref="staff", on_delete="SET NULL")
    # Raised to end every session of this account at once (sign out everywhere,
    # a changed PIN, a disabled account).
    session_epoch = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)

    @classmethod
    def by_phone(cls, phone):
        return cls.get_or_none(cls.phone == phone)

    def roles(self):
        return {r.role for r in self.role_rows}

    def has_role(self, *roles):
        return bool(self.roles() & set(roles))

    def check_pin(self, pin):
        try:
            return _hasher.verify(self.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            return False

    def set_pin(self, pin):
        self.pin_hash = _hasher.hash(pin)
        self.session_epoch += 1


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_rows", on_delete="CASCADE")
    role = CharField(max_length=20, constraints=[Check("role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)))])

    class Meta:
        indexes = ((("user", "role"), True),)


class SignupError(ValueError):
    pass


def create_user(phone, name, pin, roles=("resident",), neighborhood=None):
    """A new account from normalized input; SignupError('phone_taken') when
    the number has one already."""
    with write_transaction():
        if User.by_phone(phone) is not None:
            raise SignupError("phone_taken")
        user = User.create(phone=phone, name=name, pin_hash=_hasher.hash(pin), neighborhood=neighborhood)
        UserRole.insert_many([(user, role) for role in roles], fields=[UserRole.user, UserRole.role]).execute()
        record_audit("account.created", actor=user, subject=f"user:{user.id}")
    return user


def set_roles(user, roles, actor):
    """Give `user` exactly `roles`; every change is audited."""
    roles = set(roles)
    with write_transaction():
        current = user.roles()
        for role in sorted(roles - current):
            UserRole.insert(user=user, role=role).on_conflict_ignore().execute()
            record_audit("role.granted", actor=actor, subject=f"user:{user.id}", detail=role)
        for role in sorted(current - roles):
            UserRole.delete().where(UserRole.user == user, UserRole.role == role).execute()
            record_audit("role.revoked", actor=actor, subject=f"user:{user.id}", detail=role)


def change_pin(user, new_pin):
    with write_transaction():
        user.set_pin(new_pin)
        user.save()
        record_audit("account.pin_changed", actor=user, subject=f"user:{user.id}")


def reset_pin(user, new_pin, actor):
    """A PIN set for the member by staff at a center or their facilitator; it
    ends every session of the account."""
    with write_transaction():
        user.set_pin(new_pin)
        user.save()
        record_audit("account.pin_reset", actor=actor, subject=f"user:{user.id}")


def set_work_center(user, center, actor):
    with write_transaction():
        User.update(work_center=center).where(User.id == user.id).execute()
        record_audit(
            "people.center", actor=actor, subject=f"user:{user.id}", detail=f"center:{center.id if center else ''}"
        )


def set_active(user, active, actor=None):
    """Disabling an account ends all of its sessions at once."""
    with write_transaction():
        user.is_active = active
        user.session_epoch += 1
        user.save()
        record_audit("account.enabled" if active else "account.disabled", actor=actor, subject=f"user:{user.id}")


# --- Sign-in throttling (ASVS V6.3.1) -----------------------------------------


class LoginThrottle(BaseModel):
    """Failed sign-ins per phone number and per network address.

    The key is a hash, so the table holds no phone numbers or addresses."""

    key = CharField(max_length=64, primary_key=True)
    failures = IntegerField(default=0)
    first_failure_at = DateTimeField(default=utcnow)
    locked_until = DateTimeField(null=True)


# (failures, seconds locked once that many have failed), strictest last.
THROTTLE_STEPS = {
    "phone": ((3, 30), (5, 15 * 60)),
    # A center's kiosk or a family shares one address: allow far more.
    "ip": ((20, 60), (40, 15 * 60)),
}
THROTTLE_WINDOW = datetime.timedelta(hours=1)


def _throttle_key(kind, value):
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def seconds_locked(keys, now=None):
    now = now or utcnow()
    rows = LoginThrottle.select().where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now)
    return max((int((row.locked_until - now).total_seconds()) + 1 for row in rows), default=0)


def _record_failure(kind, key, now):
    LoginThrottle.insert(key=key, failures=1, first_failure_at=now).on_conflict(
        conflict_target=[LoginThrottle.key],
        update={LoginThrottle.failures: LoginThrottle.failures + 1},
    ).execute()
    row = LoginThrottle.get_by_id(key)
    if now - row.first_failure_at > THROTTLE_WINDOW:
        row.failures, row.first_failure_at, row.locked_until = 1, now, None
    for failures, seconds in THROTTLE_STEPS[kind]:
        if row.failures >= failures:
            row.locked_until = now + datetime.timedelta(seconds=seconds)
    row.save()


SignIn = namedtuple("SignIn", "user wait_seconds")


def sign_in(phone, pin, address, now=None):
    """The user, or None with how many seconds the number must wait.

    Wrong number and wrong PIN fail alike, so the answer never tells whether
    a number has an account."""
    now = now or utcnow()
    keys = {"phone": _throttle_key("phone", phone), "ip": _throttle_key("ip", address)}
    with write_transaction():
        wait = seconds_locked(list(keys.values()), now)
        if wait:
            record_audit("signin.refused_locked", subject=f"phone:{_throttle_key('phone', phone)[:12]}")
            return SignIn(None, wait)
        user = User.by_phone(phone)
        if user is not None and user.is_active and user.check_pin(pin):
            LoginThrottle.delete().where(LoginThrottle.key == keys["phone"]).execute()
            record_audit("signin.ok", actor=user, subject=f"user:{user.id}")
            return SignIn(user, 0)
        for kind, key in keys.items():
            _record_failure(kind, key, now)
        record_audit("signin.failed", subject=f"phone:{keys['phone'][:12]}")
    return SignIn(None, 0)


# --- Audit log (ASVS V16.3, V16.4.2) --------------------------------------------


class AuditEntry(BaseModel):
    """Append-only: each entry carries the hash of the one before it, so an
    edited or deleted entry breaks the chain that `verify_audit_chain` walks."""

    at = DateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(User, null=True, backref="audit_entries", on_delete="RESTRICT")
    action = CharField(max_length=60)
    subject = CharField(max_length=120, default="")
    detail = TextField(default="")
    previous_hash = CharField(max_length=64)
    entry_hash = CharField(max_length=64, unique=True)

    def save(self, *args, **kwargs):
        if self.id is not None:
            raise PermissionError("audit entries are never changed")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("audit entries are never deleted")

    def digest(self):
        payload = json.dumps(
            [self.previous_hash, self.at.isoformat(), self.actor_id, self.action, self.subject, self.detail],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


GENESIS_HASH = "0" * 64


def lock_audit():
    """Hold the audit chain until the transaction ends (SQLite's write lock
    already does): two entries never share a predecessor, and a count of
    entries read under it cannot change before the next one is written."""
    if not isinstance(db.obj, SqliteDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(7243001)")


def record_audit(action, actor=None, subject="", detail=""):
    """Append to the audit chain; call inside the write transaction it records."""
    lock_audit()
    last = AuditEntry.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).first()
    entry = AuditEntry(
        actor=actor,
        action=action,
        subject=subject,
        detail=detail,
        previous_hash=last.entry_hash if last else GENESIS_HASH,
    )
    entry.at = utcnow()
    entry.entry_hash = entry.digest()
    AuditEntry.insert(**entry.__data__).execute()


def audit(action, actor=None, subject="", detail=""):
    """An audit entry in a transaction of its own: a sensitive read, or an
    action whose other writes are already done."""
    with write_transaction():
        record_audit(action, actor=actor, subject=subject, detail=detail)


def verify_audit_chain():
    """The id of the first entry that does not fit the chain, or None."""
    previous = GENESIS_HASH
    for entry in AuditEntry.select().order_by(AuditEntry.id).iterator():
        if entry.previous_hash != previous or not hmac.compare_digest(entry.digest(), entry.entry_hash):
            return entry.id
        previous = entry.entry_hash
    return None


# --- The neighborhood board: help requests and offers --------------------------


class ActivityType(BaseModel):
    """One of Salam Mahalleh's kinds of social activity; an admin edits the list."""

    slug = CharField(max_length=40, unique=True)
    name = CharField(max_length=80)
    name_en = CharField(max_length=80, default="")
    position = SmallIntegerField(default=0)
    is_active = BooleanField(default=True)

    @classmethod
    def listed(cls):
        return cls.select().where(cls.is_active).order_by(cls.position, cls.id)


class HelpPost(BaseModel):
    """A need (request) or an offer on a neighborhood's board.

    `place` is the exact place: shown only to the author and accepted helpers.
    `form_key` is unique per submitted form, so a double submit finds the
    first post instead of creating a second."""

    KINDS = ("request", "offer")
    STATUSES = ("open", "matched", "done", "cancelled")
    URGENCIES = (0, 1, 2)  # normal, this week, today
    TIME_WINDOWS = (0, 1, 2, 3)  # any time, morning, afternoon, evening
    PAGE_SIZE = 20

    kind = CharField(max_length=10, constraints=[Check("kind IN ('request', 'offer')")])
    author = ForeignKeyField(User, backref="posts", on_delete="RESTRICT")
    activity_type = ForeignKeyField(ActivityType, backref="posts", on_delete="RESTRICT")
    text = TextField()
    search_key = TextField(default="")
    urgency = SmallIntegerField(default=0, constraints=[Check("urgency BETWEEN 0 AND 2")])
    needed_on = DateField(null=True)
    time_window = SmallIntegerField(default=0, constraints=[Check("time_window BETWEEN 0 AND 3")])
    # About how long the help takes: what confirming it pays by default.
    estimate_minutes = SmallIntegerField(default=60, constraints=[Check("estimate_minutes BETWEEN 15 AND 480")])
    neighborhood = ForeignKeyField(Area, backref="posts", on_delete="RESTRICT")
    place = CharField(max_length=200, default="")
    status = CharField(
        max_length=10, default="open", constraints=[Check("status IN ('open', 'matched', 'done', 'cancelled')")]
    )
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # Filed for a neighbor without a phone or an account: who filed it, the
    # neighbor's name, and how to reach them through a center (private).
    filed_by = ForeignKeyField(User, null=True, backref="filed_posts", on_delete="RESTRICT")
    on_behalf_name = CharField(max_length=80, default="")
    on_behalf_contact = CharField(max_length=200, default="")

    class Meta:
        indexes = (
            (("neighborhood", "status", "urgency", "created_at"), False),
            (("neighborhood", "updated_at"), False),
        )

    @classmethod
    def board(cls, neighborhoods, activity_type=None, kind=None, urgency=None, search_key="", page=1):
        """Open posts of these neighborhoods, urgent first, then newest; one page
        of them and whether another follows."""
        # The activity type and neighborhood come in the same query: a page
        # of posts is one round trip, not forty.
        query = (
            cls.select(cls, ActivityType, Area)
            .join(ActivityType)
            .switch(cls)
            .join(Area, on=(cls.neighborhood == Area.id))
            .where(cls.neighborhood.in_(neighborhoods), cls.status == "open")
        )
        if activity_type is not None:
            query = query.where(cls.activity_type == activity_type)
        if kind is not None:
            query = query.where(cls.kind == kind)
        if urgency is not None:
            query = query.where(cls.urgency >= urgency)
        if search_key:
            query = query.where(cls.search_key.contains(search_key))
        query = query.order_by(cls.urgency.desc(), cls.created_at.desc(), cls.id.desc())
        rows = list(query.offset((page - 1) * cls.PAGE_SIZE).limit(cls.PAGE_SIZE + 1))
        return rows[: cls.PAGE_SIZE], len(rows) > cls.PAGE_SIZE

    @classmethod
    def board_version(cls, neighborhoods):
        """Changes whenever a post of these neighborhoods is added or changes
        state (every change sets `updated_at`): the key of a cached board."""
        # Asked on every board page: written out, like `catalog_revision`.
        marks = ", ".join([db.param] * len(neighborhoods))
        sql = f'SELECT MAX("updated_at"), COUNT(*) FROM "help_post" WHERE "neighborhood_id" IN ({marks})'  # noqa: S608
        return tuple(db.execute_sql(sql, list(neighborhoods)).fetchone())

    def helper(self, response):
        """Who gives the help of `response`: the neighbor who answered a need,
        or the author of an offer."""
        return response.responder_id if self.kind == "request" else self.author_id

    def helped_person(self, response):
        """Who receives the help of `response`: the author of a need, or the
        neighbor who answered an offer."""
        return self.author_id if self.kind == "request" else response.responder_id

    def accepted_responses(self):
        return self.responses.where(HelpResponse.status.in_(HelpResponse.ACCEPTED))

    def can_see_place(self, user):
        """The exact place and contact details: the author and accepted helpers only."""
        if user is None:
            return False
        if user.id == self.author_id:
            return True
        return self.accepted_responses().where(HelpResponse.responder == user).exists()


class PostEvent(BaseModel):
    """Every change of a post's state: who, when, what."""

    post = ForeignKeyField(HelpPost, backref="events", on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    action = CharField(max_length=20)
    at = DateTimeField(default=utcnow)
    detail = TextField(default="")


class PostReport(BaseModel):
    """A member's "report this post"; one per member and post."""

    post = ForeignKeyField(HelpPost, backref="reports", on_delete="CASCADE")
    reporter = ForeignKeyField(User, on_delete="CASCADE")
    reason = CharField(max_length=300, default="")
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("post", "reporter"), True),)


class HelpResponse(BaseModel):
    """A neighbor's answer to a post, and where it stands."""

    STATUSES = ("offered", "accepted", "declined", "withdrawn", "done", "confirmed")
    ACCEPTED = ("accepted", "done", "confirmed")

    post = ForeignKeyField(HelpPost, backref="responses", on_delete="CASCADE")
    responder = ForeignKeyField(User, backref="responses", on_delete="RESTRICT")
    message = CharField(max_length=300, default="")
    status = CharField(
        max_length=10,
        default="offered",
        constraints=[Check("status IN ('offered', 'accepted', 'declined', 'withdrawn', 'done', 'confirmed')")],
    )
    thank_you = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("post", "responder"), True),)


class Notification(BaseModel):
    """One line in a member's inbox; made only by `notify`."""

    KINDS = (
        "response",
        "accepted",
        "declined",
        "withdrawn",
        "done",
        "confirmed",
        "invited",
        "idea",
        "idea_new",
        "announcement",
        "reply",
        "problem",
        "answered",
        "program_place",
        "program_cancelled",
    )

    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    kind = CharField(max_length=20)
    post = ForeignKeyField(HelpPost, null=True, on_delete="CASCADE")
    idea = DeferredForeignKey("Idea", null=True, on_delete="CASCADE")
    announcement = DeferredForeignKey("Announcement", null=True, on_delete="CASCADE")
    program = DeferredForeignKey("Program", null=True, on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "read_at"), False),)

    @classmethod
    def unread_count(cls, user):
        return cls.select().where(cls.user == user, cls.read_at.is_null()).count()

    @classmethod
    def inbox(cls, user, limit=50):
        return cls.select().where(cls.user == user).order_by(cls.created_at.desc(), cls.id.desc()).limit(limit)


def notify(user_id, kind, post=None, actor=None, idea=None, announcement=None, program=None):
    """The one place where notifications are made (an SMS channel joins here)."""
    Notification.create(
        user=user_id, kind=kind, post=post, actor=actor, idea=idea, announcement=announcement, program=program
    )


def notify_area(area, kind, actor, announcement):
    """Notify every active member who lives in `area` (None: everyone) in one
    statement, however many they are."""
    members = User.select(User.id, Value(kind), Value(actor.id), Value(announcement.id), Value(utcnow())).where(
        User.is_active, User.id != actor.id
    )
    if area is not None:
        members = members.where(User.neighborhood.in_(Area.select(Area.id).where(Area.path.startswith(area.path))))
    fields = [
        Notification.user,
        Notification.kind,
        Notification.actor,
        Notification.announcement,
        Notification.created_at,
    ]
    Notification.insert_from(members, fields).execute()


def mark_inbox_read(user):
    with write_transaction():
        Notification.update(read_at=utcnow()).where(Notification.user == user, Notification.read_at.is_null()).execute()


class StateError(Exception):
    """The action does not fit the post's or the answer's state any more."""


def respond_to_post(post, responder, message=""):
    """Offer to help (or answer an offer). A second answer from the same member
    returns the first."""
    if responder.id == post.author_id:
        raise StateError("own_post")
    try:
        with write_transaction():
            if HelpPost.get_by_id(post.id).status not in ("open", "matched"):
                raise StateError("closed")
            response = HelpResponse.create(post=post, responder=responder, message=message)
            PostEvent.create(post=post, actor=responder, action="responded")
            notify(post.author_id, "response", post, responder)
        return response
    except IntegrityError:
        return HelpResponse.get(HelpResponse.post == post, HelpResponse.responder == responder)


def _move_response(response, actor, from_statuses, to_status, event, notify_user, **extra):
    """Change the answer's state only if it is still in one of `from_statuses`."""
    with write_transaction():
        changed = (
            HelpResponse.update(status=to_status, updated_at=utcnow(), **extra)
            .where(HelpResponse.id == response.id, HelpResponse.status.in_(from_statuses))
            .execute()
        )
        if not changed:
            raise StateError(to_status)
        post = response.post
        PostEvent.create(post=post, actor=actor, action=event, detail=f"response:{response.id}")
        notify(notify_user, to_status, post, actor)
        accepted = post.accepted_responses()
        if to_status == "confirmed" and not accepted.where(HelpResponse.status != "confirmed").exists():
            new_status = "done"
        elif accepted.exists():
            new_status = "matched"
        else:
            new_status = "open"
        HelpPost.update(status=new_status, updated_at=utcnow()).where(
            HelpPost.id == post.id, HelpPost.status != "cancelled"
        ).execute()


def accept_response(response, actor):
    _move_response(response, actor, ("offered",), "accepted", "accepted", response.responder_id)


def decline_response(response, actor):
    _move_response(response, actor, ("offered",), "declined", "declined", response.responder_id)


def withdraw_response(response, actor):
    _move_response(response, actor, ("offered", "accepted"), "withdrawn", "withdrawn", response.post.author_id)


def mark_done(response, actor):
    other = response.post.author_id if actor.id == response.responder_id else response.responder_id
    _move_response(response, actor, ("accepted",), "done", "marked_done", other)


def confirm_help(response, actor, thank_you="", minutes=0):
    """Confirm the help and pay the helper `minutes` (none: a gift), all or
    nothing: when the payment cannot be made, the help stays unconfirmed."""
    helper = response.post.helper(response)
    accounts = help_accounts(response) if minutes else None
    with write_transaction():
        _move_response(response, actor, ("accepted", "done"), "confirmed", "confirmed", helper, thank_you=thank_you)
        if minutes:
            pay_for_help(response, minutes, actor, *accounts)


# --- Volunteers and matching ---------------------------------------------------


class VolunteerProfile(BaseModel):
    """A member of the Salam Mahalleh volunteer network.

    Bit masks: `missions` inform=1, teach=2, act=4; `weekdays` bit 0 is
    Saturday … bit 6 Friday; `time_slots` morning=1, afternoon=2, evening=4.
    The district and city of the neighborhood are kept beside it so that
    matching is a few indexed comparisons."""

    REACHES = ("neighborhood", "district", "city")

    user = ForeignKeyField(User, unique=True, backref="volunteer_profiles", on_delete="CASCADE")
    neighborhood = ForeignKeyField(Area, on_delete="RESTRICT")
    district = ForeignKeyField(Area, on_delete="RESTRICT")
    city = ForeignKeyField(Area, on_delete="RESTRICT")
    center = ForeignKeyField(Center, null=True, on_delete="SET NULL")
    skills = CharField(max_length=300, default="")
    skills_text = CharField(max_length=300, default="")
    missions = SmallIntegerField(default=0)
    weekdays = SmallIntegerField(default=0)
    time_slots = SmallIntegerField(default=0)
    reach = CharField(
        max_length=12, default="neighborhood", constraints=[Check("reach IN ('neighborhood', 'district', 'city')")]
    )
    is_active = BooleanField(default=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("city", "reach", "is_active"), False),
            (("district", "reach", "is_active"), False),
            (("neighborhood", "is_active"), False),
        )

    def activity_ids(self):
        return {row.activity_type_id for row in self.activities}


class VolunteerActivity(BaseModel):
    """An activity type a volunteer takes on; `skilled` when one of their
    listed skills belongs to it."""

    volunteer = ForeignKeyField(VolunteerProfile, backref="activities", on_delete="CASCADE")
    activity_type = ForeignKeyField(ActivityType, on_delete="CASCADE")
    skilled = BooleanField(default=False)

    class Meta:
        indexes = ((("activity_type", "volunteer"), True),)


def city_of(neighborhood):
    """The nearest ancestor that is a city (or county), else the parent."""
    ancestors = neighborhood.ancestors()
    for kind in ("city", "county"):
        for area in reversed(ancestors):
            if area.kind == kind:
                return area
    return neighborhood.parent or neighborhood


def save_volunteer(user, neighborhood, activities, skilled_activity_ids=(), **fields):
    """Create or update `user`'s volunteer profile and activities; the member
    becomes a volunteer."""
    with write_transaction():
        profile = VolunteerProfile.get_or_none(VolunteerProfile.user == user) or VolunteerProfile(user=user)
        profile.neighborhood = neighborhood
        profile.district = neighborhood.parent or neighborhood
        profile.city = city_of(neighborhood)
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.updated_at = utcnow()
        profile.save()
        VolunteerActivity.delete().where(VolunteerActivity.volunteer == profile).execute()
        VolunteerActivity.insert_many(
            [(profile, activity, activity.id in skilled_activity_ids) for activity in activities],
            fields=[VolunteerActivity.volunteer, VolunteerActivity.activity_type, VolunteerActivity.skilled],
        ).execute()
        UserRole.insert(user=user, role="volunteer").on_conflict_ignore().execute()
    return profile


WEEK_BITS = (2, 3, 4, 5, 6, 0, 1)  # Python's Monday=0 … Sunday=6 to Saturday-first bits
RELIABILITY_DAYS = 180


def match_volunteers(post, limit=10):
    """The volunteers best placed to help with `post`, best first, each with
    its `score`. Everything is ranked in the database: activity type (and a
    skill in it), availability on the day and time, distance in the area tree,
    current load and recent confirmed help."""
    neighborhood = post.neighborhood
    district = neighborhood.parent_id or neighborhood.id
    city = city_of(neighborhood).id
    V, VA, R = VolunteerProfile, VolunteerActivity, HelpResponse
    in_reach = (
        (V.neighborhood == neighborhood.id)
        | ((V.reach == "district") & (V.district == district))
        | ((V.reach == "city") & (V.city == city))
    )
    place = Case(None, [(V.neighborhood == neighborhood.id, 30), (V.district == district, 15)], 0)
    if post.needed_on:
        day_bit = 1 << WEEK_BITS[post.needed_on.weekday()]
        day = Case(None, [(V.weekdays.bin_and(day_bit) != 0, 20)], 0)
    else:
        day = Case(None, [(V.weekdays != 0, 10)], 0)
    if post.time_window:
        slot = Case(None, [(V.time_slots.bin_and(1 << (post.time_window - 1)) != 0, 10)], 0)
    else:
        slot = Value(5)
    load = R.select(fn.COUNT(R.id)).where(R.responder == V.user, R.status.in_(("accepted", "done")))
    since = utcnow() - datetime.timedelta(days=RELIABILITY_DAYS)
    confirmed = R.select(fn.COUNT(R.id)).where(R.responder == V.user, R.status == "confirmed", R.updated_at > since)
    skill = Case(None, [(VA.skilled, 10)], 0)
    # MIN of two values is not portable (PostgreSQL says LEAST): cap it with a CASE.
    reliability = Case(None, [(fn.COALESCE(confirmed, 0) > 5, 5)], fn.COALESCE(confirmed, 0))
    score = place + day + slot + skill + reliability * 2 - fn.COALESCE(load, 0) * 5
    return (
        V.select(V, score.alias("score"))
        .join(VA)
        .where(VA.activity_type == post.activity_type_id, V.is_active, in_reach, V.user != post.author_id)
        .order_by(SQL("score").desc(), V.id)
        .limit(limit)
    )


def needs_for(profile, limit=30):
    """Open needs in the volunteer's reach, of the activity types they chose."""
    query = (
        HelpPost.select(HelpPost)
        .join(VolunteerActivity, on=(VolunteerActivity.activity_type == HelpPost.activity_type))
        .switch(HelpPost)
        .join(Area, on=(HelpPost.neighborhood == Area.id))
        .where(
            VolunteerActivity.volunteer == profile,
            HelpPost.kind == "request",
            HelpPost.status == "open",
            HelpPost.author != profile.user_id,
        )
    )
    if profile.reach == "neighborhood":
        query = query.where(HelpPost.neighborhood == profile.neighborhood_id)
    elif profile.reach == "district":
        query = query.where(Area.parent == profile.district_id)
    else:
        query = query.where(Area.path.startswith(profile.city.path))
    return query.order_by(HelpPost.urgency.desc(), HelpPost.created_at.desc()).limit(limit)


def invite_volunteer(post, volunteer_user, actor):
    with write_transaction():
        PostEvent.create(post=post, actor=actor, action="invited", detail=f"user:{volunteer_user.id}")
        notify(volunteer_user.id, "invited", post, actor)


def create_post(author, form_key, **fields):
    """The new post, or the one this same form already created (double submit);
    None when the form key belongs to someone else's post."""
    try:
        with write_transaction():
            post = HelpPost.create(author=author, form_key=form_key, **fields)
            PostEvent.create(post=post, actor=author, action="created")
        return post
    except IntegrityError:
        existing = HelpPost.get_or_none(HelpPost.form_key == form_key)
        return existing if existing is not None and existing.author_id == author.id else None


def cancel_post(post, actor):
    with write_transaction():
        changed = (
            HelpPost.update(status="cancelled", updated_at=utcnow())
            .where(HelpPost.id == post.id, HelpPost.status.in_(("open", "matched")))
            .execute()
        )
        if changed:
            PostEvent.create(post=post, actor=actor, action="cancelled")
    return bool(changed)


def reopen_post(post, actor):
    with write_transaction():
        changed = (
            HelpPost.update(status="open", updated_at=utcnow())
            .where(HelpPost.id == post.id, HelpPost.status == "cancelled")
            .execute()
        )
        if changed:
            PostEvent.create(post=post, actor=actor, action="reopened")
    return bool(changed)


def report_post(post, reporter, reason):
    """True when this is the member's first report of the post."""
    try:
        with write_transaction():
            PostReport.create(post=post, reporter=reporter, reason=reason)
            PostEvent.create(post=post, actor=reporter, action="reported")
    except IntegrityError:
        return False
    return True


# --- Time bank ----------------------------------------------------------------

MINUTES_PER_HOUR = 60


def _floor_hours(text):
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise ValueError(f"HAMSAYEH_TIME_FLOOR_HOURS must be a whole number of hours from 0 to 100, not {text!r}")
    return int(text)


# A new member may owe this many minutes at most (10 hours unless the
# installation says otherwise); staff lower the floor of one account.
DEFAULT_FLOOR = -_floor_hours(os.environ.get("HAMSAYEH_TIME_FLOOR_HOURS", "10")) * MINUTES_PER_HOUR
LOWEST_FLOOR = -100 * MINUTES_PER_HOUR
# A center thanks volunteers of its programs with hours before members give
# any to it: it may owe this much.
CENTER_FLOOR = -100 * MINUTES_PER_HOUR
# One transfer by hand, and one help, move at most this much.
MAX_TRANSFER = 40 * MINUTES_PER_HOUR
HELP_MINUTES = (15, 30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 480)


class TimeAccount(BaseModel):
    """Hours (kept in whole minutes) of a member, a center, or the community
    pool of an area. The balance moves only with a TimeTransfer, in the same
    transaction; the database refuses a balance below the floor."""

    KINDS = ("member", "center", "pool")

    kind = CharField(max_length=10, constraints=[Check("kind IN ('member', 'center', 'pool')")])
    user = ForeignKeyField(User, null=True, unique=True, backref="time_accounts", on_delete="RESTRICT")
    center = ForeignKeyField(Center, null=True, unique=True, on_delete="RESTRICT")
    area = ForeignKeyField(Area, null=True, unique=True, on_delete="RESTRICT")
    balance = IntegerField(default=0)
    floor = IntegerField(default=0, constraints=[Check("floor <= 0")])
    # Seniors and people with disabilities whom staff let the pool pay for.
    pool_pays = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = (
            Check("balance >= floor"),
            Check(
                "(kind = 'member' AND user_id IS NOT NULL AND center_id IS NULL AND area_id IS NULL)"
                " OR (kind = 'center' AND center_id IS NOT NULL AND user_id IS NULL AND area_id IS NULL)"
                " OR (kind = 'pool' AND area_id IS NOT NULL AND user_id IS NULL AND center_id IS NULL)"
            ),
        )

    @property
    def owner_name(self):
        if self.kind == "member":
            return self.user.name
        return self.center.name if self.kind == "center" else self.area.name


class TimeTransfer(BaseModel):
    """One movement of minutes: never edited or deleted. A mistake is undone by
    a reversing transfer that points to it."""

    KINDS = ("help", "manual", "reversal")

    kind = CharField(max_length=10, constraints=[Check("kind IN ('help', 'manual', 'reversal')")])
    source = ForeignKeyField(TimeAccount, backref="debits", on_delete="RESTRICT")
    target = ForeignKeyField(TimeAccount, backref="credits", on_delete="RESTRICT")
    minutes = IntegerField(constraints=[Check("minutes > 0")])
    reason = CharField(max_length=300, default="")
    # The help it pays for: one payment per helper's answer.
    response = ForeignKeyField(HelpResponse, null=True, unique=True, on_delete="RESTRICT")
    reverses = ForeignKeyField("self", null=True, unique=True, backref="reversed_by", on_delete="RESTRICT")
    made_by = ForeignKeyField(User, on_delete="RESTRICT")
    # One per submitted form: a double submit finds the first transfer.
    form_key = CharField(max_length=64, null=True, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = (Check("source_id <> target_id"),)
        indexes = (
            (("source", "created_at"), False),
            (("target", "created_at"), False),
        )


class TransferError(ValueError):
    """Why a transfer cannot be made: "floor", "self", "amount", "reversed"."""

    def __init__(self, reason, account=None):
        super().__init__(reason)
        self.reason = reason
        self.account = account


def _account(field, owner, create, **defaults):
    """The owner's account, made on first use; with `create` false, an unsaved
    empty one instead (for pages that only show it)."""
    account = TimeAccount.get_or_none(field == owner)
    if account is None and not create:
        return TimeAccount(**{field.name: owner}, **defaults)
    if account is None:
        try:
            with db.atomic():
                account = TimeAccount.create(**{field.name: owner}, **defaults)
        except IntegrityError:
            account = TimeAccount.get(field == owner)
    return account


def member_account(user, create=True):
    return _account(TimeAccount.user, user, create, kind="member", floor=DEFAULT_FLOOR)


def center_account(center, create=True):
    return _account(TimeAccount.center, center, create, kind="center", floor=CENTER_FLOOR)


def pool_area(neighborhood):
    """The area whose community pool serves `neighborhood`: its district."""
    return neighborhood.parent if neighborhood.parent_id is not None else neighborhood


def pool_account(area, create=True):
    return _account(TimeAccount.area, area, create, kind="pool")


def transfer(source, target, minutes, made_by, kind="manual", reason="", form_key=None, response=None, reverses=None):
    """Move `minutes` from one account to another, all or nothing.

    The payer's row is locked first (both rows, in id order, on PostgreSQL; the
    whole database on SQLite), the debit is a conditional update that cannot
    cross the floor, and a CHECK constraint backs it. A repeated `form_key`,
    `response` or `reverses` returns the transfer already made."""
    if source.id == target.id:
        raise TransferError("self")
    if not isinstance(minutes, int) or not 0 < minutes <= MAX_TRANSFER:
        raise TransferError("amount")
    try:
        with write_transaction():
            if not isinstance(db.obj, SqliteDatabase):
                ids = sorted((source.id, target.id))
                list(
                    TimeAccount.select(TimeAccount.id)
                    .where(TimeAccount.id.in_(ids))
                    .order_by(TimeAccount.id)
                    .for_update()
                )
            # Looked for only once the accounts are locked: a double submit
            # waits for the first and then finds it.
            existing = _same_transfer(form_key, response, reverses)
            if existing is not None:
                return existing
            debited = (
                TimeAccount.update(balance=TimeAccount.balance - minutes)
                .where(TimeAccount.id == source.id, TimeAccount.balance - minutes >= TimeAccount.floor)
                .execute()
            )
            if not debited:
                raise TransferError("floor", source)
            TimeAccount.update(balance=TimeAccount.balance + minutes).where(TimeAccount.id == target.id).execute()
            return TimeTransfer.create(
                kind=kind,
                source=source,
                target=target,
                minutes=minutes,
                reason=reason,
                made_by=made_by,
                form_key=form_key,
                response=response,
                reverses=reverses,
            )
    except IntegrityError:
        # Another worker made the same transfer a moment ago: return it.
        existing = _same_transfer(form_key, response, reverses)
        if existing is None:
            raise
        return existing


def _same_transfer(form_key, response, reverses):
    for field, value in (
        (TimeTransfer.form_key, form_key),
        (TimeTransfer.response, response),
        (TimeTransfer.reverses, reverses),
    ):
        if value is not None:
            found = TimeTransfer.get_or_none(field == value)
            if found is not None:
                return found
    return None


def reverse_transfer(original, made_by, reason):
    """Undo `original` with a transfer back; only once."""
    if original.kind == "reversal":
        raise TransferError("reversed")
    return transfer(
        original.target, original.source, original.minutes, made_by, kind="reversal", reason=reason, reverses=original
    )


def help_accounts(response):
    """Who pays for `response` (in the order tried) and who is paid. The
    helped member pays, or their district's community pool: for a neighbor
    filed for without an account, and first for members whom staff let the
    pool pay for. Accounts are made here, before the payment's transaction,
    so that a refused payment leaves them in place."""
    post = response.post
    helper = member_account(User.get_by_id(post.helper(response)))
    pool = pool_account(pool_area(post.neighborhood))
    helped = None if post.on_behalf_name else member_account(User.get_by_id(post.helped_person(response)))
    payers = [pool] if helped is None else [pool, helped] if helped.pool_pays else [helped]
    return payers, helper


def pay_for_help(response, minutes, made_by, payers, helper):
    """Pay the helper of a confirmed answer (part of confirming it): the first
    of `payers` that stays above its floor pays."""
    reason = response.post.activity_type.name
    for payer in payers[:-1]:
        try:
            return transfer(payer, helper, minutes, made_by, kind="help", reason=reason, response=response)
        except TransferError as error:
            if error.reason != "floor":
                raise
    return transfer(payers[-1], helper, minutes, made_by, kind="help", reason=reason, response=response)


def set_floor(account, floor, pool_pays, actor):
    """Staff set how far an account may go below zero, and whether the pool pays."""
    if account.kind != "member" or not LOWEST_FLOOR <= floor <= 0:
        raise TransferError("amount")
    with write_transaction():
        changed = (
            TimeAccount.update(floor=floor, pool_pays=pool_pays)
            .where(TimeAccount.id == account.id, TimeAccount.balance >= floor)
            .execute()
        )
        if not changed:
            raise TransferError("floor", account)
        record_audit("time.floor", actor=actor, subject=f"time_account:{account.id}", detail=f"{floor} {pool_pays}")


def _serves(center):
    """Members a center serves: those who live in its area, and volunteers who
    chose it as their place of service."""
    lives_there = User.neighborhood.in_(Area.select(Area.id).where(Area.path.startswith(center.area.path)))
    serves_there = User.id.in_(VolunteerProfile.select(VolunteerProfile.user).where(VolunteerProfile.center == center))
    return lives_there | serves_there


def is_center_member(center, user):
    return User.select().where(User.id == user.id, _serves(center)).exists()


def center_member_accounts(center):
    """Time accounts of the center's members, by name."""
    return TimeAccount.select(TimeAccount, User).join(User).where(_serves(center)).order_by(User.name, User.id)


def account_history(account, limit=None):
    """The account's transfers, newest first."""
    query = (
        TimeTransfer.select()
        .where((TimeTransfer.source == account) | (TimeTransfer.target == account))
        .order_by(TimeTransfer.created_at.desc(), TimeTransfer.id.desc())
    )
    return query.limit(limit) if limit else query


def verify_ledger():
    """Accounts whose balance differs from their transfers, and the sum of all
    balances (zero when nothing was lost or invented)."""
    received = (
        TimeTransfer.select(TimeTransfer.target.alias("account"), fn.SUM(TimeTransfer.minutes).alias("minutes"))
        .group_by(TimeTransfer.target)
        .tuples()
    )
    given = (
        TimeTransfer.select(TimeTransfer.source.alias("account"), fn.SUM(TimeTransfer.minutes).alias("minutes"))
        .group_by(TimeTransfer.source)
        .tuples()
    )
    expected = {}
    for account, minutes in received:
        expected[account] = expected.get(account, 0) + minutes
    for account, minutes in given:
        expected[account] = expected.get(account, 0) - minutes
    wrong = []
    total = 0
    for account_id, balance, floor in TimeAccount.select(
        TimeAccount.id, TimeAccount.balance, TimeAccount.floor
    ).tuples():
        total += balance
        if balance != expected.get(account_id, 0) or balance < floor:
            wrong.append(account_id)
    return wrong, total


def area_time_summary(area, start, end):
    """Help paid in hours in `area` (and below it) between two moments, by
    activity type: counts and sums only, no names. A help whose payment was
    corrected away does not count."""
    corrected = TimeTransfer.alias()
    return (
        ActivityType.select(
            ActivityType, fn.COUNT(TimeTransfer.id).alias("count"), fn.SUM(TimeTransfer.minutes).alias("minutes")
        )
        .join(HelpPost)
        .join(HelpResponse)
        .join(TimeTransfer, on=(TimeTransfer.response == HelpResponse.id))
        .switch(HelpPost)
        .join(Area, on=(HelpPost.neighborhood == Area.id))
        .where(
            TimeTransfer.kind == "help",
            TimeTransfer.created_at >= start,
            TimeTransfer.created_at < end,
            Area.path.startswith(area.path),
            TimeTransfer.id.not_in(corrected.select(corrected.reverses).where(corrected.reverses.is_null(False))),
        )
        .group_by(ActivityType)
        .order_by(fn.SUM(TimeTransfer.minutes).desc(), ActivityType.position)
    )


# --- Facilitators (تسهیل‌گران) -------------------------------------------------------


class FacilitatorProfile(BaseModel):
    """A trained facilitator: how neighbors reach them (a public note, not their
    phone), and their assigned neighborhoods and training."""

    user = ForeignKeyField(User, unique=True, backref="facilitator_profiles", on_delete="CASCADE")
    contact = CharField(max_length=200, default="")

    def training_hours(self):
        return self.training.select(fn.COALESCE(fn.SUM(Training.hours), 0)).scalar()


class FacilitatorAssignment(BaseModel):
    """A facilitator serves a neighborhood; assigned by headquarters or center staff."""

    facilitator = ForeignKeyField(FacilitatorProfile, backref="assignments", on_delete="CASCADE")
    neighborhood = ForeignKeyField(Area, backref="facilitator_assignments", on_delete="CASCADE")
    assigned_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("neighborhood", "facilitator"), True),)


class Training(BaseModel):
    """A training course a facilitator completed, with its hours."""

    facilitator = ForeignKeyField(FacilitatorProfile, backref="training", on_delete="CASCADE")
    course = CharField(max_length=160)
    hours = SmallIntegerField(constraints=[Check("hours BETWEEN 1 AND 500")])
    completed_on = DateField()
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")


def facilitator_profile(user, create=True):
    profile = FacilitatorProfile.get_or_none(FacilitatorProfile.user == user)
    if profile is None and create:
        with write_transaction():
            FacilitatorProfile.insert(user=user).on_conflict_ignore().execute()
        profile = FacilitatorProfile.get(FacilitatorProfile.user == user)
    return profile


def assign_facilitator(user, neighborhood, actor):
    with write_transaction():
        profile = facilitator_profile(user)
        FacilitatorAssignment.insert(
            facilitator=profile, neighborhood=neighborhood, assigned_by=actor
        ).on_conflict_ignore().execute()
        record_audit("facilitator.assigned", actor=actor, subject=f"user:{user.id}", detail=f"area:{neighborhood.id}")


def unassign_facilitator(user, neighborhood, actor):
    with write_transaction():
        FacilitatorAssignment.delete().where(
            FacilitatorAssignment.facilitator.in_(
                FacilitatorProfile.select(FacilitatorProfile.id).where(FacilitatorProfile.user == user)
            ),
            FacilitatorAssignment.neighborhood == neighborhood,
        ).execute()
        record_audit("facilitator.unassigned", actor=actor, subject=f"user:{user.id}", detail=f"area:{neighborhood.id}")


def facilitators_of(neighborhood):
    """The facilitators assigned to a neighborhood, with their profiles."""
    return (
        FacilitatorProfile.select(FacilitatorProfile, User)
        .join(User)
        .switch(FacilitatorProfile)
        .join(FacilitatorAssignment)
        .where(FacilitatorAssignment.neighborhood == neighborhood, User.is_active)
        .order_by(User.name)
    )


def facilitates(user, neighborhood_id):
    """Whether `user` is an assigned facilitator of the neighborhood."""
    return (
        FacilitatorAssignment.select()
        .join(FacilitatorProfile)
        .where(FacilitatorProfile.user == user, FacilitatorAssignment.neighborhood == neighborhood_id)
        .exists()
    )


# --- Acting for someone -------------------------------------------------------------


class TrustedHelper(BaseModel):
    """A relative or friend whom a member lets act for them on this site."""

    person = ForeignKeyField(User, backref="trusted_helpers", on_delete="CASCADE")
    helper = ForeignKeyField(User, backref="helps_people", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("person", "helper"), True),)
        constraints = (Check("person_id <> helper_id"),)


def add_trusted_helper(person, helper):
    with write_transaction():
        TrustedHelper.insert(person=person, helper=helper).on_conflict_ignore().execute()
        record_audit("acting.helper_added", actor=person, subject=f"user:{helper.id}")


def remove_trusted_helper(person, helper_id):
    with write_transaction():
        TrustedHelper.delete().where(TrustedHelper.person == person, TrustedHelper.helper == helper_id).execute()
        record_audit("acting.helper_removed", actor=person, subject=f"user:{helper_id}")


def looks_after(actor, actor_roles, member):
    """Whether staff `actor` looks after `member` (never a staff account): a
    center's staff its members, a facilitator the neighbors of the
    neighborhoods they are assigned to."""
    if member.id == actor.id or set(member.roles()) & STAFF_ROLES:
        return False
    if "center_staff" in actor_roles and actor.work_center_id and is_center_member(actor.work_center, member):
        return True
    if "facilitator" in actor_roles and member.neighborhood_id:
        return facilitates(actor, member.neighborhood_id)
    return False


def may_act_for(actor, actor_roles, person):
    """A trusted helper the person named, or staff who look after them."""
    if set(person.roles()) & STAFF_ROLES or not person.is_active:
        return False
    named = TrustedHelper.select().where(TrustedHelper.person == person, TrustedHelper.helper == actor).exists()
    return named or looks_after(actor, actor_roles, person)


# --- Simple flows: call-backs and SMS --------------------------------------------


class CallbackRequest(BaseModel):
    """ "Call me back": a phone number (or a name and a center) that staff or a
    facilitator calls back; from the simple pages, an SMS or a kiosk."""

    SOURCES = ("web", "sms")
    STATUSES = ("open", "called", "closed")

    phone = CharField(max_length=11, default="")
    name = CharField(max_length=80, default="")
    center = ForeignKeyField(Center, null=True, on_delete="SET NULL")
    neighborhood = ForeignKeyField(Area, null=True, on_delete="SET NULL")
    activity_type = ForeignKeyField(ActivityType, null=True, on_delete="SET NULL")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    source = CharField(max_length=5, default="web", constraints=[Check("source IN ('web', 'sms')")])
    status = CharField(max_length=10, default="open", constraints=[Check("status IN ('open', 'called', 'closed')")])
    form_key = CharField(max_length=64, null=True, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = (Check("phone <> '' OR (name <> '' AND center_id IS NOT NULL)"),)
        indexes = ((("status", "created_at"), False),)


def request_callback(form_key=None, **fields):
    """A call-back request; the same form sent twice makes one."""
    try:
        with write_transaction():
            return CallbackRequest.create(form_key=form_key, **fields)
    except IntegrityError:
        found = CallbackRequest.get_or_none(CallbackRequest.form_key == form_key) if form_key else None
        if found is None:
            raise
        return found


def callbacks_for(actor, actor_roles):
    """Open call-back requests this staff member should answer: those of their
    center or its area, those of a facilitator's neighborhoods, and those that
    came without a place (an SMS from an unknown number)."""
    unplaced = CallbackRequest.neighborhood.is_null() & CallbackRequest.center.is_null()
    mine = unplaced
    if "center_staff" in actor_roles and actor.work_center_id:
        center = actor.work_center
        in_area = CallbackRequest.neighborhood.in_(Area.select(Area.id).where(Area.path.startswith(center.area.path)))
        mine = mine | (CallbackRequest.center == center) | in_area
    if "facilitator" in actor_roles:
        assigned = (
            FacilitatorAssignment.select(FacilitatorAssignment.neighborhood)
            .join(FacilitatorProfile)
            .where(FacilitatorProfile.user == actor)
        )
        mine = mine | CallbackRequest.neighborhood.in_(assigned)
    return (
        CallbackRequest.select()
        .where(CallbackRequest.status == "open", mine)
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
    )


def close_callback(callback, status, actor):
    with write_transaction():
        changed = (
            CallbackRequest.update(status=status)
            .where(CallbackRequest.id == callback.id, CallbackRequest.status == "open")
            .execute()
        )
        record_audit(f"callback.{status}", actor=actor, subject=f"callback:{callback.id}")
    return bool(changed)


class SmsMessage(BaseModel):
    """An SMS that came in from the gateway, or one waiting in the outbox."""

    DIRECTIONS = ("in", "out")
    STATUSES = ("received", "queued", "sent")

    direction = CharField(max_length=3, constraints=[Check("direction IN ('in', 'out')")])
    phone = CharField(max_length=11)
    body = CharField(max_length=480)
    status = CharField(max_length=10, constraints=[Check("status IN ('received', 'queued', 'sent')")])
    callback = ForeignKeyField(CallbackRequest, null=True, on_delete="SET NULL")
    # The gateway's id of an incoming message: a retried delivery is one message.
    gateway_id = CharField(max_length=64, null=True, unique=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("direction", "phone", "created_at"), False), (("direction", "status"), False))


# --- The facilitators' network: the neighborhood's record, ideas, announcements --


class Story(BaseModel):
    """A facilitator's short story of a neighborhood for headquarters: a need
    (what is missing, for whom, how many, since when), an asset (a skill, a
    place, a group, a resource), or a failure and its lesson."""

    KINDS = ("need", "asset", "lesson")
    STATUSES = ("current", "resolved", "archived")
    TITLE_MAX, NARRATIVE_MAX = 120, 2000

    neighborhood = ForeignKeyField(Area, backref="stories", on_delete="RESTRICT")
    kind = CharField(max_length=10, constraints=[Check("kind IN ('need', 'asset', 'lesson')")])
    title = CharField(max_length=120)
    narrative = TextField()
    for_whom = CharField(max_length=160, default="")
    how_many = IntegerField(null=True, constraints=[Check("how_many IS NULL OR how_many BETWEEN 1 AND 1000000")])
    since = DateField(null=True)
    # A lesson: what to do differently next time.
    next_time = TextField(default="")
    status = CharField(
        max_length=10, default="current", constraints=[Check("status IN ('current', 'resolved', 'archived')")]
    )
    # Residents see public stories only; the rest stays between the
    # neighborhood's facilitators, its center and headquarters.
    is_public = BooleanField(default=False)
    search_key = TextField(default="")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("neighborhood", "kind", "status"), False),)

    def activity_ids(self):
        return {row.activity_type_id for row in self.activities}


class StoryActivity(BaseModel):
    story = ForeignKeyField(Story, backref="activities", on_delete="CASCADE")
    activity_type = ForeignKeyField(ActivityType, on_delete="CASCADE")

    class Meta:
        indexes = ((("story", "activity_type"), True),)


class StoryPost(BaseModel):
    """A need story linked to a help-board request that answers part of it."""

    story = ForeignKeyField(Story, backref="post_links", on_delete="CASCADE")
    post = ForeignKeyField(HelpPost, backref="story_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("story", "post"), True),)


class StoryAsset(BaseModel):
    """A need story linked to an asset story that could meet it."""

    need = ForeignKeyField(Story, backref="asset_links", on_delete="CASCADE")
    asset = ForeignKeyField(Story, backref="need_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("need", "asset"), True),)
        constraints = (Check("need_id <> asset_id"),)


def record_story(author, form_key, activities, **fields):
    """A new story, or the one this form already made."""

    def make():
        story = Story.create(author=author, form_key=form_key, **fields)
        StoryActivity.insert_many(
            [(story.id, activity.id) for activity in activities],
            fields=[StoryActivity.story, StoryActivity.activity_type],
        ).execute()
        record_audit("story.recorded", actor=author, subject=f"story:{story.id}", detail=story.kind)
        return story

    return made_once(Story, form_key, make)


def update_story(story, actor, activities, **fields):
    with write_transaction():
        Story.update(updated_at=utcnow(), **fields).where(Story.id == story.id).execute()
        StoryActivity.delete().where(StoryActivity.story == story).execute()
        StoryActivity.insert_many(
            [(story.id, activity.id) for activity in activities],
            fields=[StoryActivity.story, StoryActivity.activity_type],
        ).execute()
        record_audit("story.changed", actor=actor, subject=f"story:{story.id}")


def link_story(need, other, actor, remove=False):
    """Link (or unlink) a need story to an asset story or a help-board post."""
    if isinstance(other, HelpPost):
        model, values = StoryPost, {"story": need, "post": other}
    else:
        model, values = StoryAsset, {"need": need, "asset": other}
    with write_transaction():
        if remove:
            model.delete().where(*[getattr(model, name) == value for name, value in values.items()]).execute()
        else:
            model.insert(**values).on_conflict_ignore().execute()
        Story.update(updated_at=utcnow()).where(Story.id == need.id).execute()


def stories_in(area=None, kind=None, search_key="", public_only=False):
    """Stories of the neighborhoods in `area` (None: everywhere), last changed first."""
    query = Story.select(Story, Area).join(Area)
    if area is not None:
        query = query.where(Area.path.startswith(area.path))
    if kind:
        query = query.where(Story.kind == kind)
    if search_key:
        query = query.where(Story.search_key.contains(search_key))
    if public_only:
        query = query.where(Story.is_public)
    return query.order_by(Story.updated_at.desc(), Story.id.desc())


class Idea(BaseModel):
    """A resident's idea for their neighborhood (طرح جام), on its way from the
    neighborhood through its facilitator to headquarters, and what became of it."""

    STATUSES = ("proposed", "needs_detail", "forwarded", "declined", "merged", "planned", "in_progress", "done")
    OPEN = ("proposed", "needs_detail", "forwarded", "planned", "in_progress")
    TITLE_MAX, TEXT_MAX = 120, 1500

    neighborhood = ForeignKeyField(Area, backref="ideas", on_delete="RESTRICT")
    author = ForeignKeyField(User, backref="ideas", on_delete="RESTRICT")
    title = CharField(max_length=120)
    text = TextField()
    search_key = TextField(default="")
    status = CharField(
        max_length=12,
        default="proposed",
        constraints=[Check("status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)))],
    )
    merged_into = ForeignKeyField("self", null=True, backref="merged", on_delete="SET NULL")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("neighborhood", "status", "created_at"), False),)

    def support_count(self):
        return self.supports.count()

    def trail(self):
        return self.events.select(IdeaEvent, User).join(User, on=(IdeaEvent.actor == User.id)).order_by(IdeaEvent.id)


class IdeaSupport(BaseModel):
    """A neighbor supports an idea: once per person, whatever they press."""

    idea = ForeignKeyField(Idea, backref="supports", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("idea", "user"), True),)


class IdeaEvent(BaseModel):
    """One step of an idea's trail: who decided what, when, and why."""

    idea = ForeignKeyField(Idea, backref="events", on_delete="CASCADE")
    actor = ForeignKeyField(User, on_delete="RESTRICT")
    action = CharField(max_length=20)
    status = CharField(max_length=12)
    note = TextField(default="")
    at = DateTimeField(default=utcnow)


# Who may move an idea, from which states, to which: "facilitator" is a
# facilitator of the idea's neighborhood, "hq" headquarters (administrators).
IDEA_MOVES = {
    "ask": ("facilitator", ("proposed",), "needs_detail"),
    "forward": ("facilitator", ("proposed",), "forwarded"),
    "decline": ("facilitator", ("proposed", "needs_detail"), "declined"),
    "merge": ("facilitator", ("proposed", "needs_detail"), "merged"),
    "resubmit": ("author", ("needs_detail",), "proposed"),
    "accept": ("hq", ("forwarded",), "planned"),
    "refuse": ("hq", ("forwarded",), "declined"),
    "start": ("hq", ("planned",), "in_progress"),
    "finish": ("hq", ("in_progress",), "done"),
}


def propose_idea(author, neighborhood, title, text, search_key, form_key):
    """A new idea (or the one this form already made); the neighborhood's
    facilitators hear of it."""

    def make():
        idea = Idea.create(
            author=author, neighborhood=neighborhood, title=title, text=text, search_key=search_key, form_key=form_key
        )
        IdeaEvent.create(idea=idea, actor=author, action="proposed", status="proposed")
        for profile in facilitators_of(neighborhood):
            notify(profile.user_id, "idea_new", actor=author, idea=idea)
        return idea

    return made_once(Idea, form_key, make)


def support_idea(idea, user):
    """Count `user`'s support once; False when the idea no longer takes it."""
    if user.id == idea.author_id:
        return False
    with write_transaction():
        if Idea.get_by_id(idea.id).status not in Idea.OPEN:
            return False
        if IdeaSupport.select().where(IdeaSupport.idea == idea, IdeaSupport.user == user).exists():
            return False
        IdeaSupport.insert(idea=idea, user=user).on_conflict_ignore().execute()
        return True


def move_idea(idea, actor, action, note="", target=None, **changes):
    """Take `action` on the idea if it is still in a state that allows it; the
    step joins the trail and the author hears of it."""
    _who, from_statuses, to_status = IDEA_MOVES[action]
    with write_transaction():
        changed = (
            Idea.update(status=to_status, updated_at=utcnow(), merged_into=target, **changes)
            .where(Idea.id == idea.id, Idea.status.in_(from_statuses))
            .execute()
        )
        if not changed:
            raise StateError(action)
        IdeaEvent.create(idea=idea, actor=actor, action=action, status=to_status, note=note)
        if target is not None:
            # The merged idea's supporters, and its author, now support the other.
            supporters = [row.user_id for row in idea.supports] + [idea.author_id]
            IdeaSupport.insert_many(
                [(target.id, user_id) for user_id in supporters if user_id != target.author_id],
                fields=[IdeaSupport.idea, IdeaSupport.user],
            ).on_conflict_ignore().execute()
            IdeaEvent.create(idea=target, actor=actor, action="absorbed", status=target.status, note=idea.title)
        if actor.id != idea.author_id:
            notify(idea.author_id, "idea", actor=actor, idea=idea)
        elif action == "resubmit":
            for profile in facilitators_of(idea.neighborhood):
                notify(profile.user_id, "idea_new", actor=actor, idea=idea)


def ideas_in(area=None, statuses=None):
    """Ideas of the neighborhoods in `area` (None: everywhere), each with its
    count of `supporters`, last changed first."""
    query = (
        Idea.select(Idea, Area, fn.COUNT(IdeaSupport.id).alias("supporters"))
        .join(Area)
        .switch(Idea)
        .join(IdeaSupport, JOIN.LEFT_OUTER)
        .group_by(Idea, Area)
    )
    if area is not None:
        query = query.where(Area.path.startswith(area.path))
    if statuses:
        query = query.where(Idea.status.in_(statuses))
    return query.order_by(Idea.updated_at.desc(), Idea.id.desc())


class Announcement(BaseModel):
    """Headquarters or a facilitator speaks to an area (no area: everyone), or
    a facilitator raises a neighborhood's problem to headquarters."""

    KINDS = ("announcement", "problem")
    STATUSES = ("open", "answered")
    TITLE_MAX, BODY_MAX = 120, 2000

    kind = CharField(max_length=12, constraints=[Check("kind IN ('announcement', 'problem')")])
    area = ForeignKeyField(Area, null=True, backref="announcements", on_delete="RESTRICT")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    title = CharField(max_length=120)
    body = TextField()
    status = CharField(max_length=10, default="open", constraints=[Check("status IN ('open', 'answered')")])
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("kind", "area", "created_at"), False), (("kind", "status", "created_at"), False))


class AnnouncementReply(BaseModel):
    """A member's reply or question under an announcement; headquarters' answer
    to a problem."""

    BODY_MAX = 1000

    announcement = ForeignKeyField(Announcement, backref="replies", on_delete="CASCADE")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    body = TextField()
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)


def announce(author, area, title, body, form_key, kind="announcement"):
    """Post an announcement (it reaches every member of the area through the
    inbox), or raise a problem to headquarters; once per form."""

    def make():
        item = Announcement.create(author=author, area=area, title=title, body=body, form_key=form_key, kind=kind)
        if kind == "announcement":
            notify_area(area, "announcement", actor=author, announcement=item)
        else:
            admins = User.select(User.id).join(UserRole).where(UserRole.role == "admin", User.is_active)
            for admin in admins:
                notify(admin.id, "problem", actor=author, announcement=item)
        record_audit(f"{kind}.posted", actor=author, subject=f"announcement:{item.id}")
        return item

    return made_once(Announcement, form_key, make)


def reply_to(announcement, author, body, form_key, answers=False):
    """A reply, once per form; its announcement's author hears of it. An
    answer from headquarters closes a problem."""

    def make():
        reply = AnnouncementReply.create(announcement=announcement, author=author, body=body, form_key=form_key)
        if answers:
            Announcement.update(status="answered").where(Announcement.id == announcement.id).execute()
        if author.id != announcement.author_id:
            notify(announcement.author_id, "answered" if answers else "reply", actor=author, announcement=announcement)
        return reply

    return made_once(AnnouncementReply, form_key, make)


def channel_of(area):
    """Announcements that reach members of `area`: to it, to the areas above
    it, and to everyone; newest first."""
    above = [item.id for item in area.ancestors()] + [area.id]
    return (
        Announcement.select(Announcement, User)
        .join(User)
        .where(Announcement.kind == "announcement", Announcement.area.in_(above) | Announcement.area.is_null())
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
    )


# --- Headquarters' view: counts of an area, never people ---------------------------

IDEA_AGES = (30, 90)  # days: under a month, one to three months, older


def area_overview(area):
    """What headquarters sees of an area (None: the whole country): rows of
    counts by activity type, state and age; nothing that names a person."""

    def scoped(query, field):
        if area is None:
            return query
        return query.where(field.in_(Area.select(Area.id).where(Area.path.startswith(area.path))))

    def by_activity(query, field):
        """(activity type, count) rows, in the list's order: one query."""
        rows = scoped(query, field).group_by(ActivityType.id).order_by(ActivityType.position, ActivityType.id)
        return [(row, row.count) for row in rows]

    count = fn.COUNT(SQL("*")).alias("count")
    needs = (
        ActivityType.select(ActivityType, count)
        .join(HelpPost)
        .where(HelpPost.kind == "request", HelpPost.status == "open")
    )
    volunteers = ActivityType.select(ActivityType, count).join(VolunteerActivity).join(VolunteerProfile)
    volunteers = volunteers.where(VolunteerProfile.is_active)

    def stories(kind):
        """Current stories of `kind` by activity type; those given none last (None)."""
        typed = ActivityType.select(ActivityType, count).join(StoryActivity).join(Story)
        rows = by_activity(typed.where(Story.kind == kind, Story.status == "current"), Story.neighborhood)
        untyped = Story.select().where(
            Story.kind == kind, Story.status == "current", Story.id.not_in(StoryActivity.select(StoryActivity.story))
        )
        untyped = scoped(untyped, Story.neighborhood).count()
        return rows + ([(None, untyped)] if untyped else [])

    # Ideas by state, counted in each age band: under a month, to three months, older.
    now = utcnow()
    newer, older = (now - datetime.timedelta(days=days) for days in IDEA_AGES)
    bands = (Idea.created_at >= newer, (Idea.created_at < newer) & (Idea.created_at >= older), Idea.created_at < older)
    sums = [fn.SUM(Case(None, [(band, 1)], 0)) for band in bands]
    ideas = scoped(Idea.select(Idea.status, *sums), Idea.neighborhood).group_by(Idea.status)
    idea_counts = {row[0]: [int(n or 0) for n in row[1:]] for row in ideas.tuples()}
    hoods = Area.select(Area.id, Area.name).where(Area.kind == "neighborhood")
    if area:
        hoods = hoods.where(Area.path.startswith(area.path))
    uncovered = hoods.where(Area.id.not_in(FacilitatorAssignment.select(FacilitatorAssignment.neighborhood)))
    return {
        "needs": by_activity(needs, HelpPost.neighborhood),
        "need_stories": stories("need"),
        "assets": stories("asset"),
        "volunteers": by_activity(volunteers, VolunteerProfile.neighborhood),
        "ideas": [(status, idea_counts[status]) for status in Idea.STATUSES if status in idea_counts],
        "neighborhoods": hoods.count(),
        "uncovered": uncovered.count(),
        "uncovered_sample": list(uncovered.order_by(Area.name).limit(30)),
    }


# --- Organizations and the county's shared registry (Samoon) -------------------------


class Assembly(BaseModel):
    """The assembly of charities (مجمع خیریه‌ها) of a county: its members share
    one registry of the people they serve."""

    county = ForeignKeyField(Area, unique=True, backref="assemblies", on_delete="RESTRICT")
    name = CharField(max_length=160, unique=True)


class Organization(BaseModel):
    """An NGO, charity, jihadi or community group, business or government office."""

    KINDS = ("charity", "ngo", "jihadi", "community", "business", "government")

    name = CharField(max_length=160, unique=True)
    kind = CharField(
        max_length=12,
        constraints=[Check("kind IN ('charity', 'ngo', 'jihadi', 'community', 'business', 'government')")],
    )
    county = ForeignKeyField(Area, backref="organizations", on_delete="RESTRICT")
    assembly = ForeignKeyField(Assembly, null=True, backref="members", on_delete="SET NULL")
    about = TextField(default="")
    contact = CharField(max_length=300, default="")
    volunteers_wanted = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    def managed_by(self, user):
        return (
            user is not None
            and self.memberships.where(
                OrganizationMember.user == user, OrganizationMember.role == "manager", OrganizationMember.is_active
            ).exists()
        )


class OrganizationArea(BaseModel):
    """A place an organization serves."""

    organization = ForeignKeyField(Organization, backref="areas", on_delete="CASCADE")
    area = ForeignKeyField(Area, on_delete="CASCADE")

    class Meta:
        indexes = ((("organization", "area"), True),)


class OrganizationActivity(BaseModel):
    organization = ForeignKeyField(Organization, backref="activities", on_delete="CASCADE")
    activity_type = ForeignKeyField(ActivityType, on_delete="CASCADE")

    class Meta:
        indexes = ((("organization", "activity_type"), True),)


class OrganizationMember(BaseModel):
    """A member's role in an organization; a volunteer's request to join waits,
    inactive, until a manager accepts it."""

    ROLES = ("manager", "staff", "volunteer")
    STAFF = ("manager", "staff")

    organization = ForeignKeyField(Organization, backref="memberships", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    role = CharField(max_length=10, constraints=[Check("role IN ('manager', 'staff', 'volunteer')")])
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "user"), True), (("user", "is_active"), False))


def set_organization_lists(organization, areas, activities, actor, **fields):
    """Change an organization's page: its fields, places served and activity types."""
    with write_transaction():
        if fields:
            Organization.update(**fields).where(Organization.id == organization.id).execute()
        OrganizationArea.delete().where(OrganizationArea.organization == organization).execute()
        OrganizationArea.insert_many(
            [(organization.id, area) for area in areas], fields=[OrganizationArea.organization, OrganizationArea.area]
        ).execute()
        OrganizationActivity.delete().where(OrganizationActivity.organization == organization).execute()
        OrganizationActivity.insert_many(
            [(organization.id, item) for item in activities],
            fields=[OrganizationActivity.organization, OrganizationActivity.activity_type],
        ).execute()
        record_audit("organization.changed", actor=actor, subject=f"org:{organization.id}")


def ask_to_join(organization, user):
    """A volunteer's request (made once); False when they are already in."""
    with write_transaction():
        if (
            OrganizationMember.select()
            .where(OrganizationMember.organization == organization, OrganizationMember.user == user)
            .exists()
        ):
            return False
        OrganizationMember.insert(
            organization=organization, user=user, role="volunteer", is_active=False
        ).on_conflict_ignore().execute()
        return True


def set_membership(organization, user, role, actor, active=True):
    """Add or change a member (accepting a request is making it active); the
    registry's staff get the charity_staff role, which shows them its pages."""
    with write_transaction():
        changed = (
            OrganizationMember.update(role=role, is_active=active)
            .where(OrganizationMember.organization == organization, OrganizationMember.user == user)
            .execute()
        )
        if not changed:
            OrganizationMember.create(organization=organization, user=user, role=role, is_active=active)
        if active and role in OrganizationMember.STAFF:
            UserRole.insert(user=user, role="charity_staff").on_conflict_ignore().execute()
        record_audit(
            "organization.member", actor=actor, subject=f"user:{user.id}", detail=f"org:{organization.id} {role}"
        )


def remove_membership(organization, user_id, actor):
    with write_transaction():
        OrganizationMember.delete().where(
            OrganizationMember.organization == organization, OrganizationMember.user == user_id
        ).execute()
        record_audit(
            "organization.member_removed", actor=actor, subject=f"user:{user_id}", detail=f"org:{organization.id}"
        )


def join_assembly(organization, actor):
    """Make the organization a member of its county's assembly (made if needed)."""
    county = organization.county
    with write_transaction():
        Assembly.insert(county=county, name=f"مجمع خیریه‌های {county.name}").on_conflict_ignore().execute()
        assembly = Assembly.get(Assembly.county == county)
        Organization.update(assembly=assembly).where(Organization.id == organization.id).execute()
        record_audit("organization.joined_assembly", actor=actor, subject=f"org:{organization.id}")
    return assembly


class AssemblyPost(BaseModel):
    """A member organization's short post to its assembly: an experience or a lesson."""

    KINDS = ("experience", "lesson")
    TITLE_MAX, BODY_MAX = 120, 2000

    assembly = ForeignKeyField(Assembly, backref="posts", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    kind = CharField(max_length=10, constraints=[Check("kind IN ('experience', 'lesson')")])
    title = CharField(max_length=120)
    body = TextField()
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)


class Capacity(BaseModel):
    """What a member organization can offer: so many of a kind per period, in a place."""

    CATEGORIES = ("food_packages", "medical_visits", "tutoring_hours", "shelter_beds", "clothing", "cash_aid", "other")
    PERIODS = ("week", "month", "year")

    organization = ForeignKeyField(Organization, backref="capacities", on_delete="CASCADE")
    category = CharField(
        max_length=16,
        constraints=[
            Check(
                "category IN ('food_packages', 'medical_visits', 'tutoring_hours', 'shelter_beds', "
                "'clothing', 'cash_aid', 'other')"
            )
        ],
    )
    quantity = IntegerField(constraints=[Check("quantity BETWEEN 1 AND 1000000")])
    period = CharField(max_length=5, constraints=[Check("period IN ('week', 'month', 'year')")])
    # Where it is offered: a place of the county, or the county itself.
    area = ForeignKeyField(Area, on_delete="CASCADE")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "category", "area"), True),)


def state_capacity(organization, category, quantity, period, area, actor):
    """Say what the organization can offer of a kind in a place: stated again,
    it replaces the amount; zero removes it."""
    with write_transaction():
        if quantity:
            Capacity.insert(
                organization=organization, category=category, quantity=quantity, period=period, area=area
            ).on_conflict(
                conflict_target=[Capacity.organization, Capacity.category, Capacity.area],
                update={Capacity.quantity: quantity, Capacity.period: period, Capacity.updated_at: utcnow()},
            ).execute()
        else:
            Capacity.delete().where(
                Capacity.organization == organization, Capacity.category == category, Capacity.area == area
            ).execute()
        record_audit("organization.capacity", actor=actor, subject=f"org:{organization.id}", detail=category)


# Capacity per month, whatever period it was given in.
PER_MONTH = {"week": 52 / 12, "month": 1, "year": 1 / 12}


def assembly_capacity(assembly):
    """The assembly's combined capacity per month: {(category, area id): amount}."""
    combined = {}
    rows = Capacity.select(Capacity).join(Organization).where(Organization.assembly == assembly)
    for row in rows:
        key = (row.category, row.area_id)
        combined[key] = combined.get(key, 0) + row.quantity * PER_MONTH[row.period]
    return {key: round(amount) for key, amount in combined.items()}


def registry_organizations(user):
    """The assembly members where `user` is active staff: who may use the registry."""
    return (
        Organization.select()
        .join(OrganizationMember)
        .where(
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(OrganizationMember.STAFF),
            Organization.assembly.is_null(False),
        )
        .order_by(Organization.name)
    )


class Setting(BaseModel):
    """A named value the application keeps in its database (for example the
    fingerprint of the registry key, to notice a lost or changed key)."""

    name = CharField(max_length=60, primary_key=True)
    value = CharField(max_length=200)


class Beneficiary(BaseModel):
    """A person in an assembly's registry. Never the identifier itself: its
    keyed hash, to match, and its last digits, to show."""

    ID_KINDS = ("national", "foreign")

    assembly = ForeignKeyField(Assembly, backref="beneficiaries", on_delete="RESTRICT")
    id_kind = CharField(max_length=10, constraints=[Check("id_kind IN ('national', 'foreign')")])
    identifier_hash = CharField(max_length=64)
    last_digits = CharField(max_length=4)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("assembly", "identifier_hash"), True),)


class BeneficiaryRecord(BaseModel):
    """What one organization knows of a beneficiary: seen in full by that
    organization only; by others only when the person consented to share."""

    HOUSEHOLD_MAX = 30

    beneficiary = ForeignKeyField(Beneficiary, backref="records", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="records", on_delete="RESTRICT")
    name = CharField(max_length=80)
    household_size = SmallIntegerField(default=1, constraints=[Check("household_size BETWEEN 1 AND 30")])
    household = TextField(default="")
    # Where the household lives, as a city or neighborhood of the county: no address.
    area = ForeignKeyField(Area, null=True, on_delete="SET NULL")
    consent_to_share = BooleanField(default=False)
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("beneficiary", "organization"), True),)


class Service(BaseModel):
    """A service an organization gave a beneficiary."""

    CATEGORIES = ("food", "cash", "medical", "education", "shelter", "clothing", "housing", "other")

    beneficiary = ForeignKeyField(Beneficiary, backref="services", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="services", on_delete="RESTRICT")
    category = CharField(
        max_length=10,
        constraints=[
            Check("category IN ('food', 'cash', 'medical', 'education', 'shelter', 'clothing', 'housing', 'other')")
        ],
    )
    given_on = DateField()
    # Rials; 0 when the value is not known.
    amount = BigIntegerField(default=0, constraints=[Check("amount >= 0")])
    note = CharField(max_length=300, default="")
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("beneficiary", "given_on"), False), (("organization", "given_on"), False))


KEY_CHECK = b"hamsayeh registry key check"


class RegistryKeyError(RuntimeError):
    """The registry key is missing or is not the one the registry was made with."""


def key_fingerprint(key):
    return hmac.new(key.encode(), KEY_CHECK, hashlib.sha256).hexdigest()


def check_registry_key(key):
    """Refuse to run with a lost or changed key once identifiers were hashed
    with one: a new key would silently make every person a stranger. The
    first key a database sees is remembered (its fingerprint, never the key)."""
    stored = Setting.get_or_none(Setting.name == "registry_key")
    if not key:
        if stored is not None or Beneficiary.select().exists():
            raise RegistryKeyError(
                "HAMSAYEH_REGISTRY_KEY is not set, but the registry holds people whose national codes were "
                "hashed with a key. Restore that key (from your secrets store) before starting."
            )
        return False
    if stored is None:
        with write_transaction():
            Setting.insert(name="registry_key", value=key_fingerprint(key)).on_conflict_ignore().execute()
    elif not hmac.compare_digest(stored.value, key_fingerprint(key)):
        raise RegistryKeyError(
            "HAMSAYEH_REGISTRY_KEY is not the key this registry was made with: nobody would be found again. "
            "Restore the original key."
        )
    return True


def identifier_hash(key, id_kind, number):
    """The keyed hash that matches a person across organizations."""
    return hmac.new(key.encode(), f"{id_kind}:{number}".encode(), hashlib.sha256).hexdigest()


def find_beneficiary(assembly, key, id_kind, number):
    return Beneficiary.get_or_none(
        Beneficiary.assembly == assembly, Beneficiary.identifier_hash == identifier_hash(key, id_kind, number)
    )


def record_beneficiary(organization, actor, key, id_kind, number, limit=None, **fields):
    """The organization's record of the person (made once; sent again, the
    first stays), and the person in the assembly's registry. A new record
    counts against `limit` look-ups an hour: it shows what others gave."""
    digest = identifier_hash(key, id_kind, number)

    def existing():
        person = Beneficiary.get_or_none(
            Beneficiary.assembly == organization.assembly_id, Beneficiary.identifier_hash == digest
        )
        return person and BeneficiaryRecord.get_or_none(
            BeneficiaryRecord.beneficiary == person, BeneficiaryRecord.organization == organization
        )

    try:
        with write_transaction():
            record = existing()
            if record:
                return record, False
            check_look_up_limit(actor, limit)
            Beneficiary.insert(
                assembly=organization.assembly_id, id_kind=id_kind, identifier_hash=digest, last_digits=number[-4:]
            ).on_conflict_ignore().execute()
            person = Beneficiary.get(
                Beneficiary.assembly == organization.assembly_id, Beneficiary.identifier_hash == digest
            )
            record = BeneficiaryRecord.create(
                beneficiary=person, organization=organization, recorded_by=actor, **fields
            )
            record_audit(
                "registry.recorded", actor=actor, subject=f"beneficiary:{person.id}", detail=f"org:{organization.id}"
            )
            return record, True
    except IntegrityError:  # the same person recorded twice at once (PostgreSQL)
        return existing(), False


def record_service(record, actor, form_key, **fields):
    def make():
        service = Service.create(
            beneficiary=record.beneficiary_id,
            organization=record.organization_id,
            recorded_by=actor,
            form_key=form_key,
            **fields,
        )
        record_audit(
            "registry.service",
            actor=actor,
            subject=f"beneficiary:{record.beneficiary_id}",
            detail=f"org:{record.organization_id} {service.category}",
        )
        return service

    return made_once(Service, form_key, make)


InquiryResult = namedtuple("InquiryResult", "person categories organizations shared own")
# What counts against a staff member's hourly limit: each shows what the assembly gave someone.
LOOK_UPS = ("registry.inquiry", "registry.recorded")


class RateLimited(Exception):
    """Too many look-ups in the last hour."""


def check_look_up_limit(actor, limit):
    """Inside the write transaction, before the look-up's audit entry."""
    lock_audit()
    if limit is not None and recent_inquiries(actor) >= limit:
        raise RateLimited


def inquire(organization, actor, key, id_kind, number, months, reason, limit=None):
    """What the assembly gave this person in the last `months`: services by
    category and how many organizations gave them. Other organizations'
    records show only when the person consented to share. Every inquiry is in
    the audit log with who, when and why, found or not; more than `limit` an
    hour are refused."""
    person = find_beneficiary(organization.assembly_id, key, id_kind, number)
    since = datetime.date.today() - datetime.timedelta(days=round(months * 30.44))
    with write_transaction():
        check_look_up_limit(actor, limit)
        record_audit(
            "registry.inquiry",
            actor=actor,
            subject=f"beneficiary:{person.id}" if person else "beneficiary:none",
            detail=f"org:{organization.id} months:{months} reason:{reason}",
        )
    if person is None:
        return None
    services = Service.select(Service.category, fn.COUNT(SQL("*")).alias("count")).where(
        Service.beneficiary == person, Service.given_on >= since
    )
    categories = {row.category: row.count for row in services.group_by(Service.category)}
    givers = (
        Service.select(fn.COUNT(fn.DISTINCT(Service.organization)))
        .where(Service.beneficiary == person, Service.given_on >= since)
        .scalar()
    )
    records = list(
        BeneficiaryRecord.select(BeneficiaryRecord, Organization)
        .join(Organization)
        .where(BeneficiaryRecord.beneficiary == person)
    )
    own = next((r for r in records if r.organization_id == organization.id), None)
    shared = [r for r in records if r.organization_id != organization.id and r.consent_to_share]
    return InquiryResult(person, categories, givers or 0, shared, own)


def import_key(key, organization_id, beneficiary_id, day, category):
    """The form key of a service read from an imported list: the same row
    imported again finds the service it made."""
    text = f"import:{organization_id}:{beneficiary_id}:{day.isoformat()}:{category}"
    return "import-" + hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()[:40]


def registry_ref(key, beneficiary_id):
    """A pseudonymous reference for reports: the same person always has the
    same one, and it leads back to nobody without the registry."""
    return hmac.new(key.encode(), f"ref:{beneficiary_id}".encode(), hashlib.sha256).hexdigest()[:8].upper()


PARALLEL_DAYS = 30  # a service covers about a month: two of a kind closer than this overlap


def assembly_services(assembly, since):
    return (
        Service.select(Service, Organization)
        .join(Organization)
        .switch(Service)
        .join(Beneficiary)
        .where(Beneficiary.assembly == assembly, Service.given_on >= since)
    )


def parallel_services(assembly, since):
    """(beneficiary id, category, the services) where different organizations
    gave the same person the same kind of service within overlapping periods."""
    by_person = {}
    for service in assembly_services(assembly, since).order_by(Service.given_on):
        by_person.setdefault((service.beneficiary_id, service.category), []).append(service)
    cases = []
    for (person, category), services in by_person.items():
        overlapping = {
            item
            for first, second in itertools.pairwise(services)
            if first.organization_id != second.organization_id
            and (second.given_on - first.given_on).days < PARALLEL_DAYS
            for item in (first, second)
        }
        if overlapping:
            cases.append((person, category, sorted(overlapping, key=lambda item: item.given_on)))
    return cases


def served_by_many(assembly, since, at_least=3):
    """(beneficiary id, number of organizations) for people many organizations served."""
    givers = fn.COUNT(fn.DISTINCT(Service.organization))
    query = (
        Service.select(Service.beneficiary, givers.alias("givers"))
        .join(Beneficiary)
        .where(Beneficiary.assembly == assembly, Service.given_on >= since)
        .group_by(Service.beneficiary)
        .having(givers >= at_least)
        .order_by(givers.desc())
    )
    return [(row.beneficiary_id, row.givers) for row in query]


def unserved(assembly, since):
    """People of the registry with no service since `since`: the shy needy."""
    served = Service.select(Service.beneficiary).where(Service.given_on >= since)
    return Beneficiary.select().where(Beneficiary.assembly == assembly, Beneficiary.id.not_in(served))


def needs_filed_for_someone(county, older_than):
    """Open board requests that neighbors, volunteers or facilitators filed for
    someone without an account, in the county, nobody has taken since `older_than`."""
    return (
        HelpPost.select(HelpPost, Area)
        .join(Area)
        .where(
            Area.path.startswith(county.path),
            HelpPost.kind == "request",
            HelpPost.status == "open",
            HelpPost.filed_by.is_null(False),
            HelpPost.created_at < older_than,
        )
        .order_by(HelpPost.created_at)
    )


def services_by(assembly, since, group):
    """Counts of services by category and `group`: "month" (first day of the
    month) or "area" (the area the giving organization recorded)."""
    rows = {}
    query = assembly_services(assembly, since)
    if group == "area":
        query = (
            query.switch(Service)
            .join(
                BeneficiaryRecord,
                JOIN.LEFT_OUTER,
                on=(
                    (BeneficiaryRecord.beneficiary == Service.beneficiary)
                    & (BeneficiaryRecord.organization == Service.organization)
                ),
                attr="record",
            )
            .select_extend(BeneficiaryRecord.area)
        )
    for service in query:
        if group == "month":
            key = service.given_on.replace(day=1)
        else:  # a record without a place comes back as None
            key = service.record.area_id if service.record else None
        counts = rows.setdefault(key, {})
        counts[service.category] = counts.get(service.category, 0) + 1
    return rows


def recent_inquiries(actor, window=datetime.timedelta(hours=1)):
    """How many inquiries `actor` made lately: the registry's rate limit."""
    return (
        AuditEntry.select()
        .where(AuditEntry.actor == actor, AuditEntry.action.in_(LOOK_UPS), AuditEntry.at >= utcnow() - window)
        .count()
    )


# --- Mosbat-e Zendegi centers: programs and sign-ups ---------------------------------


class Program(BaseModel):
    """A program or event of a center or of an organization: a class, a visit
    day, a gathering."""

    STATUSES = ("scheduled", "cancelled")
    TITLE_MAX, PLACE_MAX, ABOUT_MAX = 120, 200, 1000

    center = ForeignKeyField(Center, null=True, backref="programs", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, null=True, backref="programs", on_delete="CASCADE")
    title = CharField(max_length=120)
    activity_type = ForeignKeyField(ActivityType, on_delete="RESTRICT")
    starts_at = DateTimeField(index=True)  # UTC, like every time here
    place = CharField(max_length=200, default="")
    about = TextField(default="")
    capacity = SmallIntegerField(constraints=[Check("capacity BETWEEN 1 AND 5000")])
    status = CharField(max_length=10, default="scheduled", constraints=[Check("status IN ('scheduled', 'cancelled')")])
    cancel_reason = CharField(max_length=300, default="")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("center", "starts_at"), False), (("organization", "starts_at"), False))
        constraints = (Check("(center_id IS NULL) <> (organization_id IS NULL)"),)

    @property
    def host(self):
        """The center or the organization that runs it."""
        return self.center if self.center_id else self.organization

    def taken(self):
        return self.signups.where(ProgramSignup.status == "confirmed").count()


class ProgramSignup(BaseModel):
    """A member's place in a program, or on its waiting list."""

    STATUSES = ("confirmed", "waiting", "cancelled")

    program = ForeignKeyField(Program, backref="signups", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="program_signups", on_delete="CASCADE")
    status = CharField(max_length=10, constraints=[Check("status IN ('confirmed', 'waiting', 'cancelled')")])
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("program", "user"), True), (("program", "status", "created_at"), False))


def programs_of(host):
    """The scheduled programs of a center or an organization, soonest first."""
    field = Program.center if isinstance(host, Center) else Program.organization
    return (
        Program.select(Program, ActivityType)
        .join(ActivityType)
        .where(field == host, Program.status == "scheduled")
        .order_by(Program.starts_at)
    )


def center_neighborhoods(center):
    """The neighborhoods a center serves: those of its district (a center sits
    in one neighborhood and serves the ones around it)."""
    area = center.area.parent if center.area.kind == "neighborhood" and center.area.parent_id else center.area
    return Area.select().where(Area.kind == "neighborhood", Area.path.startswith(area.path)).order_by(Area.name)


def open_needs_around(center):
    return HelpPost.select().where(
        HelpPost.kind == "request",
        HelpPost.status == "open",
        HelpPost.neighborhood.in_(center_neighborhoods(center).select(Area.id)),
    )


def needs_by_activity(center):
    """(activity type, count) of the open needs around a center, most first."""
    count = fn.COUNT(HelpPost.id)
    rows = (
        ActivityType.select(ActivityType, count.alias("count"))
        .join(HelpPost)
        .where(HelpPost.id.in_(open_needs_around(center).select(HelpPost.id)))
        .group_by(ActivityType.id)
        .order_by(count.desc(), ActivityType.position)
    )
    return [(row, row.count) for row in rows]


def _lock_program(program):
    """On PostgreSQL, hold the program's row: sign-ups are counted and written
    one at a time (SQLite's write lock already does this)."""
    if not isinstance(db.obj, SqliteDatabase):
        Program.select(Program.id).where(Program.id == program.id).for_update().execute()
    return Program.get_by_id(program.id)


def sign_up(program, user):
    """A place if one is left, else the waiting list; signing up again keeps
    the first place. Raises StateError when the program no longer takes sign-ups."""
    with write_transaction():
        program = _lock_program(program)
        if program.status != "scheduled" or program.starts_at <= utcnow():
            raise StateError("closed")
        found = ProgramSignup.get_or_none(ProgramSignup.program == program, ProgramSignup.user == user)
        if found is not None and found.status != "cancelled":
            return found
        status = "confirmed" if program.taken() < program.capacity else "waiting"
        if found is None:
            return ProgramSignup.create(program=program, user=user, status=status)
        ProgramSignup.update(status=status, created_at=utcnow(), updated_at=utcnow()).where(
            ProgramSignup.id == found.id
        ).execute()
        return ProgramSignup.get_by_id(found.id)


def leave_program(program, user):
    """Give up a place (or leave the waiting list); the first one waiting gets
    the place and hears of it."""
    with write_transaction():
        program = _lock_program(program)
        found = ProgramSignup.get_or_none(
            ProgramSignup.program == program, ProgramSignup.user == user, ProgramSignup.status != "cancelled"
        )
        if found is None:
            return None
        ProgramSignup.update(status="cancelled", updated_at=utcnow()).where(ProgramSignup.id == found.id).execute()
        if found.status == "confirmed" and program.status == "scheduled" and program.starts_at > utcnow():
            first = (
                ProgramSignup.select()
                .where(ProgramSignup.program == program, ProgramSignup.status == "waiting")
                .order_by(ProgramSignup.created_at, ProgramSignup.id)
                .first()
            )
            if first is not None:
                ProgramSignup.update(status="confirmed", updated_at=utcnow()).where(
                    ProgramSignup.id == first.id
                ).execute()
                notify(first.user_id, "program_place", program=program)
        return found


def cancel_program(program, actor, reason):
    """Cancel a program; everyone signed up or waiting hears of it, with the reason."""
    with write_transaction():
        changed = (
            Program.update(status="cancelled", cancel_reason=reason)
            .where(Program.id == program.id, Program.status == "scheduled")
            .execute()
        )
        if not changed:
            raise StateError("cancelled")
        for signup in ProgramSignup.select().where(
            ProgramSignup.program == program, ProgramSignup.status != "cancelled"
        ):
            notify(signup.user_id, "program_cancelled", actor=actor, program=program)
        record_audit("program.cancelled", actor=actor, subject=f"program:{program.id}")


class Kiosk(BaseModel):
    """A center's touch terminal: the hash of the token in its cookie, never the token."""

    center = ForeignKeyField(Center, backref="kiosks", on_delete="CASCADE")
    name = CharField(max_length=60)
    token_hash = CharField(max_length=64, unique=True)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)


class PrintBatch(BaseModel):
    """A batch of printed cards made in the background: its progress, and the
    file when it is done (instance/prints/batch-<id>.pdf)."""

    STATUSES = ("queued", "running", "done", "failed")

    center = ForeignKeyField(Center, backref="print_batches", on_delete="CASCADE")
    kind = CharField(max_length=20, default="volunteer_cards")
    status = CharField(
        max_length=10, default="queued", constraints=[Check("status IN ('queued', 'running', 'done', 'failed')")]
    )
    total = IntegerField(default=0)
    done_count = IntegerField(default=0)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    # Moved by the worker at every part: a batch that stopped moving was left by a dead worker.
    updated_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


def center_volunteers(center):
    """Volunteers who serve at a center or live in the neighborhoods it serves."""
    return (
        VolunteerProfile.select(VolunteerProfile, User)
        .join(User)
        .where(
            VolunteerProfile.is_active,
            User.is_active,
            (VolunteerProfile.center == center)
            | VolunteerProfile.neighborhood.in_(center_neighborhoods(center).select(Area.id)),
        )
        .order_by(User.name, User.id)
    )


MODELS = (
    Revision,
    Area,
    Center,
    User,
    UserRole,
    LoginThrottle,
    AuditEntry,
    ActivityType,
    HelpPost,
    PostEvent,
    PostReport,
    HelpResponse,
    Notification,
    VolunteerProfile,
    VolunteerActivity,
    TimeAccount,
    TimeTransfer,
    CallbackRequest,
    SmsMessage,
    TrustedHelper,
    FacilitatorProfile,
    FacilitatorAssignment,
    Training,
    Story,
    StoryActivity,
    StoryPost,
    StoryAsset,
    Idea,
    IdeaSupport,
    IdeaEvent,
    Announcement,
    AnnouncementReply,
    Assembly,
    Organization,
    OrganizationArea,
    OrganizationActivity,
    OrganizationMember,
    AssemblyPost,
    Capacity,
    Setting,
    Beneficiary,
    BeneficiaryRecord,
    Service,
    Program,
    ProgramSignup,
    Kiosk,
    PrintBatch,
)
