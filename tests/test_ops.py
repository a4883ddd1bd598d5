"""Running the site for real: the probes a load balancer asks, the request log
(never a phone number, code, PIN or national code), Prometheus metrics only
for this machine, the checks a node makes before serving, migrations that run
once while nodes start together, and the limits and files that every node
shares."""

import datetime
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from huey import RedisHuey

import models
from hamsayeh import persian
from hamsayeh.domain import accounts, maintenance
from hamsayeh.domain.demo import national_code
from hamsayeh.web import files, limits, observability, tasks
from tests.conftest import PG_URL, PIN, sign_in, submit
from tests.factories import assembly, make_post, sign_up

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/8"  # this module's own Redis database
CLOSED_PORT = 9  # nothing listens there: a database or Redis that does not answer


def redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379 (start it: redis-server --daemonize yes)")
    return redis.Redis.from_url(REDIS_URL)


def second_database():
    """An empty database of the suite's kind beside the test one: a SQLite file, or `<test database>2`."""
    if not PG_URL:
        return None
    name = PG_URL.rsplit("/", 1)[1] + "2"
    with psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


def site_env(**values):
    env = dict(os.environ, FLASK_APP="app", **values)
    for name in ("HAMSAYEH_ENV", "HAMSAYEH_SESSION_URL", "HAMSAYEH_QUEUE_URL", "FLASK_RUN_FROM_CLI"):
        env.pop(name, None)
    return env


# --- Probes ---------------------------------------------------------------------------------


def test_healthz_says_alive_without_a_session_a_cookie_or_a_trusted_host(client, db):
    answer = client.get("/healthz", headers={"Host": "10.0.0.7:8000"})  # a load balancer asks by address
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in answer.headers and answer.headers["Cache-Control"] == "no-store"
    assert client.get("/", headers={"Host": "10.0.0.7:8000"}).status_code == 400  # pages still check the Host


def test_readyz_is_ready_when_database_queue_and_schema_are(app, client, db):
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ready"}
    assert "Set-Cookie" not in answer.headers


def test_readyz_names_migrations_the_database_lacks(app, client, db, monkeypatch):
    names = observability.migration_names(app)
    monkeypatch.setitem(app.extensions, "migration_names", [*names, "9999_from_newer_code"])
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json() == {
        "status": "unavailable",
        "failed": ["migrations"],
        "pending_migrations": ["9999_from_newer_code"],
    }


def test_readyz_says_why_it_fails_only_to_this_machine(app, client, db, monkeypatch):
    """Which migrations a node lacks tells an outsider which code it runs:
    from another machine, or through the proxy, /readyz says only whether it is ready."""
    names = observability.migration_names(app)
    monkeypatch.setitem(app.extensions, "migration_names", [*names, "9999_from_newer_code"])
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    for answer in (
        client.get("/readyz", environ_base=outside),
        client.get("/readyz", headers={"X-Forwarded-For": "203.0.113.9"}),
    ):
        assert answer.status_code == 503 and answer.get_json() == {"status": "unavailable"}
    monkeypatch.setattr(app.wsgi_app, "token", "metrics-token-for-this-test")
    with_token = {"Authorization": "Bearer metrics-token-for-this-test"}
    answer = client.get("/readyz", environ_base=outside, headers=with_token)
    assert answer.get_json()["pending_migrations"] == ["9999_from_newer_code"]
    # And nginx serves neither /readyz nor /metrics to the outside at all.
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for path in ("/metrics", "/readyz"):
        assert re.search(rf"location = {path} \{{\s*return 404;\s*\}}", site), path


def test_readyz_fails_when_the_database_does_not_answer_while_healthz_still_does(app, client):
    site_database = models.db.obj
    models.db.initialize(models.open_database(f"postgresql://postgres@127.0.0.1:{CLOSED_PORT}/none"))
    try:
        ready, alive = client.get("/readyz"), client.get("/healthz")
    finally:
        models.db.initialize(site_database)
    assert ready.status_code == 503 and ready.get_json()["failed"] == ["database"]
    assert alive.status_code == 200


