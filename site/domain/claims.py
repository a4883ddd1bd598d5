"""Claiming an account made for someone: at a center's desk, by an import, or
by a guest's request for help confirmed by an SMS code. Its holder proves the
number with a one-time SMS code (accounts.send_code, limited per number, per
address and site-wide like every code, kept as a hash) and chooses a PIN.

The first step answers alike for any number: a number with an account to
claim gets a code, any other number an SMS saying there is none (only its
holder reads which). Staff accounts are never claimed by SMS: a stolen SIM
would open what they see. An account is claimed once: after that, its PIN
is changed or reset as any other."""

from collections import namedtuple

from hamsayeh.domain import access, accounts, audit, sessions
from models import KnownDevice, TrustedHelper, User, UserRole, hash_pin, utcnow, write_transaction

PURPOSE = "claim"
# Origins of accounts made for someone, whose holder has not chosen a PIN yet.
MADE_FOR_SOMEONE = ("desk", "import")
# Accounts an import writes with one statement (`register_many`).
BATCH = 500

# Step two: the account, signed in from now on, or why not ("wrong",
# "expired", "used": the code's problems; "none": nothing to claim).
Claim = namedtuple("Claim", "user problem")


def claimable(user):
    """Whether the holder of the number may claim `user` with a code."""
    if user is None or not user.is_active or access.sees_others_data(user):
        return False
    return not accounts.has_pin(user) or (user.origin in MADE_FOR_SOMEONE and user.claimed_at is None)


def register_for(phone, name, neighborhood, origin, actor):
    """An account made for someone at a desk or by an import: no PIN opens
    it until its holder claims it. SignupError('phone_taken') when the number
    has one."""
    if origin not in MADE_FOR_SOMEONE:
        raise ValueError(f"not an origin of accounts made for someone: {origin}")
    with write_transaction():
        if User.by_phone(phone) is not None:
            raise accounts.SignupError("phone_taken")
        user = accounts.account_for_number(phone, name, neighborhood)
        User.update(origin=origin).where(User.id == user.id).execute()
        user.origin = origin
        audit.record_audit(f"account.made_at_{origin}", actor=actor, subject=f"user:{user.id}")
    return user


def register_many(people, origin, actor, roles=("resident",)):
    """What `register_for` makes for one person, for many at once (an
    import), inside the caller's write transaction and in batches: an account
    without a PIN for each (phone, name, neighborhood id) of `people`, whose
    numbers have no account (the caller found those already), with `roles`;
    what their numbers were asked as trusted helpers is theirs (as
    acting.link_asked_helper does for one); each one in the audit log.
    Returns {phone: the new account's id}."""
    if origin not in MADE_FOR_SOMEONE:
        raise ValueError(f"not an origin of accounts made for someone: {origin}")
    now = utcnow()
    fields = [User.phone, User.name, User.pin_hash, User.neighborhood, User.origin, User.created_at]
    rows = [(phone, name, "", neighborhood, origin, now) for phone, name, neighborhood in people]
    made = {}
    for start in range(0, len(rows), BATCH):
        part = rows[start : start + BATCH]
        User.insert_many(part, fields=fields).execute()
        phones = [row[0] for row in part]
        made.update(User.select(User.phone, User.id).where(User.phone.in_(phones)).tuples())
        ids = [made[phone] for phone in phones]
        UserRole.insert_many(
            [(user_id, role) for user_id in ids for role in roles], fields=[UserRole.user, UserRole.role]
        ).execute()
        asked = User.select(User.id).where(User.phone == TrustedHelper.phone)
        TrustedHelper.update(helper=asked).where(
            TrustedHelper.phone.in_(phones), TrustedHelper.helper.is_null()
        ).execute()
    audit.record_audit_many(f"account.made_at_{origin}", [f"user:{made[p]}" for p, _n, _h in people], actor=actor)
    return made


def send_claim_code(phone, address, code_text, nothing_text, now=None):
    """Step one: the code, or the SMS that says there is nothing to claim;
    the same answer (a request id, or how long to wait) either way."""
    user = User.by_phone(phone)
    text = code_text if claimable(user) else (lambda code: nothing_text)
    return accounts.send_code(PURPOSE, phone, address, text, now=now)


def claim_request(request_id):
    return accounts.code_request(PURPOSE, request_id)


def claim(request_id, code, pin, now=None):
    """Step two: the right code and a new PIN make the account the person's
    own: the PIN is set (every other session and known device forgotten),
    the account marked claimed, the code used up."""
    now = now or utcnow()
    checked = accounts.check_code(PURPOSE, request_id, code, now)
    if checked.problem:
        return Claim(None, checked.problem)
    found = checked.found
    pin_hash = hash_pin(pin)
    with write_transaction():
        user = User.by_phone(found.phone)
        if not claimable(user):
            audit.record_audit("account.claim_refused", subject=audit.phone_subject(found.phone))
            return Claim(None, "none")
        if not accounts.use_code(found, now):
            return Claim(None, "used")
        accounts.code_confirmed(found, user)
        take_over(user, pin_hash, now)
    return Claim(User.get_by_id(user.id), None)


def take_over(user, pin_hash, now, detail=""):
    """Inside the caller's transaction, once the holder proved who they are
    (an SMS code, or a desk's printed code at the kiosk): their own PIN is
    set, the account marked claimed, every other session and known device forgotten."""
    User.update(pin_hash=pin_hash, claimed_at=now, session_epoch=User.session_epoch + 1).where(
        User.id == user.id
    ).execute()
    KnownDevice.delete().where(KnownDevice.user == user.id).execute()
    sessions.end_all(user)
    audit.record_audit("account.claimed", actor=user, subject=f"user:{user.id}", detail=detail)
