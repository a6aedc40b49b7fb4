"""Capacity is never exceeded and the waiting list keeps arrival order under concurrent
requests: on PostgreSQL (row lock) and on a SQLite file (BEGIN IMMEDIATE)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from rec_portal import create_app
from rec_portal.bookings import operations
from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession
from tests import factories
from tests.concurrency import booker, canceller, migrated_pg_app, run_at_once
from tests.conftest import test_config, wipe


def _setup(app, capacity: int, students: int):
    with app.app_context():
        session = factories.make_session(capacity=capacity)
        people = [factories.make_user() for _ in range(students)]
        db.session.commit()
        return session.id, [p.id for p in people]


def _bookings(app, session_id):
    with app.app_context():
        rows = db.session.execute(
            select(Booking).where(Booking.session_id == session_id).order_by(Booking.queued_at, Booking.id)
        ).scalars().all()
        db.session.expunge_all()
        return rows


def _assert_fair(rows, capacity):
    confirmed = [b for b in rows if b.status == "confirmed"]
    waiting = [b for b in rows if b.status == "waitlisted"]
    assert len(confirmed) == capacity
    # Everyone with a place arrived before everyone waiting: first come, first served.
    assert max((b.queued_at, b.id) for b in confirmed) < min((b.queued_at, b.id) for b in waiting)
    return confirmed, waiting


@pytest.fixture(scope="module")
def pg_concurrent_app(pg_admin_url):
    yield from migrated_pg_app(pg_admin_url, "rec_concurrency", pool_size=55)


@pytest.fixture
def pg_conc(pg_concurrent_app):
    yield pg_concurrent_app
    wipe(pg_concurrent_app)


@pytest.mark.pg
def test_fifty_concurrent_bookings_for_ten_places(pg_conc):
    session_id, students = _setup(pg_conc, capacity=10, students=50)
    results = run_at_once(pg_conc, [booker(session_id, s) for s in students])
    assert [r for r in results if isinstance(r, Exception)] == []
    rows = _bookings(pg_conc, session_id)
    assert len(rows) == 50
    _, waiting = _assert_fair(rows, capacity=10)
    assert len(waiting) == 40


@pytest.mark.pg
def test_cancellations_racing_new_bookings(pg_conc):
    session_id, students = _setup(pg_conc, capacity=10, students=40)
    first, newcomers = students[:20], students[20:]
    for s in first:  # 10 places taken, 10 people waiting, in a known order
        run_at_once(pg_conc, [booker(session_id, s)])
    before = _bookings(pg_conc, session_id)
    confirmed_before = [b.id for b in before if b.status == "confirmed"]
    waiting_before = [b.id for b in before if b.status == "waitlisted"]

    jobs = [canceller(b) for b in confirmed_before[:5]] + [booker(session_id, s) for s in newcomers]
    results = run_at_once(pg_conc, jobs)
    assert [r for r in results if isinstance(r, Exception)] == []

    after = {b.id: b for b in _bookings(pg_conc, session_id)}
    taken_after = [b for b in after.values() if b.status in ("confirmed", "offered")]
    assert len(taken_after) == 10  # never more than capacity (held places count)
    offered = sorted(i for r in results[:5] for i in r)
    assert offered == sorted(waiting_before[:5])  # the first five in line are held a place
    assert all(after[i].status == "offered" for i in offered)
    assert all(after[i].status == "waitlisted" for i in waiting_before[5:])
    new_ids = results[5:]
    assert all(after[i].status == "waitlisted" for i in new_ids)  # newcomers queue behind


@pytest.mark.pg
def test_control_without_the_lock_the_same_scenario_overbooks(pg_conc, monkeypatch):
    """Shows the real test can fail: take the lock away and places are oversold."""

    def lock_free(session_id):
        return db.session.execute(
            select(CourseSession).where(CourseSession.id == session_id)
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()

    counted = operations.places_taken

    def slow_count(session_id):
        n = counted(session_id)
        time.sleep(0.05)  # widen the gap between reading the count and writing
        return n

    monkeypatch.setattr(operations, "lock_session", lock_free)
    monkeypatch.setattr(operations, "places_taken", slow_count)
    session_id, students = _setup(pg_conc, capacity=10, students=50)
    run_at_once(pg_conc, [booker(session_id, s) for s in students])
    confirmed = [b for b in _bookings(pg_conc, session_id) if b.status == "confirmed"]
    assert len(confirmed) > 10


@pytest.fixture(scope="module")
def sqlite_file_app(tmp_path_factory):
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("conc") / "concurrency.sqlite3"
    app = create_app(test_config(f"sqlite:///{path}", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 40, "max_overflow": 0}))
    with app.app_context():
        upgrade()
    return app


def test_concurrent_bookings_on_a_sqlite_file(sqlite_file_app):
    app = sqlite_file_app
    try:
        session_id, students = _setup(app, capacity=10, students=30)
        results = run_at_once(app, [booker(session_id, s) for s in students])
        assert [r for r in results if isinstance(r, Exception)] == []
        _, waiting = _assert_fair(_bookings(app, session_id), capacity=10)
        assert len(waiting) == 20
    finally:
        wipe(app)



@pytest.mark.pg
def test_a_session_nobody_may_see_is_not_found_without_waiting_on_its_lock(pg_conc):
    """Booking a draft course's date, or someone else's individual workshop, is "not
    found" even while staff hold the course's lock: waiting for it (and then the "busy"
    page, 503) would tell the person the session exists."""
    from sqlalchemy import bindparam, text

    from tests.conftest import Browserless

    with pg_conc.app_context():
        draft = factories.make_session(course=factories.make_course(status="draft"))
        workshop = factories.make_session(individual=True)
        factories.make_user(roles=("student",), email="pat@example.org")
        db.session.commit()
        courses = {draft.id: draft.course_id, workshop.id: workshop.course_id}
    client = pg_conc.test_client()
    web = Browserless(client)
    web.login("pat@example.org")
    token = web.token("/courses")
    before = pg_conc.config["REC_DB_LOCK_TIMEOUT_MS"]
    pg_conc.config["REC_DB_LOCK_TIMEOUT_MS"] = 300  # a request that waits is refused soon
    with pg_conc.app_context():
        staff = db.engine.connect()
    try:
        staff.execute(text("SELECT id FROM courses WHERE id IN :ids FOR UPDATE")
                      .bindparams(bindparam("ids", expanding=True)), {"ids": list(courses.values())})
        for session_id in courses:
            response = client.post(f"/sessions/{session_id}/book", data={"csrf_token": token})
            assert response.status_code == 404, (session_id, response.status_code)
    finally:
        staff.rollback()
        staff.close()
        pg_conc.config["REC_DB_LOCK_TIMEOUT_MS"] = before
