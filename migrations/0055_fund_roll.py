"""A fund's voter roll: members confirmed in person as living in its area.
Choosing a neighborhood on one's own profile no longer lets a member vote,
propose or comment in its fund. The trustees already named are put on the
roll of their fund, as named by whoever opened it."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Fund(Model):
        class Meta:
            database = db
            table_name = 'fund'

    class FundResident(Model):
        fund = ForeignKeyField(Fund, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        confirmed_by = ForeignKeyField(User, on_delete='RESTRICT')
        confirmed_at = DateTimeField()
        how = CharField(
            max_length=12,
            constraints=[Check("how IN ('named', 'trustee', 'facilitator', 'desk', 'paper_ballot')")],
        )
        class Meta:
            database = db
            table_name = 'fund_resident'
            indexes = ((('fund', 'user'), True),)

    db.create_tables([FundResident])
    db.execute_sql(
        'INSERT INTO "fund_resident" ("fund_id", "user_id", "confirmed_by_id", "confirmed_at", "how") '
        'SELECT t."fund_id", t."user_id", f."opened_by_id", t."named_at", \'named\' '
        'FROM "fund_trustee" t JOIN "fund" f ON f."id" = t."fund_id"'
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_table('fund_resident'))
