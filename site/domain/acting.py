"""Acting for someone: trusted helpers, and who may act for whom."""

from hamsayeh.domain import audit
from models import TrustedHelper, write_transaction


def add_trusted_helper(person, helper):
    with write_transaction():
        TrustedHelper.insert(person=person, helper=helper).on_conflict_ignore().execute()
        audit.record_audit("acting.helper_added", actor=person, subject=f"user:{helper.id}")


def remove_trusted_helper(person, helper_id):
    with write_transaction():
        TrustedHelper.delete().where(TrustedHelper.person == person, TrustedHelper.helper == helper_id).execute()
        audit.record_audit("acting.helper_removed", actor=person, subject=f"user:{helper_id}")


def record_acting(action, actor, person, detail=""):
    """An audit entry of acting for `person`: "start", "stop" or "write" (a change made for them)."""
    with write_transaction():
        audit.record_audit(f"acting.{action}", actor=actor, subject=f"user:{person.id}", detail=detail)