def test_readyz_fails_when_the_queue_does_not_answer(app, client, db, monkeypatch):
    monkeypatch.setitem(app.extensions, "huey", RedisHuey("hamsayeh", url=f"redis://127.0.0.1:{CLOSED_PORT}/0"))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["failed"] == ["queue"]


def test_every_answer_carries_a_request_id(client, db):
    first, second = client.get("/areas/"), client.get("/areas/")
    assert re.fullmatch(r"[0-9a-f]{16}", first.headers["X-Request-Id"])
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    # Without a trusted proxy, a request id sent by the client is not taken.
    assert client.get("/areas/", headers={"X-Request-Id": "chosen-by-client"}).headers["X-Request-Id"] != (
        "chosen-by-client"
    )


# --- The request log -----------------------------------------------------------------------


def request_lines(records):
    return [json.loads(r.getMessage()) for r in records if r.name == "hamsayeh.requests"]


def test_the_request_log_holds_no_phone_number_code_pin_or_national_code(app, people, places, caplog):
    caplog.set_level(logging.INFO)
    resident, stranger = app.test_client(), app.test_client()
    sign_in(resident, people["resident"].phone)
    submit(stranger, "/account/sign-in", "/account/sign-in", {"phone": "09127778899", "pin": "1397"})
    newcomer = app.test_client()
    assert sign_up(newcomer, phone="09125556677", pin="4826", pin_again="4826").status_code == 302
    code = re.search(r"\d{6}", persian.to_latin_digits(models.SmsMessage.select().first().body)).group(0)
    # A charity's staff member asks the registry about a national code.
    city = places["Tajrish"].parent.parent
    charity = models.Organization.create(name="خیریهٔ الف", kind="charity", county=city)
    assembly(city, "مجمع خیریه‌ها", members=[charity])
    models.OrganizationMember.create(organization=charity, user=people["charity_staff"], role="staff")
    staff = app.test_client()
    sign_in(staff, people["charity_staff"].phone)
    number = national_code("007812345")
    inquiry = {"id_kind": "national", "number": number, "reason": "new_aid", "months": "6"}
    assert submit(staff, "/registry/", "/registry/inquiry", inquiry).status_code == 200
    # Numbers in a query string and in an address that does not exist.
    resident.get("/areas/?q=09121112233")
    resident.get("/no-such-page/09121112233")

    lines = request_lines(caplog.records)
    assert {"method", "path", "endpoint", "status", "ms", "request_id", "time"} == set().union(*lines)
    seen = {(line["method"], line["endpoint"], line["path"], line["status"]) for line in lines}
    assert ("POST", "accounts.start_session", "/account/sign-in", 302) in seen
    assert ("POST", "accounts.start_session", "/account/sign-in", 422) in seen  # the wrong PIN
    assert ("POST", "accounts.finish_sign_up", "/account/sign-up/<request_id>", 302) in seen
    assert ("POST", "registry.inquiry", "/registry/inquiry", 200) in seen
    assert ("GET", "areas.index", "/areas/", 200) in seen
    assert ("GET", "unmatched", None, 404) in seen
    secrets = [people["resident"].phone, people["charity_staff"].phone, "09127778899", "09125556677", "9125556677"]
    secrets += [PIN, "1397", "4826", code, number, number.lstrip("0"), "09121112233"]
    secrets += [secret.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) for secret in secrets]
    for line in lines:  # the numbers in a line are its own (status, time, duration)
        assert all(isinstance(line[key], (int, float)) for key in ("status", "ms", "time"))
        words = " ".join(str(line[key]) for key in ("method", "path", "endpoint", "request_id"))
        assert not [secret for secret in secrets if secret in words], line
    others = " ".join(r.getMessage() for r in caplog.records if r.name != "hamsayeh.requests")
    assert not [secret for secret in secrets if len(secret) > 4 and secret in others]


# --- Metrics -------------------------------------------------------------------------------


