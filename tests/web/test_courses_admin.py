"""REC staff manage courses and schedule sessions at /admin/courses."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.bookings.operations import book_place
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession, OutboxMessage
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.scenarios import COURSE


def _future_day(days=30):
    return f"{to_uk(utcnow() + timedelta(days=days)):%Y-%m-%d}"


def _session_data(days=30, **extra):
    data = {"dates-0-day": _future_day(days), "dates-0-start": "10:00", "dates-0-end": "15:00",
            "venue": "REC, Room 2", "capacity": "12"}
    data.update(extra)
    return data


@pytest.mark.parametrize("url", ["/admin/courses", "/admin/courses/new", "/admin/courses/1", "/admin/courses/1/edit",
                                 "/admin/courses/1/sessions/new", "/admin/courses/sessions/1/edit",
                                 "/admin/courses/sessions/1/cancel", "/admin/courses/sessions/1/copy"])
def test_only_admins(client, login_as, url):
    assert client.get(url).headers["Location"] == f"/login?next={url}"
    login_as("student")
    assert client.get(url).status_code == 403


def test_create_a_course_as_a_draft_then_publish(login_as, web, client, app):
    login_as("admin")
    response = web.submit("/admin/courses/new", COURSE)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "has been created as a draft" in page
    assert "/courses/staying-safe" in page
    assert "People who use services and carers" in page
    assert "Police mental health co-ordinator" in page and "Social worker" in page
    with app.app_context():
        course = db.session.execute(select(Course)).scalar_one()
        assert (course.slug, course.status, course.for_staff) == ("staying-safe", "draft", False)
        assert {n.role for n in course.roles_needed} == {"police_mh_coordinator", "social_worker", "peer_specialist"}
        course_id = course.id
    web.submit(f"/admin/courses/{course_id}/status/published", {}, page=f"/admin/courses/{course_id}")
    assert "is published" in client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Course, course_id).status == "published"


def test_course_form_errors_keep_answers(login_as, web):
    login_as("admin")
    html = web.submit("/admin/courses/new", {**COURSE, "summary": "", "audience": []}).get_data(as_text=True)
    assert "There is a problem" in html
    assert "Enter a summary" in html
    assert 'value="Staying Safe"' in html
    # The audience rule comes from the operation, after the form's own checks pass.
    html = web.submit("/admin/courses/new", {**COURSE, "audience": []}).get_data(as_text=True)
    assert "Choose who the course is for" in html


def test_slug_must_be_unique(login_as, web, app):
    login_as("admin")
    with app.app_context():
        factories.make_course(slug="staying-safe")
        db.session.commit()
    html = web.submit("/admin/courses/new", COURSE).get_data(as_text=True)
    assert "Another course already uses the web address /courses/staying-safe" in html


def test_edit_course_and_roles(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        course_id = factories.make_course(title="Old title", slug="old").id
        db.session.commit()
    form = client.get(f"/admin/courses/{course_id}/edit").get_data(as_text=True)
    assert 'value="Old title"' in form
    web.submit(f"/admin/courses/{course_id}/edit", {**COURSE, "title": "Staying Safe", "slug": "staying-safe",
                                                    "role_social_worker": "0", "content_version": "2"})
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert (course.title, course.slug, course.content_version) == ("Staying Safe", "staying-safe", 2)
        assert {n.role for n in course.roles_needed} == {"police_mh_coordinator", "peer_specialist"}


def test_schedule_a_four_week_session(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        course_id = factories.make_course().id
        db.session.commit()
    data = {"venue": "REC, Room 2", "capacity": "10", "booking_closes": _future_day(25)}
    for i in range(4):
        data.update({f"dates-{i}-day": _future_day(30 + 7 * i), f"dates-{i}-start": "14:00", f"dates-{i}-end": "16:00"})
    response = web.submit(f"/admin/courses/{course_id}/sessions/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert "has been scheduled" in client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    with app.app_context():
        session = db.session.execute(select(CourseSession)).scalar_one()
        assert len(session.dates) == 4 and session.capacity == 10
        assert to_uk(session.dates[0].starts_at).hour == 14  # entered in UK time
        assert session.ends_at == session.dates[-1].ends_at
        assert session.booking_closes_at < session.starts_at


@pytest.mark.parametrize(
    "change, message",
    [
        ({"dates-0-day": ""}, "Enter the date, start time and end time"),
        ({"dates-0-day": "", "dates-0-start": "", "dates-0-end": ""}, "Add at least one date"),
        ({"dates-0-day": "31/02/2027"}, "Enter a real date"),
        ({"dates-0-end": "09:00"}, "Each date must end after it starts"),
        ({"capacity": "0"}, "Enter a number of places from 1 to 500"),
        ({"venue": ""}, "Give the venue or the online joining details"),
        ({"booking_closes": "2099-01-01"}, "Booking must close before the first date starts"),
    ],
)
def test_session_form_refusals(login_as, web, app, change, message):
    login_as("admin")
    with app.app_context():
        course_id = factories.make_course().id
        db.session.commit()
    response = web.submit(f"/admin/courses/{course_id}/sessions/new", _session_data(**change))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and "There is a problem" in html
    with app.app_context():
        assert db.session.execute(select(CourseSession)).first() is None


def test_changing_a_session_tells_the_people_booked(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        session = factories.make_session(capacity=1)
        booked, waiting = factories.make_user(email="a@example.org"), factories.make_user(email="b@example.org")
        book_place(session.id, booked)
        book_place(session.id, waiting)
        db.session.commit()
        session_id, course_id = session.id, session.course_id
    form = client.get(f"/admin/courses/sessions/{session_id}/edit").get_data(as_text=True)
    assert 'value="REC' in form or "Recovery Education Centre, Room 2" in form
    data = _session_data(days=40, venue="New venue, Room 5", capacity="2")
    response = web.submit(f"/admin/courses/sessions/{session_id}/edit", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert "Everyone booked or waiting has been told" in client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    with app.app_context():
        messages = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.to_address, OutboxMessage.id)).scalars().all()
        changed = [m for m in messages if m.subject == "Recovery Education Centre session: details changed"]
        assert [m.to_address for m in changed] == ["a@example.org", "b@example.org"]
        assert "dates and times, venue" in changed[0].body_text and "New venue, Room 5" in changed[0].body_text
        # The extra place is held for the person waiting (an offer to accept), and they were told.
        statuses = {b.student.email: b.status for b in db.session.execute(select(Booking)).scalars()}
        assert statuses == {"a@example.org": "confirmed", "b@example.org": "offered"}
        offered = [m.to_address for m in messages if m.subject.endswith("a place is being held for you")]
        assert offered == ["b@example.org"]
        assert len(messages) == 3


def test_capacity_cannot_go_below_the_people_booked(login_as, web, app):
    login_as("admin")
    with app.app_context():
        session = factories.make_session(capacity=3)
        for _ in range(2):
            book_place(session.id, factories.make_user())
        db.session.commit()
        session_id = session.id
    html = web.submit(f"/admin/courses/sessions/{session_id}/edit", _session_data(capacity="1")).get_data(as_text=True)
    assert "2 places are taken (booked, or held for someone offered one), so capacity cannot be less than 2" in html
    with app.app_context():
        assert db.session.get(CourseSession, session_id).capacity == 3


def test_cancel_a_session_releases_places_and_tells_everyone(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        session = factories.make_session(capacity=1)
        for email in ("a@example.org", "b@example.org"):
            book_place(session.id, factories.make_user(email=email))
        db.session.commit()
        session_id, course_id = session.id, session.course_id
    confirm = client.get(f"/admin/courses/sessions/{session_id}/cancel").get_data(as_text=True)
    assert "Yes, cancel this session" in confirm
    web.submit(f"/admin/courses/sessions/{session_id}/cancel", {})
    assert "2 people have been told by email" in client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CourseSession, session_id).status == "cancelled"
        assert {b.status for b in db.session.execute(select(Booking)).scalars()} == {"cancelled"}
        subjects = {m.subject for m in db.session.execute(select(OutboxMessage)).scalars()}
        assert subjects == {"Recovery Education Centre session cancelled"}


def test_copy_a_session_to_a_new_date(login_as, web, app):
    login_as("admin")
    with app.app_context():
        session = factories.make_session(dates=2, capacity=8)
        db.session.commit()
        session_id, gap = session.id, session.dates[1].starts_at - session.dates[0].starts_at
        first_local = to_uk(session.starts_at)
    new_day = _future_day(60)
    response = web.submit(f"/admin/courses/sessions/{session_id}/copy", {"day": new_day})
    assert response.status_code == 302
    with app.app_context():
        copy = db.session.execute(select(CourseSession).where(CourseSession.id != session_id)).scalar_one()
        assert f"{to_uk(copy.starts_at):%Y-%m-%d}" == new_day
        assert (to_uk(copy.starts_at).hour, to_uk(copy.starts_at).minute) == (first_local.hour, first_local.minute)
        assert copy.dates[1].starts_at - copy.dates[0].starts_at == gap
        assert copy.capacity == 8 and copy.venue == "Recovery Education Centre, Room 2"


def test_course_list_shows_status_and_next_date(login_as, client, app):
    login_as("admin")
    with app.app_context():
        factories.make_session(course=factories.make_course(title="Staying Safe"))
        factories.make_course(title="Understanding Anxiety", status="draft")
        db.session.commit()
    html = client.get("/admin/courses").get_data(as_text=True)
    assert "Staying Safe" in html and "Understanding Anxiety" in html
    assert "Published" in html and "Draft" in html and "No dates yet" in html
    assert re.search(r"\d{1,2} \w{3} \d{4} at (\d{1,2}(:\d\d)?[ap]m|midday|midnight)", html)  # GOV.UK style


# --- Issue 13: every error at once, no session in the past, marked sessions kept -----------

def _course_id(app) -> int:
    with app.app_context():
        course_id = factories.make_course().id
        db.session.commit()
    return course_id


def _summary_links(html: str) -> list[tuple[str, str]]:
    summary = html.split('class="nhsuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)"\s*>\s*([^<]+?)\s*</a>', summary)


def _next_to_field(html: str, field_id: str, message: str) -> bool:
    return bool(re.search(
        rf'id="{field_id}-error"\s*>\s*<span class="nhsuk-u-visually-hidden">Error: </span>{re.escape(message)}', html))


def test_an_empty_schedule_form_shows_every_error_at_once(login_as, web, app):
    """Today an empty form took five submissions, one error each."""
    login_as("admin")
    course_id = _course_id(app)
    response = web.submit(f"/admin/courses/{course_id}/sessions/new", {"capacity": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _summary_links(html) == [
        ("dates-0-day", "Add at least one date"),
        ("venue", "Give the venue or the online joining details"),
        ("capacity", "Enter how many places there are"),
    ]
    # Each message is also next to its field.
    for field_id, message in _summary_links(html):
        assert _next_to_field(html, field_id, message), field_id
    with app.app_context():
        assert db.session.execute(select(CourseSession)).first() is None


def test_several_problems_are_shown_together_and_the_answers_kept(login_as, web, app):
    login_as("admin")
    course_id = _course_id(app)
    data = {
        "dates-0-day": _future_day(30), "dates-0-start": "10:00", "dates-0-end": "09:00",  # ends first
        "dates-1-day": "31/02/2027", "dates-1-start": "10:00", "dates-1-end": "12:00",  # no such date
        "dates-2-day": _future_day(37), "dates-2-start": "10:00", "dates-2-end": "12:00",
        "venue": "", "online_details": "", "capacity": "0",
        "booking_opens": _future_day(20), "booking_closes": _future_day(10),
    }
    html = web.submit(f"/admin/courses/{course_id}/sessions/new", data).get_data(as_text=True)
    assert _summary_links(html) == [
        ("dates-0-end", "Each date must end after it starts"),
        ("dates-1-day", "Enter a real date, like 2027-03-14"),
        ("venue", "Give the venue or the online joining details"),
        ("capacity", "Enter a number of places from 1 to 500"),
        ("booking_closes", "Booking must close after it opens"),
    ]
    assert f'value="{_future_day(37)}"' in html and 'value="31/02/2027"' in html  # kept
    with app.app_context():
        assert db.session.execute(select(CourseSession)).first() is None


def test_a_session_cannot_be_scheduled_to_start_in_the_past(login_as, web, app):
    login_as("admin")
    course_id = _course_id(app)
    yesterday = f"{to_uk(utcnow() - timedelta(days=1)):%Y-%m-%d}"
    response = web.submit(f"/admin/courses/{course_id}/sessions/new",
                          _session_data(**{"dates-0-day": yesterday}))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    message = "Date 1 starts in the past. Enter a date and time from now on"
    assert _summary_links(html) == [("dates-0-day", message)]
    assert _next_to_field(html, "dates-0-day", message)
    # Copying a session to a day in the past is refused too, next to its field.
    with app.app_context():
        session_id = factories.make_session().id
        db.session.commit()
    copy = web.submit(f"/admin/courses/sessions/{session_id}/copy", {"day": yesterday}).get_data(as_text=True)
    assert "The copy would start in the past" in copy and 'href="#day"' in copy
    with app.app_context():
        assert db.session.execute(select(CourseSession.id)).scalars().all() == [session_id]


def test_changing_a_session_that_has_begun_keeps_its_earlier_dates(login_as, web, app, client):
    """A course that has begun can still be changed (its first date is in the past);
    a date with attendance recorded cannot be moved or removed."""
    from rec_portal.attendance.operations import record_attendance

    login_as("admin")
    with app.app_context():
        # Weekly: a week ago and a week from now, on the hour (as the form enters them).
        session = factories.make_session(starts_in_days=-7, dates=3, hours=2, at_hour=9)
        booking = factories.fill_places(session, 1)[0]
        record_attendance(session.dates[0], booking, "present", None)
        db.session.commit()
        session_id = session.id
        first_id = session.dates[0].id
    form = client.get(f"/admin/courses/sessions/{session_id}/edit").get_data(as_text=True)
    data = dict(re.findall(r'name="(dates-\d-\w+)"[^>]*value="([^"]*)"', form))
    data.update({"venue": "New venue", "capacity": "12"})
    assert web.submit(f"/admin/courses/sessions/{session_id}/edit", data).status_code == 302
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        assert session.venue == "New venue" and session.dates[0].id == first_id  # the marked date kept
    # Moving the marked date is refused (its marks would go with it).
    data["dates-0-day"] = _future_day(3)
    html = web.submit(f"/admin/courses/sessions/{session_id}/edit", data).get_data(as_text=True)
    assert "Attendance has been recorded for" in html and "cannot be changed or removed" in html


def test_a_session_with_attendance_recorded_cannot_be_cancelled(login_as, web, client, app):
    from rec_portal.attendance.operations import record_attendance

    login_as("admin")
    with app.app_context():
        session = factories.make_session(starts_in_days=-0.5 / 24)
        booking = factories.fill_places(session, 1)[0]
        record_attendance(session.dates[0], booking, "present", None)
        db.session.commit()
        session_id, course_id = session.id, session.course_id
    page = client.get(f"/admin/courses/sessions/{session_id}/cancel").get_data(as_text=True)
    assert "This session cannot be cancelled" in page and "Yes, cancel this session" not in page
    assert "attendance has already been recorded" in page
    web.submit(f"/admin/courses/sessions/{session_id}/cancel", {}, page=f"/admin/courses/{course_id}")
    assert "attendance has already been recorded" in client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CourseSession, session_id).status == "scheduled"
        assert db.session.execute(select(Booking.status)).scalar_one() == "confirmed"
