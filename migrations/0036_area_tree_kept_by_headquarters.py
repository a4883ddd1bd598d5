"""Headquarters keeps the area tree: a merged area stays as "merged into" its
survivor (its old address redirects there), an area's subtree may be put
under a manager, and every change to the tree is kept with who made it, when
and why (`area_change`)."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = "area"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    migrator.migrate(
        migrator.add_column(
            "area", "merged_into_id", ForeignKeyField(Area, field=Area.id, null=True, on_delete="RESTRICT")
        ),
        migrator.add_column("area", "merged_at", DateTimeField(null=True)),
    )

    class AreaManager(Model):
        area = ForeignKeyField(Area, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        assigned_by = ForeignKeyField(User, on_delete="RESTRICT")
        assigned_at = DateTimeField()

        class Meta:
            database = db
            table_name = "area_manager"
            indexes = ((("area", "user"), True),)

    class AreaChange(Model):
        area = ForeignKeyField(Area, on_delete="RESTRICT")
        action = CharField(
            max_length=16,
            constraints=[Check("action IN ('add', 'rename', 'move', 'merge', 'manager_added', 'manager_removed')")],
        )
        other = ForeignKeyField(Area, null=True, on_delete="RESTRICT")
        actor = ForeignKeyField(User, on_delete="RESTRICT")
        reason = CharField(max_length=500)
        detail = TextField(default="")
        at = DateTimeField()
        form_key = CharField(max_length=64, null=True, unique=True)

        class Meta:
            database = db
            table_name = "area_change"
            indexes = ((("area", "at"), False),)

    db.create_tables([AreaManager, AreaChange])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table("area_change"),
        migrator.drop_table("area_manager"),
        migrator.drop_column("area", "merged_at"),
        migrator.drop_column("area", "merged_into_id"),
    )
