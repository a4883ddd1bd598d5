"""Assemblies at every level: an assembly belongs to a county, a city or a
municipal district (`area`, was `county`), may have a parent (a city's
assembly over its districts'), and may name a coordinator. An organization may
belong to several assemblies (`assembly_member`, which takes over
`organization.assembly`: each member stays a member of the assembly it was in).

The registry needs no new column: a person of the registry (`beneficiary`)
already belongs to the assembly they were recorded in, and so do the records
and services made of them; what changes is that an organization now names
the assembly it works in."""

import datetime

from peewee import *
from playhouse.migrate import SqliteMigrator


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Assembly(Model):
        class Meta:
            database = db
            table_name = 'assembly'

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    migrator.migrate(
        migrator.drop_index('assembly', 'assembly_county_id'),
        migrator.rename_column('assembly', 'county_id', 'area_id'),
        migrator.add_index('assembly', ('area_id',), True),
        migrator.add_column('assembly', 'level', CharField(
            max_length=10, default='county', constraints=[Check("level IN ('county', 'city', 'district')")])),
        migrator.add_column('assembly', 'parent_id', ForeignKeyField(
            Assembly, field=Assembly.id, null=True, on_delete='RESTRICT')),
        migrator.add_column('assembly', 'coordinator_id', ForeignKeyField(
            User, field=User.id, null=True, on_delete='SET NULL')),
        migrator.add_column('assembly', 'created_at', DateTimeField(default=datetime.datetime.utcnow)),
    )
    # An assembly made before this one was a county's, or a city's in tests and
    # demos that named a city its county: its level is its area's kind.
    db.execute_sql(
        'UPDATE "assembly" SET "level" = (SELECT "kind" FROM "area" WHERE "area"."id" = "assembly"."area_id") '
        'WHERE (SELECT "kind" FROM "area" WHERE "area"."id" = "assembly"."area_id") IN (\'city\', \'district\')'
    )

    class AssemblyMember(Model):
        assembly = ForeignKeyField(Assembly, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'assembly_member'
            indexes = ((('assembly', 'organization'), True),)

    db.create_tables([AssemblyMember])
    db.execute_sql(
        'INSERT INTO "assembly_member" ("assembly_id", "organization_id", "created_at") '
        'SELECT "assembly_id", "id", "created_at" FROM "organization" WHERE "assembly_id" IS NOT NULL'
    )
    migrator.migrate(migrator.drop_index('organization', 'organization_assembly_id'))
    if isinstance(migrator, SqliteMigrator):
        # SQLite rebuilds the table to drop a column of a foreign key, and drops
        # its triggers with it (those of the "organizations" revision, 0034):
        # they are made again as they were.
        triggers = [sql for (sql,) in db.execute_sql(
            'SELECT "sql" FROM "sqlite_master" WHERE "type" = \'trigger\' AND "tbl_name" = \'organization\''
        ).fetchall()]
        migrator.migrate(migrator.drop_column('organization', 'assembly_id', legacy=True))
        for sql in triggers:
            db.execute_sql(sql)
    else:
        migrator.migrate(migrator.drop_column('organization', 'assembly_id'))


def down(migrator, db):
    class Assembly(Model):
        class Meta:
            database = db
            table_name = 'assembly'

    migrator.migrate(
        migrator.add_column('organization', 'assembly_id', ForeignKeyField(
            Assembly, field=Assembly.id, null=True, on_delete='SET NULL')),
    )
    # One assembly each, as before: the county's if it was among them.
    db.execute_sql(
        'UPDATE "organization" SET "assembly_id" = (SELECT MIN("m"."assembly_id") FROM "assembly_member" "m" '
        'JOIN "assembly" "a" ON "a"."id" = "m"."assembly_id" '
        'WHERE "m"."organization_id" = "organization"."id" AND "a"."level" = \'county\')'
    )
    migrator.migrate(
        migrator.drop_table('assembly_member'),
        migrator.drop_index('assembly', 'assembly_coordinator_id'),
        migrator.drop_index('assembly', 'assembly_parent_id'),
        migrator.drop_column('assembly', 'created_at'),
        migrator.drop_column('assembly', 'coordinator_id'),
        migrator.drop_column('assembly', 'parent_id'),
        migrator.drop_column('assembly', 'level'),
        migrator.drop_index('assembly', 'assembly_area_id'),
        migrator.rename_column('assembly', 'area_id', 'county_id'),
        migrator.add_index('assembly', ('county_id',), True),
    )
