"""Background work on a real task queue (huey). By default the queue is a
SQLite file beside the site's data, so nothing else has to run but the worker;
a site scaled over several machines names a Redis server instead
(HAMSAYEH_QUEUE_URL=redis://…). The worker is `flask worker`; `make run`
starts one beside the development server.

A task runs inside the application that was created in its process, so it
uses the same database and configuration as the pages."""

import os
from pathlib import Path

import click
from flask import current_app
from huey import RedisHuey, SqliteHuey

ROOT = Path(__file__).resolve().parents[1]


def make_queue():
    url = os.environ.get("HAMSAYEH_QUEUE_URL", "")
    if url.startswith("redis://"):
        return RedisHuey("hamsayeh", url=url)
    path = Path(os.environ.get("HAMSAYEH_QUEUE_FILE") or ROOT / "instance" / "queue.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("hamsayeh", filename=str(path))


huey = make_queue()
_app = None


def init_app(app):
    """Tasks run in the application of the process that runs them."""
    global _app
    _app = app
    app.cli.add_command(worker_command)


@huey.task(retries=2, retry_delay=5)
def print_batch(batch_id, base_url):
    """Render a batch of printed cards; its page shows the progress."""
    import models
    from hamsayeh.views import centers

    with _app.test_request_context(base_url=base_url), models.connection():
        centers.render_batch(batch_id)


@click.command("worker")
@click.option("--workers", default=2, help="Threads that run tasks.")
def worker_command(workers):
    """Run the background worker (printing batches) until stopped."""
    click.echo(f"worker for {current_app.name}: {type(huey.storage).__name__}")
    huey.create_consumer(workers=workers, worker_type="thread").run()
