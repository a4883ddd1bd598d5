"""Volunteer profiles (place, reach, days, time slots, missions, skills) and
the activity types each takes on."""

from peewee import *


def up(migrator, db):
    class ActivityType(Model):
        class Meta:
            database = db
            table_name = 'activity_type'

    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class Center(Model):
        class Meta:
            database = db
            table_name = 'center'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class VolunteerProfile(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        neighborhood = ForeignKeyField(Area, on_delete='RESTRICT')
        district = ForeignKeyField(Area, on_delete='RESTRICT')
        city = ForeignKeyField(Area, on_delete='RESTRICT')
        center = ForeignKeyField(Center, null=True, on_delete='SET NULL')
        skills = CharField(max_length=300, default='')
        skills_text = CharField(max_length=300, default='')
        missions = SmallIntegerField(default=0)
        weekdays = SmallIntegerField(default=0)
        time_slots = SmallIntegerField(default=0)
        reach = CharField(max_length=12, default='neighborhood', constraints=[Check("reach IN ('neighborhood', 'district', 'city')")])
        is_active = BooleanField(default=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'volunteer_profile'
            indexes = ((('city', 'reach', 'is_active'), False), (('district', 'reach', 'is_active'), False), (('neighborhood', 'is_active'), False))
    db.create_tables([VolunteerProfile])

    class VolunteerActivity(Model):
        volunteer = ForeignKeyField(VolunteerProfile, on_delete='CASCADE')
        activity_type = ForeignKeyField(ActivityType, on_delete='CASCADE')
        skilled = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'volunteer_activity'
            indexes = ((('activity_type', 'volunteer'), True),)
    db.create_tables([VolunteerActivity])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('volunteer_activity'))
    migrator.migrate(migrator.drop_table('volunteer_profile'))
