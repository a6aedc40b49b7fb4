"""Issue 17, part 4: migration 0015 moves facilitators' concerns out of feedback. A database
at 0014 with answers to the reflection's "Do you have any concerns?" (one of them picked
for a content review), upgraded: each written answer is a support request with a note
saying where it came from, the answers (and the review's item) are gone, the question is
retired, and every other answer is untouched. On SQLite and on PostgreSQL."""

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from rec_portal import create_app
from rec_portal.extensions import db
from tests.conftest import test_config

BEFORE = "0014_reaching_everyone"
CONCERN = "A student said a neighbour takes her bank card"
NOW = datetime(2026, 11, 1, 12, 0)

# What a required column gets when the test does not say (only columns with no default).
_FILL = {sa.String: "x", sa.Text: "x", sa.Integer: 1, sa.Boolean: False, sa.DateTime: NOW, sa.Date: date(2026, 1, 1)}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'concerns.sqlite3'}"
    from tests.pgserver import create_database

    return create_database(request.getfixturevalue("pg_admin_url"), "rec_concerns_migration_test")


def _insert(conn, tables, name: str, **values) -> int:
    table = tables[name]
    for column in table.columns:
        if (column.name in values or column.nullable or column.server_default is not None
                or (column.primary_key and column.autoincrement in (True, "auto") and len(table.primary_key.columns) == 1)):
            continue
        values[column.name] = next(v for t, v in _FILL.items() if isinstance(column.type, t))
    result = conn.execute(table.insert().values(**values))
    return result.inserted_primary_key[0] if result.inserted_primary_key else None


def test_concerns_become_support_requests_and_leave_feedback(database_url):
    app = create_app(test_config(database_url))
    with app.app_context():
        upgrade(revision=BEFORE)
        meta = sa.MetaData()
        meta.reflect(db.engine)
        t = meta.tables
        with db.engine.begin() as conn:
            conn.execute(t["feedback_questions"].delete())  # only this test's questions
            facilitator = _insert(conn, t, "users", email="fran@example.org", full_name="Fran F", preferred_name="Fran",
                                  active=True, created_at=NOW)
            course = _insert(conn, t, "courses", slug="staying-safe", title="Staying Safe", delivery="in_person",
                             status="published", content_version=1)
            session = _insert(conn, t, "course_sessions", course_id=course, capacity=12, status="completed",
                              starts_at=datetime(2026, 10, 5, 10), ends_at=datetime(2026, 10, 5, 15))
            concerns = _insert(conn, t, "feedback_questions", audience="facilitator", kind="text",
                               text="Do you have any concerns?", hint="", position=40, created_at=NOW)
            worked = _insert(conn, t, "feedback_questions", audience="facilitator", kind="text",
                             text="What worked well?", hint="", position=10, created_at=NOW)
            student_q = _insert(conn, t, "feedback_questions", audience="student", kind="text",
                                text="What would you change?", hint="", position=10, created_at=NOW)
            reflection = _insert(conn, t, "feedback_responses", session_id=session, audience="facilitator",
                                 respondent_id=facilitator, anonymous=False, given_on=date(2026, 10, 6))
            second = _insert(conn, t, "feedback_responses", session_id=session, audience="facilitator",
                             respondent_id=facilitator, anonymous=False, given_on=date(2026, 10, 7))
            student = _insert(conn, t, "feedback_responses", session_id=session, audience="student",
                              respondent_id=None, anonymous=True, given_on=date(2026, 10, 6))
            concern_answer = _insert(conn, t, "feedback_answers", response_id=reflection, question_id=concerns,
                                     question_text="Do you have any concerns?", kind="text", text=f"  {CONCERN}\n")
            _insert(conn, t, "feedback_answers", response_id=second, question_id=concerns,
                    question_text="Do you have any concerns?", kind="text", text="   ")  # nothing written
            worked_answer = _insert(conn, t, "feedback_answers", response_id=reflection, question_id=worked,
                                    question_text="What worked well?", kind="text", text="The quiz")
            student_answer = _insert(conn, t, "feedback_answers", response_id=student, question_id=student_q,
                                     question_text="What would you change?", kind="text", text="More breaks")
            review = _insert(conn, t, "content_reviews", course_id=course, held_on=date(2026, 10, 20),
                             status="draft", version_before=1, created_at=NOW)
            _insert(conn, t, "content_review_items", review_id=review, answer_id=concern_answer, note="")
            _insert(conn, t, "content_review_items", review_id=review, answer_id=worked_answer, note="Keep it")

        upgrade()

        with db.engine.connect() as conn:
            requests = conn.execute(sa.text(
                "SELECT id, kind, came_from, person_id, raised_by_id, session_id, details, status, created_at "
                "FROM support_requests")).all()
            assert len(requests) == 1  # the empty answer is not a concern
            [(request_id, kind, came_from, person, raised_by, on_session, details, status, created)] = requests
            assert (kind, came_from, person, raised_by, on_session, details, status) == (
                "concern", "reflection", None, facilitator, session, CONCERN, "new")
            assert str(created).startswith("2026-10-06")
            notes = conn.execute(sa.text("SELECT request_id, author_id, body FROM support_request_notes")).all()
            assert [(n.request_id, n.author_id) for n in notes] == [(request_id, None)]
            assert "Moved here from the feedback comments" in notes[0].body and "06 October 2026" in notes[0].body

            answers = conn.execute(sa.text("SELECT id, text FROM feedback_answers ORDER BY id")).all()
            assert [(a.id, a.text) for a in answers] == [(worked_answer, "The quiz"), (student_answer, "More breaks")]
            items = conn.execute(sa.text("SELECT answer_id, note FROM content_review_items")).all()
            assert [(i.answer_id, i.note) for i in items] == [(worked_answer, "Keep it")]
            retired = dict(conn.execute(sa.text("SELECT id, retired_at FROM feedback_questions")).all())
            assert retired[concerns] is not None and retired[worked] is None and retired[student_q] is None
            # The responses stay (the reflection still counts as sent).
            assert conn.execute(sa.text("SELECT count(*) FROM feedback_responses")).scalar_one() == 3
        db.session.remove()
        db.engine.dispose()
