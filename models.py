"""Hamsayeh's data: the models, their queries and their state changes.

Nothing here knows of Flask: a CLI command, a background task and a test use
these functions exactly as the views do. Writes go through `write_transaction`,
which takes SQLite's write lock at the start so that a check and the write
after it can never interleave with another writer.
"""

import datetime
import hashlib
import hmac
import json
import os
from urllib.parse import urlparse

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from peewee import (
    SQL,
    BigIntegerField,
    BlobField,
    BooleanField,
    Case,
    CharField,
    Check,
    DatabaseProxy,
    DateField,
    DateTimeField,
    DeferredForeignKey,
    FloatField,
    ForeignKeyField,
    IntegerField,
    IntegrityError,
    Model,
    SmallIntegerField,
    SqliteDatabase,
    TextField,
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


def connection():
    """This thread's connection, opened for a block and given back after it."""
    return db.connection_context()


def connect():
    """Open this thread's connection; False when it was open already."""
    return db.connect(reuse_if_open=True)


def disconnect():
    if not db.is_closed():
        db.close()


def ping():
    db.execute_sql("SELECT 1")


def has_table(model):
    return db.table_exists(model._meta.table_name)


def apply_migrations(directory):
    """Apply every pending numbered migration in `directory`; their names."""
    from playhouse.migrations import Runner

    with connection():
        return Runner(db, directory).up()


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


def one_of(column, values):
    """The CHECK that keeps `column` within `values`: each list of allowed
    values is written once, on its model, and the database enforces that list."""
    if all(isinstance(v, int) for v in values) and list(values) == list(range(min(values), max(values) + 1)):
        return Check(f"{column} BETWEEN {min(values)} AND {max(values)}")
    return Check("{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values)))


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


def revision(name):
    """Another revision that triggers raise (migration 0034): "organizations"
    (the organization table) or "centers" (centers, their programs and staff)."""
    sql = f'SELECT "number" FROM "revision" WHERE "name" = {db.param}'  # noqa: S608 (a placeholder, no value)
    row = db.execute_sql(sql, (name,)).fetchone()
    return row[0] if row else None


# --- Places -------------------------------------------------------------------


class Area(BaseModel):
    """A node of province › county › city › district › neighborhood."""

    KINDS = ("province", "county", "city", "district", "neighborhood")

    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    kind = CharField(max_length=16, constraints=[one_of("kind", KINDS)])
    name = CharField(max_length=120)
    name_en = CharField(max_length=120, default="")
    # Materialized path of ids, "/1/14/230/": a subtree is one indexed prefix match.
    path = CharField(max_length=255, index=True, default="")
    search_key = CharField(max_length=255, index=True, default="")
    # A merged area stays (its history, its old address, its name under its
    # parent) but holds nothing: everything that pointed at it points at the
    # survivor, and its path leaves the tree ("/0/<id>/": no subtree's prefix
    # matches it). See areas_admin.merge_areas.
    merged_into = ForeignKeyField("self", null=True, backref="merged_areas", on_delete="RESTRICT")
    merged_at = DateTimeField(null=True)
    # An official code (the census's, or headquarters' own), optional: an
    # import finds the area by it as well as by its path of names.
    code = CharField(max_length=20, null=True, unique=True)

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
        # A name merged into another area is found as that area: adding it again adds nothing.
        return area.survivor()

    def survivor(self):
        """This area, or the live area it was merged into."""
        area = self
        while area.merged_into_id is not None:
            area = Area.get_by_id(area.merged_into_id)
        return area

    @classmethod
    def live(cls):
        """Areas that were not merged into another."""
        return cls.select().where(cls.merged_into.is_null())

    @classmethod
    def roots(cls):
        return cls.live().where(cls.parent.is_null()).order_by(cls.name)

    @classmethod
    def search(cls, key, kinds=None, limit=30):
        """Areas whose folded names contain the folded `key`."""
        if not key:
            return cls.select().where(SQL("1 = 0"))
        found = cls.live().where(cls.search_key.contains(key))
        if kinds:
            found = found.where(cls.kind.in_(kinds))
        return found.order_by(fn.LENGTH(cls.search_key), cls.name).limit(limit)

    def sorted_children(self):
        return Area.live().where(Area.parent == self).order_by(fn.LENGTH(Area.name), Area.name)

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
    """A neighborhood's hub: a Mosbat-e Zendegi center (مرکز مثبت زندگی), or a
    mosque hall, a school or a community house that serves as one. A closed
    center keeps its rows (programs, statements) but leaves members' lists."""

    KINDS = ("mosbat_center", "mosque_hall", "school", "community_house")

    area = ForeignKeyField(Area, backref="centers", on_delete="RESTRICT")
    name = CharField(max_length=160, unique=True)
    name_en = CharField(max_length=160, default="")
    address = CharField(max_length=300, default="")
    phone = CharField(max_length=20, default="")
    hours = CharField(max_length=200, default="")
    kind = CharField(max_length=16, default="mosbat_center", constraints=[one_of("kind", KINDS)])
    # An optional map point (degrees); the domain keeps it inside Iran.
    latitude = FloatField(null=True, constraints=[Check("latitude BETWEEN -90 AND 90")])
    longitude = FloatField(null=True, constraints=[Check("longitude BETWEEN -180 AND 180")])
    closed_at = DateTimeField(null=True)
    closed_reason = CharField(max_length=300, default="")
    # The form that opened the center (a double submit finds it), if one did.
    form_key = CharField(max_length=64, null=True, unique=True)

    @classmethod
    def within(cls, area):
        """The open centers in `area`: a closed one leaves every list members see."""
        return (
            cls.select().join(Area).where(Area.path.startswith(area.path), cls.closed_at.is_null()).order_by(cls.name)
        )

    @property
    def is_open(self):
        return self.closed_at is None


class CenterArea(BaseModel):
    """A neighborhood a center serves beyond its own area (centers.home_center)."""

    center = ForeignKeyField(Center, backref="served", on_delete="CASCADE")
    area = ForeignKeyField(Area, backref="served_by", on_delete="CASCADE")

    class Meta:
        indexes = ((("center", "area"), True),)


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
# How an account came to be: signed up on the web or by SMS, or made for the
# person at a center's desk or by an import (they claim it with an SMS code).
ORIGINS = ("web", "sms", "desk", "import")

# PIN hashes: Argon2id with the library's defaults in production (about
# 60 ms each). Tests set cheap parameters once through `use_pin_hasher`.
pin_hasher = PasswordHasher()


def use_pin_hasher(hasher):
    global pin_hasher
    pin_hasher = hasher


def hash_pin(pin):
    return pin_hasher.hash(pin)


def verify_pin(pin_hash, pin):
    try:
        return pin_hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


class User(BaseModel):
    # None for a neighbor registered at a center's desk without a phone of
    # their own: that desk (`contact_center`) is how they are reached.
    phone = CharField(max_length=11, unique=True, null=True)
    name = CharField(max_length=80)
    pin_hash = CharField(max_length=200)
    neighborhood = ForeignKeyField(Area, null=True, backref="residents", on_delete="SET NULL")
    language = CharField(max_length=5, default="fa")
    text_size = SmallIntegerField(default=0, constraints=[one_of("text_size", TEXT_SIZES)])
    high_contrast = BooleanField(default=False)
    simple_mode = BooleanField(default=False)
    is_active = BooleanField(default=True)
    # Center staff: the center where they work (and whose members they serve).
    work_center = ForeignKeyField(Center, null=True, backref="staff", on_delete="SET NULL")
    # Raised to end every session of this account at once (sign out everywhere,
    # a changed PIN, a disabled account).
    session_epoch = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    origin = CharField(max_length=6, default="web", constraints=[one_of("origin", ORIGINS)])
    # When the person confirmed by an SMS code an account made for them (desk, import).
    claimed_at = DateTimeField(null=True)
    # SMS of the member's own events: None follows the default (notifications.wants_sms),
    # True or False is their choice. Announcements by SMS only when asked for.
    sms_events = BooleanField(null=True)
    sms_announcements = BooleanField(default=False)
    # A neighbor without a phone: the center whose desk is their contact (its
    # staff read their notices to them, and act for them with them there).
    contact_center = ForeignKeyField(Center, null=True, backref="desk_contacts", on_delete="SET NULL")

    @classmethod
    def by_phone(cls, phone):
        # Never the neighbors without a phone: `phone == None` would match them.
        return cls.get_or_none(cls.phone == phone) if phone else None

    def roles(self):
        return {r.role for r in self.role_rows}

    def has_role(self, *roles):
        return bool(self.roles() & set(roles))

    def check_pin(self, pin):
        return verify_pin(self.pin_hash, pin)


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_rows", on_delete="CASCADE")
    role = CharField(max_length=20, constraints=[one_of("role", ROLES)])

    class Meta:
        indexes = ((("user", "role"), True),)


class AreaManager(BaseModel):
    """A province or county put under new management: an administrator who
    runs headquarters' pages for this area's subtree (access.manages_area)."""

    area = ForeignKeyField(Area, backref="managers", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="managed_areas", on_delete="CASCADE")
    assigned_by = ForeignKeyField(User, on_delete="RESTRICT")
    assigned_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("area", "user"), True),)


class AreaChange(BaseModel):
    """One change to the area tree, with who made it, when and why: never
    edited. `other` is the new parent of a move or the survivor of a merge;
    `detail` holds the values before and after (JSON)."""

    ACTIONS = ("add", "rename", "move", "merge", "manager_added", "manager_removed")

    area = ForeignKeyField(Area, backref="changes", on_delete="RESTRICT")
    action = CharField(max_length=16, constraints=[one_of("action", ACTIONS)])
    other = ForeignKeyField(Area, null=True, backref="changes_naming", on_delete="RESTRICT")
    actor = ForeignKeyField(User, on_delete="RESTRICT")
    reason = CharField(max_length=500)
    detail = TextField(default="")
    at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, null=True, unique=True)

    class Meta:
        indexes = ((("area", "at"), False),)


