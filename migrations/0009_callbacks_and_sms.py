"""Call-back requests from the simple pages and SMS, and the SMS inbox and outbox."""

from peewee import *


def up(migrator, db):
    class ActivityType(Model):
        class Meta:
            database = db
            table_name = 'activity_type'

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

    class CallbackRequest(Model):
        phone = CharField(max_length=11, default='')
        name = CharField(max_length=80, default='')
        center = ForeignKeyField(Center, null=True, on_delete='SET NULL')
        neighborhood = ForeignKeyField(Area, null=True, on_delete='SET NULL')
        activity_type = ForeignKeyField(ActivityType, null=True, on_delete='SET NULL')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        source = CharField(max_length=5, default='web', constraints=[Check("source IN ('web', 'sms')")])
        status = CharField(max_length=10, default='open', constraints=[Check("status IN ('open', 'called', 'closed')")])
        form_key = CharField(max_length=64, null=True, unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'callback_request'
            constraints = (Check("phone <> '' OR (name <> '' AND center_id IS NOT NULL)"),)
            indexes = ((('status', 'created_at'), False),)
    db.create_tables([CallbackRequest])

    class SmsMessage(Model):
        direction = CharField(max_length=3, constraints=[Check("direction IN ('in', 'out')")])
        phone = CharField(max_length=11)
        body = CharField(max_length=480)
        status = CharField(max_length=10, constraints=[Check("status IN ('received', 'queued', 'sent')")])
        callback = ForeignKeyField(CallbackRequest, null=True, on_delete='SET NULL')
        gateway_id = CharField(max_length=64, null=True, unique=True)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sms_message'
            indexes = ((('direction', 'phone', 'created_at'), False), (('direction', 'status'), False))
    db.create_tables([SmsMessage])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sms_message'))
    migrator.migrate(migrator.drop_table('callback_request'))
