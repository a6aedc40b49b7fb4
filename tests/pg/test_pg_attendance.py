"""Attendance reports, certificates, My courses and register reminders on PostgreSQL (the
hours come from a PostgreSQL-specific expression; the reminders lock rows)."""

import pytest

from rec_portal.extensions import db
from tests import factories
from tests.conftest import Browserless
from tests.web.test_attendance_reports import (
    attendance_fixture,
    hours_fixture,
    table_rows,
)
from tests.web.test_certificates import book, mark, past_session, roster
from tests.web.test_walk_ins_and_reminders import reminder_setup

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
    assert table_rows(html, "attendance-by-course")[-1] == ["All courses", "4", "10", "4", "6", "40%"]
    assert [r[1:] for r in table_rows(html, "attendance-by-session")] == [
        ["3 of 3", "3", "2", "1", "67%"], ["1 of 1", "4", "2", "2", "50%"],
        ["0 of 1", "3", "0", "3", "0%"], ["0 of 1", "0", "0", "0", "–"],
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
