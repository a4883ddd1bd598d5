"""Crisis mode for an area (issue 22): a crisis declared for a county, a city
or a district and the areas it hit; volunteers asked and their answers; teams
and their check-ins; shelters, kitchens and collection points with their
stocks; offers from groups outside; what changed; the lesson log. The crisis
and its areas raise the catalog's revision (0007), so every process knows the
active crises at once. Five kinds of need that the board and the simple pages
offer only in a crisis are activity types kept inactive (never listed)."""

from peewee import *
from playhouse.migrate import PostgresqlMigrator

CRISIS_TYPES = (
    ('crisis-shelter', 'سرپناه', 'Shelter'),
    ('crisis-water', 'آب', 'Water'),
    ('crisis-medicine', 'دارو', 'Medicine'),
    ('crisis-evacuation', 'کمک برای تخلیه', 'Evacuation help'),
    ('crisis-missing', 'جست‌وجوی یک نفر', 'Looking for a person'),
)
TABLES = ('crisis', 'crisis_area')


def one_of(column, values):
    return Check("{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values)))


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Crisis(Model):
        KINDS = ("flood", "earthquake", "fire", "epidemic", "cold_wave", "other")
        TEXT_MAX = 300

        kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
        area = ForeignKeyField(Area, backref="crises", on_delete="RESTRICT")
        what_to_do = CharField(max_length=300)
        where_to_go = CharField(max_length=300)
        started_on = DateField()
        declared_by = ForeignKeyField(User, on_delete="RESTRICT")
        declared_at = DateTimeField()
        ended_at = DateTimeField(null=True)
        ended_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        form_key = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = 'crisis'

    class CrisisArea(Model):
        crisis = ForeignKeyField(Crisis, backref="areas_hit", on_delete="CASCADE")
        area = ForeignKeyField(Area, on_delete="RESTRICT")

        class Meta:
            database = db
            table_name = 'crisis_area'
            indexes = ((("crisis", "area"), True),)

    class CrisisCall(Model):
        STATUSES = ("asked", "ready", "cannot")
        CHANNELS = ("", "web", "sms")

        crisis = ForeignKeyField(Crisis, backref="calls", on_delete="CASCADE")
        user = ForeignKeyField(User, backref="crisis_calls", on_delete="CASCADE")
        distance = SmallIntegerField(default=0)
        status = CharField(max_length=6, default="asked", constraints=[one_of("status", STATUSES)])
        answered_via = CharField(max_length=3, default="", constraints=[one_of("answered_via", CHANNELS)])
        asked_at = DateTimeField()
        answered_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'crisis_call'
            indexes = ((("crisis", "user"), True), (("user", "status"), False), (("crisis", "status"), False))

    class CrisisPlace(Model):
        KINDS = ("shelter", "kitchen", "collection")
        NAME_MAX, ADDRESS_MAX = 120, 200

        crisis = ForeignKeyField(Crisis, backref="places", on_delete="CASCADE")
        kind = CharField(max_length=10, constraints=[one_of("kind", KINDS)])
        name = CharField(max_length=120)
        address = CharField(max_length=200, default="")
        capacity = IntegerField(default=0, constraints=[Check("capacity BETWEEN 0 AND 100000")])
        occupied = IntegerField(default=0, constraints=[Check("occupied >= 0 AND occupied <= capacity")])
        keeper = ForeignKeyField(User, null=True, on_delete="SET NULL")
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'crisis_place'
            indexes = ((("crisis", "name"), True),)

    class CrisisStock(Model):
        ITEMS = ("water", "food", "blankets", "medicine", "clothing", "hygiene")

        place = ForeignKeyField(CrisisPlace, backref="stocks", on_delete="CASCADE")
        item = CharField(max_length=10, constraints=[one_of("item", ITEMS)])
        have = IntegerField(default=0, constraints=[Check("have BETWEEN 0 AND 1000000")])
        wanted = IntegerField(default=0, constraints=[Check("wanted BETWEEN 0 AND 1000000")])
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'crisis_stock'
            indexes = ((("place", "item"), True),)

    class CrisisTeam(Model):
        NAME_MAX, TASK_MAX = 80, 200

        crisis = ForeignKeyField(Crisis, backref="teams", on_delete="CASCADE")
        name = CharField(max_length=80)
        task = CharField(max_length=200, default="")
        place = ForeignKeyField(CrisisPlace, null=True, backref="teams", on_delete="SET NULL")
        created_by = ForeignKeyField(User, on_delete="RESTRICT")
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = 'crisis_team'


    class CrisisTeamMember(Model):
        team = ForeignKeyField(CrisisTeam, backref="members", on_delete="CASCADE")
        call = ForeignKeyField(CrisisCall, unique=True, backref="team_places", on_delete="CASCADE")
        checked_in_at = DateTimeField(null=True)
        checked_out_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'crisis_team_member'
            indexes = ((("call",), True),)
            constraints = (Check("checked_out_at IS NULL OR checked_in_at IS NOT NULL"),)

    class CrisisOffer(Model):
        STATUSES = ("offered", "accepted", "declined")
        TEXT_MAX = 300

        crisis = ForeignKeyField(Crisis, backref="offers", on_delete="CASCADE")
        group_name = CharField(max_length=160)
        contact = CharField(max_length=80)
        item = CharField(max_length=10, default="", constraints=[one_of("item", ("", *CrisisStock.ITEMS))])
        quantity = IntegerField(default=0, constraints=[Check("quantity BETWEEN 0 AND 1000000")])
        what = CharField(max_length=300)
        status = CharField(max_length=8, default="offered", constraints=[one_of("status", STATUSES)])
        place = ForeignKeyField(CrisisPlace, null=True, on_delete="SET NULL")
        offered_by = ForeignKeyField(User, on_delete="RESTRICT")
        decided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = 'crisis_offer'


    class CrisisEvent(Model):
        crisis = ForeignKeyField(Crisis, backref="events", on_delete="CASCADE")
        actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
        action = CharField(max_length=20)
        detail = CharField(max_length=200, default="")
        at = DateTimeField()

        class Meta:
            database = db
            table_name = 'crisis_event'
            indexes = ((("crisis", "at"), False),)

    class CrisisLesson(Model):
        crisis = ForeignKeyField(Crisis, backref="lessons", on_delete="CASCADE")
        title = CharField(max_length=120)
        narrative = TextField()
        next_time = TextField(default="")
        author = ForeignKeyField(User, on_delete="RESTRICT")
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = 'crisis_lesson'



    db.create_tables([Crisis, CrisisArea, CrisisCall, CrisisPlace, CrisisStock, CrisisTeam, CrisisTeamMember, CrisisOffer, CrisisEvent, CrisisLesson])

    db.execute_sql('CREATE UNIQUE INDEX "crisis_active_area" ON "crisis" ("area_id") WHERE "ended_at" IS NULL')
    class ActivityType(Model):
        slug = CharField(unique=True, max_length=40)
        name = CharField(max_length=80)
        name_en = CharField(max_length=80, default='')
        position = SmallIntegerField(default=0)
        is_active = BooleanField(default=True)

        class Meta:
            database = db
            table_name = 'activity_type'

    ActivityType.insert_many(
        [(slug, name, name_en, 100 + position, False) for position, (slug, name, name_en) in enumerate(CRISIS_TYPES)],
        fields=[ActivityType.slug, ActivityType.name, ActivityType.name_en, ActivityType.position, ActivityType.is_active],
    ).execute()
    bump = "UPDATE \"revision\" SET \"number\" = \"number\" + 1 WHERE \"name\" = 'catalog';"
    if isinstance(migrator, PostgresqlMigrator):
        for table in TABLES:
            db.execute_sql(
                f'CREATE TRIGGER "{table}_catalog_revision" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_revision()'
            )
    else:
        for table in TABLES:
            for event in ('INSERT', 'UPDATE', 'DELETE'):
                db.execute_sql(
                    f'CREATE TRIGGER "{table}_{event.lower()}_catalog_revision" AFTER {event} ON "{table}" '
                    f'BEGIN {bump} END'
                )


def down(migrator, db):
    if isinstance(migrator, PostgresqlMigrator):
        for table in TABLES:
            db.execute_sql(f'DROP TRIGGER "{table}_catalog_revision" ON "{table}"')
    else:
        for table in TABLES:
            for event in ('insert', 'update', 'delete'):
                db.execute_sql(f'DROP TRIGGER "{table}_{event}_catalog_revision"')
    for table in (
        'crisis_lesson', 'crisis_event', 'crisis_offer', 'crisis_team_member', 'crisis_team', 'crisis_stock',
        'crisis_place', 'crisis_call', 'crisis_area', 'crisis',
    ):
        db.execute_sql(f'DROP TABLE "{table}"')
    db.execute_sql("DELETE FROM \"activity_type\" WHERE \"slug\" LIKE 'crisis-%'")
