"""Admins see who is booked and waiting, book by phone, cancel, give places, download CSV."""

import csv
import io

import pytest
from sqlalchemy import select

from rec_portal.bookings.operations import book_place
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, Booking, CourseSession, OutboxMessage
from tests import factories


def _setup(app, capacity=1, people=2):
    with app.app_context():
        session = factories.make_session(capacity=capacity, course=factories.make_course(slug="staying-safe"))
        made = [factories.make_user(full_name=f"Person {i}", email=f"p{i}@example.org") for i in range(people)]
        bookings = [book_place(session.id, p).booking for p in made]
        db.session.commit()
        return session.id, [b.id for b in bookings]


@pytest.mark.parametrize("path", ["/admin/courses/sessions/{s}/bookings", "/admin/courses/sessions/{s}/bookings.csv"])
def test_only_admins_see_class_lists(login_as, client, app, path):
    session_id, _ = _setup(app)
    url = path.format(s=session_id)
    assert client.get(url).status_code == 302
    login_as("facilitator")
    assert client.get(url).status_code == 403


def test_lists_booked_and_waiting_in_order_and_is_audited(login_as, client, app):
    login_as("admin")
    session_id, _ = _setup(app, capacity=1, people=3)
    html = client.get(f"/admin/courses/sessions/{session_id}/bookings").get_data(as_text=True)
    assert "1 of 1 places taken. 2 on the waiting list." in html
    assert html.index("Person 0") < html.index("Person 1") < html.index("Person 2")
    assert "p0@example.org" in html
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.event == "bookings.viewed_by_staff")).scalar_one()


def test_phone_booking_by_search(login_as, web, client, app):
    admin = login_as("admin")
    session_id, _ = _setup(app, capacity=5, people=0)
    with app.app_context():
        factories.make_user(full_name="Jo Williams", email="jo@example.org")
        db.session.commit()
    page = f"/admin/courses/sessions/{session_id}/bookings?q=williams"
    html = client.get(page).get_data(as_text=True)
    assert "Jo Williams (jo@example.org)" in html
    with app.app_context():
        jo_id = db.session.execute(select(Booking.student_id)).first()
        from rec_portal.models import User

        jo_id = db.session.execute(select(User.id).where(User.email == "jo@example.org")).scalar_one()
    response = web.submit(f"/admin/courses/sessions/{session_id}/bookings", {"student_id": jo_id}, page=page)
    assert "Jo Williams has a place. They have been sent an email." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalar_one()
        assert (booking.made_by, booking.made_by_user_id) == ("admin", admin.id)
        assert db.session.execute(select(OutboxMessage.to_address)).scalar_one() == "jo@example.org"
    # Already booked: explained, not doubled.
    again = web.submit(f"/admin/courses/sessions/{session_id}/bookings", {"student_id": jo_id}, page=page)
    assert "Jo Williams already has a place" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_cancel_on_behalf_offers_the_place_to_the_next_person(login_as, web, client, app):
    login_as("admin")
    session_id, (first, second) = _setup(app, capacity=1, people=2)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/bookings/{first}/cancel", {}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "Person 0’s booking is cancelled. The place is being held for Person 1 from the waiting list, until" in html
    with app.app_context():
        assert db.session.get(Booking, second).status == "offered"


def test_give_a_place_ahead_of_the_queue_adds_a_place(login_as, web, client, app):
    login_as("admin")
    session_id, (_, second, third) = _setup(app, capacity=1, people=3)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/bookings/{third}/give-place", {}, page=page)
    assert "Person 2 now has a place." in client.get(page).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, third).status == "confirmed"
        assert db.session.get(Booking, second).status == "waitlisted"
        assert db.session.get(CourseSession, session_id).capacity == 2


def test_csv_download_is_formula_safe(login_as, client, app):
    login_as("admin")
    with app.app_context():
        session = factories.make_session(capacity=2, course=factories.make_course(slug="staying-safe"))
        for name in ("=HYPERLINK(\"http://evil\")", "+44 trick", "Plain Name"):
            book_place(session.id, factories.make_user(full_name=name))
        db.session.commit()
        session_id = session.id
    response = client.get(f"/admin/courses/sessions/{session_id}/bookings.csv")
    assert response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:7] == ["Full name", "Preferred name", "Pronouns", "Email", "Phone", "Support needs", "Status"]
    names = [r[0] for r in rows[1:]]
    assert names == ["'=HYPERLINK(\"http://evil\")", "'+44 trick", "Plain Name"]
    assert [r[6] for r in rows[1:]] == ["Booked", "Booked", "Waiting (1)"]
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.event == "export")).scalar_one()


