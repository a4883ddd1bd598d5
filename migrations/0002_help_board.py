"""The neighborhood board: Salam Mahalleh's 13 activity types, help requests
and offers, their state changes and reports."""

from peewee import *

ACTIVITY_TYPES = (
    ("education", "آموزش و کمک درسی", "Education and tutoring"),
    ("health", "سلامت", "Health"),
    ("counseling", "مشاوره", "Counseling"),
    ("elderly", "حمایت از سالمندان", "Elderly support"),
    ("children", "کودکان", "Children"),
    ("disability", "افراد دارای معلولیت", "People with disabilities"),
    ("errands", "خرید و کارهای بیرون", "Shopping and errands"),
    ("repairs", "تعمیرات خانه", "Home repairs"),
    ("transport", "همراهی و جابه‌جایی", "Escort and transport"),
    ("companionship", "دیدار و همدمی", "Visits and companionship"),
    ("paperwork", "کارهای اداری و راهنمایی حقوقی", "Paperwork and legal guidance"),
    ("food", "غذا", "Food"),
    ("other", "سایر", "Other"),
)


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
        slug = CharField(unique=True, max_length=40)
        name = CharField(max_length=80)
        name_en = CharField(max_length=80, default='')
        position = SmallIntegerField(default=0)
        is_active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'activity_type'
    db.create_tables([ActivityType])
    ActivityType.insert_many(
        [(slug, name, name_en, position) for position, (slug, name, name_en) in enumerate(ACTIVITY_TYPES)],
        fields=[ActivityType.slug, ActivityType.name, ActivityType.name_en, ActivityType.position],
    ).execute()

    class HelpPost(Model):
        kind = CharField(max_length=10, constraints=[Check("kind IN ('request', 'offer')")])
        author = ForeignKeyField(User, on_delete='RESTRICT')
        activity_type = ForeignKeyField(ActivityType, on_delete='RESTRICT')
        text = TextField()
        search_key = TextField(default='')
        urgency = SmallIntegerField(default=0, constraints=[Check('urgency BETWEEN 0 AND 2')])
        needed_on = DateField(null=True)
        time_window = SmallIntegerField(default=0, constraints=[Check('time_window BETWEEN 0 AND 3')])
        neighborhood = ForeignKeyField(Area, on_delete='RESTRICT')
        place = CharField(max_length=200, default='')
        status = CharField(max_length=10, default='open', constraints=[Check("status IN ('open', 'matched', 'done', 'cancelled')")])
        form_key = CharField(unique=True, max_length=64)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'help_post'
            indexes = ((('neighborhood', 'status', 'urgency', 'created_at'), False),)
    db.create_tables([HelpPost])

    class PostEvent(Model):
        post = ForeignKeyField(HelpPost, on_delete='CASCADE')
        actor = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        action = CharField(max_length=20)
        at = DateTimeField()
        detail = TextField(default='')
        class Meta:
            database = db
            table_name = 'post_event'
    db.create_tables([PostEvent])

    class PostReport(Model):
        post = ForeignKeyField(HelpPost, on_delete='CASCADE')
        reporter = ForeignKeyField(User, on_delete='CASCADE')
        reason = CharField(max_length=300, default='')
        at = DateTimeField()
        class Meta:
            database = db
            table_name = 'post_report'
            indexes = ((('post', 'reporter'), True),)
    db.create_tables([PostReport])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('post_report'))
    migrator.migrate(migrator.drop_table('post_event'))
    migrator.migrate(migrator.drop_table('help_post'))
    migrator.migrate(migrator.drop_table('activity_type'))
