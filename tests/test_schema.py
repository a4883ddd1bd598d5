"""The migrations build exactly the schema of the models, and the audit log
cannot be changed without it showing."""

import peewee
import pytest
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

import models
from hamsayeh.domain import accounts, audit
from hamsayeh.web import cli


def describe(database, tables):
    """Columns (name, type, null, primary key) and indexes of each table."""
    schema = {}
    for table in tables:
        columns = {(c.name, c.data_type.lower(), c.null, c.primary_key) for c in database.get_columns(table)}
        indexes = {(tuple(i.columns), i.unique) for i in database.get_indexes(table)}
        schema[table] = (columns, indexes)
    return schema


@pytest.fixture
def fresh_database(db):
    """An empty database of the same kind, for `create_tables` from the models."""
    if isinstance(db.obj, peewee.PostgresqlDatabase):
        db.execute_sql("DROP SCHEMA IF EXISTS fresh CASCADE")
        db.execute_sql("CREATE SCHEMA fresh")
        params = db.obj.connect_params
        fresh = peewee.PostgresqlDatabase(
            db.obj.database, **params, options="-c search_path=fresh", prefer_psycopg3=True
        )
    else:
        fresh = peewee.SqliteDatabase(":memory:")
    yield fresh
    fresh.close()
    if isinstance(db.obj, peewee.PostgresqlDatabase):
        db.execute_sql("DROP SCHEMA fresh CASCADE")


def test_migrations_give_exactly_the_models(db, fresh_database):
    """The session's database was built by the migrations alone."""
    difference = diff_models(db, list(models.MODELS))
    assert not difference, str(difference)
    tables = [model._meta.table_name for model in models.MODELS]
    with fresh_database.bind_ctx(models.MODELS):
        fresh_database.create_tables(models.MODELS)
    migrated, fresh = describe(db, tables), describe(fresh_database, tables)
    assert migrated == fresh


def test_all_migrations_are_applied(app, db):
    with app.app_context():
        runner = Runner(db, cli.migrations_directory())
        assert all(m.applied for m in runner.status())
        assert cli.migrate() == []


def test_check_constraints_hold_in_the_database(db, places):
    with pytest.raises(peewee.IntegrityError), db.atomic():
        models.Area.insert(kind="planet", name="x", name_en="", path="", search_key="").execute()
    user = accounts.create_user("09121111111", "کسی", "2468")
    with pytest.raises(peewee.IntegrityError), db.atomic():
        models.UserRole.insert(user=user, role="king").execute()


def test_audit_chain_detects_a_changed_entry(db, people):
    assert models.AuditEntry.select().count() >= len(models.ROLES)
    assert audit.verify_audit_chain() is None
    entry = models.AuditEntry.select().order_by(models.AuditEntry.id).first()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete_instance()
    # Someone with raw database access edits a line: the chain shows it.
    models.AuditEntry.update(detail="edited").where(models.AuditEntry.id == entry.id).execute()
    assert audit.verify_audit_chain() == entry.id


def test_every_write_a_cached_page_depends_on_raises_its_revision(db, places, people):
    """The per-process caches ask one revision number whether they are current.
    The triggers that raise it must survive every migration (SQLite drops a
    table's triggers when a migration copies the table to change it)."""
    tajrish, niavaran = places["Tajrish"], places["Niavaran"]

    def raises(name, write):
        read = models.catalog_revision if name == "catalog" else lambda: models.revision(name)
        before = read()
        write()
        assert read() > before, name

    raises("catalog", lambda: models.Area.update(name_en="Tajrish!").where(models.Area.id == tajrish.id).execute())
    raises("catalog", lambda: models.ActivityType.update(name_en="x").execute())
    center = models.Center.create(area=tajrish, name="مرکز آزمایشی")
    raises("centers", lambda: models.Center.update(phone="02122223333").where(models.Center.id == center.id).execute())
    raises("centers", lambda: models.CenterArea.create(center=center, area=niavaran))
    raises(
        "centers",
        lambda: models.Program.create(
            center=center,
            title="کتاب‌خوانی",
            activity_type=models.ActivityType.select().first(),
            starts_at=models.utcnow(),
            capacity=10,
            created_by=people["center_staff"],
            form_key="revision-test",
        ),
    )
    raises(
        "centers",
        lambda: models.User.update(work_center=center).where(models.User.id == people["center_staff"].id).execute(),
    )
    county = models.Area.get(models.Area.kind == "city")
    raises("organizations", lambda: models.Organization.create(name="خیریهٔ آزمایشی", kind="charity", county=county))
