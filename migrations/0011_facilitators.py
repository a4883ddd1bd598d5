"""Facilitators: a profile with a public contact note, the neighborhoods they are
assigned to, and the training they completed."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class FacilitatorProfile(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        contact = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'facilitator_profile'
    db.create_tables([FacilitatorProfile])

    class FacilitatorAssignment(Model):
        facilitator = ForeignKeyField(FacilitatorProfile, on_delete='CASCADE')
        neighborhood = ForeignKeyField(Area, on_delete='CASCADE')
        assigned_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'facilitator_assignment'
            indexes = ((('neighborhood', 'facilitator'), True),)
    db.create_tables([FacilitatorAssignment])

    class Training(Model):
        facilitator = ForeignKeyField(FacilitatorProfile, on_delete='CASCADE')
        course = CharField(max_length=160)
        hours = SmallIntegerField(constraints=[Check('hours BETWEEN 1 AND 500')])
        completed_on = DateField()
        recorded_by = ForeignKeyField(User, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'training'
    db.create_tables([Training])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('training'))
    migrator.migrate(migrator.drop_table('facilitator_assignment'))
    migrator.migrate(migrator.drop_table('facilitator_profile'))
