"""A revision number per neighborhood's board, raised by triggers on every
write to its posts (like the catalog's, 0007), in place of the newest
`updated_at` and a count: a timestamp comes from the clock of whichever node
wrote it, and a change written by a node whose clock is behind (or committed
after a later one) left the version where it was, so other nodes kept showing
the old board. A counter only goes up, in the writer's own transaction.

Kept in the `revision` table as "board:<neighborhood id>"; emptying the posts
(TRUNCATE, on PostgreSQL) raises every board's number."""

from playhouse.migrate import PostgresqlMigrator


def bump_sql(id_expression):
    return (
        f'INSERT INTO "revision" ("name", "number") VALUES (\'board:\' || {id_expression}, 1) '
        f'ON CONFLICT ("name") DO UPDATE SET "number" = "revision"."number" + 1;'
    )


def up(migrator, db):
    if isinstance(migrator, PostgresqlMigrator):
        old, new = bump_sql('OLD."neighborhood_id"'), bump_sql('NEW."neighborhood_id"')
        moved = 'NEW."neighborhood_id" IS DISTINCT FROM OLD."neighborhood_id"'
        db.execute_sql(
            'CREATE FUNCTION bump_board_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            f"IF TG_OP <> 'INSERT' THEN {old} END IF; "
            f"IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND {moved}) THEN {new} END IF; "
            'RETURN NULL; END $$'
        )
        db.execute_sql(
            'CREATE TRIGGER "help_post_board_revision" AFTER INSERT OR UPDATE OR DELETE ON "help_post" '
            'FOR EACH ROW EXECUTE FUNCTION bump_board_revision()'
        )
        db.execute_sql(
            'CREATE FUNCTION bump_every_board_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            'UPDATE "revision" SET "number" = "number" + 1 WHERE substr("name", 1, 6) = \'board:\'; RETURN NULL; END $$'
        )
        db.execute_sql(
            'CREATE TRIGGER "help_post_truncate_board_revision" AFTER TRUNCATE ON "help_post" '
            'FOR EACH STATEMENT EXECUTE FUNCTION bump_every_board_revision()'
        )
    else:
        rows = {'insert': ('NEW',), 'update': ('OLD', 'NEW'), 'delete': ('OLD',)}
        for event, sides in rows.items():
            body = ' '.join(bump_sql(f'{side}."neighborhood_id"') for side in sides)
            db.execute_sql(
                f'CREATE TRIGGER "help_post_{event}_board_revision" AFTER {event.upper()} ON "help_post" '
                f'BEGIN {body} END'
            )
    # Boards that already have posts start from a number of their own.
    db.execute_sql(
        'INSERT INTO "revision" ("name", "number") '
        'SELECT \'board:\' || "neighborhood_id", 1 FROM "help_post" GROUP BY "neighborhood_id"'
    )
    # The planner's statistics, taken when the table held a handful of rows,
    # would have it scan thousands of boards' rows for each version it reads.
    db.execute_sql('ANALYZE "revision"')


def down(migrator, db):
    if isinstance(migrator, PostgresqlMigrator):
        db.execute_sql('DROP TRIGGER "help_post_board_revision" ON "help_post"')
        db.execute_sql('DROP TRIGGER "help_post_truncate_board_revision" ON "help_post"')
        db.execute_sql('DROP FUNCTION bump_board_revision()')
        db.execute_sql('DROP FUNCTION bump_every_board_revision()')
    else:
        for event in ('insert', 'update', 'delete'):
            db.execute_sql(f'DROP TRIGGER "help_post_{event}_board_revision"')
    db.execute_sql('DELETE FROM "revision" WHERE substr("name", 1, 6) = \'board:\'')
