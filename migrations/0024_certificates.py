"""Volunteers' certificates of hours served, each checked by the QR code printed on it."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Center(Model):
        class Meta:
            database = db
            table_name = 'center'

    class Certificate(Model):
        holder = ForeignKeyField(User, on_delete='CASCADE')
        holder_name = CharField(max_length=80)
        center = ForeignKeyField(Center, null=True, on_delete='SET NULL')
        center_name = CharField(max_length=160, default='')
        center_name_en = CharField(max_length=160, default='')
        period_start = DateField()
        period_end = DateField()
        help_minutes = IntegerField(constraints=[Check('help_minutes >= 0')])
        helps = IntegerField(constraints=[Check('helps >= 0')])
        program_minutes = IntegerField(constraints=[Check('program_minutes >= 0')])
        programs = IntegerField(constraints=[Check('programs >= 0')])
        salt = CharField(max_length=32)
        token_hash = CharField(max_length=64, unique=True)
        issued_by = ForeignKeyField(User, on_delete='RESTRICT')
        issued_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)
        class Meta:
            database = db
            table_name = 'certificate'
            indexes = ((('holder', 'issued_at'), False),)
            constraints = (Check('period_start <= period_end'),)

    db.create_tables([Certificate])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('certificate'))
