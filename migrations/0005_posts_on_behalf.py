"""Posts filed for a neighbor without a phone or an account."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    migrator.migrate(
        migrator.add_column('help_post', 'filed_by_id', ForeignKeyField(User, null=True, on_delete='RESTRICT', field=User.id)),
        migrator.add_column('help_post', 'on_behalf_name', CharField(max_length=80, default='')),
        migrator.add_column('help_post', 'on_behalf_contact', CharField(max_length=200, default='')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('help_post', 'on_behalf_contact'),
        migrator.drop_column('help_post', 'on_behalf_name'),
        migrator.drop_column('help_post', 'filed_by_id'),
    )
