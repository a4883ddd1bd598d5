"""Campaigns (پویش, issue 16): a public goal with one organizer (a district
welfare office, an assembly or an organization), the areas it covers, a
period and an occasion. Its kind decides the rest: a distribution (rounds,
points and pickups: distributions.py), an event (campaign_events.py) or a
drive (drives.py); each reports its progress in the same shape."""

import datetime

from peewee import fn

from hamsayeh.domain import audit
from models import (
    Area,
    Assembly,
    AssemblyMember,
    Campaign,
    CampaignArea,
    DistributionPoint,
    DistributionRound,
    Nomination,
    Occasion,
    Organization,
    OrganizationMember,
    Pickup,
    WelfareOffice,
    WelfareStaff,
    made_once,
)

PURPOSE_MAX = 2000
GOAL_MAX = 10**15  # rials: more than any campaign's goal
LONGEST = datetime.timedelta(days=400)  # a campaign runs at most about a year


class CampaignError(ValueError):
    """A campaign that cannot be made as asked; `field` names the input at fault."""

    def __init__(self, field, reason):
        super().__init__(reason)
        self.field, self.reason = field, reason


# --- Who organizes -------------------------------------------------------------------


def office_staff(user, office):
    return (
        user is not None
        and WelfareStaff.select()
        .where(WelfareStaff.office == office, WelfareStaff.user == user, WelfareStaff.is_active)
        .exists()
    )


def organization_staff(user, organization, roles=OrganizationMember.STAFF):
    return (
        user is not None
        and OrganizationMember.select()
        .where(
            OrganizationMember.organization == organization,
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(roles),
        )
        .exists()
    )


def assembly_staff(user, assembly):
    """The assembly's coordinator, or a manager of one of its members."""
    if user is None:
        return False
    if assembly.coordinator_id == user.id:
        return True
    return (
        OrganizationMember.select()
        .join(AssemblyMember, on=(AssemblyMember.organization == OrganizationMember.organization))
        .where(
            AssemblyMember.assembly == assembly,
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role == "manager",
        )
        .exists()
    )


def runs(user, campaign):
    """Whether `user` is staff of the campaign's organizer (headquarters is access's)."""
    if campaign.office_id:
        return office_staff(user, campaign.office_id)
    if campaign.assembly_id:
        return assembly_staff(user, campaign.assembly)
    return organization_staff(user, campaign.organization_id)


def coordinates_assembly_of(user, campaign):
    """Whether `user` coordinates the assembly of one of the campaign's areas (of
    the area itself, of a place above it, or of a district within it): that
    assembly verifies the households nominated there, as the organizer's staff do."""
    if user is None:
        return False
    mine = list(Assembly.select(Assembly, Area).join(Area).where(Assembly.coordinator == user))
    if not mine:
        return False
    areas = areas_of(campaign)
    return any(a.area.path.startswith(c.path) or c.path.startswith(a.area.path) for a in mine for c in areas)


def organizers_of(user):
    """What `user` may organize for: ("office"|"assembly"|"organization", the row)."""
    if user is None:
        return []
    found = [
        ("office", post.office)
        for post in WelfareStaff.select(WelfareStaff, WelfareOffice)
        .join(WelfareOffice)
        .where(WelfareStaff.user == user, WelfareStaff.is_active)
    ]
    found += [("assembly", item) for item in Assembly.select().where(Assembly.coordinator == user)]
    found += [
        ("organization", member.organization)
        for member in OrganizationMember.select(OrganizationMember, Organization)
        .join(Organization)
        .where(
            OrganizationMember.user == user,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(OrganizationMember.STAFF),
        )
        .order_by(Organization.name)
    ]
    return found


def organizer_choices(user, everything=False):
    """Organizer choices as {"office-3": (kind, row), ...}; headquarters
    (`everything`) may also organize for any office or assembly."""
    choices = {f"{kind}-{row.id}": (kind, row) for kind, row in organizers_of(user)}
    if everything:
        for office in WelfareOffice.select().limit(200):
            choices.setdefault(f"office-{office.id}", ("office", office))
        for assembly in Assembly.select().order_by(Assembly.name).limit(200):
            choices.setdefault(f"assembly-{assembly.id}", ("assembly", assembly))
    return choices


def organizer_name(campaign):
    if campaign.office_id:
        return campaign.office.organization.name
    if campaign.assembly_id:
        return campaign.assembly.name
    return campaign.organization.name


# --- Making and listing --------------------------------------------------------------


def check(title, kind, area_ids, starts_on, ends_on, goal_unit, goal):
    """Every fault of a new campaign, as CampaignErrors (empty when it may be made)."""
    faults = []
    if not title:
        faults.append(CampaignError("title", "title"))
    if kind not in Campaign.KINDS:
        faults.append(CampaignError("kind", "kind"))
    if goal_unit not in Campaign.GOAL_UNITS:
        faults.append(CampaignError("goal_unit", "goal_unit"))
    if goal is None or not 0 < goal <= GOAL_MAX:
        faults.append(CampaignError("goal", "goal"))
    if starts_on is None:
        faults.append(CampaignError("starts_on", "starts_on"))
    elif ends_on is None or ends_on < starts_on or ends_on - starts_on > LONGEST:
        faults.append(CampaignError("ends_on", "ends_on"))
    if not area_ids or Area.live().where(Area.id.in_(list(area_ids))).count() != len(set(area_ids)):
        faults.append(CampaignError("areas", "areas"))
    return faults


