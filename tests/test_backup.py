"""Backups that restore: `flask backup` copies the database while neighbors
keep writing (hours sent, audit entries), and `flask restore` brings the copy
back into another database and checks it (integrity, the time bank's ledger,
the audit chain, the registry key). On SQLite, or PostgreSQL when the suite
runs there; a damaged copy or the wrong key is refused with the reason."""

import sqlite3
import threading
import time

import psycopg
import pytest

import models
from hamsayeh.domain import accounts, audit, maintenance, registry, timebank
from hamsayeh.web import backups
from tests.conftest import PG_URL, PIN, REGISTRY_KEY


def second_database(tmp_path):
    """The database a backup is restored into: a new SQLite file, or `<test database>2`, empty."""
    if not PG_URL:
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    server, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (f"{name}2",)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}2"')
    with psycopg.connect(f"{server}/{name}2", autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return f"{server}/{name}2"


class Neighbors(threading.Thread):
    """Members sending each other minutes, each transfer audited, until told to stop."""

    def __init__(self, places):
        super().__init__(daemon=True)
        hood = places["Tajrish"]
        self.members = [accounts.create_user(f"0913000000{i}", f"همسایه {i}", PIN, neighborhood=hood) for i in range(3)]
        self.accounts = [timebank.member_account(member) for member in self.members]
        self.stop = threading.Event()
        self.done = 0
        self.error = None

    def run(self):
        try:
            with models.connection():
                while not self.stop.is_set() and self.done < 5000:
                    source, target = self.done % 3, (self.done + 1) % 3
                    timebank.transfer(self.accounts[source], self.accounts[target], 5, self.members[source])
                    audit.audit("test.transfer", actor=self.members[source], detail=str(self.done))
                    self.done += 1
        except Exception as error:  # shown by the test
            self.error = error

    def wait_for(self, count):
        deadline = time.monotonic() + 60
        while self.done < count and self.error is None:
            assert time.monotonic() < deadline, "the neighbors did not write"
            time.sleep(0.01)


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def registry_in_use(db):
    """The registry has been used: its key's fingerprint is in the database."""
    registry.check_registry_key(REGISTRY_KEY)


def test_a_backup_taken_while_neighbors_write_restores_and_passes_every_check(cli, places, registry_in_use, tmp_path):
    writers = Neighbors(places)
    writers.start()
    try:
        writers.wait_for(20)
        made = cli.invoke(args=["backup", "--to", str(tmp_path / "backups")])
        during = writers.done
        writers.wait_for(during + 20)  # still writing after the copy was taken
    finally:
        writers.stop.set()
        writers.join(timeout=60)
    assert writers.error is None, writers.error
    assert made.exit_code == 0, made.output
    (copy,) = (tmp_path / "backups").iterdir()
    assert copy.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert copy.suffix == (".pgdump" if PG_URL else ".sqlite3")

    target = second_database(tmp_path)
    restored = cli.invoke(args=["restore", str(copy), "--into", target])
    assert restored.exit_code == 0, restored.output
    assert "integrity, the time bank's ledger, the audit chain and the registry key are all right" in restored.output
    with maintenance.database_at(target):
        transfers = models.TimeTransfer.select().count()
        assert maintenance.restored_problems(REGISTRY_KEY) == []
        assert timebank.verify_ledger() == ([], 0) and audit.verify_audit_chain() is None
        # Each transfer's audit entry follows it in a transaction of its own: the copy may fall between.
        entries = models.AuditEntry.select().where(models.AuditEntry.action == "test.transfer").count()
        assert entries in (transfers - 1, transfers)
    # A copy of one moment: what was written before it began, nothing after it ended.
    assert 20 <= transfers <= during + 1 and writers.done > transfers


def test_restore_refuses_a_database_that_holds_a_site_unless_told_to_replace_it(cli, places, tmp_path):
    made = cli.invoke(args=["backup", "--to", str(tmp_path / "copy")])
    copy = next((tmp_path / "copy").iterdir())
    target = second_database(tmp_path)
    assert cli.invoke(args=["restore", str(copy), "--into", target]).exit_code == 0, made.output
    again = cli.invoke(args=["restore", str(copy), "--into", target])
    assert again.exit_code != 0 and "already holds a site" in again.output
    assert cli.invoke(args=["restore", str(copy), "--into", target, "--replace"]).exit_code == 0


@pytest.mark.skipif(bool(PG_URL), reason="edits a SQLite copy by hand; PostgreSQL's dump is checked by pg_restore")
def test_a_copy_whose_audit_entry_was_deleted_fails_its_checks(cli, places, tmp_path):
    member = accounts.create_user("09130000009", "همسایه", PIN, neighborhood=places["Tajrish"])
    for number in range(3):
        audit.audit("test.entry", actor=member, detail=str(number))
    cli.invoke(args=["backup", "--to", str(tmp_path / "copy.sqlite3")])
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        copy.execute("DELETE FROM audit_entry WHERE id = (SELECT min(id) + 1 FROM audit_entry)")
    restored = cli.invoke(args=["restore", str(tmp_path / "copy.sqlite3"), "--into", second_database(tmp_path)])
    assert restored.exit_code != 0
    assert "audit log: the chain breaks at entry" in restored.output


def test_a_copy_whose_ledger_was_changed_fails_its_checks(cli, places, tmp_path):
    members = [accounts.create_user(f"0913000000{i}", "همسایه", PIN, neighborhood=places["Tajrish"]) for i in range(2)]
    first, second = (timebank.member_account(member) for member in members)
    timebank.transfer(first, second, 30, members[0])
    # Minutes appear from nowhere in the site's own database (as a bad hand edit would do)...
    models.TimeAccount.update(balance=models.TimeAccount.balance + 15).where(
        models.TimeAccount.id == second.id
    ).execute()
    cli.invoke(args=["backup", "--to", str(tmp_path / "copy")])
    copy = next((tmp_path / "copy").iterdir())
    restored = cli.invoke(args=["restore", str(copy), "--into", second_database(tmp_path)])
    # ...and the restore says so instead of bringing back a ledger that does not balance.
    assert restored.exit_code != 0
    assert "time bank: 1 accounts disagree with their transfers, and the balances sum to 15 minutes" in restored.output


def test_restoring_with_another_registry_key_is_refused(app, cli, places, registry_in_use, tmp_path, monkeypatch):
    cli.invoke(args=["backup", "--to", str(tmp_path / "copy")])
    copy = next((tmp_path / "copy").iterdir())
    monkeypatch.setitem(app.config, "REGISTRY_KEY", "a-new-key-someone-made")
    restored = cli.invoke(args=["restore", str(copy), "--into", second_database(tmp_path)])
    assert restored.exit_code != 0
    assert "registry: HAMSAYEH_REGISTRY_KEY is not the key this registry was made with" in restored.output


def test_a_file_that_is_no_backup_is_refused(cli, db, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    restored = cli.invoke(args=["restore", str(bogus), "--into", f"sqlite:///{tmp_path / 'x.sqlite3'}"])
    assert restored.exit_code != 0 and "neither a SQLite database nor a pg_dump file" in restored.output


def test_a_backup_goes_to_a_database_of_its_own_kind(cli, db, tmp_path):
    made = cli.invoke(args=["backup", "--to", str(tmp_path / "copy")])
    assert made.exit_code == 0, (made.output, made.exception)
    copy = next((tmp_path / "copy").iterdir())
    other = "postgresql://postgres@127.0.0.1:9/none" if not PG_URL else f"sqlite:///{tmp_path / 'x.sqlite3'}"
    restored = cli.invoke(args=["restore", str(copy), "--into", other])
    assert restored.exit_code != 0 and "cannot be restored into" in restored.output
    assert backups.kind_of(copy) == ("postgresql" if PG_URL else "sqlite")


# --- A restore that fails leaves the site as it was ------------------------------------------


def live_backup(cli, tmp_path):
    """A backup of the site's own database, and a neighbor who joins after it was taken."""
    made = cli.invoke(args=["backup", "--to", str(tmp_path / "copy")])
    assert made.exit_code == 0, made.output
    copy = next((tmp_path / "copy").iterdir())
    return copy, accounts.create_user("09130000077", "همسایهٔ تازه", PIN)


def still_live(newcomer, transfers):
    """The site's database holds what it held: the neighbor who came after the backup, the transfers."""
    assert models.User.get_or_none(models.User.phone == newcomer.phone) is not None
    assert models.TimeTransfer.select().count() == transfers


def test_a_damaged_backup_replaces_nothing_of_the_live_site(app, cli, places, registry_in_use, tmp_path):
    members = [accounts.create_user(f"0913000000{i}", "همسایه", PIN, neighborhood=places["Tajrish"]) for i in range(2)]
    timebank.transfer(*(timebank.member_account(member) for member in members), 30, members[0])
    copy, newcomer = live_backup(cli, tmp_path)
    with open(copy, "r+b") as file:  # cut off half-way, as a full disk or a broken copy leaves it
        file.truncate(copy.stat().st_size // 2)
    restored = cli.invoke(args=["restore", str(copy), "--replace"])
    assert restored.exit_code != 0 and "checked:" not in restored.output
    assert "damaged" in restored.output or "pg_restore failed" in restored.output, restored.output
    still_live(newcomer, 1)
    assert maintenance.restored_problems(REGISTRY_KEY) == []
    if not PG_URL:  # no scratch copy is left beside the database
        assert list(backups.sqlite_file(app.config["DATABASE_URL"]).parent.glob(".*.restore-*")) == []
    else:  # no scratch database is left behind either
        with psycopg.connect(PG_URL) as conn:
            name = PG_URL.rsplit("/", 1)[1]
            assert not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname LIKE %s", (f"{name}_restore_%",)
            ).fetchall()


def test_a_backup_that_fails_its_checks_replaces_nothing_of_the_live_site(cli, places, tmp_path):
    members = [accounts.create_user(f"0913000000{i}", "همسایه", PIN, neighborhood=places["Tajrish"]) for i in range(2)]
    first, second = (timebank.member_account(member) for member in members)
    timebank.transfer(first, second, 30, members[0])
    models.TimeAccount.update(balance=models.TimeAccount.balance + 15).where(
        models.TimeAccount.id == second.id
    ).execute()
    copy, newcomer = live_backup(cli, tmp_path)
    restored = cli.invoke(args=["restore", str(copy), "--replace"])
    assert restored.exit_code != 0
    assert "the backup fails its checks, and nothing was restored" in restored.output
    assert "time bank: 1 accounts disagree with their transfers" in restored.output
    still_live(newcomer, 1)


def test_replacing_a_database_leaves_nothing_of_what_it_held(cli, places, tmp_path):
    """--replace brings back the backup's schema whole: a table of newer code goes too."""
    accounts.create_user("09130000001", "همسایه", PIN, neighborhood=places["Tajrish"])
    made = cli.invoke(args=["backup", "--to", str(tmp_path / "copy")])
    copy = next((tmp_path / "copy").iterdir())
    target = second_database(tmp_path)
    assert cli.invoke(args=["restore", str(copy), "--into", target]).exit_code == 0, made.output
    with maintenance.database_at(target):
        models.db.execute_sql("CREATE TABLE from_newer_code (id integer)")
        models.User.update(name="دیگر").execute()
    replaced = cli.invoke(args=["restore", str(copy), "--into", target, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    with maintenance.database_at(target):
        assert not models.db.table_exists("from_newer_code")
        assert [user.name for user in models.User.select()] == ["همسایه"]


def test_a_database_in_memory_is_neither_backed_up_nor_restored_into_and_no_file_is_made(
    cli, db, tmp_path, monkeypatch
):
    made = cli.invoke(args=["backup", "--to", str(tmp_path / "copy")])
    copy = next((tmp_path / "copy").iterdir())
    monkeypatch.chdir(tmp_path)
    for url in ("sqlite:///:memory:", "sqlite://", "sqlite:///file:site?mode=memory"):
        with pytest.raises(backups.BackupError, match="in memory"):
            backups.make_backup(url, tmp_path / "out")
        if not PG_URL:
            restored = cli.invoke(args=["restore", str(copy), "--into", url])
            assert restored.exit_code != 0 and "in memory" in restored.output, made.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["copy"]
