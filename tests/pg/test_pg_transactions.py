"""A request that only read ends its transaction with COMMIT, so the statements psycopg
prepared stay prepared (it drops them all on ROLLBACK); a request that wrote anything
and did not commit is still rolled back (extensions.keep_prepared_statements)."""

import pytest
from sqlalchemy import event, text

from rec_portal.extensions import db
from tests import factories

pytestmark = pytest.mark.pg


def _ends(app):
    """How each transaction the engine runs ends: "commit" or "rollback"."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", lambda _conn: seen.append("commit"))
    event.listen(engine, "rollback", lambda _conn: seen.append("rollback"))
    return seen


def test_a_page_that_only_read_keeps_its_prepared_statements(pg_app, pg_client):
    with pg_app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        factories.make_session(course=course)
        db.session.commit()
        # One connection from here on (earlier tests may have left several in the pool,
        # handed out in turn), so every request below runs on the one checked at the end.
        db.session.remove()
        db.engine.dispose()
    seen = _ends(pg_app)
    for _ in range(7):  # psycopg prepares a statement on its fifth run on a connection
        assert "Staying Safe" in pg_client.get("/courses/staying-safe").get_data(as_text=True)
    assert "rollback" not in seen and seen.count("commit") >= 7
    with pg_app.test_request_context():
        prepared = db.session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("FROM courses" in statement for statement in prepared), prepared


def test_a_request_that_wrote_without_committing_is_rolled_back(pg_app, pg_client):
    with pg_app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        db.session.commit()
        course_id = course.id
    seen = _ends(pg_app)
    with pg_app.test_request_context():
        db.session.execute(text("SELECT 1"))
        db.session.execute(text("UPDATE courses SET title = 'Changed' WHERE id = :id"), {"id": course_id})
        pg_app.do_teardown_request(None)
    with pg_app.test_request_context():
        course = factories.make_course(title="Unsaved", slug="unsaved")  # an unflushed change
        pg_app.do_teardown_request(None)
    with pg_app.app_context():
        titles = db.session.execute(text("SELECT title FROM courses")).scalars().all()
    assert titles == ["Staying Safe"]
    assert seen[:2] == ["rollback", "rollback"]
