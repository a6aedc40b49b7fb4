"""bench/generate.py on PostgreSQL (issue 18): exact counts, and the id sequences set after
the explicit-id rows so the portal can add rows of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench import generate as bench
from rec_portal import create_app
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession, SessionDate, User
from rec_portal.timeutil import utcnow
from tests.conftest import test_config
from tests.pgserver import create_database

pytestmark = pytest.mark.pg

SCALE = 0.0123  # bookings do not split evenly over the sessions, as at scale 1


def test_generate_on_postgresql_has_exact_counts_and_working_sequences(pg_admin_url):
    url = create_database(pg_admin_url, "rec_bench_generate")
    counts = bench.generate(url, SCALE)
    want = bench.sizes(SCALE)
    assert {k: counts[k] for k in want} == want

    app = create_app(test_config(url))
    with app.app_context():
        student = db.session.execute(db.select(User).filter_by(email=bench.STUDENT_EMAIL)).scalar_one()
        course = Course(slug="added-after", title="Added after", summary="A course added by the portal.",
                        status="published")
        db.session.add(course)
        db.session.flush()
        start = utcnow() + timedelta(days=300)
        session = CourseSession(course_id=course.id, starts_at=start, ends_at=start + timedelta(hours=2),
                                capacity=5, venue="Room 1",
                                dates=[SessionDate(starts_at=start, ends_at=start + timedelta(hours=2))])
        db.session.add(session)
        db.session.flush()
        db.session.add(Booking(session_id=session.id, student_id=student.id, status="confirmed"))
        db.session.commit()
        assert course.id == want["courses"] + 1
        assert db.session.scalar(db.select(db.func.count(Booking.id))) == want["bookings"] + 1
        db.session.remove()
        db.engine.dispose()
