"""The audit log (ASVS V16.3, V16.4.2): append-only and chained by HMAC under
a key kept outside the database (`HAMSAYEH_AUDIT_KEY`), so that someone who
can write to the database can delete an entry but cannot hide that they did."""

import hashlib
import hmac

from peewee import SqliteDatabase

from models import GENESIS_HASH, AuditEntry, db, utcnow, write_transaction

_key = ""
# Entries written by one statement (`record_audit_many`): well within SQLite's bound on a statement's values.
BATCH = 500


def use_audit_key(key):
    """The chain's key, given once at start-up."""
    global _key
    _key = key


def phone_subject(phone):
    """How the log names a phone number that may have no account: an HMAC under
    the audit key, so the same number reads the same in every entry while the
    log itself gives no number back (an unkeyed hash of the few billion mobile
    numbers would be undone in seconds; ASVS V16.2.5)."""
    digest = hmac.new(f"phone:{_key}".encode(), phone.encode(), hashlib.sha256).hexdigest()
    return f"phone:{digest[:12]}"


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
    entry.entry_hash = entry.digest(_key)
    AuditEntry.insert(**entry.__data__).execute()


def record_audit_many(action, subjects, actor=None, detail=""):
    """One entry per subject, chained in order as many `record_audit` calls
    would chain them, written in batches: an import's thousands of accounts.
    Inside the write transaction it records."""
    lock_audit()
    last = AuditEntry.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).first()
    previous = last.entry_hash if last else GENESIS_HASH
    rows = []
    for subject in subjects:
        entry = AuditEntry(actor=actor, action=action, subject=subject, detail=detail, previous_hash=previous)
        entry.at = utcnow()
        entry.entry_hash = previous = entry.digest(_key)
        rows.append(entry.__data__)
    for start in range(0, len(rows), BATCH):
        AuditEntry.insert_many(rows[start : start + BATCH]).execute()


def audit(action, actor=None, subject="", detail=""):
    """An audit entry in a transaction of its own: a sensitive read, or an
    action whose other writes are already done."""
    with write_transaction():
        record_audit(action, actor=actor, subject=subject, detail=detail)


def verify_audit_chain():
    """The id of the first entry that does not fit the chain, or None."""
    previous = GENESIS_HASH
    for entry in AuditEntry.select().order_by(AuditEntry.id).iterator():
        if entry.previous_hash != previous or not hmac.compare_digest(entry.digest(_key), entry.entry_hash):
            return entry.id
        previous = entry.entry_hash
    return None
