"""Who gets SMS: how an account came to be (web, SMS, a desk, an import), when
an account made for someone was claimed by them, and each member's choice of
SMS for their events and for announcements."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('user', 'origin', CharField(
            max_length=6, default='web', constraints=[Check("origin IN ('web', 'sms', 'desk', 'import')")])),
        migrator.add_column('user', 'claimed_at', DateTimeField(null=True)),
        migrator.add_column('user', 'sms_events', BooleanField(null=True)),
        migrator.add_column('user', 'sms_announcements', BooleanField(default=False)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('user', 'sms_announcements'),
        migrator.drop_column('user', 'sms_events'),
        migrator.drop_column('user', 'claimed_at'),
        migrator.drop_column('user', 'origin'),
    )
