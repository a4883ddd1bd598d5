"""Mosbat-e Zendegi centers: programs, sign-ups with a waiting list, kiosks and print batches."""

import datetime
import hashlib
import heapq
import secrets
import threading

from peewee import SqliteDatabase, fn

from hamsayeh import persian
from hamsayeh.domain import audit, board, inbox, volunteers
from models import (
    ActivityType,
    Area,
    Center,
    CenterArea,
    HelpPost,
    Kiosk,
    PrintBatch,
    Program,
    ProgramSignup,
    User,
    UserRole,
    VolunteerProfile,
    db,
    made_once,
    utcnow,
    write_transaction,
)

WEEK = datetime.timedelta(days=7)
SATURDAY = 5  # Python's weekday of the first day of Iran's week
# A batch that has not moved for this long was left by a dead worker.
STALE_BATCH = datetime.timedelta(minutes=10)
CENTERS_LISTED = 200


def programs_of(host):
    """The scheduled programs of a center or an organization, soonest first."""
    field = Program.center if isinstance(host, Center) else Program.organization
    return (
        Program.select(Program, ActivityType)
        .join(ActivityType)
        .where(field == host, Program.status == "scheduled")
        .order_by(Program.starts_at)
    )


def upcoming_programs(host, limit=None):
    """The programs of a center or an organization yet to start, soonest first."""
    query = programs_of(host).where(Program.starts_at >= utcnow())
    return query.limit(limit) if limit else query


def week_ahead(center):
    """A center's programs of the coming seven days, and the ten after them."""
    now = utcnow()
    upcoming = upcoming_programs(center)
    return (
        list(upcoming.where(Program.starts_at < now + WEEK)),
        list(upcoming.where(Program.starts_at >= now + WEEK).limit(10)),
    )


def staff_of_center(center):
    """The center's active staff, by name."""
    return center.staff.where(User.is_active).order_by(User.name)


def centers_near(member):
    """The centers a staff member may be assigned to: those of their city,
    or any when they have not chosen a neighborhood."""
    if member.neighborhood is None:
        return list(Center.select().order_by(Center.name).limit(CENTERS_LISTED))
    return list(Center.within(volunteers.city_of(member.neighborhood)).limit(CENTERS_LISTED))


# --- "My center": one rule, for every page and printout that names it -------------------
#
# The rule is written once, in `ServiceMap`: `home_center` and `nearest_centers`
# read it forwards (from a place to its centers), `center_neighborhoods` and
# `looked_after` backwards (from a center to the neighborhoods and members whose
# center it is). Every page that says which center is a member's, or which
# members a center's staff look after, asks one of these four.


def _levels(path):
    """An area's path, then its parent's, ..., up to its province's."""
    ids = path.strip("/").split("/")
    return ["/" + "/".join(ids[:depth]) + "/" for depth in range(len(ids), 0, -1)]


