"""Organizations, the county assemblies of charities, and the assembly's
registry: people by the keyed hash of their identifier, each organization's
record of them, and the services given."""

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

    class Assembly(Model):
        county = ForeignKeyField(Area, unique=True, on_delete='RESTRICT')
        name = CharField(max_length=160, unique=True)
        class Meta:
            database = db
            table_name = 'assembly'

    class Organization(Model):
        name = CharField(max_length=160, unique=True)
        kind = CharField(max_length=12, constraints=[Check(
            "kind IN ('charity', 'ngo', 'jihadi', 'community', 'business', 'government')")])
        county = ForeignKeyField(Area, on_delete='RESTRICT')
        assembly = ForeignKeyField(Assembly, null=True, on_delete='SET NULL')
        about = TextField(default='')
        contact = CharField(max_length=300, default='')
        volunteers_wanted = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'organization'

    class ActivityType(Model):
        class Meta:
            database = db
            table_name = 'activity_type'

    class OrganizationArea(Model):
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        area = ForeignKeyField(Area, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'organization_area'
            indexes = ((('organization', 'area'), True),)

    class OrganizationActivity(Model):
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        activity_type = ForeignKeyField(ActivityType, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'organization_activity'
            indexes = ((('organization', 'activity_type'), True),)

    class AssemblyPost(Model):
        assembly = ForeignKeyField(Assembly, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        kind = CharField(max_length=10, constraints=[Check("kind IN ('experience', 'lesson')")])
        title = CharField(max_length=120)
        body = TextField()
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'assembly_post'

    class Capacity(Model):
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        category = CharField(max_length=16, constraints=[Check(
            "category IN ('food_packages', 'medical_visits', 'tutoring_hours', 'shelter_beds', "
            "'clothing', 'cash_aid', 'other')")])
        quantity = IntegerField(constraints=[Check('quantity BETWEEN 1 AND 1000000')])
        period = CharField(max_length=5, constraints=[Check("period IN ('week', 'month', 'year')")])
        area = ForeignKeyField(Area, on_delete='CASCADE')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'capacity'
            indexes = ((('organization', 'category', 'area'), True),)

    class OrganizationMember(Model):
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = CharField(max_length=10, constraints=[Check("role IN ('manager', 'staff', 'volunteer')")])
        is_active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'organization_member'
            indexes = ((('organization', 'user'), True), (('user', 'is_active'), False))

    class Setting(Model):
        name = CharField(max_length=60, primary_key=True)
        value = CharField(max_length=200)
        class Meta:
            database = db
            table_name = 'setting'

    class Beneficiary(Model):
        assembly = ForeignKeyField(Assembly, on_delete='RESTRICT')
        id_kind = CharField(max_length=10, constraints=[Check("id_kind IN ('national', 'foreign')")])
        identifier_hash = CharField(max_length=64)
        last_digits = CharField(max_length=4)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'beneficiary'
            indexes = ((('assembly', 'identifier_hash'), True),)

    class BeneficiaryRecord(Model):
        beneficiary = ForeignKeyField(Beneficiary, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='RESTRICT')
        name = CharField(max_length=80)
        household_size = SmallIntegerField(default=1, constraints=[Check('household_size BETWEEN 1 AND 30')])
        household = TextField(default='')
        area = ForeignKeyField(Area, null=True, on_delete='SET NULL')
        consent_to_share = BooleanField(default=False)
        recorded_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'beneficiary_record'
            indexes = ((('beneficiary', 'organization'), True),)

    class Service(Model):
        beneficiary = ForeignKeyField(Beneficiary, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='RESTRICT')
        category = CharField(max_length=10, constraints=[Check(
            "category IN ('food', 'cash', 'medical', 'education', 'shelter', 'clothing', 'housing', 'other')")])
        given_on = DateField()
        amount = BigIntegerField(default=0, constraints=[Check('amount >= 0')])
        note = CharField(max_length=300, default='')
        recorded_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'service'
            indexes = ((('beneficiary', 'given_on'), False), (('organization', 'given_on'), False))

    db.create_tables([Assembly, Organization, OrganizationArea, OrganizationActivity, OrganizationMember, AssemblyPost,
                      Capacity, Setting, Beneficiary, BeneficiaryRecord, Service])


def down(migrator, db):
    for table in ('service', 'beneficiary_record', 'beneficiary', 'setting', 'capacity', 'assembly_post',
                  'organization_member', 'organization_activity', 'organization_area', 'organization', 'assembly'):
        migrator.migrate(migrator.drop_table(table))
