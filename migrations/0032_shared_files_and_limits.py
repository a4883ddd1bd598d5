"""Running on several nodes: the files the site makes (batches of cards, kept
flyers, Listen's audio) in a table every node reads, unless a shared folder is
configured, and the hits of the expensive-response limits, counted by all."""

from peewee import *


def up(migrator, db):
    class StoredFile(Model):
        name = CharField(max_length=200, primary_key=True)
        data = BlobField()
        size = IntegerField()
        digest = CharField(max_length=64)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'stored_file'

    class RateHit(Model):
        bucket = CharField(max_length=120)
        at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'rate_hit'
            indexes = ((('bucket', 'at'), False),)

    db.create_tables([StoredFile, RateHit])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('rate_hit'), migrator.drop_table('stored_file'))
