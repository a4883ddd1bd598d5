"""The facilitators' network: the neighborhood's record, ideas (طرح جام), announcements, headquarters' counts."""

import datetime

from peewee import JOIN, SQL, Case, fn

from hamsayeh.domain import audit, board, facilitators, inbox
from models import (
    ActivityType,
    Announcement,
    AnnouncementReply,
    Area,
    FacilitatorAssignment,
    FacilitatorProfile,
    HelpPost,
    Idea,
    IdeaEvent,
    IdeaSupport,
    Story,
    StoryActivity,
    StoryAsset,
    StoryPost,
    User,
    UserRole,
    VolunteerActivity,
    VolunteerProfile,
    made_once,
    utcnow,
    write_transaction,
)

# Who may move an idea, from which states, to which: "facilitator" is a
# facilitator of the idea's neighborhood, "hq" headquarters (administrators).
IDEA_MOVES = {
    "ask": ("facilitator", ("proposed",), "needs_detail"),
    "forward": ("facilitator", ("proposed",), "forwarded"),
    "decline": ("facilitator", ("proposed", "needs_detail"), "declined"),
    "merge": ("facilitator", ("proposed", "needs_detail"), "merged"),
    "resubmit": ("author", ("needs_detail",), "proposed"),
    "accept": ("hq", ("forwarded",), "planned"),
    "refuse": ("hq", ("forwarded",), "declined"),
    "start": ("hq", ("planned",), "in_progress"),
    "finish": ("hq", ("in_progress",), "done"),
}

# What an idea's supporters are told when it moves, by the state it moves to.
# Asking the author for detail, and the author's answer, stay between the two.
SUPPORTER_NEWS = {
    "forwarded": "idea_forwarded",
    "declined": "idea_declined",
    "merged": "idea_merged",
    "planned": "idea_planned",
    "in_progress": "idea_started",
    "done": "idea_done",
}

IDEA_AGES = (30, 90)  # days: under a month, one to three months, older


def record_story(author, form_key, activities, **fields):
    """A new story, or the one this form already made."""

    def make():
        story = Story.create(author=author, form_key=form_key, **fields)
        StoryActivity.insert_many(
            [(story.id, activity.id) for activity in activities],
            fields=[StoryActivity.story, StoryActivity.activity_type],
        ).execute()
        audit.record_audit("story.recorded", actor=author, subject=f"story:{story.id}", detail=story.kind)
        return story

    return made_once(Story, form_key, make)


def update_story(story, actor, activities, **fields):
    with write_transaction():
        Story.update(updated_at=utcnow(), **fields).where(Story.id == story.id).execute()
        StoryActivity.delete().where(StoryActivity.story == story).execute()
        StoryActivity.insert_many(
            [(story.id, activity.id) for activity in activities],
            fields=[StoryActivity.story, StoryActivity.activity_type],
        ).execute()
        audit.record_audit("story.changed", actor=actor, subject=f"story:{story.id}")


def link_story(need, other, actor, remove=False):
    """Link (or unlink) a need story to an asset story or a help-board post."""
    if isinstance(other, HelpPost):
        model, values = StoryPost, {"story": need, "post": other}
    else:
        model, values = StoryAsset, {"need": need, "asset": other}
    with write_transaction():
        if remove:
            model.delete().where(*[getattr(model, name) == value for name, value in values.items()]).execute()
        else:
            model.insert(**values).on_conflict_ignore().execute()
        Story.update(updated_at=utcnow()).where(Story.id == need.id).execute()


def stories_in(area=None, kind=None, search_key="", public_only=False):
    """Stories of the neighborhoods in `area` (None: everywhere), last changed first."""
    query = Story.select(Story, Area).join(Area)
    if area is not None:
        query = query.where(Area.path.startswith(area.path))
    if kind:
        query = query.where(Story.kind == kind)
    if search_key:
        query = query.where(Story.search_key.contains(search_key))
    if public_only:
        query = query.where(Story.is_public)
    return query.order_by(Story.updated_at.desc(), Story.id.desc())


