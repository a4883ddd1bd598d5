"""Registering in person: a center's desk makes an account for a neighbor
standing beside the staff member, and the neighbor (never the staff) chooses
its PIN.

- With a phone: the account is made as any account made for someone
  (`claims.register_for`, no PIN), and the desk prints a one-time claim code.
  At the center's kiosk the neighbor types their number, that code and a PIN
  of their own; or, anywhere, they claim it with an SMS code (/account/claim).
- Without a phone: the account has no number, so nobody signs in to it; the
  center's desk is the neighbor's contact (`User.contact_center`): its staff
  see the neighbor's unread notices and act for them with them there.

A claim code is kept as a hash, works for a day at that center's kiosk only,
with the person's number, five tries; a new one voids the last. The desk
hands one out also for an account an import made (a facilitator's too, whom
the staff see in person: the SMS claim refuses staff accounts). Every account
made here, every code handed out and every claim is in the audit log."""

import secrets
from collections import namedtuple

from peewee import fn

from hamsayeh.domain import access, audit, claims
from models import (
    Area,
    ClaimTicket,
    DeskRegistration,
    Notification,
    User,
    UserRole,
    hash_pin,
    made_once,
    utcnow,
    verify_pin,
    write_transaction,
)

# A hash to check a code against when the number has no code to check: the
# answer takes as long whether or not the number has one.
_NO_TICKET = hash_pin("no ticket")

# The account made, and the claim code to print (None for a neighbor without a phone).
Registered = namedtuple("Registered", "user code")
# A claim at the kiosk: the account, now the person's own, or why not ("wrong", "expired").
Claimed = namedtuple("Claimed", "user problem")


def neighborhoods_for(center):
    """The neighborhoods a desk registers people in: those of the center's
    district (or of its own area, when that is larger), by name."""
    area = center.area
    around = area.parent if area.kind == "neighborhood" and area.parent_id else area
    return list(
        Area.select()
        .where(Area.kind == "neighborhood", Area.path.startswith(around.path), Area.merged_into.is_null())
        .order_by(Area.name)
    )


def register(center, actor, form_key, name, phone, neighborhood):
    """The account of a neighbor at `center`'s desk, made once per form (a
    double submit finds the first), and for one with a phone the claim code
    to print. SignupError('phone_taken') when the number has an account."""
    code = []

    def make():
        if phone:
            user = claims.register_for(phone, name, neighborhood, "desk", actor)
            code.append(_hand_out(user, center, actor))
        else:
            user = User.create(
                phone=None, name=name, pin_hash="", neighborhood=neighborhood, origin="desk", contact_center=center
            )
            UserRole.insert(user=user, role="resident").execute()
            audit.record_audit("account.made_at_desk", actor=actor, subject=f"user:{user.id}", detail="no phone")
        return DeskRegistration.create(center=center, user=user, made_by=actor, form_key=form_key)

    registration = made_once(DeskRegistration, form_key, make)
    user = User.get_by_id(registration.user_id)
    if not code and access.may_be_claimed_in_person(user):  # the form sent again: the code shown now replaces the first
        code.append(hand_out_code(user, center, actor))
    return Registered(user, code[0] if code else None)


def hand_out_code(member, center, actor):
    """A new claim code for `member`, to use at `center`'s kiosk (the last one is void)."""
    with write_transaction():
        return _hand_out(member, center, actor)


def _hand_out(member, center, actor, now=None):
    now = now or utcnow()
    code = f"{secrets.randbelow(10**ClaimTicket.DIGITS):0{ClaimTicket.DIGITS}d}"
    ClaimTicket.update(expires_at=now).where(ClaimTicket.user == member.id, ClaimTicket.used_at.is_null()).execute()
    ClaimTicket.create(
        user=member,
        center=center,
        code_hash=hash_pin(code),
        made_by=actor,
        created_at=now,
        expires_at=now + ClaimTicket.LIFETIME,
    )
    audit.record_audit("account.claim_code", actor=actor, subject=f"user:{member.id}", detail=f"center:{center.id}")
    return code


def claim_at_kiosk(center, phone, code, pin, now=None):
    """The neighbor's own PIN on their account, when `code` is the live claim
    code handed out for their number at this center. A wrong number, no code
    and a wrong code answer alike ("wrong"); each check uses up one of the
    code's five tries first, so that guesses sent at once cannot pass the limit."""
    now = now or utcnow()
    user = User.by_phone(phone)
    ticket = None
    if user is not None:
        ticket = (
            ClaimTicket.select()
            .where(ClaimTicket.user == user, ClaimTicket.center == center, ClaimTicket.used_at.is_null())
            .order_by(ClaimTicket.id.desc())
            .first()
        )
    if ticket is None:
        verify_pin(_NO_TICKET, code)
        return Claimed(None, "wrong")
    if ticket.expires_at <= now:
        return Claimed(None, "expired")
    with write_transaction():
        tried = (
            ClaimTicket.update(tries=ClaimTicket.tries + 1)
            .where(ClaimTicket.id == ticket.id, ClaimTicket.tries < ClaimTicket.TRIES, ClaimTicket.used_at.is_null())
            .execute()
        )
    if not tried:
        return Claimed(None, "expired")
    if not verify_pin(ticket.code_hash, code):
        with write_transaction():
            audit.record_audit("account.claim_code_wrong", subject=f"user:{user.id}", detail=f"center:{center.id}")
        return Claimed(None, "wrong")
    pin_hash = hash_pin(pin)
    with write_transaction():
        user = User.get_by_id(user.id)
        used = (
            ClaimTicket.update(used_at=now).where(ClaimTicket.id == ticket.id, ClaimTicket.used_at.is_null()).execute()
        )
        if not used or not access.may_be_claimed_in_person(user):
            return Claimed(None, "expired")
        claims.take_over(user, pin_hash, now, detail=f"desk code, center:{center.id}")
    return Claimed(User.get_by_id(user.id), None)


def desk_contacts(center, page=1, size=50):
    """One page of the neighbors without a phone whose contact is this desk,
    by name, each with how many of their notices are unread; and whether more follow."""
    people = list(
        User.select()
        .where(User.contact_center == center, User.is_active)
        .order_by(User.name, User.id)
        .offset((page - 1) * size)
        .limit(size + 1)
    )
    unread = dict(
        Notification.select(Notification.user, fn.COUNT(Notification.id))
        .where(Notification.user.in_([person.id for person in people]), Notification.read_at.is_null())
        .group_by(Notification.user)
        .tuples()
    )
    return [(person, unread.get(person.id, 0)) for person in people[:size]], len(people) > size
