"""Fixtures shared by every test: the app on a fresh database (SQLite, or
PostgreSQL when HAMSAYEH_TEST_DATABASE_URL names one), a client, people in
every role, and a small piece of the area tree."""

import os
import re

import peewee
import psycopg
import pytest
from argon2 import PasswordHasher

import models
from app import create_app
from hamsayeh import persian
from hamsayeh.domain import accounts, demo, facilitators
from hamsayeh.web import cli

PG_URL = os.environ.get("HAMSAYEH_TEST_DATABASE_URL")
PIN = "2580"
REGISTRY_KEY = "test-registry-key-not-a-secret"
MINI_TREE = {
    "name": "تهران",
    "name_en": "Tehran",
    "kind": "province",
    "children": [
        {
            "name": "تهران",
            "name_en": "Tehran",
            "kind": "city",
            "children": [
                {
                    "name": "منطقه ۱",
                    "name_en": "District 1",
                    "kind": "district",
                    "children": [
                        {"name": "تجریش", "name_en": "Tajrish", "kind": "neighborhood"},
                        {"name": "نیاوران", "name_en": "Niavaran", "kind": "neighborhood"},
                    ],
                },
                {
                    "name": "منطقه ۱۲",
                    "name_en": "District 12",
                    "kind": "district",
                    "children": [{"name": "بازار", "name_en": "Bazaar", "kind": "neighborhood"}],
                },
            ],
        }
    ],
}


def _empty_database_url(tmp_path_factory):
    if PG_URL:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return PG_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


# Production's Argon2 costs about 60 ms a PIN: tests hash with the cheapest
# parameters the library allows (what is checked is the flow, not the cost).
models.use_pin_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One application for the session, its schema built by the migrations."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": _empty_database_url(tmp_path_factory),
            "SECRET_KEY": "test-secret-key",
            "REGISTRY_KEY": REGISTRY_KEY,
            "AUDIT_KEY": "test-audit-key-not-a-secret",
            # The task queue of this test run: its own file, whatever else runs on the machine.
            "QUEUE_URL": "",
            "QUEUE_FILE": str(tmp_path_factory.mktemp("queue") / "queue.sqlite3"),
        }
    )
    with application.app_context():
        cli.migrate()
    return application


@pytest.fixture(autouse=True)
def clean_database(app):
    """Every test starts from empty tables."""
    yield
    # Activity types and the revision counter are loaded by migrations: they stay.
    kept = (models.ActivityType, models.Revision)
    tables = [model._meta.table_name for model in models.MODELS if model not in kept]
    with models.db.connection_context():
        if isinstance(models.db.obj, peewee.PostgresqlDatabase):
            models.db.execute_sql("TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(f'"{t}"' for t in tables)))
        else:
            models.db.execute_sql("PRAGMA foreign_keys = OFF")
            with models.db.atomic():
                for table in tables:
                    models.db.execute_sql(f'DELETE FROM "{table}"')
            models.db.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture
def db(app):
    with models.db.connection_context():
        yield models.db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def places(db):
    """Tehran › District 1 › Tajrish and Niavaran; District 12 › Bazaar."""
    demo.add_area(None, MINI_TREE)
    found = {area.name_en: area for area in models.Area.select()}
    return found


@pytest.fixture
def people(db, places):
    """One member for every role, all with the PIN 2580."""
    members = {}
    for index, role in enumerate(models.ROLES, start=1):
        members[role] = accounts.create_user(
            f"0912000{index:04d}", f"کاربر {role}", PIN, roles=(role,), neighborhood=places["Tajrish"]
        )
    # The facilitator serves the neighborhoods of District 1.
    for hood in ("Tajrish", "Niavaran"):
        facilitators.assign_facilitator(members["facilitator"], places[hood], members["admin"])
    return members


CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, page="/account/sign-in"):
    html = client.get(page).get_data(as_text=True)
    return CSRF_PATTERN.search(html).group(1)


def submit(client, page, action, data, **kwargs):
    """Post `data` the way a person would: from the form on `page`, with its token."""
    token = csrf_token(client, page)
    return client.post(action, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client, phone, pin=PIN):
    response = submit(client, "/account/sign-in", "/account/sign-in", {"phone": phone, "pin": pin})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def normalize(text):
    return persian.normalize(text)


@pytest.fixture
def worker(app):
    """A real huey consumer running this run's queue in threads."""
    from hamsayeh.web import tasks

    tasks.huey.flush()
    consumer = tasks.huey.create_consumer(workers=1, worker_type="thread", periodic=False, max_delay=0.5)
    consumer.start()
    yield consumer
    consumer.stop(graceful=True)
