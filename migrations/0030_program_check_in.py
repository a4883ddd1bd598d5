"""Check-in at a center's kiosk: when a member marked that they came to a program they hold a place in."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('program_signup', 'checked_in_at', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('program_signup', 'checked_in_at'),
    )
