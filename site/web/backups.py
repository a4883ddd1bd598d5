"""Backups of a running site, and bringing one back.

SQLite: the online backup API (sqlite3.Connection.backup) copies the database
in one step, from one read snapshot: writers go on meanwhile (WAL), and the
copy holds every transaction that had committed when it began, none in part.
PostgreSQL: pg_dump, whose dump is one snapshot too.

A restore brings the copy back apart from the site first and checks it
there (`hamsayeh.domain.maintenance.restored_problems`: integrity, the
ledger, the audit chain, the registry key); only a copy that passes
replaces what the database holds, in one transaction. A damaged file or a
failed check leaves the site as it was. `flask backup` and `flask restore`
(web/cli.py) put the two together."""

import contextlib
import datetime
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or a restore that could not be made: the message says why."""


def is_sqlite(url):
    return url.startswith("sqlite:")


def sqlite_file(url):
    """The file of a `sqlite:///path` URL; None for a database that no file
    stands for: one in memory (`:memory:`, an empty path) or named by a
    `file:` URI (whose options the path would carry). A file made for those
    would be a stray empty file in the folder the command ran in."""
    path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return Path(path)


def backup_name(url, now=None):
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"hamsayeh-{stamp}" + (".sqlite3" if is_sqlite(url) else ".pgdump")


def private_file(path):
    """An empty file that only its owner may read, made before anything is written to it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def make_backup(url, target):
    """Back up the database at `url` into `target` (a folder, where a file
    named by the time is made, or a file name). The file's path."""
    if is_sqlite(url) and sqlite_file(url) is None:
        raise BackupError("a database in memory has nothing to back up: name a file (sqlite:///path)")
    target = Path(target)
    if target.is_dir() or not target.suffix:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = target / backup_name(url)
    temporary = target.with_name(f".{target.name}.part")
    private_file(temporary)
    try:
        if is_sqlite(url):
            source = sqlite3.connect(sqlite_file(url), timeout=30)
            copy = sqlite3.connect(temporary)
            try:
                source.backup(copy)  # pages=-1: all at once, from one snapshot
            finally:
                copy.close()
                source.close()
        else:
            run_postgres_tool("pg_dump", url, ["--format=custom", "--no-owner", f"--file={temporary}"])
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def kind_of(path):
    """Which database made the file ("sqlite" or "postgresql"), from its first bytes."""
    with open(path, "rb") as file:
        head = file.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump file (custom format)")


def holds_a_site(url):
    """Whether the database at `url` already has tables."""
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is None or not path.exists():
            return False
        with sqlite3.connect(path) as connection:
            return connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    import psycopg

    with psycopg.connect(url) as connection:
        found = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        return found[0] > 0


def restore(path, url, problems_of, replace=False):
    """Bring the backup at `path` back into the database at `url` (of the
    same kind), checked before it replaces anything. Refuses a database that
    holds a site unless `replace`.

    The copy is first brought back apart from the site: into a scratch file
    beside a SQLite database, or a scratch database on the same PostgreSQL
    server. `problems_of(scratch_url)` says what is wrong with it (as
    sentences); a damaged file, or any problem, raises BackupError
    (ChecksFailed) and the database at `url` is left as it was. Only a copy
    with no problem replaces what it holds, in one transaction that cannot
    stop half-way: SQLite's backup API, or the whole pg_restore script run
    by psql between BEGIN and a COMMIT sent once the script is whole."""
    kind = kind_of(path)
    if (kind == "sqlite") != is_sqlite(url):
        raise BackupError(
            f"a {kind} backup cannot be restored into {urlsplit(url).scheme}: name a database of its kind"
        )
    if kind == "sqlite" and sqlite_file(url) is None:
        raise BackupError("a database in memory cannot be restored into: name a file (sqlite:///path)")
    if not replace and holds_a_site(url):
        raise BackupError(
            "the target database already holds a site: restore into an empty one (--into), "
            "or stop every node and add --replace"
        )
    if kind == "sqlite":
        _restore_sqlite(Path(path), sqlite_file(url), problems_of)
    else:
        _restore_postgres(Path(path), url, problems_of)


