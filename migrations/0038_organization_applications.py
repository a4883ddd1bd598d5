"""Organizations apply to open their portal page (`organization_application`),
and an organization keeps its registration: number and issuing body, empty for
a grassroots group or a page opened before this."""

from peewee import *


def up(migrator, db):
    # Added in place with a default, so that SQLite does not rebuild the
    # organization table (which would drop the triggers of its revision, 0034).
    migrator.migrate(
        migrator.add_column(
            'organization', 'registration_number',
            CharField(max_length=30, constraints=[SQL("DEFAULT ''")]), allow_not_null=True),
        migrator.add_column(
            'organization', 'registration_body',
            CharField(max_length=120, constraints=[SQL("DEFAULT ''")]), allow_not_null=True),
    )

    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    class OrganizationApplication(Model):
        applicant = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField(max_length=160)
        kind = CharField(max_length=12, constraints=[Check(
            "kind IN ('charity', 'ngo', 'jihadi', 'community', 'business', 'government')")])
        registration_number = CharField(max_length=30, default='')
        registration_body = CharField(max_length=120, default='')
        area = ForeignKeyField(Area, on_delete='RESTRICT')
        contact_name = CharField(max_length=80)
        contact_phone = CharField(max_length=20)
        about = TextField(default='')
        status = CharField(max_length=10, default='pending', constraints=[Check(
            "status IN ('pending', 'approved', 'declined')")])
        reason = CharField(max_length=300, default='')
        decided_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        decided_at = DateTimeField(null=True)
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'organization_application'
            indexes = ((('status', 'created_at'), False),)

    db.create_tables([OrganizationApplication])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('organization_application'),
        migrator.drop_column('organization', 'registration_body'),
        migrator.drop_column('organization', 'registration_number'),
    )
