"""Campaigns (issue 16), drives: what the organizer received against a
pledge; and one-time codes serve one more purpose, a guest's pledge to a drive
or place at an event ("campaign").

The codes' purpose is a CHECK: PostgreSQL changes it in place; SQLite, which
cannot, copies the table into a new one (as migration 0026 did)."""

from peewee import *
from playhouse.migrate import PostgresqlMigrator

PURPOSES = "purpose IN ('sign_up', 'claim', 'ask_help', 'campaign')"
OLD_PURPOSES = "purpose IN ('sign_up', 'claim', 'ask_help')"


def tables(db, purposes):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class DrivePledge(Model):
        class Meta:
            database = db
            table_name = 'drive_pledge'

    class PledgeReceipt(Model):
        pledge = ForeignKeyField(DrivePledge, on_delete='CASCADE')
        amount = BigIntegerField(constraints=[Check('amount > 0')])
        note = CharField(max_length=200, default='')
        recorded_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'pledge_receipt'

    class OneTimeCode(Model):
        request_hash = CharField(max_length=64, unique=True)
        purpose = CharField(max_length=10, constraints=[Check(purposes)])
        phone = CharField(max_length=11)
        address_key = CharField(max_length=64)
        code_hash = CharField(max_length=200)
        tries = SmallIntegerField(default=0)
        name = CharField(max_length=80, default='')
        pin_hash = CharField(max_length=200, default='')
        neighborhood = ForeignKeyField(Area, null=True, on_delete='SET NULL')
        user = ForeignKeyField(User, null=True, on_delete='CASCADE')
        created_at = DateTimeField()
        expires_at = DateTimeField()
        payload = TextField(default='')
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'one_time_code'
            indexes = ((('phone', 'created_at'), False), (('address_key', 'created_at'), False), (('created_at',), False))

    return PledgeReceipt, OneTimeCode


def copy_into_new_table(db, model):
    """SQLite: the table again under the model's definition, its rows kept."""
    table = model._meta.table_name
    old_columns = [column.name for column in db.get_columns(table)]
    for index in db.get_indexes(table):
        if not index.name.startswith('sqlite_autoindex'):
            db.execute_sql(f'DROP INDEX "{index.name}"')
    db.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{table}_old"')
    db.create_tables([model])
    names = ', '.join(f'"{name}"' for name in old_columns)
    db.execute_sql(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{table}_old"')
    db.execute_sql(f'DROP TABLE "{table}_old"')


def replace_check(db, table, column, check):
    """PostgreSQL: the column's CHECK, replaced in place."""
    db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{table}_{column}_check"')
    db.execute_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_{column}_check" CHECK ({check})')


def up(migrator, db):
    receipts, codes = tables(db, PURPOSES)
    db.create_tables([receipts])
    if isinstance(migrator, PostgresqlMigrator):
        replace_check(db, 'one_time_code', 'purpose', PURPOSES)
    else:
        copy_into_new_table(db, codes)


def down(migrator, db):
    db.execute_sql("DELETE FROM \"one_time_code\" WHERE \"purpose\" = 'campaign'")
    receipts, codes = tables(db, OLD_PURPOSES)
    if isinstance(migrator, PostgresqlMigrator):
        replace_check(db, 'one_time_code', 'purpose', OLD_PURPOSES)
    else:
        copy_into_new_table(db, codes)
    migrator.migrate(migrator.drop_table('pledge_receipt'))
