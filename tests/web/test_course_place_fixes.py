"""One place per person per course (issue 13, part 4), review fixes through the web: a stale
swap emails once and is rate limited; My courses, the booking panel and the staff page say
when someone who attended another date will not be given a place from a waiting list; a
walk-in names the waiting list still held; whole-session cancel and staff cancel say who
was given a place, and each is emailed once."""

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, OutboxMessage, User
from rec_portal.timeutil import format_uk, utcnow
from tests import factories

COURSE = "/courses/staying-safe"
PLACE_IS_YOURS = "Recovery Education Centre session: a place is yours"
PLACE_HELD = "Recovery Education Centre session: a place is being held for you"


def _subjects(app, email):
    with app.app_context():
        return Counter(m.subject for m in db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_address == email)).scalars())


def _status(app, booking_id):
    with app.app_context():
        return db.session.get(Booking, booking_id).status


def _booking(session, student_id, status, queued):
    return factories.make_booking(session, db.session.get(User, student_id), status, queued_at=queued)


def _a_over_and_b_free(app, student_id, *, attended: bool):
    """A is over (the student had a place; marked present or not); they joined B's waiting
    list before A, and B has a free place nobody was given. Returns (a, b, waiting_b) ids."""
    with app.app_context():
        course = factories.make_course(slug="staying-safe")
        a = factories.make_session(course=course, starts_in_days=-3, status="completed", at_hour=10)
        b = factories.make_session(course=course, capacity=1, starts_in_days=30, at_hour=10)
        place_a = _booking(a, student_id, "confirmed", a.starts_at - timedelta(days=20))
        if attended:
            factories.make_attendance(place_a, a.dates[0], recorded_at=a.ends_at)
        waiting_b = _booking(b, student_id, "waitlisted", a.starts_at - timedelta(days=10))
        db.session.commit()
        return a.id, b.id, waiting_b.id


def test_a_stale_swap_emails_the_student_once(login_as, web, client, app):
    me = login_as("student")
    a, b, waiting_b = _a_over_and_b_free(app, me.id, attended=False)
    response = web.submit(f"/my/courses/{waiting_b}/swap", {}, page="/my/courses")
    assert response.headers["Location"] == "/my/courses"
    assert _status(app, waiting_b) == "confirmed"
    assert _subjects(app, me.email)[PLACE_IS_YOURS] == 1
    html = client.get("/my/courses").get_data(as_text=True)
    assert "You now have a place on" in html and "We have sent you the details" in html


def test_swap_is_rate_limited_like_booking(login_as, web, client, app):
    me = login_as("student")
    with app.app_context():
        course = factories.make_course(slug="staying-safe")
        b = factories.make_session(course=course, capacity=1, starts_in_days=30)
        factories.fill_places(b, 1)
        waiting = _booking(b, me.id, "waitlisted", utcnow()).id
        db.session.commit()
    token = web.token("/my/courses")
    codes = [client.post(f"/my/courses/{waiting}/swap", data={"csrf_token": token}).status_code
             for _ in range(21)]
    assert codes[0] == 302 and 429 not in codes[:20] and codes[20] == 429
    assert _status(app, waiting) == "waitlisted"


def test_my_courses_and_the_panel_say_why_someone_who_attended_is_not_given_a_place(login_as, web, client, app):
    me = login_as("student")
    a, b, waiting_b = _a_over_and_b_free(app, me.id, attended=True)
    with app.app_context():
        attended_on = format_uk(db.session.get(CourseSession, a).starts_at, with_time=False)
    html = client.get("/my/courses").get_data(as_text=True)
    note = f"You have already done this course: you attended on {attended_on}."
    assert note in html and "you will not be given a place from this waiting list" in html
    assert "Swap to this date" not in html and "Leave the waiting list" in html
    panel = client.get(COURSE).get_data(as_text=True).split(f'id="booking-panel-{b}"')[1]
    assert note in panel and "If a place frees up, we will hold it for you" not in panel.split("</div>")[0]

    # The Swap button of an older page is refused, and the place stays free.
    response = web.submit(f"/my/courses/{waiting_b}/swap", {}, page="/my/courses")
    assert response.headers["Location"] == "/my/courses"
    assert "You have already done this course" in client.get("/my/courses").get_data(as_text=True)
    assert _status(app, waiting_b) == "waitlisted" and _subjects(app, me.email)[PLACE_IS_YOURS] == 0


