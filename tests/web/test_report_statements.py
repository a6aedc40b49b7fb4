"""Reports and PDFs look only at the rows of the period they show, and run a fixed number
of statements whatever the data size (issue 18).

"Only the period's rows" is checked on SQLite's query plans: no statement of the term
report, the attendance report or the admin course page reads the whole bookings or
attendance table (a ``SCAN`` of it)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from flask import render_template

from rec_portal import documents
from rec_portal.extensions import db
from tests import factories
from tests.conftest import Browserless, count_statements
from tests.faults import sql_log
from tests.scenarios import grow_rosters
from tests.scenarios import BEFORE, IN_TERM, TERM
from tests.scenarios import build_term as _build_term
from tests.scenarios import term_booking as _book
from tests.scenarios import term_session as _session

REPORTS = [
    f"/admin/reports/term?term={TERM}",
    "/admin/reports/attendance?from=2026-01-01&to=2026-04-30",
]
BIG_TABLES = re.compile(r"^SCAN (bookings|attendance)\b")


@pytest.fixture
def html_only_pdfs(monkeypatch):
    """PDF views render their template (every statement a template causes still runs) but
    skip WeasyPrint, which sends no SQL and is slow."""
    def render(template, *, title, **context):
        return render_template(f"documents/{template}", title=title, **context).encode()

    monkeypatch.setattr(documents, "render_pdf", render)


def _plans(app, client, url: str) -> list[tuple[str, str]]:
    """(plan line, statement) for every table scan of bookings or attendance while ``url``
    is served."""
    with sql_log(app) as seen:
        assert client.get(url).status_code == 200
    scans = []
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            for statement, parameters in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall():
                    if BIG_TABLES.match(row[3]):
                        scans.append((row[3], " ".join(statement.split())))
        finally:
            raw.close()
    return scans


def test_reports_never_read_all_bookings_or_all_attendance(app, client, login_as):
    _build_term(app)
    with app.app_context():
        course_id = factories.make_course(title="One course").id
        db.session.commit()
    login_as("admin")
    for url in REPORTS + [f"/admin/courses/{course_id}"]:
        scans = _plans(app, client, url)
        assert scans == [], f"{url}:\n" + "\n".join(f"{p}: {s[:300]}" for p, s in scans)


def _csv(client, url):
    return list(csv.reader(io.StringIO(client.get(url).get_data(as_text=True))))


CSVS = [f"/admin/reports/term/{name}.csv?term={TERM}" for name in (
    "enrolment-by-relationship", "enrolment-by-referral", "bookings", "attendance", "waiting-lists",
    "co-delivery", "feedback", "workshop-requests",
)] + [f"/admin/reports/attendance/{table}.csv?from=2026-01-01&to=2026-04-30" for table in ("courses", "sessions")]


def test_rows_outside_the_period_do_not_change_the_figures(app, client, login_as):
    _build_term(app)
    login_as("admin")
    before = {url: _csv(client, url) for url in CSVS}
    assert before[CSVS[3]][-1][:4] == ["All courses", "3", "3", "2"]  # the hand-counted term
    with app.app_context():  # a busy session before the term and one after it, on the same courses
        from rec_portal.models import Course

        for course in db.session.query(Course).all():
            for starts in (BEFORE - timedelta(days=3), IN_TERM + timedelta(days=120)):
                s = _session(course, starts, capacity=2)
                for status in ("confirmed", "confirmed", "waitlisted", "waitlisted", "cancelled"):
                    b = _book(s, status, queued=starts - timedelta(days=5),
                              confirmed=starts - timedelta(days=5) if status == "confirmed" else None)
                    if status == "confirmed":
                        factories.make_attendance(b, s.dates[0], "absent")
        db.session.commit()
    after = {url: _csv(client, url) for url in CSVS}
    for url in CSVS:
        assert after[url] == before[url], url


# --- A fixed number of statements, at two sizes (the larger three times the smaller) -----------

def _count(app, client, url: str) -> tuple[int, str]:
    client.get(url)  # what is done once per process is done before counting
    with count_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response.get_data(as_text=True)


def _course_with(app, sessions: int, per_session: int) -> int:
    with app.app_context():
        course = factories.make_course(title=f"Course {sessions}")
        for n in range(sessions):
            s = factories.make_session(course=course, starts_in_days=10 + n, capacity=per_session)
            factories.fill_places(s, per_session)
            factories.fill_places(s, 1, status="waitlisted")
        db.session.commit()
        return course.id


def test_the_admin_course_page_runs_the_same_statements_whatever_the_number_of_sessions(app, client, login_as):
    login_as("admin")
    small_id = _course_with(app, 2, 2)
    large_id = _course_with(app, 6, 6)
    small, _ = _count(app, client, f"/admin/courses/{small_id}")
    large, html = _count(app, client, f"/admin/courses/{large_id}")
    assert html.count(">6 of 6</td>") == 6  # each session's places booked, counted right
    assert large == small


def test_the_roster_pdf_runs_the_same_statements_whatever_the_number_of_sessions(app, client, login_as,
                                                                                  html_only_pdfs):

    login_as("admin")
    grow_rosters(app, sessions=4, facilitators=4, offset=0)
    url = "/admin/rosters.pdf"
    small, _ = _count(app, client, url)
    grow_rosters(app, sessions=8, facilitators=8, offset=100)  # three times as many
    large, html = _count(app, client, url)
    assert html.count("<tr>") >= 12 + 1
    assert large == small


def _student_with(app, n: int) -> str:
    with app.app_context():
        student = factories.make_user()
        for i in range(n):
            session = factories.make_session(course=factories.make_course(title=f"Course {i}"),
                                             starts_in_days=-30 - i)
            booking = factories.make_booking(session, student, queued_at=session.starts_at - timedelta(days=7))
            factories.make_attendance(booking, session.dates[0])
        db.session.commit()
        return student.email


@pytest.mark.parametrize("url", ["/my/account/data.pdf", "/my/account/data.json"])
def test_the_data_download_runs_the_same_statements_whatever_the_number_of_bookings(app, url, html_only_pdfs):
    clients = []
    for n in (4, 12):
        client = app.test_client()
        Browserless(client).login(_student_with(app, n))
        clients.append(client)
    small, _ = _count(app, clients[0], url)
    large, body = _count(app, clients[1], url)
    assert body.count("Course 11") == 1
    assert large == small