# --- Sign-in throttling (ASVS V6.3.1) -----------------------------------------


class LoginThrottle(BaseModel):
    """Wrong PINs per phone number, per network address, and per number at
    one address (sign-in and the PIN change share them).

    The key is a hash, so the table holds no phone numbers or addresses."""

    key = CharField(max_length=64, primary_key=True)
    failures = IntegerField(default=0)
    first_failure_at = DateTimeField(default=utcnow)
    # Failures are forgotten a while after the last one, not the first: a
    # steady attack never earns a fresh start.
    last_failure_at = DateTimeField(null=True)
    locked_until = DateTimeField(null=True)


class KnownDevice(BaseModel):
    """Where this account signed in with its PIN before: a browser, whose
    long-lived cookie holds a random token, or a network address (an IPv4
    address or an IPv6 /64); this table keeps only a hash of either. A number
    under attack makes everyone wait except its owner there (ASVS V6.3.1).
    A PIN change or reset forgets them all."""

    KINDS = ("device", "address")
    LIFETIME = datetime.timedelta(days=180)
    # Kept per account and kind; one more forgets the least recently used.
    PER_USER = 10

    user = ForeignKeyField(User, backref="known_devices", on_delete="CASCADE")
    kind = CharField(max_length=10, default="device", constraints=[one_of("kind", KINDS)])
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(default=utcnow)


# --- Sessions kept on the server (ASVS V7.4.1) -----------------------------------


class Session(BaseModel):
    """A signed-in session. The cookie holds a random id; this table holds
    only its hash, so that whoever reads the database cannot take a session.
    Deleting the row ends the session for good, whoever kept its cookie."""

    id_hash = CharField(max_length=64, primary_key=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    data = TextField()
    user_agent = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    seen_at = DateTimeField(default=utcnow)
    # The sooner of the idle and the absolute time-out: a row past it is not a session.
    expires_at = DateTimeField(index=True)


# --- Audit log (ASVS V16.3, V16.4.2) --------------------------------------------


class AuditEntry(BaseModel):
    """Append-only: each entry carries the keyed hash (HMAC) of the one before
    it, so an edited or deleted entry breaks the chain that
    `verify_audit_chain` walks, and without the key nobody can rebuild it."""

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

    def digest(self, key):
        payload = json.dumps(
            [self.previous_hash, self.at.isoformat(), self.actor_id, self.action, self.subject, self.detail],
            ensure_ascii=False,
        )
        return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


GENESIS_HASH = "0" * 64


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
    # How a need asked by choices alone (the simple pages) wants to be
    # reached: a call, or a visit; "" for a post written in words.
    REACHES = ("", "phone", "door")
    PAGE_SIZE = 20

    kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
    author = ForeignKeyField(User, backref="posts", on_delete="RESTRICT")
    activity_type = ForeignKeyField(ActivityType, backref="posts", on_delete="RESTRICT")
    text = TextField()
    search_key = TextField(default="")
    urgency = SmallIntegerField(default=0, constraints=[one_of("urgency", URGENCIES)])
    needed_on = DateField(null=True)
    time_window = SmallIntegerField(default=0, constraints=[one_of("time_window", TIME_WINDOWS)])
    # About how long the help takes: what confirming it pays by default.
    estimate_minutes = SmallIntegerField(default=60, constraints=[Check("estimate_minutes BETWEEN 15 AND 480")])
    neighborhood = ForeignKeyField(Area, backref="posts", on_delete="RESTRICT")
    place = CharField(max_length=200, default="")
    status = CharField(max_length=10, default="open", constraints=[one_of("status", STATUSES)])
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # Filed for a neighbor without a phone or an account: who filed it, the
    # neighbor's name, and how to reach them through a center (private).
    filed_by = ForeignKeyField(User, null=True, backref="filed_posts", on_delete="RESTRICT")
    on_behalf_name = CharField(max_length=80, default="")
    on_behalf_contact = CharField(max_length=200, default="")
    # Set with no `text`: the choices are kept, and each reader's page says
    # them in its own language (labels.post_text).
    reach_by = CharField(max_length=5, default="", constraints=[one_of("reach_by", REACHES)])

    class Meta:
        indexes = (
            (("neighborhood", "status", "urgency", "created_at"), False),
            (("neighborhood", "updated_at"), False),
        )

    @classmethod
    def board(
        cls, neighborhoods, activity_type=None, kind=None, urgency=None, search_key="", page=1, urgent_types=None
    ):
        """Open posts of these neighborhoods, urgent first, then newest; one page
        of them and whether another follows. In a crisis (`urgent_types`: the
        crisis's kinds of need) needs for today or of those kinds come before all."""
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
        order = [cls.urgency.desc(), cls.created_at.desc(), cls.id.desc()]
        if urgent_types is not None:
            urgent = (cls.kind == "request") & ((cls.urgency == 2) | cls.activity_type.in_(urgent_types or [0]))
            order.insert(0, Case(None, [(urgent, 0)], 1))
        query = query.order_by(*order)
        rows = list(query.offset((page - 1) * cls.PAGE_SIZE).limit(cls.PAGE_SIZE + 1))
        return rows[: cls.PAGE_SIZE], len(rows) > cls.PAGE_SIZE

    @classmethod
    def board_version(cls, neighborhoods):
        """Changes whenever a post of these neighborhoods is written, by any
        node: the sum of their boards' revision numbers, which triggers raise
        in the writer's transaction (migration 0033). The key of a cached board."""
        # Asked on every board page: written out, like `catalog_revision`.
        marks = ", ".join([db.param] * len(neighborhoods))
        sql = f'SELECT COALESCE(SUM("number"), 0) FROM "revision" WHERE "name" IN ({marks})'  # noqa: S608
        return db.execute_sql(sql, [f"board:{area}" for area in neighborhoods]).fetchone()[0]

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
        constraints=[one_of("status", STATUSES)],
    )
    thank_you = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("post", "responder"), True),)

    @classmethod
    def live_answers(cls, posts):
        """{post id: its answers still standing (not declined or withdrawn), first
        first, each with its responder}: one query for a page of posts."""
        found = {post.id: [] for post in posts}
        if not found:
            return found
        rows = (
            cls.select(cls, User)
            .join(User, on=(cls.responder == User.id))
            .where(cls.post.in_(list(found)), cls.status.not_in(("declined", "withdrawn")))
            .order_by(cls.id)
        )
        for row in rows:
            found[row.post_id].append(row)
        return found


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
        "helper_asked",
        "org_invited",
        # To an idea's supporters, when it moves (network.SUPPORTER_NEWS).
        "idea_forwarded",
        "idea_declined",
        "idea_merged",
        "idea_planned",
        "idea_started",
        "idea_done",
        # The welfare desk: a case given to a social worker, a visit coming, a referral answered or to answer.
        "case_assigned",
        "case_visit",
        "case_referral",
        "referral_answered",
        # An organization's application answered (organizations.approve, organizations.decline).
        "org_approved",
        "org_declined",
        # A volunteer asked whether they can come to a crisis (crisis_callout.call_volunteers), then sent with a team.
        "crisis_call",
        "crisis_team",
        # A fund's proposal closed: to its proposer and voters (funds_votes.close_due).
        "fund_passed",
        "fund_failed",
    )

    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    kind = CharField(max_length=20)
    post = ForeignKeyField(HelpPost, null=True, on_delete="CASCADE")
    idea = DeferredForeignKey("Idea", null=True, on_delete="CASCADE")
    announcement = DeferredForeignKey("Announcement", null=True, on_delete="CASCADE")
    program = DeferredForeignKey("Program", null=True, on_delete="CASCADE")
    welfare_case = DeferredForeignKey("WelfareCase", null=True, on_delete="CASCADE")
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
    reach = CharField(max_length=12, default="neighborhood", constraints=[one_of("reach", REACHES)])
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


WEEK_BITS = (2, 3, 4, 5, 6, 0, 1)  # Python's Monday=0 … Sunday=6 to Saturday-first bits
RELIABILITY_DAYS = 180


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

    kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
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

    @property
    def owner(self):
        """The member, center or area (a pool's) whose account this is: a page
        names a center or an area in its own language (the `local_name` filter)."""
        if self.kind == "member":
            return self.user
        return self.center if self.kind == "center" else self.area


class TimeTransfer(BaseModel):
    """One movement of minutes: never edited or deleted. A mistake is undone by
    a reversing transfer that points to it."""

    KINDS = ("help", "manual", "reversal")

    kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
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


# --- Facilitators (تسهیل‌گران) -------------------------------------------------------


class FacilitatorProfile(BaseModel):
    """A trained facilitator: how neighbors reach them (a public note, not their
    phone), and their assigned neighborhoods and training."""

    CONTACT_MAX = 200

    user = ForeignKeyField(User, unique=True, backref="facilitator_profiles", on_delete="CASCADE")
    contact = CharField(max_length=CONTACT_MAX, default="")

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

    COURSE_MAX, HOURS_MAX = 160, 500

    facilitator = ForeignKeyField(FacilitatorProfile, backref="training", on_delete="CASCADE")
    course = CharField(max_length=COURSE_MAX)
    hours = SmallIntegerField(constraints=[Check(f"hours BETWEEN 1 AND {HOURS_MAX}")])
    completed_on = DateField()
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")


# --- Acting for someone -------------------------------------------------------------


