"""The term report and the admin course page on PostgreSQL (issue 18: their counts now
join the period's or the course's sessions): the same hand-counted figures as on SQLite,
and rows outside the term change nothing."""

import csv
import io
from datetime import timedelta

import pytest

from rec_portal.extensions import db
from tests import factories
from tests.conftest import Browserless
from tests.scenarios import BEFORE, TERM
from tests.scenarios import build_term as _build_term
from tests.scenarios import term_booking as _book
from tests.scenarios import term_session as _session

pytestmark = pytest.mark.pg


def _csv(client, name):
    body = client.get(f"/admin/reports/term/{name}.csv?term={TERM}").get_data(as_text=True)
    return {row[0]: row[1:] for row in csv.reader(io.StringIO(body))}


def test_term_report_and_course_page_figures_on_postgresql(pg_app, pg_client):
    _build_term(pg_app)
    with pg_app.app_context():
        factories.make_user(roles=("admin", "student"), email="boss@example.org")
        from rec_portal.models import Course

        course = db.session.query(Course).filter_by(title="Managing Stress").one()
        old = _session(course, BEFORE - timedelta(days=2), capacity=2)  # outside the term
        for status in ("confirmed", "confirmed", "waitlisted"):
            _book(old, status, queued=BEFORE - timedelta(days=9))
        course_id = course.id
        db.session.commit()
    Browserless(pg_client).login("boss@example.org")
    waiting = _csv(pg_client, "waiting-lists")
    assert waiting["'=cmd|' /C calc'!A0"] == ["1", "1", "9", "not shown", "not shown"]
    assert waiting["Managing Stress"] == ["1", "0", "0", "0", "0"]
    assert _csv(pg_client, "attendance")["All courses"][:3] == ["3", "3", "2"]
    page = pg_client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    assert ">2 of 2</td>" in page  # the old session's places, counted for this course only
