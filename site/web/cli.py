"""Command-line commands: `flask migrate`, `flask seed-demo`, `flask create-user`."""

import os
import secrets
from pathlib import Path

import click
from flask import current_app

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, demo, registry, scale


def init_app(app):
    app.cli.add_command(migrate_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(generate_scale_command)
    app.cli.add_command(registry_key_command)


def migrations_directory():
    return str(Path(current_app.root_path) / "migrations")


def migrate():
    """Apply every pending migration; returns their names."""
    return models.apply_migrations(migrations_directory())


@click.command("migrate")
def migrate_command():
    """Bring the database schema up to date."""
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
        counts = demo.seed(registry_key=current_app.config["REGISTRY_KEY"])
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
