"""Run booking operations from many threads at once, each with its own connection."""

from __future__ import annotations

import threading

from rec_portal.extensions import db
from rec_portal.models import User


def migrated_pg_app(pg_admin_url: str, name: str, pool_size: int):
    """A generator for a module fixture: an app on a new PostgreSQL database ``name``,
    migrated, with a connection pool big enough for every thread of a race; disposed at
    the end. Use with ``yield from``."""
    from flask_migrate import upgrade

    from rec_portal import create_app
    from tests.conftest import test_config
    from tests.pgserver import create_database

    url = create_database(pg_admin_url, name)
    app = create_app(test_config(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": pool_size, "max_overflow": 0}))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def run_at_once(app, jobs, timeout: float = 120) -> list:
    """Run each ``job()`` in its own thread and app context (so its own database
    connection), all released together; returns each job's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(i, job):
        with app.app_context():
            try:
                barrier.wait()
                results[i] = job()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the test inspects whatever was raised
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a booking thread hung"
    return results


def booker(session_id: int, student_id: int):
    from rec_portal.bookings.operations import book_place

    def job():
        return book_place(session_id, db.session.get(User, student_id)).booking.id

    return job


def canceller(booking_id: int):
    from rec_portal.bookings.operations import cancel_booking

    def job():
        return [b.id for b in cancel_booking(booking_id)]

    return job