class TrustedHelper(BaseModel):
    """A relative or friend whom a member asks to act for them on this site.

    Asked by phone number; only once the helper accepts may they act. A number
    without an account is kept as asked (helper empty), so the person's page
    looks the same whether or not the number has an account."""

    STATUSES = ("asked", "accepted")

    person = ForeignKeyField(User, backref="trusted_helpers", on_delete="CASCADE")
    helper = ForeignKeyField(User, null=True, backref="helps_people", on_delete="CASCADE")
    phone = CharField(max_length=11, default="")
    status = CharField(max_length=10, default="asked", constraints=[one_of("status", STATUSES)])
    created_at = DateTimeField(default=utcnow)
    answered_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("person", "helper"), True), (("person", "phone"), True))
        constraints = (Check("person_id <> helper_id"),)


class OneTimeCode(BaseModel):
    """A code sent by SMS to confirm that a person holds a number, bound to one
    request (whose random id only the requester's form holds; kept as a hash,
    like the code). A sign-up keeps what it will create once the code is right.
    Purposes: a sign-up, claiming an account made at a desk or by an import,
    a guest asking for help without a PIN, and a guest's pledge to a drive or place at an event."""

    PURPOSES = ("sign_up", "claim", "ask_help", "campaign")
    TRIES = 5
    LIFETIME = datetime.timedelta(minutes=10)

    request_hash = CharField(max_length=64, unique=True)
    purpose = CharField(max_length=10, constraints=[one_of("purpose", PURPOSES)])
    phone = CharField(max_length=11)
    address_key = CharField(max_length=64)
    code_hash = CharField(max_length=200)
    tries = SmallIntegerField(default=0)
    name = CharField(max_length=80, default="")
    pin_hash = CharField(max_length=200, default="")
    neighborhood = ForeignKeyField(Area, null=True, on_delete="SET NULL")
    # The account the code confirmed: a second press of the button finds it.
    user = ForeignKeyField(User, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    # What the request does once the code is right, for purposes that need more
    # than the columns above (JSON); emptied when the code is used.
    payload = TextField(default="")
    # Set when the right code did its work: sent again, it does nothing.
    used_at = DateTimeField(null=True)

    class Meta:
        # created_at alone: the site-wide hourly budget, and purging old rows.
        indexes = ((("phone", "created_at"), False), (("address_key", "created_at"), False), (("created_at",), False))


class ClaimTicket(BaseModel):
    """A one-time code that a center's desk prints for a neighbor whose account
    was made for them (at the desk, or by an import): typed with their number
    at that center's kiosk, it lets them choose their own PIN. Kept as a hash;
    a day and five tries to use it; a new ticket for the person voids the last."""

    TRIES = 5
    LIFETIME = datetime.timedelta(days=1)
    DIGITS = 8

    user = ForeignKeyField(User, backref="claim_tickets", on_delete="CASCADE")
    center = ForeignKeyField(Center, on_delete="CASCADE")
    code_hash = CharField(max_length=200)
    tries = SmallIntegerField(default=0)
    made_by = ForeignKeyField(User, backref="claim_tickets_made", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class DeskRegistration(BaseModel):
    """An account made for a neighbor standing at a center's desk: which
    desk, who made it, and the form that made it (a double submit finds it)."""

    center = ForeignKeyField(Center, backref="desk_registrations", on_delete="RESTRICT")
    user = ForeignKeyField(User, unique=True, backref="desk_registrations", on_delete="CASCADE")
    made_by = ForeignKeyField(User, backref="desk_registrations_made", on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)


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
    source = CharField(max_length=5, default="web", constraints=[one_of("source", SOURCES)])
    status = CharField(max_length=10, default="open", constraints=[one_of("status", STATUSES)])
    form_key = CharField(max_length=64, null=True, unique=True)
    # A hash of the network address a web request came from, never the address:
    # what the limit per address counts.
    address_hash = CharField(max_length=64, null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        constraints = (Check("phone <> '' OR (name <> '' AND center_id IS NOT NULL)"),)
        indexes = (
            (("status", "created_at"), False),
            (("phone", "created_at"), False),
            (("address_hash", "created_at"), False),
        )


class SmsMessage(BaseModel):
    """An SMS that came in from the gateway, or one in the outbox: queued (until
    `send_after`: night hours hold what is not urgent), being sent by a worker
    that claimed it, sent to the provider, then delivered or failed."""

    DIRECTIONS = ("in", "out")
    STATUSES = ("received", "queued", "sending", "sent", "delivered", "failed")

    direction = CharField(max_length=3, constraints=[one_of("direction", DIRECTIONS)])
    phone = CharField(max_length=11)
    body = CharField(max_length=480)
    status = CharField(max_length=10, constraints=[one_of("status", STATUSES)])
    callback = ForeignKeyField(CallbackRequest, null=True, on_delete="SET NULL")
    # The gateway's id of an incoming message: a retried delivery is one message.
    gateway_id = CharField(max_length=64, null=True, unique=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    # The member it was sent to, and the request it is about (a request's life
    # has a budget of messages); the event it tells, once: "post:12:offer:7".
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    post = ForeignKeyField(HelpPost, null=True, on_delete="SET NULL")
    event_key = CharField(max_length=80, null=True, unique=True)
    send_after = DateTimeField(default=utcnow)
    attempts = SmallIntegerField(default=0)
    # When a worker claimed it: a claim much older than a send takes was left by a dead worker.
    claimed_at = DateTimeField(null=True)
    # The provider's id of the sent message, and the time of the last delivery report applied.
    provider_id = CharField(max_length=40, null=True, index=True)
    reported_at = DateTimeField(null=True)
    error = CharField(max_length=200, default="")

    class Meta:
        indexes = (
            (("direction", "phone", "created_at"), False),
            (("direction", "status", "send_after"), False),
            (("post", "user"), False),
        )


# --- The facilitators' network: the neighborhood's record, ideas, announcements --


class Story(BaseModel):
    """A facilitator's short story of a neighborhood for headquarters: a need
    (what is missing, for whom, how many, since when), an asset (a skill, a
    place, a group, a resource), or a failure and its lesson."""

    KINDS = ("need", "asset", "lesson")
    STATUSES = ("current", "resolved", "archived")
    TITLE_MAX, NARRATIVE_MAX = 120, 2000

    neighborhood = ForeignKeyField(Area, backref="stories", on_delete="RESTRICT")
    kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
    title = CharField(max_length=120)
    narrative = TextField()
    for_whom = CharField(max_length=160, default="")
    how_many = IntegerField(null=True, constraints=[Check("how_many IS NULL OR how_many BETWEEN 1 AND 1000000")])
    since = DateField(null=True)
    # A lesson: what to do differently next time.
    next_time = TextField(default="")
    status = CharField(max_length=10, default="current", constraints=[one_of("status", STATUSES)])
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
        constraints=[one_of("status", STATUSES)],
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


class Announcement(BaseModel):
    """Headquarters or a facilitator speaks to an area (no area: everyone), or
    a facilitator raises a neighborhood's problem to headquarters."""

    KINDS = ("announcement", "problem")
    STATUSES = ("open", "answered")
    TITLE_MAX, BODY_MAX = 120, 2000

    kind = CharField(max_length=12, constraints=[one_of("kind", KINDS)])
    area = ForeignKeyField(Area, null=True, backref="announcements", on_delete="RESTRICT")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    title = CharField(max_length=120)
    body = TextField()
    status = CharField(max_length=10, default="open", constraints=[one_of("status", STATUSES)])
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


# --- Headquarters' view: counts of an area, never people ---------------------------


# --- Organizations and the county's shared registry (Samoon) -------------------------


class Assembly(BaseModel):
    """An assembly of charities (مجمع خیریه‌ها) of a county, a city or a
    municipal district: its members share one registry of the people they
    serve, kept apart from every other assembly's. A parent (a city's assembly
    over its districts') sees its children's counts and pseudonymous
    references, never a name or a number (see assemblies.py)."""

    LEVELS = ("county", "city", "district")  # the kind of its area
    NAME_MAX = 160

    area = ForeignKeyField(Area, unique=True, backref="assemblies", on_delete="RESTRICT")
    level = CharField(max_length=10, constraints=[one_of("level", LEVELS)])
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    name = CharField(max_length=160, unique=True)
    # The member who speaks for the assembly: answers organizations' applications of its area.
    coordinator = ForeignKeyField(User, null=True, backref="coordinated_assemblies", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class Organization(BaseModel):
    """An NGO, charity, jihadi or community group, business or government office."""

    # Mosques, heyats and people's groups (issue 16) nominate households for distributions.
    KINDS = ("charity", "ngo", "jihadi", "community", "business", "government", "mosque", "heyat", "people_group")
    # Grassroots groups: a registration number is welcome, never required.
    REGISTRATION_OPTIONAL = ("jihadi", "community", "mosque", "heyat", "people_group")

    name = CharField(max_length=160, unique=True)
    kind = CharField(
        max_length=12,
        constraints=[one_of("kind", KINDS)],
    )
    county = ForeignKeyField(Area, backref="organizations", on_delete="RESTRICT")
    about = TextField(default="")
    contact = CharField(max_length=300, default="")
    volunteers_wanted = TextField(default="")
    # As registered (optional for a grassroots group): its number and the body that issued it.
    registration_number = CharField(max_length=30, default="")
    registration_body = CharField(max_length=120, default="")
    created_at = DateTimeField(default=utcnow)


class AssemblyMember(BaseModel):
    """An organization's membership of an assembly: it may belong to several
    (its county's and a district's), and records in each registry apart."""

    assembly = ForeignKeyField(Assembly, backref="memberships", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="assembly_memberships", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("assembly", "organization"), True),)


class OrganizationApplication(BaseModel):
    """A group's request to open its own portal page. Headquarters, or the
    coordinator of the assembly of its district or county, approves it (the
    page opens with the applicant as its manager) or declines it with a
    reason; the applicant hears the answer in their inbox."""

    STATUSES = ("pending", "approved", "declined")
    NAME_MAX, NUMBER_MAX, BODY_MAX, CONTACT_MAX, ABOUT_MAX, REASON_MAX = 160, 30, 120, 80, 1000, 300

    applicant = ForeignKeyField(User, backref="organization_applications", on_delete="CASCADE")
    name = CharField(max_length=160)
    kind = CharField(max_length=12, constraints=[one_of("kind", Organization.KINDS)])
    registration_number = CharField(max_length=30, default="")
    registration_body = CharField(max_length=120, default="")
    # Where it works: a county, or a city, district or neighborhood of one.
    area = ForeignKeyField(Area, on_delete="RESTRICT")
    contact_name = CharField(max_length=80)
    contact_phone = CharField(max_length=20)
    about = TextField(default="")
    status = CharField(max_length=10, default="pending", constraints=[one_of("status", STATUSES)])
    reason = CharField(max_length=300, default="")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    organization = ForeignKeyField(Organization, null=True, backref="applications", on_delete="SET NULL")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "created_at"), False),)


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
    """A member's role in an organization. Inactive, it waits: a volunteer's
    request to join, until a manager accepts it; or, `invited`, a manager's
    invitation, until the member accepts it (a role the member never agreed
    to opens nothing, and binds them to nothing)."""

    ROLES = ("manager", "staff", "volunteer")
    STAFF = ("manager", "staff")

    organization = ForeignKeyField(Organization, backref="memberships", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    role = CharField(max_length=10, constraints=[one_of("role", ROLES)])
    is_active = BooleanField(default=True)
    invited = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "user"), True), (("user", "is_active"), False))


