"""A welfare request registered from a need on the board or from a call-back
request keeps a link to it: one case each (a unique column), so registering
the same need again finds the first case."""

from peewee import *


def up(migrator, db):
    class HelpPost(Model):
        class Meta:
            database = db
            table_name = 'help_post'

    class CallbackRequest(Model):
        class Meta:
            database = db
            table_name = 'callback_request'

    migrator.migrate(
        migrator.add_column(
            'welfare_case',
            'board_post_id',
            ForeignKeyField(HelpPost, null=True, unique=True, on_delete='SET NULL', field=HelpPost.id),
        ),
        migrator.add_column(
            'welfare_case',
            'callback_id',
            ForeignKeyField(CallbackRequest, null=True, unique=True, on_delete='SET NULL', field=CallbackRequest.id),
        ),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('welfare_case', 'welfare_case_callback_id'),
        migrator.drop_index('welfare_case', 'welfare_case_board_post_id'),
        migrator.drop_column('welfare_case', 'callback_id'),
        migrator.drop_column('welfare_case', 'board_post_id'),
    )
