"""Students book, join waiting lists and cancel; /my/courses shows where they stand."""

from sqlalchemy import select

from rec_portal.bookings.operations import book_place
from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, OutboxMessage, User
from tests import factories
from tests.conftest import Browserless, csrf_from


def _session(app, **kwargs):
    with app.app_context():
        course = factories.make_course(title=kwargs.pop("title", "Staying Safe"), slug=kwargs.pop("slug", "staying-safe"))
        session = factories.make_session(course=course, **kwargs)
        db.session.commit()
        return session.id


def _fill(app, session_id, n):
    with app.app_context():
        from rec_portal.models import CourseSession

        for _ in range(n):
            book_place(session_id, factories.make_user())
        db.session.commit()
        assert db.session.get(CourseSession, session_id)


def _messages(app):
    with app.app_context():
        return [(m.to_address, m.subject) for m in db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_signed_out_visitors_are_asked_to_sign_in(client, app):
    session_id = _session(app)
    html = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "Sign in to book" in html and 'href="/login?next=/courses/staying-safe"' in html
    assert client.post(f"/sessions/{session_id}/book").status_code in (302, 400)
    assert client.get("/my/courses").headers["Location"] == "/login?next=/my/courses"


def test_book_a_place_without_javascript(login_as, web, client, app):
    me = login_as("student")
    session_id = _session(app, capacity=3)
    response = web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    assert response.headers["Location"] == f"/courses/staying-safe#session-{session_id}"
    page = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "Your place is booked" in page and "You have a place on this date" in page
    assert "Cancel my place" in page
    assert _messages(app) == [(me.email, "Recovery Education Centre session: your place is booked")]
    mine = client.get("/my/courses").get_data(as_text=True)
    assert "Staying Safe" in mine and "Cancel my place" in mine


def test_book_with_htmx_updates_the_panel_in_place(login_as, client, app):
    login_as("student")
    session_id = _session(app, capacity=3)
    page = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "3 places left" in page
    response = client.post(
        f"/sessions/{session_id}/book", data={},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div id="booking-panel-{session_id}"')
    assert "<html" not in html and "Your place is booked" in html and "You have a place" in html


def test_full_session_offers_the_waiting_list_and_shows_the_position(login_as, web, client, app):
    login_as("student")
    session_id = _session(app, capacity=2)
    _fill(app, session_id, 3)  # 2 booked, 1 waiting
    page = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "Full" in page and "Join the waiting list" in page
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    page = client.get("/courses/staying-safe").get_data(as_text=True)
    # What happened, once; where they are in line, once (in the date's panel).
    assert "you have joined the waiting list" in page and page.count("number 2 in line") == 1
    mine = client.get("/my/courses").get_data(as_text=True)
    assert "You are number 2 in line" in mine and "Leave the waiting list" in mine


def test_cancel_with_a_confirmation_step_gives_the_place_to_the_first_waiting(login_as, web, client, app):
    me = login_as("student")
    session_id = _session(app, capacity=1)
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    with app.app_context():
        waiting = factories.make_user(email="next@example.org")
        book_place(session_id, waiting)
        db.session.commit()
        my_booking = db.session.execute(select(Booking).where(Booking.student_id == me.id)).scalar_one().id
    confirm = client.get(f"/my/courses/{my_booking}/cancel").get_data(as_text=True)
    assert "Cancel your place?" in confirm and "Yes, cancel my place" in confirm
    response = web.submit(f"/my/courses/{my_booking}/cancel", {})
    assert response.headers["Location"] == "/my/courses"
    assert "Your place has been cancelled" in client.get("/my/courses").get_data(as_text=True)
    with app.app_context():
        statuses = {b.student.email: b.status for b in db.session.execute(select(Booking)).scalars()}
    # The place is held for the first person waiting until they answer.
    assert statuses == {me.email: "cancelled", "next@example.org": "offered"}
    assert ("next@example.org", "Recovery Education Centre session: a place is being held for you") in _messages(app)
    assert (me.email, "Recovery Education Centre session: cancelled") in _messages(app)


def test_offered_student_sees_it_on_their_page_and_accepts(app):
    session_id = _session(app, capacity=1)
    with app.app_context():
        first = factories.make_user()
        second = factories.make_user(email="second@example.org")
        first_booking = book_place(session_id, first).booking
        book_place(session_id, second)
        db.session.commit()
        first_id = first_booking.id
        first_email = first.email
    a, b = app.test_client(), app.test_client()
    Browserless(a).login(first_email)
    Browserless(a).submit(f"/my/courses/{first_id}/cancel", {})
    second = Browserless(b)
    second.login("second@example.org")
    html = b.get("/my/courses").get_data(as_text=True)
    assert "A place is being held for you until" in html and "Accept the place" in html
    with app.app_context():
        offered = db.session.execute(select(Booking).where(Booking.status == "offered")).scalar_one()
        offer_id = offered.id
    second.submit(f"/my/courses/{offer_id}/offer/accept", {}, page="/my/courses")
    html = b.get("/my/courses").get_data(as_text=True)
    assert "Your place is booked" in html
    assert "A place became free" in html and "now have a place" in html


def test_another_students_booking_is_not_found(login_as, client, app):
    session_id = _session(app)
    with app.app_context():
        other = factories.make_user()
        booking_id = book_place(session_id, other).booking.id
        db.session.commit()
    login_as("student")
    assert client.get(f"/my/courses/{booking_id}/cancel").status_code == 404
    token = csrf_from(client.get("/my/courses").get_data(as_text=True))
    assert client.post(f"/my/courses/{booking_id}/cancel", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "confirmed"


def test_refusals_are_explained(login_as, web, client, app):
    login_as("student")
    session_id = _session(app, booking_closes_at=None)
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    # A second booking for the same session (e.g. from an old tab).
    response = web.submit(f"/sessions/{session_id}/book", {}, page="/my/courses")
    assert response.status_code == 302
    assert "You already have a place on this session" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_overlap_asks_for_confirmation(login_as, web, client, app):
    login_as("student")
    first = _session(app, starts_in_days=10, hours=3)
    with app.app_context():
        course = factories.make_course(title="Understanding Anxiety", slug="anxiety")
        second = factories.make_session(course=course, starts_in_days=10 + 1 / 24).id
        db.session.commit()
    web.submit(f"/sessions/{first}/book", {}, page="/courses/staying-safe")
    html = web.submit(f"/sessions/{second}/book", {}, page="/courses/anxiety").get_data(as_text=True)
    assert "This date overlaps with another booking" in html and "Staying Safe" in html
    web.submit(f"/sessions/{second}/book", {"confirm_overlap": "yes"}, page="/courses/anxiety")
    with app.app_context():
        assert db.session.execute(select(Booking).where(Booking.session_id == second)).scalar_one().status == "confirmed"


def test_unpublished_courses_cannot_be_booked(login_as, web, app):
    login_as("student")
    with app.app_context():
        session_id = factories.make_session(course=factories.make_course(status="draft")).id
        db.session.commit()
    assert web.submit(f"/sessions/{session_id}/book", {}, page="/my/courses").status_code == 404


def test_staff_only_accounts_cannot_book(login_as, web, app):
    login_as("facilitator")  # no student role
    session_id = _session(app)
    assert web.submit(f"/sessions/{session_id}/book", {}, page="/my/account").status_code == 403


def test_panel_says_when_booking_is_not_open(login_as, client, app):
    from datetime import timedelta

    from rec_portal.timeutil import utcnow

    login_as("student")
    _session(app, booking_opens_at=utcnow() + timedelta(days=3))
    html = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "Booking opens on" in html and "Book a place" not in html


def test_booking_is_rate_limited(login_as, client, app):
    login_as("student")
    session_id = _session(app)
    token = csrf_from(client.get("/courses/staying-safe").get_data(as_text=True))
    codes = [client.post(f"/sessions/{session_id}/book", data={"csrf_token": token}).status_code for _ in range(21)]
    assert codes[0] == 302 and 429 not in codes[:20] and codes[20] == 429


def test_my_courses_runs_the_same_number_of_queries_whatever_the_data(login_as, client, app):
    from sqlalchemy import event

    me = login_as("student")

    def count_queries():
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/my/courses").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    def add(n):
        with app.app_context():
            from rec_portal.models import User

            user = db.session.get(User, me.id)
            for i in range(n):
                session = factories.make_session(starts_in_days=20 + i * 3, capacity=1 if i % 2 else 5, dates=2)
                if i % 2:
                    book_place(session.id, factories.make_user())
                book_place(session.id, user, confirm_overlap=True)
            db.session.commit()

    add(2)
    small = count_queries()
    add(10)
    assert count_queries() == small


def test_cancel_in_place_with_htmx(login_as, web, client, app):
    login_as("student")
    session_id = _session(app, capacity=2)
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    page = client.get("/courses/staying-safe").get_data(as_text=True)
    with app.app_context():
        booking_id = db.session.execute(select(Booking.id)).scalar_one()
    hx = {"HX-Request": "true", "X-CSRFToken": csrf_from(page)}
    confirm = client.get(f"/my/courses/{booking_id}/cancel", headers=hx).get_data(as_text=True)
    assert confirm.lstrip().startswith(f'<div id="booking-panel-{session_id}"') and "Cancel your place?" in confirm
    kept = client.get(f"/sessions/{session_id}/panel", headers=hx).get_data(as_text=True)
    assert "You have a place on this date" in kept
    done = client.post(f"/my/courses/{booking_id}/cancel", headers=hx).get_data(as_text=True)
    assert done.lstrip().startswith(f'<div id="booking-panel-{session_id}"')
    assert "Your place has been cancelled" in done and "2 places left" in done and "Book a place" in done
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"
    assert client.get(f"/sessions/{session_id}/panel").status_code == 302  # without htmx: the course page


STARTED = ("This session has already started. If you cannot come to the remaining dates, "
           "contact the REC team.")


def _my_started_place(app, email):
    """A two-date session that started an hour ago: ``email`` has a place, someone waits."""
    session_id = _session(app, capacity=1, starts_in_days=-1 / 24, dates=2)
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        me = db.session.execute(select(User).where(User.email == email)).scalar_one()
        mine = factories.make_booking(session, me, queued_at=session.starts_at)
        (waiting,) = factories.fill_places(session, 1, status="waitlisted")
        db.session.commit()
        return session_id, mine.id, waiting.id


def test_a_place_cannot_be_cancelled_once_the_session_has_started(login_as, web, client, app):
    me = login_as("student")
    _, mine, waiting = _my_started_place(app, me.email)
    page = client.get("/my/courses").get_data(as_text=True)
    assert f'id="started-{mine}"' in page and "This session has already started." in page
    assert f'href="/my/courses/{mine}/cancel"' not in page
    # The confirmation page is not offered; it goes back to My courses with the reason.
    response = client.get(f"/my/courses/{mine}/cancel")
    assert response.headers["Location"] == "/my/courses"
    assert STARTED in client.get("/my/courses").get_data(as_text=True)
    # Sending the form anyway (a page left open from before the start) is refused too.
    response = web.submit(f"/my/courses/{mine}/cancel", {}, page="/my/courses")
    assert response.headers["Location"] == "/my/courses"
    html = client.get("/my/courses").get_data(as_text=True)
    assert STARTED in html and "Your place has been cancelled" not in html
    with app.app_context():
        assert db.session.get(Booking, mine).status == "confirmed"
        assert db.session.get(Booking, waiting).status == "waitlisted"
    assert _messages(app) == []


def test_a_place_cannot_be_cancelled_with_htmx_once_the_session_has_started(login_as, client, app):
    me = login_as("student")
    session_id, mine, waiting = _my_started_place(app, me.email)
    hx = {"HX-Request": "true", "X-CSRFToken": csrf_from(client.get("/my/courses").get_data(as_text=True))}
    for response in (client.get(f"/my/courses/{mine}/cancel", headers=hx),
                     client.post(f"/my/courses/{mine}/cancel", headers=hx)):
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert html.lstrip().startswith(f'<div id="booking-panel-{session_id}"') and "<html" not in html
        assert "You could not cancel" in html and STARTED in html
        assert "Cancel your place?" not in html and "Cancel my place" not in html
        assert "You have a place on this date" in html
    with app.app_context():
        assert db.session.get(Booking, mine).status == "confirmed"
        assert db.session.get(Booking, waiting).status == "waitlisted"
    assert _messages(app) == []


def test_the_waiting_list_can_still_be_left_after_the_start(login_as, web, client, app):
    me = login_as("student")
    session_id = _session(app, capacity=1, starts_in_days=-1 / 24)
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        factories.fill_places(session, 1)
        me_user = db.session.execute(select(User).where(User.email == me.email)).scalar_one()
        waiting = factories.make_booking(session, me_user, "waitlisted", queued_at=session.starts_at)
        db.session.commit()
        waiting_id = waiting.id
    web.submit(f"/my/courses/{waiting_id}/cancel", {}, page="/my/courses")
    assert "You have left the waiting list." in client.get("/my/courses").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, waiting_id).status == "cancelled"


# --- A place with attendance recorded cannot be cancelled (issue 13, part 5) ----------------

MARKED = ("Your attendance has been recorded for this session, so your place cannot be cancelled. "
          "If you cannot come to the remaining dates, contact the REC team.")


def _my_marked_place(app, email):
    """A session starting in 30 minutes whose register is being taken: ``email`` has a
    place and is marked present; someone waits."""
    from rec_portal.attendance.operations import record_attendance

    session_id = _session(app, capacity=1, starts_in_days=0.5 / 24)
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        me = db.session.execute(select(User).where(User.email == email)).scalar_one()
        mine = book_place(session_id, me).booking
        (waiting,) = factories.fill_places(session, 1, status="waitlisted")
        record_attendance(session.dates[0], mine, "present", None)
        db.session.commit()
        return session_id, mine.id, waiting.id


def test_a_marked_place_cannot_be_cancelled_by_the_student(login_as, web, client, app):
    me = login_as("student")
    session_id, mine, waiting = _my_marked_place(app, me.email)
    for url in ("/my/courses", "/courses/staying-safe"):
        page = client.get(url).get_data(as_text=True)
        assert f'id="marked-{mine}"' in page and "Your attendance has been recorded" in page, url
        assert f'href="/my/courses/{mine}/cancel"' not in page and "Cancel my place" not in page, url
    response = client.get(f"/my/courses/{mine}/cancel")
    assert response.headers["Location"] == "/my/courses"
    assert MARKED in client.get("/my/courses").get_data(as_text=True)
    # A form left open from before the register was taken is refused too.
    response = web.submit(f"/my/courses/{mine}/cancel", {}, page="/my/courses")
    assert response.headers["Location"] == "/my/courses"
    html = client.get("/my/courses").get_data(as_text=True)
    assert MARKED in html and "Your place has been cancelled" not in html
    hx = {"HX-Request": "true", "X-CSRFToken": csrf_from(html)}
    response = client.post(f"/my/courses/{mine}/cancel", headers=hx)
    assert response.status_code == 400 and "You could not cancel" in response.get_data(as_text=True)
    assert MARKED in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, mine).status == "confirmed"
        assert db.session.get(Booking, waiting).status == "waitlisted"
    assert _messages(app) == []  # nobody was told of a cancellation or a free place


def test_a_session_is_locked_once_per_transaction_and_again_in_the_next(app):
    """The booking page loads its session with the lock, and book_place asks for the lock
    again: the second ask sends nothing; after a commit the lock is taken (and the row
    read) afresh, so a change made meanwhile by someone else is seen."""
    from rec_portal.models.courses import lock_session
    from tests.faults import sql_log

    session_id = _session(app, capacity=3)
    with app.app_context():
        with sql_log(app) as first:
            session = lock_session(session_id)
        assert any("FROM course_sessions" in s for s, _ in first) and session.capacity == 3
        with sql_log(app) as again:
            assert lock_session(session_id) is session
        assert again == []
        db.session.commit()
        db.session.execute(db.update(CourseSession).where(CourseSession.id == session_id).values(capacity=5))
        db.session.commit()
        with sql_log(app) as after_commit:
            assert lock_session(session_id).capacity == 5
        assert any("FROM course_sessions" in s for s, _ in after_commit)
        db.session.rollback()
        with sql_log(app) as after_rollback:
            lock_session(session_id)
        assert any("FROM course_sessions" in s for s, _ in after_rollback)
