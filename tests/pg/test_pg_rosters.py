"""Roster rules under concurrent requests on PostgreSQL: two admins putting the same person
on two sessions at the same time (each request locks its own session row, so only the
person's row can stop them both passing the overlap check)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import CourseSession, RosterAssignment, Unavailability, User
from rec_portal.rosters import operations
from tests.concurrency import run_at_once
from tests.conftest import wipe
from tests.factories import make_course_needing as make_course
from tests.factories import make_facilitator, make_session_at, soon

pytestmark = pytest.mark.pg


@pytest.fixture
def pg(pg_app):
    yield pg_app
    wipe(pg_app)


@pytest.fixture
def slow_checks(monkeypatch):
    """Widen the gap between reading the facts and writing the assignment, so that without
    the person's lock both requests would read before either writes."""
    loaded = operations.load_facts

    def slow(*args, **kwargs):
        facts = loaded(*args, **kwargs)
        time.sleep(0.3)
        return facts

    monkeypatch.setattr(operations, "load_facts", slow)


def _two_overlapping_sessions(app):
    with app.app_context():
        peer = make_facilitator("peer_specialist", name="Sam Patel")
        first = make_session_at(make_course("Staying Safe", roles={"peer_specialist": 1}), soon(10, hour=10), hours=3)
        second = make_session_at(make_course("Sleep Well", roles={"peer_specialist": 1}), soon(10, hour=12), hours=2)
        db.session.commit()
        return peer.id, first.id, second.id


def _assigner(session_id: int, user_id: int):
    def job():
        session = db.session.get(CourseSession, session_id)
        return operations.assign_facilitator(session, db.session.get(User, user_id), "peer_specialist", None).id

    return job


def test_one_person_put_on_two_overlapping_sessions_at_once_gets_only_one(pg, slow_checks):
    peer, first, second = _two_overlapping_sessions(pg)
    results = run_at_once(pg, [_assigner(first, peer), _assigner(second, peer)])
    refusals = [r for r in results if isinstance(r, DomainError)]
    assert len(refusals) == 1, results
    assert refusals[0].message.startswith("Sam Patel is already on the roster of ")
    assert [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)] == []
    with pg.app_context():
        places = db.session.execute(select(RosterAssignment).where(RosterAssignment.user_id == peer)).scalars().all()
        assert len(places) == 1
        assert places[0].id in results


def test_a_day_off_and_an_assignment_at_once_are_never_both_unaware_of_each_other(pg, slow_checks):
    """The facilitator marks the session's day off while an admin puts them on it. Either
    the assignment comes first, and the day off (saved all the same) sees it, so the page
    warns them; or the assignment sees the day off and is refused. Never both unaware."""
    from rec_portal.facilitation.operations import add_unavailable_day
    from rec_portal.facilitation.queries import rostered_days
    from rec_portal.timeutil import to_uk

    peer, first, _second = _two_overlapping_sessions(pg)
    with pg.app_context():
        day = to_uk(db.session.get(CourseSession, first).starts_at).date()

    def day_off():
        time.sleep(0.1)  # after the admin's request has read the facts, before it writes
        add_unavailable_day(db.session.get(User, peer), day, "Hospital")
        return bool(rostered_days(peer, [day]).get(day))  # what the page tells them

    assigned, warned = run_at_once(pg, [_assigner(first, peer), day_off])
    assert not isinstance(warned, Exception), warned
    with pg.app_context():
        assert db.session.execute(select(Unavailability.day).where(Unavailability.user_id == peer)).scalars().all() == [day]
    if isinstance(assigned, DomainError):
        assert "as a day they cannot work" in assigned.message and not warned
    else:
        assert not isinstance(assigned, Exception), assigned
        assert warned, "the assignment and the day off were both saved without either seeing the other"