class AssemblyPost(BaseModel):
    """A member organization's short post to its assembly: an experience or a lesson."""

    KINDS = ("experience", "lesson")
    TITLE_MAX, BODY_MAX = 120, 2000

    assembly = ForeignKeyField(Assembly, backref="posts", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
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
        constraints=[one_of("category", CATEGORIES)],
    )
    quantity = IntegerField(constraints=[Check("quantity BETWEEN 1 AND 1000000")])
    period = CharField(max_length=5, constraints=[one_of("period", PERIODS)])
    # Where it is offered: a place of the county, or the county itself.
    area = ForeignKeyField(Area, on_delete="CASCADE")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("organization", "category", "area"), True),)


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
    id_kind = CharField(max_length=10, constraints=[one_of("id_kind", ID_KINDS)])
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
        constraints=[one_of("category", CATEGORIES)],
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


def identifier_hash(key, id_kind, number):
    """The keyed hash that matches a person across organizations."""
    return hmac.new(key.encode(), f"{id_kind}:{number}".encode(), hashlib.sha256).hexdigest()


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
    status = CharField(max_length=10, default="scheduled", constraints=[one_of("status", STATUSES)])
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
    status = CharField(max_length=10, constraints=[one_of("status", STATUSES)])
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # When the member marked at the center's kiosk that they came (the first press counts).
    checked_in_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("program", "user"), True), (("program", "status", "created_at"), False))


class Kiosk(BaseModel):
    """A center's touch terminal: the hash of the token in its cookie, never the token."""

    NAME_MAX = 60

    center = ForeignKeyField(Center, backref="kiosks", on_delete="CASCADE")
    name = CharField(max_length=NAME_MAX)
    token_hash = CharField(max_length=64, unique=True)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)


class PrintBatch(BaseModel):
    """A batch of printed cards made in the background: its progress, and the
    file when it is done (`prints/batch-<id>.pdf` in the file store every node sees)."""

    STATUSES = ("queued", "running", "done", "failed")

    center = ForeignKeyField(Center, backref="print_batches", on_delete="CASCADE")
    kind = CharField(max_length=20, default="volunteer_cards")
    status = CharField(max_length=10, default="queued", constraints=[one_of("status", STATUSES)])
    total = IntegerField(default=0)
    done_count = IntegerField(default=0)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    # Moved by the worker at every part: a batch that stopped moving was left by a dead worker.
    updated_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


class Certificate(BaseModel):
    """A volunteer's certificate of hours served, as it was printed: its QR
    code opens a public page that shows these figures again. The code's token
    is an HMAC under the site's key of this row's `salt`; the table keeps only
    the token's SHA-256, so neither the table alone nor the key alone gives a
    certificate's address. Nothing here, or on that page, names a phone."""

    holder = ForeignKeyField(User, backref="certificates", on_delete="CASCADE")
    holder_name = CharField(max_length=80)  # as printed, even if the name changes later
    center = ForeignKeyField(Center, null=True, on_delete="SET NULL")
    center_name = CharField(max_length=160, default="")  # as printed
    center_name_en = CharField(max_length=160, default="")
    period_start = DateField()  # days in Tehran, both included
    period_end = DateField()
    help_minutes = IntegerField(constraints=[Check("help_minutes >= 0")])  # helping neighbors
    helps = IntegerField(constraints=[Check("helps >= 0")])
    program_minutes = IntegerField(constraints=[Check("program_minutes >= 0")])  # thanked by centers
    programs = IntegerField(constraints=[Check("programs >= 0")])  # programs taken part in
    salt = CharField(max_length=32)
    token_hash = CharField(max_length=64, unique=True)
    issued_by = ForeignKeyField(User, on_delete="RESTRICT")
    issued_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("holder", "issued_at"), False),)
        constraints = (Check("period_start <= period_end"),)

    @property
    def minutes(self):
        return self.help_minutes + self.program_minutes


# --- The municipal welfare desk (مددکاری): requests, assessments, services -------------


class WelfareOffice(BaseModel):
    """A district municipality's welfare office (اداره رفاه): it registers the
    requests of its district and its social workers assess them. In the shared
    registry it is an organization (kind "government") of the district's
    assembly, so that what it gives counts with what the charities give."""

    district = ForeignKeyField(Area, unique=True, backref="welfare_offices", on_delete="RESTRICT")
    organization = ForeignKeyField(Organization, unique=True, on_delete="RESTRICT")
    address = CharField(max_length=300, default="")
    phone = CharField(max_length=20, default="")
    created_at = DateTimeField(default=utcnow)


class WelfareStaff(BaseModel):
    """Who works at an office: a social worker, the district's supervisor, or
    desk staff who register requests. Social workers and supervisors also hold
    the site's social_worker role (staff sessions); removing either ends the access."""

    ROLES = ("social_worker", "supervisor", "desk")

    office = ForeignKeyField(WelfareOffice, backref="staff", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="welfare_posts", on_delete="CASCADE")
    role = CharField(max_length=14, constraints=[one_of("role", ROLES)])
    # The right to export a served list by national code (to an agency the law names).
    exports_codes = BooleanField(default=False)
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("office", "user"), True), (("user", "is_active"), False))


class WelfareCase(BaseModel):
    """A needy person's request and what follows: registered › assessed ›
    served › closed (with a reason), and reopened. The national code is kept
    as the registry keeps it (a keyed hash and the last digits), so the desk
    and the charities' registry recognize the same person. `version` rises
    with every save: a save that names an older one changes nothing."""

    STATUSES = ("registered", "assessed", "served", "closed", "reopened")
    OPEN = ("registered", "assessed", "served", "reopened")
    SOURCES = ("office", "center", "phone", "board", "self")
    ID_KINDS = ("national", "foreign", "none")
    CLOSE_REASONS = ("served", "not_eligible", "referred_elsewhere", "no_contact", "moved", "duplicate", "other")
    NAME_MAX, ADDRESS_MAX, CONTACT_MAX, ASKED_MAX, NOTE_MAX = 80, 300, 200, 2000, 500

    office = ForeignKeyField(WelfareOffice, backref="cases", on_delete="RESTRICT")
    # Where the household lives: a neighborhood of the office's district (or the district itself).
    area = ForeignKeyField(Area, backref="welfare_cases", on_delete="RESTRICT")
    applicant = ForeignKeyField(User, null=True, backref="welfare_requests", on_delete="SET NULL")
    name = CharField(max_length=80)
    requester = CharField(max_length=80, default="")  # who asked, when not the person
    phone = CharField(max_length=11, default="")  # a person without a phone is served too
    contact = CharField(max_length=200, default="")
    address = CharField(max_length=300, default="")
    id_kind = CharField(max_length=8, default="none", constraints=[one_of("id_kind", ID_KINDS)])
    identifier_hash = CharField(max_length=64, null=True, index=True)
    last_digits = CharField(max_length=4, default="")
    household_size = SmallIntegerField(default=1, constraints=[Check("household_size BETWEEN 1 AND 30")])
    asked = TextField()
    source = CharField(max_length=8, constraints=[one_of("source", SOURCES)])
    consent_to_share = BooleanField(default=False)
    status = CharField(max_length=10, default="registered", constraints=[one_of("status", STATUSES)])
    social_worker = ForeignKeyField(User, null=True, backref="caseload", on_delete="SET NULL")
    co_worker = ForeignKeyField(User, null=True, on_delete="SET NULL")
    registered_by = ForeignKeyField(User, on_delete="RESTRICT")
    # Flagged at intake: an open request of the same person already existed.
    duplicate_of = ForeignKeyField("self", null=True, on_delete="SET NULL")
    # Carried into intake from a need on the board or a call-back request: one
    # case each, so registering it again finds this one. No backref: the post's
    # author and the caller never reach the case through them.
    board_post = ForeignKeyField(HelpPost, null=True, unique=True, backref="+", on_delete="SET NULL")
    callback = ForeignKeyField(CallbackRequest, null=True, unique=True, backref="+", on_delete="SET NULL")
    close_reason = CharField(max_length=20, default="")
    version = IntegerField(default=1)
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    assessed_at = DateTimeField(null=True)  # the first assessment: time to assessment
    closed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("office", "status", "created_at"), False), (("social_worker", "status"), False))


