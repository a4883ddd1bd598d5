"""SMS both ways: the outbox knows whom and what a message is about (each event
once), holds messages until morning, and follows a message from the worker's
claim to the provider's delivery report; one-time codes serve more purposes
than the sign-up (claiming an account, a guest's request for help).

Both tables get new values in a CHECK: PostgreSQL changes the constraint in
place; SQLite, which cannot, copies the table into a new one."""

import datetime

from peewee import *
from playhouse.migrate import PostgresqlMigrator

SMS_STATUSES = "status IN ('received', 'queued', 'sending', 'sent', 'delivered', 'failed')"
OLD_SMS_STATUSES = "status IN ('received', 'queued', 'sent')"
PURPOSES = "purpose IN ('sign_up', 'claim', 'ask_help')"
OLD_PURPOSES = "purpose IN ('sign_up')"


def tables(db, sms_statuses, purposes, new_columns):
    """The two tables as a migration names them (the new columns only when asked)."""

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class HelpPost(Model):
        class Meta:
            database = db
            table_name = 'help_post'

    class CallbackRequest(Model):
        class Meta:
            database = db
            table_name = 'callback_request'

    class SmsMessage(Model):
        direction = CharField(max_length=3, constraints=[Check("direction IN ('in', 'out')")])
        phone = CharField(max_length=11)
        body = CharField(max_length=480)
        status = CharField(max_length=10, constraints=[Check(sms_statuses)])
        callback = ForeignKeyField(CallbackRequest, null=True, on_delete='SET NULL')
        gateway_id = CharField(max_length=64, null=True, unique=True)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        if new_columns:
            user = ForeignKeyField(User, null=True, on_delete='SET NULL')
            post = ForeignKeyField(HelpPost, null=True, on_delete='SET NULL')
            event_key = CharField(max_length=80, null=True, unique=True)
            send_after = DateTimeField(default=datetime.datetime.utcnow)
            attempts = SmallIntegerField(default=0)
            claimed_at = DateTimeField(null=True)
            provider_id = CharField(max_length=40, null=True, index=True)
            reported_at = DateTimeField(null=True)
            error = CharField(max_length=200, default='')

        class Meta:
            database = db
            table_name = 'sms_message'
            indexes = (
                ((('direction', 'phone', 'created_at'), False), (('direction', 'status', 'send_after'), False),
                 (('post', 'user'), False))
                if new_columns else
                ((('direction', 'phone', 'created_at'), False), (('direction', 'status'), False))
            )

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
        if new_columns:
            payload = TextField(default='')
            used_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'one_time_code'
            indexes = ((('phone', 'created_at'), False), (('address_key', 'created_at'), False), (('created_at',), False))

    return SmsMessage, OneTimeCode


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
    sms, codes = tables(db, SMS_STATUSES, PURPOSES, new_columns=True)
    if not isinstance(migrator, PostgresqlMigrator):
        # Queued and received rows are kept; the new columns take their defaults.
        copy_into_new_table(db, sms)
        copy_into_new_table(db, codes)
        db.execute_sql('UPDATE "sms_message" SET "send_after" = "created_at"')
        return
    replace_check(db, 'sms_message', 'status', SMS_STATUSES)
    replace_check(db, 'one_time_code', 'purpose', PURPOSES)
    user, post = sms.user.rel_model, sms.post.rel_model
    migrator.migrate(
        migrator.add_column('sms_message', 'user_id', ForeignKeyField(user, null=True, on_delete='SET NULL', field=user.id)),
        migrator.add_column('sms_message', 'post_id', ForeignKeyField(post, null=True, on_delete='SET NULL', field=post.id)),
        migrator.add_column('sms_message', 'event_key', CharField(max_length=80, null=True, unique=True)),
        migrator.add_column('sms_message', 'send_after', DateTimeField(default=datetime.datetime.utcnow)),
        migrator.add_column('sms_message', 'attempts', SmallIntegerField(default=0)),
        migrator.add_column('sms_message', 'claimed_at', DateTimeField(null=True)),
        migrator.add_column('sms_message', 'provider_id', CharField(max_length=40, null=True, index=True)),
        migrator.add_column('sms_message', 'reported_at', DateTimeField(null=True)),
        migrator.add_column('sms_message', 'error', CharField(max_length=200, default='')),
        migrator.add_column('one_time_code', 'payload', TextField(default='')),
        migrator.add_column('one_time_code', 'used_at', DateTimeField(null=True)),
        migrator.drop_index('sms_message', 'smsmessage_direction_status'),
        migrator.add_index('sms_message', ('direction', 'status', 'send_after'), False),
        migrator.add_index('sms_message', ('post_id', 'user_id'), False),
    )
    db.execute_sql('UPDATE "sms_message" SET "send_after" = "created_at"')


def down(migrator, db):
    db.execute_sql("UPDATE \"sms_message\" SET \"status\" = 'sent' WHERE \"status\" IN ('sending', 'delivered', 'failed')")
    db.execute_sql("DELETE FROM \"one_time_code\" WHERE \"purpose\" <> 'sign_up'")
    sms, codes = tables(db, OLD_SMS_STATUSES, OLD_PURPOSES, new_columns=False)
    if not isinstance(migrator, PostgresqlMigrator):
        copy_into_new_table(db, sms)
        copy_into_new_table(db, codes)
        return
    migrator.migrate(
        migrator.drop_index('sms_message', 'sms_message_post_id_user_id'),
        migrator.drop_index('sms_message', 'sms_message_direction_status_send_after'),
        migrator.add_index('sms_message', ('direction', 'status'), False),
        *(migrator.drop_column('sms_message', name)
          for name in ('user_id', 'post_id', 'event_key', 'send_after', 'attempts', 'claimed_at', 'provider_id',
                       'reported_at', 'error')),
        migrator.drop_column('one_time_code', 'payload'),
        migrator.drop_column('one_time_code', 'used_at'),
    )
    replace_check(db, 'sms_message', 'status', OLD_SMS_STATUSES)
    replace_check(db, 'one_time_code', 'purpose', OLD_PURPOSES)
