"""On PostgreSQL: NUL characters in URL paths, lock and statement timeouts, and
connections killed just before or just after a request commits."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import event, select, text

from rec_portal import create_app
from rec_portal.bookings.operations import book_place
from rec_portal.extensions import db, limiter
from rec_portal.models import Booking, OutboxMessage, User
from tests import factories
from tests.conftest import Browserless, test_config, wipe
from tests.faults import assert_not_found_without_sql, nul_urls

DB_NAME = "rec_requests"
BUSY = "The service is busy at the moment"

pytestmark = pytest.mark.pg


@pytest.fixture(scope="module")
def pg_req_app(pg_admin_url):
    from tests.pgserver import create_database

    url = create_database(pg_admin_url, DB_NAME)
    app = create_app(test_config(
        url, REC_DB_LOCK_TIMEOUT_MS=500, REC_DB_STATEMENT_TIMEOUT_MS=1000,
        # As in production: an error escaping the app is not re-raised into the test.
        PROPAGATE_EXCEPTIONS=False,
    ))

    def _sleep():  # test only: a statement that runs longer than the statement timeout
        db.session.execute(text("SELECT pg_sleep(3)"))
        return "slept"

    app.add_url_rule("/_test/sleep", "test_sleep", _sleep)
    with app.app_context():
        upgrade()
    admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    app.extensions["test_admin_engine"] = admin
    app.extensions["test_db_engine"] = sa.create_engine(url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["test_db_engine"].dispose()
    admin.dispose()


@pytest.fixture
def pg_req(pg_req_app):
    yield pg_req_app
    _allow_connections(pg_req_app, True)
    wipe(pg_req_app)
    limiter.reset()


def _allow_connections(app, allowed: bool) -> None:
    with app.extensions["test_admin_engine"].connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{DB_NAME}" ALLOW_CONNECTIONS {"true" if allowed else "false"}'))


def _terminate(app, pid: int) -> None:
    with app.extensions["test_admin_engine"].connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True


def _setup(app, capacity=5):
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        session = factories.make_session(course=course, capacity=capacity)
        student = factories.make_user(email="sam@example.org")
        db.session.commit()
        return session.id, student.id


def _rows(app, model):
    with app.app_context():
        rows = db.session.execute(select(model)).scalars().all()
        db.session.expunge_all()
        return rows


def _signed_in(app):
    web = Browserless(app.test_client())
    web.login("sam@example.org")
    return web


# --- NUL characters -----------------------------------------------------------------------

def test_a_nul_in_any_url_path_is_not_found_before_any_query_on_postgres(pg_req):
    client = pg_req.test_client()
    urls = nul_urls(pg_req)
    assert ("GET", "/courses/a%00b") in urls and ("GET", "/calendar/a%00b.ics") in urls
    for method, path in urls:
        assert_not_found_without_sql(pg_req, client, method, path)
    _setup(pg_req)
    web = _signed_in(pg_req)
    for method, path in urls:
        assert_not_found_without_sql(pg_req, web.client, method, path, signed_in=True)


# --- timeouts -----------------------------------------------------------------------------

@contextmanager
def row_locked(app, session_id: int, release_after: float = 8.0):
    """Another transaction holds the session row (SELECT ... FOR UPDATE) until the block
    ends, or ``release_after`` seconds at most (so the old code, without a lock timeout,
    ends in a failed assertion instead of hanging)."""
    conn = app.extensions["test_db_engine"].connect()
    trans = conn.begin()
    conn.execute(text("SELECT id FROM course_sessions WHERE id = :id FOR UPDATE"), {"id": session_id})
    lock = threading.Lock()

    def release():
        with lock:
            if trans.is_active:
                trans.rollback()

    timer = threading.Timer(release_after, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()
        conn.close()


def test_a_booking_waiting_on_a_locked_row_gets_the_busy_page_quickly_and_writes_nothing(pg_req, caplog):
    session_id, student_id = _setup(pg_req)
    web = _signed_in(pg_req)
    token = web.token("/courses/staying-safe")
    with row_locked(pg_req, session_id):
        started = time.monotonic()
        response = web.client.post(f"/sessions/{session_id}/book", data={"csrf_token": token})
        elapsed = time.monotonic() - started
        html = response.get_data(as_text=True)
        assert response.status_code == 503, html[:500]
        assert elapsed < 4, elapsed
        assert BUSY in html and "Nothing was changed." in html
        assert "Traceback" not in html and "LockNotAvailable" not in html
        assert _rows(pg_req, Booking) == [] and _rows(pg_req, OutboxMessage) == []
        # With htmx, the busy page replaces the main content, not the booking panel.
        htmx = web.client.post(f"/sessions/{session_id}/book",
                               headers={"HX-Request": "true", "X-CSRFToken": token})
        assert htmx.status_code == 503 and htmx.headers["HX-Retarget"] == "#maincontent"
        assert BUSY in htmx.get_data(as_text=True)
    assert "database timeout on POST /sessions" in caplog.text
    assert _rows(pg_req, Booking) == []
    # The lock is gone: the same booking now goes through.
    response = web.client.post(f"/sessions/{session_id}/book", data={"csrf_token": token})
    assert response.status_code == 302
    assert [(b.student_id, b.status) for b in _rows(pg_req, Booking)] == [(student_id, "confirmed")]
    assert len(_rows(pg_req, OutboxMessage)) == 1


def test_a_statement_running_too_long_gets_the_busy_page(pg_req):
    client = pg_req.test_client()
    started = time.monotonic()
    response = client.get("/_test/sleep")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert BUSY in response.get_data(as_text=True)
    assert elapsed < 2.5, elapsed
    assert client.get("/").status_code == 200  # the connection is fine afterwards


def test_commands_outside_a_request_are_not_cut_off(pg_req):
    with pg_req.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0"
        assert db.session.execute(text("SHOW lock_timeout")).scalar() == "0"
        db.session.execute(text("SELECT pg_sleep(1.2)"))  # longer than the request timeout
        db.session.rollback()
    with pg_req.test_request_context("/"):
        assert db.session.execute(text("SHOW statement_timeout")).scalar() == "1s"
        assert db.session.execute(text("SHOW lock_timeout")).scalar() == "500ms"
        db.session.rollback()
        db.session.remove()


# --- connections killed around the commit -------------------------------------------------

@contextmanager
def connection_killed(app, when: str, and_refuse_new: bool = False):
    """Kill the request's database connection at its first commit: ``before`` (the commit
    fails) or ``after`` (the commit happened). With ``and_refuse_new``, the database also
    refuses new connections until the block ends, as during a restart."""
    from flask_sqlalchemy.session import Session

    state = {"pid": None, "done": False}

    def _before(session):
        if state["done"]:
            return
        state["pid"] = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        if when == "before":
            state["done"] = True
            _terminate(app, state["pid"])

    def _after(_session):
        if state["done"] or when != "after":
            return
        state["done"] = True
        if and_refuse_new:
            _allow_connections(app, False)
        _terminate(app, state["pid"])

    event.listen(Session, "before_commit", _before)
    event.listen(Session, "after_commit", _after)
    try:
        yield state
    finally:
        event.remove(Session, "before_commit", _before)
        event.remove(Session, "after_commit", _after)
        _allow_connections(app, True)


def test_a_cancellation_whose_connection_dies_after_commit_is_answered_as_done(pg_req):
    session_id, student_id = _setup(pg_req)
    with pg_req.app_context():
        booking_id = book_place(session_id, db.session.get(User, student_id)).booking.id
        db.session.commit()
    web = _signed_in(pg_req)
    token = web.token(f"/my/courses/{booking_id}/cancel")
    with connection_killed(pg_req, "after", and_refuse_new=True) as state:
        response = web.client.post(f"/my/courses/{booking_id}/cancel", data={"csrf_token": token})
    assert state["done"]
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"] == "/my/courses"
    # The next request works (the pool replaced the dead connection) and shows the outcome.
    page = web.client.get("/my/courses")
    assert page.status_code == 200
    assert "Your place has been cancelled." in page.get_data(as_text=True)
    assert [b.status for b in _rows(pg_req, Booking)] == ["cancelled"]


def test_a_booking_whose_connection_dies_after_commit_is_answered_as_saved(pg_req):
    session_id, student_id = _setup(pg_req)
    web = _signed_in(pg_req)
    token = web.token("/courses/staying-safe")
    with connection_killed(pg_req, "after", and_refuse_new=True) as state:
        response = web.client.post(f"/sessions/{session_id}/book", data={"csrf_token": token},
                                   headers={"Referer": "http://localhost/courses/staying-safe"})
    assert state["done"]
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    assert response.headers["Location"].startswith("/courses/staying-safe")
    page = web.client.get("/courses/staying-safe").get_data(as_text=True)
    assert "Your change was saved." in page or "Your place is booked" in page
    assert "You have a place on this date" in page
    assert [(b.student_id, b.status) for b in _rows(pg_req, Booking)] == [(student_id, "confirmed")]
    assert len(_rows(pg_req, OutboxMessage)) == 1


def test_a_connection_killed_after_commit_alone_changes_nothing_for_the_person(pg_req):
    """Without a restart (new connections work): the normal page, with its own message."""
    session_id, student_id = _setup(pg_req)
    web = _signed_in(pg_req)
    token = web.token("/courses/staying-safe")
    with connection_killed(pg_req, "after") as state:
        response = web.client.post(f"/sessions/{session_id}/book", data={"csrf_token": token})
    assert state["done"]
    assert response.status_code == 302
    assert "Your place is booked" in web.client.get("/courses/staying-safe").get_data(as_text=True)


def test_a_booking_whose_connection_dies_before_commit_writes_nothing(pg_req):
    session_id, student_id = _setup(pg_req)
    web = _signed_in(pg_req)
    token = web.token("/courses/staying-safe")
    with connection_killed(pg_req, "before") as state:
        response = web.client.post(f"/sessions/{session_id}/book", data={"csrf_token": token})
    assert state["done"]
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html and "Traceback" not in html
    assert _rows(pg_req, Booking) == [] and _rows(pg_req, OutboxMessage) == []
    # The next request works, and the booking can be made.
    response = web.client.post(f"/sessions/{session_id}/book", data={"csrf_token": token})
    assert response.status_code == 302
    assert [(b.student_id, b.status) for b in _rows(pg_req, Booking)] == [(student_id, "confirmed")]
