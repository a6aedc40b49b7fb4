"""Flask extensions, created unbound and initialised in ``create_app``."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys on, and write transactions that begin with BEGIN IMMEDIATE.

    pysqlite's own transaction handling is switched off so that SQLAlchemy emits BEGIN
    itself (the recipe in SQLAlchemy's SQLite dialect documentation). BEGIN IMMEDIATE takes
    the write lock at the start, so two requests cannot both read a count and then write.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised via engine
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised via engine
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def configure_postgres(engine: Engine, app) -> None:
    """``lock_timeout`` and ``statement_timeout`` on every connection a web request uses.

    A request that waits on a locked row (or runs a statement) longer than
    ``REC_DB_LOCK_TIMEOUT_MS`` (``REC_DB_STATEMENT_TIMEOUT_MS``) is stopped by PostgreSQL,
    rolled back, and answered with the "service is busy" page (errors_pages.py), well
    before gunicorn's worker timeout. Work outside a request (``flask db upgrade``, every
    ``rec`` command, the demo-data loader) runs without them: those are run by staff or
    a timer, may rightly take long, and block no one's page while they wait. The values
    are set when a connection is checked out for the other kind of work than its last,
    so one pool serves both (as in the tests).
    """
    from flask import has_request_context

    def wanted() -> tuple[int, int]:
        if not has_request_context():
            return (0, 0)
        return (int(app.config.get("REC_DB_LOCK_TIMEOUT_MS") or 0),
                int(app.config.get("REC_DB_STATEMENT_TIMEOUT_MS") or 0))

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):  # pragma: no cover - exercised via engine
        lock_ms, statement_ms = wanted()
        if record.info.get("rec_timeouts") == (lock_ms, statement_ms):
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, false), "
                "set_config('statement_timeout', %s, false)",
                (f"{lock_ms}ms", f"{statement_ms}ms"),
            )
            cursor.close()
            dbapi_connection.commit()
        except Exception as exc:
            # A dead connection: the pool throws it away and tries a fresh one.
            from sqlalchemy.exc import DisconnectionError

            record.info.pop("rec_timeouts", None)
            raise DisconnectionError(str(exc)) from exc
        record.info["rec_timeouts"] = (lock_ms, statement_ms)

    keep_prepared_statements(engine, app)


def keep_prepared_statements(engine: Engine, app) -> None:
    """End a request's transaction that only read with COMMIT, not ROLLBACK.

    psycopg prepares a statement the fifth time a connection runs it, so PostgreSQL plans
    it once (the signed-out course page's one statement takes 2 ms to plan and 1.4 ms to
    run), but it drops every prepared statement on ROLLBACK. Closing the session rolls
    back whatever is still open, which for a page that only read is every request: so
    nothing stayed prepared. For a transaction that ran only SELECTs a COMMIT is the same
    as a ROLLBACK. Anything else (an INSERT, UPDATE, DELETE, a savepoint, an unflushed
    change, an error) still ends in a rollback when the session closes. (So a request
    must not change anything with a SELECT, such as ``set_config`` or a function that
    writes: none does, and such a statement should be written as the write it is.)"""
    from flask import g, has_request_context

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised via engine
        conn.info["rec_wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(conn, _cursor, statement, *_args):  # pragma: no cover - exercised via engine
        if not statement.lstrip()[:6].upper() == "SELECT":
            conn.info["rec_wrote"] = True

    @app.teardown_request
    def _commit_what_only_read(exc):
        if exc is not None or not has_request_context() or not db.session.registry.has():
            return
        session = db.session()
        if not session.in_transaction() or session.in_nested_transaction() or not session.is_active:
            return
        if session.new or session.dirty or session.deleted:
            return
        if session.connection().info.get("rec_wrote", True):
            return
        before = g.get("rec_committed")
        session.commit()
        g.rec_committed = before