class CaseAssessment(BaseModel):
    """A social worker's assessment (مددکاری) of a case, the latest one. The
    priority group is the product's most sensitive field: only the case's
    social workers and the district's supervisor ever see it."""

    HOUSING = ("owned", "rented", "relatives", "informal", "homeless", "shelter")
    COVERAGE = ("relief", "welfare", "other", "none")
    # The five priority groups of seed 004, served together with their families.
    PRIORITY_GROUPS = ("", "addiction", "street_children", "waste_pickers", "trans", "women_at_risk")
    DECISIONS = ("eligible", "not_eligible", "referred_elsewhere")
    MEMBERS_MAX, NOTE_MAX, REASON_MAX = 2000, 2000, 500

    case = ForeignKeyField(WelfareCase, unique=True, backref="assessments", on_delete="CASCADE")
    household_members = TextField(default="")
    monthly_income = BigIntegerField(null=True, constraints=[Check("monthly_income >= 0")])
    housing = CharField(max_length=10, constraints=[one_of("housing", HOUSING)])
    disability = BooleanField(default=False)
    chronic_illness = BooleanField(default=False)
    health_note = TextField(default="")
    coverage = CharField(max_length=8, constraints=[one_of("coverage", COVERAGE)])
    priority_group = CharField(max_length=16, default="", constraints=[one_of("priority_group", PRIORITY_GROUPS)])
    needs = CharField(max_length=200, default="")  # CaseService.CATEGORIES, comma separated
    note = TextField(default="")
    decision = CharField(max_length=18, constraints=[one_of("decision", DECISIONS)])
    decision_reason = CharField(max_length=500, default="")
    assessed_by = ForeignKeyField(User, on_delete="RESTRICT")
    assessed_at = DateTimeField(default=utcnow)


class Pledge(BaseModel):
    """What a partner (a charity, a business under its social responsibility,
    a volunteer group) pledges to a district's office: shelter places, food
    packages or services, which the desk allocates to cases."""

    KINDS = ("shelter", "food", "service")
    QUANTITY_MAX, ABOUT_MAX = 10000, 300

    office = ForeignKeyField(WelfareOffice, backref="pledges", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="pledges", on_delete="CASCADE")
    kind = CharField(max_length=8, constraints=[one_of("kind", KINDS)])
    quantity = IntegerField(constraints=[Check("quantity BETWEEN 1 AND 10000")])
    about = CharField(max_length=300, default="")
    is_active = BooleanField(default=True)
    pledged_by = ForeignKeyField(User, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)


class CaseService(BaseModel):
    """A service of a case's plan: given by the municipality, or referred to
    a partner organization that accepts or declines it in its portal and
    records the delivery. A shelter place waits in line when none is free."""

    CATEGORIES = ("food", "health", "legal", "shelter", "marriage", "disability", "prisoners_family", "other")
    STATUSES = ("waiting", "planned", "referred", "accepted", "declined", "delivered", "cancelled")
    # Taking a pledged place or package (a waiting one takes none yet).
    HOLDING = ("planned", "referred", "accepted", "delivered")
    ABOUT_MAX, NOTE_MAX = 300, 300

    case = ForeignKeyField(WelfareCase, backref="services", on_delete="CASCADE")
    category = CharField(max_length=16, constraints=[one_of("category", CATEGORIES)])
    about = CharField(max_length=300, default="")
    partner = ForeignKeyField(Organization, null=True, backref="referrals", on_delete="RESTRICT")
    pledge = ForeignKeyField(Pledge, null=True, backref="allocations", on_delete="SET NULL")
    status = CharField(max_length=10, constraints=[one_of("status", STATUSES)])
    decline_reason = CharField(max_length=300, default="")
    delivered_on = DateField(null=True)
    amount = BigIntegerField(default=0, constraints=[Check("amount >= 0")])
    delivery_note = CharField(max_length=300, default="")
    ended_on = DateField(null=True)  # a shelter stay that ended frees its place
    registry_service = ForeignKeyField(Service, null=True, on_delete="SET NULL")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    answered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    answered_at = DateTimeField(null=True)
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("partner", "status"), False), (("pledge", "status"), False))


class CaseAppointment(BaseModel):
    """A home visit, a meeting at the office or a call, at a time; a reminder
    reaches the inbox the day before (and the person's, when they have an account)."""

    KINDS = ("home_visit", "office_visit", "phone_call")
    STATUSES = ("planned", "done", "missed", "cancelled")
    PLACE_MAX, NOTE_MAX = 200, 500

    case = ForeignKeyField(WelfareCase, backref="appointments", on_delete="CASCADE")
    kind = CharField(max_length=12, constraints=[one_of("kind", KINDS)])
    starts_at = DateTimeField()
    place = CharField(max_length=200, default="")
    status = CharField(max_length=9, default="planned", constraints=[one_of("status", STATUSES)])
    note = CharField(max_length=500, default="")
    with_user = ForeignKeyField(User, on_delete="RESTRICT")  # the social worker who goes
    reminded_at = DateTimeField(null=True)
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "starts_at"), False),)


class CaseEvent(BaseModel):
    """Every step of a case, with who, when and why: never changed."""

    case = ForeignKeyField(WelfareCase, backref="events", on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = CharField(max_length=20)
    status = CharField(max_length=10, default="")  # the case's status after the step
    note = CharField(max_length=500, default="")
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "at"), False),)


class AgencyCoverage(BaseModel):
    """A person on an agency's coverage list (the Relief Committee, the
    Welfare Organization), as a district office imported it: only the keyed
    hash of the national code, never the code, and never the file."""

    AGENCIES = ("relief", "welfare", "other")

    office = ForeignKeyField(WelfareOffice, backref="coverage", on_delete="CASCADE")
    agency = CharField(max_length=8, constraints=[one_of("agency", AGENCIES)])
    identifier_hash = CharField(max_length=64)
    listed_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("office", "agency", "identifier_hash"), True), (("identifier_hash",), False))


# --- Running on several nodes ---------------------------------------------------------


class StoredFile(BaseModel):
    """A file the site made (a batch of cards, a kept flyer, Listen's audio),
    kept where every node sees it when no shared folder is configured
    (HAMSAYEH_FILES_DIR): never one server's own disk."""

    NAME_MAX = 200

    name = CharField(max_length=NAME_MAX, primary_key=True)
    data = BlobField()
    size = IntegerField()
    digest = CharField(max_length=64)  # SHA-256 of data: the download's ETag
    created_at = DateTimeField(default=utcnow)


class RateHit(BaseModel):
    """One expensive response let through (a PDF, an import), counted by every
    node when no Redis is configured: the limit holds however many serve."""

    bucket = CharField(max_length=120)  # the limit's name and who asked
    at = DateTimeField(index=True)

    class Meta:
        indexes = ((("bucket", "at"), False),)


# --- Campaigns (issue 16): occasions, campaigns and the areas they cover ----------------


class Occasion(BaseModel):
    """A dated occasion of a Jalali year (Ramadan, Nime-Shaban, Muharram,
    Yalda, school start...): lunar ones move, so there is one row per year."""

    key = CharField(max_length=24)
    name = CharField(max_length=80)
    name_en = CharField(max_length=80, default="")
    starts_on = DateField()
    ends_on = DateField()

    class Meta:
        indexes = ((("key", "starts_on"), True),)
        constraints = (Check("ends_on >= starts_on"),)


class Campaign(BaseModel):
    """A campaign (پویش) with a public goal: a distribution (vouchers, food
    packages), an event (iftar tables) or a drive (pledges toward named needs).
    Exactly one organizer: a district welfare office, an assembly or an organization."""

    KINDS = ("distribution", "event", "drive")
    GOAL_UNITS = ("households", "items", "rials")
    STATUSES = ("draft", "open", "closed")
    TITLE_MAX = 160

    title = CharField(max_length=160)
    purpose = TextField(default="")
    kind = CharField(max_length=12, constraints=[one_of("kind", KINDS)])
    office = ForeignKeyField(WelfareOffice, null=True, backref="campaigns", on_delete="RESTRICT")
    assembly = ForeignKeyField(Assembly, null=True, backref="campaigns", on_delete="RESTRICT")
    organization = ForeignKeyField(Organization, null=True, backref="campaigns", on_delete="RESTRICT")
    occasion = ForeignKeyField(Occasion, null=True, backref="campaigns", on_delete="SET NULL")
    starts_on = DateField()
    ends_on = DateField()
    goal_unit = CharField(max_length=10, constraints=[one_of("goal_unit", GOAL_UNITS)])
    goal = BigIntegerField(constraints=[Check("goal > 0")])
    status = CharField(max_length=8, default="open", constraints=[one_of("status", STATUSES)])
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("starts_on", "ends_on"), False),)
        constraints = (
            Check("ends_on >= starts_on"),
            Check(
                "(CASE WHEN office_id IS NULL THEN 0 ELSE 1 END"
                " + CASE WHEN assembly_id IS NULL THEN 0 ELSE 1 END"
                " + CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END) = 1"
            ),
        )

    @property
    def organizer(self):
        """The office, the assembly or the organization that runs it."""
        if self.office_id:
            return self.office
        return self.assembly if self.assembly_id else self.organization


class CampaignArea(BaseModel):
    """An area a campaign covers."""

    campaign = ForeignKeyField(Campaign, backref="areas", on_delete="CASCADE")
    area = ForeignKeyField(Area, on_delete="RESTRICT")

    class Meta:
        indexes = ((("campaign", "area"), True),)


