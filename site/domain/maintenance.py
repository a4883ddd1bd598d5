"""Keeping a running site's database: migrations applied once while several
nodes start, whether the schema is behind the code, and the checks that a
restored backup must pass before it serves anyone."""

import contextlib
import fcntl
import glob
import hmac
import os
from pathlib import Path

from peewee import SqliteDatabase
from playhouse.migrations import Runner

import models
from hamsayeh.domain import audit, registry, timebank
from models import Setting, db

# The advisory lock every node's `flask migrate` waits on (PostgreSQL).
MIGRATION_LOCK = 7243003
HISTORY_TABLE = "schema_migration"  # the playhouse runner's


def migration_names(directory):
    """The names of the numbered migrations in `directory`, in order."""
    return sorted(Path(path).stem for path in glob.glob(os.path.join(directory, "[0-9]*.py")))


def migrate(directory):
    """Apply every pending migration, one node at a time: the others wait for
    the lock, then find nothing left to do. Their names."""
    with models.connection(), migration_lock():
        return Runner(db, directory).up()


@contextlib.contextmanager
def migration_lock():
    """PostgreSQL: a session advisory lock on this connection. SQLite: a lock
    file beside the database (not its write lock, which would stop the
    migrator turning foreign keys off around a table rebuild)."""
    if isinstance(db.obj, SqliteDatabase):
        if db.obj.database == ":memory:":
            yield
            return
        with open(f"{db.obj.database}.migrate-lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return
    db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def applied_migrations():
    """The names the database records as applied (none on an empty database)."""
    if not db.table_exists(HISTORY_TABLE):
        return set()
    return {row[0] for row in db.execute_sql(f'SELECT "name" FROM "{HISTORY_TABLE}"')}  # noqa: S608 (a constant)


def pending_migrations(names):
    """Which of `names` (this code's migrations) the database has not applied."""
    applied = applied_migrations()
    return [name for name in names if name not in applied]


@contextlib.contextmanager
def database_at(url):
    """Point the models at another database for a block (a restored copy being
    checked), then back at the site's own."""
    previous = db.obj
    other = models.open_database(url)
    db.initialize(other)
    try:
        with models.connection():
            yield
    finally:
        other.close_all()
        db.initialize(previous)


def integrity_problems():
    """SQLite's own check of every page and index, and its foreign keys; on
    PostgreSQL, pg_restore has already refused a damaged dump."""
    if not isinstance(db.obj, SqliteDatabase):
        return []
    problems = [row[0] for row in db.execute_sql("PRAGMA integrity_check") if row[0] != "ok"]
    broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        problems.append(f"{len(broken)} rows point to rows that do not exist (first in table {broken[0][0]})")
    return problems


def registry_key_matches(key):
    """True when `key` is the one this database's registry was made with (or
    no registry exists yet); unlike check_registry_key, it writes nothing."""
    stored = Setting.get_or_none(Setting.name == "registry_key")
    if stored is None:
        return not models.Beneficiary.select().exists()
    return bool(key) and hmac.compare_digest(stored.value, registry.key_fingerprint(key))


def restored_problems(registry_key):
    """What is wrong with the database the models point at, as sentences; an
    empty list when it may serve: integrity, the time bank's ledger, the audit
    chain (under this site's audit key), the registry key."""
    problems = [f"integrity: {problem}" for problem in integrity_problems()]
    wrong, total = timebank.verify_ledger()
    if wrong or total:
        problems.append(
            f"time bank: {len(wrong)} accounts disagree with their transfers, and the balances sum to {total} minutes"
        )
    broken = audit.verify_audit_chain()
    if broken is not None:
        problems.append(f"audit log: the chain breaks at entry {broken} (or HAMSAYEH_AUDIT_KEY is not its key)")
    if not registry_key_matches(registry_key):
        problems.append("registry: HAMSAYEH_REGISTRY_KEY is not the key this registry was made with")
    return problems