class ServiceMap:
    """The open centers on the area tree, read in two queries and kept in
    memory: enough to apply the rule of `home_center` to any place, and
    backwards to any center, without another query. Closed centers, and
    rows of merged areas, are not in it."""

    def __init__(self):
        rows = (
            Center.select(Center, Area.path.alias("place"))
            .join(Area)
            .where(Center.closed_at.is_null(), Area.merged_into.is_null())
            .order_by(Center.id)
            .objects()
        )
        self.data = {}  # center id: its row's values, for a fresh instance each time
        self.place = {}  # center id: the path of the area it sits in
        self.under = {}  # an area's path: the ids of the open centers in its subtree, ascending
        for row in rows:
            self.place[row.id] = row.place
            self.data[row.id] = dict(row.__data__)
            for level in _levels(row.place):
                self.under.setdefault(level, []).append(row.id)
        self.servers = {}  # an area's id: the open centers set to serve it (`CenterArea`), ascending
        self.served_places = {}  # the same areas' ids: their paths
        served = (
            CenterArea.select(CenterArea.area, CenterArea.center, Area.path)
            .join(Area)
            .where(Area.merged_into.is_null())
            .order_by(CenterArea.center)
            .tuples()
        )
        for area_id, center_id, path in served:
            if center_id in self.place:
                self.servers.setdefault(area_id, []).append(center_id)
                self.served_places[area_id] = path
        self._backwards = {}

    def nearest(self, path, area_id, limit=None):
        """The ids of the open centers nearest the area (`path`, `area_id`),
        nearest first: the rule of `home_center`."""
        levels = _levels(path)
        # Its own subtree's centers, those set to serve it, then each level up's.
        ranks = [self.under.get(levels[0], ()), self.servers.get(area_id, ())]
        ranks += [self.under.get(level, ()) for level in levels[1:]]
        found = []
        for ids in ranks:
            for center_id in ids:
                if center_id not in found:
                    found.append(center_id)
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    def center(self, center_id):
        """A fresh instance of an open center (the map's own rows are shared by every request)."""
        return Center(**self.data[center_id])

    def backwards(self, center_id):
        """What `center_neighborhoods` selects for a center: (ids of
        neighborhoods, [(path of an area, paths of its children to leave out,
        ids of neighborhoods to leave out)]); a neighborhood is the center's
        when its id is listed, or it lies in one of those areas and none of
        what that area leaves out. Nothing for a closed center."""
        if center_id not in self._backwards:
            self._backwards[center_id] = self._work_out(center_id)
        return self._backwards[center_id]

    def _work_out(self, center_id):
        if center_id not in self.place:
            return set(), []
        place = self.place[center_id]
        # Its own area, when no center registered before it sits there too.
        ids = {int(place.strip("/").split("/")[-1])} if self.under[place][0] == center_id else set()
        # Neighborhoods set to serve, with no center of their own, whose first such center it is.
        for area_id, servers in self.servers.items():
            if servers[0] == center_id and self.served_places[area_id] not in self.under:
                ids.add(area_id)
        # Up the tree from its own area, while it is the first registered of
        # the subtree: the neighborhoods there with no center nearer (none in
        # their own branch of it, none set to serve them).
        areas = []
        for level in _levels(place):
            if self.under[level][0] != center_id:
                break
            depth = len(level)
            nearer = {
                self.place[other][: self.place[other].index("/", depth) + 1]
                for other in self.under[level]
                if len(self.place[other]) > depth
            }
            served = {area_id for area_id, path in self.served_places.items() if path.startswith(level)}
            areas.append((level, sorted(nearer), sorted(served)))
        return ids, areas


_kept = {"version": None, "map": None}
_kept_lock = threading.Lock()


def service_map():
    """This process's `ServiceMap`, made again when a center, a neighborhood a
    center serves or the area tree changed: triggers raise the "centers"
    (migration 0034) and "catalog" (0007) revisions on every such write.
    A map read inside a transaction is not kept (it may be rolled back)."""
    sql = f'SELECT "name", "number" FROM "revision" WHERE "name" IN ({db.param}, {db.param})'  # noqa: S608
    rows = dict(db.execute_sql(sql, ("catalog", "centers")).fetchall())
    version = (db.obj.database, rows.get("catalog"), rows.get("centers"))
    with _kept_lock:
        if _kept["version"] == version:
            return _kept["map"]
    found = ServiceMap()
    if None not in version and not db.in_transaction():
        with _kept_lock:
            _kept.update(version=version, map=found)
    return found


def nearest_centers(place, limit=None):
    """The open centers nearest `place` (a neighborhood, or any area), nearest
    first, by the rule of `home_center`; none outside its province but those
    set to serve it."""
    found = service_map()
    return [found.center(center_id) for center_id in found.nearest(place.path, place.id, limit)]


