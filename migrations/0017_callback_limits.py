"""Limits on call-back requests: per phone number and per network address (kept as a hash)."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('callback_request', 'address_hash', CharField(max_length=64, null=True)),
        migrator.add_index('callback_request', ('phone', 'created_at'), False),
        migrator.add_index('callback_request', ('address_hash', 'created_at'), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('callback_request', 'callback_request_address_hash_created_at'),
        migrator.drop_index('callback_request', 'callback_request_phone_created_at'),
        migrator.drop_column('callback_request', 'address_hash'),
    )
