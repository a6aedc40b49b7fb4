"""Admins' attendance reports: attendance rate and no-shows per course and per session, and
hours delivered per facilitator per term; tables on the page and as formula-safe CSV."""

from __future__ import annotations

import csv
import html as htmllib
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    AuditEvent,
    Booking,
    CourseSession,
)
from rec_portal.stats import percent
from rec_portal.stats.terms import Term, parse_term, recent_terms, term_of
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.conftest import count_statements
from tests.scenarios import attendance_fixture, hours_fixture, people, session_at, table_rows
from tests.factories import add_to_roster as roster
from tests.factories import mark_attendance as mark

REPORT_ROUTES = [
    "/admin/reports",
    "/admin/reports/attendance",
    "/admin/reports/attendance/courses.csv",
    "/admin/reports/attendance/sessions.csv",
    "/admin/reports/facilitator-hours",
    "/admin/reports/facilitator-hours.csv",
]


# --- Helpers ------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def uk_day(days_ago: int) -> str:
    return (to_uk(utcnow()).date() - timedelta(days=days_ago)).isoformat()


# --- Access -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", REPORT_ROUTES)
def test_reports_are_for_admins_only(app, client, login_as, url):
    assert client.get(url).headers["Location"].startswith("/login?next=/admin/reports")
    login_as("student")
    assert client.get(url).status_code == 403
    with app.app_context():
        denied = db.session.execute(select(AuditEvent).where(AuditEvent.event == "access.denied")).scalar_one()
        assert "needs admin" in denied.detail


@pytest.mark.parametrize("url", REPORT_ROUTES)
def test_facilitators_cannot_see_reports(app, client, login_as, url):
    login_as("facilitator")
    assert client.get(url).status_code == 403


def test_admin_home_links_to_the_reports(app, client, login_as):
    login_as("admin")
    html = client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/reports"' in html and ">Reports<" in html.replace("\n", "")
    page = client.get("/admin/reports").get_data(as_text=True)
    assert 'href="/admin/reports/attendance"' in page and 'href="/admin/reports/facilitator-hours"' in page
    if "rosters.fidelity" in app.view_functions:  # the rosters feature's report, listed too
        assert 'href="/admin/rosters/fidelity"' in page


# --- Attendance figures -------------------------------------------------------------------------

def test_attendance_by_course_matches_the_hand_count(app, client, login_as):
    attendance_fixture(app)
    login_as("admin")
    response = client.get("/admin/reports/attendance")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The last three months by default: s1, s2, s5 and the empty course. s5's register was
    # not taken, so its three people are not counted (not as no-shows either).
    assert table_rows(html, "attendance-by-course") == [
        ['=HYPERLINK("http://x")', "1", "0", "0", "0", "–", "1"],
        ["Empty Course", "1", "0", "0", "0", "–", "0"],
        ["Staying Safe", "2", "7", "4", "3", "57%", "0"],
        ["All courses", "4", "7", "4", "3", "57%", "1"],
    ]
    assert ">Registers not taken</th>" in html
    assert f'value="{uk_day(91)}"' in html and f'value="{uk_day(0)}"' in html


def test_attendance_by_session_matches_the_hand_count(app, client, login_as):
    ids = attendance_fixture(app)
    login_as("admin")
    html = client.get("/admin/reports/attendance").get_data(as_text=True)
    rows = table_rows(html, "attendance-by-session")
    assert [r[1:] for r in rows] == [
        ["3 of 3", "3", "2", "1", "67%"],  # s2: 40 days ago
        ["1 of 1", "4", "2", "2", "50%"],  # s1: 20 days ago
        ["0 of 1", "3", "–", "–", "Registers not taken"],  # s5: not counted
        ["0 of 1", "0", "0", "0", "–"],    # nobody booked
    ]
    assert "not counted: registers not taken" in html  # what a screen reader hears for "–"
    assert rows[1][0].startswith("Staying Safe") and rows[1][0].endswith("completed")
    assert f'href="/admin/courses/sessions/{ids["s1"]}/bookings"' in html


