"""The neighborhood's services directory (issue 22, part 6): government
offices, local services and the facilitators' local channels, kept for a
neighborhood, a district, a city or the whole country (no area), each with
who checked it last and when. The neighborhood page is not cached, so no
revision trigger is needed."""

from peewee import *


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class Center(Model):
        class Meta:
            database = db
            table_name = 'center'

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    categories = (
        'welfare', 'relief', 'health_house', 'municipality', 'clinic', 'pharmacy', 'charity', 'mosque', 'school',
        'mosbat_center', 'other', 'messenger_group', 'notice_board',
    )

    class DirectoryEntry(Model):
        area = ForeignKeyField(Area, null=True, on_delete='CASCADE')
        category = CharField(
            max_length=16, constraints=[Check('category IN ({})'.format(', '.join(f"'{c}'" for c in categories)))]
        )
        name = CharField(max_length=160)
        natural_key = CharField(max_length=200, unique=True)
        address = CharField(max_length=300, default='')
        hours = CharField(max_length=200, default='')
        phone = CharField(max_length=20, default='')
        center = ForeignKeyField(Center, null=True, on_delete='SET NULL')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        checked_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        checked_at = DateTimeField(null=True)
        created_at = DateTimeField()
        form_key = CharField(max_length=64, null=True, unique=True)

        class Meta:
            database = db
            table_name = 'directory_entry'

    db.create_tables([DirectoryEntry])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('directory_entry'))
