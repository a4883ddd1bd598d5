"""The facilitators' network: stories of a neighborhood (needs, assets,
lessons), ideas with their supports and trail, announcements with replies, and
notifications that point to an idea or an announcement."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class ActivityType(Model):
        class Meta:
            database = db
            table_name = 'activity_type'

    class HelpPost(Model):
        class Meta:
            database = db
            table_name = 'help_post'

    class Story(Model):
        neighborhood = ForeignKeyField(Area, on_delete='RESTRICT')
        kind = CharField(max_length=10, constraints=[Check("kind IN ('need', 'asset', 'lesson')")])
        title = CharField(max_length=120)
        narrative = TextField()
        for_whom = CharField(max_length=160, default='')
        how_many = IntegerField(null=True, constraints=[Check('how_many IS NULL OR how_many BETWEEN 1 AND 1000000')])
        since = DateField(null=True)
        next_time = TextField(default='')
        status = CharField(max_length=10, default='current', constraints=[Check("status IN ('current', 'resolved', 'archived')")])
        is_public = BooleanField(default=False)
        search_key = TextField(default='')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'story'
            indexes = ((('neighborhood', 'kind', 'status'), False),)

    class StoryActivity(Model):
        story = ForeignKeyField(Story, on_delete='CASCADE')
        activity_type = ForeignKeyField(ActivityType, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'story_activity'
            indexes = ((('story', 'activity_type'), True),)

    class StoryPost(Model):
        story = ForeignKeyField(Story, on_delete='CASCADE')
        post = ForeignKeyField(HelpPost, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'story_post'
            indexes = ((('story', 'post'), True),)

    class StoryAsset(Model):
        need = ForeignKeyField(Story, on_delete='CASCADE')
        asset = ForeignKeyField(Story, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'story_asset'
            indexes = ((('need', 'asset'), True),)
            constraints = (Check('need_id <> asset_id'),)

    class Idea(Model):
        neighborhood = ForeignKeyField(Area, on_delete='RESTRICT')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        title = CharField(max_length=120)
        text = TextField()
        search_key = TextField(default='')
        status = CharField(max_length=12, default='proposed', constraints=[Check(
            "status IN ('proposed', 'needs_detail', 'forwarded', 'declined', 'merged', 'planned', 'in_progress', 'done')")])
        merged_into = ForeignKeyField('self', null=True, on_delete='SET NULL')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'idea'
            indexes = ((('neighborhood', 'status', 'created_at'), False),)

    class IdeaSupport(Model):
        idea = ForeignKeyField(Idea, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'idea_support'
            indexes = ((('idea', 'user'), True),)

    class IdeaEvent(Model):
        idea = ForeignKeyField(Idea, on_delete='CASCADE')
        actor = ForeignKeyField(User, on_delete='RESTRICT')
        action = CharField(max_length=20)
        status = CharField(max_length=12)
        note = TextField(default='')
        at = DateTimeField()
        class Meta:
            database = db
            table_name = 'idea_event'

    class Announcement(Model):
        kind = CharField(max_length=12, constraints=[Check("kind IN ('announcement', 'problem')")])
        area = ForeignKeyField(Area, null=True, on_delete='RESTRICT')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        title = CharField(max_length=120)
        body = TextField()
        status = CharField(max_length=10, default='open', constraints=[Check("status IN ('open', 'answered')")])
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'announcement'
            indexes = ((('kind', 'area', 'created_at'), False), (('kind', 'status', 'created_at'), False))

    class AnnouncementReply(Model):
        announcement = ForeignKeyField(Announcement, on_delete='CASCADE')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        body = TextField()
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'announcement_reply'

    db.create_tables([Story, StoryActivity, StoryPost, StoryAsset, Idea, IdeaSupport, IdeaEvent,
                      Announcement, AnnouncementReply])
    migrator.migrate(
        migrator.add_column('notification', 'idea_id', ForeignKeyField(Idea, null=True, on_delete='CASCADE', field=Idea.id)),
        migrator.add_column('notification', 'announcement_id',
                            ForeignKeyField(Announcement, null=True, on_delete='CASCADE', field=Announcement.id)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('notification', 'announcement_id'),
        migrator.drop_column('notification', 'idea_id'),
    )
    for table in ('announcement_reply', 'announcement', 'idea_event', 'idea_support', 'idea',
                  'story_asset', 'story_post', 'story_activity', 'story'):
        migrator.migrate(migrator.drop_table(table))
