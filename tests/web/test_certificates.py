"""Students see whether they attended, and attendees download a certificate of attendance;
course pages say who delivers each upcoming session; a facilitator's private calendar feed
names their role only if they chose to show course titles."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal import documents
from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    Booking,
    CourseSession,
)
from rec_portal.timeutil import format_uk, utcnow
from tests import factories
from tests.conftest import Browserless, count_statements, login

NASTY = 'Ann <img src="file:///etc/passwd"> Lee'


# --- Helpers ------------------------------------------------------------------------------------

book = factories.make_booking
mark = factories.mark_attendance
roster = factories.add_to_roster
past_session = factories.make_past_session


def pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def certificate_setup(app, *, full_name=NASTY, statuses=("present", "absent", "present")):
    """A three-date course the student came to twice, with a rostered team of three."""
    with app.app_context():
        session = past_session("Staying Safe", dates=len(statuses), days_ago=40)
        student = factories.make_user(full_name=full_name, preferred_name="Ann", email="ann@example.org")
        booking = book(session, student)
        mark(booking, session, statuses)
        team = [
            factories.make_facilitator(
                name="Priya Officer", preferred_name="Priya", email="priya@example.org", organisation="",
                default_role=None,
            ),
            factories.make_facilitator(name="Sam Social", preferred_name="Sam", organisation="", default_role=None),
            factories.make_facilitator(name="Jo Peer", preferred_name="Jo", organisation="", default_role=None),
        ]
        for user, role in zip(team, ("police_mh_coordinator", "social_worker", "peer_specialist"), strict=True):
            roster(session, user, role)
        db.session.commit()
        return {
            "booking": booking.id, "session": session.id, "student": student.id,
            "number": student.student_number,
            "dates": [format_uk(d.starts_at, with_time=False) for d in session.dates],
        }


# --- Certificate ------------------------------------------------------------------------------------

def test_the_certificate_names_the_student_course_dates_and_team(app):
    made = certificate_setup(app)
    client = login(app, "ann@example.org")
    documents.requested_urls.clear()
    response = client.get(f"/my/courses/{made['booking']}/certificate.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="certificate-of-attendance-staying-safe.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for words in ("Recovery Education Centre", "Certificate of attendance", NASTY, "Staying Safe",
                  "on 2 of 3 dates", made["dates"][0], made["dates"][2],
                  "Priya Officer (police mental health co-ordinator)", "Sam Social (social worker)",
                  "Jo Peer (peer specialist or peer trainer)", f"Student number: {made['number']}",
                  f"Issued on: {format_uk(utcnow(), with_time=False)}"):
        assert words in text, words
    # The date they missed is not on it; the markup in the name printed as text, fetched nothing.
    assert made["dates"][1] not in text
    assert list(documents.requested_urls) == ["https://rec-portal.invalid/static/css/documents.css"]


def test_a_one_date_certificate_is_one_a4_landscape_page(app):
    made = certificate_setup(app, full_name="Marigold Featherstone", statuses=("present",))
    data = login(app, "ann@example.org").get(f"/my/courses/{made['booking']}/certificate.pdf").data
    text = pdf_text(data)
    assert "Marigold Featherstone" in text and "attended the Recovery Education Centre course" in text
    assert re.search(r"Staying Safe on (Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d", text)
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert re.search(r"Page size:\s+841\.89 x 595\.\d+ pts \(A4\)", info)  # landscape
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)


def test_only_the_student_who_attended_gets_a_certificate(app, client, login_as):
    made = certificate_setup(app)
    url = f"/my/courses/{made['booking']}/certificate.pdf"
    # Signed out: sign in first.
    assert client.get(url).headers["Location"] == f"/login?next={url}"
    # Another student, an admin (who is also a student) and a facilitator on the roster.
    login_as("student")
    assert client.get(url).status_code == 404
    assert login(app, "priya@example.org").get(url).status_code == 403
    admin = app.test_client()
    with app.app_context():
        factories.make_user(roles=("admin", "student"), email="boss@example.org")
        db.session.commit()
    Browserless(admin).login("boss@example.org")
    assert admin.get(url).status_code == 404
    # No such booking.
    assert login(app, "ann@example.org").get("/my/courses/999999/certificate.pdf").status_code == 404


@pytest.mark.parametrize("statuses", [("absent",), (None,), ("absent", "absent")])
def test_no_certificate_without_being_marked_present(app, statuses):
    with app.app_context():
        session = past_session(dates=len(statuses))
        student = factories.make_user(email="ann@example.org")
        booking = book(session, student)
        mark(booking, session, statuses)
        db.session.commit()
        booking_id = booking.id
    client = login(app, "ann@example.org")
    assert client.get(f"/my/courses/{booking_id}/certificate.pdf").status_code == 404
    assert "Download your certificate" not in client.get("/my/courses").get_data(as_text=True)


def test_no_certificate_half_way_through_a_course(app):
    """Three weekly dates, the first a week ago (marked present): the course is not over."""
    with app.app_context():
        session = past_session(dates=3, days_ago=8, status="scheduled")
        booking = book(session, factories.make_user(email="ann@example.org"))
        mark(booking, session, ("present", None, None))
        db.session.commit()
        booking_id, session_id = booking.id, session.id
    client = login(app, "ann@example.org")
    url = f"/my/courses/{booking_id}/certificate.pdf"
    assert client.get(url).status_code == 404
    assert "Download your certificate" not in client.get("/my/courses").get_data(as_text=True)
    # Even marked completed (as a register taken early used to do), it is not over yet:
    # still none (issue 13, part 5).
    with app.app_context():
        db.session.get(CourseSession, session_id).status = "completed"
        db.session.commit()
    assert client.get(url).status_code == 404
    assert "Download your certificate" not in client.get("/my/courses").get_data(as_text=True)
    # Once its last date has ended, there is one.
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        for d in session.dates:
            d.starts_at, d.ends_at = d.starts_at - timedelta(weeks=3), d.ends_at - timedelta(weeks=3)
        session.starts_at, session.ends_at = session.dates[0].starts_at, session.dates[-1].ends_at
        db.session.commit()
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_course_that_ended_has_a_certificate_even_if_not_marked_completed(app):
    with app.app_context():
        session = past_session(dates=2, days_ago=20, status="scheduled")
        booking = book(session, factories.make_user(email="ann@example.org"))
        mark(booking, session, ("present", None))
        db.session.commit()
        booking_id = booking.id
    response = login(app, "ann@example.org").get(f"/my/courses/{booking_id}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


@pytest.mark.parametrize("booking_status", ["cancelled", "waitlisted"])
def test_no_certificate_for_a_place_that_was_not_confirmed(app, booking_status):
    """Marked present before the place was cancelled (or by mistake while waiting)."""
    with app.app_context():
        session = past_session(dates=1, days_ago=20)
        booking = book(session, factories.make_user(email="ann@example.org"), status=booking_status)
        mark(booking, session, ("present",))
        db.session.commit()
        booking_id = booking.id
    client = login(app, "ann@example.org")
    assert client.get(f"/my/courses/{booking_id}/certificate.pdf").status_code == 404
    assert "Download your certificate" not in client.get("/my/courses").get_data(as_text=True)


# --- My courses ---------------------------------------------------------------------------------

def test_my_courses_says_attended_or_not_for_past_sessions(app):
    with app.app_context():
        student = factories.make_user(email="ann@example.org")
        one = past_session("Staying Safe", days_ago=60)
        three = past_session("Introduction to Recovery", dates=3, days_ago=50, status="scheduled")
        missed = past_session("Understanding Anxiety", days_ago=40)
        unrecorded = past_session("Hearing Voices", days_ago=5, status="scheduled")
        waited = past_session("Sleep and Wellbeing", days_ago=4)
        cancelled = past_session("Managing Stress", days_ago=3)
        ids = {}
        for session, statuses in ((one, ("present",)), (three, ("present", "absent", "present")),
                                  (missed, ("absent",)), (unrecorded, (None,))):
            ids[session.course.title] = book(session, student).id
            mark(db.session.get(Booking, ids[session.course.title]), session, statuses)
        ids["Sleep and Wellbeing"] = book(waited, student, status="waitlisted").id
        gone = book(cancelled, student, status="cancelled")
        mark(gone, cancelled, ("present",))
        db.session.commit()
    html = login(app, "ann@example.org").get("/my/courses").get_data(as_text=True)
    past = html.split("<h2>Past sessions</h2>", 1)[1]

    def card(title):
        start = past.index(title)
        return past[start:past.find("nhsuk-card__heading", start)]

    assert ">Attended</strong>" in card("Staying Safe")
    assert f'id="certificate-{ids["Staying Safe"]}"' in card("Staying Safe")
    assert "Download your certificate (PDF)" in card("Staying Safe")
    assert "Attended 2 of 3 dates" in card("Introduction to Recovery")
    assert "Download your certificate (PDF)" in card("Introduction to Recovery")
    assert "Not attended" in card("Understanding Anxiety")
    assert "Download your certificate" not in card("Understanding Anxiety")
    assert "Attendance not recorded yet" in card("Hearing Voices")
    assert "have not taken the register" in card("Hearing Voices")
    assert "You were on the waiting list" in card("Sleep and Wellbeing")
    assert "Managing Stress" not in html
    assert f"/my/courses/{ids['Staying Safe']}/certificate.pdf" in html
    assert f"/my/courses/{ids['Understanding Anxiety']}/certificate.pdf" not in html


def test_a_completed_session_with_no_mark_for_me_is_not_attended(app):
    with app.app_context():
        session = past_session(status="completed")
        book(session, factories.make_user(email="ann@example.org"))
        db.session.commit()
    html = login(app, "ann@example.org").get("/my/courses").get_data(as_text=True)
    assert "Not attended" in html and "Attendance not recorded yet" not in html


def _my_courses_statements(app, past_sessions: int) -> int:
    with app.app_context():
        student = factories.make_user(email=f"many{past_sessions}@example.org")
        for n in range(past_sessions):
            session = past_session(f"Course {past_sessions}-{n}", dates=2, days_ago=20 + n * 10)
            mark(book(session, student), session, ("present", "absent"))
        db.session.commit()
    client = login(app, f"many{past_sessions}@example.org")
    with count_statements(app) as statements:
        html = client.get("/my/courses").get_data(as_text=True)
    assert html.count("Attended 1 of 2 dates") == past_sessions
    return len(statements)


def test_my_courses_runs_a_fixed_number_of_queries(app):
    assert _my_courses_statements(app, 2) == _my_courses_statements(app, 7)


# --- Course page: who delivers each session ----------------------------------------------------------

def _course_with_team(app, sessions: int = 2, slug: str = "staying-safe") -> list[int]:
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug=slug)
        made = []
        for n in range(sessions):
            session = factories.make_session(course=course, starts_in_days=10 + 7 * n)
            people = [
                factories.make_facilitator(
                    name=f"Priya Officer {slug}{n}", preferred_name="Priya",
                    bio="I have worked in <b>policing</b> for 12 years.", organisation="West Yorkshire Police",
                    default_role=None,
                ),
                factories.make_facilitator(
                    name=f"Jo Peer {slug}{n}", preferred_name="Jo", bio="I use my own experience of recovery.",
                    organisation="", default_role=None,
                ),
                factories.make_facilitator(
                    name=f"Sam Social {slug}{n}", preferred_name="Sam", organisation="", default_role=None,
                ),  # no bio yet
                factories.make_facilitator(
                    name=f"Kit Gone {slug}{n}", preferred_name="Kit", bio="Not shown.", active=False,
                    organisation="", default_role=None,
                ),
            ]
            for user, role in zip(people, ("police_mh_coordinator", "peer_specialist", "social_worker",
                                           "clinician"), strict=True):
                roster(session, user, role)
            made.append(session.id)
        # A past session's team is not shown.
        old = factories.make_session(course=course, starts_in_days=-20, status="completed")
        roster(old, factories.make_facilitator(
            name="Old Timer", preferred_name="Olive", bio="Past.", organisation="", default_role=None,
        ), "other")
        db.session.commit()
        return made


def test_course_page_shows_who_delivers_each_upcoming_session(app, client):
    first, second = _course_with_team(app)
    html = client.get("/courses/staying-safe").get_data(as_text=True)
    card = html[html.index(f'id="session-{first}"'):html.index(f'id="session-{second}"')]
    assert "Who is delivering it" in card
    assert "Priya, <span class=\"rec-att-role\">police mental health co-ordinator</span>" in card
    assert "Jo, <span class=\"rec-att-role\">peer specialist or peer trainer</span>" in card
    assert "Sam, <span class=\"rec-att-role\">social worker</span>" in card
    # Inactive profiles are not shown; full names are not shown; bios are escaped.
    assert "Kit" not in html and "Not shown." not in html and "Priya Officer" not in html
    assert "About Jo and Priya" in card and f'id="facilitators-{first}"' in card
    assert "I have worked in &lt;b&gt;policing&lt;/b&gt; for 12 years." in card
    assert "Olive" not in html and "Past." not in html


def _course_page_statements(app, sessions: int) -> int:
    slug = f"course-{sessions}"
    _course_with_team(app, sessions, slug=slug)
    client = app.test_client()
    with count_statements(app) as statements:
        html = client.get(f"/courses/{slug}").get_data(as_text=True)
    assert html.count("Who is delivering it") == sessions
    return len(statements)


def test_course_page_team_adds_no_query_per_session(app):
    assert _course_page_statements(app, 1) == _course_page_statements(app, 4)


def test_course_page_without_a_roster_shows_no_team(app, client):
    with app.app_context():
        factories.make_session(course=factories.make_course(slug="staying-safe"), starts_in_days=5)
        db.session.commit()
    html = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "Who is delivering it" not in html and "About " not in html


# --- Demo data ---------------------------------------------------------------------------------------

def test_demo_registers_let_the_demo_student_download_a_certificate(app):
    result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        past = db.session.execute(
            select(CourseSession).where(CourseSession.ends_at < utcnow(), CourseSession.status != "cancelled")
        ).scalars().all()
        assert past and all(s.status == "completed" and s.completed_at for s in past)
        marks = db.session.execute(select(Attendance)).scalars().all()
        statuses = [m.status for m in marks]
        assert statuses.count("present") > statuses.count("absent") > 0
        count = len(marks)
    again = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert again.exit_code == 0
    with app.app_context():
        assert len(db.session.execute(select(Attendance.id)).all()) == count
    client = login_demo(app)
    html = client.get("/my/courses").get_data(as_text=True)
    assert "Attended 3 of 4 dates" in html
    booking_id = re.search(r'id="certificate-(\d+)"', html).group(1)
    response = client.get(f"/my/courses/{booking_id}/certificate.pdf")
    assert response.status_code == 200 and "Introduction to Recovery" in pdf_text(response.data)


def login_demo(app):
    client = app.test_client()
    Browserless(client).login("student@example.org", "demo-password")
    return client


def test_very_long_names_titles_and_teams_still_fit_on_one_page(app):
    with app.app_context():
        course = factories.make_course(title=("Understanding and Living Well with Bipolar Disorder, for People "
                                              "Who Use Services, Their Families, Carers and Friends, and Staff")[:150],
                                       slug="long-course")
        session = factories.make_session(course=course, starts_in_days=-100, dates=12, status="completed")
        student = factories.make_user(full_name=("Bartholomew Alexander Montgomery-Fitzwilliam " * 5)[:200],
                                      email="long@example.org")
        booking = book(session, student)
        mark(booking, session, ("present",) * 11 + ("absent",))
        for n, role in enumerate(("peer_specialist", "police_mh_coordinator", "social_worker", "clinician",
                                  "carer_peer", "other")):
            roster(session, factories.make_facilitator(
                name=f"Facilitator With A Long Name Number {n}", preferred_name=f"F{n}", organisation="",
                default_role=None,
            ), role)
        db.session.commit()
        booking_id = booking.id
    data = login(app, "long@example.org").get(f"/my/courses/{booking_id}/certificate.pdf").data
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    text = pdf_text(data)
    assert "on 11 of 12 dates" in text and "Facilitator With A Long Name Number 5 (facilitator)" in text


# --- Private calendar feed: the facilitator's role ---------------------------------------------------

@pytest.mark.parametrize("show_titles", [False, True])
def test_neutral_calendar_titles_leave_the_role_out_too(app, show_titles):
    """A role such as "Peer specialist" can say something about the person (lived
    experience), so a neutral feed does not name it."""
    with app.app_context():
        session = factories.make_session(course=factories.make_course(title="Hearing Voices"), dates=2)
        jo = factories.make_facilitator(
            name="Jo Peer", preferred_name="Jo", email="jo@example.org", organisation="", default_role=None,
        )
        jo.show_course_titles = show_titles
        jo.calendar_token = "t" * 40
        roster(session, jo, "peer_specialist")
        db.session.commit()
    response = app.test_client().get(f"/calendar/{'t' * 40}.ics")
    feed = response.get_data(as_text=True).replace("\r\n ", "")
    assert response.status_code == 200 and feed.count("BEGIN:VEVENT") == 2
    assert feed.count("Class list and register: ") == 2
    if show_titles:
        assert "SUMMARY:Facilitating: Hearing Voices (Recovery Education Centre)" in feed
        assert feed.count("Your role: Peer specialist or peer trainer.") == 2
    else:
        assert "SUMMARY:Facilitating: Recovery Education Centre session" in feed
        assert "Hearing Voices" not in feed
        assert "role" not in feed.lower() and "peer" not in feed.lower()
