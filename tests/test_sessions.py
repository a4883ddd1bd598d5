"""Sessions kept on the server, tried the way an attacker would: a cookie
copied before sign-out, kiosk Finish, a PIN change, a disabled account or a
time-out opens nothing afterwards. And the smaller hardening: the public
address and trusted hosts, no-store on private responses, formula-safe CSV,
the audit chain keyed with HMAC, instance files readable by their owner only."""

import csv
import datetime
import hashlib
import io
import json
import os
import sqlite3
import stat
import time
import uuid
from pathlib import Path

import pytest
from flask import url_for
from flask.sessions import SecureCookieSessionInterface

import app as site
import models
from hamsayeh.domain import accounts, audit, sessions
from hamsayeh.web import cli, spreadsheets
from hamsayeh.web.sessions import device_summary
from tests.conftest import PIN, sign_in, submit
from tests.pages import check_page

COOKIE = "hamsayeh_session"
ANDROID_CHROME = "Mozilla/5.0 (Linux; Android 14; SM-A146P) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"


def thief_with(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def sent_to_sign_in(response):
    return response.status_code == 302 and response.location.startswith("/account/sign-in")


def rows_of(user):
    return models.Session.select().where(models.Session.user == user).count()


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, client, people):
    sign_in(client, people["resident"].phone)
    thief = thief_with(app, client)
    assert thief.get("/account/").status_code == 200  # while signed in, the copy works: that is the risk
    submit(client, "/account/", "/account/sign-out", {})
    assert rows_of(people["resident"]) == 0
    assert sent_to_sign_in(thief.get("/account/"))
    assert sent_to_sign_in(thief.get("/inbox/"))
    assert sent_to_sign_in(client.get("/account/"))


def test_the_store_holds_only_a_hash_of_the_id_in_the_cookie(app, client, people):
    sign_in(client, people["resident"].phone)
    signer = app.session_interface.get_signing_serializer(app)
    session_id = signer.loads(client.get_cookie(COOKIE).value)["sid"]
    row = models.Session.get()
    assert row.id_hash == hashlib.sha256(session_id.encode()).hexdigest()
    assert session_id not in row.data and session_id != row.id_hash
    assert str(people["resident"].id) in row.data  # the session's data is on the server, not in the cookie


def test_a_new_id_at_every_sign_in(app, client, people):
    """No fixation: an id known before signing in is worth nothing after it."""
    client.get("/account/sign-in")
    sign_in(client, people["resident"].phone)
    first = client.get_cookie(COOKIE).value
    thief = thief_with(app, client)
    sign_in(client, people["resident"].phone)
    assert client.get_cookie(COOKIE).value != first
    assert sent_to_sign_in(thief.get("/account/"))
    assert client.get("/account/").status_code == 200
    assert rows_of(people["resident"]) == 1


def test_guests_leave_no_row_and_their_forms_still_work(app, client, people):
    for path in ("/", "/account/sign-in", "/account/sign-up", "/simple/"):
        client.get(path)
    assert models.Session.select().count() == 0
    response = submit(client, "/account/sign-in", "/account/sign-in", {"phone": people["resident"].phone, "pin": "0"})
    assert response.status_code == 422  # the form token of a guest's signed cookie was accepted
    assert models.Session.select().count() == 0


def test_a_cookie_signed_by_flasks_own_session_never_signs_anyone_in(app, people):
    """A client-side session naming a member, signed with the site's key the
    way Flask signed them before: it opens nothing now."""
    now = time.time()
    data = {"uid": people["admin"].id, "epoch": 0, "issued": now, "seen": now}
    forged = SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)
    browser = app.test_client()
    browser.set_cookie(COOKIE, forged)
    assert sent_to_sign_in(browser.get("/admin/people/"))


def test_kiosk_finish_ends_the_session_an_administrator_left_there(app, client, people, places):
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    sign_in(client, people["center_staff"].phone)
    page = f"/kiosk/centers/{center.id}"
    assert submit(client, page, page, {"name": "پایانهٔ ورودی"}).location == "/kiosk/"
    sign_in(client, people["admin"].phone)
    thief = thief_with(app, client)  # not at the kiosk: its pages are not limited
    assert thief.get("/admin/people/").status_code == 200
    assert submit(client, "/kiosk/", "/kiosk/done", {}).location == "/kiosk/"
    assert sent_to_sign_in(thief.get("/admin/people/"))
    assert rows_of(people["admin"]) == 0


def test_a_pin_change_ends_every_other_session(app, client, people):
    user = people["resident"]
    sign_in(client, user.phone)
    thief = thief_with(app, client)
    response = submit(client, "/account/pin", "/account/pin", {"current_pin": PIN, "pin": "3690", "pin_again": "3690"})
    assert response.status_code == 302
    assert sent_to_sign_in(thief.get("/account/"))
    assert client.get("/account/").status_code == 200
    assert rows_of(user) == 1