def test_a_walk_in_names_the_waiting_list_still_held_and_staff_see_it(login_as, web, client, app):
    admin = login_as("admin")
    with app.app_context():
        course = factories.make_course(slug="staying-safe")
        today = factories.make_session(course=course, starts_in_days=-0.02, hours=3)
        later = factories.make_session(course=course, capacity=1, starts_in_days=30, at_hour=10)
        student = factories.make_user(full_name="Jo Bloggs")
        factories.fill_places(later, 1)
        waiting = _booking(later, student.id, "waitlisted", utcnow() - timedelta(days=2))
        db.session.commit()
        today_id, later_id, later_date = today.id, later.id, format_uk(later.starts_at)
        student_id, waiting_id = student.id, waiting.id
    page = f"/admin/courses/sessions/{today_id}/bookings"
    response = web.submit(f"/admin/courses/sessions/{today_id}/walk-ins", {"student_id": student_id}, page=page)
    assert response.headers["Location"] == page
    html = client.get(page).get_data(as_text=True)
    assert "Jo Bloggs has been added to this session with a place." in html
    assert (f"Jo Bloggs is also on the waiting list for this course on {later_date}. Once they have "
            "attended this session, they will not be given a place from that list.") in html
    assert f'href="/admin/courses/sessions/{later_id}/bookings"' in html
    assert "Also on the waiting list for" in html
    assert _status(app, waiting_id) == "waitlisted"

    # Once they are marked present, the later date's page says so next to their name.
    with app.app_context():
        walk_in = db.session.execute(select(Booking).where(
            Booking.student_id == student_id, Booking.session_id == today_id)).scalar_one()
        factories.make_attendance(walk_in, recorded_by_id=admin.id)
        db.session.commit()
    html = client.get(f"/admin/courses/sessions/{later_id}/bookings").get_data(as_text=True)
    assert f'id="attended-elsewhere-{waiting_id}"' in html
    assert "after joining this list, so they are not given a place from it" in html


def test_cancelling_a_whole_session_gives_people_their_other_date_and_tells_them_once(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        course = factories.make_course(slug="staying-safe")
        a = factories.make_session(course=course, capacity=1, starts_in_days=10)
        b = factories.make_session(course=course, capacity=1, starts_in_days=40)
        student = factories.make_user()
        _booking(a, student.id, "confirmed", utcnow() - timedelta(days=3))
        waiting_b = _booking(b, student.id, "waitlisted", utcnow() - timedelta(days=2))  # kept both
        db.session.commit()
        a_id, waiting_id, email = a.id, waiting_b.id, student.email
    web.submit(f"/admin/courses/sessions/{a_id}/cancel", {}, page=f"/admin/courses/sessions/{a_id}/cancel")
    assert _status(app, waiting_id) == "offered"  # held for them until they answer
    subjects = _subjects(app, email)
    assert subjects[PLACE_HELD] == 1 and subjects["Recovery Education Centre session cancelled"] == 1


def test_staff_cancel_says_who_was_given_which_place(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        course = factories.make_course(slug="staying-safe")
        a = factories.make_session(course=course, capacity=1, starts_in_days=10)
        b = factories.make_session(course=course, capacity=1, starts_in_days=40, at_hour=10)
        student = factories.make_user(full_name="Jo Bloggs")
        place_a = _booking(a, student.id, "confirmed", utcnow() - timedelta(days=3))
        waiting_b = _booking(b, student.id, "waitlisted", utcnow() - timedelta(days=2))
        db.session.commit()
        a_id, place_id, waiting_id, b_date, email = a.id, place_a.id, waiting_b.id, format_uk(b.starts_at), student.email
    page = f"/admin/courses/sessions/{a_id}/bookings"
    web.submit(f"/admin/courses/bookings/{place_id}/cancel", {}, page=page)
    html = client.get(page).get_data(as_text=True)
    assert f"A place on {b_date} is being held for Jo Bloggs, from its waiting list, until" in html
    assert "The place is being held for Jo Bloggs" not in html
    assert _status(app, waiting_id) == "offered" and _subjects(app, email)[PLACE_HELD] == 1


def test_a_student_who_gives_up_a_place_is_told_they_now_have_the_other_date(login_as, web, client, app):
    me = login_as("student")
    with app.app_context():
        course = factories.make_course(slug="staying-safe")
        a = factories.make_session(course=course, capacity=1, starts_in_days=10)
        b = factories.make_session(course=course, capacity=1, starts_in_days=40, at_hour=10)
        place_a = _booking(a, me.id, "confirmed", utcnow() - timedelta(days=3))
        waiting_b = _booking(b, me.id, "waitlisted", utcnow() - timedelta(days=2))
        db.session.commit()
        place_id, waiting_id, b_date = place_a.id, waiting_b.id, format_uk(b.starts_at)
    web.submit(f"/my/courses/{place_id}/cancel", {}, page=f"/my/courses/{place_id}/cancel")
    html = client.get("/my/courses").get_data(as_text=True)
    assert f"Your place has been cancelled. A place on {b_date} is being held for you until" in html
    assert _status(app, waiting_id) == "offered" and _subjects(app, me.email)[PLACE_HELD] == 1
