"""Attendance reports, certificates, My courses and register reminders on PostgreSQL (the
hours come from a PostgreSQL-specific expression; the reminders lock rows); marks taken at
the same moment still complete a session."""

import threading

import pytest
from sqlalchemy import func, select

from rec_portal.extensions import db
from tests import factories
from tests.concurrency import run_at_once
from tests.conftest import Browserless
from tests.factories import add_to_roster as roster
from tests.factories import make_booking as book
from tests.factories import make_past_session as past_session
from tests.factories import mark_attendance as mark
from tests.scenarios import attendance_fixture, hours_fixture, reminder_setup, table_rows

pytestmark = pytest.mark.pg


def _admin(app, client):
    with app.app_context():
        factories.make_user(roles=("admin", "student"), email="boss@example.org")
        db.session.commit()
    Browserless(client).login("boss@example.org")


def test_reports_match_the_hand_count_on_postgresql(pg_app, pg_client):
    attendance_fixture(pg_app)
    hours_fixture(pg_app)
    _admin(pg_app, pg_client)
    html = pg_client.get("/admin/reports/attendance").get_data(as_text=True)
    assert table_rows(html, "attendance-by-course")[-1] == ["All courses", "4", "7", "4", "3", "57%", "1"]
    assert [r[1:] for r in table_rows(html, "attendance-by-session")] == [
        ["3 of 3", "3", "2", "1", "67%"], ["1 of 1", "4", "2", "2", "50%"],
        ["0 of 1", "3", "–", "–", "Registers not taken"], ["0 of 1", "0", "0", "0", "–"],
    ]
    hours = pg_client.get("/admin/reports/facilitator-hours?term=2025-autumn").get_data(as_text=True)
    assert table_rows(hours, "facilitator-hours") == [
        ["+Sam Officer", "West Yorkshire Police", "1", "1", "2.5"],
        ["Alex Peer", "Leeds Mental Health Forum", "3", "5", "10"],
        ["All facilitators", "", "", "", "12.5"],
    ]


def test_certificate_and_my_courses_on_postgresql(pg_app, pg_client):
    with pg_app.app_context():
        session = past_session(dates=2)
        student = factories.make_user(email="ann@example.org", full_name="Ann Lee")
        booking = book(session, student)
        mark(booking, session, ("present", "absent"))
        roster(session, factories.make_user(roles=("facilitator",), full_name="Jo Peer"), "peer_specialist")
        db.session.commit()
        booking_id = booking.id
    Browserless(pg_client).login("ann@example.org")
    assert "Attended 1 of 2 dates" in pg_client.get("/my/courses").get_data(as_text=True)
    response = pg_client.get(f"/my/courses/{booking_id}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_register_reminders_once_on_postgresql(pg_app, pg_client):  # pg_client: wiped after
    reminder_setup(pg_app)
    run = pg_app.test_cli_runner()
    assert "2 emails for 1 session date" in run.invoke(args=["rec", "attendance-reminders"]).output
    assert "0 emails for 0 session dates" in run.invoke(args=["rec", "attendance-reminders"]).output


# --- Two facilitators marking the last two people at the same moment ---------------------------------

def _last_two_unmarked(app):
    """A session that ended an hour ago: four places, the first two already marked."""
    with app.app_context():
        session = past_session(dates=1, days_ago=0.1, status="scheduled", hours=1)
        bookings = factories.fill_places(session, 4)
        for booking in bookings[:2]:
            mark(booking, session, ("present",))
        marker = factories.make_user(roles=("facilitator",))
        db.session.commit()
        return session.id, session.dates[0].id, [b.id for b in bookings[2:]], marker.id


def _at_the_same_moment(barrier: threading.Barrier) -> None:
    """Wait (up to a second) for the other facilitator's request to get this far."""
    try:
        barrier.wait(timeout=1)
    except threading.BrokenBarrierError:
        pass


def _marker(session_date_id, booking_id, user_id, both_marked, both_counted):
    """One facilitator's request: mark one person, then see whether everyone is marked,
    then commit. The two requests keep step (both mark, then both count, then both
    commit): the worst case for the race. With the session lock the other request cannot
    mark until this one commits, so the waits simply time out."""
    from rec_portal.attendance.operations import complete_if_done, record_attendance
    from rec_portal.models import Booking, SessionDate, User

    def job():
        day = db.session.get(SessionDate, session_date_id)
        record_attendance(day, db.session.get(Booking, booking_id), "present", db.session.get(User, user_id))
        _at_the_same_moment(both_marked)
        completed = complete_if_done(day.session)
        _at_the_same_moment(both_counted)
        return completed

    return job


def _race(app):
    session_id, date_id, (a, b), user_id = _last_two_unmarked(app)
    steps = (threading.Barrier(2), threading.Barrier(2))
    results = run_at_once(app, [_marker(date_id, a, user_id, *steps), _marker(date_id, b, user_id, *steps)])
    assert [r for r in results if isinstance(r, Exception)] == []
    with app.app_context():
        from rec_portal.models import Attendance, CourseSession

        marks = db.session.execute(select(func.count()).select_from(Attendance)).scalar_one()
        return db.session.get(CourseSession, session_id).status, sorted(results), marks


def test_marking_the_last_two_at_once_completes_the_session(pg_app, pg_client):  # pg_client: wiped after
    status, results, marks = _race(pg_app)
    assert marks == 4
    assert status == "completed" and results == [False, True]  # the second one saw both marks


def test_control_without_the_lock_the_session_is_never_completed(pg_app, pg_client, monkeypatch):
    """Shows the test above can fail: without the session lock each facilitator counts only
    their own (uncommitted) mark, so neither completes the session."""
    from rec_portal.attendance import operations

    monkeypatch.setattr(operations, "lock_session", lambda session_id: None)
    status, results, marks = _race(pg_app)
    assert marks == 4
    assert status == "scheduled" and results == [False, False]
