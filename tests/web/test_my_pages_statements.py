"""Issue 18: what a signed-in student's pages cost. /my/courses and the booking POST run a
fixed number of statements whatever the number of bookings, the signed-in session costs
one statement per request, and its last-seen time is written at most once a minute
without the idle timeout going wrong."""

from datetime import timedelta

from sqlalchemy import event, select, update

from rec_portal.auth.sessions import TOUCH_EVERY
from rec_portal.extensions import db
from rec_portal.models import Booking, UserSession
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import count_statements, csrf_from


def _student_with_bookings(app, groups: int) -> tuple[str, list[str]]:
    """A student with ``groups`` x 7 bookings of every kind My courses shows: places to come,
    a held place and a waiting-list place on another date of the same course (so a swap is
    offered), an offered place, a last-minute free place, and past sessions attended (with
    a certificate and feedback) and missed. Returns (email, every course title)."""
    with app.app_context():
        student = factories.make_user()
        titles = []
        for g in range(groups):
            upcoming = factories.make_course(title=f"Upcoming {g}")
            factories.make_booking(factories.make_session(course=upcoming, starts_in_days=10 + g), student)
            # A place on one date, and the waiting list of a later date of the course where
            # a place has come free (they are passed over for it, and can swap).
            two_dates = factories.make_course(title=f"Two dates {g}")
            held = factories.make_session(course=two_dates, starts_in_days=20 + g)
            factories.make_booking(held, student)
            later = factories.make_session(course=two_dates, starts_in_days=40 + g, capacity=2)
            factories.fill_places(later, 1)
            factories.make_booking(later, student, status="waitlisted")
            offered = factories.make_session(course=factories.make_course(title=f"Offered {g}"), capacity=1,
                                             starts_in_days=30 + g)
            factories.make_booking(offered, student, status="offered", offered_at=utcnow(),
                                   offer_expires_at=utcnow() + timedelta(days=1))
            # Told a place is free in the last hours.
            soon = factories.make_session(course=factories.make_course(title=f"Soon {g}"), capacity=2,
                                          starts_in_days=0.2)
            factories.fill_places(soon, 1)
            factories.make_booking(soon, student, status="waitlisted", last_minute_told_at=utcnow())
            attended = factories.make_course(title=f"Attended {g}")
            factories.make_attended_session([student], course=attended, ended_days_ago=3 + g)
            missed = factories.make_course(title=f"Missed {g}")
            factories.make_attended_session([student], course=missed, ended_days_ago=5 + g, present=False)
            titles += [upcoming.title, two_dates.title, f"Offered {g}", f"Soon {g}", attended.title, missed.title]
        db.session.commit()
        return student.email, titles


def _signed_in(app, email):
    client = app.test_client()
    from tests.conftest import Browserless

    Browserless(client).login(email)
    return client


def _counted(app, client, url):
    client.get(url)  # anything done once (a first visit) is not counted
    with count_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def test_my_courses_runs_the_same_statements_for_3_and_21_bookings(app):
    small_email, small_titles = _student_with_bookings(app, 1)
    big_email, big_titles = _student_with_bookings(app, 3)
    with app.app_context():
        assert len(db.session.execute(select(Booking).join(Booking.student).where(
            Booking.student.has(email=big_email))).all()) == 21
    small, small_html = _counted(app, _signed_in(app, small_email), "/my/courses")
    big, big_html = _counted(app, _signed_in(app, big_email), "/my/courses")
    # Every booking is on the page, with what it offers.
    for title in big_titles:
        assert title in big_html
    assert big_html.count("Swap to this date") == 3 and big_html.count("Take the place") == 3
    assert big_html.count("Accept the place") == 3 and big_html.count("Download your certificate") == 3
    assert small_html.count("Swap to this date") == 1
    assert big == small


def test_a_signed_in_request_loads_the_session_and_user_in_one_statement(app, login_as, client):
    """The session row, the person and their roles: one statement (it was five: the
    profiles were loaded on every request whether a page used them or not)."""
    login_as("student", "facilitator")
    client.get("/my/account")
    from flask_login import current_user

    with app.test_request_context("/"):
        from flask import session as cookie

        with client.session_transaction() as saved:
            cookie.update(saved)
        with count_statements(app) as statements:
            assert current_user.is_authenticated
            assert current_user.has_role("student") and current_user.has_role("facilitator")
            assert current_user.display_name
        db.session.rollback()
    assert len(statements) <= 2  # SQLite adds a BEGIN
    assert sum("user_sessions" in s for s in statements) == 1