def home_center(user):
    """A member's center, the one every page and printout names as theirs.

    The rule: the center in the member's own neighborhood; if it has none, a
    center that headquarters set to serve the neighborhood (its "served
    neighborhoods"); else the nearest up the area tree: a center elsewhere in
    the same district, else in the same city, county, then province. Closed
    centers never. Between centers equally near, the one registered first
    (the lowest id), so that the answer never changes with a name. None for a
    member who chose no neighborhood, or whose province has no open center
    and no center serves their neighborhood. (A staff member's workplace is
    another matter: `User.work_center`.)

    The same rule read backwards: `center_neighborhoods` (the neighborhoods
    whose members' center it is) and `looked_after` (the members its staff
    look after).
    """
    if user is None or user.neighborhood_id is None:
        return None
    found = nearest_centers(user.neighborhood, limit=1)
    return found[0] if found else None


def served_area_ids(center):
    """The neighborhoods headquarters set a center to serve beyond its own area."""
    return [row.area_id for row in CenterArea.select(CenterArea.area).where(CenterArea.center == center)]


def _served(center):
    """The condition on Area of `center_neighborhoods`."""
    ids, areas = service_map().backwards(center.id)
    chosen = Area.id.in_(sorted(ids)) if ids else None
    for level, nearer, served in areas:
        within = Area.path.startswith(level)
        for path in nearer:
            within &= ~Area.path.startswith(path)
        if served:
            within &= Area.id.not_in(served)
        chosen = within if chosen is None else chosen | within
    if chosen is None:
        return Area.id.is_null()  # no neighborhood: a closed center is no one's
    return (Area.kind == "neighborhood") & Area.merged_into.is_null() & chosen


def center_neighborhoods(center):
    """The neighborhoods a center serves, by name: exactly those whose
    members' center it is (`home_center`): its own, those headquarters set
    it to serve (`CenterArea`) that have no center of their own, and those
    around it with no nearer center. None for a closed center."""
    return Area.select().where(_served(center)).order_by(Area.name)


def center_neighborhood_ids(center):
    """The ids of `center_neighborhoods`, as a subquery."""
    return Area.select(Area.id).where(_served(center))


def serves_neighborhood(center, neighborhood):
    """Whether `neighborhood`'s members' center is `center` (no query beyond the revisions)."""
    found = service_map().nearest(neighborhood.path, neighborhood.id, limit=1)
    return found == [center.id]


def looked_after(center):
    """The members a center's staff look after: they see their time accounts
    (`/time/center`), print their certificates, act for them at the desk and
    answer their call-backs. A condition on User: the members whose center it
    is (`home_center`), and two named additions, wherever they live:
    - volunteers who chose it as their place of service (they help at its
      programs, and the center thanks them with its hours);
    - neighbors without a phone whose contact is its desk (`User.contact_center`)."""
    # A union, each part by its own index: an OR of the three would read every member.
    return User.id.in_(
        User.select(User.id).where(User.neighborhood.in_(center_neighborhood_ids(center)))
        | VolunteerProfile.select(VolunteerProfile.user).where(VolunteerProfile.center == center)
        | User.select(User.id).where(User.contact_center == center)
    )


def looks_after(center, member):
    """Whether `member` is one of the members `center`'s staff look after
    (`looked_after`), asked of the kept map before the volunteer profiles."""
    if member.contact_center_id == center.id:
        return True
    if member.neighborhood_id is not None and serves_neighborhood(center, member.neighborhood):
        return True
    return (
        VolunteerProfile.select().where(VolunteerProfile.user == member.id, VolunteerProfile.center == center).exists()
    )


def open_needs_around(center):
    return HelpPost.select().where(
        HelpPost.kind == "request",
        HelpPost.status == "open",
        HelpPost.neighborhood.in_(center_neighborhood_ids(center)),
    )


def new_needs_this_week(center):
    """How many of the open needs around a center were posted in the last seven days."""
    return open_needs_around(center).where(HelpPost.created_at >= utcnow() - WEEK).count()


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


def add_program(host, actor, form_key, **fields):
    """A program of a center or an organization (`host`), made once per form:
    a double submit finds the first."""
    owner = {"center": host} if isinstance(host, Center) else {"organization": host}

    def make():
        item = Program.create(created_by=actor, form_key=form_key, **owner, **fields)
        audit.record_audit("program.created", actor=actor, subject=f"program:{item.id}")
        return item

    return made_once(Program, form_key, make)