class ChecksFailed(BackupError):
    """The copy, brought back apart from the site, fails its checks: nothing was replaced."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("the backup fails its checks, and nothing was restored:\n  " + "\n  ".join(problems))


def _check(problems_of, scratch_url):
    problems = problems_of(scratch_url)
    if problems:
        raise ChecksFailed(problems)


def _restore_sqlite(path, target, problems_of):
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.restore-{secrets.token_hex(4)}")
    private_file(scratch)
    try:
        _copy_sqlite(path, scratch)
        _check(problems_of, f"sqlite:///{scratch}")
        if not target.exists():
            private_file(target)
        # The backup API writes every page in one transaction of the target:
        # a reader sees the old database or the new one, and a crash leaves the old.
        _copy_sqlite(scratch, target)
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm"), Path(f"{scratch}-journal")):
            leftover.unlink(missing_ok=True)


def _copy_sqlite(source_path, destination_path):
    """Every page of one SQLite database into another, in one step of the
    backup API; a damaged source raises BackupError before anything is written."""
    source = sqlite3.connect(source_path)
    try:
        try:
            check = source.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            check = str(error)
        if check != "ok":
            raise BackupError(f"the backup file is damaged: {check}")
        destination = sqlite3.connect(destination_path, timeout=30)
        try:
            source.backup(destination)  # pages=-1: all at once
        except sqlite3.Error as error:
            raise BackupError(f"could not write {destination_path}: {error}") from error
        finally:
            destination.close()
    finally:
        source.close()


def _restore_postgres(path, url, problems_of):
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    # PostgreSQL keeps 63 bytes of a name: the random end must stay.
    scratch = f"{parts.path.lstrip('/')[:40]}_restore_{secrets.token_hex(4)}"
    scratch_url = parts._replace(path=f"/{scratch}").geturl()
    try:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch)))
    except psycopg.Error as error:
        raise BackupError(
            f"could not make a scratch database to check the backup in (the role needs CREATEDB): {error}"
        ) from error
    try:
        run_postgres_tool(
            "pg_restore", scratch_url, ["--no-owner", "--exit-on-error", "--single-transaction", str(path)]
        )
        _check(problems_of, scratch_url)
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
    _replace_postgres(path, url)


# What psql runs before the backup's own script, in the same transaction:
# tables of newer migrations go too, so that `flask migrate` finds the backup's schema.
EMPTY_SCHEMA = b"BEGIN;\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"


def _replace_postgres(path, url):
    """Everything the database at `url` holds replaced by the backup, in one
    transaction: psql reads the SQL that pg_restore writes, and COMMIT is
    sent only after pg_restore has written all of it without an error. psql
    stops at the first error; either way, without COMMIT the server rolls back."""
    restorer, applier = _program("pg_restore"), _program("psql")
    env, database = _connection(url)
    env["PGOPTIONS"] = "-c client_min_messages=warning"
    with tempfile.TemporaryFile() as restorer_errors, tempfile.TemporaryFile() as applier_errors:
        apply = subprocess.Popen(  # noqa: S603 (a fixed program, arguments built here)
            [applier, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", f"--dbname={database}", "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=applier_errors,
            env=env,
        )
        script = subprocess.Popen(  # noqa: S603
            [restorer, "--no-owner", "--exit-on-error", "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=restorer_errors,
            env=env,
        )
        whole = False
        try:
            apply.stdin.write(EMPTY_SCHEMA)
            shutil.copyfileobj(script.stdout, apply.stdin, 1 << 16)
            whole = script.wait() == 0
            if whole:
                apply.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: what it began is rolled back
        finally:
            script.stdout.close()
            if script.poll() is None:
                script.kill()
            script.wait()
            with contextlib.suppress(BrokenPipeError):
                apply.stdin.close()
            applied = apply.wait() == 0
        if not (whole and applied):
            said = b"".join(_read(errors) for errors in (restorer_errors, applier_errors)).decode(errors="replace")
            raise BackupError(f"the backup could not replace the database, which is left as it was: {said.strip()}")


def _read(file):
    file.seek(0)
    return file.read()


def _program(tool):
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    return program


def _connection(url):
    """The environment (the password goes there, never on the command line
    where `ps` shows it) and the address without it, for PostgreSQL's tools."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    netloc = (parts.username or "") + "@" + (parts.hostname or "127.0.0.1") + (f":{parts.port}" if parts.port else "")
    return env, parts._replace(netloc=netloc.lstrip("@"), scheme="postgresql").geturl()


def run_postgres_tool(tool, url, arguments):
    """pg_dump or pg_restore on the database at `url`."""
    env, database = _connection(url)
    done = subprocess.run(  # noqa: S603 (a fixed program, arguments built here)
        [_program(tool), f"--dbname={database}", *arguments], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")
