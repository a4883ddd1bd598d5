"""A revision number for the reference data every page needs (the area tree and
the activity types). Triggers raise it on any write to those tables, whatever
made the write, so that a server process can keep the data in memory and ask
the database only for this one number."""

from peewee import *
from playhouse.migrate import PostgresqlMigrator

TABLES = ('area', 'activity_type')


def up(migrator, db):
    db.execute_sql('CREATE TABLE "revision" ("name" VARCHAR(40) NOT NULL PRIMARY KEY, "number" INTEGER NOT NULL)')
    db.execute_sql("INSERT INTO \"revision\" (\"name\", \"number\") VALUES ('catalog', 0)")
    if isinstance(migrator, PostgresqlMigrator):
        db.execute_sql(
            'CREATE FUNCTION bump_catalog_revision() RETURNS trigger LANGUAGE plpgsql AS $$ '
            "BEGIN UPDATE \"revision\" SET \"number\" = \"number\" + 1 WHERE \"name\" = 'catalog'; RETURN NULL; END $$"
        )
        for table in TABLES:
            db.execute_sql(
                f'CREATE TRIGGER "{table}_catalog_revision" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_revision()'
            )
    else:
        for table in TABLES:
            for event in ('INSERT', 'UPDATE', 'DELETE'):
                db.execute_sql(
                    f'CREATE TRIGGER "{table}_{event.lower()}_catalog_revision" AFTER {event} ON "{table}" '
                    "BEGIN UPDATE \"revision\" SET \"number\" = \"number\" + 1 WHERE \"name\" = 'catalog'; END"
                )


def down(migrator, db):
    if isinstance(migrator, PostgresqlMigrator):
        for table in TABLES:
            db.execute_sql(f'DROP TRIGGER "{table}_catalog_revision" ON "{table}"')
        db.execute_sql('DROP FUNCTION bump_catalog_revision()')
    else:
        for table in TABLES:
            for event in ('insert', 'update', 'delete'):
                db.execute_sql(f'DROP TRIGGER "{table}_{event}_catalog_revision"')
    db.execute_sql('DROP TABLE "revision"')
