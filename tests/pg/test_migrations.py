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


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database_url):
    app = create_app(test_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        assert diff == [], f"models and migrations disagree: {diff}"
        assert {"users", "user_roles", "user_sessions", "password_reset_tokens",
                "outbox_messages", "audit_events"} <= tables

        downgrade(revision="base")
        with db.engine.connect() as conn:
            left = set(sa.inspect(conn).get_table_names())
        assert left <= {"alembic_version"}
        db.session.remove()
        db.engine.dispose()
