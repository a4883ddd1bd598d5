"""Command-line commands: `flask migrate`, `flask seed-demo`, `flask create-user`,
`flask backup`, `flask restore`, and headquarters' imports (`flask import-areas`,
`import-centers`, `import-facilitators`, `import-volunteers`)."""

import os
import secrets
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, demo, maintenance, registry, scale
from hamsayeh.web import backups, bulk, observability


def init_app(app):
    app.cli.add_command(migrate_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(generate_scale_command)
    app.cli.add_command(registry_key_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    for kind in bulk.KINDS:
        app.cli.add_command(import_command(kind))


def migrations_directory():
    return str(Path(current_app.root_path) / "migrations")


def migrate():
    """Apply every pending migration, once however many nodes start at the
    same moment (they wait for one another); returns their names."""
    return maintenance.migrate(migrations_directory())


@click.command("migrate")
def migrate_command():
    """Bring the database schema up to date (safe to run on every node as it starts)."""
    applied = migrate()
    click.echo("applied: " + ", ".join(applied) if applied else "the schema is up to date")


@click.command("registry-key")
def registry_key_command():
    """Development: make the registry's key file once, for an empty registry.
    In production the key comes from HAMSAYEH_REGISTRY_KEY (a secrets store)."""
    path = Path(current_app.instance_path) / "registry_key"
    if current_app.config["REGISTRY_KEY"]:
        click.echo("the registry key is set")
        return
    with models.connection():
        registry.check_registry_key("")  # refuses when a registry exists without its key
    key_file(path)
    click.echo(f"made a new registry key in {path}: keep it, or the registry cannot be read")


def key_file(path):
    """The random key in `path`, made the first time in a file that only its
    owner can read: created with mode 0600, never widened even for a moment."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return Path(path).read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32))
    return Path(path).read_text().strip()


@click.command("seed-demo")
def seed_demo_command():
    """Fill the database with Persian demo data; running it again adds nothing."""
    with models.connection():
        counts = demo.seed(registry_key=current_app.config["REGISTRY_KEY"], secret=current_app.config["SECRET_KEY"])
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@click.command("create-user")
@click.option("--phone", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice(models.ROLES), default=["resident"])
@click.password_option("--pin", prompt="PIN")
def create_user_command(phone, name, roles, pin):
    """Create an account (for example the first admin of a new installation)."""
    normalized = persian.normalize_phone(phone)
    if normalized is None:
        raise click.BadParameter("not an Iranian mobile number", param_hint="--phone")
    with models.connection():
        user = accounts.create_user(normalized, persian.normalize(name), persian.normalize(pin), roles=roles)
    click.echo(f"created user {user.id} with roles {', '.join(roles)}")


@click.command("generate-scale")
@click.option("--neighborhoods", default=2500)
@click.option("--volunteers", default=300_000)
@click.option("--requests", default=200_000)
def generate_scale_command(neighborhoods, volunteers, requests):
    """Add a national-scale data set for benchmarks (never on a real database)."""
    with models.connection():
        scale.generate(neighborhoods=neighborhoods, volunteers=volunteers, requests=requests, echo=click.echo)


@click.command("backup")
@with_appcontext
@click.option("--to", "target", default=None, help="A folder (default HAMSAYEH_BACKUP_DIR) or a file name.")
def backup_command(target):
    """Copy the database while the site runs: SQLite's online backup, or pg_dump.
    The keys are not in it: keep them apart (see README, "Backups")."""
    try:
        path = backups.make_backup(current_app.config["DATABASE_URL"], target or current_app.config["BACKUP_DIR"])
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"backed up to {path} ({path.stat().st_size:,} bytes)")


@click.command("restore")
@with_appcontext
@click.argument("backup", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "url", default=None, help="The database to restore into (default: DATABASE_URL).")
@click.option("--replace", is_flag=True, help="Replace what that database holds (stop every node first).")
def restore_command(backup, url, replace):
    """Bring a backup back, checked before it replaces anything: integrity,
    the time bank's ledger, the audit chain under HAMSAYEH_AUDIT_KEY, and
    HAMSAYEH_REGISTRY_KEY, on a scratch copy. Exits with an error, saying
    what is wrong, when any check fails: the database is then as it was."""
    url = url or current_app.config["DATABASE_URL"]
    try:
        backups.restore(backup, url, restored_problems, replace=replace)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo("checked: integrity, the time bank's ledger, the audit chain and the registry key are all right")
    click.echo(f"restored {backup} into {observability.without_password(url)}")
    with maintenance.database_at(url):
        pending = maintenance.pending_migrations(maintenance.migration_names(migrations_directory()))
    if pending:
        click.echo(
            f"{len(pending)} migrations of this code are newer than the backup: run `flask migrate` before serving"
        )


def restored_problems(url):
    """What is wrong with the restored copy at `url`, as sentences (none when it may serve)."""
    with maintenance.database_at(url):
        return maintenance.restored_problems(current_app.config["REGISTRY_KEY"])


def import_command(kind):
    """`flask import-areas FILE --by PHONE` and the like: the import pages'
    work for files of up to bulk.COMMAND_ROWS rows. Every bad row is listed
    in Persian, and nothing is written while one is bad."""

    @click.command(f"import-{kind}", help=f"Import {kind} from a CSV or XLSX file (its columns: the import page).")
    @with_appcontext
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--by", "phone", required=True, help="The mobile number of the administrator who answers for it.")
    @click.option("--check", is_flag=True, help="Only check the file: write nothing.")
    def command(file, phone, check):
        with models.connection(), force_locale("fa"):
            actor = models.User.by_phone(persian.normalize_phone(phone) or "")
            if actor is None or not actor.has_role("admin") or not actor.is_active:
                raise click.BadParameter("not the number of an active administrator", param_hint="--by")
            started = time.monotonic()
            result = bulk.run(kind, Path(file).read_bytes(), actor, write=not check, most_rows=bulk.COMMAND_ROWS)
            for problem in result.problems:
                where = f"row {problem.row}" if problem.row else "the file"
                click.echo(f"{where}: {bulk.reason(problem)}")
            if not result.ok:
                raise click.ClickException(f"{len(result.problems)} problems: nothing was imported")
            for key, label in bulk.COUNT_LABELS[kind].items():
                click.echo(f"{label}: {result.counts.get(key, 0)}")
            done = "imported" if result.written else "checked, nothing written"
            click.echo(f"{done} in {time.monotonic() - started:.1f} s")

    return command
