"""Campaigns (issue 16), drives: a drive's named needs, each with its goal in
rials, and donors' pledges of money or goods toward the drive or a need
(`received` never more than pledged: a CHECK)."""

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

    class DriveNeed(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        title = CharField(max_length=160)
        about = TextField(default='')
        goal = BigIntegerField(constraints=[Check('goal BETWEEN 1 AND 1000000000000')])
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'drive_need'

    class DrivePledge(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        need = ForeignKeyField(DriveNeed, null=True, on_delete='CASCADE')
        donor = ForeignKeyField(User, on_delete='RESTRICT')
        kind = CharField(max_length=6, constraints=[Check("kind IN ('money', 'goods')")])
        amount = BigIntegerField(constraints=[Check('amount BETWEEN 1 AND 1000000000000')])
        goods = CharField(max_length=200, default='')
        public_name = CharField(max_length=80, default='')
        received = BigIntegerField(default=0)
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'drive_pledge'
            indexes = ((('campaign', 'need'), False),)
            constraints = (Check('received BETWEEN 0 AND amount'),)

    db.create_tables([DriveNeed, DrivePledge])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('drive_pledge'), migrator.drop_table('drive_need'))