def signup_of(program, user):
    """`user`'s place in the program or on its waiting list, if they hold one."""
    return ProgramSignup.get_or_none(
        ProgramSignup.program == program, ProgramSignup.user == user, ProgramSignup.status != "cancelled"
    )


def signups_of(program):
    """Everyone signed up or waiting, with their accounts: places first, then the waiting list, oldest first."""
    return (
        ProgramSignup.select(ProgramSignup, User)
        .join(User)
        .where(ProgramSignup.program == program, ProgramSignup.status != "cancelled")
        .order_by(ProgramSignup.status, ProgramSignup.created_at)
    )


def _center_closed(program):
    """Whether the program is a closed center's: it keeps its page, and takes no sign-ups."""
    if program.center_id is None:
        return False
    return Center.select().where(Center.id == program.center_id, Center.closed_at.is_null(False)).exists()


def _lock_program(program):
    """On PostgreSQL, hold the program's row: sign-ups are counted and written
    one at a time (SQLite's write lock already does this)."""
    if not isinstance(db.obj, SqliteDatabase):
        Program.select(Program.id).where(Program.id == program.id).for_update().execute()
    return Program.get_by_id(program.id)


def sign_up(program, user):
    """A place if one is left, else the waiting list; signing up again keeps
    the first place. Raises board.StateError when the program no longer takes
    sign-ups: cancelled, started, or its center closed."""
    with write_transaction():
        program = _lock_program(program)
        if program.status != "scheduled" or program.starts_at <= utcnow() or _center_closed(program):
            raise board.StateError("closed")
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
                inbox.notify(first.user_id, "program_place", program=program)
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
            raise board.StateError("cancelled")
        for signup in ProgramSignup.select().where(
            ProgramSignup.program == program, ProgramSignup.status != "cancelled"
        ):
            inbox.notify(signup.user_id, "program_cancelled", actor=actor, program=program)
        audit.record_audit("program.cancelled", actor=actor, subject=f"program:{program.id}")


def center_volunteers(center):
    """Volunteers who serve at a center or live in the neighborhoods it serves."""
    return (
        VolunteerProfile.select(VolunteerProfile, User)
        .join(User)
        .where(
            VolunteerProfile.is_active,
            User.is_active,
            (VolunteerProfile.center == center) | VolunteerProfile.neighborhood.in_(center_neighborhood_ids(center)),
        )
        .order_by(User.name, User.id)
    )


# --- Printed pages: the week's programs, a program's attendance sheet ---------------------

# Programs printed under one day of the week's notice; more are counted, so
# that the week stays on one page.
PROGRAMS_A_DAY = 3


def week_start(moment, later=False):
    """The Saturday (in Tehran) that starts the week of `moment`, or of the week after."""
    day = persian.tehran_time(moment).date()
    saturday = day - datetime.timedelta(days=(day.weekday() - SATURDAY) % 7)
    return saturday + WEEK if later else saturday


def _first_moment(day):
    """The first moment of a Gregorian `day` in Tehran, in the naive UTC the database keeps."""
    local = datetime.datetime.combine(day, datetime.time(), tzinfo=persian.TEHRAN)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def week_programs(center, first_day, per_day=PROGRAMS_A_DAY):
    """The center's scheduled programs of the seven days from `first_day`, day
    by day: (day, its first `per_day` programs by time, how many more)."""
    days = [first_day + datetime.timedelta(days=offset) for offset in range(7)]
    found = {day: [] for day in days}
    start, end = _first_moment(days[0]), _first_moment(days[-1] + datetime.timedelta(days=1))
    for item in programs_of(center).where(Program.starts_at >= start, Program.starts_at < end):
        found[persian.tehran_time(item.starts_at).date()].append(item)
    return [(day, found[day][:per_day], max(0, len(found[day]) - per_day)) for day in days]


