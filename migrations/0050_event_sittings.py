"""Campaigns (issue 16), events: an event campaign's sittings (an iftar
table: a place, a day and time, its places) and members' places at them,
one per person; `taken` counts them within the places (a CHECK). Also the
year's occasions for Jalali 1405 and 1406 (hamsayeh.domain.occasions holds
the calendar and its sources; loading it again adds nothing)."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Campaign(Model):
        class Meta:
            database = db
            table_name = 'campaign'

    class EventSitting(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        place = CharField(max_length=200)
        starts_at = DateTimeField()
        capacity = SmallIntegerField(constraints=[Check('capacity BETWEEN 1 AND 5000')])
        taken = SmallIntegerField(default=0)
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'event_sitting'
            indexes = ((('campaign', 'starts_at'), False),)
            constraints = (Check('taken BETWEEN 0 AND capacity'),)

    class SittingSignup(Model):
        sitting = ForeignKeyField(EventSitting, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        status = CharField(max_length=10, constraints=[Check("status IN ('confirmed', 'cancelled')")])
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'sitting_signup'
            indexes = ((('sitting', 'user'), True),)

    db.create_tables([EventSitting, SittingSignup])

    class Occasion(Model):
        key = CharField(max_length=24)
        name = CharField(max_length=80)
        name_en = CharField(max_length=80, default='')
        starts_on = DateField()
        ends_on = DateField()

        class Meta:
            database = db
            table_name = 'occasion'

    # The calendar's data only (plain tuples); the rows written with this table as it is now.
    from hamsayeh import persian
    from hamsayeh.domain.occasions import CALENDAR

    rows = [
        {'key': key, 'name': persian.normalize(name), 'name_en': name_en, 'starts_on': first, 'ends_on': last}
        for key, name, name_en, first, last in CALENDAR
    ]
    Occasion.insert_many(rows).on_conflict_ignore().execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sitting_signup'), migrator.drop_table('event_sitting'))