class DistributionRound(BaseModel):
    """A round of a distribution campaign: organizations nominate households,
    the organizer verifies them, then freezes the eligible list (each eligible
    household gets an entitlement with a code) and the points hand out."""

    STATUSES = ("nominating", "frozen", "closed")
    TITLE_MAX, ITEM_MAX = 120, 160

    campaign = ForeignKeyField(Campaign, backref="rounds", on_delete="CASCADE")
    number = SmallIntegerField(constraints=[Check("number >= 1")])
    title = CharField(max_length=120)
    item = CharField(max_length=160)  # what a household receives
    category = CharField(max_length=10, default="food", constraints=[one_of("category", Service.CATEGORIES)])
    value = BigIntegerField(default=0, constraints=[Check("value >= 0")])  # rials a household, 0 if unknown
    status = CharField(max_length=10, default="nominating", constraints=[one_of("status", STATUSES)])
    frozen_at = DateTimeField(null=True)
    frozen_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("campaign", "number"), True),)


class DistributionPoint(BaseModel):
    """Where households collect: a mosque, a center. Its volunteers mark pickups there only."""

    NAME_MAX, ADDRESS_MAX = 160, 300

    campaign = ForeignKeyField(Campaign, backref="points", on_delete="CASCADE")
    name = CharField(max_length=160)
    organization = ForeignKeyField(Organization, null=True, backref="distribution_points", on_delete="RESTRICT")
    center = ForeignKeyField(Center, null=True, backref="distribution_points", on_delete="RESTRICT")
    area = ForeignKeyField(Area, on_delete="RESTRICT")
    address = CharField(max_length=300, default="")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("campaign", "name"), True),)


class PointVolunteer(BaseModel):
    """A volunteer who marks pickups at one point."""

    point = ForeignKeyField(DistributionPoint, backref="volunteers", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="distribution_posts", on_delete="CASCADE")
    added_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("point", "user"), True),)


class Nomination(BaseModel):
    """A household an organization nominates for a round, as the registry
    knows its head (the keyed hash and last digits of the national code,
    never the code), until the organizer verifies or rejects it. `flags`
    says what verifying found: "double" (nominated twice in the round),
    "served" (already served by this campaign), "registry" (given a like
    service in the assembly lately)."""

    STATUSES = ("pending", "verified", "rejected")
    FLAGS = ("double", "served", "registry")
    REASON_MAX = 300

    round = ForeignKeyField(DistributionRound, backref="nominations", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="nominations", on_delete="RESTRICT")
    record = ForeignKeyField(BeneficiaryRecord, on_delete="RESTRICT")
    id_kind = CharField(max_length=10, constraints=[one_of("id_kind", Beneficiary.ID_KINDS)])
    identifier_hash = CharField(max_length=64)
    last_digits = CharField(max_length=4)
    name = CharField(max_length=80)
    household_size = SmallIntegerField(default=1, constraints=[Check("household_size BETWEEN 1 AND 30")])
    area = ForeignKeyField(Area, on_delete="RESTRICT")
    phone = CharField(max_length=11, default="")
    point = ForeignKeyField(DistributionPoint, null=True, on_delete="SET NULL")  # where it is expected
    status = CharField(max_length=10, default="pending", constraints=[one_of("status", STATUSES)])
    flags = CharField(max_length=60, default="")
    reason = CharField(max_length=300, default="")
    nominated_by = ForeignKeyField(User, on_delete="RESTRICT")
    verified_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    verified_at = DateTimeField(null=True)
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("round", "identifier_hash"), False), (("round", "status"), False))


class Entitlement(BaseModel):
    """An eligible household's right to one pickup in a frozen round. Its
    code is an HMAC under the site's key of `salt`: the table keeps only the
    code's SHA-256, so neither the table alone nor the key alone gives a code.
    `number` is the household's reference on the round's paper sheets."""

    round = ForeignKeyField(DistributionRound, backref="entitlements", on_delete="CASCADE")
    nomination = ForeignKeyField(Nomination, unique=True, backref="entitlement_rows", on_delete="CASCADE")
    identifier_hash = CharField(max_length=64)
    number = IntegerField(constraints=[Check("number >= 1")])
    salt = CharField(max_length=32)
    code_hash = CharField(max_length=64, unique=True)
    point = ForeignKeyField(DistributionPoint, null=True, on_delete="SET NULL")
    sms_sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("round", "identifier_hash"), True), (("round", "number"), True))


class Pickup(BaseModel):
    """The one pickup of an entitlement (unique): the first point to mark it wins."""

    SOURCES = ("code", "sheet")

    entitlement = ForeignKeyField(Entitlement, unique=True, backref="pickups", on_delete="CASCADE")
    round = ForeignKeyField(DistributionRound, backref="pickups", on_delete="CASCADE")
    point = ForeignKeyField(DistributionPoint, backref="pickups", on_delete="RESTRICT")
    marked_by = ForeignKeyField(User, on_delete="RESTRICT")
    at = DateTimeField()  # when it was collected (a paper sheet's time, entered later)
    source = CharField(max_length=6, constraints=[one_of("source", SOURCES)])
    service = ForeignKeyField(Service, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("round", "point"), False), (("round", "at"), False))


class PickupRefusal(BaseModel):
    """A second pickup refused (a double): kept for the report, never lost."""

    entitlement = ForeignKeyField(Entitlement, backref="refusals", on_delete="CASCADE")
    round = ForeignKeyField(DistributionRound, backref="refusals", on_delete="CASCADE")
    point = ForeignKeyField(DistributionPoint, on_delete="RESTRICT")
    marked_by = ForeignKeyField(User, on_delete="RESTRICT")
    at = DateTimeField()
    source = CharField(max_length=6, constraints=[one_of("source", Pickup.SOURCES)])
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("round", "created_at"), False),)


class VoucherBatch(BaseModel):
    """A round's voucher cards, made by the worker in files of at most
    `distributions.CARDS_PER_FILE` cards (`vouchers/batch-<id>-<part>.pdf`)."""

    round = ForeignKeyField(DistributionRound, backref="voucher_batches", on_delete="CASCADE")
    status = CharField(max_length=10, default="queued", constraints=[one_of("status", PrintBatch.STATUSES)])
    total = IntegerField(default=0)
    done_count = IntegerField(default=0)
    parts = SmallIntegerField(default=0)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


# --- Local development funds (صندوق توسعه محلی): ledger, proposals, votes, expenses ---------

# The most a single entry, proposal or expense may hold: a trillion rials
# (a hundred billion tomans) is far past any neighborhood's fund, and keeps an
# absurd amount typed by mistake out of the ledger.
FUND_AMOUNT_MAX = 10**12


class Fund(BaseModel):
    """A neighborhood's (or a few neighborhoods') development fund. `balance`
    moves only with a FundEntry, in the same transaction; the database refuses
    a balance below zero."""

    NAME_MAX = 120

    name = CharField(max_length=NAME_MAX)
    area = ForeignKeyField(Area, backref="funds", on_delete="RESTRICT")  # the first of its neighborhoods
    voting_days = SmallIntegerField(default=7, constraints=[Check("voting_days BETWEEN 1 AND 60")])
    quorum = IntegerField(default=3, constraints=[Check("quorum >= 1")])  # votes needed for a result to count
    approvals_needed = SmallIntegerField(default=2, constraints=[Check("approvals_needed BETWEEN 2 AND 4")])
    balance = BigIntegerField(default=0, constraints=[Check("balance >= 0")])  # rials
    opened_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)


class FundArea(BaseModel):
    """A neighborhood whose residents vote in the fund."""

    fund = ForeignKeyField(Fund, backref="areas", on_delete="CASCADE")
    area = ForeignKeyField(Area, backref="fund_links", on_delete="RESTRICT")

    class Meta:
        indexes = ((("fund", "area"), True),)


class FundTrustee(BaseModel):
    """A trustee (امین) of a fund: one of three to five of its residents."""

    fund = ForeignKeyField(Fund, backref="trustees", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="fund_trusteeships", on_delete="RESTRICT")
    named_by = ForeignKeyField(User, on_delete="RESTRICT")
    named_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("fund", "user"), True),)


class FundProposal(BaseModel):
    """A spending neighbors vote on: what, why, how much, who will do it."""

    STATUSES = ("voting", "passed", "failed")
    TITLE_MAX, TEXT_MAX, DOER_MAX = 120, 1500, 120

    fund = ForeignKeyField(Fund, backref="proposals", on_delete="RESTRICT")
    proposer = ForeignKeyField(User, on_delete="RESTRICT")
    # A facilitator proposing for a neighborhood idea (طرح جام).
    idea = ForeignKeyField(Idea, null=True, on_delete="SET NULL")
    title = CharField(max_length=TITLE_MAX)
    reason = TextField()
    amount = BigIntegerField(constraints=[Check("amount > 0")])
    doer = CharField(max_length=DOER_MAX)
    status = CharField(max_length=8, default="voting", constraints=[one_of("status", STATUSES)])
    voting_ends_at = DateTimeField()
    yes_votes = IntegerField(default=0)  # counted when voting closes
    no_votes = IntegerField(default=0)
    closed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("fund", "created_at"), False),)


class FundVote(BaseModel):
    """One member's vote on a proposal, whatever the path: the web, a kiosk, or
    a paper ballot that one trustee enters and a second confirms (it counts
    only once confirmed). Changed, never doubled, until voting closes."""

    CHOICES = ("yes", "no")
    CHANNELS = ("web", "kiosk", "paper")

    proposal = ForeignKeyField(FundProposal, backref="votes", on_delete="RESTRICT")
    voter = ForeignKeyField(User, on_delete="RESTRICT")
    choice = CharField(max_length=3, constraints=[one_of("choice", CHOICES)])
    channel = CharField(max_length=5, default="web", constraints=[one_of("channel", CHANNELS)])
    entered_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    confirmed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("proposal", "voter"), True),)
        constraints = (
            Check("channel <> 'paper' OR (entered_by_id IS NOT NULL AND entered_by_id <> voter_id)"),
            Check("confirmed_by_id IS NULL OR (channel = 'paper' AND confirmed_by_id <> entered_by_id)"),
        )