def sample(text, name, **labels):
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    found = re.search(rf"^{name}{{{re.escape(wanted)}}} (\S+)$" if labels else rf"^{name} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_and_latency_by_endpoint(client, db):
    before = client.get("/metrics").get_data(as_text=True)
    for _ in range(3):
        client.get("/areas/")
    client.get("/no-such-page")
    after = client.get("/metrics")
    assert after.status_code == 200 and after.mimetype == "text/plain"
    text = after.get_data(as_text=True)
    labels = {"endpoint": "areas.index", "method": "GET", "status": "200"}
    assert (
        sample(text, "hamsayeh_http_requests_total", **labels)
        - sample(before, "hamsayeh_http_requests_total", **labels)
        == 3
    )
    unmatched = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert sample(text, "hamsayeh_http_requests_total", **unmatched) >= 1
    count = "hamsayeh_http_request_duration_seconds_count"
    assert sample(text, count, endpoint="areas.index") - sample(before, count, endpoint="areas.index") == 3
    assert sample(text, "hamsayeh_queue_depth") == tasks.huey.pending_count()
    # The probes themselves are not counted.
    assert 'endpoint="/metrics"' not in text and "healthz" not in text


def test_metrics_are_read_from_this_machine_or_with_the_token_only(app, client, db, monkeypatch):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    # Through the reverse proxy on this same machine: the proxy says whom it forwards.
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    monkeypatch.setattr(app.wsgi_app, "token", "metrics-token-for-this-test")
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer wrong"}).status_code == 403
    with_token = {"Authorization": "Bearer metrics-token-for-this-test"}
    assert client.get("/metrics", environ_base=outside, headers=with_token).status_code == 200


def test_a_print_batch_is_timed(client, people, places, worker):
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    before = sample(client.get("/metrics").get_data(as_text=True), "hamsayeh_print_batch_duration_seconds_count")
    sign_in(client, people["center_staff"].phone)
    page = f"/centers/{center.id}/cards"
    assert submit(client, page, page, {}).status_code == 302
    deadline = time.monotonic() + 60
    while models.PrintBatch.get().status in ("queued", "running"):
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.1)
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "hamsayeh_print_batch_duration_seconds_count") == before + 1


# --- Start-up checks -----------------------------------------------------------------------


