"""Mosbat-e Zendegi centers: programs, sign-ups with a waiting list, kiosks and print batches."""

from peewee import SqliteDatabase, fn

from hamsayeh.domain import audit, board, inbox
from models import (
    ActivityType,
    Area,
    Center,
    HelpPost,
    Program,
    ProgramSignup,
    User,
    VolunteerProfile,
    db,
    utcnow,
    write_transaction,
)


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
