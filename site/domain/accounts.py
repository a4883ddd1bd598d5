"""Accounts: signing up with a code sent by SMS, roles, PINs, work centers,
and sign-in with a throttle that slows an attacker but never locks the owner out."""

import datetime
import hashlib
import ipaddress
import logging
import secrets
from collections import namedtuple

from peewee import SqliteDatabase

import models
from hamsayeh.domain import acting, audit, sessions, sms
from models import (
    KnownDevice,
    LoginThrottle,
    OneTimeCode,
    User,
    UserRole,
    hash_pin,
    utcnow,
    verify_pin,
    write_transaction,
)

# (failures, seconds of delay once that many have failed), strictest last;
# every failure after the last step doubles the delay, up to THROTTLE_CAP.
THROTTLE_STEPS = {
    "phone": ((3, 30), (5, 15 * 60)),
    # A center's kiosk or a family shares one address: allow far more.
    "ip": ((20, 60), (40, 15 * 60)),
    # Only marks an address that has failed on a number; it delays nothing itself.
    "pair": (),
    # A known device (see KnownDevice) skips the number's delay; its own failures slow it.
    "device": ((5, 30), (8, 15 * 60)),
}

THROTTLE_CAP = datetime.timedelta(hours=4)

# How long after its last failure a key is forgotten; a delay never outlasts
# it. A number's failures are kept a day, so a patient attack earns no fresh
# start; a shared address's an hour, so a busy kiosk is not slowed all day.
THROTTLE_WINDOW = {
    "phone": datetime.timedelta(days=1),
    "pair": datetime.timedelta(days=1),
    "ip": datetime.timedelta(hours=1),
    "device": datetime.timedelta(days=1),
}

SignIn = namedtuple("SignIn", "user wait_seconds")


# A PIN change answers like a sign-in: changed, or how long to wait first.
PinChange = namedtuple("PinChange", "changed wait_seconds")
# Step one of a sign-up: the request's id (only its form holds it), or how long to wait.
SignUpRequest = namedtuple("SignUpRequest", "request_id wait_seconds")
# Step two: the new account, or why not ("wrong", "expired", "used" or "taken").
SignUpResult = namedtuple("SignUpResult", "user problem")

# Codes by SMS, of every purpose together: per number in an hour and in a
# day, and per network in an hour ("address": an IPv4 /24 or an IPv6 /64, so
# that one attacker's neighboring addresses count as one; see
# `address_network`). Each one costs money, and a flood of them bothers
# whoever holds the number. Both kinds of sign-up SMS count alike, so the
# limit never tells whether a number has an account.
SIGN_UP_LIMITS = {"phone": 3, "phone_per_day": 5, "address": 30}
# And for the whole site in an hour, a budget for each purpose: whoever
# spends the sign-ups' budget does not shut the front door to guests asking
# for help, whose budget is the largest.
CODE_BUDGETS = {"sign_up": 200, "claim": 200, "ask_help": 1000, "campaign": 1000}
SIGN_UP_LIMIT_PERIOD = datetime.timedelta(hours=1)
SIGN_UP_DAY = datetime.timedelta(days=1)
# Codes are deleted this long after they expire: the daily limit needs them no longer.
CODES_KEPT = SIGN_UP_DAY

# Wrong PINs on a number, from any addresses within its window, after which
# every device waits the number's delay except its owner's known devices.
NUMBER_UNDER_ATTACK = 10
# PostgreSQL's advisory locks on throttle keys: this class, then 28 bits of the key.
THROTTLE_LOCK_CLASS = 7243002
# A warning when a code's limit refuses one (which limit, never the number).
CODE_LOG = logging.getLogger("hamsayeh.codes")


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