class FundComment(BaseModel):
    """A neighbor's word on a proposal, before they vote: the discussion."""

    TEXT_MAX = 1000

    proposal = ForeignKeyField(FundProposal, backref="comments", on_delete="RESTRICT")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    text = TextField()
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("proposal", "created_at"), False),)


class FundExpense(BaseModel):
    """Money spent against a passed proposal, with its receipt; paid once the
    fund's rules' approvals are in, by trustees other than the submitter."""

    STATUSES = ("pending", "paid")
    PAYEE_MAX, TEXT_MAX = 120, 500
    RECEIPT_TYPES = ("image/png", "image/jpeg", "application/pdf")

    fund = ForeignKeyField(Fund, backref="expenses", on_delete="RESTRICT")
    proposal = ForeignKeyField(FundProposal, backref="expenses", on_delete="RESTRICT")
    amount = BigIntegerField(constraints=[Check("amount > 0")])
    payee = CharField(max_length=PAYEE_MAX)
    description = CharField(max_length=TEXT_MAX)
    receipt_name = CharField(max_length=StoredFile.NAME_MAX)
    receipt_type = CharField(max_length=20, constraints=[one_of("receipt_type", RECEIPT_TYPES)])
    status = CharField(max_length=8, default="pending", constraints=[one_of("status", STATUSES)])
    submitted_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    paid_at = DateTimeField(null=True)
    form_key = CharField(max_length=64, unique=True)


class FundApproval(BaseModel):
    """A trustee's approval of an expense: once per trustee."""

    expense = ForeignKeyField(FundExpense, backref="approvals", on_delete="RESTRICT")
    trustee = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("expense", "trustee"), True),)


class FundPayment(BaseModel):
    """An online contribution on its way through a payment gateway: it becomes
    a ledger entry once, when the gateway's callback is verified."""

    STATUSES = ("started", "paid", "failed")

    fund = ForeignKeyField(Fund, backref="payments", on_delete="RESTRICT")
    reference = CharField(max_length=40, unique=True)  # ours, random, sent to the gateway
    amount = BigIntegerField(constraints=[Check("amount > 0")])
    contributor = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    anonymous = BooleanField(default=False)
    gateway_token = CharField(max_length=80, null=True, unique=True)
    status = CharField(max_length=8, default="started", constraints=[one_of("status", STATUSES)])
    created_at = DateTimeField(default=utcnow)


class FundEntry(BaseModel):
    """One line of a fund's double-entry ledger, in rials: from one account to
    another. Never edited (a database trigger refuses it) or deleted; a
    correction is a new entry the other way that points to what it corrects."""

    KINDS = ("contribution", "expense", "transfer_in", "refund", "correction")
    # The accounts money moves between: the fund itself and the world around it.
    ACCOUNTS = ("fund", "contributors", "payees", "other_funds")
    METHODS = ("cash", "bank", "gateway")
    REASON_MAX = 300

    fund = ForeignKeyField(Fund, backref="entries", on_delete="RESTRICT")
    kind = CharField(max_length=12, constraints=[one_of("kind", KINDS)])
    source = CharField(max_length=12, constraints=[one_of("source", ACCOUNTS)])
    target = CharField(max_length=12, constraints=[one_of("target", ACCOUNTS)])
    amount = BigIntegerField(constraints=[Check(f"amount > 0 AND amount <= {FUND_AMOUNT_MAX}")])
    reason = CharField(max_length=REASON_MAX, default="")
    proposal = ForeignKeyField(FundProposal, null=True, on_delete="RESTRICT")
    expense = ForeignKeyField(FundExpense, null=True, unique=True, on_delete="RESTRICT")
    payment = ForeignKeyField(FundPayment, null=True, unique=True, on_delete="RESTRICT")
    corrects = ForeignKeyField("self", null=True, unique=True, backref="corrected_by", on_delete="RESTRICT")
    # A contribution: who gave it (none when anonymous), how, and its receipt.
    contributor = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    contributor_name = CharField(max_length=80, default="")  # as printed; "" when anonymous
    method = CharField(max_length=8, null=True, constraints=[one_of("method", METHODS)])
    receipt_number = CharField(max_length=20, null=True, unique=True)
    receipt_salt = CharField(max_length=32, null=True)
    receipt_hash = CharField(max_length=64, null=True, unique=True)
    recorded_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")  # none: the gateway's callback
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, null=True, unique=True)

    class Meta:
        indexes = ((("fund", "created_at"), False),)
        constraints = (
            Check("source <> target"),
            Check("(source = 'fund') <> (target = 'fund')"),
            Check("(kind = 'correction') = (corrects_id IS NOT NULL)"),
        )

    def save(self, *args, **kwargs):
        if self.id is not None:
            raise PermissionError("fund entries are never changed")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("fund entries are never deleted")

    @property
    def into_fund(self):
        return self.target == "fund"


class FundResident(BaseModel):
    """A fund's voter roll: a member confirmed in person as living in its
    area, by a trustee, a facilitator of the neighborhood, the staff of its
    center, two trustees entering their paper ballot, or named a trustee when
    the fund opened. Voting, proposing and commenting ask this row *and* that
    the member still lives in the area; removed (a row deleted) when they move."""

    HOWS = ("named", "trustee", "facilitator", "desk", "paper_ballot")

    fund = ForeignKeyField(Fund, backref="roll", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="fund_rolls", on_delete="CASCADE")
    confirmed_by = ForeignKeyField(User, on_delete="RESTRICT")
    confirmed_at = DateTimeField(default=utcnow)
    how = CharField(max_length=12, constraints=[one_of("how", HOWS)])

    class Meta:
        indexes = ((("fund", "user"), True),)


# --- The neighborhood's services directory (issue 22, part 6) ------------------------------


class DirectoryEntry(BaseModel):
    """A service near a neighborhood: a government office, a local service or
    one of the facilitators' local channels. Kept for a neighborhood by its
    facilitators and its center's staff, or for a district, a city or the
    whole country (`area` None) by headquarters; shown to every neighborhood
    under it. An entry that names a center or an organization already on the
    site links it rather than copying it."""

    CATEGORIES = (
        "welfare",
        "relief",
        "health_house",
        "municipality",
        "clinic",
        "pharmacy",
        "charity",
        "mosque",
        "school",
        "mosbat_center",
        "other",
        "messenger_group",
        "notice_board",
    )
    NAME_MAX = 160

    area = ForeignKeyField(Area, null=True, backref="directory_entries", on_delete="CASCADE")
    category = CharField(max_length=16, constraints=[one_of("category", CATEGORIES)])
    name = CharField(max_length=NAME_MAX)
    # The scope and the folded name: one entry of a name in a list (an import finds it again).
    natural_key = CharField(max_length=200, unique=True)
    address = CharField(max_length=300, default="")
    hours = CharField(max_length=200, default="")
    phone = CharField(max_length=20, default="")
    center = ForeignKeyField(Center, null=True, backref="directory_entries", on_delete="SET NULL")
    organization = ForeignKeyField(Organization, null=True, backref="directory_entries", on_delete="SET NULL")
    checked_by = ForeignKeyField(User, null=True, backref="checked_entries", on_delete="SET NULL")
    checked_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, null=True, unique=True)

    # What a page shows: the linked center's own details where the entry has none.
    @property
    def shown_address(self):
        return self.address or (self.center.address if self.center_id else "")

    @property
    def shown_hours(self):
        return self.hours or (self.center.hours if self.center_id else "")

    @property
    def shown_phone(self):
        return self.phone or (self.center.phone if self.center_id else "")

    @property
    def phone_text(self):
        """The phone in the groups a person reads aloud: 021 2271 0000, 0912 123 4567, 1480."""
        number = "".join(ch for ch in self.shown_phone if ch.isdigit())
        if len(number) == 11 and number.startswith("09"):
            return f"{number[:4]} {number[4:7]} {number[7:]}"
        if len(number) == 11:
            return f"{number[:3]} {number[3:7]} {number[7:]}"
        return number or self.shown_phone

    @property
    def phone_link(self):
        """The phone as a tel: link dials it."""
        return "".join(ch for ch in self.shown_phone if ch.isdigit() or ch == "+")


# --- Crisis mode for an area (issue 22): declared, volunteers on call, teams, places --


class Crisis(BaseModel):
    """A crisis declared for a county, a city or a district by headquarters or
    the coordinator of the area's assembly. While `ended_at` is empty, every
    page of the areas hit shows its banner (the catalog keeps the active ones:
    writes to this table and to CrisisArea raise the catalog's revision)."""

    KINDS = ("flood", "earthquake", "fire", "epidemic", "cold_wave", "other")
    TEXT_MAX = 300

    kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
    area = ForeignKeyField(Area, backref="crises", on_delete="RESTRICT")
    what_to_do = CharField(max_length=300)
    where_to_go = CharField(max_length=300)
    started_on = DateField()
    declared_by = ForeignKeyField(User, on_delete="RESTRICT")
    declared_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)
    ended_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)


# One active crisis per area: a second declaration meets this index (SQLite and PostgreSQL alike).
Crisis.add_index(Crisis.index(Crisis.area, unique=True, where=Crisis.ended_at.is_null(), name="crisis_active_area"))


