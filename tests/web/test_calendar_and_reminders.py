"""Calendar files, the private feed, neutral titles, and reminders sent once."""

from icalendar import Calendar
from sqlalchemy import select

from rec_portal.bookings.operations import book_place
from rec_portal.extensions import db
from rec_portal.models import Booking, OutboxMessage, User
from tests import factories


def _booked(app, email, starts_in_days=14, dates=1):
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug=f"staying-safe-{starts_in_days}")
        session = factories.make_session(course=course, starts_in_days=starts_in_days, dates=dates)
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        booking = book_place(session.id, user).booking
        db.session.commit()
        return booking.id


def test_booking_calendar_file_is_neutral_by_default(login_as, client, app):
    me = login_as("student")
    booking_id = _booked(app, me.email, dates=2)
    response = client.get(f"/my/courses/{booking_id}/calendar.ics")
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.get_data())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 2
    assert {str(e["summary"]) for e in events} == {"Recovery Education Centre session"}
    assert "Staying Safe" not in response.get_data(as_text=True)
    assert str(events[0]["location"]) == "Recovery Education Centre, Room 2"
    assert "Part 1 of 2" in str(events[0]["description"])


def test_someone_elses_calendar_file_is_not_found(login_as, client, app):
    with app.app_context():
        factories.make_user(email="other@example.org")
        db.session.commit()
    booking_id = _booked(app, "other@example.org")
    login_as("student")
    assert client.get(f"/my/courses/{booking_id}/calendar.ics").status_code == 404


def test_confirmation_email_has_the_calendar_attached_and_a_neutral_subject(login_as, web, app):
    me = login_as("student")
    with app.app_context():
        session_id = factories.make_session(course=factories.make_course(slug="staying-safe")).id
        db.session.commit()
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    with app.app_context():
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        assert message.subject == "Recovery Education Centre session: your place is booked"
        assert message.attachment_filename == "rec-session.ics"
        assert "BEGIN:VEVENT" in message.attachment_body
        from rec_portal.notifications.outbox import _build, _claim

        built = _build(_claim(10)[0])
        parts = [p.get_filename() for p in built.iter_attachments()]
        assert parts == ["rec-session.ics"]
        assert me.email


def test_choosing_to_see_titles(login_as, web, client, app):
    me = login_as("student")
    page = client.get("/my/account/calendar").get_data(as_text=True)
    assert "Recovery Education Centre session” (more private)" in page
    web.submit("/my/account/calendar", {"show_course_titles": "yes", "action": "titles"})
    booking_id = _booked(app, me.email)
    cal = client.get(f"/my/courses/{booking_id}/calendar.ics").get_data(as_text=True)
    assert "SUMMARY:Staying Safe (Recovery Education Centre)" in cal


def test_private_feed_can_be_made_reset_and_stopped(login_as, web, client, app):
    me = login_as("student")
    _booked(app, me.email, starts_in_days=10)
    web.submit("/my/account/calendar", {"action": "new-link"})
    html = client.get("/my/account/calendar").get_data(as_text=True)
    with app.app_context():
        token = db.session.get(User, me.id).calendar_token
    assert f"/calendar/{token}.ics" in html
    feed = app.test_client().get(f"/calendar/{token}.ics")  # a calendar app: no cookies
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert len(list(Calendar.from_ical(feed.get_data()).walk("VEVENT"))) == 1
    web.submit("/my/account/calendar", {"action": "new-link"})
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404
    web.submit("/my/account/calendar", {"action": "stop-link"})
    with app.app_context():
        assert db.session.get(User, me.id).calendar_token is None
    assert app.test_client().get("/calendar/nonsense-token-that-is-long.ics").status_code == 404


def test_reminders_are_sent_once_two_days_before(app):
    with app.app_context():
        soon = factories.make_session(starts_in_days=1.5)
        later = factories.make_session(starts_in_days=5)
        person = factories.make_user(email="jo@example.org")
        book_place(soon.id, person)
        book_place(later.id, person)
        db.session.commit()
        soon_id = soon.id
    runner = app.test_cli_runner()
    first = runner.invoke(args=["rec", "send-reminders"])
    second = runner.invoke(args=["rec", "send-reminders"])
    assert "Reminders queued: 1." in first.output and "Reminders queued: 0." in second.output
    with app.app_context():
        messages = db.session.execute(select(OutboxMessage)).scalars().all()
        assert [(m.to_address, m.subject) for m in messages] == [("jo@example.org", "Recovery Education Centre session: reminder")]
        assert messages[0].attachment_filename == "rec-session.ics"
        reminded = db.session.execute(select(Booking).where(Booking.reminder_sent_at.is_not(None))).scalars().all()
        assert [b.session_id for b in reminded] == [soon_id]