def _wait_for_limit(codes, limit, period, now):
    """Seconds until the `limit`-th newest of `codes` leaves `period`; 0 while
    fewer than `limit` fall in it."""
    oldest = list(
        codes.where(OneTimeCode.created_at > now - period)
        .order_by(OneTimeCode.created_at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if not oldest:
        return 0
    return int((oldest[0].created_at + period - now).total_seconds()) + 1


def _code_wait(purpose, phone, network, now):
    """Seconds to wait before another code for `purpose` may go to `phone`
    from `network` (address_network); 0 when it may go now. A limit that
    refuses it is logged as a warning: which one, never the number."""
    codes = OneTimeCode.select(OneTimeCode.created_at)
    to_phone = codes.where(OneTimeCode.phone == phone)
    hour = SIGN_UP_LIMIT_PERIOD
    waits = {
        "number": max(
            _wait_for_limit(to_phone, SIGN_UP_LIMITS["phone"], hour, now),
            _wait_for_limit(to_phone, SIGN_UP_LIMITS["phone_per_day"], SIGN_UP_DAY, now),
        ),
        "network": _wait_for_limit(
            codes.where(OneTimeCode.address_key == _code_network_key(network)), SIGN_UP_LIMITS["address"], hour, now
        ),
        "site": _wait_for_limit(codes.where(OneTimeCode.purpose == purpose), CODE_BUDGETS[purpose], hour, now),
    }
    if waits["site"]:
        CODE_LOG.warning("the site's hourly budget of %s codes for %s is spent", CODE_BUDGETS[purpose], purpose)
    if waits["network"]:
        CODE_LOG.warning("the network %s has asked for %s codes this hour", network, SIGN_UP_LIMITS["address"])
    if waits["number"]:
        CODE_LOG.warning("a number has been sent its most codes for now (%s)", purpose)
    return max(waits.values())


def _code_network_key(network):
    return _throttle_key("code-network", network)


def request_sign_up(phone, name, pin, neighborhood, address, code_text, exists_text, now=None):
    """Step one of a sign-up: an SMS to `phone` with a 6-digit code or, when the
    number already has an account, an SMS that says so instead. The caller
    gets the same answer, after the same work, either way.

    `code_text(code)` and `exists_text` are the two messages in the person's language."""
    now = now or utcnow()
    network = address_network(address)
    request_id = secrets.token_urlsafe(16)
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash, pin_hash = hash_pin(code), hash_pin(pin)
    with write_transaction():
        # Old codes go here, one cheap indexed delete, so no job is needed for them.
        OneTimeCode.delete().where(OneTimeCode.created_at < now - OneTimeCode.LIFETIME - CODES_KEPT).execute()
        wait = _code_wait("sign_up", phone, network, now)
        if wait:
            audit.record_audit("account.sign_up_refused", subject=audit.phone_subject(phone))
            return SignUpRequest(None, wait)
        taken = User.by_phone(phone) is not None
        OneTimeCode.create(
            request_hash=_hash(request_id),
            purpose="sign_up",
            phone=phone,
            address_key=_code_network_key(network),
            # A number that has an account is sent no code, so none can match.
            code_hash=code_hash,
            name=name,
            pin_hash=pin_hash,
            neighborhood=neighborhood,
            created_at=now,
            expires_at=now + OneTimeCode.LIFETIME,
        )
        sms.queue_sms(phone, exists_text if taken else code_text(code))
        audit.record_audit("account.sign_up_asked", subject=audit.phone_subject(phone))
    return SignUpRequest(request_id, 0)


def _hash(text):
    return hashlib.sha256(text.encode()).hexdigest()


def sign_up_request(request_id):
    """The sign-up that `request_id` started (expired or not), or None."""
    if not request_id:
        return None
    return OneTimeCode.get_or_none(OneTimeCode.request_hash == _hash(request_id), OneTimeCode.purpose == "sign_up")


def confirm_sign_up(request_id, code, now=None):
    """Step two: the right code creates the account, and is used up with it:
    sending the same code again signs no one in ("used"). The code is checked
    as every code is (`check_code`: each check first uses up one of the
    request's tries, so guesses sent at the same moment cannot pass the limit)."""
    now = now or utcnow()
    found = sign_up_request(request_id)
    if found is not None and found.user_id is not None:
        return SignUpResult(None, "used")
    checked = check_code("sign_up", request_id, code, now)
    if checked.problem:
        return SignUpResult(None, checked.problem)
    with write_transaction():
        found = OneTimeCode.get_by_id(found.id)
        if found.user_id is not None:
            return SignUpResult(None, "used")
        try:
            user = _create_account(found.phone, found.name, found.pin_hash, ("resident",), found.neighborhood_id)
        except SignupError:
            return SignUpResult(None, "taken")
        # The row stays only to count codes against the limits: what it kept
        # for the account (the PIN's hash, the name) goes, and no try is left.
        OneTimeCode.update(user=user, tries=OneTimeCode.TRIES, expires_at=now, pin_hash="", name="").where(
            OneTimeCode.id == found.id
        ).execute()
    return SignUpResult(user, None)


def account_made_by(request_id, within, now=None):
    """The account that this sign-up request made in the last `within` seconds, or None."""
    now = now or utcnow()
    found = sign_up_request(request_id)
    if found is None or found.user_id is None or (now - found.expires_at).total_seconds() > within:
        return None
    return User.get_by_id(found.user_id)


# --- One-time SMS codes for any purpose (OneTimeCode.PURPOSES) --------------------------

# Step one: the request's id (only its asker holds it), or how long to wait first.
CodeRequest = namedtuple("CodeRequest", "request_id wait_seconds")
# Step two: the code's row when the code is right (not yet used up), or why not:
# "wrong", "expired" (too old, or no try left), or "used".
CodeCheck = namedtuple("CodeCheck", "found problem")


def send_code(purpose, phone, address, text, neighborhood=None, now=None):
    """An SMS to `phone` with a fresh 6-digit code for `purpose`, bound to a new
    request whose random id only the asker holds (both kept as hashes); or
    how long to wait first. Codes of every purpose count together against
    SIGN_UP_LIMITS (per number, an hour and a day; per network), and each
    purpose against its own site-wide budget (CODE_BUDGETS).

    `text(code)` is the message, in the person's language."""
    now = now or utcnow()
    network = address_network(address)
    request_id = secrets.token_urlsafe(16)
    code = f"{secrets.randbelow(10**6):06d}"
    code_hash = hash_pin(code)
    with write_transaction():
        OneTimeCode.delete().where(OneTimeCode.created_at < now - OneTimeCode.LIFETIME - CODES_KEPT).execute()
        wait = _code_wait(purpose, phone, network, now)
        if wait:
            audit.record_audit(f"code.{purpose}.refused", subject=audit.phone_subject(phone))
            return CodeRequest(None, wait)
        OneTimeCode.create(
            request_hash=_hash(request_id),
            purpose=purpose,
            phone=phone,
            address_key=_code_network_key(network),
            code_hash=code_hash,
            neighborhood=neighborhood,
            created_at=now,
            expires_at=now + OneTimeCode.LIFETIME,
        )
        sms.queue_sms(phone, text(code))
        audit.record_audit(f"code.{purpose}.sent", subject=audit.phone_subject(phone))
    return CodeRequest(request_id, 0)


def code_request(purpose, request_id):
    """The code request for `purpose` that `request_id` started (expired or not), or None."""
    if not request_id:
        return None
    return OneTimeCode.get_or_none(OneTimeCode.request_hash == _hash(request_id), OneTimeCode.purpose == purpose)


def still_open(found, now=None):
    """Whether the code request `found` (of any purpose, a sign-up too) may
    still be used: not used, not expired, a try left. Its page is found only
    while it is: the page's address stays in a kiosk's history and in logs."""
    now = now or utcnow()
    return (
        found is not None
        and found.used_at is None
        and found.user_id is None
        and found.tries < OneTimeCode.TRIES
        and found.expires_at > now
    )


def check_code(purpose, request_id, code, now=None):
    """Whether `code` is the one sent for this request. Each check first uses
    up one of the request's tries (OneTimeCode.TRIES), so guesses sent at the
    same moment cannot pass the limit. A right code is returned, not used up:
    the caller uses it up with `use_code`, in the transaction that acts on it."""
    now = now or utcnow()
    found = code_request(purpose, request_id)
    if found is not None and found.used_at is not None:
        return CodeCheck(None, "used")
    if found is None or found.expires_at < now:
        return CodeCheck(None, "expired")
    with write_transaction():
        tried = (
            OneTimeCode.update(tries=OneTimeCode.tries + 1)
            .where(OneTimeCode.id == found.id, OneTimeCode.tries < OneTimeCode.TRIES)
            .execute()
        )
    if not tried:
        # No try left: all used up by guesses, or by the right code sent a moment before this one.
        used = OneTimeCode.select().where(OneTimeCode.id == found.id, OneTimeCode.used_at.is_null(False)).exists()
        return CodeCheck(None, "used" if used else "expired")
    if not verify_pin(found.code_hash, code):
        with write_transaction():
            audit.record_audit(f"code.{purpose}.wrong", subject=audit.phone_subject(found.phone))
        return CodeCheck(None, "wrong")
    return CodeCheck(found, None)


def use_code(found, now=None):
    """Inside the caller's transaction, before it makes anything: the right
    code `found` is used up, and no try is left. False when it was used
    already: the caller then makes nothing. (On PostgreSQL the row stays
    locked until the transaction ends: a second request using the same code
    at the same moment waits, then finds it used.)"""
    now = now or utcnow()
    return bool(
        OneTimeCode.update(used_at=now, tries=OneTimeCode.TRIES, expires_at=now)
        .where(OneTimeCode.id == found.id, OneTimeCode.used_at.is_null())
        .execute()
    )


def code_confirmed(found, user):
    """Inside the same transaction: the account the code confirmed, where a
    second press of the same button finds it."""
    OneTimeCode.update(user=user).where(OneTimeCode.id == found.id).execute()


def account_for_number(phone, name, neighborhood, **display):
    """Inside the caller's transaction, for a number just confirmed by a code:
    its account, or a new one without a PIN (none opens it until its holder
    claims it and chooses one). `display` (text_size, high_contrast,
    simple_mode, language) is given to a new account only. None when the
    number's account is disabled."""
    user = User.by_phone(phone)
    if user is None:
        user = _create_account(phone, name, "", ("resident",), neighborhood)
        if display:
            User.update(**display).where(User.id == user.id).execute()
            for field, value in display.items():
                setattr(user, field, value)
        return user
    return user if user.is_active else None


def has_pin(user):
    """Whether the account has a PIN of its own (one made by a code has none yet)."""
    return bool(user.pin_hash)


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


def _reload(user):
    """Bring `user` up to date with what an update wrote around it."""
    fresh = User.get_by_id(user.id)
    user.pin_hash, user.session_epoch, user.is_active = fresh.pin_hash, fresh.session_epoch, fresh.is_active


def _set_pin(user, pin_hash, *where):
    """Write the new PIN and nothing else (the `user` in hand may be stale: a
    whole-row save would undo a change made since it was read), end every
    session and forget every known device. False when `where` did not hold."""
    changed = (
        User.update(pin_hash=pin_hash, session_epoch=User.session_epoch + 1).where(User.id == user.id, *where).execute()
    )
    if changed:
        KnownDevice.delete().where(KnownDevice.user == user.id).execute()
        sessions.end_all(user)
    return bool(changed)


def change_pin(user, new_pin):
    """The member's new PIN; False (and nothing changed) when the account was
    disabled meanwhile: a PIN change never enables it again."""
    pin_hash = hash_pin(new_pin)
    with write_transaction():
        changed = _set_pin(user, pin_hash, User.is_active)
        if changed:
            audit.record_audit("account.pin_changed", actor=user, subject=f"user:{user.id}")
    _reload(user)
    return changed


def change_own_pin(user, current_pin, new_pin, address, now=None, device_tokens=()):
    """A member's new PIN, given their current one. The check shares sign-in's
    throttle (a stolen session guesses no faster than a stranger), and every
    attempt is audited. The new PIN ends the member's other sessions."""
    now = now or utcnow()
    right, wait = _check_pin(user.phone, current_pin, address, now, user, device_tokens)
    if not right:
        with write_transaction():
            detail = "waiting" if wait else ""
            audit.record_audit("account.pin_change_failed", actor=user, subject=f"user:{user.id}", detail=detail)
        return PinChange(False, wait)
    return PinChange(change_pin(user, new_pin), 0)


def reset_pin(user, new_pin, actor):
    """A PIN set for the member by staff at a center or their facilitator; it
    ends every session of the account."""
    pin_hash = hash_pin(new_pin)
    with write_transaction():
        _set_pin(user, pin_hash)
        audit.record_audit("account.pin_reset", actor=actor, subject=f"user:{user.id}")
    _reload(user)


def set_work_center(user, center, actor):
    with write_transaction():
        User.update(work_center=center).where(User.id == user.id).execute()
        audit.record_audit(
            "people.center", actor=actor, subject=f"user:{user.id}", detail=f"center:{center.id if center else ''}"
        )


def set_active(user, active, actor=None):
    """Disabling an account ends all of its sessions at once."""
    with write_transaction():
        User.update(is_active=active, session_epoch=User.session_epoch + 1).where(User.id == user.id).execute()
        audit.record_audit("account.enabled" if active else "account.disabled", actor=actor, subject=f"user:{user.id}")
        sessions.end_all(user)
    _reload(user)


def _throttle_key(kind, value):
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def address_group(address):
    """What one household or phone holds of a network address: an IPv4
    address, or an IPv6 /64 (each home or phone is given a whole /64, so its
    2^64 addresses count as one)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def address_network(address):
    """The network that a code's limit per address counts by: an IPv4 /24, or
    an IPv6 /64 (as `address_group`). Codes cost money and any address can
    ask for them: an attacker's neighboring addresses count as one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 64}", strict=False))


def _throttle_keys(phone, address):
    group = address_group(address)
    return {
        "phone": _throttle_key("phone", phone),
        "ip": _throttle_key("ip", group),
        "pair": _throttle_key("pair", f"{phone}@{group}"),
    }


def seconds_locked(keys, now=None):
    now = now or utcnow()
    rows = LoginThrottle.select().where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now)
    return max((int((row.locked_until - now).total_seconds()) + 1 for row in rows), default=0)


def _recent(row, kind, now):
    return row is not None and (row.last_failure_at or row.first_failure_at) > now - THROTTLE_WINDOW[kind]


def _throttle_plan(phone, address, device, now):
    """(the keys whose delays hold for this attempt, {kind: key} its failure counts on).

    A known device waits only for its own failures: the owner signs in from
    their phone whoever attacks the number, from wherever. Any other device
    waits for its address, and for the number's delay once it has failed on
    the number here, or once the number has failed NUMBER_UNDER_ATTACK times
    from anywhere: a fresh address buys no fresh guess. The owner's own
    address, where the account signed in before, is spared that last rule."""
    keys = _throttle_keys(phone, address)
    if device is not None:
        own = _throttle_key("device", device.token_hash)
        return [own], {"phone": keys["phone"], "device": own}
    rows = {row.key: row for row in LoginThrottle.select().where(LoginThrottle.key.in_([keys["pair"], keys["phone"]]))}
    number = rows.get(keys["phone"])
    failed_here = _recent(rows.get(keys["pair"]), "pair", now)
    # The owner's own address (where the account signed in before) is spared
    # the attack on the number, until a PIN fails from it too.
    under_attack = (
        _recent(number, "phone", now)
        and number.failures >= NUMBER_UNDER_ATTACK
        and not known_address(phone, address, now)
    )
    applicable = [keys["ip"], keys["phone"]] if failed_here or under_attack else [keys["ip"]]
    return applicable, keys


def seconds_to_wait(phone, address, now=None, device_tokens=()):
    """How long a PIN for `phone` from `address` waits before it is checked
    (ASVS V6.3.1: slow the attacker, never lock out the owner).

    `device_tokens` are the known-device tokens this browser holds."""
    now = now or utcnow()
    applicable, _counted = _throttle_plan(phone, address, known_device(phone, device_tokens, now), now)
    return seconds_locked(applicable, now)


# --- Known devices: where an account signed in before --------------------------------


def _device_hashes(tokens):
    # A browser holds a few; more is someone's made-up cookie, not worth a query.
    return [_hash(token) for token in tokens if isinstance(token, str) and token][: KnownDevice.PER_USER]


def known_device(phone, tokens, now=None):
    """The known device, among `tokens`, of the account that `phone` names; None for any other browser."""
    hashes = _device_hashes(tokens)
    if not hashes:
        return None
    now = now or utcnow()
    return (
        KnownDevice.select()
        .join(User)
        .where(
            KnownDevice.kind == "device",
            KnownDevice.token_hash.in_(hashes),
            User.phone == phone,
            KnownDevice.last_used_at > now - KnownDevice.LIFETIME,
        )
        .first()
    )


def _address_hash(phone, address):
    # By the number, not the account: the look-up costs the same for a number with no account.
    return _hash(f"address:{phone}:{address_group(address)}")


def known_address(phone, address, now=None):
    """Whether the account that `phone` names signed in from this address (its IPv4
    address or IPv6 /64) in the last 180 days: the owner's own address."""
    now = now or utcnow()
    return (
        KnownDevice.select()
        .where(
            KnownDevice.kind == "address",
            KnownDevice.token_hash == _address_hash(phone, address),
            KnownDevice.last_used_at > now - KnownDevice.LIFETIME,
        )
        .exists()
    )


def _remember_address(user, address, now):
    """Inside the sign-in's transaction: this address is one of the account's own."""
    token_hash = _address_hash(user.phone, address)
    updated = KnownDevice.update(last_used_at=now).where(KnownDevice.token_hash == token_hash).execute()
    if not updated:
        KnownDevice.create(user=user, kind="address", token_hash=token_hash, created_at=now, last_used_at=now)
        _keep_latest(user, "address")


def _keep_latest(user, kind):
    mine = KnownDevice.select(KnownDevice.id).where(KnownDevice.user == user.id, KnownDevice.kind == kind)
    kept = [row.id for row in mine.order_by(KnownDevice.last_used_at.desc()).limit(KnownDevice.PER_USER)]
    KnownDevice.delete().where(
        KnownDevice.user == user.id, KnownDevice.kind == kind, KnownDevice.id.not_in(kept)
    ).execute()


def remember_device(user, tokens=(), now=None):
    """The token that makes this browser a known device of `user` for another
    180 days: the one among `tokens` it holds already, or a new one (only its
    hash is kept). The account keeps its PER_USER most recent devices."""
    now = now or utcnow()
    with write_transaction():
        found = known_device(user.phone, tokens, now)
        if found is not None:
            KnownDevice.update(last_used_at=now).where(KnownDevice.id == found.id).execute()
            return next(token for token in tokens if isinstance(token, str) and _hash(token) == found.token_hash)
        token = secrets.token_urlsafe(24)
        KnownDevice.create(user=user, kind="device", token_hash=_hash(token), created_at=now, last_used_at=now)
        _keep_latest(user, "device")
    return token


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


def _forgive(counted, now):
    """Take back the failure counted before a check that proved right: the
    device's and the address's marks on the number go, and the number's and
    the address's counts lose the one."""
    for kind, key in counted.items():
        row = LoginThrottle.get_or_none(LoginThrottle.key == key)
        if row is None:
            continue
        if kind in ("pair", "device") or row.failures <= 1:
            row.delete_instance()
            continue
        row.failures -= 1
        delay = _delay(kind, row.failures)
        row.locked_until = min(row.locked_until or now, now + delay) if delay else None
        row.save()


def _hold(keys):
    """Hold these throttle keys until the transaction ends (SQLite's write
    lock already holds everything): two checks on one number never both read
    its count before either has added to it. In a sorted order, so that two
    transactions never wait for each other."""
    if not isinstance(models.db.obj, SqliteDatabase):
        for key in sorted(set(keys)):
            models.db.execute_sql(
                "SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", (THROTTLE_LOCK_CLASS, int(key[:7], 16))
            )


def _check_pin(phone, pin, address, now, user, device_tokens=()):
    """(right, seconds to wait first): one PIN check under the throttle.

    The failure is counted first, under the write lock, and taken back when
    the PIN is right: guesses sent at the same moment each find the ones
    before them counted, so none passes the limit. The hasher then runs
    outside the lock (which it would otherwise hold for its whole cost),
    exactly once whether or not `user` exists (a dummy hash stands in), so
    the time taken tells nothing about the number."""
    with write_transaction():
        device = known_device(phone, device_tokens, now)
        own = [_throttle_key("device", device.token_hash)] if device is not None else []
        _hold([*_throttle_keys(phone, address).values(), *own])
        applicable, counted = _throttle_plan(phone, address, device, now)
        wait = seconds_locked(applicable, now)
        if wait:
            return False, wait
        for kind, key in counted.items():
            _record_failure(kind, key, now)
    checked = verify_pin(user.pin_hash if user is not None else _dummy_pin_hash(), pin)
    right = checked and user is not None and user.is_active
    if right:
        with write_transaction():
            _hold(counted.values())
            _forgive(counted, now)
    return right, 0


def sign_in(phone, pin, address, now=None, device_tokens=(), shared=False):
    """The user, or None with how many seconds this number must wait at this address.

    Wrong number and wrong PIN fail alike, in the same time, so the answer
    never tells whether a number has an account. `device_tokens` are the
    known-device tokens the browser holds (see `remember_device`). A `shared`
    terminal (a center's kiosk) is everyone's: its address becomes no one's own."""
    now = now or utcnow()
    user = User.by_phone(phone)
    right, wait = _check_pin(phone, pin, address, now, user, device_tokens)
    with write_transaction():
        if right:
            if not shared:
                _remember_address(user, address, now)
            audit.record_audit("signin.ok", actor=user, subject=f"user:{user.id}")
            return SignIn(user, 0)
        audit.record_audit("signin.refused_locked" if wait else "signin.failed", subject=audit.phone_subject(phone))
    return SignIn(None, wait)


PROFILE_FIELDS = (
    "name",
    "neighborhood",
    "language",
    "text_size",
    "high_contrast",
    "simple_mode",
    "sms_events",
    "sms_announcements",
)


def update_profile(user, **changes):
    """Save a member's own name, neighborhood, language or display preferences."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not a profile field: {sorted(unknown)}")
    with write_transaction():
        User.update(**changes).where(User.id == user.id).execute()
    for field, value in changes.items():
        setattr(user, field, value)