class CrisisArea(BaseModel):
    """An area the crisis hit: the crisis's own area, or some of its cities or districts."""

    crisis = ForeignKeyField(Crisis, backref="areas_hit", on_delete="CASCADE")
    area = ForeignKeyField(Area, on_delete="RESTRICT")

    class Meta:
        indexes = ((("crisis", "area"), True),)


class CrisisCall(BaseModel):
    """A volunteer asked whether they can come, and their answer. `distance`
    counts the steps in the area tree from their neighborhood to the nearest
    area hit (0: inside it)."""

    STATUSES = ("asked", "ready", "cannot")
    CHANNELS = ("", "web", "sms")

    crisis = ForeignKeyField(Crisis, backref="calls", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="crisis_calls", on_delete="CASCADE")
    distance = SmallIntegerField(default=0)
    status = CharField(max_length=6, default="asked", constraints=[one_of("status", STATUSES)])
    answered_via = CharField(max_length=3, default="", constraints=[one_of("answered_via", CHANNELS)])
    asked_at = DateTimeField(default=utcnow)
    answered_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("crisis", "user"), True), (("user", "status"), False), (("crisis", "status"), False))


class CrisisPlace(BaseModel):
    """A shelter, a kitchen or a collection point of a crisis: its capacity and
    what is in it now, set by its keeper (its staff) or the coordinator."""

    KINDS = ("shelter", "kitchen", "collection")
    NAME_MAX, ADDRESS_MAX = 120, 200

    crisis = ForeignKeyField(Crisis, backref="places", on_delete="CASCADE")
    kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
    name = CharField(max_length=120)
    address = CharField(max_length=200, default="")
    capacity = IntegerField(default=0, constraints=[Check("capacity BETWEEN 0 AND 100000")])
    occupied = IntegerField(default=0, constraints=[Check("occupied >= 0 AND occupied <= capacity")])
    keeper = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("crisis", "name"), True),)


class CrisisStock(BaseModel):
    """How much of one kind of goods a place has now, and how much more it needs."""

    ITEMS = ("water", "food", "blankets", "medicine", "clothing", "hygiene")

    place = ForeignKeyField(CrisisPlace, backref="stocks", on_delete="CASCADE")
    item = CharField(max_length=10, constraints=[one_of("item", ITEMS)])
    have = IntegerField(default=0, constraints=[Check("have BETWEEN 0 AND 1000000")])
    wanted = IntegerField(default=0, constraints=[Check("wanted BETWEEN 0 AND 1000000")])
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("place", "item"), True),)


class CrisisTeam(BaseModel):
    """Ready volunteers formed into a team and sent to a place."""

    NAME_MAX, TASK_MAX = 80, 200

    crisis = ForeignKeyField(Crisis, backref="teams", on_delete="CASCADE")
    name = CharField(max_length=80)
    task = CharField(max_length=200, default="")
    place = ForeignKeyField(CrisisPlace, null=True, backref="teams", on_delete="SET NULL")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)


class CrisisTeamMember(BaseModel):
    """A volunteer in a team, and when they checked in and out."""

    team = ForeignKeyField(CrisisTeam, backref="members", on_delete="CASCADE")
    call = ForeignKeyField(CrisisCall, unique=True, backref="team_places", on_delete="CASCADE")
    checked_in_at = DateTimeField(null=True)
    checked_out_at = DateTimeField(null=True)

    class Meta:
        constraints = (Check("checked_out_at IS NULL OR checked_in_at IS NOT NULL"),)


class CrisisOffer(BaseModel):
    """Help a group outside the county offers (goods, people, a place); the
    coordinator accepts what fits, for a place, or declines it."""

    STATUSES = ("offered", "accepted", "declined")
    TEXT_MAX = 300

    crisis = ForeignKeyField(Crisis, backref="offers", on_delete="CASCADE")
    group_name = CharField(max_length=160)
    contact = CharField(max_length=80)
    item = CharField(max_length=10, default="", constraints=[one_of("item", ("", *CrisisStock.ITEMS))])
    quantity = IntegerField(default=0, constraints=[Check("quantity BETWEEN 0 AND 1000000")])
    what = CharField(max_length=300)
    status = CharField(max_length=8, default="offered", constraints=[one_of("status", STATUSES)])
    place = ForeignKeyField(CrisisPlace, null=True, on_delete="SET NULL")
    offered_by = ForeignKeyField(User, on_delete="RESTRICT")
    decided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)


class CrisisEvent(BaseModel):
    """What changed in a crisis, who and when: the situation page's last hour."""

    crisis = ForeignKeyField(Crisis, backref="events", on_delete="CASCADE")
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = CharField(max_length=20)
    detail = CharField(max_length=200, default="")
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("crisis", "at"), False),)


class CrisisLesson(BaseModel):
    """The crisis's lesson log, in the facilitators' failure-and-lesson format
    (Story of kind "lesson"): what happened, and what to do next time."""

    crisis = ForeignKeyField(Crisis, backref="lessons", on_delete="CASCADE")
    title = CharField(max_length=120)
    narrative = TextField()
    next_time = TextField(default="")
    author = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    form_key = CharField(max_length=64, unique=True)


# --- Campaigns (issue 16), drives engineer: event sittings, drive needs, pledges, receipts ---

# The most a pledge or a need may hold: a trillion rials, far past any drive.
DRIVE_AMOUNT_MAX = 10**12


class EventSitting(BaseModel):
    """One sitting of an event campaign (an iftar table): a place, a day and
    time, and its places. `taken` counts the confirmed sign-ups and its CHECK
    keeps it within the places: the last place is given once, however many
    ask for it at the same moment."""

    PLACE_MAX = 200

    campaign = ForeignKeyField(Campaign, backref="sittings", on_delete="CASCADE")
    place = CharField(max_length=200)
    starts_at = DateTimeField()  # UTC, like every time here
    capacity = SmallIntegerField(constraints=[Check("capacity BETWEEN 1 AND 5000")])
    taken = SmallIntegerField(default=0)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("campaign", "starts_at"), False),)
        constraints = (Check("taken BETWEEN 0 AND capacity"),)


class SittingSignup(BaseModel):
    """A member's place at a sitting: one per person; a full sitting has no waiting list."""

    STATUSES = ("confirmed", "cancelled")

    sitting = ForeignKeyField(EventSitting, backref="signups", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="sitting_signups", on_delete="CASCADE")
    status = CharField(max_length=10, constraints=[one_of("status", STATUSES)])
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("sitting", "user"), True),)


class DriveNeed(BaseModel):
    """A named need of a drive (one family's debt, a prisoner's release), told
    without naming the person, with its own goal in rials."""

    TITLE_MAX, ABOUT_MAX = 160, 1000

    campaign = ForeignKeyField(Campaign, backref="needs", on_delete="CASCADE")
    title = CharField(max_length=160)
    about = TextField(default="")
    goal = BigIntegerField(constraints=[Check("goal BETWEEN 1 AND 1000000000000")])
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)


class DrivePledge(BaseModel):
    """A donor's (خیر) pledge of money or goods (at their value in rials)
    toward a drive or one of its needs. `received` is what the organizer
    recorded as come in (PledgeReceipt): never more than was pledged. The
    donor's name is shown only as `public_name`, given when they agree."""

    KINDS = ("money", "goods")
    GOODS_MAX = 200

    campaign = ForeignKeyField(Campaign, backref="pledges", on_delete="CASCADE")
    need = ForeignKeyField(DriveNeed, null=True, backref="pledges", on_delete="CASCADE")
    donor = ForeignKeyField(User, backref="drive_pledges", on_delete="RESTRICT")
    kind = CharField(max_length=6, constraints=[one_of("kind", KINDS)])
    amount = BigIntegerField(constraints=[Check("amount BETWEEN 1 AND 1000000000000")])
    goods = CharField(max_length=200, default="")
    public_name = CharField(max_length=80, default="")
    received = BigIntegerField(default=0)
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("campaign", "need"), False),)
        constraints = (Check("received BETWEEN 0 AND amount"),)


class PledgeReceipt(BaseModel):
    """What the organizer received against a pledge, and who recorded it."""

    NOTE_MAX = 200

    pledge = ForeignKeyField(DrivePledge, backref="receipts", on_delete="CASCADE")
    amount = BigIntegerField(constraints=[Check("amount > 0")])
    note = CharField(max_length=200, default="")
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")
    form_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)


MODELS = (
    Revision,
    Area,
    Center,
    CenterArea,
    User,
    UserRole,
    AreaManager,
    AreaChange,
    LoginThrottle,
    KnownDevice,
    Session,
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
    OneTimeCode,
    ClaimTicket,
    DeskRegistration,
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
    AssemblyMember,
    OrganizationApplication,
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
    StoredFile,
    RateHit,
    Certificate,
    WelfareOffice,
    WelfareStaff,
    WelfareCase,
    CaseAssessment,
    Pledge,
    CaseService,
    CaseAppointment,
    CaseEvent,
    AgencyCoverage,
    Occasion,
    Campaign,
    CampaignArea,
    DistributionRound,
    DistributionPoint,
    PointVolunteer,
    Nomination,
    Entitlement,
    Pickup,
    PickupRefusal,
    VoucherBatch,
    Fund,
    FundArea,
    FundTrustee,
    FundProposal,
    FundVote,
    FundComment,
    FundExpense,
    FundApproval,
    FundPayment,
    FundEntry,
    DirectoryEntry,
    Crisis,
    CrisisArea,
    CrisisCall,
    CrisisPlace,
    CrisisStock,
    CrisisTeam,
    CrisisTeamMember,
    CrisisOffer,
    CrisisEvent,
    CrisisLesson,
    EventSitting,
    SittingSignup,
    DriveNeed,
    DrivePledge,
    PledgeReceipt,
    FundResident,
)
