"""Two real portal servers (gunicorn, 2 workers each) on one PostgreSQL database and one
Redis, as in the README's "Several servers": the booking storm stays exact across both,
rate limits are shared, signing out on one server ends the session on the other, and
``rec run-due`` started on both at once sends every message once and runs each job once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import func, select

from rec_portal import create_app
from rec_portal.bookings.operations import waitlist_position
from rec_portal.extensions import db
from rec_portal.jobs.operations import JOBS
from rec_portal.models import Booking, OutboxMessage
from rec_portal.models.jobs import ScheduledJob
from rec_portal.notifications.outbox import deliver_pending
from tests import factories
from tests.conftest import csrf_from, test_config, wipe
from tests.pgserver import create_database, free_port
from tests.smtp import Inbox, local_mail_settings, queue, smtp_server

pytestmark = pytest.mark.pg

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "the-same-secret-key-on-every-server"


def _env(database_url: str, redis_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REC_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(ROOT), DATABASE_URL=database_url, REC_REDIS_URL=redis_url,
        SECRET_KEY=SECRET, REC_ENV="testing", REC_LOG_LEVEL="WARNING",
        REC_LIMIT_LOGIN="3 per minute",  # failed sign-ins, counted across both servers
        REC_LIMIT_LOGIN_CEILING="1000 per minute", REC_LIMIT_BOOKING="1000 per minute",
    )
    env.update(extra)
    return env


class Server:
    """``gunicorn --workers 2 wsgi:app`` on a free port."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            # --preload: the app is imported once and the workers forked from it (quicker
            # to start; create_app opens no database connection, so none is shared).
            [str(BIN / "gunicorn"), "--workers", "2", "--timeout", "30", "--preload",
             "--bind", f"127.0.0.1:{self.port}", "wsgi:app"], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_healthy(self, deadline: float) -> None:
        while time.time() < deadline:
            assert self.process.poll() is None, f"gunicorn exited: see {self.log.name}"
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).text == "ok\n":
                    return
            except requests.RequestException:  # not listening yet, or a worker still starting
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.url} never became healthy: see {self.log.name}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def cluster(pg_admin_url, redis_url, tmp_path_factory):
    """(seed app on the shared database, [server A, server B], env, redis_url)."""
    url = create_database(pg_admin_url, "rec_two_servers")
    app = create_app(test_config(url))
    with app.app_context():
        upgrade()  # once per release, before the servers start
    env = _env(url, redis_url)
    logs = tmp_path_factory.mktemp("servers")
    servers = [Server(env, logs / "a.log"), Server(env, logs / "b.log")]
    try:
        deadline = time.time() + 60
        for server in servers:
            server.wait_healthy(deadline)
        yield app, servers, env, redis_url
    finally:
        for server in servers:
            server.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def fresh(cluster):
    """An empty database and Redis (rate-limit counters, cache) for each test."""
    import redis

    app, servers, env, redis_url = cluster
    wipe(app)
    redis.Redis.from_url(redis_url).flushdb()
    return cluster


