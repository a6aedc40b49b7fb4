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


def test_cancel_on_behalf_moves_the_next_person_up(login_as, web, client, app):
    login_as("admin")
    session_id, (first, second) = _setup(app, capacity=1, people=2)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/bookings/{first}/cancel", {}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert "Person 0’s booking is cancelled. Person 1 moved up from the waiting list." in html
    with app.app_context():
        assert db.session.get(Booking, second).status == "confirmed"


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
