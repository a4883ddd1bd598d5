"""Accounts: signing up with a code sent by SMS, roles, PINs, work centers,
and sign-in with a throttle that slows an attacker but never locks the owner out."""

import datetime
import hashlib
import secrets
from collections import namedtuple

import models
from hamsayeh.domain import acting, audit, sessions, sms
from models import (
    THROTTLE_CAP,
    THROTTLE_STEPS,
    THROTTLE_WINDOW,
    LoginThrottle,
    OneTimeCode,
    SignIn,
    User,
    UserRole,
    hash_pin,
    utcnow,
    verify_pin,
    write_transaction,
)

# A PIN change answers like a sign-in: changed, or how long to wait first.
PinChange = namedtuple("PinChange", "changed wait_seconds")
# Step one of a sign-up: the request's id (only its form holds it), or how long to wait.
SignUpRequest = namedtuple("SignUpRequest", "request_id wait_seconds")
# Step two: the new account, or why not ("wrong", "expired" or "taken").
SignUpResult = namedtuple("SignUpResult", "user problem")

# Codes sent per number, and sign-ups asked per address, in an hour. Both
# kinds of SMS count alike, so the limit never tells whether a number has an account.
SIGN_UP_LIMITS = {"phone": 3, "address": 30}
SIGN_UP_LIMIT_PERIOD = datetime.timedelta(hours=1)


class SignupError(ValueError):
    pass


def create_user(phone, name, pin, roles=("resident",), neighborhood=None):
    """A new account from normalized input; SignupError('phone_taken') when
    the number has one already."""
    pin_hash = hash_pin(pin)
    with write_transaction():
        return _create_account(phone, name, pin_hash, roles, neighborhood)


def _create_account(phone, name, pin_hash, roles, neighborhood):
    if User.by_phone(phone) is not None:
        raise SignupError("phone_taken")
    user = User.create(phone=phone, name=name, pin_hash=pin_hash, neighborhood=neighborhood)
    UserRole.insert_many([(user, role) for role in roles], fields=[UserRole.user, UserRole.role]).execute()
    acting.link_asked_helper(user)
    audit.record_audit("account.created", actor=user, subject=f"user:{user.id}")
    return user


def _phone_subject(phone):
    """How the audit log names a number that may have no account: by a hash."""
    return f"phone:{_throttle_key('phone', phone)[:12]}"


def _wait_for_limit(times, limit, now):
    """Seconds until the oldest of the newest `limit` `times` leaves the
    period; 0 while fewer than `limit` fall in it."""
    times = sorted(times, reverse=True)
    if len(times) < limit:
        return 0
    return int((times[limit - 1] + SIGN_UP_LIMIT_PERIOD - now).total_seconds()) + 1


def request_sign_up(phone, name, pin, neighborhood, address, code_text, exists_text, now=None):
    """Step one of a sign-up: an SMS to `phone` with a 6-digit code or, when the
    number already has an account, an SMS that says so instead. The caller
    gets the same answer, after the same work, either way.

    `code_text(code)` and `exists_text` are the two messages in the person's language."""
    now = now or utcnow()
    address_key = _throttle_key("ip", address)
    request_id = secrets.token_urlsafe(16)
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash, pin_hash = hash_pin(code), hash_pin(pin)
    recent = OneTimeCode.select(OneTimeCode.created_at).where(OneTimeCode.created_at > now - SIGN_UP_LIMIT_PERIOD)
    with write_transaction():
        wait = max(
            _wait_for_limit(
                [r.created_at for r in recent.where(OneTimeCode.phone == phone)], SIGN_UP_LIMITS["phone"], now
            ),
            _wait_for_limit(
                [r.created_at for r in recent.where(OneTimeCode.address_key == address_key)],
                SIGN_UP_LIMITS["address"],
                now,
            ),
        )
        if wait:
            audit.record_audit("account.sign_up_refused", subject=_phone_subject(phone))
            return SignUpRequest(None, wait)
        taken = User.by_phone(phone) is not None
        OneTimeCode.create(
            request_hash=_hash(request_id),
            purpose="sign_up",
            phone=phone,
            address_key=address_key,
            # A number that has an account is sent no code, so none can match.
            code_hash=code_hash,
            name=name,
            pin_hash=pin_hash,
            neighborhood=neighborhood,
            created_at=now,
            expires_at=now + OneTimeCode.LIFETIME,
        )
        sms.queue_sms(phone, exists_text if taken else code_text(code))
        audit.record_audit("account.sign_up_asked", subject=_phone_subject(phone))
    return SignUpRequest(request_id, 0)


def _hash(text):
    return hashlib.sha256(text.encode()).hexdigest()


def sign_up_request(request_id):
    """The sign-up that `request_id` started (expired or not), or None."""
    if not request_id:
        return None
    return OneTimeCode.get_or_none(OneTimeCode.request_hash == _hash(request_id), OneTimeCode.purpose == "sign_up")


def confirm_sign_up(request_id, code, now=None):
    """Step two: the right code creates the account, once (pressing the button
    again finds it). Each check first uses up one of the request's tries, so
    guesses sent at the same moment cannot go past the limit."""
    now = now or utcnow()
    found = sign_up_request(request_id)
    if found is None or found.expires_at < now:
        return SignUpResult(None, "expired")
    with write_transaction():
        tried = (
            OneTimeCode.update(tries=OneTimeCode.tries + 1)
            .where(OneTimeCode.id == found.id, OneTimeCode.tries < OneTimeCode.TRIES)
            .execute()
        )
    if not tried:
        return SignUpResult(None, "expired")
    if not verify_pin(found.code_hash, code):
        with write_transaction():
            audit.record_audit("account.sign_up_code_wrong", subject=_phone_subject(found.phone))
        return SignUpResult(None, "wrong")
    with write_transaction():
        found = OneTimeCode.get_by_id(found.id)
        if found.user_id is not None:
            return SignUpResult(User.get_by_id(found.user_id), None)
        try:
            user = _create_account(found.phone, found.name, found.pin_hash, ("resident",), found.neighborhood_id)
        except SignupError:
            return SignUpResult(None, "taken")
        OneTimeCode.update(user=user).where(OneTimeCode.id == found.id).execute()
    return SignUpResult(user, None)


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
        sessions.end_all(user)


