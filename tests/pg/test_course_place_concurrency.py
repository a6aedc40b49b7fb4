"""One place per person per course under concurrent requests (issue 13, part 4): people
waiting for one date book another date while places on the first free up; nobody ends
with two places of the course, on PostgreSQL (the course row is locked first)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rec_portal.bookings import operations
from rec_portal.extensions import db
from rec_portal.models import Booking, User
from tests import factories
from tests.concurrency import canceller, migrated_pg_app, run_at_once
from tests.conftest import wipe


@pytest.fixture(scope="module")
def pg_place_app(pg_admin_url):
    yield from migrated_pg_app(pg_admin_url, "rec_course_place", pool_size=30)


@pytest.fixture
def pg_place(pg_place_app):
    yield pg_place_app
    wipe(pg_place_app)


def _keeper(session_id: int, student_id: int):
    def job():
        return operations.book_place(session_id, db.session.get(User, student_id),
                                     same_course=operations.KEEP).booking.id
    return job


def _race(app, n=10):
    """``n`` people hold the places on date A; ``n`` others wait for A. At once: the
    holders cancel (each freed place goes to the first in line) and the waiting people
    book date B, keeping their place in line for A."""
    with app.app_context():
        course = factories.make_course()
        a = factories.make_session(course=course, capacity=n, starts_in_days=10)
        b = factories.make_session(course=course, capacity=2 * n, starts_in_days=40)
        holders = factories.fill_places(a, n)
        waiting = factories.fill_places(a, n, status="waitlisted")
        db.session.commit()
        jobs = [canceller(h.id) for h in holders] + [_keeper(b.id, w.student_id) for w in waiting]
        students = [w.student_id for w in waiting]
        ids = (a.id, b.id)
    results = run_at_once(app, jobs)
    assert [r for r in results if isinstance(r, Exception)] == []
    with app.app_context():
        rows = db.session.execute(select(Booking).where(Booking.student_id.in_(students))).scalars().all()
        places = {s: [r.session_id for r in rows if r.student_id == s and r.status == "confirmed"]
                  for s in students}
        confirmed_a = db.session.execute(select(Booking).where(
            Booking.session_id == ids[0], Booking.status == "confirmed")).scalars().all()
    return places, confirmed_a


@pytest.mark.pg
def test_nobody_ends_with_two_places_of_a_course(pg_place):
    places, confirmed_a = _race(pg_place)
    assert all(len(p) == 1 for p in places.values()), places  # one place each, never two
    assert len(confirmed_a) <= 10


@pytest.mark.pg
def test_after_the_race_nobody_can_accept_a_held_place_on_top_of_another(pg_place):
    """Freed places on A are now held (offered), not given: someone who booked B while a
    place on A was held for them cannot also accept it (one place per course)."""
    _race(pg_place)
    with pg_place.app_context():
        offered = db.session.execute(select(Booking).where(Booking.status == "offered")).scalars().all()
        for booking in offered:
            with pytest.raises(operations.BookingRefused, match="already have a place on this course"):
                operations.accept_offer(booking.id)
            db.session.rollback()
        rows = db.session.execute(select(Booking).where(Booking.status == "confirmed")).scalars().all()
        per_student = {}
        for r in rows:
            per_student.setdefault(r.student_id, []).append(r.session_id)
        assert all(len(v) == 1 for v in per_student.values())


