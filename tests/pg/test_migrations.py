"""Migrations: upgrade an empty database to head, compare with the models, downgrade to
base; on SQLite and on PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from rec_portal import create_app
from rec_portal.extensions import db
from tests.conftest import test_config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    from tests.pgserver import create_database

    return create_database(request.getfixturevalue("pg_admin_url"), "rec_migration_test")


# Expression indexes the models declare (PostgreSQL only), checked by definition below.
EXPRESSION_INDEXES = {"ix_courses_search"}


def _expression_index(diff) -> bool:
    """A diff entry about one of EXPRESSION_INDEXES (alembic reports a PostgreSQL
    expression index as changed because the reflected expression has casts added)."""
    entries = diff if isinstance(diff, list) else [diff]
    return all(
        isinstance(entry, tuple) and entry[0] in ("add_index", "remove_index")
        and entry[1].name in EXPRESSION_INDEXES
        for entry in entries
    )


def _search_index(conn) -> str | None:
    if conn.dialect.name != "postgresql":
        return None
    return conn.execute(sa.text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_courses_search'")).scalar()


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database_url):
    app = create_app(test_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = [d for d in compare_metadata(context, db.metadata) if not _expression_index(d)]
            tables = set(sa.inspect(conn).get_table_names())
            search_index = _search_index(conn)
        assert diff == [], f"models and migrations disagree: {diff}"
        if empty_database_url.startswith("postgresql"):
            # Alembic cannot compare an expression index (PostgreSQL reflects it with casts
            # added): check the catalogue's search index by its definition instead.
            assert "USING gin" in search_index and "gin_trgm_ops" in search_index, search_index
            for column in ("title", "summary", "description"):
                assert column in search_index
        else:
            assert search_index is None  # PostgreSQL only
        assert {"users", "user_roles", "user_sessions", "password_reset_tokens",
                "outbox_messages", "audit_events"} <= tables

        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = set(sa.inspect(conn).get_table_names())
        assert left <= {"alembic_version"}
        db.session.remove()
        db.engine.dispose()