def attendance_list(program, actor):
    """Everyone signed up or waiting, for the program's attendance sheet; the
    names leave the site on paper, so printing them is audited."""
    signups = list(signups_of(program))
    audit.audit("program.attendance_printed", actor=actor, subject=f"program:{program.id}", detail=str(len(signups)))
    return signups


# --- Kiosks: a center's touch terminals ------------------------------------------------


def kiosk_token_hash(token):
    """Only the hash of a kiosk's token is kept: the database alone cannot make a kiosk."""
    return hashlib.sha256(token.encode()).hexdigest()


def make_kiosk(center, name, actor):
    """A new kiosk of `center`; the token for its cookie, shown only this once."""
    token = secrets.token_urlsafe(32)
    with write_transaction():
        kiosk = Kiosk.create(center=center, name=name, token_hash=kiosk_token_hash(token), created_by=actor)
        audit.record_audit("kiosk.made", actor=actor, subject=f"kiosk:{kiosk.id}", detail=f"center:{center.id}")
    return token


def revoke_kiosk(center, kiosk_id, actor):
    """Switch a kiosk of `center` off; False when it was off already (or is not the center's)."""
    with write_transaction():
        changed = (
            Kiosk.update(revoked_at=utcnow())
            .where(Kiosk.id == kiosk_id, Kiosk.center == center, Kiosk.revoked_at.is_null())
            .execute()
        )
        if changed:
            audit.record_audit("kiosk.revoked", actor=actor, subject=f"kiosk:{kiosk_id}")
    return bool(changed)


def kiosk_by_token(token):
    """The kiosk, with its center, whose cookie holds `token`; None when it is unknown or switched off."""
    return (
        Kiosk.select(Kiosk, Center)
        .join(Center)
        .where(Kiosk.token_hash == kiosk_token_hash(token), Kiosk.revoked_at.is_null())
        .first()
    )


def kiosks_of(center):
    return list(Kiosk.select().where(Kiosk.center == center).order_by(Kiosk.created_at.desc()))


def todays_places(center, user, now=None):
    """The places `user` holds in programs of `center` that take place today
    (Tehran's day), soonest first, each sign-up with its program."""
    day = persian.tehran_time(now or utcnow()).date()
    return (
        ProgramSignup.select(ProgramSignup, Program)
        .join(Program)
        .where(
            ProgramSignup.user == user,
            ProgramSignup.status == "confirmed",
            Program.center == center,
            Program.status == "scheduled",
            Program.starts_at >= _first_moment(day),
            Program.starts_at < _first_moment(day + datetime.timedelta(days=1)),
        )
        .order_by(Program.starts_at, Program.id)
    )


def check_in(center, user, program_id, now=None):
    """At the center's kiosk, `user` marks that they came to a program of
    today they hold a place in. The first press counts: pressed twice, or
    from two screens at once, the time stays the first (one conditional
    write). The sign-up, or None when `program_id` is no place of theirs today."""
    now = now or utcnow()
    with write_transaction():
        signup = todays_places(center, user, now).where(Program.id == program_id).first()
        if signup is None:
            return None
        ProgramSignup.update(checked_in_at=now).where(
            ProgramSignup.id == signup.id, ProgramSignup.checked_in_at.is_null()
        ).execute()
        return ProgramSignup.select(ProgramSignup, Program).join(Program).where(ProgramSignup.id == signup.id).get()


# --- Print batches: volunteer cards made in the background -------------------------------


def queue_print_batch(center, actor):
    """A batch of all the center's volunteer cards, queued for the worker."""
    with write_transaction():
        batch = PrintBatch.create(center=center, total=center_volunteers(center).count(), created_by=actor)
        audit.record_audit("print.batch", actor=actor, subject=f"batch:{batch.id}", detail=f"center:{center.id}")
    return batch


def recent_batches(center):
    return list(PrintBatch.select().where(PrintBatch.center == center).order_by(PrintBatch.created_at.desc()).limit(10))