def change_own_pin(user, current_pin, new_pin, address, now=None):
    """A member's new PIN, given their current one. The check shares sign-in's
    throttle (a stolen session guesses no faster than a stranger), and every
    attempt is audited. The new PIN ends the member's other sessions."""
    now = now or utcnow()
    right, wait = _check_pin(user.phone, current_pin, address, now, user)
    if not right:
        with write_transaction():
            detail = "waiting" if wait else ""
            audit.record_audit("account.pin_change_failed", actor=user, subject=f"user:{user.id}", detail=detail)
        return PinChange(False, wait)
    change_pin(user, new_pin)
    return PinChange(True, 0)


def reset_pin(user, new_pin, actor):
    """A PIN set for the member by staff at a center or their facilitator; it
    ends every session of the account."""
    with write_transaction():
        user.set_pin(new_pin)
        user.save()
        audit.record_audit("account.pin_reset", actor=actor, subject=f"user:{user.id}")
        sessions.end_all(user)


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
        sessions.end_all(user)


def _throttle_key(kind, value):
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _throttle_keys(phone, address):
    return {
        "phone": _throttle_key("phone", phone),
        "ip": _throttle_key("ip", address),
        "pair": _throttle_key("pair", f"{phone}@{address}"),
    }


def seconds_locked(keys, now=None):
    now = now or utcnow()
    rows = LoginThrottle.select().where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now)
    return max((int((row.locked_until - now).total_seconds()) + 1 for row in rows), default=0)


def seconds_to_wait(phone, address, now=None):
    """How long a PIN for `phone` from `address` waits before it is checked.

    An address that fails on many numbers waits for itself. A number's own
    delay holds only at the addresses that have failed on it: however long
    the number is under attack, its owner at an address of their own gets in
    at once (ASVS V6.3.1: slow the attacker, never lock out the owner)."""
    now = now or utcnow()
    keys = _throttle_keys(phone, address)
    applicable = [keys["ip"]]
    failed_here = LoginThrottle.select().where(
        LoginThrottle.key == keys["pair"], LoginThrottle.last_failure_at > now - THROTTLE_WINDOW["pair"]
    )
    if failed_here.exists():
        applicable.append(keys["phone"])
    return seconds_locked(applicable, now)


def _delay(kind, failures):
    """The delay after `failures` failures: its steps, then doubling to the cap."""
    steps = THROTTLE_STEPS[kind]
    reached = [seconds for count, seconds in steps if failures >= count]
    if not reached:
        return None
    beyond = min(max(failures - steps[-1][0], 0), 16)
    return min(datetime.timedelta(seconds=reached[-1] * 2**beyond), THROTTLE_CAP, THROTTLE_WINDOW[kind])


def _record_failure(kind, key, now):
    LoginThrottle.insert(key=key, failures=1, first_failure_at=now, last_failure_at=now).on_conflict(
        conflict_target=[LoginThrottle.key],
        update={LoginThrottle.failures: LoginThrottle.failures + 1},
    ).execute()
    row = LoginThrottle.get_by_id(key)
    if now - (row.last_failure_at or row.first_failure_at) > THROTTLE_WINDOW[kind]:
        row.failures, row.first_failure_at = 1, now
    row.last_failure_at = now
    delay = _delay(kind, row.failures)
    row.locked_until = now + delay if delay else None
    row.save()


_dummy = {}


def _dummy_pin_hash():
    """A hash made by the current hasher (so it costs what a real one costs),
    to check a PIN against when the number has no account."""
    if _dummy.get("hasher") is not models.pin_hasher:
        _dummy.update(hasher=models.pin_hasher, hash=hash_pin(secrets.token_hex(8)))
    return _dummy["hash"]


def _check_pin(phone, pin, address, now, user):
    """(right, seconds to wait first): one PIN check under the throttle.

    The hasher runs exactly once whether or not `user` exists (a dummy hash
    stands in), so the time taken tells nothing about the number. It runs
    outside the write lock, which it would otherwise hold for its whole cost."""
    wait = seconds_to_wait(phone, address, now)
    if wait:
        return False, wait
    checked = verify_pin(user.pin_hash if user is not None else _dummy_pin_hash(), pin)
    right = checked and user is not None and user.is_active
    keys = _throttle_keys(phone, address)
    with write_transaction():
        if right:
            LoginThrottle.delete().where(LoginThrottle.key == keys["pair"]).execute()
        else:
            for kind, key in keys.items():
                _record_failure(kind, key, now)
    return right, 0


def sign_in(phone, pin, address, now=None):
    """The user, or None with how many seconds this number must wait at this address.

    Wrong number and wrong PIN fail alike, in the same time, so the answer
    never tells whether a number has an account."""
    now = now or utcnow()
    user = User.by_phone(phone)
    right, wait = _check_pin(phone, pin, address, now, user)
    with write_transaction():
        if right:
            audit.record_audit("signin.ok", actor=user, subject=f"user:{user.id}")
            return SignIn(user, 0)
        audit.record_audit("signin.refused_locked" if wait else "signin.failed", subject=_phone_subject(phone))
    return SignIn(None, wait)


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
