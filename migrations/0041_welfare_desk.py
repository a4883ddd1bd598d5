"""The municipal welfare desk (issue 15): district offices and their staff,
cases with their assessment, a plan of services (given by the municipality,
referred to partners, or shelter places in line), appointments and every
step; partners' pledges; agencies' coverage lists kept as keyed hashes only.
The inbox can point at a case."""

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

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'organization'

    class Service(Model):
        class Meta:
            database = db
            table_name = 'service'

    class WelfareOffice(Model):
        district = ForeignKeyField(Area, unique=True, on_delete='RESTRICT')
        organization = ForeignKeyField(Organization, unique=True, on_delete='RESTRICT')
        address = CharField(max_length=300, default='')
        phone = CharField(max_length=20, default='')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'welfare_office'

    class WelfareStaff(Model):
        office = ForeignKeyField(WelfareOffice, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = CharField(max_length=14, constraints=[Check("role IN ('social_worker', 'supervisor', 'desk')")])
        exports_codes = BooleanField(default=False)
        is_active = BooleanField(default=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'welfare_staff'
            indexes = ((('office', 'user'), True), (('user', 'is_active'), False))

    class WelfareCase(Model):
        office = ForeignKeyField(WelfareOffice, on_delete='RESTRICT')
        area = ForeignKeyField(Area, on_delete='RESTRICT')
        applicant = ForeignKeyField(User, null=True, on_delete='SET NULL')
        name = CharField(max_length=80)
        requester = CharField(max_length=80, default='')
        phone = CharField(max_length=11, default='')
        contact = CharField(max_length=200, default='')
        address = CharField(max_length=300, default='')
        id_kind = CharField(max_length=8, default='none', constraints=[Check("id_kind IN ('national', 'foreign', 'none')")])
        identifier_hash = CharField(max_length=64, null=True, index=True)
        last_digits = CharField(max_length=4, default='')
        household_size = SmallIntegerField(default=1, constraints=[Check('household_size BETWEEN 1 AND 30')])
        asked = TextField()
        source = CharField(max_length=8, constraints=[Check("source IN ('office', 'center', 'phone', 'board', 'self')")])
        consent_to_share = BooleanField(default=False)
        status = CharField(max_length=10, default='registered', constraints=[
            Check("status IN ('registered', 'assessed', 'served', 'closed', 'reopened')")])
        social_worker = ForeignKeyField(User, null=True, on_delete='SET NULL')
        co_worker = ForeignKeyField(User, null=True, on_delete='SET NULL')
        registered_by = ForeignKeyField(User, on_delete='RESTRICT')
        duplicate_of = ForeignKeyField('self', null=True, on_delete='SET NULL')
        close_reason = CharField(max_length=20, default='')
        version = IntegerField(default=1)
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        assessed_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'welfare_case'
            indexes = ((('office', 'status', 'created_at'), False), (('social_worker', 'status'), False))

    class CaseAssessment(Model):
        case = ForeignKeyField(WelfareCase, unique=True, on_delete='CASCADE')
        household_members = TextField(default='')
        monthly_income = BigIntegerField(null=True, constraints=[Check('monthly_income >= 0')])
        housing = CharField(max_length=10, constraints=[
            Check("housing IN ('owned', 'rented', 'relatives', 'informal', 'homeless', 'shelter')")])
        disability = BooleanField(default=False)
        chronic_illness = BooleanField(default=False)
        health_note = TextField(default='')
        coverage = CharField(max_length=8, constraints=[Check("coverage IN ('relief', 'welfare', 'other', 'none')")])
        priority_group = CharField(max_length=16, default='', constraints=[
            Check("priority_group IN ('', 'addiction', 'street_children', 'waste_pickers', 'trans', 'women_at_risk')")])
        needs = CharField(max_length=200, default='')
        note = TextField(default='')
        decision = CharField(max_length=18, constraints=[
            Check("decision IN ('eligible', 'not_eligible', 'referred_elsewhere')")])
        decision_reason = CharField(max_length=500, default='')
        assessed_by = ForeignKeyField(User, on_delete='RESTRICT')
        assessed_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'case_assessment'

    class Pledge(Model):
        office = ForeignKeyField(WelfareOffice, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE')
        kind = CharField(max_length=8, constraints=[Check("kind IN ('shelter', 'food', 'service')")])
        quantity = IntegerField(constraints=[Check('quantity BETWEEN 1 AND 10000')])
        about = CharField(max_length=300, default='')
        is_active = BooleanField(default=True)
        pledged_by = ForeignKeyField(User, on_delete='RESTRICT')
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'pledge'

    class CaseService(Model):
        case = ForeignKeyField(WelfareCase, on_delete='CASCADE')
        category = CharField(max_length=16, constraints=[Check(
            "category IN ('food', 'health', 'legal', 'shelter', 'marriage', 'disability', 'prisoners_family', 'other')")])
        about = CharField(max_length=300, default='')
        partner = ForeignKeyField(Organization, null=True, on_delete='RESTRICT')
        pledge = ForeignKeyField(Pledge, null=True, on_delete='SET NULL')
        status = CharField(max_length=10, constraints=[Check(
            "status IN ('waiting', 'planned', 'referred', 'accepted', 'declined', 'delivered', 'cancelled')")])
        decline_reason = CharField(max_length=300, default='')
        delivered_on = DateField(null=True)
        amount = BigIntegerField(default=0, constraints=[Check('amount >= 0')])
        delivery_note = CharField(max_length=300, default='')
        ended_on = DateField(null=True)
        registry_service = ForeignKeyField(Service, null=True, on_delete='SET NULL')
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        answered_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        answered_at = DateTimeField(null=True)
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'case_service'
            indexes = ((('partner', 'status'), False), (('pledge', 'status'), False))

    class CaseAppointment(Model):
        case = ForeignKeyField(WelfareCase, on_delete='CASCADE')
        kind = CharField(max_length=12, constraints=[Check("kind IN ('home_visit', 'office_visit', 'phone_call')")])
        starts_at = DateTimeField()
        place = CharField(max_length=200, default='')
        status = CharField(max_length=9, default='planned', constraints=[
            Check("status IN ('planned', 'done', 'missed', 'cancelled')")])
        note = CharField(max_length=500, default='')
        with_user = ForeignKeyField(User, on_delete='RESTRICT')
        reminded_at = DateTimeField(null=True)
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'case_appointment'
            indexes = ((('status', 'starts_at'), False),)

    class CaseEvent(Model):
        case = ForeignKeyField(WelfareCase, on_delete='CASCADE')
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        action = CharField(max_length=20)
        status = CharField(max_length=10, default='')
        note = CharField(max_length=500, default='')
        at = DateTimeField()

        class Meta:
            database = db
            table_name = 'case_event'
            indexes = ((('case', 'at'), False),)

    class AgencyCoverage(Model):
        office = ForeignKeyField(WelfareOffice, on_delete='CASCADE')
        agency = CharField(max_length=8, constraints=[Check("agency IN ('relief', 'welfare', 'other')")])
        identifier_hash = CharField(max_length=64)
        listed_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'agency_coverage'
            indexes = ((('office', 'agency', 'identifier_hash'), True), (('identifier_hash',), False))

    db.create_tables([
        WelfareOffice, WelfareStaff, WelfareCase, CaseAssessment, Pledge, CaseService, CaseAppointment, CaseEvent,
        AgencyCoverage,
    ])
    migrator.migrate(
        migrator.add_column('notification', 'welfare_case_id', ForeignKeyField(
            WelfareCase, field=WelfareCase.id, null=True, on_delete='CASCADE')),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('notification', 'notification_welfare_case_id'),
        migrator.drop_column('notification', 'welfare_case_id'),
        *(migrator.drop_table(table) for table in (
            'agency_coverage', 'case_event', 'case_appointment', 'case_service', 'pledge', 'case_assessment',
            'welfare_case', 'welfare_staff', 'welfare_office')),
    )
