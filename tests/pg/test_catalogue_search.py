"""Catalogue search on PostgreSQL: a word is found in a title, summary or description
among a few hundred courses, through the trigram index over the search text (migration
0017_catalogue_search), and the page never rescans the places taken per course."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession, SessionDate
from tests.factories import make_user
from rec_portal.timeutil import utcnow
from tests.catalogue import _get, _text, _titles
from tests.faults import sql_log

pytestmark = pytest.mark.pg

COURSES = 300


def _many_courses(app):
    """300 published courses with two upcoming sessions each and a few bookings; course
    n°150 is the only one about 'lighthouses' (in its description) and n°7 the only one
    with 'tidewater' in its summary."""
    now = utcnow()
    with app.app_context():
        student = make_user()
        db.session.flush()
        courses, sessions, dates, bookings = [], [], [], []
        for n in range(COURSES):
            courses.append(dict(
                id=n + 1, slug=f"course-{n}", title=f"Course {n} recovery skills",
                summary="Tidewater walks and talks." if n == 7 else f"Summary of course {n}.",
                description="About lighthouses and keepers." if n == 150 else "Learning together.",
                status="published", created_at=now, updated_at=now,
            ))
            for k in range(2):
                sid = n * 2 + k + 1
                starts = now + timedelta(days=3 + (n % 40) + 7 * k)
                sessions.append(dict(id=sid, course_id=n + 1, capacity=12, starts_at=starts,
                                     ends_at=starts + timedelta(hours=3), created_at=now))
                dates.append(dict(session_id=sid, starts_at=starts, ends_at=starts + timedelta(hours=3)))
                if k == 0:  # one place per person per course
                    bookings.append(dict(session_id=sid, student_id=student.id, status="confirmed",
                                         queued_at=now, confirmed_at=now, made_by_user_id=student.id))
        db.session.execute(insert(Course), courses)
        db.session.execute(insert(CourseSession), sessions)
        db.session.execute(insert(SessionDate), dates)
        db.session.execute(insert(Booking), bookings)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _plans(app, client, url):
    """EXPLAIN (ANALYZE) of every statement the page runs."""
    with sql_log(app) as sent:
        html = _get(client, url)
    plans = []
    with app.app_context():
        for statement, parameters in sent:
            if statement.lstrip().upper().startswith("SELECT"):
                raw = db.session.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
                plans.append((statement, raw if isinstance(raw, list) else json.loads(raw)))
        db.session.rollback()
    return html, plans


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_search_finds_a_word_through_the_index_without_a_rescan_per_course(pg_app, pg_client):
    _many_courses(pg_app)
    assert _titles(_get(pg_client, "/courses?q=LIGHTHOUSES")) == ["Course 150 recovery skills"]
    assert _titles(_get(pg_client, "/courses?q=tidewater+walks")) == ["Course 7 recovery skills"]
    assert "300 courses found for “recovery”." in _text(_get(pg_client, "/courses?q=recovery"))
    assert _titles(_get(pg_client, "/courses?q=lighthouse+tidewater")) == []

    # The search runs through the trigram index over the search text...
    with pg_app.app_context():
        db.session.execute(text("SET enable_seqscan = off"))
        plan = db.session.execute(text(
            "EXPLAIN SELECT id FROM courses WHERE "
            "lower(title || ' ' || summary || ' ' || description) LIKE '%' || :w || '%'"), {"w": "lighthouses"}
        ).scalars().all()
        db.session.rollback()
    assert any("ix_courses_search" in line for line in plan), plan

    # ...and the page's own statements: for a word most courses have, the places taken
    # are counted once, not once per course (no node of the plan runs 300 times).
    html, plans = _plans(pg_app, pg_client, "/courses?q=recovery")
    assert "300 courses found" in _text(html)
    assert plans
    for statement, plan in plans:
        loops = max(node.get("Actual Loops", 1) for node in _nodes(plan[0]["Plan"]))
        assert loops < COURSES // 2, (loops, statement)
    # For a rare word the planner may use the index: show what it chose.
    _html, rare = _plans(pg_app, pg_client, "/courses?q=lighthouses")
    print("plans for a rare word use:", sorted({n.get("Index Name") for _s, p in rare for n in _nodes(p[0]["Plan"])
                                                  if n.get("Index Name")}))