def propose_idea(author, neighborhood, title, text, search_key, form_key):
    """A new idea (or the one this form already made); the neighborhood's
    facilitators hear of it."""

    def make():
        idea = Idea.create(
            author=author, neighborhood=neighborhood, title=title, text=text, search_key=search_key, form_key=form_key
        )
        IdeaEvent.create(idea=idea, actor=author, action="proposed", status="proposed")
        for profile in facilitators.facilitators_of(neighborhood):
            inbox.notify(profile.user_id, "idea_new", actor=author, idea=idea)
        return idea

    return made_once(Idea, form_key, make)


def support_idea(idea, user):
    """Count `user`'s support once; False when the idea no longer takes it."""
    if user.id == idea.author_id:
        return False
    with write_transaction():
        if Idea.get_by_id(idea.id).status not in Idea.OPEN:
            return False
        if IdeaSupport.select().where(IdeaSupport.idea == idea, IdeaSupport.user == user).exists():
            return False
        IdeaSupport.insert(idea=idea, user=user).on_conflict_ignore().execute()
        return True


def move_idea(idea, actor, action, note="", target=None, **changes):
    """Take `action` on the idea if it is still in a state that allows it; the
    step joins the trail, and the author and the supporters hear of it (each
    once, never whoever took it)."""
    _who, from_statuses, to_status = IDEA_MOVES[action]
    with write_transaction():
        changed = (
            Idea.update(status=to_status, updated_at=utcnow(), merged_into=target, **changes)
            .where(Idea.id == idea.id, Idea.status.in_(from_statuses))
            .execute()
        )
        if not changed:
            raise board.StateError(action)
        IdeaEvent.create(idea=idea, actor=actor, action=action, status=to_status, note=note)
        if target is not None:
            # The merged idea's supporters, and its author, now support the other.
            supporters = [row.user_id for row in idea.supports] + [idea.author_id]
            IdeaSupport.insert_many(
                [(target.id, user_id) for user_id in supporters if user_id != target.author_id],
                fields=[IdeaSupport.idea, IdeaSupport.user],
            ).on_conflict_ignore().execute()
            IdeaEvent.create(idea=target, actor=actor, action="absorbed", status=target.status, note=idea.title)
        if to_status in SUPPORTER_NEWS:
            inbox.notify_supporters(idea, SUPPORTER_NEWS[to_status], actor)
        if actor.id != idea.author_id:
            inbox.notify(idea.author_id, "idea", actor=actor, idea=idea)
        elif action == "resubmit":
            for profile in facilitators.facilitators_of(idea.neighborhood):
                inbox.notify(profile.user_id, "idea_new", actor=actor, idea=idea)


def ideas_in(area=None, statuses=None):
    """Ideas of the neighborhoods in `area` (None: everywhere), each with its
    count of `supporters`, last changed first."""
    query = (
        Idea.select(Idea, Area, fn.COUNT(IdeaSupport.id).alias("supporters"))
        .join(Area)
        .switch(Idea)
        .join(IdeaSupport, JOIN.LEFT_OUTER)
        .group_by(Idea, Area)
    )
    if area is not None:
        query = query.where(Area.path.startswith(area.path))
    if statuses:
        query = query.where(Idea.status.in_(statuses))
    return query.order_by(Idea.updated_at.desc(), Idea.id.desc())


def announce(author, area, title, body, form_key, kind="announcement"):
    """Post an announcement (it reaches every member of the area through the
    inbox), or raise a problem to headquarters; once per form."""

    def make():
        item = Announcement.create(author=author, area=area, title=title, body=body, form_key=form_key, kind=kind)
        if kind == "announcement":
            inbox.notify_area(area, "announcement", actor=author, announcement=item)
        else:
            admins = User.select(User.id).join(UserRole).where(UserRole.role == "admin", User.is_active)
            for admin in admins:
                inbox.notify(admin.id, "problem", actor=author, announcement=item)
        audit.record_audit(f"{kind}.posted", actor=author, subject=f"announcement:{item.id}")
        return item

    return made_once(Announcement, form_key, make)


