"""A round's voucher cards, laid out by the worker: ten cards an A4 page, in
files of distributions.CARDS_PER_FILE cards. Each card carries the
household's code in digits and as a QR code (the code alone: a point's
scanner types it into the page's field).

The worker reads the round's cards (the codes come from each entitlement's
salt and the site's key) and hands each file's cards to one of PROCESSES
processes forked from it, which lay the file out a part at a time and give
back its bytes; the worker writes each file to the store every node sees and
counts the progress. A child never touches the database, and holds one
file's pages at a time, so the memory stays bounded however large the round."""

import gc
import multiprocessing
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

import segno
from flask import current_app

from hamsayeh.domain import distributions
from hamsayeh.web import files, observability, pdf

PROCESSES = 2  # the machines this runs on have two cores or more

_app = {}


def voucher_file(batch, part):
    """Part `part` (from 1) of the batch in the file store every node sees."""
    return f"vouchers/batch-{batch.id}-{part}.pdf"


def qr_image(code):
    """The code as a QR code, one pixel a module (a PNG printed without
    smoothing): quicker to lay out than a drawing, as sharp. The mask is
    fixed: any of the eight reads the same, and choosing costs more than the rest."""
    return segno.make(code, error="m", micro=False, mask=0).png_data_uri(scale=1, border=2)


def _render_file(cards, title, item, base_url):
    """In a child process: one file's PDF from its cards (reference, name, code, point)."""
    app = _app["app"]
    with app.test_request_context(base_url=base_url):
        rows = [(n, name, distributions.spaced(code), point, qr_image(code)) for n, name, code, point in cards]
        parts = [rows[i : i + distributions.CARDS_PER_PART] for i in range(0, len(rows), distributions.CARDS_PER_PART)]
        campaign, round_ = {"title": title}, {"item": item}
        return pdf.render_in_parts(
            "pdf/voucher_cards.html", ({"cards": part, "campaign": campaign, "round": round_} for part in parts)
        )


def render_cards(batch_id, secret, processes=PROCESSES):
    """In the worker: claim the batch, have its files made (PROCESSES at a
    time), store each whole, count progress, and mark the batch done (or
    failed, to be tried again)."""
    batch, ids = distributions.claim_cards(batch_id)
    if batch is None:
        return
    round_ = distributions.get_round(batch.round_id)
    title, item = round_.campaign.title, round_.item
    _app["app"] = current_app._get_current_object()
    base_url = current_app.config.get("PUBLIC_URL") or "http://localhost/"
    chunks = [ids[i : i + distributions.CARDS_PER_FILE] for i in range(0, len(ids), distributions.CARDS_PER_FILE)]
    started, made = time.perf_counter(), 0
    # What the worker holds now stays out of the collector's way: a child
    # that counts it as garbage would copy those pages (fork's copy-on-write).
    gc.collect()
    gc.freeze()
    try:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
            waiting, queue = {}, list(enumerate(chunks, start=1))
            while queue or waiting:
                while queue and len(waiting) < processes:  # a file's cards are read only when a process is free
                    part, chunk = queue.pop(0)
                    cards = distributions.cards_of(chunk, secret)
                    waiting[pool.submit(_render_file, cards, title, item, base_url)] = (part, len(chunk))
                done, _pending = wait(waiting, return_when=FIRST_COMPLETED)
                for future in done:
                    part, count = waiting.pop(future)
                    files.store().write(voucher_file(batch, part), future.result())  # whole or not at all
                    made += count
                    distributions.cards_progress(batch, made)
    except Exception:
        distributions.cards_failed(batch)
        raise
    finally:
        gc.unfreeze()
    distributions.cards_done(batch)
    observability.batch_made(time.perf_counter() - started)
