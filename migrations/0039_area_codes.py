"""An optional official code on each area (the census's, or headquarters'
own), unique where given: an import finds an area by it as well as by its
path of names."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('area', 'code', CharField(max_length=20, null=True)),
        migrator.add_index('area', ('code',), True),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('area', 'area_code'),
        migrator.drop_column('area', 'code'),
    )
