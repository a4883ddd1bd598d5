"""Relatives and friends whom a member lets act for them."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class TrustedHelper(Model):
        person = ForeignKeyField(User, on_delete='CASCADE')
        helper = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'trusted_helper'
            indexes = ((('person', 'helper'), True),)
            constraints = (Check('person_id <> helper_id'),)
    db.create_tables([TrustedHelper])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('trusted_helper'))
