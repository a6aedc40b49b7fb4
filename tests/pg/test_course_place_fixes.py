"""One place per person per course (issue 13, part 4), review fixes on PostgreSQL: the rule
"attended another date since joining this list" (a correlated statement comparing
timestamps) and whole-session cancellation serving other waiting lists behave as on SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rec_portal.bookings.operations import KEEP, attended_other_dates, book_place, cancel_booking
from rec_portal.scheduling.operations import cancel_session
from rec_portal.extensions import db
from tests import factories
from tests.conftest import wipe

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_ctx(pg_app):
    with pg_app.app_context():
        yield
        db.session.remove()
    wipe(pg_app)


def _booking(session, student, status, queued):
    return factories.make_booking(session, student, status, queued_at=queued)


def test_attended_since_joining_is_passed_over_and_joining_later_is_not(pg_ctx):
    course = factories.make_course()
    a = factories.make_session(course=course, starts_in_days=-3, status="completed")
    b = factories.make_session(course=course, capacity=2, starts_in_days=30)
    did_it, rejoined, other = factories.make_user(), factories.make_user(), factories.make_user()
    holders = factories.fill_places(b, 2)
    for person in (did_it, rejoined):
        place = _booking(a, person, "confirmed", a.starts_at - timedelta(days=20))
        factories.make_attendance(place, a.dates[0], recorded_at=a.ends_at)
    first = _booking(b, did_it, "waitlisted", a.starts_at - timedelta(days=10))
    second = _booking(b, rejoined, "waitlisted", a.ends_at + timedelta(days=1))
    third = _booking(b, other, "waitlisted", a.ends_at + timedelta(days=2))
    db.session.commit()
    assert attended_other_dates([first.id, second.id, third.id]).keys() == {first.id}

    promoted = cancel_booking(holders[0].id) + cancel_booking(holders[1].id)
    db.session.commit()
    assert [p.id for p in promoted] == [second.id, third.id] and first.status == "waitlisted"


def test_cancelling_a_whole_session_serves_other_waiting_lists(pg_ctx):
    course = factories.make_course()
    a = factories.make_session(course=course, capacity=1, starts_in_days=10)
    b = factories.make_session(course=course, capacity=1, starts_in_days=40)
    student = factories.make_user()
    book_place(a.id, student)
    (holder,) = factories.fill_places(b, 1)
    waiting_b = book_place(b.id, student, same_course=KEEP).booking
    cancel_booking(holder.id)
    db.session.commit()
    assert waiting_b.status == "waitlisted"
    cancel_session(a.id)
    db.session.commit()
    assert waiting_b.status == "offered"  # the place on B is held for them