def reply_to(announcement, author, body, form_key, answers=False):
    """A reply, once per form; its announcement's author hears of it. An
    answer from headquarters closes a problem."""

    def make():
        reply = AnnouncementReply.create(announcement=announcement, author=author, body=body, form_key=form_key)
        if answers:
            Announcement.update(status="answered").where(Announcement.id == announcement.id).execute()
        if author.id != announcement.author_id:
            inbox.notify(
                announcement.author_id, "answered" if answers else "reply", actor=author, announcement=announcement
            )
        return reply

    return made_once(AnnouncementReply, form_key, make)


def channel_of(area):
    """Announcements that reach members of `area`: to it, to the areas above
    it, and to everyone; newest first."""
    above = [item.id for item in area.ancestors()] + [area.id]
    return (
        Announcement.select(Announcement, User)
        .join(User)
        .where(Announcement.kind == "announcement", Announcement.area.in_(above) | Announcement.area.is_null())
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
    )


def area_overview(area):
    """What headquarters sees of an area (None: the whole country): rows of
    counts by activity type, state and age; nothing that names a person."""

    def scoped(query, field):
        if area is None:
            return query
        return query.where(field.in_(Area.select(Area.id).where(Area.path.startswith(area.path))))

    def by_activity(query, field):
        """(activity type, count) rows, in the list's order: one query."""
        rows = scoped(query, field).group_by(ActivityType.id).order_by(ActivityType.position, ActivityType.id)
        return [(row, row.count) for row in rows]

    count = fn.COUNT(SQL("*")).alias("count")
    needs = (
        ActivityType.select(ActivityType, count)
        .join(HelpPost)
        .where(HelpPost.kind == "request", HelpPost.status == "open")
    )
    volunteers = ActivityType.select(ActivityType, count).join(VolunteerActivity).join(VolunteerProfile)
    volunteers = volunteers.where(VolunteerProfile.is_active)

    def stories(kind):
        """Current stories of `kind` by activity type; those given none last (None)."""
        typed = ActivityType.select(ActivityType, count).join(StoryActivity).join(Story)
        rows = by_activity(typed.where(Story.kind == kind, Story.status == "current"), Story.neighborhood)
        untyped = Story.select().where(
            Story.kind == kind, Story.status == "current", Story.id.not_in(StoryActivity.select(StoryActivity.story))
        )
        untyped = scoped(untyped, Story.neighborhood).count()
        return rows + ([(None, untyped)] if untyped else [])

    # Ideas by state, counted in each age band: under a month, to three months, older.
    now = utcnow()
    newer, older = (now - datetime.timedelta(days=days) for days in IDEA_AGES)
    bands = (Idea.created_at >= newer, (Idea.created_at < newer) & (Idea.created_at >= older), Idea.created_at < older)
    sums = [fn.SUM(Case(None, [(band, 1)], 0)) for band in bands]
    ideas = scoped(Idea.select(Idea.status, *sums), Idea.neighborhood).group_by(Idea.status)
    idea_counts = {row[0]: [int(n or 0) for n in row[1:]] for row in ideas.tuples()}
    # Live neighborhoods only: a merged one stays in the table, empty (Area.live).
    hoods = Area.live().select(Area.id, Area.name, Area.name_en).where(Area.kind == "neighborhood")
    if area:
        hoods = hoods.where(Area.path.startswith(area.path))
    uncovered = hoods.where(Area.id.not_in(FacilitatorAssignment.select(FacilitatorAssignment.neighborhood)))
    return {
        "needs": by_activity(needs, HelpPost.neighborhood),
        "need_stories": stories("need"),
        "assets": stories("asset"),
        "volunteers": by_activity(volunteers, VolunteerProfile.neighborhood),
        "ideas": [(status, idea_counts[status]) for status in Idea.STATUSES if status in idea_counts],
        "neighborhoods": hoods.count(),
        "uncovered": uncovered.count(),
        "uncovered_sample": list(uncovered.order_by(Area.name).limit(30)),
    }


