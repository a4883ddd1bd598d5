"""Signed-in sessions kept on the server: the cookie holds a random id, the
table only its hash."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Session(Model):
        id_hash = CharField(max_length=64, primary_key=True)
        user = ForeignKeyField(User, on_delete='CASCADE')
        data = TextField()
        user_agent = CharField(max_length=200, default='')
        created_at = DateTimeField()
        seen_at = DateTimeField()
        expires_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'session'

    db.create_tables([Session])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('session'))
