"""Certificates of volunteer hours (گواهی ساعت‌های خدمت داوطلبانه).

A certificate states, for one person and a period: the hours the time bank
paid them for helping neighbors (and how many helps), the hours centers
thanked them with for helping at their programs, and how many programs they
held a place in. The figures are counted once, when it is issued, and kept
as printed; its QR code opens a public page that shows them again, so a
changed figure on paper shows.

The page's address holds a token that no one can guess or derive from the
database: an HMAC, under the site's key, of a random salt kept in the row.
The row keeps the token's SHA-256 (to find it) but never the token. So a
copy of the database alone gives no certificate's address (and, the hash
being of 128 random bits, none can be found from it), the key alone gives
none either, and an address changed by one letter finds nothing. The page
shows the holder's name as printed, the hours, the period and the issuing
center: no phone, no account, no neighborhood."""

import base64
import datetime
import hashlib
import hmac
import re
import secrets

import jdatetime
from peewee import JOIN, fn

from hamsayeh import persian
from hamsayeh.domain import audit, centers
from models import (
    Certificate,
    Program,
    ProgramSignup,
    TimeAccount,
    TimeTransfer,
    VolunteerProfile,
    made_once,
    utcnow,
)

TOKEN_BYTES = 16  # 128 bits: no one walks or guesses them
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
KEY_PURPOSE = b"hamsayeh certificate token:"
LISTED = 20  # certificates of one person listed on their page


class NothingToCertify(ValueError):
    """No hours and no program in the period."""


class UnknownPeriod(ValueError):
    """A period that is not one of `periods`."""


# --- Tokens -------------------------------------------------------------------------------


def _token(salt, key):
    digest = hmac.new(key.encode(), KEY_PURPOSE + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).rstrip(b"=").decode()


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def certificate_token(certificate, key):
    """The token printed in the certificate's QR code; None when the site's
    key has changed since it was issued (it can no longer be printed again,
    though the copies already printed still open their page)."""
    token = _token(certificate.salt, key)
    return token if hmac.compare_digest(token_hash(token), certificate.token_hash) else None


def certificate_by_token(token):
    """The certificate whose QR code holds `token`; None for anything else."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    return Certificate.get_or_none(Certificate.token_hash == token_hash(token))


# --- Periods and the figures ----------------------------------------------------------------


def _tehran_day(moment):
    return persian.tehran_time(moment).date()


def _moment(day):
    """The first moment of a Gregorian `day` in Tehran, in the naive UTC the database keeps."""
    local = datetime.datetime.combine(day, datetime.time(), tzinfo=persian.TEHRAN)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def periods(holder, now=None):
    """The periods a certificate may cover, as (value, first day, last day):
    everything since the member joined, then each Jalali year since, newest
    first; a period that has not ended yet ends today."""
    today = _tehran_day(now or utcnow())
    joined = min(_tehran_day(holder.created_at), today)
    found = [("all", joined, today)]
    year = jdatetime.date.fromgregorian(date=today).year
    while True:
        first = jdatetime.date(year, 1, 1).togregorian()
        last = jdatetime.date(year + 1, 1, 1).togregorian() - datetime.timedelta(days=1)
        found.append((str(year), max(first, joined), min(last, today)))
        if first <= joined:
            return found
        year -= 1


def _not_reversed():
    reversed_ids = TimeTransfer.select(TimeTransfer.reverses).where(TimeTransfer.reverses.is_null(False))
    return TimeTransfer.id.not_in(reversed_ids)


def hours_served(holder, first_day, last_day, now=None):
    """What a certificate of `holder` for the days `first_day` to `last_day`
    (in Tehran, both included) states: {help_minutes, helps, program_minutes,
    programs}. A payment that was reversed does not count."""
    start, end = _moment(first_day), _moment(last_day + datetime.timedelta(days=1))
    account = TimeAccount.get_or_none(TimeAccount.user == holder)
    figures = {"help_minutes": 0, "helps": 0, "program_minutes": 0}
    if account is not None:
        received = TimeTransfer.select(fn.COALESCE(fn.SUM(TimeTransfer.minutes), 0), fn.COUNT(TimeTransfer.id)).where(
            TimeTransfer.target == account,
            TimeTransfer.created_at >= start,
            TimeTransfer.created_at < end,
            _not_reversed(),
        )
        minutes, count = received.where(TimeTransfer.kind == "help").tuples().get()
        figures.update(help_minutes=minutes, helps=count)
        # A center's own account thanks the volunteers of its programs.
        source = TimeAccount.alias()
        thanked = (
            received.join(source, JOIN.INNER, on=(TimeTransfer.source == source.id))
            .where(TimeTransfer.kind == "manual", source.kind == "center")
            .tuples()
            .get()
        )
        figures["program_minutes"] = thanked[0]
    figures["programs"] = (
        ProgramSignup.select()
        .join(Program)
        .where(
            ProgramSignup.user == holder,
            ProgramSignup.status == "confirmed",
            Program.status == "scheduled",
            Program.starts_at >= start,
            Program.starts_at < min(end, now or utcnow()),
        )
        .count()
    )
    return figures


# --- Issuing ----------------------------------------------------------------------------------


def issuing_center(holder, issuer):
    """The center a certificate is issued by: the issuer's own when a center's
    staff print it for a member; when holders print their own, the center
    where they serve as a volunteer, else their home center (None when they
    have neither: the certificate is then the network's)."""
    if issuer.id != holder.id and issuer.work_center_id is not None:
        return issuer.work_center
    profile = VolunteerProfile.get_or_none(VolunteerProfile.user == holder)
    if profile is not None and profile.center_id is not None:
        return profile.center
    return centers.home_center(holder)


def issue_certificate(holder, issuer, period, form_key, key):
    """A certificate of `holder`'s hours over `period` (a value of `periods`),
    issued by `issuer` in the name of `issuing_center`, made once per form: a
    double submit finds the first. Raises UnknownPeriod for a period not
    offered, NothingToCertify when it holds no hours and no program."""
    found = next((item for item in periods(holder) if item[0] == period), None)
    if found is None:
        raise UnknownPeriod(period)
    _value, first_day, last_day = found
    center = issuing_center(holder, issuer)

    def make():
        figures = hours_served(holder, first_day, last_day)
        if not any(figures.values()):
            raise NothingToCertify()
        salt = secrets.token_hex(16)
        item = Certificate.create(
            holder=holder,
            holder_name=holder.name,
            center=center,
            center_name=center.name if center else "",
            center_name_en=center.name_en if center else "",
            period_start=first_day,
            period_end=last_day,
            salt=salt,
            token_hash=token_hash(_token(salt, key)),
            issued_by=issuer,
            form_key=form_key,
            **figures,
        )
        audit.record_audit(
            "certificate.issued", actor=issuer, subject=f"certificate:{item.id}", detail=f"user:{holder.id}"
        )
        return item

    return made_once(Certificate, form_key, make)


def certificates_of(holder):
    """The person's certificates, newest first."""
    return list(
        Certificate.select()
        .where(Certificate.holder == holder)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(LISTED)
    )


def hours_by_period(holder, viewer):
    """Each period a certificate of `holder` may cover, with what it would
    state: (value, first day, last day, figures). Staff looking at a member's
    hours is audited, as a look at their time account is."""
    if viewer.id != holder.id:
        audit.audit("certificate.hours_viewed", actor=viewer, subject=f"user:{holder.id}")
    return [(value, first, last, hours_served(holder, first, last)) for value, first, last in periods(holder)]
