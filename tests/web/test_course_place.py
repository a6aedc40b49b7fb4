"""One place per person per course (issue 13, part 4) through the web: the question when
booking a second date (JavaScript off and htmx), swap, keep both, leave the list, the
swap from My courses, and staff booking on someone's behalf."""

from datetime import timedelta

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, OutboxMessage, User
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import csrf_from

COURSE = "/courses/staying-safe"


def _course(app, capacity_a=5, capacity_b=5):
    with app.app_context():
        course = factories.make_course(slug="staying-safe")
        a = factories.make_session(course=course, capacity=capacity_a, starts_in_days=10, at_hour=10)
        b = factories.make_session(course=course, capacity=capacity_b, starts_in_days=40, at_hour=10)
        db.session.commit()
        return a.id, b.id


def _book(app, session_id, student_id, status, seconds=0):
    with app.app_context():
        queued = utcnow() - timedelta(hours=1) + timedelta(seconds=seconds)
        session, student = db.session.get(CourseSession, session_id), db.session.get(User, student_id)
        booking = factories.make_booking(session, student, status, queued_at=queued)
        db.session.commit()
        return booking.id


def _fill(app, session_id, n):
    with app.app_context():
        from rec_portal.models import CourseSession

        ids = [b.id for b in factories.fill_places(db.session.get(CourseSession, session_id), n)]
        db.session.commit()
        return ids


def _statuses(app, student_id):
    with app.app_context():
        return {b.session_id: b.status for b in db.session.execute(
            select(Booking).where(Booking.student_id == student_id, Booking.status != "cancelled")).scalars()}


def _subjects(app, email):
    with app.app_context():
        return [m.subject for m in db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_address == email).order_by(OutboxMessage.id)).scalars()]


def test_booking_a_second_date_asks_first_without_javascript_then_swap(login_as, web, client, app):
    me = login_as("student")
    a, b = _course(app)
    _book(app, a, me.id, "confirmed")
    response = web.submit(f"/sessions/{b}/book", {}, page=COURSE)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "You already have a place on this course" in html
    assert "Swap to this date" in html and "Keep my place on" in html
    assert 'name="same_course" value="swap"' in html
    assert _statuses(app, me.id) == {a: "confirmed"}  # nothing booked until they choose

    response = web.submit(f"/sessions/{b}/book", {"same_course": "swap"}, page=COURSE)
    assert response.headers["Location"] == f"{COURSE}#session-{b}"
    assert _statuses(app, me.id) == {b: "confirmed"}
    page = client.get(COURSE).get_data(as_text=True)
    assert "Your place is booked" in page and "is cancelled" in page
    assert _subjects(app, me.email) == ["Recovery Education Centre session: your place is booked",
                                        "Recovery Education Centre session: cancelled"]


def test_keep_my_place_changes_nothing(login_as, web, client, app):
    me = login_as("student")
    a, b = _course(app)
    _book(app, a, me.id, "confirmed")
    html = web.submit(f"/sessions/{b}/book", {}, page=COURSE).get_data(as_text=True)
    # "Keep my place" is a link back to the course: no request changes anything.
    assert f'href="{COURSE}#session-{b}"' in html
    assert _statuses(app, me.id) == {a: "confirmed"}


def test_the_question_in_the_booking_panel_with_htmx(login_as, client, app):
    me = login_as("student")
    a, b = _course(app)
    _fill(app, a, 5)
    _book(app, a, me.id, "waitlisted", seconds=100)
    page = client.get(COURSE).get_data(as_text=True)
    hx = {"HX-Request": "true", "X-CSRFToken": csrf_from(page)}
    response = client.post(f"/sessions/{b}/book", headers=hx)
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith(f'<div id="booking-panel-{b}"')
    assert "You are already on the waiting list for this course" in html
    assert "Book this date and leave the waiting list for" in html
    assert "Book this date and stay on the waiting list for" in html
    assert f'hx-post="/sessions/{b}/book"' in html and f'hx-get="/sessions/{b}/panel"' in html
    assert _statuses(app, me.id) == {a: "waitlisted"}

    # Keep both: a place on B, still in line for A (but never promoted there).
    response = client.post(f"/sessions/{b}/book", data={"same_course": "keep"}, headers=hx)
    html = response.get_data(as_text=True)
    assert "Your place is booked" in html and "You have a place on this date" in html
    assert _statuses(app, me.id) == {a: "waitlisted", b: "confirmed"}
    mine = client.get("/my/courses").get_data(as_text=True)
    assert "so you will not be given a place on this date while you have it" in mine


def test_book_this_date_and_leave_the_waiting_list_without_javascript(login_as, web, client, app):
    me = login_as("student")
    a, b = _course(app)
    _fill(app, a, 5)
    _book(app, a, me.id, "waitlisted", seconds=100)
    web.submit(f"/sessions/{b}/book", {"same_course": "swap"}, page=COURSE)
    assert _statuses(app, me.id) == {b: "confirmed"}
    assert "You have left the waiting list for" in client.get(COURSE).get_data(as_text=True)


