"""The health check. Public, no session, no CSRF, not rate-limited (a proxy asks often),
never cached; says which check failed and nothing else (no error text, no versions)."""

from __future__ import annotations

from functools import cache

from flask import Response, current_app
from sqlalchemy import text

from rec_portal.extensions import db
from rec_portal.health import bp
from rec_portal.web.access import public


@cache
def head_revisions(migrations_dir: str) -> frozenset[str]:
    """The head revision(s) of the migrations this code ships with (read once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(migrations_dir).get_heads())


@bp.route("/healthz")
@public
def healthz():
    database, migrations = "ok", "ok"
    try:
        db.session.execute(text("SELECT 1"))
        current = frozenset(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:  # noqa: BLE001 - any failure here means "not healthy"
        current_app.logger.warning("health check: the database did not answer", exc_info=True)
        database, migrations, current = "unreachable", "unknown", None
    finally:
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection itself may be gone
            pass
    if current is not None:
        expected = head_revisions(current_app.extensions["migrate"].directory)
        if current != expected:
            current_app.logger.warning("health check: the database is at %s, this code expects %s",
                                       sorted(current), sorted(expected))
            migrations = "not current"
    healthy = database == migrations == "ok"
    body = "ok\n" if healthy else f"database: {database}\nmigrations: {migrations}\n"
    response = Response(body, status=200 if healthy else 503, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