def _retryable():
    """A failed batch, or one a dead worker left: it has not moved for a while."""
    stale = PrintBatch.status.in_(("queued", "running")) & (PrintBatch.updated_at < utcnow() - STALE_BATCH)
    return (PrintBatch.status == "failed") | stale


def may_retry(batch):
    return PrintBatch.select().where(PrintBatch.id == batch.id, _retryable()).exists()


def queue_batch_again(batch):
    """Queue a failed or abandoned batch again; False when it is not one (a
    double click queues it once)."""
    with write_transaction():
        return bool(
            PrintBatch.update(status="queued", done_count=0, updated_at=utcnow())
            .where(PrintBatch.id == batch.id, _retryable())
            .execute()
        )


def claim_batch(batch_id):
    """The worker takes a queued (or failed) batch, one attempt at a time:
    the batch and the volunteers whose cards it holds now, or (None, []) when
    it is done already or another attempt has it."""
    claimed = (
        PrintBatch.update(status="running", done_count=0, updated_at=utcnow())
        .where(PrintBatch.id == batch_id, PrintBatch.status.in_(("queued", "failed")))
        .execute()
    )
    if not claimed:
        return None, []
    batch = PrintBatch.get_by_id(batch_id)
    profiles = list(center_volunteers(batch.center))
    batch.total = len(profiles)
    PrintBatch.update(total=batch.total).where(PrintBatch.id == batch.id).execute()
    return batch, profiles


def batch_progress(batch, done_count):
    """Cards made so far; moving the batch also tells it from one a dead worker left."""
    PrintBatch.update(done_count=done_count, updated_at=utcnow()).where(PrintBatch.id == batch.id).execute()


def batch_failed(batch):
    PrintBatch.update(status="failed").where(PrintBatch.id == batch.id).execute()


def batch_done(batch, count):
    PrintBatch.update(status="done", done_count=count, finished_at=utcnow()).where(PrintBatch.id == batch.id).execute()


# --- Headquarters keeps the centers: open, edit, staff, serve, close ------------------------

# A map point must fall in Iran (degrees, roughly its bounding box).
LATITUDES, LONGITUDES = (24.0, 40.5), (43.5, 64.0)
# What a center's own staff may change; its kind, place, staff and the
# neighborhoods it serves are for whoever manages its area (access).
DETAILS = ("name", "name_en", "address", "hours", "phone", "latitude", "longitude")
NETWORK_FIELDS = ("kind",)