def test_registers_not_taken_are_not_counted_as_no_shows(app, client, login_as):
    """Only completed sessions, or sessions whose every register is fully taken, are in the
    rates; the others are shown under "Registers not taken"."""
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        course = factories.make_course(title="Staying Safe")
        # Ended, still scheduled, one of two people marked: a register half taken.
        half = session_at(course, [(now - timedelta(days=3), 2)])
        people(half, [("present",), None])
        # Under way: the first of three dates fully taken, two dates still to come.
        running = session_at(course, [(now - timedelta(days=7 - 7 * i), 2) for i in range(3)])
        people(running, [("absent", None, None), ("present", None, None)])
        # Ended and completed with someone never marked: counted (a no-show).
        done = session_at(course, [(now - timedelta(days=5), 2)], status="completed")
        people(done, [("present",), None])
        db.session.commit()
        half_id = half.id
    login_as("admin")
    html = client.get("/admin/reports/attendance").get_data(as_text=True)
    assert table_rows(html, "attendance-by-course") == [
        ["Staying Safe", "3", "2", "1", "1", "50%", "2"],
        ["All courses", "3", "2", "1", "1", "50%", "2"],
    ]
    assert [r[1:] for r in table_rows(html, "attendance-by-session")] == [
        ["1 of 3", "2", "–", "–", "Registers not taken"],  # running
        ["1 of 1", "2", "1", "1", "50%"],                 # done
        ["1 of 1", "2", "–", "–", "Registers not taken"],  # half
    ]
    # The rest of the register is taken: the session counts, its absent person a no-show.
    with app.app_context():
        half = db.session.get(CourseSession, half_id)
        marked = select(Attendance.booking_id)
        missing = db.session.execute(
            select(Booking).where(Booking.session_id == half_id, Booking.id.not_in(marked))
        ).scalar_one()
        mark(missing, half, ("absent",))
        db.session.commit()
    html = client.get("/admin/reports/attendance").get_data(as_text=True)
    assert table_rows(html, "attendance-by-course")[-1] == ["All courses", "3", "4", "2", "2", "50%", "1"]


def test_a_wider_range_takes_in_older_sessions(app, client, login_as):
    attendance_fixture(app)
    login_as("admin")
    html = client.get(f"/admin/reports/attendance?from={uk_day(300)}&to={uk_day(0)}").get_data(as_text=True)
    assert ['=HYPERLINK("http://x")', "2", "2", "2", "0", "100%", "1"] in table_rows(html, "attendance-by-course")
    only_old = client.get(f"/admin/reports/attendance?from={uk_day(300)}&to={uk_day(100)}").get_data(as_text=True)
    assert table_rows(only_old, "attendance-by-course") == [
        ['=HYPERLINK("http://x")', "1", "2", "2", "0", "100%", "0"],
        ["All courses", "1", "2", "2", "0", "100%", "0"],
    ]
    # Typed UK-style dates work too.
    day = to_uk(utcnow()).date() - timedelta(days=300)
    typed = client.get(f"/admin/reports/attendance?from={day:%d/%m/%Y}").get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in typed


def test_nothing_in_range_says_so(app, client, login_as):
    login_as("admin")
    html = client.get("/admin/reports/attendance?from=2001-01-01&to=2001-02-01").get_data(as_text=True)
    assert "No sessions started from 1 January 2001 to 1 February 2001." in html
    assert "attendance-by-course" not in html


