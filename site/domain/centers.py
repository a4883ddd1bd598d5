"""Mosbat-e Zendegi centers: programs, sign-ups with a waiting list, kiosks and print batches."""

import datetime
import hashlib
import secrets

from peewee import SqliteDatabase, fn

from hamsayeh.domain import audit, board, inbox, volunteers
from models import (
    ActivityType,
    Area,
    Center,
    HelpPost,
    Kiosk,
    PrintBatch,
    Program,
    ProgramSignup,
    User,
    VolunteerProfile,
    db,
    made_once,
    utcnow,
    write_transaction,
)

WEEK = datetime.timedelta(days=7)
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


def _lock_program(program):
    """On PostgreSQL, hold the program's row: sign-ups are counted and written
    one at a time (SQLite's write lock already does this)."""
    if not isinstance(db.obj, SqliteDatabase):
        Program.select(Program.id).where(Program.id == program.id).for_update().execute()
    return Program.get_by_id(program.id)


def sign_up(program, user):
    """A place if one is left, else the waiting list; signing up again keeps
    the first place. Raises board.StateError when the program no longer takes sign-ups."""
    with write_transaction():
        program = _lock_program(program)
        if program.status != "scheduled" or program.starts_at <= utcnow():
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
            (VolunteerProfile.center == center)
            | VolunteerProfile.neighborhood.in_(center_neighborhoods(center).select(Area.id)),
        )
        .order_by(User.name, User.id)
    )


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
