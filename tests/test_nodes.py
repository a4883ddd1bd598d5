"""Several nodes: two app servers (gunicorn, with the project's gunicorn.conf.py)
on two ports, one PostgreSQL database, one Redis (sessions, queue, limits) and
one background worker. A real HTTP client keeps each person's cookies and
walks a flow that alternates between the nodes, as a load balancer would send
it: every step must work wherever it lands."""

import datetime
import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

import models
from hamsayeh.domain import accounts
from tests.conftest import PG_URL, PIN, REGISTRY_KEY

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/8"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')

pytestmark = pytest.mark.timeout(120)


def redis_or_skip():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379: the nodes share their sessions and queue there")
    return client


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(app, tmp_path):
    """Two nodes and a worker on this run's PostgreSQL database and Redis db 8."""
    if not PG_URL:
        pytest.skip(
            "several nodes need PostgreSQL: this test runs in the suite's PostgreSQL pass "
            "(HAMSAYEH_TEST_DATABASE_URL, which `make test` sets when PostgreSQL is reachable)"
        )
    redis_or_skip().flushdb()
    env = dict(
        os.environ,
        FLASK_APP="app",
        DATABASE_URL=PG_URL,
        SECRET_KEY=app.config["SECRET_KEY"],
        HAMSAYEH_AUDIT_KEY=app.config["AUDIT_KEY"],
        HAMSAYEH_REGISTRY_KEY=REGISTRY_KEY,
        HAMSAYEH_SESSION_URL=REDIS_URL,
        HAMSAYEH_QUEUE_URL=REDIS_URL,
        HAMSAYEH_WORKERS="1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    for name in ("HAMSAYEH_ENV", "HAMSAYEH_LIMITS_URL", "HAMSAYEH_FILES_DIR", "FLASK_RUN_FROM_CLI"):
        env.pop(name, None)
    ports = [free_port(), free_port()]
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = []

    def start(name, command, **extra):
        with open(logs / f"{name}.log", "wb") as log:
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT)
            )

    try:
        for index, port in enumerate(ports):
            start(f"node{index}", [BIN / "gunicorn", "-c", "gunicorn.conf.py"], HAMSAYEH_BIND=f"127.0.0.1:{port}")
        start("worker", [BIN / "flask", "worker", "--workers", "1"])
        nodes = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 60
        for node in nodes:
            while True:
                try:
                    if httpx.get(node + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    pytest.fail("a node did not start:\n" + "\n".join(f.read_text()[-2000:] for f in logs.iterdir()))
                time.sleep(0.2)
        yield nodes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


class Person:
    """One browser: its own cookies, whichever node a request lands on."""

    def __init__(self, user=None):
        self.user = user
        self.http = httpx.Client(timeout=60, follow_redirects=False)

    def get(self, node, path):
        return self.http.get(node + path)

    def submit(self, node, page, action, data):
        """Post a form as a person does: from the form on `page` (on that node), with its token."""
        html = self.get(node, page).text
        fields = {"csrf_token": TOKEN.search(html).group(1), **data}
        if "form_key" in data and data["form_key"] is None:
            fields["form_key"] = FORM_KEY.search(html).group(1)
        return self.http.post(node + action, data=fields)

    def sign_in(self, node):
        answer = self.submit(node, "/account/sign-in", "/account/sign-in", {"phone": self.user.phone, "pin": PIN})
        assert answer.status_code == 302, answer.text[:500]

    def signed_in_on(self, node):
        return self.get(node, "/account/").status_code == 200


def test_a_flow_alternating_between_two_nodes(cluster, people, places):
    first, second = cluster
    hood = places["Tajrish"]
    center = models.Center.create(area=hood, name="مرکز مثبت زندگی تجریش")
    accounts.set_work_center(people["center_staff"], center, people["admin"])
    errands = models.ActivityType.get(models.ActivityType.slug == "errands")
    for index in range(3):
        user = accounts.create_user(f"0913000000{index}", f"داوطلب {index}", PIN, neighborhood=hood)
        profile = models.VolunteerProfile.create(
            user=user, neighborhood=hood, district=hood.parent, city=hood.parent.parent
        )
        models.VolunteerActivity.create(volunteer=profile, activity_type=errands)
    program = models.Program.create(
        center=center,
        title="کلاس قرآن",
        activity_type=errands,
        starts_at=models.utcnow() + datetime.timedelta(days=3),
        capacity=20,
        created_by=people["admin"],
        form_key="nodes-program",
    )
    resident, volunteer, staff = (Person(people[role]) for role in ("resident", "volunteer", "center_staff"))

    # Sign in on one node; post a need on the other (the session is the same there).
    resident.sign_in(first)
    need = {
        "form_key": None,
        "kind": "request",
        "activity_type": "errands",
        "text": "خرید دارو از داروخانهٔ سر کوچه برای مادرم",
        "urgency": "1",
        "time_window": "1",
    }
    posted = resident.submit(second, "/board/new", "/board/new", need)
    assert posted.status_code == 302, posted.text[:500]
    post = models.HelpPost.get(models.HelpPost.author == people["resident"])

    # A volunteer signs in on the second node and answers on the first; the author accepts on the second.
    volunteer.sign_in(second)
    page = f"/board/posts/{post.id}"
    assert volunteer.submit(first, page, f"{page}/respond", {"message": "عصر آزادم"}).status_code == 302
    answer = models.HelpResponse.get(models.HelpResponse.post == post)
    assert resident.submit(second, page, f"/board/responses/{answer.id}/accept", {}).status_code == 302
    assert models.HelpResponse.get_by_id(answer.id).status == "accepted"
    shown = resident.get(first, page).text  # the helper's number, now that the answer is accepted
    assert people["volunteer"].phone.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in shown

    # The center's cards: asked for on one node, made by the worker, downloaded from the other.
    staff.sign_in(first)
    cards = f"/centers/{center.id}/cards"
    asked = staff.submit(second, cards, cards, {})
    assert asked.status_code == 302
    batch = models.PrintBatch.get(models.PrintBatch.center == center)
    deadline = time.monotonic() + 60
    while models.PrintBatch.get_by_id(batch.id).status in ("queued", "running"):
        assert time.monotonic() < deadline, "the worker did not make the batch"
        assert staff.get(first, asked.headers["Location"]).status_code == 200
        time.sleep(0.2)
    download = staff.get(first, f"/centers/{center.id}/batches/{batch.id}.pdf")
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(download.content)).pages) == 3

    # The printouts' limit holds across nodes: ten flyers, whichever node, then 429 on both.
    flyer = f"/centers/programs/{program.id}/flyer.pdf"
    assert [resident.get((first, second)[n % 2], flyer).status_code for n in range(10)] == [200] * 10
    assert resident.get(first, flyer).status_code == 429 and resident.get(second, flyer).status_code == 429
    assert models.StoredFile.select().where(models.StoredFile.name.startswith("flyers/")).count() == 1

    # Signing out on one node signs out on both.
    assert resident.signed_in_on(first) and resident.signed_in_on(second)
    assert resident.submit(second, "/account/", "/account/sign-out", {}).status_code == 302
    assert not resident.signed_in_on(first) and not resident.signed_in_on(second)
    assert volunteer.signed_in_on(first)  # others stay in