@pytest.mark.parametrize("query, field, message", [
    ("from=2026-02-30", "from", "From must be a real date, for example 1 September 2026"),
    ("from=yesterday&to=2026-01-01", "from", "From must be a real date"),
    ("to=31/13/2026", "to", "To must be a real date"),
    ("from=2026-03-01&to=2026-02-01", "to", "To must be the same as or after From"),
    ("from=2001-01-01&to=2026-01-01", "to", "Choose dates no more than 10 years apart"),
])
def test_wrong_dates_are_explained_and_kept(app, client, login_as, query, field, message):
    login_as("admin")
    response = client.get(f"/admin/reports/attendance?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and f'href="#{field}"' in html and message in html
    assert "<title>Error: Attendance report" in html
    typed = dict(part.split("=") for part in query.split("&"))[field]
    assert f'value="{htmllib.escape(typed)}"' in html
    assert "attendance-by-course" not in html
    csv_url = f"/admin/reports/attendance/courses.csv?{query}"
    assert client.get(csv_url).status_code == 400


def test_reports_run_a_fixed_number_of_queries(app, client, login_as):
    login_as("admin")
    counts = []
    for added, total in ((1, 1), (2, 3)):  # the fixture once, then twice more
        attendance_fixture(app, scale=added)
        with count_statements(app) as statements:
            html = client.get("/admin/reports/attendance").get_data(as_text=True)
        counts.append(len(statements))
        assert len(table_rows(html, "attendance-by-session")) == 4 * total
    assert counts[0] == counts[1]
    with count_statements(app) as statements:
        client.get("/admin/reports/attendance")
    report_queries = [s for s in statements if "attendance" in s.lower() and "select" in s.lower()]
    assert len(report_queries) == 2  # one per table


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_downloads_are_formula_safe_and_audited(app, client, login_as):
    attendance_fixture(app)
    admin = login_as("admin")
    response = client.get("/admin/reports/attendance/courses.csv")
    assert response.mimetype == "text/csv"
    assert f'filename="attendance-by-course-{uk_day(91)}-to-{uk_day(0)}.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["Course", "Sessions", "Booked", "Attended", "No-shows", "Attendance rate",
                       "Registers not taken"]
    assert ["'=HYPERLINK(\"http://x\")", "1", "0", "0", "0", "", "1"] in rows
    assert rows[-1] == ["All courses", "4", "7", "4", "3", "57%", "1"]
    sessions = read_csv(client.get("/admin/reports/attendance/sessions.csv"))
    assert sessions[0] == ["Course", "Starts", "Dates", "Dates with a register", "Booked", "Attended",
                           "No-shows", "Attendance rate", "Registers not taken"]
    assert [r[2:] for r in sessions[1:]] == [
        ["3", "3", "3", "2", "1", "67%", ""], ["1", "1", "4", "2", "2", "50%", ""],
        ["1", "0", "3", "", "", "", "Yes"], ["1", "0", "0", "0", "0", "", ""],
    ]
    assert sessions[3][0] == "'=HYPERLINK(\"http://x\")"
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "export").order_by(AuditEvent.id)
        ).scalars().all()
        assert [e.actor_id for e in events] == [admin.id, admin.id]
        assert events[0].detail.startswith("attendance report by course CSV")
        assert events[1].detail.startswith("attendance report by session CSV")
    html = client.get("/admin/reports/attendance").get_data(as_text=True)
    assert f'href="/admin/reports/attendance/courses.csv?from={uk_day(91)}&amp;to={uk_day(0)}"' in html
    assert "Download this table (CSV)" in html


# --- Facilitator hours -----------------------------------------------------------------------------


def test_facilitator_hours_per_term_match_the_hand_count(app, client, login_as):
    hours_fixture(app)
    login_as("admin")
    html = client.get("/admin/reports/facilitator-hours?term=2025-autumn").get_data(as_text=True)
    assert "Autumn term 2025 (September to December)" in html
    assert table_rows(html, "facilitator-hours") == [
        ["+Sam Officer", "West Yorkshire Police", "1", "1", "2.5"],
        ["Alex Peer", "Leeds Mental Health Forum", "3", "5", "10"],  # 2.5 + 3 x 2 + 1.5
        ["All facilitators", "", "", "", "12.5"],
    ]
    assert "Kim" not in html
    spring = client.get("/admin/reports/facilitator-hours?term=2026-spring").get_data(as_text=True)
    assert table_rows(spring, "facilitator-hours") == [
        ["+Sam Officer", "West Yorkshire Police", "1", "1", "4"],
        ["Alex Peer", "Leeds Mental Health Forum", "2", "2", "5"],
        ["All facilitators", "", "", "", "9"],
    ]
    summer = client.get("/admin/reports/facilitator-hours?term=2025-summer").get_data(as_text=True)
    assert "No sessions were delivered by rostered facilitators in this term yet." in summer