class HeldInbox(Inbox):
    """A mail server that answers the first message only once ``release`` is set."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.release.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return await super().handle_DATA(server, session, envelope)


HTMX = {"HX-Request": "true"}  # as the page's htmx sends: the answer is the booking panel


def signed_in(server: Server, email: str) -> requests.Session:
    browser = requests.Session()
    token = csrf_from(browser.get(f"{server.url}/login").text)
    answer = browser.post(f"{server.url}/login", allow_redirects=False,
                          data={"email": email, "password": factories.PASSWORD, "csrf_token": token})
    assert answer.status_code in (302, 303) and answer.headers["Location"] == "/", answer.text[:300]
    return browser


def test_a_booking_storm_split_across_two_servers_ends_exact(fresh):
    app, servers, _, _ = fresh
    with app.app_context():
        session = factories.make_session(capacity=10)
        emails = [factories.make_user().email for _ in range(60)]
        db.session.commit()
        session_id = session.id
    server_of = [servers[n % 2] for n in range(60)]  # half to each

    def ready(n):
        """Signed in on its server, with the booking panel (and its CSRF token) open."""
        browser = signed_in(server_of[n], emails[n])
        panel = browser.get(f"{server_of[n].url}/sessions/{session_id}/panel", headers=HTMX)
        return browser, csrf_from(panel.text)

    with ThreadPoolExecutor(8) as pool:
        people = list(pool.map(ready, range(60)))

    barrier = threading.Barrier(60)
    told: list = [None] * 60

    def book(n):
        browser, token = people[n]
        barrier.wait()
        panel = browser.post(f"{server_of[n].url}/sessions/{session_id}/book", headers=HTMX,
                             data={"csrf_token": token}, timeout=60)
        told[n] = (panel.status_code, panel.text)

    threads = [threading.Thread(target=book, args=(n,)) for n in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(status == 200 for status, _ in told), Counter(status for status, _ in told)
    # What each person was told, in the booking panel.
    booked = [n for n, (_, text) in enumerate(told) if "Your place is booked." in text]
    # (the message says they joined the list; the panel below it, where they are in line)
    numbers = sorted(int(text.split("You are number ", 1)[1].split(" in line")[0])
                     for _, text in told if "you have joined the waiting list" in text)
    assert len(booked) == 10 and numbers == list(range(1, 51))

    with app.app_context():  # and what is stored
        rows = db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars().all()
        assert Counter(b.status for b in rows) == {"confirmed": 10, "waitlisted": 50}
        assert sorted(waitlist_position(b) for b in rows if b.status == "waitlisted") == list(range(1, 51))
        confirmed = [b for b in rows if b.status == "confirmed"]
        waiting = [b for b in rows if b.status == "waitlisted"]
        assert max((b.queued_at, b.id) for b in confirmed) < min((b.queued_at, b.id) for b in waiting)


def test_rate_limits_are_shared_by_both_servers(fresh):
    app, servers, _, _ = fresh
    with app.app_context():
        email = factories.make_user().email
        db.session.commit()
    answers = []
    for n in range(6):  # wrong passwords, alternating between the servers
        server = servers[n % 2]
        browser = requests.Session()
        token = csrf_from(browser.get(f"{server.url}/login").text)
        page = browser.post(f"{server.url}/login",
                            data={"email": email, "password": "not-my-password", "csrf_token": token})
        answers.append((page.status_code, "Enter a correct email address and password" in page.text,
                        "Please wait a few minutes, then try again" in page.text))
    # 3 in total (REC_LIMIT_LOGIN), not 3 on each server or worker.
    assert answers == [(400, True, False)] * 3 + [(429, False, True)] * 3
    # The right password is refused too until the minute is up (the limit is per address).
    browser = requests.Session()
    token = csrf_from(browser.get(f"{servers[1].url}/login").text)
    page = browser.post(f"{servers[1].url}/login",
                        data={"email": email, "password": factories.PASSWORD, "csrf_token": token})
    assert page.status_code == 429


def test_signing_out_on_one_server_ends_the_session_on_the_other(fresh):
    app, (a, b), _, _ = fresh
    with app.app_context():
        person = factories.make_user(full_name="Robin Example", preferred_name="Robin")
        db.session.commit()
        email = person.email
    browser = signed_in(a, email)
    cookie = dict(browser.cookies)
    assert "Robin" in browser.get(f"{a.url}/my/account").text
    on_b = requests.get(f"{b.url}/my/account", cookies=cookie, allow_redirects=False)
    assert on_b.status_code == 200 and "Robin" in on_b.text  # the same session on B
    token = csrf_from(browser.get(f"{a.url}/support").text)
    out = browser.post(f"{a.url}/logout", data={"csrf_token": token})
    assert "You have signed out." in out.text
    # The old cookie, sent to B: the session it names has ended.
    again = requests.get(f"{b.url}/my/account", cookies=cookie, allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")


def test_run_due_on_both_servers_at_once_sends_each_message_once(fresh):
    app, _, env, _ = fresh
    port = free_port()
    mail_env = {**env, "REC_SMTP_HOST": "127.0.0.1", "REC_SMTP_PORT": str(port), "REC_SMTP_STARTTLS": "0",
                "REC_SMTP_TIMEOUT": "2", "REC_SMTP_DATA_TIMEOUT": "60", "REC_MAIL_CLAIM_LEASE_SECONDS": "120"}
    with app.app_context():
        queue([f"person{n}@example.org" for n in range(12)])  # waiting to be sent
        soon = factories.make_session(starts_in_days=1)  # a reminder is due
        factories.make_booking(soon, factories.make_user(email="booked@example.org"))
        db.session.commit()

    def run_due(*args):
        return subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "rec", "run-due", *args], cwd=ROOT,
                                env=mail_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    # The mail server holds the first message until one run has finished: the run sending
    # holds send-messages all that time, so the other run must find it taken and skip it.
    with smtp_server(port, HeldInbox()) as inbox:
        both = [run_due(), run_due()]
        deadline = time.time() + 60
        while all(p.poll() is None for p in both):
            assert time.time() < deadline, "neither run-due finished: both waiting to send?"
            time.sleep(0.1)
        [first] = [p for p in both if p.poll() is not None]
        inbox.release.set()
        outputs = [p.communicate(timeout=60)[0] for p in both]
        assert [p.returncode for p in both] == [0, 0], outputs
        assert "send-messages: done." not in outputs[both.index(first)]
        # Each job ran on one server only.
        done = Counter(line.split(":")[0] for out in outputs for line in out.splitlines()
                       if line.endswith(": done."))
        assert done == {job.name: 1 for job in JOBS}, outputs
        with app.app_context():
            rows = db.session.execute(select(ScheduledJob)).scalars().all()
            assert {r.name for r in rows} == {job.name for job in JOBS}
            assert all(r.last_ok and r.lease_until is None for r in rows)
            assert {r.run_by.split(":")[1] for r in rows} <= {str(p.pid) for p in both}
            reminders = db.session.execute(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == "booked@example.org")
            ).scalar_one()
            assert reminders == 1  # queued once, by one server
        # A reminder queued after the sending run had read the outbox goes out next time, once.
        with app.app_context(), local_mail_settings(app, REC_SMTP_PORT=port):
            deliver_pending()

    subjects = Counter(message["Subject"] for _, message in inbox.received)
    for n in range(12):
        assert subjects[f"Message {n}"] == 1
    ids = [message["Message-ID"] for _, message in inbox.received]
    assert len(ids) == len(set(ids))  # nothing received twice
    with app.app_context():
        stored = db.session.execute(select(OutboxMessage)).scalars().all()
        assert {m.status for m in stored} == {"sent"}
        assert len(stored) == len(inbox.received) == 13
