"""The first schema: places, centers, accounts, sign-in throttling and the
audit chain. Frozen copies of the models as they were: later changes to
models.py come as new numbered migrations, never as edits here."""

from peewee import *

def up(migrator, db):
    class Area(Model):
        parent = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        kind = CharField(max_length=16, constraints=[Check("kind IN ('province', 'county', 'city', 'district', 'neighborhood')")])
        name = CharField(max_length=120)
        name_en = CharField(max_length=120, default='')
        path = CharField(max_length=255, index=True, default='')
        search_key = CharField(max_length=255, index=True, default='')
        class Meta:
            database = db
            table_name = 'area'
            indexes = ((('parent', 'name'), True),)
    db.create_tables([Area])

    class User(Model):
        phone = CharField(unique=True, max_length=11)
        name = CharField(max_length=80)
        pin_hash = CharField(max_length=200)
        neighborhood = ForeignKeyField(Area, null=True, on_delete='SET NULL')
        language = CharField(max_length=5, default='fa')
        text_size = SmallIntegerField(default=0, constraints=[Check('text_size BETWEEN 0 AND 2')])
        high_contrast = BooleanField(default=False)
        simple_mode = BooleanField(default=False)
        is_active = BooleanField(default=True)
        session_epoch = IntegerField(default=0)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class AuditEntry(Model):
        at = DateTimeField(index=True)
        actor = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        action = CharField(max_length=60)
        subject = CharField(max_length=120, default='')
        detail = TextField(default='')
        previous_hash = CharField(max_length=64)
        entry_hash = CharField(unique=True, max_length=64)
        class Meta:
            database = db
            table_name = 'audit_entry'
    db.create_tables([AuditEntry])

    class Center(Model):
        area = ForeignKeyField(Area, on_delete='RESTRICT')
        name = CharField(unique=True, max_length=160)
        name_en = CharField(max_length=160, default='')
        address = CharField(max_length=300, default='')
        phone = CharField(max_length=20, default='')
        hours = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'center'
    db.create_tables([Center])

    class LoginThrottle(Model):
        key = CharField(primary_key=True, max_length=64)
        failures = IntegerField(default=0)
        first_failure_at = DateTimeField()
        locked_until = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'login_throttle'
    db.create_tables([LoginThrottle])

    class UserRole(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = CharField(max_length=20, constraints=[Check("role IN ('resident', 'volunteer', 'facilitator', 'center_staff', 'charity_staff', 'social_worker', 'admin')")])
        class Meta:
            database = db
            table_name = 'user_role'
            indexes = ((('user', 'role'), True),)
    db.create_tables([UserRole])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('user_role'))
    migrator.migrate(migrator.drop_table('login_throttle'))
    migrator.migrate(migrator.drop_table('center'))
    migrator.migrate(migrator.drop_table('audit_entry'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('area'))
