"""Programs of Mosbat-e Zendegi centers and organizations, and their sign-ups with a waiting list;
notifications that point to a program; the centers' kiosk terminals; batches
of printed cards made in the background."""

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

    class ActivityType(Model):
        class Meta:
            database = db
            table_name = 'activity_type'

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    class Program(Model):
        center = ForeignKeyField(Center, null=True, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, null=True, on_delete='CASCADE')
        title = CharField(max_length=120)
        activity_type = ForeignKeyField(ActivityType, on_delete='RESTRICT')
        starts_at = DateTimeField(index=True)
        place = CharField(max_length=200, default='')
        about = TextField(default='')
        capacity = SmallIntegerField(constraints=[Check('capacity BETWEEN 1 AND 5000')])
        status = CharField(max_length=10, default='scheduled', constraints=[Check("status IN ('scheduled', 'cancelled')")])
        cancel_reason = CharField(max_length=300, default='')
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'program'
            indexes = ((('center', 'starts_at'), False), (('organization', 'starts_at'), False))
            constraints = (Check('(center_id IS NULL) <> (organization_id IS NULL)'),)

    class ProgramSignup(Model):
        program = ForeignKeyField(Program, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        status = CharField(max_length=10, constraints=[Check("status IN ('confirmed', 'waiting', 'cancelled')")])
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'program_signup'
            indexes = ((('program', 'user'), True), (('program', 'status', 'created_at'), False))

    class Kiosk(Model):
        center = ForeignKeyField(Center, on_delete='CASCADE')
        name = CharField(max_length=60)
        token_hash = CharField(max_length=64, unique=True)
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'kiosk'

    class PrintBatch(Model):
        center = ForeignKeyField(Center, on_delete='CASCADE')
        kind = CharField(max_length=20, default='volunteer_cards')
        status = CharField(max_length=10, default='queued',
                           constraints=[Check("status IN ('queued', 'running', 'done', 'failed')")])
        total = IntegerField(default=0)
        done_count = IntegerField(default=0)
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'print_batch'

    db.create_tables([Program, ProgramSignup, Kiosk, PrintBatch])
    migrator.migrate(
        migrator.add_column('notification', 'program_id',
                            ForeignKeyField(Program, null=True, on_delete='CASCADE', field=Program.id)),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column('notification', 'program_id'))
    migrator.migrate(migrator.drop_table('print_batch'))
    migrator.migrate(migrator.drop_table('kiosk'))
    migrator.migrate(migrator.drop_table('program_signup'))
    migrator.migrate(migrator.drop_table('program'))
