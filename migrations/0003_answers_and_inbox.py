"""Answers to posts and where each stands; the members' inbox."""

from peewee import *


def up(migrator, db):
    class HelpPost(Model):
        class Meta:
            database = db
            table_name = 'help_post'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class HelpResponse(Model):
        post = ForeignKeyField(HelpPost, on_delete='CASCADE')
        responder = ForeignKeyField(User, on_delete='RESTRICT')
        message = CharField(max_length=300, default='')
        status = CharField(max_length=10, default='offered', constraints=[Check("status IN ('offered', 'accepted', 'declined', 'withdrawn', 'done', 'confirmed')")])
        thank_you = CharField(max_length=300, default='')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'help_response'
            indexes = ((('post', 'responder'), True),)
    db.create_tables([HelpResponse])

    class Notification(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=20)
        post = ForeignKeyField(HelpPost, null=True, on_delete='CASCADE')
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        read_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'notification'
            indexes = ((('user', 'read_at'), False),)
    db.create_tables([Notification])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('notification'))
    migrator.migrate(migrator.drop_table('help_response'))