def test_a_node_refuses_a_schema_behind_its_code_and_says_what_to_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    env = site_env(DATABASE_URL=url, HAMSAYEH_BIND="127.0.0.1:0", HAMSAYEH_WORKERS="1")
    env.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), HAMSAYEH_QUEUE_FILE=str(tmp_path / "q.sqlite3"))
    done = subprocess.run(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "The database schema is behind this code" in done.stderr
    assert "Run `flask --app app migrate`" in done.stderr


def test_a_database_that_does_not_answer_is_named_without_its_password(tmp_path):
    url = f"postgresql://hamsayeh:hunter2@127.0.0.1:{CLOSED_PORT}/hamsayeh"
    env = site_env(DATABASE_URL=url, HAMSAYEH_QUEUE_FILE=str(tmp_path / "q.sqlite3"))
    code = "from app import create_app; create_app()"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "StartupError: The database at postgresql://hamsayeh:***@127.0.0.1:9/hamsayeh does not answer" in done.stderr
    assert "correct DATABASE_URL" in done.stderr and "hunter2" not in done.stderr


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite:///file:site?mode=memory"])
def test_a_database_in_memory_leaves_no_file_where_the_site_starts(tmp_path, url):
    """Before, `sqlite:///:memory:` left an empty file named `:memory:` in the folder the site started in."""
    env = site_env(DATABASE_URL=url, HAMSAYEH_QUEUE_FILE=str(tmp_path / "q.sqlite3"))
    code = "from app import create_app; create_app()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert "The database schema is behind this code" in done.stderr  # it went past making the files
    assert sorted(path.name for path in tmp_path.iterdir()) == ["q.sqlite3"]


def test_a_redis_that_does_not_answer_is_named_with_its_setting():
    app = SimpleNamespace(config={"SESSION_URL": f"redis://127.0.0.1:{CLOSED_PORT}/1", "QUEUE_URL": ""})
    with pytest.raises(observability.StartupError, match="HAMSAYEH_SESSION_URL"):
        observability.check_redis(app)


# --- Migrations run once while nodes start together --------------------------------------------


def test_nodes_starting_together_apply_each_migration_once(tmp_path):
    url = second_database() or f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    env = site_env(DATABASE_URL=url, HAMSAYEH_QUEUE_FILE=str(tmp_path / "q.sqlite3"))
    nodes = [
        subprocess.Popen([BIN / "flask", "migrate"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [(node.wait(timeout=180), *(part.decode() for part in node.communicate())) for node in nodes]
    assert [status for status, _out, _err in outputs] == [0, 0, 0], [err[-800:] for _s, _o, err in outputs]
    said = sorted("applied" if out.startswith("applied: ") else out.strip() for _status, out, _err in outputs)
    assert said == ["applied", "the schema is up to date", "the schema is up to date"]
    with maintenance.database_at(url):
        names = maintenance.migration_names(str(ROOT / "migrations"))
        assert maintenance.pending_migrations(names) == []
        assert len(maintenance.applied_migrations()) == len(names)


# --- Limits and files every node shares -----------------------------------------------------


def test_the_limit_is_counted_once_for_all_nodes_in_the_database(app, db):
    first, second = limits.DatabaseCounts(), limits.DatabaseCounts()  # as two nodes hold them
    assert [first.allow("expensive:user:1", 3, 600) for _ in range(2)] == [True, True]
    assert second.allow("expensive:user:1", 3, 600) is True
    assert first.allow("expensive:user:1", 3, 600) is False and second.allow("expensive:user:1", 3, 600) is False
    assert second.allow("expensive:user:2", 3, 600) is True  # someone else
    assert models.RateHit.select().count() == 4


def test_the_limit_is_counted_once_for_all_nodes_in_redis():
    redis_or_skip()
    first, second = limits.RedisCounts(REDIS_URL), limits.RedisCounts(REDIS_URL)
    first.clear()
    assert [first.allow("expensive:user:1", 3, 600) for _ in range(2)] == [True, True]
    assert second.allow("expensive:user:1", 3, 600) is True
    assert first.allow("expensive:user:1", 3, 600) is False and second.allow("expensive:user:1", 3, 600) is False
    first.clear()


def test_limits_go_to_redis_when_the_site_names_one_and_to_the_database_otherwise():
    assert limits.redis_url({"SESSION_URL": "", "QUEUE_URL": ""}) == ""
    assert limits.redis_url({"QUEUE_URL": "redis://q:6379/0"}) == "redis://q:6379/0"
    assert limits.redis_url({"LIMITS_URL": "redis://l:6379/2", "QUEUE_URL": "redis://q:6379/0"}) == "redis://l:6379/2"


@pytest.mark.parametrize("kind", ["database", "folder"])
def test_the_file_store_keeps_whole_files_and_replaces_old_versions(app, db, tmp_path, kind):
    store = files.DatabaseFiles() if kind == "database" else files.FolderFiles(tmp_path / "shared")
    first, older = files.versioned_name("flyers", "program-1-A4-fa", ("v1",), ".pdf")
    second, _ = files.versioned_name("flyers", "program-1-A4-fa", ("v2",), ".pdf")
    other, _ = files.versioned_name("flyers", "program-12-A4-fa", ("v1",), ".pdf")
    assert first != second and store.read(first) is None and not store.exists(first)
    store.write(first, b"%PDF one", replacing=older)
    store.write(other, b"%PDF other")
    assert store.read(first) == b"%PDF one" and store.exists(first)
    store.write(second, b"%PDF two", replacing=older)
    assert store.read(first) is None and store.read(second) == b"%PDF two"
    assert store.read(other) == b"%PDF other"  # program 12 is not program 1
    with app.test_request_context():
        answer = store.send(second, "application/pdf", download_name="flyer.pdf")
        answer.direct_passthrough = False
        assert answer.get_data() == b"%PDF two" and answer.headers["ETag"]
        assert store.send("flyers/none.pdf", "application/pdf") is None
    if kind == "folder":
        with pytest.raises(ValueError):
            store.read("../escape.pdf")


def test_a_flyer_is_made_once_for_every_node_and_again_when_its_program_changes(client, people, places, db):
    center = models.Center.create(area=places["Tajrish"], name="مرکز مثبت زندگی تجریش")
    program = models.Program.create(
        center=center,
        title="کلاس قرآن",
        activity_type=models.ActivityType.get(models.ActivityType.slug == "errands"),
        starts_at=models.utcnow() + datetime.timedelta(days=3),
        capacity=20,
        created_by=people["admin"],
        form_key="flyer-once",
    )
    flyer = f"/centers/programs/{program.id}/flyer.pdf"
    first, again = client.get(flyer), client.get(flyer)
    assert first.status_code == again.status_code == 200 and first.data == again.data
    kept = list(models.StoredFile.select().where(models.StoredFile.name.startswith("flyers/")))
    assert len(kept) == 1 and bytes(kept[0].data) == first.data
    models.Program.update(title="کلاس خوشنویسی").where(models.Program.id == program.id).execute()
    assert client.get(flyer).data != first.data
    assert [row.name for row in models.StoredFile.select()] != [kept[0].name]
    assert models.StoredFile.select().where(models.StoredFile.name.startswith("flyers/")).count() == 1


# --- Caches each process keeps stay right whichever node writes ---------------------------------


def test_a_board_change_from_a_node_whose_clock_is_behind_shows_on_every_node(client, people, places):
    hood = places["Tajrish"]
    kept = make_post(people["resident"], hood, text="خرید نان برای همسایهٔ سالمند")
    later = make_post(people["volunteer"], hood, text="همراهی تا درمانگاه")
    # The second post was written by a node whose clock runs an hour ahead...
    hour = datetime.timedelta(hours=1)
    models.HelpPost.update(updated_at=models.utcnow() + hour).where(models.HelpPost.id == later.id).execute()
    page = f"/board/?hood={hood.id}"
    assert "خرید نان برای همسایهٔ سالمند" in client.get(page).get_data(as_text=True)
    # ...and the first is cancelled by a node whose clock is right: its change is older than the newest.
    models.HelpPost.update(status="cancelled", updated_at=models.utcnow()).where(
        models.HelpPost.id == kept.id
    ).execute()
    html = client.get(page).get_data(as_text=True)
    assert "خرید نان برای همسایهٔ سالمند" not in html and "همراهی تا درمانگاه" in html


def test_the_board_version_moves_with_every_write_to_its_posts(db, people, places):
    hood, other = places["Tajrish"], places["Bazaar"]
    start = models.HelpPost.board_version([hood.id])
    post = make_post(people["resident"], hood)
    after_insert = models.HelpPost.board_version([hood.id])
    models.HelpPost.update(text="متن دیگر").where(models.HelpPost.id == post.id).execute()
    after_update = models.HelpPost.board_version([hood.id])
    elsewhere = models.HelpPost.board_version([other.id])
    models.HelpPost.update(neighborhood=other).where(models.HelpPost.id == post.id).execute()
    assert start < after_insert < after_update < models.HelpPost.board_version([hood.id])
    assert models.HelpPost.board_version([other.id]) > elsewhere  # both boards changed


def test_a_new_worker_is_warm_before_its_first_request(app, places):
    """gunicorn calls app.warm_up for every new worker (post_worker_init): the
    application reads its catalog and compiles the busiest templates before
    anyone asks, and the hook is in the server's settings."""
    import app as site

    app.extensions.pop("catalog", None)
    app.jinja_env.cache.clear()
    site.warm_up(app)
    assert app.extensions["catalog"].neighborhood(places["Tajrish"].id) is not None
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert set(site.WARM_TEMPLATES) <= compiled
    settings = (Path(__file__).resolve().parents[1] / "gunicorn.conf.py").read_text()
    assert "def post_worker_init(worker)" in settings and "warm_up(worker.wsgi)" in settings
