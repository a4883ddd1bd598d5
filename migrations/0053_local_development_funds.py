"""Local development funds (صندوق توسعه محلی): the fund, its neighborhoods and
trustees, its double-entry ledger in rials, proposals and votes, expenses with
their receipts and approvals, and online payments on their way. A trigger
refuses any change to a ledger entry: a mistake is corrected by a new entry."""

from peewee import *
from playhouse.migrate import PostgresqlMigrator


def up(migrator, db):
    class Area(Model):
        class Meta:
            database = db
            table_name = 'area'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Idea(Model):
        class Meta:
            database = db
            table_name = 'idea'

    class Fund(Model):
        name = CharField(max_length=120)
        area = ForeignKeyField(Area, on_delete='RESTRICT')
        voting_days = SmallIntegerField(default=7, constraints=[Check('voting_days BETWEEN 1 AND 60')])
        quorum = IntegerField(default=3, constraints=[Check('quorum >= 1')])
        approvals_needed = SmallIntegerField(default=2, constraints=[Check('approvals_needed BETWEEN 2 AND 4')])
        balance = BigIntegerField(default=0, constraints=[Check('balance >= 0')])
        opened_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)
        class Meta:
            database = db
            table_name = 'fund'

    class FundArea(Model):
        fund = ForeignKeyField(Fund, on_delete='CASCADE')
        area = ForeignKeyField(Area, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'fund_area'
            indexes = ((('fund', 'area'), True),)

    class FundTrustee(Model):
        fund = ForeignKeyField(Fund, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='RESTRICT')
        named_by = ForeignKeyField(User, on_delete='RESTRICT')
        named_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'fund_trustee'
            indexes = ((('fund', 'user'), True),)

    class FundProposal(Model):
        fund = ForeignKeyField(Fund, on_delete='RESTRICT')
        proposer = ForeignKeyField(User, on_delete='RESTRICT')
        idea = ForeignKeyField(Idea, null=True, on_delete='SET NULL')
        title = CharField(max_length=120)
        reason = TextField()
        amount = BigIntegerField(constraints=[Check('amount > 0')])
        doer = CharField(max_length=120)
        status = CharField(max_length=8, default='voting', constraints=[Check("status IN ('voting', 'passed', 'failed')")])
        voting_ends_at = DateTimeField()
        yes_votes = IntegerField(default=0)
        no_votes = IntegerField(default=0)
        closed_at = DateTimeField(null=True)
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)
        class Meta:
            database = db
            table_name = 'fund_proposal'
            indexes = ((('fund', 'created_at'), False),)

    class FundVote(Model):
        proposal = ForeignKeyField(FundProposal, on_delete='RESTRICT')
        voter = ForeignKeyField(User, on_delete='RESTRICT')
        choice = CharField(max_length=3, constraints=[Check("choice IN ('yes', 'no')")])
        channel = CharField(max_length=5, default='web', constraints=[Check("channel IN ('web', 'kiosk', 'paper')")])
        entered_by = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        confirmed_by = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'fund_vote'
            indexes = ((('proposal', 'voter'), True),)
            constraints = (
                Check("channel <> 'paper' OR (entered_by_id IS NOT NULL AND entered_by_id <> voter_id)"),
                Check("confirmed_by_id IS NULL OR (channel = 'paper' AND confirmed_by_id <> entered_by_id)"),
            )

    class FundExpense(Model):
        fund = ForeignKeyField(Fund, on_delete='RESTRICT')
        proposal = ForeignKeyField(FundProposal, on_delete='RESTRICT')
        amount = BigIntegerField(constraints=[Check('amount > 0')])
        payee = CharField(max_length=120)
        description = CharField(max_length=500)
        receipt_name = CharField(max_length=200)
        receipt_type = CharField(max_length=20, constraints=[Check("receipt_type IN ('image/png', 'image/jpeg', 'application/pdf')")])
        status = CharField(max_length=8, default='pending', constraints=[Check("status IN ('pending', 'paid')")])
        submitted_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        paid_at = DateTimeField(null=True)
        form_key = CharField(max_length=64, unique=True)
        class Meta:
            database = db
            table_name = 'fund_expense'

    class FundApproval(Model):
        expense = ForeignKeyField(FundExpense, on_delete='RESTRICT')
        trustee = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'fund_approval'
            indexes = ((('expense', 'trustee'), True),)

    class FundPayment(Model):
        fund = ForeignKeyField(Fund, on_delete='RESTRICT')
        reference = CharField(max_length=40, unique=True)
        amount = BigIntegerField(constraints=[Check('amount > 0')])
        contributor = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        anonymous = BooleanField(default=False)
        gateway_token = CharField(max_length=80, null=True, unique=True)
        status = CharField(max_length=8, default='started', constraints=[Check("status IN ('started', 'paid', 'failed')")])
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'fund_payment'

    class FundEntry(Model):
        fund = ForeignKeyField(Fund, on_delete='RESTRICT')
        kind = CharField(max_length=12, constraints=[Check("kind IN ('contribution', 'expense', 'transfer_in', 'refund', 'correction')")])
        source = CharField(max_length=12, constraints=[Check("source IN ('fund', 'contributors', 'payees', 'other_funds')")])
        target = CharField(max_length=12, constraints=[Check("target IN ('fund', 'contributors', 'payees', 'other_funds')")])
        amount = BigIntegerField(constraints=[Check('amount > 0 AND amount <= 1000000000000')])
        reason = CharField(max_length=300, default='')
        proposal = ForeignKeyField(FundProposal, null=True, on_delete='RESTRICT')
        expense = ForeignKeyField(FundExpense, null=True, unique=True, on_delete='RESTRICT')
        payment = ForeignKeyField(FundPayment, null=True, unique=True, on_delete='RESTRICT')
        corrects = ForeignKeyField('self', null=True, unique=True, on_delete='RESTRICT')
        contributor = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        contributor_name = CharField(max_length=80, default='')
        method = CharField(max_length=8, null=True, constraints=[Check("method IN ('cash', 'bank', 'gateway')")])
        receipt_number = CharField(max_length=20, null=True, unique=True)
        receipt_salt = CharField(max_length=32, null=True)
        receipt_hash = CharField(max_length=64, null=True, unique=True)
        recorded_by = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        created_at = DateTimeField()
        form_key = CharField(max_length=64, null=True, unique=True)
        class Meta:
            database = db
            table_name = 'fund_entry'
            indexes = ((('fund', 'created_at'), False),)
            constraints = (
                Check('source <> target'),
                Check("(source = 'fund') <> (target = 'fund')"),
                Check("(kind = 'correction') = (corrects_id IS NOT NULL)"),
            )

    db.create_tables([Fund, FundArea, FundTrustee, FundProposal, FundVote, FundExpense, FundApproval, FundPayment, FundEntry])

    if isinstance(migrator, PostgresqlMigrator):
        db.execute_sql(
            'CREATE FUNCTION refuse_fund_entry_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            "RAISE EXCEPTION 'fund entries are never changed'; END $$"
        )
        db.execute_sql(
            'CREATE TRIGGER "fund_entry_never_changed" BEFORE UPDATE ON "fund_entry" '
            'FOR EACH ROW EXECUTE FUNCTION refuse_fund_entry_change()'
        )
    else:
        db.execute_sql(
            'CREATE TRIGGER "fund_entry_never_changed" BEFORE UPDATE ON "fund_entry" '
            "BEGIN SELECT RAISE(ABORT, 'fund entries are never changed'); END"
        )


def down(migrator, db):
    if isinstance(migrator, PostgresqlMigrator):
        db.execute_sql('DROP TRIGGER "fund_entry_never_changed" ON "fund_entry"')
        db.execute_sql('DROP FUNCTION refuse_fund_entry_change()')
    for table in ('fund_entry', 'fund_payment', 'fund_approval', 'fund_expense', 'fund_vote', 'fund_proposal', 'fund_trustee', 'fund_area', 'fund'):
        migrator.migrate(migrator.drop_table(table))
