"""Accounts: signing up, roles, PINs, work centers and sign-in with its throttle."""

import datetime
import hashlib

from hamsayeh.domain import audit
from models import (
    THROTTLE_STEPS,
    THROTTLE_WINDOW,
    LoginThrottle,
    SignIn,
    User,
    UserRole,
    hash_pin,
    utcnow,
    write_transaction,
)


class SignupError(ValueError):
    pass


def create_user(phone, name, pin, roles=("resident",), neighborhood=None):
    """A new account from normalized input; SignupError('phone_taken') when
    the number has one already."""
    with write_transaction():
        if User.by_phone(phone) is not None:
            raise SignupError("phone_taken")
        user = User.create(phone=phone, name=name, pin_hash=hash_pin(pin), neighborhood=neighborhood)
        UserRole.insert_many([(user, role) for role in roles], fields=[UserRole.user, UserRole.role]).execute()
        audit.record_audit("account.created", actor=user, subject=f"user:{user.id}")
    return user


def set_roles(user, roles, actor):
    """Give `user` exactly `roles`; every change is audited."""
    roles = set(roles)
    with write_transaction():
        current = user.roles()
        for role in sorted(roles - current):
            UserRole.insert(user=user, role=role).on_conflict_ignore().execute()
            audit.record_audit("role.granted", actor=actor, subject=f"user:{user.id}", detail=role)
        for role in sorted(current - roles):
            UserRole.delete().where(UserRole.user == user, UserRole.role == role).execute()
            audit.record_audit("role.revoked", actor=actor, subject=f"user:{user.id}", detail=role)


def change_pin(user, new_pin):
    with write_transaction():
        user.set_pin(new_pin)
        user.save()
        audit.record_audit("account.pin_changed", actor=user, subject=f"user:{user.id}")


def reset_pin(user, new_pin, actor):
    """A PIN set for the member by staff at a center or their facilitator; it
    ends every session of the account."""
    with write_transaction():
        user.set_pin(new_pin)
        user.save()
        audit.record_audit("account.pin_reset", actor=actor, subject=f"user:{user.id}")


def set_work_center(user, center, actor):
    with write_transaction():
        User.update(work_center=center).where(User.id == user.id).execute()
        audit.record_audit(
            "people.center", actor=actor, subject=f"user:{user.id}", detail=f"center:{center.id if center else ''}"
        )


def set_active(user, active, actor=None):
    """Disabling an account ends all of its sessions at once."""
    with write_transaction():
        user.is_active = active
        user.session_epoch += 1
        user.save()
        audit.record_audit("account.enabled" if active else "account.disabled", actor=actor, subject=f"user:{user.id}")


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


def sign_in(phone, pin, address, now=None):
    """The user, or None with how many seconds the number must wait.

    Wrong number and wrong PIN fail alike, so the answer never tells whether
    a number has an account."""
    now = now or utcnow()
    keys = {"phone": _throttle_key("phone", phone), "ip": _throttle_key("ip", address)}
    with write_transaction():
        wait = seconds_locked(list(keys.values()), now)
        if wait:
            audit.record_audit("signin.refused_locked", subject=f"phone:{_throttle_key('phone', phone)[:12]}")
            return SignIn(None, wait)
        user = User.by_phone(phone)
        if user is not None and user.is_active and user.check_pin(pin):
            LoginThrottle.delete().where(LoginThrottle.key == keys["phone"]).execute()
            audit.record_audit("signin.ok", actor=user, subject=f"user:{user.id}")
            return SignIn(user, 0)
        for kind, key in keys.items():
            _record_failure(kind, key, now)
        audit.record_audit("signin.failed", subject=f"phone:{keys['phone'][:12]}")
    return SignIn(None, 0)


PROFILE_FIELDS = ("name", "neighborhood", "language", "text_size", "high_contrast", "simple_mode")


def update_profile(user, **changes):
    """Save a member's own name, neighborhood, language or display preferences."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not a profile field: {sorted(unknown)}")
    with write_transaction():
        User.update(**changes).where(User.id == user.id).execute()
    for field, value in changes.items():
        setattr(user, field, value)
