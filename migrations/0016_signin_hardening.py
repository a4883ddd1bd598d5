"""Sign-in without lock-outs or name leaks: failures forgotten after the last
one; one-time SMS codes that confirm a sign-up; helpers who accept before they
may act (helpers named before this must accept too: they were never asked)."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class OneTimeCode(Model):
        request_hash = CharField(max_length=64, unique=True)
        purpose = CharField(max_length=10, constraints=[Check("purpose IN ('sign_up')")])
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
        class Meta:
            database = db
            table_name = 'one_time_code'
            indexes = ((('phone', 'created_at'), False), (('address_key', 'created_at'), False))

    db.create_tables([OneTimeCode])
    migrator.migrate(
        migrator.add_column('login_throttle', 'last_failure_at', DateTimeField(null=True)),
        migrator.add_column('trusted_helper', 'phone', CharField(max_length=11, default='')),
        migrator.add_column('trusted_helper', 'status', CharField(
            max_length=10, default='asked', constraints=[Check("status IN ('asked', 'accepted')")])),
        migrator.add_column('trusted_helper', 'answered_at', DateTimeField(null=True)),
        migrator.drop_not_null('trusted_helper', 'helper_id'),
    )
    db.execute_sql(
        'UPDATE "trusted_helper" SET "phone" = '
        '(SELECT "phone" FROM "user" WHERE "user"."id" = "trusted_helper"."helper_id")'
    )
    migrator.migrate(migrator.add_index('trusted_helper', ('person_id', 'phone'), True))


def down(migrator, db):
    db.execute_sql('DELETE FROM "trusted_helper" WHERE "helper_id" IS NULL')
    migrator.migrate(
        migrator.add_not_null('trusted_helper', 'helper_id'),
        migrator.drop_index('trusted_helper', 'trusted_helper_person_id_phone'),
        migrator.drop_column('trusted_helper', 'answered_at'),
        migrator.drop_column('trusted_helper', 'status'),
        migrator.drop_column('trusted_helper', 'phone'),
        migrator.drop_column('login_throttle', 'last_failure_at'),
        migrator.drop_table('one_time_code'),
    )
