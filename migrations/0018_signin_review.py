"""Known devices and addresses: a browser where an account signed in before,
or the address it signed in from, skips the delay of a number under attack. Sign-up codes indexed by time alone, for the
site-wide budget and for purging old rows."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class KnownDevice(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=10, default='device', constraints=[Check("kind IN ('device', 'address')")])
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        last_used_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'known_device'

    db.create_tables([KnownDevice])
    migrator.migrate(migrator.add_index('one_time_code', ('created_at',), False))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('one_time_code', 'one_time_code_created_at'),
        migrator.drop_table('known_device'),
    )
