"""A need asked on the simple pages keeps its choices, not a sentence: the
kind of help and the day were already columns (activity type, urgency,
needed_on); how to reach the person becomes one (`reach_by`), and each
reader's page composes the sentence in its own language.

Needs asked before this were stored as the sentence itself, in the language
of whoever asked. Those whose text is exactly such a sentence (in English or
in Persian, with the name their activity type has now) are turned into their
choices; any other text is a person's own words and stays as it is."""

import datetime
from zoneinfo import ZoneInfo

from peewee import *

TEHRAN = ZoneInfo('Asia/Tehran')
# The sentence as the simple pages wrote it until now, in each language
# (messages «Help with %(kind)s, %(when)s.», the WHEN and REACH labels).
OLD_SENTENCES = (
    ('Help with {kind}, {when}. {reach}.', {'today': 'today', 'week': 'this week', 'any': 'any day'},
     {'phone': 'Call my phone', 'door': 'Come to my door'}),
    ('کمک برای {kind}، {when}. {reach}.', {'today': 'امروز', 'week': 'همین هفته', 'any': 'هر روز'},
     {'phone': 'به تلفنم زنگ بزنید', 'door': 'به در خانه‌ام بیایید'}),
)
URGENCY = {'today': 2, 'week': 1, 'any': 0}


def up(migrator, db):
    migrator.migrate(
        migrator.add_column(
            'help_post', 'reach_by',
            CharField(max_length=5, default='', constraints=[Check("reach_by IN ('', 'phone', 'door')")]),
        )
    )
    keep_choices(db)
    keep_the_day(db)


def tehran_day(created_at):
    if isinstance(created_at, str):
        created_at = datetime.datetime.fromisoformat(created_at)
    return created_at.replace(tzinfo=datetime.UTC).astimezone(TEHRAN).date()


def keep_the_day(db):
    """A post marked "today" is for the day it was posted: that day, kept."""
    rows = db.execute_sql(
        'SELECT "id", "created_at" FROM "help_post" WHERE "urgency" = 2 AND "needed_on" IS NULL'
    ).fetchall()
    for post_id, created_at in rows:
        db.execute_sql(
            'UPDATE "help_post" SET "needed_on" = %s WHERE "id" = %s'.replace('%s', db.param),
            (tehran_day(created_at), post_id),
        )


def keep_choices(db):
    """Old sentences back to the choices they were made of."""
    names = dict(db.execute_sql('SELECT "id", "name" FROM "activity_type"').fetchall())
    rows = db.execute_sql(
        'SELECT "id", "activity_type_id", "text", "created_at", "needed_on" FROM "help_post"'
        ' WHERE "kind" = \'request\' AND "reach_by" = \'\''
    ).fetchall()
    for post_id, type_id, text, created_at, needed_on in rows:
        for pattern, whens, reaches in OLD_SENTENCES:
            found = [
                (when, reach)
                for when in whens
                for reach in reaches
                if text == pattern.format(kind=names.get(type_id), when=whens[when], reach=reaches[reach])
            ]
            if found:
                when, reach = found[0]
                day = tehran_day(created_at)
                db.execute_sql(
                    'UPDATE "help_post" SET "text" = \'\', "reach_by" = %s, "urgency" = %s, "needed_on" = %s'
                    ' WHERE "id" = %s'.replace('%s', db.param),
                    (reach, URGENCY[when], needed_on or (day if when == 'today' else None), post_id),
                )
                break


def down(migrator, db):
    # Back to a sentence (in English, the text a post without words would otherwise lack).
    pattern, whens, reaches = OLD_SENTENCES[0]
    names = dict(db.execute_sql('SELECT "id", "name" FROM "activity_type"').fetchall())
    rows = db.execute_sql(
        'SELECT "id", "activity_type_id", "urgency", "reach_by" FROM "help_post" WHERE "reach_by" <> \'\''
    ).fetchall()
    for post_id, type_id, urgency, reach in rows:
        when = {value: key for key, value in URGENCY.items()}[urgency]
        text = pattern.format(kind=names.get(type_id), when=whens[when], reach=reaches[reach])
        db.execute_sql('UPDATE "help_post" SET "text" = %s WHERE "id" = %s'.replace('%s', db.param), (text, post_id))
    migrator.migrate(migrator.drop_column('help_post', 'reach_by'))
