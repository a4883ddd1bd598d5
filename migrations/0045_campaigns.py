"""Campaigns (issue 16): the year's occasions (one row per year, as lunar ones
move), and campaigns of three kinds (a distribution, an event, a drive) with
one organizer (a district welfare office, an assembly or an organization),
a Jalali period, a goal, and the areas they cover."""

from peewee import *

ORGANIZER_IS_ONE = (
    "(CASE WHEN office_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN assembly_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN organization_id IS NULL THEN 0 ELSE 1 END) = 1"
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

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    class Assembly(Model):
        class Meta:
            database = db
            table_name = 'assembly'

    class WelfareOffice(Model):
        class Meta:
            database = db
            table_name = 'welfare_office'

    class Occasion(Model):
        key = CharField(max_length=24)
        name = CharField(max_length=80)
        name_en = CharField(max_length=80, default='')
        starts_on = DateField()
        ends_on = DateField()

        class Meta:
            database = db
            table_name = 'occasion'
            indexes = ((('key', 'starts_on'), True),)
            constraints = (Check('ends_on >= starts_on'),)

    class Campaign(Model):
        title = CharField(max_length=160)
        purpose = TextField(default='')
        kind = CharField(max_length=12, constraints=[Check("kind IN ('distribution', 'event', 'drive')")])
        office = ForeignKeyField(WelfareOffice, null=True, on_delete='RESTRICT')
        assembly = ForeignKeyField(Assembly, null=True, on_delete='RESTRICT')
        organization = ForeignKeyField(Organization, null=True, on_delete='RESTRICT')
        occasion = ForeignKeyField(Occasion, null=True, on_delete='SET NULL')
        starts_on = DateField()
        ends_on = DateField()
        goal_unit = CharField(max_length=10, constraints=[Check("goal_unit IN ('households', 'items', 'rials')")])
        goal = BigIntegerField(constraints=[Check('goal > 0')])
        status = CharField(max_length=8, default='open', constraints=[Check("status IN ('draft', 'open', 'closed')")])
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = 'campaign'
            indexes = ((('starts_on', 'ends_on'), False),)
            constraints = (Check('ends_on >= starts_on'), Check(ORGANIZER_IS_ONE))

    class CampaignArea(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        area = ForeignKeyField(Area, on_delete='RESTRICT')

        class Meta:
            database = db
            table_name = 'campaign_area'
            indexes = ((('campaign', 'area'), True),)

    db.create_tables([Occasion, Campaign, CampaignArea])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('campaign_area'),
        migrator.drop_table('campaign'),
        migrator.drop_table('occasion'),
    )