def test_a_pin_reset_and_disabling_delete_the_sessions(app, client, people):
    user = people["resident"]
    sign_in(client, user.phone)
    accounts.reset_pin(user, "3690", people["admin"])
    assert rows_of(user) == 0 and sent_to_sign_in(client.get("/account/"))
    sign_in(client, user.phone, "3690")
    thief = thief_with(app, client)
    accounts.set_active(models.User.get_by_id(user.id), False, people["admin"])
    assert rows_of(user) == 0
    assert sent_to_sign_in(thief.get("/account/"))


def test_an_idle_time_out_deletes_the_session(app, client, people):
    user = people["social_worker"]
    sign_in(client, user.phone)
    thief = thief_with(app, client)
    with client.session_transaction() as state:
        state["seen"] = time.time() - 31 * 60
    assert sent_to_sign_in(client.get("/account/"))
    assert rows_of(user) == 0
    assert sent_to_sign_in(thief.get("/account/"))


def test_the_store_forgets_a_session_past_its_time_by_itself(client, people):
    sign_in(client, people["resident"].phone)
    models.Session.update(expires_at=models.utcnow() - datetime.timedelta(seconds=1)).execute()
    assert sent_to_sign_in(client.get("/account/"))


def test_a_member_sees_their_sessions_and_ends_them(app, people):
    user = people["resident"]
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    phone.environ_base["HTTP_USER_AGENT"] = ANDROID_CHROME
    tablet.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/605.1"
    for browser in (laptop, phone, tablet):
        sign_in(browser, user.phone)
    assert "/account/sessions" in check_page(laptop.get("/account/"))
    html = check_page(laptop.get("/account/sessions"))
    assert "Chrome" in html and "Android" in html and "Firefox" in html and "iOS" in html
    year = models.utcnow().year - 621  # the Jalali year, in Persian digits
    assert any(digit in html for digit in "۰۱۲۳۴۵۶۷۸۹") and str(year) not in html
    phone_key = next(r.id_hash for r in models.Session.select() if "Android" in r.user_agent)
    response = submit(laptop, "/account/sessions", f"/account/sessions/{phone_key}/end", {})
    assert response.status_code == 302
    assert sent_to_sign_in(phone.get("/account/"))
    assert tablet.get("/account/").status_code == 200
    submit(laptop, "/account/sessions", "/account/sessions/end-others", {})
    assert sent_to_sign_in(tablet.get("/account/"))
    assert laptop.get("/account/").status_code == 200 and rows_of(user) == 1


def test_no_one_ends_another_members_session(app, client, people):
    victim = app.test_client()
    sign_in(victim, people["admin"].phone)
    key = models.Session.get().id_hash
    sign_in(client, people["resident"].phone)
    assert submit(client, "/account/sessions", f"/account/sessions/{key}/end", {}).status_code == 404
    assert victim.get("/admin/people/").status_code == 200


def test_device_summary():
    assert device_summary(ANDROID_CHROME) in ("Chrome on Android", "Chrome روی Android")
    assert device_summary("") in ("An unknown device", "دستگاهی ناشناخته")


def redis_store():
    try:
        store = sessions.RedisStore("redis://127.0.0.1:6379/15", prefix=f"test-{uuid.uuid4().hex}")
        store.redis.ping()
    except Exception as error:  # no client, or no server: the skip says which
        pytest.skip(f"Redis on 127.0.0.1:6379 is not reachable ({type(error).__name__}: {error})")
    return store


@pytest.mark.parametrize("kind", ["table", "redis"])
def test_both_stores_keep_end_and_list_sessions(app, client, people, kind):
    store = redis_store() if kind == "redis" else sessions.TableStore()
    previous = sessions.current_store()
    sessions.use_store(store)
    try:
        user = people["resident"]
        sign_in(client, user.phone)
        thief = thief_with(app, client)
        other = app.test_client()
        sign_in(other, user.phone)
        assert thief.get("/account/").status_code == 200
        assert len(sessions.active(user)) == 2
        submit(client, "/account/", "/account/sign-out", {})
        assert sent_to_sign_in(thief.get("/account/"))
        assert len(sessions.active(user)) == 1
        sessions.end_all(user)
        assert sent_to_sign_in(other.get("/account/")) and sessions.active(user) == []
        soon = models.utcnow() + datetime.timedelta(minutes=5)
        session_id, record = sessions.start(user.id, "{}", "", soon)
        record.data = '{"x": 1}'
        assert sessions.save(record) and sessions.load(sessions.id_hash(session_id)).data == '{"x": 1}'
        sessions.end(record.id_hash)
        assert not sessions.save(record)  # an ended session never comes back with a late write
        assert sessions.load(record.id_hash) is None
    finally:
        sessions.use_store(previous)
        if kind == "redis":
            store.redis.delete(*store.redis.keys(f"{store.prefix}:*") or ["none"])


