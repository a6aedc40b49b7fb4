from sqlalchemy import event, text

from rec_portal.extensions import db
from rec_portal.models import User
from tests import factories


def test_sqlite_runs_with_wal_and_foreign_keys(app_ctx):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_write_transactions_begin_immediate(app_ctx):
    seen = []

    def capture(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        factories.make_user()
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert seen[0] == "BEGIN IMMEDIATE"
    assert any(s.startswith("INSERT INTO users") for s in seen)


def test_foreign_keys_are_enforced(app_ctx):
    import pytest
    import sqlalchemy.exc

    with pytest.raises(sqlalchemy.exc.IntegrityError):
        db.session.execute(text("INSERT INTO user_roles (user_id, role, granted_at) VALUES (9999, 'student', CURRENT_TIMESTAMP)"))
        db.session.commit()
    db.session.rollback()
    assert db.session.query(User).count() == 0
