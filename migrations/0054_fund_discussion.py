"""Neighbors discuss a fund's proposal before they vote on it."""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class FundProposal(Model):
        class Meta:
            database = db
            table_name = 'fund_proposal'

    class FundComment(Model):
        proposal = ForeignKeyField(FundProposal, on_delete='RESTRICT')
        author = ForeignKeyField(User, on_delete='RESTRICT')
        text = TextField()
        created_at = DateTimeField()
        form_key = CharField(max_length=64, unique=True)
        class Meta:
            database = db
            table_name = 'fund_comment'
            indexes = ((('proposal', 'created_at'), False),)

    db.create_tables([FundComment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('fund_comment'))