# --- The public address and trusted hosts ----------------------------------------------


def test_a_foreign_host_gets_400_before_any_view(app, client, monkeypatch):
    monkeypatch.setattr("hamsayeh.web.pdf.qr_code", lambda url: pytest.fail("a QR code was drawn"))
    flyers = app.extensions.get("fragment_caches", {}).get("flyers")
    before = list(flyers.entries) if flyers else []
    response = client.get("/centers/programs/1/flyer.pdf", headers={"Host": "evil.example"})
    assert response.status_code == 400
    flyers = app.extensions.get("fragment_caches", {}).get("flyers")
    assert (list(flyers.entries) if flyers else []) == before
    assert client.get("/", headers={"Host": "localhost:5000"}).status_code == 200


def test_printed_addresses_name_the_public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://hamsayeh.example")
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert url_for("board.index", _external=True) == "https://hamsayeh.example/board/"
        assert url_for("board.index") == "/board/"


def test_trusted_hosts_come_from_the_public_url():
    def hosts(production):
        config = {"PUBLIC_URL": "https://hamsayeh.example", "PRODUCTION": production}
        return site._trusted_hosts(type("App", (), {"config": config}))

    assert hosts(production=True) == ["hamsayeh.example"]
    assert hosts(production=False) == ["hamsayeh.example", "localhost", "127.0.0.1"]


# --- No-store on private responses ------------------------------------------------------


def test_private_downloads_are_never_stored(client, people):
    sign_in(client, people["admin"].phone)
    for path in ("/hq/overview.csv", "/time/statement.pdf", "/admin/people/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "Cookie" in response.headers["Vary"], path


def test_public_pages_for_guests_may_be_revalidated(client, db):
    assert client.get("/").headers["Cache-Control"] == "no-cache"


# --- Formula-safe CSV --------------------------------------------------------------------


def test_csv_cells_that_start_like_a_formula_are_text():
    out = io.StringIO()
    spreadsheets.write_rows(out, [['=HYPERLINK("http://x")', "+98", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "سلام", -5, 7]])
    row = next(csv.reader(io.StringIO(out.getvalue())))
    assert row == ['\'=HYPERLINK("http://x")', "'+98", "'-1+1", "'@SUM(A1)", "'\t=1", "'\r=1", "سلام", "-5", "7"]


def test_every_csv_export_goes_through_the_safe_writer():
    root = Path(__file__).resolve().parents[1] / "site"
    direct = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "spreadsheets.py" and ("csv.writer(" in path.read_text() or "DictWriter(" in path.read_text())
    ]
    assert direct == []


# --- The audit chain, keyed ----------------------------------------------------------------


def plain_digest(entry):
    payload = json.dumps(
        [entry.previous_hash, entry.at.isoformat(), entry.actor_id, entry.action, entry.subject, entry.detail],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def test_deleting_an_entry_and_recomputing_the_chain_without_the_key_shows(db, people):
    entries = list(models.AuditEntry.select().order_by(models.AuditEntry.id))
    assert len(entries) >= 4 and audit.verify_audit_chain() is None
    middle = entries[len(entries) // 2]
    # The attacker can write to the database but does not hold HAMSAYEH_AUDIT_KEY.
    models.AuditEntry.delete().where(models.AuditEntry.id == middle.id).execute()
    previous = models.GENESIS_HASH
    for entry in models.AuditEntry.select().order_by(models.AuditEntry.id):
        entry.previous_hash = previous
        previous = plain_digest(entry)
        models.AuditEntry.update(previous_hash=entry.previous_hash, entry_hash=previous).where(
            models.AuditEntry.id == entry.id
        ).execute()
    assert audit.verify_audit_chain() == entries[0].id


# --- Files in the instance folder ------------------------------------------------------------


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_keys_are_made_readable_by_their_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        key = cli.key_file(tmp_path / "audit_key")
    finally:
        os.umask(old)
    assert len(key) == 64 and mode(tmp_path / "audit_key") == 0o600
    assert cli.key_file(tmp_path / "audit_key") == key  # made once


def test_sqlite_files_are_readable_by_their_owner_only(app, tmp_path):
    path = tmp_path / "site.sqlite3"
    old = os.umask(0o022)
    try:
        site._keep_database_private(f"sqlite:///{path}")
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=wal")
            connection.execute("CREATE TABLE t (x)")
            connection.execute("INSERT INTO t VALUES (1)")
            assert {mode(path), mode(f"{path}-wal"), mode(f"{path}-shm")} == {0o600}
    finally:
        os.umask(old)
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):  # the test run's own database was made the same way
        assert mode(url[len("sqlite:///") :]) == 0o600
