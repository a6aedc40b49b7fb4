"""Admins add walk-ins and late bookings; facilitators are reminded, once, to take a
register that was not taken a day after a session date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.attendance.reminders import send_register_reminders
from rec_portal.attendance.walk_ins import WalkInRefused, add_walk_in
from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, OutboxMessage, SessionDate, User
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import Browserless
from tests.conftest import login
from tests.factories import add_to_roster as roster
from tests.factories import make_booking as book
from tests.factories import mark_attendance as mark
from tests.scenarios import reminder_setup

# --- Walk-ins and late bookings ------------------------------------------------------------------


def walk_in_setup(app, *, starts_in_days=-0.1, hours=3, capacity=1, booked=1, status="scheduled", dates=1):
    """A session that started a couple of hours ago (by default) and is full."""
    with app.app_context():
        session = factories.make_session(
            course=factories.make_course(title="Staying Safe", slug="staying-safe"),
            starts_in_days=starts_in_days, hours=hours, capacity=capacity, status=status, dates=dates,
        )
        factories.fill_places(session, booked)
        jo = factories.make_user(full_name="Jo Williams", email="jo@example.org")
        db.session.commit()
        return session.id, jo.id


def _bookings(app, session_id):
    with app.app_context():
        return {
            b.student.email: (b.status, b.made_by)
            for b in db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars()
        }


def test_walk_in_joins_a_full_session_that_has_started(app, client, web, login_as):
    admin = login_as("admin")
    session_id, jo_id = walk_in_setup(app)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    html = client.get(page).get_data(as_text=True)
    assert "Add a walk-in or late booking" in html and 'id="walk-in-q"' in html
    assert "Find student to add" in html
    found = client.get(f"{page}?walk_in_q=williams").get_data(as_text=True)
    assert "Jo Williams (jo@example.org)" in found and 'id="walk-in-results"' in found
    assert f'action="/admin/courses/sessions/{session_id}/walk-ins"' in found
    assert "Add<span class=\"nhsuk-u-visually-hidden\"> Jo Williams</span> to this session" in found
    response = web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": jo_id}, page=page)
    assert response.headers["Location"] == page
    after = client.get(page).get_data(as_text=True)
    assert "Jo Williams has been added to this session with a place. They have been sent an email" in after
    assert "2 of 2 places taken" in after  # the session gained a place
    assert _bookings(app, session_id)["jo@example.org"] == ("confirmed", "admin")
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.student_id == jo_id)).scalar_one()
        assert booking.made_by_user_id == admin.id and booking.confirmed_at is not None
        assert db.session.get(CourseSession, session_id).capacity == 2
        assert db.session.execute(select(OutboxMessage.to_address)).scalar_one() == "jo@example.org"
    # Already on the list: not offered again, and refused if sent anyway.
    again = client.get(f"{page}?walk_in_q=williams").get_data(as_text=True)
    assert "No student matches “williams” who is not already on this list." in again
    response = web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": jo_id}, page=page)
    assert response.headers["Location"] == page  # the message is at the top of the page
    assert "Jo Williams already has a place on this session." in client.get(page).get_data(as_text=True)
    assert len(_bookings(app, session_id)) == 2


def test_late_booking_after_the_session_ended_sends_no_email(app, web, client, login_as):
    login_as("admin")
    session_id, jo_id = walk_in_setup(app, starts_in_days=-1, booked=0, capacity=5)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": jo_id}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "Jo Williams has been added to this session with a place." in html
    assert "sent an email" not in html
    assert _bookings(app, session_id) == {"jo@example.org": ("confirmed", "admin")}
    with app.app_context():
        assert db.session.execute(select(OutboxMessage)).first() is None
        assert db.session.get(CourseSession, session_id).capacity == 5  # room to spare: unchanged


def test_someone_waiting_is_pointed_to_give_a_place(app, web, client, login_as):
    login_as("admin")
    session_id, jo_id = walk_in_setup(app, starts_in_days=3)
    with app.app_context():
        book(db.session.get(CourseSession, session_id), db.session.get(User, jo_id), status="waitlisted")
        db.session.commit()
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": jo_id}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "Jo Williams is on the waiting list for this session. Use “Give a place”" in html
    assert _bookings(app, session_id)["jo@example.org"] == ("waitlisted", "self")


@pytest.mark.parametrize("status, words", [("cancelled", "cancelled"), ("completed", "completed")])
def test_no_walk_ins_on_cancelled_or_completed_sessions(app, web, client, login_as, status, words):
    login_as("admin")
    session_id, jo_id = walk_in_setup(app, starts_in_days=-2, status=status)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    html = client.get(page).get_data(as_text=True)
    assert f"This session is {words}, so nobody can be added to it." in html and 'id="walk-in-q"' not in html
    web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": jo_id}, page=page)
    assert f"This session {'has been cancelled' if status == 'cancelled' else 'is completed'}, so nobody can be added" \
        in client.get(page).get_data(as_text=True)
    assert "jo@example.org" not in _bookings(app, session_id)


def test_walk_in_rules(app):
    session_id, jo_id = walk_in_setup(app, booked=0)
    with app.app_context():
        admin = factories.make_user(roles=("admin", "student"))
        staff_only = factories.make_user(roles=("facilitator",))
        disabled = factories.make_user(full_name="Dee Disabled", active=False)
        for student, message in ((None, "Choose a student from the search results."),
                                 (staff_only, "Choose a student from the search results."),
                                 (disabled, "Dee Disabled’s account is disabled")):
            with pytest.raises(WalkInRefused, match=message):
                add_walk_in(session_id, student, added_by=admin)
        with pytest.raises(WalkInRefused, match="does not exist"):
            add_walk_in(999999, db.session.get(User, jo_id), added_by=admin)
        db.session.rollback()


def test_walk_ins_need_an_admin_and_a_csrf_token(app, client):
    session_id, jo_id = walk_in_setup(app)
    url = f"/admin/courses/sessions/{session_id}/walk-ins"
    page = f"/admin/courses/sessions/{session_id}/bookings"
    assert client.post(url, data={"student_id": jo_id}).status_code in (302, 400)
    with app.app_context():
        factories.make_user(email="student@example.org")
        factories.make_user(roles=("facilitator",), email="facilitator@example.org")
        factories.make_user(roles=("admin", "student"), email="admin@example.org")
        db.session.commit()
    for email, page_with_a_form in (("student@example.org", "/my/courses"), ("facilitator@example.org", "/my/account")):
        person = login(app, email)
        assert Browserless(person).submit(url, {"student_id": jo_id}, page=page_with_a_form).status_code == 403
        assert person.get(page).status_code == 403
    admin = login(app, "admin@example.org")
    assert admin.post(url, data={"student_id": jo_id}).status_code == 400  # no CSRF token
    assert "jo@example.org" not in _bookings(app, session_id)
    web = Browserless(admin)
    response = web.submit(url, {"student_id": 0}, page=page)
    assert "Choose a student from the search results." in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert web.submit("/admin/courses/sessions/999999/walk-ins", {"student_id": jo_id}, page=page).status_code == 404
    assert "jo@example.org" not in _bookings(app, session_id)


@pytest.mark.parametrize("student_id", ["99999999999999999999", "-3", str(2**31), "abc"])
def test_a_walk_in_with_an_impossible_student_id_is_explained(app, web, client, login_as, student_id):
    login_as("admin")
    session_id, _ = walk_in_setup(app)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    response = web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": student_id}, page=page)
    assert response.headers["Location"] == page
    assert "Choose a student from the search results." in client.get(page).get_data(as_text=True)
    assert "jo@example.org" not in _bookings(app, session_id)


# --- Register reminders -------------------------------------------------------------------------------



def _reminders(app):
    with app.app_context():
        return [
            (m.to_address, m.subject, m.body_text)
            for m in db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        ]


def _run(app):
    return app.test_cli_runner().invoke(args=["rec", "attendance-reminders"])


def test_rostered_facilitators_are_reminded_once(app, monkeypatch):
    monkeypatch.setitem(app.config, "REC_BASE_URL", "https://rec.example.org")
    session_id, (date_id,) = reminder_setup(app)
    result = _run(app)
    assert result.exit_code == 0 and "Register reminders queued: 2 emails for 1 session date." in result.output
    sent = _reminders(app)
    assert [to for to, *_ in sent] == ["priya@example.org", "jo@example.org"]
    _to, subject, body = sent[0]
    assert subject == "Recovery Education Centre session: please take the register"
    assert "Hello Priya," in body and "Staying Safe" in body and "(Police mental health co-ordinator)" in body
    assert f"https://rec.example.org/facilitate/sessions/{session_id}/dates/{date_id}/register" in body
    with app.app_context():
        assert db.session.get(SessionDate, date_id).attendance_reminder_sent_at is not None
    again = _run(app)
    assert "Register reminders queued: 0 emails for 0 session dates." in again.output
    assert len(_reminders(app)) == 2


@pytest.mark.parametrize("setup", [
    {"ended_hours_ago": 20},                 # not a day yet
    {"ended_hours_ago": 15 * 24},            # too long ago
    {"status": "cancelled"},
    {"booked": 0},
    {"booking_status": "waitlisted"},
    {"booking_status": "cancelled"},
])
def test_no_reminder_unless_due(app, setup):
    reminder_setup(app, **setup)
    assert "0 emails for 0 session dates" in _run(app).output
    assert _reminders(app) == []


def test_a_register_with_any_mark_is_taken(app):
    session_id, (_date_id,) = reminder_setup(app)
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars().first()
        mark(booking, db.session.get(CourseSession, session_id), ("absent",))
        db.session.commit()
    assert "0 emails" in _run(app).output


def test_each_date_of_a_longer_course_is_reminded_on_its_own(app):
    session_id, date_ids = reminder_setup(app, dates=3, ended_hours_ago=26)
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        booking = db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalars().first()
        mark(booking, session, ("present", None, None))  # the first register was taken
        db.session.commit()
    assert "4 emails for 2 session dates" in _run(app).output
    bodies = [body for _, _, body in _reminders(app)]
    assert sum("date 2 of 3" in b for b in bodies) == 2 and sum("date 3 of 3" in b for b in bodies) == 2
    assert not any(f"/dates/{date_ids[0]}/register" in b for b in bodies)


def test_a_date_with_nobody_rostered_waits_for_a_roster(app):
    with app.app_context():
        session = factories.make_session(starts_in_days=-2, hours=2)
        factories.fill_places(session, 1)
        db.session.commit()
        session_id, date_id = session.id, session.dates[0].id
    assert "0 emails for 0 session dates" in _run(app).output
    with app.app_context():
        assert db.session.get(SessionDate, date_id).attendance_reminder_sent_at is None
        roster(db.session.get(CourseSession, session_id), factories.make_facilitator(
            name="Late Person", preferred_name="Late", organisation="", default_role=None,
        ), "other")
        db.session.commit()
    assert "1 email for 1 session date" in _run(app).output


def test_reminders_at_a_given_time(app):
    """The rule itself, with a clock: due 24 hours after the end, not before."""
    _session_id, (date_id,) = reminder_setup(app, ended_hours_ago=1)
    with app.app_context():
        ended = db.session.get(SessionDate, date_id).ends_at
        assert send_register_reminders(now=ended + timedelta(hours=23, minutes=59)).emails == 0
        report = send_register_reminders(now=ended + timedelta(hours=24))
        assert (report.dates, report.emails) == (1, 2)
        db.session.commit()
        assert send_register_reminders(now=utcnow() + timedelta(days=2)).emails == 0
