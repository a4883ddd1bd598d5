"""An index for the board's version: the latest change in a set of neighborhoods."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index('help_post', ('neighborhood_id', 'updated_at'), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('help_post', 'help_post_neighborhood_id_updated_at'))