def _full_session_with_waiting(app, waiting: int) -> tuple[int, str]:
    with app.app_context():
        course = factories.make_course(title=f"Waiting {waiting}")
        session = factories.make_session(course=course, capacity=3, starts_in_days=10 + waiting)  # no overlap
        factories.fill_places(session, 3)
        for _ in range(waiting):  # all waiting since before today
            factories.make_booking(session, factories.make_user(), status="waitlisted",
                                   queued_at=utcnow() - timedelta(days=1))
        db.session.commit()
        return session.id, course.slug


def _book(app, client, session_id, slug, **headers):
    token = csrf_from(client.get(f"/courses/{slug}").get_data(as_text=True))
    commits = []

    with app.app_context():
        engine = db.engine
    listener = lambda _conn: commits.append(len(statements))  # noqa: E731
    with count_statements(app) as statements:
        event.listen(engine, "commit", listener)
        try:
            response = client.post(f"/sessions/{session_id}/book", data={"csrf_token": token}, headers=headers)
        finally:
            event.remove(engine, "commit", listener)
    return response, len(statements), commits


def test_the_booking_post_runs_the_same_statements_with_5_or_25_waiting(app, login_as, client):
    login_as("student")
    five = _full_session_with_waiting(app, 5)
    twenty_five = _full_session_with_waiting(app, 25)
    response, small, _ = _book(app, client, *five)
    assert response.status_code == 302
    assert "number 6 in line" in client.get(response.headers["Location"]).get_data(as_text=True)
    response, big, commits = _book(app, client, *twenty_five)
    assert "number 26 in line" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert big == small
    # Nothing is loaded again after the booking is committed just to make the redirect.
    assert commits == [big]


def test_the_booking_post_with_htmx_runs_the_same_statements_with_5_or_25_waiting(app, login_as, client):
    login_as("student")
    five = _full_session_with_waiting(app, 5)
    twenty_five = _full_session_with_waiting(app, 25)
    response, small, _ = _book(app, client, *five, **{"HX-Request": "true"})
    assert "number 6 in line" in response.get_data(as_text=True)
    response, big, _ = _book(app, client, *twenty_five, **{"HX-Request": "true"})
    assert "number 26 in line" in response.get_data(as_text=True)
    assert big == small


def _last_seen(app):
    with app.app_context():
        return db.session.execute(select(UserSession.last_seen_at)).scalar_one()


def _set_last_seen(app, when):
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=when))
        db.session.commit()


def _session_writes(app, client, url="/my/account"):
    with count_statements(app) as statements:
        assert client.get(url).status_code == 200
    return [s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]


def test_last_seen_is_written_at_most_once_a_minute_and_the_idle_timeout_stays_right(app, login_as, client):
    login_as("student")
    idle = app.config["REC_IDLE_TIMEOUT"]
    # Seen 30 seconds ago: pages are served without writing to the session row.
    recently = utcnow() - TOUCH_EVERY / 2
    _set_last_seen(app, recently)
    assert _session_writes(app, client) == [] and _session_writes(app, client) == []
    assert _last_seen(app) == recently
    # More than a minute ago: this request is written down, so the idle time starts again.
    _set_last_seen(app, utcnow() - TOUCH_EVERY - timedelta(seconds=5))
    assert len(_session_writes(app, client)) == 1
    assert utcnow() - _last_seen(app) < timedelta(seconds=5)
    # Using the portal every 50 seconds for longer than the idle timeout keeps the person
    # signed in: the unwritten requests never let the written time fall further behind.
    for _ in range(int(idle / timedelta(seconds=50)) + 2):
        _set_last_seen(app, _last_seen(app) - timedelta(seconds=50))
        assert client.get("/my/account").status_code == 200
        assert utcnow() - _last_seen(app) <= TOUCH_EVERY
    # Idle for longer than the timeout since the last written request: signed out.
    _set_last_seen(app, utcnow() - idle - timedelta(seconds=1))
    response = client.get("/my/account")
    assert response.headers["Location"] == "/login?next=/my/account"
    with app.app_context():
        assert db.session.execute(select(UserSession.ended_reason)).scalar_one() == "idle"