def test_neutralise_every_dangerous_start():
    from rec_portal.csvsafe import neutralise

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(start + "x") == "'" + start + "x"
    assert neutralise("Jo") == "Jo" and neutralise(None) == ""


def test_class_list_shows_phone_and_support_needs(login_as, client, app):
    from rec_portal.account.operations import update_support_details
    from rec_portal.models import User

    login_as("admin")
    session_id, _ = _setup(app, capacity=1, people=2)
    with app.app_context():
        for email, needs in (("p0@example.org", "Hearing loop please"), ("p1@example.org", "Sits near the door")):
            user = db.session.execute(select(User).where(User.email == email)).scalar_one()
            update_support_details(user, phone="07700 900123", access_needs=needs)
            user.profile.pronouns = "they/them"
        db.session.commit()
    html = client.get(f"/admin/courses/sessions/{session_id}/bookings").get_data(as_text=True)
    assert "Hearing loop please" in html and "Sits near the door" in html and "07700 900123" in html
    assert "(they/them)" in html
    csv_text = client.get(f"/admin/courses/sessions/{session_id}/bookings.csv").get_data(as_text=True)
    assert "Hearing loop please" in csv_text and "07700 900123" in csv_text


# --- Ids out of range, and bookings once a session has started or is over -----------------------

@pytest.mark.parametrize("student_id", ["99999999999999999999", "-5", "0", str(2**31), "abc", ""])
def test_phone_booking_with_an_impossible_student_id_is_not_found(login_as, web, client, app, student_id):
    login_as("admin")
    session_id, _ = _setup(app, capacity=5, people=0)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    response = web.submit(page, {"student_id": student_id}, page=page)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Booking)).first() is None


def _started(app, *, capacity=1, waiting=1, status="scheduled", starts_in_days=-0.05):
    """A full session of two dates that started a little while ago, with people waiting."""
    with app.app_context():
        session = factories.make_session(capacity=capacity, starts_in_days=starts_in_days, dates=2,
                                         status=status, course=factories.make_course(slug="staying-safe"))
        booked = factories.fill_places(session, capacity)
        queued = factories.fill_places(session, waiting, status="waitlisted")
        db.session.commit()
        return session.id, [b.id for b in booked + queued]


def test_staff_can_cancel_after_the_start_but_nobody_moves_up(login_as, web, client, app):
    login_as("admin")
    session_id, (booked, waiting) = _started(app)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/bookings/{booked}/cancel", {}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "booking is cancelled." in html and "moved up from the waiting list" not in html
    with app.app_context():
        assert db.session.get(Booking, booked).status == "cancelled"
        assert db.session.get(Booking, waiting).status == "waitlisted"
        assert db.session.execute(select(OutboxMessage.subject)).scalars().all() == [
            "Recovery Education Centre session: cancelled"]


@pytest.mark.parametrize("status, words", [
    ("completed", "This session is completed, so nobody can be given a place on it."),
    ("cancelled", "This session has been cancelled, so nobody can be given a place on it."),
])
def test_no_place_is_given_on_a_completed_or_cancelled_session(login_as, web, client, app, status, words):
    login_as("admin")
    session_id, (_, waiting) = _started(app, status=status, starts_in_days=-10)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    response = web.submit(f"/admin/courses/bookings/{waiting}/give-place", {}, page=page)
    assert response.headers["Location"] == page
    assert words in client.get(page).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, waiting).status == "waitlisted"
        assert db.session.get(CourseSession, session_id).capacity == 1
        assert db.session.execute(select(OutboxMessage)).first() is None


def test_staff_cannot_cancel_a_place_with_attendance_recorded(login_as, web, client, app):
    """Issue 13 (5): a marked place was cancelled, taking the attendance and certificate
    with it, and the place went to the first person waiting."""
    from rec_portal.attendance.operations import record_attendance

    login_as("admin")
    session_id, (booked, waiting) = _started(app)
    with app.app_context():
        booking = db.session.get(Booking, booked)
        record_attendance(booking.session.dates[0], booking, "present", None)
        db.session.commit()
        name = booking.student.full_name
    page = f"/admin/courses/sessions/{session_id}/bookings"
    html = client.get(page).get_data(as_text=True)
    assert f'id="marked-{booked}"' in html and "Attendance recorded, so this place cannot be cancelled" in html
    assert f'action="/admin/courses/bookings/{booked}/cancel"' not in html
    web.submit(f"/admin/courses/bookings/{booked}/cancel", {}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert f"{name}’s attendance has been recorded for this session, so their place cannot be cancelled" in html
    with app.app_context():
        assert db.session.get(Booking, booked).status == "confirmed"
        assert db.session.get(Booking, waiting).status == "waitlisted"
        assert db.session.execute(select(OutboxMessage.subject)).scalars().all() == []
