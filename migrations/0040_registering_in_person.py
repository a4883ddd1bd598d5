"""Registering in person at a center's desk: a neighbor without a phone of
their own (no number; the center's desk is their contact), and the one-time
codes a desk prints so that a neighbor chooses their own PIN at the kiosk, and
the record of each account a desk made.

On SQLite a column becomes nullable only by rebuilding its table, which drops
the table's triggers (migration 0034 keeps some on "user"): they are read
before and made again after, whichever migrations made them."""

from peewee import *
from playhouse.migrate import SqliteMigrator


def user_triggers(db):
    rows = db.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'user'")
    return [sql for (sql,) in rows.fetchall()]


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Center(Model):
        class Meta:
            database = db
            table_name = 'center'

    class ClaimTicket(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        center = ForeignKeyField(Center, on_delete='CASCADE')
        code_hash = CharField(max_length=200)
        tries = SmallIntegerField(default=0)
        made_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'claim_ticket'

    class DeskRegistration(Model):
        center = ForeignKeyField(Center, on_delete='RESTRICT')
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        made_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'desk_registration'

    triggers = user_triggers(db) if isinstance(migrator, SqliteMigrator) else []
    migrator.migrate(
        migrator.drop_not_null('user', 'phone'),
        migrator.add_column(
            'user', 'contact_center_id', ForeignKeyField(Center, null=True, on_delete='SET NULL', field=Center.id)
        ),
    )
    for sql in triggers:
        db.execute_sql(sql)
    db.create_tables([ClaimTicket, DeskRegistration])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('desk_registration'), migrator.drop_table('claim_ticket'))
    triggers = user_triggers(db) if isinstance(migrator, SqliteMigrator) else []
    migrator.migrate(
        migrator.drop_column('user', 'contact_center_id'),
        migrator.add_not_null('user', 'phone'),
    )
    for sql in triggers:
        db.execute_sql(sql)
