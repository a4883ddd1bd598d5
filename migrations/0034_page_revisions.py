"""Two more revision numbers, raised by triggers like the catalog's (0007), so
that every server process may keep a rendered page and ask the database only
whether it is still current:
- "organizations": any write to the organization table (the directory);
- "centers": any write to the center or program tables, and to a member who
  works at a center (a center's page lists its staff by name).
A member's row changes often (a PIN, a preference, a new session epoch): only
the columns a center's page shows, of its staff, raise the number."""

from playhouse.migrate import PostgresqlMigrator

REVISIONS = {'organizations': ('organization',), 'centers': ('center', 'program')}
STAFF_COLUMNS = '"name", "is_active", "work_center_id"'
# Each event's condition: the row is (or was) a center's staff member.
STAFF_EVENTS = {
    'INSERT': 'NEW."work_center_id" IS NOT NULL',
    f'UPDATE OF {STAFF_COLUMNS}': 'OLD."work_center_id" IS NOT NULL OR NEW."work_center_id" IS NOT NULL',
    'DELETE': 'OLD."work_center_id" IS NOT NULL',
}


def bump(name):
    return f'UPDATE "revision" SET "number" = "number" + 1 WHERE "name" = \'{name}\';'


def up(migrator, db):
    for name in REVISIONS:
        db.execute_sql(f'INSERT INTO "revision" ("name", "number") VALUES (\'{name}\', 0)')
    if isinstance(migrator, PostgresqlMigrator):
        for name, tables in REVISIONS.items():
            db.execute_sql(
                f'CREATE FUNCTION bump_{name}_revision() RETURNS trigger LANGUAGE plpgsql AS $$ '
                f'BEGIN {bump(name)} RETURN NULL; END $$'
            )
            for table in tables:
                db.execute_sql(
                    f'CREATE TRIGGER "{table}_{name}_revision" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                    f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION bump_{name}_revision()'
                )
        for index, (event, condition) in enumerate(STAFF_EVENTS.items()):
            db.execute_sql(
                f'CREATE TRIGGER "user_{index}_centers_revision" AFTER {event} ON "user" '
                f'FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION bump_centers_revision()'
            )
        db.execute_sql(
            'CREATE TRIGGER "user_truncate_centers_revision" AFTER TRUNCATE ON "user" '
            'FOR EACH STATEMENT EXECUTE FUNCTION bump_centers_revision()'
        )
    else:
        for name, tables in REVISIONS.items():
            for table in tables:
                for event in ('INSERT', 'UPDATE', 'DELETE'):
                    db.execute_sql(
                        f'CREATE TRIGGER "{table}_{event.lower()}_{name}_revision" AFTER {event} ON "{table}" '
                        f'BEGIN {bump(name)} END'
                    )
        for index, (event, condition) in enumerate(STAFF_EVENTS.items()):
            db.execute_sql(
                f'CREATE TRIGGER "user_{index}_centers_revision" AFTER {event} ON "user" '
                f'FOR EACH ROW WHEN {condition} BEGIN {bump("centers")} END'
            )


def down(migrator, db):
    if isinstance(migrator, PostgresqlMigrator):
        for name, tables in REVISIONS.items():
            for table in tables:
                db.execute_sql(f'DROP TRIGGER "{table}_{name}_revision" ON "{table}"')
        for index in range(len(STAFF_EVENTS)):
            db.execute_sql(f'DROP TRIGGER "user_{index}_centers_revision" ON "user"')
        db.execute_sql('DROP TRIGGER "user_truncate_centers_revision" ON "user"')
        for name in REVISIONS:
            db.execute_sql(f'DROP FUNCTION bump_{name}_revision()')
    else:
        for name, tables in REVISIONS.items():
            for table in tables:
                for event in ('insert', 'update', 'delete'):
                    db.execute_sql(f'DROP TRIGGER "{table}_{event}_{name}_revision"')
        for index in range(len(STAFF_EVENTS)):
            db.execute_sql(f'DROP TRIGGER "user_{index}_centers_revision"')
    db.execute_sql('DELETE FROM "revision" WHERE "name" IN (\'organizations\', \'centers\')')
