"""Headquarters keeps the centers: each has a kind (a Mosbat-e Zendegi center,
a mosque hall, a school, a community house), an optional map point, and may
be closed (and reopened) without losing its programs and statements. A center
also serves neighborhoods beyond its own area (`center_area`), which the
"centers" revision (0034) covers like the center table."""

from peewee import *
from playhouse.migrate import PostgresqlMigrator

KINDS = ("mosbat_center", "mosque_hall", "school", "community_house")
BUMP = 'UPDATE "revision" SET "number" = "number" + 1 WHERE "name" = \'centers\';'


def up(migrator, db):
    migrator.migrate(
        migrator.add_column(
            "center",
            "kind",
            CharField(
                max_length=16,
                default="mosbat_center",
                constraints=[Check("kind IN ({})".format(", ".join(f"'{k}'" for k in KINDS)))],
            ),
        ),
        migrator.add_column(
            "center", "latitude", FloatField(null=True, constraints=[Check("latitude BETWEEN -90 AND 90")])
        ),
        migrator.add_column(
            "center", "longitude", FloatField(null=True, constraints=[Check("longitude BETWEEN -180 AND 180")])
        ),
        migrator.add_column("center", "closed_at", DateTimeField(null=True)),
        migrator.add_column("center", "closed_reason", CharField(max_length=300, default="")),
        migrator.add_column("center", "form_key", CharField(max_length=64, null=True, unique=True)),
    )

    class Area(Model):
        class Meta:
            database = db
            table_name = "area"

    class Center(Model):
        class Meta:
            database = db
            table_name = "center"

    class CenterArea(Model):
        center = ForeignKeyField(Center, on_delete="CASCADE")
        area = ForeignKeyField(Area, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "center_area"
            indexes = ((("center", "area"), True),)

    keep_center_triggers(migrator, db)
    db.create_tables([CenterArea])
    if isinstance(migrator, PostgresqlMigrator):
        db.execute_sql(
            'CREATE TRIGGER "center_area_centers_revision" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            'ON "center_area" FOR EACH STATEMENT EXECUTE FUNCTION bump_centers_revision()'
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute_sql(
                f'CREATE TRIGGER "center_area_{event.lower()}_centers_revision" AFTER {event} ON "center_area" '
                f"BEGIN {BUMP} END"
            )


def keep_center_triggers(migrator, db):
    """SQLite adds a column with a CHECK by copying the table into a new one,
    which drops the table's triggers: the "centers" revision's (0034) are made again."""
    if isinstance(migrator, PostgresqlMigrator):
        return
    for event in ("INSERT", "UPDATE", "DELETE"):
        db.execute_sql(
            f'CREATE TRIGGER IF NOT EXISTS "center_{event.lower()}_centers_revision" AFTER {event} ON "center" '
            f"BEGIN {BUMP} END"
        )


def down(migrator, db):
    if isinstance(migrator, PostgresqlMigrator):
        db.execute_sql('DROP TRIGGER "center_area_centers_revision" ON "center_area"')
    else:
        for event in ("insert", "update", "delete"):
            db.execute_sql(f'DROP TRIGGER "center_area_{event}_centers_revision"')
    migrator.migrate(
        migrator.drop_table("center_area"),
        migrator.drop_column("center", "form_key"),
        migrator.drop_column("center", "closed_reason"),
        migrator.drop_column("center", "closed_at"),
        migrator.drop_column("center", "longitude"),
        migrator.drop_column("center", "latitude"),
        migrator.drop_column("center", "kind"),
    )
    keep_center_triggers(migrator, db)
