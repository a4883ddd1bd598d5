"""Background work on a real task queue (huey). By default the queue is a
SQLite file beside the site's data, so nothing else has to run but the worker;
a site scaled over several machines names a Redis server instead
(HAMSAYEH_QUEUE_URL=redis://…). The worker is `flask worker`; `make run`
starts one beside the development server.

A task runs inside the application that was created in its process, so it
uses the same database and configuration as the pages."""

import time
from pathlib import Path

import click
from flask import current_app, url_for
from huey import RedisHuey, SqliteHuey, crontab

import models
from hamsayeh.domain import casework, centers, funds_votes
from hamsayeh.web import files, observability, pdf, sms_gateway
from hamsayeh.web.catalog import catalog

ROOT = Path(__file__).resolve().parents[1]


def make_queue(config):
    """The queue that `create_app` names: Redis when HAMSAYEH_QUEUE_URL is a
    redis:// address, else a SQLite file (HAMSAYEH_QUEUE_FILE, or the instance folder)."""
    url = config.get("QUEUE_URL", "")
    if url.startswith("redis://"):
        return RedisHuey("hamsayeh", url=url)
    path = Path(config.get("QUEUE_FILE") or ROOT / "instance" / "queue.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("hamsayeh", filename=str(path))


# Made by init_app, not at import: importing this module starts nothing.
huey = None
_app = None


def init_app(app):
    """Tasks run in the application of the process that runs them."""
    global _app, huey, print_batch, voucher_cards
    _app = app
    huey = make_queue(app.config)
    print_batch = huey.task(retries=2, retry_delay=5, name="print_batch")(_print_batch)
    # A distribution round's voucher cards (issue 16, web/vouchers.py).
    voucher_cards = huey.task(retries=2, retry_delay=5, name="voucher_cards")(_voucher_cards)
    # Sending the outbox's SMS, with retries and back-off (web/sms_gateway.py).
    sms_gateway.init_tasks(app, huey)
    # The welfare desk's reminders of tomorrow's visits, looked for every ten minutes.
    huey.periodic_task(crontab(minute="*/10"), name="case_reminders")(_case_reminders)
    # Local development funds: proposals past their voting period are counted (issue 17).
    huey.periodic_task(crontab(minute="*"), name="fund_votes")(_fund_votes)
    app.extensions["huey"] = huey
    app.cli.add_command(worker_command)


def _voucher_cards(batch_id, base_url):
    from hamsayeh.web import vouchers

    with _app.test_request_context(base_url=_app.config["PUBLIC_URL"] or base_url), models.connection():
        vouchers.render_cards(batch_id, _app.config["SECRET_KEY"])


voucher_cards = None  # the task, registered on the queue by init_app


def _case_reminders():
    with _app.app_context(), models.connection():
        return casework.send_reminders()


def _fund_votes():
    with _app.app_context(), models.connection():
        return funds_votes.close_all_due()


def _print_batch(batch_id, base_url):
    """Render a batch of printed cards; its page shows the progress. Its
    QR codes name the public address when the site has one."""
    with _app.test_request_context(base_url=_app.config["PUBLIC_URL"] or base_url), models.connection():
        render_batch(batch_id)


# --- Volunteer cards: laid out here, their batch's state kept by the domain -----------------

CARDS_PER_PART = 20


def batch_file(batch):
    """The batch's name in the file store that every node sees (web/files.py)."""
    return f"prints/batch-{batch.id}.pdf"


def card_context(center, profiles):
    names = {item.id: item for item in catalog().activity_types}
    return {
        "center": center,
        "cards": [(profile, [names[a] for a in sorted(profile.activity_ids()) if a in names]) for profile in profiles],
        "qr": pdf.qr_code(url_for("centers.show", center_id=center.id, _external=True)),
    }


def render_batch(batch_id):
    """In the worker: claim the batch (one attempt at a time), lay the cards
    out a part at a time, counting progress, then write the file and mark the
    batch done."""
    batch, profiles = centers.claim_batch(batch_id)
    if batch is None:  # done already, or another attempt has it
        return
    parts = [profiles[i : i + CARDS_PER_PART] for i in range(0, len(profiles), CARDS_PER_PART)]

    def done(number):
        centers.batch_progress(batch, min(number * CARDS_PER_PART, len(profiles)))

    started = time.perf_counter()
    try:
        data = pdf.render_in_parts("pdf/cards.html", (card_context(batch.center, part) for part in parts), done)
        files.store().write(batch_file(batch), data)  # whole or not at all
    except Exception:
        centers.batch_failed(batch)
        raise
    centers.batch_done(batch, len(profiles))
    observability.batch_made(time.perf_counter() - started)


print_batch = None  # the task, registered on the queue by init_app


@click.command("worker")
@click.option("--workers", default=2, help="Threads that run tasks.")
def worker_command(workers):
    """Run the background worker (printing batches) until stopped."""
    try:
        observability.check_before_serving(current_app)  # never works on a schema behind its code
    except observability.StartupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"worker for {current_app.name}: {type(huey.storage).__name__}")
    huey.create_consumer(workers=workers, worker_type="thread").run()
