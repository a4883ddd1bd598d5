"""Memberships by consent: a manager's invitation waits, inactive, until the
invited member accepts it (memberships made before this were given outright
and stay as they are)."""

from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('organization_member', 'invited', BooleanField(default=False)))


def down(migrator, db):
    db.execute_sql('DELETE FROM "organization_member" WHERE "invited" AND NOT "is_active"')
    migrator.migrate(migrator.drop_column('organization_member', 'invited'))