def create(
    actor, form_key, organizer, title, purpose, kind, area_ids, starts_on, ends_on, goal_unit, goal, occasion=None
):
    """A campaign, made once per form; `organizer` is (kind, row). CampaignError when an input is wrong."""
    faults = check(title, kind, area_ids, starts_on, ends_on, goal_unit, goal)
    if faults:
        raise faults[0]
    organizer_kind, row = organizer

    def make():
        campaign = Campaign.create(
            title=title,
            purpose=purpose,
            kind=kind,
            occasion=occasion,
            starts_on=starts_on,
            ends_on=ends_on,
            goal_unit=goal_unit,
            goal=goal,
            created_by=actor,
            form_key=form_key,
            **{organizer_kind: row},
        )
        for area_id in sorted(set(area_ids)):
            CampaignArea.create(campaign=campaign, area=area_id)
        audit.record_audit(
            "campaign.created",
            actor=actor,
            subject=f"campaign:{campaign.id}",
            detail=f"{kind} {organizer_kind}:{row.id}",
        )
        return campaign

    return made_once(Campaign, form_key, make)


def get(campaign_id):
    return Campaign.get_or_none(Campaign.id == campaign_id)


def areas_of(campaign):
    return list(Area.select().join(CampaignArea).where(CampaignArea.campaign == campaign).order_by(Area.name))


def covers(campaign, area):
    """Whether `area` is one of the campaign's areas or lies within one."""
    return any(area.path.startswith(item.path) for item in areas_of(campaign))


def listing(area=None, kind=None, limit=100):
    """Campaigns (drafts not, closed ones last), newest first;
    with `area`, those covering it or covering a place within it."""
    found = Campaign.select().where(Campaign.status != "draft")
    if kind in Campaign.KINDS:
        found = found.where(Campaign.kind == kind)
    if area is not None:
        inside = Area.select(Area.id).where(Area.path.startswith(area.path))
        covering = [int(part) for part in area.path.strip("/").split("/") if part]
        found = found.where(
            Campaign.id.in_(
                CampaignArea.select(CampaignArea.campaign).where(
                    CampaignArea.area.in_(inside) | CampaignArea.area.in_(covering)
                )
            )
        )
    return list(found.order_by(Campaign.status == "closed", Campaign.starts_on.desc(), Campaign.id.desc()).limit(limit))


def occasions_near(day, limit=6):
    return list(Occasion.select().where(Occasion.ends_on >= day).order_by(Occasion.starts_on).limit(limit))


def participants(campaign):
    """The organizations taking part: the organizer, the organizations of its
    points, and those that nominated households."""
    ids = set()
    if campaign.organization_id:
        ids.add(campaign.organization_id)
    if campaign.office_id:
        ids.add(campaign.office.organization_id)
    ids |= {
        row.organization_id
        for row in DistributionPoint.select(DistributionPoint.organization).where(
            DistributionPoint.campaign == campaign, DistributionPoint.organization.is_null(False)
        )
    }
    ids |= {
        row.organization_id
        for row in Nomination.select(Nomination.organization)
        .join(DistributionRound)
        .where(DistributionRound.campaign == campaign)
        .distinct()
    }
    if campaign.assembly_id:
        ids |= {m.organization_id for m in AssemblyMember.select().where(AssemblyMember.assembly == campaign.assembly)}
    return list(Organization.select().where(Organization.id.in_(list(ids))).order_by(Organization.name)) if ids else []


def progress(campaign):
    """{done, goal, unit}: a distribution counts its pickups (households, or
    items, one a pickup; rials: the rounds' value of each pickup); an event
    and a drive report their own."""
    if campaign.kind == "event":
        from hamsayeh.domain import campaign_events

        return campaign_events.progress(campaign)
    if campaign.kind == "drive":
        from hamsayeh.domain import drives

        return drives.progress(campaign)
    pickups = Pickup.select().join(DistributionRound).where(DistributionRound.campaign == campaign)
    if campaign.goal_unit == "rials":
        done = pickups.select(fn.COALESCE(fn.SUM(DistributionRound.value), 0)).scalar()
    else:
        done = pickups.count()
    return {"done": int(done or 0), "goal": campaign.goal, "unit": campaign.goal_unit}


def percent(progress_row):
    """The share of the goal done, 0 to 100 (a bar never runs past its end)."""
    if not progress_row["goal"]:
        return 0
    return max(0, min(100, progress_row["done"] * 100 // progress_row["goal"]))


def kind_context(campaign):
    """What the kind's part of the public page shows."""
    if campaign.kind == "event":
        from hamsayeh.domain import campaign_events

        return campaign_events.public_context(campaign)
    if campaign.kind == "drive":
        from hamsayeh.domain import drives

        return drives.public_context(campaign)
    from hamsayeh.domain import distributions

    return distributions.public_context(campaign)
