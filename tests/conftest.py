"""Shared fixtures: the app on a throwaway SQLite database (migrated once per run), a test
client, ``login_as(role)``, PostgreSQL and browser availability."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

os.environ["REC_ENV"] = "testing"

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, text

from rec_portal import create_app
from rec_portal.extensions import db, limiter
from rec_portal.web import cache
from tests import factories

REQUIRE_PG = os.environ.get("REC_REQUIRE_PG") == "1"
REQUIRE_BROWSER = os.environ.get("REC_REQUIRE_BROWSER") == "1"
# CI has Redis wherever it has PostgreSQL (.ci/run installs both).
REQUIRE_REDIS = os.environ.get("REC_REQUIRE_REDIS", os.environ.get("REC_REQUIRE_PG")) == "1"


def test_config(database_uri: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "REC_SMTP_HOST": None,
        "SERVER_NAME": None,
    }
    config.update(extra)
    return config


test_config.__test__ = False  # a helper, not a test (test modules import it)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    app = create_app(test_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
    return app


def wipe(app) -> None:
    """Delete every row (children first) so each test starts from an empty database."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(text(f"DELETE FROM {table.name}"))
        cache.clear()


@pytest.fixture(autouse=True)
def _clean(request):
    yield
    if type(limiter._storage).__name__ != "MemoryStorage" or limiter._storage_dead:
        # A test made an app with REC_REDIS_URL: the limiter is one object for every app,
        # so give it back in-memory storage, or later tests would count (and reset) in a
        # Redis that is gone. After a Redis that was down, Flask-Limiter also keeps
        # counting in its in-memory fallback, which reset() does not clear: leave that too.
        create_app(test_config("sqlite://"))
        limiter._storage_dead = False
        if getattr(limiter, "_fallback_storage", None) is not None:
            limiter._fallback_storage.reset()
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        wipe(app)
        limiter.reset()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def count_statements(app):
    """Every SQL statement sent to the database while the block runs (for tests that a
    page runs a fixed number of queries whatever the data size)."""
    statements: list[str] = []

    def _count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def signup_link(app, email: str) -> str:
    """The path in the newest sign-up confirmation email sent to ``email`` (as the person
    would read it in their inbox)."""
    from sqlalchemy import select

    from rec_portal.models import OutboxMessage

    with app.app_context():
        message = db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == email.strip().lower(),
                   OutboxMessage.body_text.contains("/register/confirm/"))
            .order_by(OutboxMessage.id.desc())
        ).scalars().first()
        assert message is not None, f"no confirmation link was sent to {email}"
        base = app.config["REC_BASE_URL"]
        return message.body_text.split(base, 1)[1].split()[0]


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Browserless:
    """Helpers that act like a person with a browser on top of the Flask test client."""

    def __init__(self, client):
        self.client = client

    def token(self, url: str = "/login") -> str:
        return csrf_from(self.client.get(url).get_data(as_text=True))

    def submit(self, url: str, data: dict, page: str | None = None, **kwargs):
        """Open ``page`` (or ``url``), then post ``data`` with that page's CSRF token."""
        data = dict(data)
        data.setdefault("csrf_token", self.token(page or url))
        return self.client.post(url, data=data, **kwargs)

    def signup_link(self, email: str) -> str:
        """The path of the newest "confirm your email address" link sent to ``email``."""
        return signup_link(self.client.application, email)

    def enrol(self, data: dict):
        """Register with ``data`` (the /register form), then follow the link in the email
        enter the password chosen and choose the button, as a person would. Returns the last response (signed in,
        sent on to the optional questions)."""
        sent = self.submit("/register", data)
        assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
        assert sent.headers["Location"] == "/register/check-your-email"
        return self.submit(self.signup_link(data["email"]), {"password": data["password"]})

    def login(self, email: str, password: str = factories.PASSWORD):
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response


def login(app, email):
    """A new test client signed in as ``email``."""
    client = app.test_client()
    Browserless(client).login(email)
    return client


def student_on_the_safety_plan(app):
    """A new student, signed in on a fresh client with the safety plan open: (client, the
    page's CSRF token, email, user id)."""
    with app.app_context():
        user = factories.make_user()
        db.session.commit()
        email, uid = user.email, user.id
    client = login(app, email)
    token = csrf_from(client.get("/my/safety-plan").get_data(as_text=True))
    return client, token, email, uid


def time_out_sessions(app, client=None):
    """Every signed-in session has been idle for longer than the idle timeout."""
    from datetime import timedelta

    from sqlalchemy import update

    from rec_portal.models import UserSession
    from rec_portal.timeutil import utcnow

    with app.app_context():
        idle = app.config["REC_IDLE_TIMEOUT"]
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        db.session.commit()


@pytest.fixture
def web(client):
    return Browserless(client)


@pytest.fixture
def login_as(app, client, web):
    """``login_as("admin")`` makes a user with that role (and student) and signs them in."""

    def _login(*roles: str, **kwargs):
        with app.app_context():
            user = factories.make_user(roles=roles or ("student",), **kwargs)
            db.session.commit()
            user_id, email = user.id, user.email
        web.login(email)
        return factories.Ref(id=user_id, email=email)

    return _login


# --- Redis --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url():
    """URL of a throwaway Redis server (``redis-server`` from Debian), for the shared rate
    limits and cache that several servers use."""
    url = os.environ.get("REDIS_URL_TEST")
    if url:
        yield url
        return
    from tests.redisserver import RedisUnavailable, ThrowawayRedis

    try:
        server = ThrowawayRedis()
        url = server.start()
    except RedisUnavailable as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required (REC_REQUIRE_REDIS=1 or REC_REQUIRE_PG=1) but unavailable: {exc}")
        pytest.skip(f"Redis not available: {exc}")
    try:
        yield url
    finally:
        server.stop()


# --- PostgreSQL ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_admin_url():
    """URL of a PostgreSQL server where the tests may create databases."""
    url = os.environ.get("DATABASE_URL_TEST")
    if url:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)
        return
    from tests.pgserver import PostgresUnavailable, ThrowawayPostgres

    try:
        server = ThrowawayPostgres()
        url = server.start()
    except PostgresUnavailable as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (REC_REQUIRE_PG=1) but unavailable: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_app(pg_admin_url):
    from tests.pgserver import create_database

    url = create_database(pg_admin_url, "rec_app_tests")
    app = create_app(test_config(url))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_client(pg_app):
    yield pg_app.test_client()
    wipe(pg_app)
    limiter.reset()
