"""Distributions (issue 16): mosques, heyats and people's groups become kinds
of organization (and of applications to open a page); a distribution
campaign's rounds, its points and their volunteers; households nominated by
organizations and verified by the organizer; a frozen round's entitlements
(each with a code known only through the site's key); pickups (one per
entitlement, so one per household and round, whatever the point), the doubles
refused, and the worker's batches of voucher cards."""

from peewee import *
from playhouse.migrate import PostgresqlMigrator

OLD_KINDS = ('charity', 'ngo', 'jihadi', 'community', 'business', 'government')
NEW_KINDS = OLD_KINDS + ('mosque', 'heyat', 'people_group')
CATEGORIES = ('food', 'cash', 'medical', 'education', 'shelter', 'clothing', 'housing', 'other')


def within(column, values):
    return Check('{} IN ({})'.format(column, ', '.join(f"'{v}'" for v in values)))


def change_kinds(migrator, db, kinds):
    """The organization and application tables' CHECK on kind. SQLite copies a
    table to change it, and drops its triggers with it (the "organizations"
    revision's, 0034): they are made again as they were."""
    tables = ('organization', 'organization_application')
    if isinstance(migrator, PostgresqlMigrator):
        for table in tables:
            for (name,) in db.execute_sql(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c' "
                "AND pg_get_constraintdef(oid) LIKE %s",
                (f'"{table}"', '%kind%'),
            ).fetchall():
                db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            db.execute_sql(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_kind_check" CHECK '
                '("kind" IN ({}))'.format(', '.join(f"'{k}'" for k in kinds))
            )
        return
    for table in tables:
        triggers = [sql for (sql,) in db.execute_sql(
            'SELECT "sql" FROM "sqlite_master" WHERE "type" = \'trigger\' AND "tbl_name" = ?', (table,)
        ).fetchall()]
        migrator.migrate(
            migrator.alter_column_type(table, 'kind', CharField(max_length=12, constraints=[within('kind', kinds)]))
        )
        for sql in triggers:
            db.execute_sql(sql)


def up(migrator, db):
    change_kinds(migrator, db, NEW_KINDS)

    def table(name):
        class Meta:
            database = db
            table_name = name

        return type(name, (Model,), {'Meta': Meta})

    Area, User, Center, Organization = table('area'), table('user'), table('center'), table('organization')
    Campaign, BeneficiaryRecord, Service = table('campaign'), table('beneficiary_record'), table('service')

    class DistributionRound(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        number = SmallIntegerField(constraints=[Check('number >= 1')])
        title = CharField(max_length=120)
        item = CharField(max_length=160)
        category = CharField(max_length=10, default='food', constraints=[within('category', CATEGORIES)])
        value = BigIntegerField(default=0, constraints=[Check('value >= 0')])
        status = CharField(max_length=10, default='nominating', constraints=[
            within('status', ('nominating', 'frozen', 'closed'))])
        frozen_at = DateTimeField(null=True)
        frozen_by = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = 'distribution_round'
            indexes = ((('campaign', 'number'), True),)

    class DistributionPoint(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        name = CharField(max_length=160)
        organization = ForeignKeyField(Organization, null=True, on_delete='RESTRICT')
        center = ForeignKeyField(Center, null=True, on_delete='RESTRICT')
        area = ForeignKeyField(Area, on_delete='RESTRICT')
        address = CharField(max_length=300, default='')
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)

        class Meta:
            database = db
            table_name = 'distribution_point'
            indexes = ((('campaign', 'name'), True),)

    class PointVolunteer(Model):
        point = ForeignKeyField(DistributionPoint, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        added_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'point_volunteer'
            indexes = ((('point', 'user'), True),)

    class Nomination(Model):
        round = ForeignKeyField(DistributionRound, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='RESTRICT')
        record = ForeignKeyField(BeneficiaryRecord, on_delete='RESTRICT')
        id_kind = CharField(max_length=10, constraints=[within('id_kind', ('national', 'foreign'))])
        identifier_hash = CharField(max_length=64)
        last_digits = CharField(max_length=4)
        name = CharField(max_length=80)
        household_size = SmallIntegerField(default=1, constraints=[Check('household_size BETWEEN 1 AND 30')])
        area = ForeignKeyField(Area, on_delete='RESTRICT')
        phone = CharField(max_length=11, default='')
        point = ForeignKeyField(DistributionPoint, null=True, on_delete='SET NULL')
        status = CharField(max_length=10, default='pending', constraints=[
            within('status', ('pending', 'verified', 'rejected'))])
        flags = CharField(max_length=60, default='')
        reason = CharField(max_length=300, default='')
        nominated_by = ForeignKeyField(User, on_delete='RESTRICT')
        verified_by = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        verified_at = DateTimeField(null=True)
        form_key = CharField(max_length=64, unique=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'nomination'
            indexes = ((('round', 'identifier_hash'), False), (('round', 'status'), False))

    class Entitlement(Model):
        round = ForeignKeyField(DistributionRound, on_delete='CASCADE')
        nomination = ForeignKeyField(Nomination, unique=True, on_delete='CASCADE')
        identifier_hash = CharField(max_length=64)
        number = IntegerField(constraints=[Check('number >= 1')])
        salt = CharField(max_length=32)
        code_hash = CharField(max_length=64, unique=True)
        point = ForeignKeyField(DistributionPoint, null=True, on_delete='SET NULL')
        sms_sent_at = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'entitlement'
            indexes = ((('round', 'identifier_hash'), True), (('round', 'number'), True))

    class Pickup(Model):
        entitlement = ForeignKeyField(Entitlement, unique=True, on_delete='CASCADE')
        round = ForeignKeyField(DistributionRound, on_delete='CASCADE')
        point = ForeignKeyField(DistributionPoint, on_delete='RESTRICT')
        marked_by = ForeignKeyField(User, on_delete='RESTRICT')
        at = DateTimeField()
        source = CharField(max_length=6, constraints=[within('source', ('code', 'sheet'))])
        service = ForeignKeyField(Service, null=True, on_delete='SET NULL')
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'pickup'
            indexes = ((('round', 'point'), False), (('round', 'at'), False))

    class PickupRefusal(Model):
        entitlement = ForeignKeyField(Entitlement, on_delete='CASCADE')
        round = ForeignKeyField(DistributionRound, on_delete='CASCADE')
        point = ForeignKeyField(DistributionPoint, on_delete='RESTRICT')
        marked_by = ForeignKeyField(User, on_delete='RESTRICT')
        at = DateTimeField()
        source = CharField(max_length=6, constraints=[within('source', ('code', 'sheet'))])
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = 'pickup_refusal'
            indexes = ((('round', 'created_at'), False),)

    class VoucherBatch(Model):
        round = ForeignKeyField(DistributionRound, on_delete='CASCADE')
        status = CharField(max_length=10, default='queued', constraints=[
            within('status', ('queued', 'running', 'done', 'failed'))])
        total = IntegerField(default=0)
        done_count = IntegerField(default=0)
        parts = SmallIntegerField(default=0)
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        finished_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'voucher_batch'

    db.create_tables([
        DistributionRound, DistributionPoint, PointVolunteer, Nomination, Entitlement, Pickup, PickupRefusal,
        VoucherBatch,
    ])


def down(migrator, db):
    migrator.migrate(*[
        migrator.drop_table(name)
        for name in ('voucher_batch', 'pickup_refusal', 'pickup', 'entitlement', 'nomination', 'point_volunteer',
                     'distribution_point', 'distribution_round')
    ])
    change_kinds(migrator, db, OLD_KINDS)
