"""Supporters (issue 16 part 6): someone coming with a student, chosen when booking (by
the student or by staff), shown to the people running the session and to the student,
changed on My courses; the course says whether they take a place."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import pytest

from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession
from tests import factories
from tests.conftest import csrf_from
from tests.scenarios import COURSE


def _session(app, *, take_place=False, capacity=12, title="Understanding Anxiety"):
    with app.app_context():
        course = factories.make_course(title=title, supporters_take_place=take_place)
        session = factories.make_session(course=course, capacity=capacity)
        db.session.commit()
        return session.id, course.slug, session.dates[0].id


def _row(session_id):
    return db.session.get(CourseSession, session_id)


def _booking(app, student_id, session_id):
    with app.app_context():
        booking = db.session.query(Booking).filter_by(student_id=student_id, session_id=session_id).one()
        return booking.id, booking.status, booking.supporter


def test_a_student_says_who_is_coming_when_booking(app, login_as, client):
    session_id, slug, _ = _session(app)
    me = login_as("student")
    page = client.get(f"/courses/{slug}").get_data(as_text=True)
    assert "Is someone coming with you?" in page
    assert '<option value="carer">Yes: carer</option>' in page
    assert "They come free, without taking a place." in page
    token = csrf_from(page)
    answer = client.post(f"/sessions/{session_id}/book", data={"csrf_token": token, "supporter": "carer"})
    assert answer.status_code == 302
    _, status, supporter = _booking(app, me.id, session_id)
    assert (status, supporter) == ("confirmed", "carer")
    my_courses = client.get("/my/courses").get_data(as_text=True)
    assert "Coming with you: a carer" in my_courses


def test_a_supporter_not_on_the_list_is_refused_and_nothing_is_booked(app, login_as, client):
    session_id, slug, _ = _session(app)
    me = login_as("student")
    token = csrf_from(client.get(f"/courses/{slug}").get_data(as_text=True))
    answer = client.post(f"/sessions/{session_id}/book", data={"csrf_token": token, "supporter": "dog"},
                         follow_redirects=True)
    assert "Choose who is coming with you from the list." in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Booking).filter_by(student_id=me.id).count() == 0


def test_staff_book_a_student_with_a_supporter_shown_everywhere_the_class_is(app, login_as, client):
    session_id, _, date_id = _session(app)
    with app.app_context():
        student = factories.make_user(full_name="Jo Smith", preferred_name="Jo", email="jo@example.org")
        other = factories.make_user(full_name="Jo Brown", preferred_name="Jo")
        factories.make_booking(_row(session_id), other)
        db.session.commit()
        student_id = student.id
    login_as("admin")
    page = client.get(f"/admin/courses/sessions/{session_id}/bookings?q=jo%40example").get_data(as_text=True)
    assert "Is someone coming with them?" in page
    answer = client.post(f"/admin/courses/sessions/{session_id}/bookings",
                         data={"csrf_token": csrf_from(page), "student_id": student_id, "supporter": "support_worker"})
    assert answer.status_code == 302
    booking_id, status, supporter = _booking(app, student_id, session_id)
    assert (status, supporter) == ("confirmed", "support_worker")
    bookings = client.get(f"/admin/courses/sessions/{session_id}/bookings").get_data(as_text=True)
    assert "<strong>Coming with them:</strong> support worker" in bookings
    rows = list(csv.reader(io.StringIO(
        client.get(f"/admin/courses/sessions/{session_id}/bookings.csv").get_data(as_text=True))))
    assert rows[0][-1] == "Coming with them"
    assert [r[-1] for r in rows[1:] if r[0] == "Jo Smith"] == ["Support worker"]
    assert [r[-1] for r in rows[1:] if r[0] == "Jo Brown"] == [""]
    class_list = client.get(f"/facilitate/sessions/{session_id}").get_data(as_text=True)
    assert re.search(r"<strong>Jo S\.</strong> <span[^>]*>\+ supporter \(support worker\)</span>", class_list)
    register = client.get(f"/facilitate/sessions/{session_id}/dates/{date_id}/register").get_data(as_text=True)
    assert re.search(r"Jo S\. <span class=\"rec-register__supporter\">\+ supporter \(support worker\)</span></li>", register)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_sign_in_sheet_shows_the_supporter(app, login_as, client):
    session_id, _, date_id = _session(app)
    with app.app_context():
        session = _row(session_id)
        factories.make_booking(session, factories.make_user(full_name="Sam Lee", preferred_name="Sam"),
                               supporter="carer")
        factories.make_booking(session, factories.make_user(full_name="Ali Khan", preferred_name="Ali"))
        db.session.commit()
    login_as("admin")
    pdf = client.get(f"/facilitate/sessions/{session_id}/dates/{date_id}/sign-in-sheet.pdf").data
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    text = re.sub(r"\s+", " ", text)
    assert "Sam + supporter (carer)" in text
    assert "Ali + supporter" not in text


def test_the_course_setting_is_saved_and_the_course_page_says_it_plainly(app, login_as, client, web):
    login_as("admin")
    with app.app_context():
        course_id = factories.make_course(title="Old title", slug="old").id
        db.session.commit()
    form = client.get(f"/admin/courses/{course_id}/edit").get_data(as_text=True)
    assert "Supporters take a place" in form
    web.submit(f"/admin/courses/{course_id}/edit", {**COURSE, "slug": "old", "supporters_take_place": "y"})
    with app.app_context():
        assert db.session.get(Course, course_id).supporters_take_place is True
    form = client.get(f"/admin/courses/{course_id}/edit").get_data(as_text=True)
    assert re.search(r'name="supporters_take_place" type="checkbox" value="y" checked', form)
    with app.app_context():
        db.session.get(Course, course_id).status = "published"
        db.session.commit()
    page = client.get("/courses/old").get_data(as_text=True)
    assert "On this course they need a place of their own" in page
    web.submit(f"/admin/courses/{course_id}/edit", {**COURSE, "slug": "old"})
    with app.app_context():
        assert db.session.get(Course, course_id).supporters_take_place is False
    assert "They come free and do not need a place of their own" in client.get("/courses/old").get_data(as_text=True)


def _my_booking(app, login_as, *, take_place=False, capacity=12, supporter=""):
    session_id, _, _ = _session(app, take_place=take_place, capacity=capacity)
    me = login_as("student")
    with app.app_context():
        booking = factories.make_booking(_row(session_id), me.id, supporter=supporter)
        db.session.commit()
        return session_id, booking.id


def test_a_student_changes_and_removes_their_supporter_on_my_courses(app, login_as, client):
    _, booking_id = _my_booking(app, login_as)
    page = client.get("/my/courses").get_data(as_text=True)
    assert "Coming with you: nobody" in page and "Change who is coming with you" in page
    token = csrf_from(page)
    answer = client.post(f"/my/courses/{booking_id}/supporter", data={"csrf_token": token, "supporter": "friend"},
                         follow_redirects=True)
    assert "Saved: a friend or family member is coming with you to Understanding Anxiety." in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, booking_id).supporter == "friend"
    answer = client.post(f"/my/courses/{booking_id}/supporter", data={"csrf_token": token, "supporter": ""},
                         follow_redirects=True)
    assert "Saved: nobody is coming with you" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, booking_id).supporter == ""


def test_no_free_place_for_a_supporter_who_takes_one_is_refused_clearly(app, login_as, client):
    session_id, booking_id = _my_booking(app, login_as, take_place=True, capacity=1)
    token = csrf_from(client.get("/my/courses").get_data(as_text=True))
    answer = client.post(f"/my/courses/{booking_id}/supporter", data={"csrf_token": token, "supporter": "carer"},
                         follow_redirects=True)
    assert "this session has no places left. Your booking has not changed." in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Booking, booking_id).supporter == ""