class CenterError(ValueError):
    """Why a change to a center cannot be made: "name_taken" (another center
    has the name), "closed" / "open" (it is so already), "merged" (that area
    was merged into another), "not_neighborhood" (a center serves only
    neighborhoods), "own_area" (it sits there already), "not_staff" (the
    account cannot work at a center: it is another center's, or disabled)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def point_problem(latitude, longitude):
    """Why a map point cannot be kept ("half": one number without the other,
    "outside": not in Iran), or None; (None, None) is no point at all."""
    if (latitude is None) != (longitude is None):
        return "half"
    if latitude is None:
        return None
    if not (LATITUDES[0] <= latitude <= LATITUDES[1] and LONGITUDES[0] <= longitude <= LONGITUDES[1]):
        return "outside"
    return None


def _name_free(name, center=None):
    taken = Center.select().where(Center.name == name)
    if center is not None:
        taken = taken.where(Center.id != center.id)
    if taken.exists():
        raise CenterError("name_taken")


def _live_area(area):
    fresh = Area.get_by_id(area.id)
    if fresh.merged_into_id is not None:
        raise CenterError("merged")
    return fresh


def open_center(area, actor, form_key, **fields):
    """A new center in `area`, made once per form: a double submit finds the first."""

    def make():
        place = _live_area(area)
        _name_free(fields["name"])
        center = Center.create(area=place, form_key=form_key, **fields)
        audit.record_audit("center.opened", actor=actor, subject=f"center:{center.id}", detail=f"area:{place.id}")
        return center

    try:
        return made_once(Center, form_key, make)
    except Center.DoesNotExist:
        # Two forms raced to the same name on PostgreSQL: the unique name stopped the second.
        raise CenterError("name_taken") from None


def edit_center(center, actor, fields):
    """Change a center's details (and, for its area's managers, its kind);
    the audit log names the fields that changed."""
    with write_transaction():
        fresh = Center.get_by_id(center.id)
        changed = sorted(name for name, value in fields.items() if getattr(fresh, name) != value)
        if "name" in changed:
            _name_free(fields["name"], fresh)
        if changed:
            Center.update({getattr(Center, name): fields[name] for name in changed}).where(
                Center.id == fresh.id
            ).execute()
            audit.record_audit("center.edited", actor=actor, subject=f"center:{fresh.id}", detail=",".join(changed))
        return changed


def move_center(center, area, actor):
    """Put a center in another area (it then serves that area's district)."""
    with write_transaction():
        place = _live_area(area)
        if place.id == center.area_id:
            raise CenterError("own_area")
        Center.update(area=place).where(Center.id == center.id).execute()
        audit.record_audit(
            "center.moved", actor=actor, subject=f"center:{center.id}", detail=f"area:{center.area_id}>{place.id}"
        )


def close_center(center, actor, reason):
    """Close a center: it leaves the lists members see and is no one's home
    center, while its programs, staff and statements stay as they were."""
    with write_transaction():
        closed = (
            Center.update(closed_at=utcnow(), closed_reason=reason)
            .where(Center.id == center.id, Center.closed_at.is_null())
            .execute()
        )
        if not closed:
            raise CenterError("closed")
        audit.record_audit("center.closed", actor=actor, subject=f"center:{center.id}", detail=reason)


def reopen_center(center, actor, reason):
    with write_transaction():
        opened = (
            Center.update(closed_at=None, closed_reason="")
            .where(Center.id == center.id, Center.closed_at.is_null(False))
            .execute()
        )
        if not opened:
            raise CenterError("open")
        audit.record_audit("center.reopened", actor=actor, subject=f"center:{center.id}", detail=reason)


def serve_neighborhood(center, area, actor):
    """Set a center to serve a neighborhood beyond its own area; serving it already changes nothing."""
    with write_transaction():
        place = _live_area(area)
        if not place.is_neighborhood:
            raise CenterError("not_neighborhood")
        added = CenterArea.insert(center=center, area=place).on_conflict_ignore().execute()
        if added:
            audit.record_audit("center.serves", actor=actor, subject=f"center:{center.id}", detail=f"area:{place.id}")


def stop_serving(center, area, actor):
    with write_transaction():
        removed = CenterArea.delete().where(CenterArea.center == center, CenterArea.area == area).execute()
        if removed:
            audit.record_audit(
                "center.serves_no_more", actor=actor, subject=f"center:{center.id}", detail=f"area:{area.id}"
            )


def served_neighborhoods(center):
    """The neighborhoods set to serve beyond the center's own area, by name."""
    return Area.select().join(CenterArea).where(CenterArea.center == center).order_by(Area.name)


def all_staff(center):
    """Everyone who works at the center, active or not, by name."""
    return User.select().where(User.work_center == center).order_by(User.name, User.id)


def assign_staff(center, member, actor):
    """`member` works at `center` from now: they get the center staff role
    (and look after its members). A member of another center's staff moves
    only when they leave it first."""
    with write_transaction():
        fresh = User.get_by_id(member.id)
        if not fresh.is_active or fresh.work_center_id not in (None, center.id):
            raise CenterError("not_staff")
        if fresh.work_center_id == center.id and "center_staff" in fresh.roles():
            return False
        UserRole.insert(user=fresh, role="center_staff").on_conflict_ignore().execute()
        User.update(work_center=center).where(User.id == fresh.id).execute()
        audit.record_audit("center.staff_added", actor=actor, subject=f"user:{fresh.id}", detail=f"center:{center.id}")
        return True


def release_staff(center, member, actor):
    """`member` no longer works at `center`: the center staff role goes with the place."""
    with write_transaction():
        released = User.update(work_center=None).where(User.id == member.id, User.work_center == center).execute()
        if released:
            UserRole.delete().where(UserRole.user == member, UserRole.role == "center_staff").execute()
            audit.record_audit(
                "center.staff_removed", actor=actor, subject=f"user:{member.id}", detail=f"center:{center.id}"
            )
        return bool(released)


def find_centers(text="", within=None):
    """Every center, open or closed, whose folded name holds `text`, within
    the subtrees of `within` (a list of areas; None: anywhere); by name."""
    query = Center.select(Center, Area).join(Area)
    typed, key = persian.normalize(text), persian.fold(text)
    if key:
        query = query.where(
            Center.name.contains(typed) | Center.name_en.contains(typed) | Area.search_key.contains(key)
        )
    if within is not None:
        if not within:
            return query.where(Center.id == 0)
        scope = Area.path.startswith(within[0].path)
        for root in within[1:]:
            scope |= Area.path.startswith(root.path)
        query = query.where(scope)
    return query.order_by(Center.closed_at.is_null(False), Center.name)


def unserved_neighborhoods(within=None, text=""):
    """The neighborhoods no open center serves from close by: none in their
    district, none set to serve them (`CenterArea`); their members' center
    (`home_center`) is further up the tree, if any. Each with its nearest open
    center by the area tree and how many steps away it is (up to a common
    place, then down), nearest first, then by district and name: the places
    where a hub is next to open, or whose activities move to a hub nearby.
    Only those within `within` (a list of areas; None: anywhere) whose folded
    name holds the folded `text`. A list of dicts: neighborhood, district,
    center, steps (None when no center is anywhere near)."""
    areas = {area.id: area for area in Area.live()}
    centers = list(Center.select().where(Center.closed_at.is_null()).order_by(Center.id))
    roots = set()
    for center in centers:
        place = areas.get(center.area_id)
        if place is not None:
            roots.add(place.parent_id if place.is_neighborhood and place.parent_id else place.id)
    open_ids = {center.id for center in centers}
    linked = {row.area_id for row in CenterArea.select(CenterArea.area, CenterArea.center) if row.center_id in open_ids}
    steps, nearest = _tree_distances(areas, centers)
    key = persian.fold(text)
    scopes = [root.path for root in within] if within is not None else None
    by_id = {center.id: center for center in centers}
    found = []
    for area in areas.values():
        if not area.is_neighborhood or area.id in linked:
            continue
        if scopes is not None and not any(area.path.startswith(path) for path in scopes):
            continue
        if key and key not in area.search_key:
            continue
        path_ids = {int(part) for part in area.path.strip("/").split("/") if part}
        if path_ids & roots:
            continue
        district = areas.get(area.parent_id)
        found.append(
            {
                "neighborhood": area,
                "district": district,
                "center": by_id.get(nearest.get(area.id)),
                "steps": steps.get(area.id),
            }
        )
    far = len(areas) + 1
    found.sort(
        key=lambda row: (
            row["steps"] if row["steps"] is not None else far,
            row["district"].name if row["district"] else "",
            row["neighborhood"].name,
            row["neighborhood"].id,
        )
    )
    return found


def _tree_distances(areas, centers):
    """Steps along the area tree from every area to its nearest open center
    (between equals, the lowest id): {area id: steps}, {area id: center id}."""
    neighbors = {area_id: [] for area_id in areas}
    for area in areas.values():
        if area.parent_id in neighbors:
            neighbors[area.id].append(area.parent_id)
            neighbors[area.parent_id].append(area.id)
    queue = [(0, center.id, center.area_id) for center in centers if center.area_id in areas]
    heapq.heapify(queue)
    steps, nearest = {}, {}
    while queue:
        distance, center_id, area_id = heapq.heappop(queue)
        if area_id in steps:
            continue
        steps[area_id], nearest[area_id] = distance, center_id
        for other in neighbors[area_id]:
            if other not in steps:
                heapq.heappush(queue, (distance + 1, center_id, other))
    return steps, nearest