def test_a_full_date_offers_its_waiting_list_and_keeps_the_place(login_as, web, client, app):
    me = login_as("student")
    a, b = _course(app, capacity_b=1)
    _book(app, a, me.id, "confirmed")
    (holder,) = _fill(app, b, 1)
    html = web.submit(f"/sessions/{b}/book", {}, page=COURSE).get_data(as_text=True)
    assert "and it is full" in html and "Swap to this date" not in html
    assert "Join the waiting list and keep my place on" in html

    web.submit(f"/sessions/{b}/book", {"same_course": "keep"}, page=COURSE)
    assert _statuses(app, me.id) == {a: "confirmed", b: "waitlisted"}

    # A place frees on B: not given to them; they are told and can swap from My courses.
    admin_web_cancel(app, holder)
    assert _statuses(app, me.id) == {a: "confirmed", b: "waitlisted"}
    assert "Recovery Education Centre session: a place is free if you want to swap" in _subjects(app, me.email)
    mine = client.get("/my/courses").get_data(as_text=True)
    assert "A place is free on this date" in mine and "Swap to this date" in mine
    with app.app_context():
        waiting_id = db.session.execute(select(Booking.id).where(
            Booking.student_id == me.id, Booking.session_id == b)).scalar_one()
    response = web.submit(f"/my/courses/{waiting_id}/swap", {}, page="/my/courses")
    assert response.headers["Location"] == "/my/courses"
    assert _statuses(app, me.id) == {b: "confirmed"}
    assert "You have swapped" in client.get("/my/courses").get_data(as_text=True)


def admin_web_cancel(app, booking_id):
    with app.app_context():
        from rec_portal.bookings.operations import cancel_booking

        cancel_booking(booking_id)
        db.session.commit()


def test_swap_of_another_students_booking_is_not_found(login_as, web, app):
    a, b = _course(app)
    other = _book(app, b, factories_user(app), "waitlisted")
    login_as("student")
    assert web.submit(f"/my/courses/{other}/swap", {}, page="/my/courses").status_code == 404


def factories_user(app):
    with app.app_context():
        user = factories.make_user()
        db.session.commit()
        return user.id


def test_staff_booking_on_someones_behalf_meets_the_same_question(login_as, web, client, app):
    login_as("admin")
    a, b = _course(app)
    student = factories_user(app)
    _book(app, a, student, "confirmed")
    page = f"/admin/courses/sessions/{b}/bookings"
    html = web.submit(page, {"student_id": student}, page=page).get_data(as_text=True)
    assert "already has a place on this course" in html and "Swap to this date" in html
    assert f'name="student_id" value="{student}"' in html
    assert _statuses(app, student) == {a: "confirmed"}

    response = web.submit(page, {"student_id": student, "same_course": "swap"}, page=page)
    assert response.headers["Location"] == page
    assert _statuses(app, student) == {b: "confirmed"}
    assert "Their place on" in client.get(page).get_data(as_text=True)


def test_staff_give_a_place_and_walk_ins_never_give_a_second_place(login_as, web, client, app):
    login_as("admin")
    a, b = _course(app, capacity_b=1)
    student = factories_user(app)
    _book(app, a, student, "confirmed")
    _fill(app, b, 1)
    waiting = _book(app, b, student, "waitlisted", seconds=100)
    page = f"/admin/courses/sessions/{b}/bookings"
    web.submit(f"/admin/courses/bookings/{waiting}/give-place", {}, page=page)
    assert "already has a place on this course" in client.get(page).get_data(as_text=True)
    assert _statuses(app, student) == {a: "confirmed", b: "waitlisted"}

    c = _course_extra(app)
    web.submit(f"/admin/courses/sessions/{c}/walk-ins", {"student_id": student}, page=page)
    html = client.get(f"/admin/courses/sessions/{c}/bookings").get_data(as_text=True)
    assert "already has a place on this course" in html
    assert c not in _statuses(app, student)


def _course_extra(app):
    with app.app_context():
        from rec_portal.models import Course

        course = db.session.execute(select(Course).where(Course.slug == "staying-safe")).scalar_one()
        session = factories.make_session(course=course, starts_in_days=70)
        db.session.commit()
        return session.id


def test_a_swap_with_htmx_also_updates_the_panel_of_the_date_given_up(login_as, client, app):
    me = login_as("student")
    a, b = _course(app)
    _book(app, a, me.id, "confirmed")
    hx = {"HX-Request": "true", "X-CSRFToken": csrf_from(client.get(COURSE).get_data(as_text=True))}
    html = client.post(f"/sessions/{b}/book", data={"same_course": "swap"}, headers=hx).get_data(as_text=True)
    assert f'<div id="booking-panel-{a}" class="rec-booking-panel" hx-swap-oob="true">' in html
    given_up = html.split(f'id="booking-panel-{a}"')[1]
    assert "You have a place on this date" not in given_up and "Book a place" in given_up
