"""The time bank: accounts of members, centers and community pools, and the
ledger of transfers; a help post's estimated length; the center where a staff
member works."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class Center(Model):
        class Meta:
            database = db
            table_name = 'center'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class HelpResponse(Model):
        class Meta:
            database = db
            table_name = 'help_response'

    migrator.migrate(
        migrator.add_column('user', 'work_center_id', ForeignKeyField(Center, null=True, on_delete='SET NULL', field=Center.id)),
        migrator.add_column('help_post', 'estimate_minutes', SmallIntegerField(default=60, constraints=[Check('estimate_minutes BETWEEN 15 AND 480')])),
    )

    class TimeAccount(Model):
        kind = CharField(max_length=10, constraints=[Check("kind IN ('member', 'center', 'pool')")])
        user = ForeignKeyField(User, null=True, unique=True, on_delete='RESTRICT')
        center = ForeignKeyField(Center, null=True, unique=True, on_delete='RESTRICT')
        area = ForeignKeyField(Area, null=True, unique=True, on_delete='RESTRICT')
        balance = IntegerField(default=0)
        floor = IntegerField(default=0, constraints=[Check('floor <= 0')])
        pool_pays = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'time_account'
            constraints = (
                Check('balance >= floor'),
                Check(
                    "(kind = 'member' AND user_id IS NOT NULL AND center_id IS NULL AND area_id IS NULL)"
                    " OR (kind = 'center' AND center_id IS NOT NULL AND user_id IS NULL AND area_id IS NULL)"
                    " OR (kind = 'pool' AND area_id IS NOT NULL AND user_id IS NULL AND center_id IS NULL)"
                ),
            )
    db.create_tables([TimeAccount])

    class TimeTransfer(Model):
        kind = CharField(max_length=10, constraints=[Check("kind IN ('help', 'manual', 'reversal')")])
        source = ForeignKeyField(TimeAccount, on_delete='RESTRICT')
        target = ForeignKeyField(TimeAccount, on_delete='RESTRICT')
        minutes = IntegerField(constraints=[Check('minutes > 0')])
        reason = CharField(max_length=300, default='')
        response = ForeignKeyField(HelpResponse, null=True, unique=True, on_delete='RESTRICT')
        reverses = ForeignKeyField('self', null=True, unique=True, on_delete='RESTRICT')
        made_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, null=True, unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'time_transfer'
            constraints = (Check('source_id <> target_id'),)
            indexes = ((('source', 'created_at'), False), (('target', 'created_at'), False))
    db.create_tables([TimeTransfer])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('time_transfer'))
    migrator.migrate(migrator.drop_table('time_account'))
    migrator.migrate(
        migrator.drop_column('help_post', 'estimate_minutes'),
        migrator.drop_column('user', 'work_center_id'),
    )