def assigned_neighborhoods(user):
    """The neighborhoods `user` serves as a facilitator, by name."""
    return (
        Area.select()
        .join(FacilitatorAssignment)
        .join(FacilitatorProfile)
        .where(FacilitatorProfile.user == user)
        .order_by(Area.name)
    )


def story_assets(story, public_only=False):
    """The asset stories linked to a need."""
    query = Story.select().join(StoryAsset, on=(StoryAsset.asset == Story.id)).where(StoryAsset.need == story)
    return query.where(Story.is_public) if public_only else query


def story_posts(story):
    """The help-board requests linked to a need, but the cancelled ones."""
    return HelpPost.select().join(StoryPost).where(StoryPost.story == story, HelpPost.status != "cancelled")


def linkable_assets(story, limit=50):
    """The current assets of a need's neighborhood, to link it to."""
    return stories_in(story.neighborhood, kind="asset").where(Story.status == "current").limit(limit)


def link_target(need, asset_id=None, post_id=None):
    """An asset story, or a help-board request, of the need's neighborhood; None if there is none such."""
    if asset_id is not None:
        return Story.get_or_none(Story.id == asset_id, Story.kind == "asset", Story.neighborhood == need.neighborhood)
    return HelpPost.get_or_none(
        HelpPost.id == (post_id or 0), HelpPost.kind == "request", HelpPost.neighborhood == need.neighborhood
    )


def has_supported(idea, user):
    return user is not None and IdeaSupport.select().where(IdeaSupport.idea == idea, IdeaSupport.user == user).exists()


def similar_ideas(idea, limit=50):
    """The other open ideas of the idea's neighborhood, newest first: what it may join."""
    return (
        Idea.select()
        .where(Idea.neighborhood == idea.neighborhood, Idea.status.in_(Idea.OPEN), Idea.id != idea.id)
        .order_by(Idea.created_at.desc())
        .limit(limit)
    )


def merge_target(idea, target_id):
    """One of the idea's similar ideas, or None."""
    return similar_ideas(idea).where(Idea.id == target_id).first()


def ideas_to_review(facilitator, limit=100):
    """The ideas of a facilitator's neighborhoods waiting for them."""
    mine = (
        FacilitatorAssignment.select(FacilitatorAssignment.neighborhood)
        .join(FacilitatorProfile)
        .where(FacilitatorProfile.user == facilitator)
    )
    return ideas_in(statuses=("proposed", "needs_detail")).where(Idea.neighborhood.in_(mine)).limit(limit)


def announcements_to_everyone():
    """Announcements to the whole country, newest first."""
    return (
        Announcement.select(Announcement, User)
        .join(User)
        .where(Announcement.kind == "announcement", Announcement.area.is_null())
        .order_by(Announcement.created_at.desc())
    )


def replies_to(announcement):
    return (
        AnnouncementReply.select(AnnouncementReply, User)
        .join(User)
        .where(AnnouncementReply.announcement == announcement)
        .order_by(AnnouncementReply.id)
    )


def problems_of(neighborhoods=None, limit=100):
    """Problems raised to headquarters, open ones first: of `neighborhoods`, or everywhere (None)."""
    query = Announcement.select(Announcement, User).join(User).where(Announcement.kind == "problem")
    if neighborhoods is not None:
        query = query.where(Announcement.area.in_([hood.id for hood in neighborhoods]))
    return query.order_by(Announcement.status.desc(), Announcement.created_at.desc()).limit(limit)