def test_facilitator_hours_csv_is_formula_safe_and_audited(app, client, login_as):
    hours_fixture(app)
    login_as("admin")
    response = client.get("/admin/reports/facilitator-hours.csv?term=2025-autumn")
    assert 'filename="facilitator-hours-2025-autumn.csv"' in response.headers["Content-Disposition"]
    assert read_csv(response) == [
        ["Facilitator", "Organisation", "Sessions", "Dates", "Hours"],
        ["'+Sam Officer", "West Yorkshire Police", "1", "1", "2.5"],
        ["Alex Peer", "Leeds Mental Health Forum", "3", "5", "10"],
    ]
    with app.app_context():
        audit_row = db.session.execute(select(AuditEvent).where(AuditEvent.event == "export")).scalar_one()
        assert audit_row.detail == "facilitator hours CSV (2025-autumn)"
        assert "Sam" not in audit_row.detail


def test_hours_default_to_this_term_and_only_count_dates_that_ended(app, client, login_as):
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        course = factories.make_course()
        alex = factories.make_facilitator(name="Alex Peer", preferred_name="Alex", organisation="", default_role=None)
        running = session_at(course, [(now - timedelta(hours=3), 2), (now + timedelta(hours=1), 2)])
        roster(running, alex, "peer_specialist")
        db.session.commit()
    login_as("admin")
    html = client.get("/admin/reports/facilitator-hours").get_data(as_text=True)
    this_term = term_of(to_uk(now - timedelta(hours=3)).date())
    assert f'<option value="{this_term.key}" selected' in html
    if term_of(to_uk(now).date()) == this_term:
        assert table_rows(html, "facilitator-hours")[0] == ["Alex Peer", "Not given", "1", "1", "2"]


def test_an_unknown_term_is_explained(app, client, login_as):
    login_as("admin")
    response = client.get("/admin/reports/facilitator-hours?term=2025-winter")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "Choose a term from the list" in html and 'href="#term"' in html
    assert client.get("/admin/reports/facilitator-hours.csv?term=nonsense").status_code == 400
    # An older real term than the ones listed is still shown (an old bookmark).
    old = client.get("/admin/reports/facilitator-hours?term=2019-spring").get_data(as_text=True)
    assert '<option value="2019-spring" selected' in old and "Spring term 2019" in old


def test_hours_report_runs_a_fixed_number_of_queries(app, client, login_as):
    hours_fixture(app)
    login_as("admin")
    counts = []
    for extra in (0, 3):
        with app.app_context():
            course = factories.make_course()
            for n in range(extra):
                person = factories.make_facilitator(
                    name=f"Extra {n}", preferred_name=f"E{n}", organisation="", default_role=None,
                )
                s = session_at(course, [(datetime(2025, 10, 1 + n, 10), 2), (datetime(2025, 10, 8 + n, 10), 2)])
                roster(s, person, "other")
            db.session.commit()
        with count_statements(app) as statements:
            html = client.get("/admin/reports/facilitator-hours?term=2025-autumn").get_data(as_text=True)
        assert html.count("Extra ") == extra
        counts.append(len(statements))
    assert counts[0] == counts[1]


# --- Terms and rounding ---------------------------------------------------------------------------

def test_uk_academic_terms():
    assert term_of(date(2026, 9, 1)) == Term(2026, "autumn")
    assert term_of(date(2026, 12, 31)) == Term(2026, "autumn")
    assert term_of(date(2027, 1, 1)) == Term(2027, "spring")
    assert term_of(date(2027, 4, 30)) == Term(2027, "spring")
    assert term_of(date(2027, 5, 1)) == Term(2027, "summer")
    assert term_of(date(2027, 8, 31)) == Term(2027, "summer")
    assert Term(2026, "autumn").end == date(2027, 1, 1)
    assert [t.key for t in recent_terms(date(2026, 11, 23), 4)] == [
        "2026-autumn", "2026-summer", "2026-spring", "2025-autumn"]
    assert parse_term("2026-Autumn") == Term(2026, "autumn")
    assert parse_term("26-autumn") is None and parse_term("2026-winter") is None and parse_term("") is None
    assert percent(2, 3) == 67 and percent(1, 2) == 50 and percent(1, 8) == 13 and percent(0, 0) is None
