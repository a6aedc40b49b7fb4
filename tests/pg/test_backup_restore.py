"""Issue 14, item 7: a backup made as the README says (``pg_dump --format=custom``) and
restored into an empty database (``pg_restore``) gives back every student's learning plan,
safety plan, bookings and outbox messages, row for row, at the same migration."""

from __future__ import annotations

import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from rec_portal import create_app
from rec_portal.data_rights.operations import collect
from rec_portal.demo import DEMO_PASSWORD, load_demo_data
from rec_portal.extensions import db
from rec_portal.models import (
    Booking,
    LearningGoal,
    OutboxMessage,
    SafetyPlan,
    TrustedPerson,
    User,
    UserRole,
    UserSession,
)
from rec_portal.models.outbox import FAILED, SENT
from rec_portal.timeutil import utcnow
from tests.conftest import REQUIRE_PG, Browserless, test_config
from tests.pgserver import create_database, find_bindir

pytestmark = pytest.mark.pg


def _tool(name: str) -> str:
    """pg_dump / pg_restore, found where tests/pgserver.py finds the server's binaries."""
    bindir = find_bindir()
    path = str(bindir / name) if bindir and (bindir / name).exists() else shutil.which(name)
    if path is None:
        message = f"{name} not found (PATH or /usr/lib/postgresql/*/bin)"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message)
    return path


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL command-line tools take it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _run(*cmd: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"{Path(cmd[0]).name} failed: {result.stderr or result.stdout}"


def _every_row(app) -> dict[str, list[tuple]]:
    """Every row of every table (the migration version too), in primary-key order."""
    with app.app_context():
        tables = {t.name: t for t in db.metadata.sorted_tables}
        with db.engine.connect() as conn:
            tables["alembic_version"] = sa.Table("alembic_version", sa.MetaData(), autoload_with=conn)
            rows = {}
            for name, table in tables.items():
                order = list(table.primary_key.columns) or list(table.columns)
                rows[name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
        return rows


def _everything_about_each_person(app) -> dict[int, dict]:
    """What the portal itself says it holds about each person (their data download)."""
    with app.app_context():
        people = {}
        for user in db.session.execute(sa.select(User).order_by(User.id)).scalars():
            held = collect(user)
            held.pop("exported_at")
            people[user.id] = held
        db.session.remove()
        return people


def _queue_messages(app) -> None:
    """Demo data queues no email: give each student some, in every state."""
    from rec_portal.notifications.outbox import queue_email

    with app.app_context():
        # (Students the REC team added without an email address get no email.)
        students = db.session.execute(
            sa.select(User).join(UserRole).where(UserRole.role == "student", User.email.is_not(None))
            .order_by(User.id)
        ).scalars().all()
        for n, student in enumerate(students):
            queue_email(to=student.email, user=student, subject="Your place is confirmed",
                        body=f"Hello {student.preferred_name}, آپ کی جگہ پکی ہے ✓ ({n})",
                        attachment=("session.ics", "text/calendar", f"BEGIN:VCALENDAR\nUID:{n}\nEND:VCALENDAR"))
            reset = queue_email(to=student.email, user=student, subject="Reset your password",
                                body="https://rec.example.org/reset/secret-link", contains_secret=True)
            db.session.flush()
            if n % 3 == 0:
                reset.status, reset.sent_at, reset.attempts = SENT, utcnow(), 1
            elif n % 3 == 1:
                reset.status, reset.attempts, reset.last_error = FAILED, 8, "550 mailbox unavailable"
        db.session.commit()


def test_a_custom_format_dump_restores_every_plan_booking_and_message(pg_admin_url, tmp_path):
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    from flask_migrate import upgrade

    source_url = create_database(pg_admin_url, "rec_backup_source")
    source = create_app(test_config(source_url))
    with source.app_context():
        upgrade()
        load_demo_data()
        db.session.commit()
    _queue_messages(source)
    before = _every_row(source)
    people_before = _everything_about_each_person(source)
    # The demo really has what the test is about (so an empty comparison cannot pass).
    for table, at_least in ((LearningGoal, 5), (SafetyPlan, 1), (TrustedPerson, 1), (Booking, 20),
                            (OutboxMessage, 20)):
        assert len(before[table.__tablename__]) >= at_least, table.__tablename__
    students_with_plans = [uid for uid, held in people_before.items() if held["learning_plan"]["goals"]]
    assert len(students_with_plans) >= 3
    with source.app_context():
        db.engine.dispose()

    dump = tmp_path / "rec.dump"
    _run(pg_dump, "--format=custom", "--file", str(dump), "--dbname", _libpq(source_url))
    assert dump.read_bytes()[:5] == b"PGDMP"  # custom format, which pg_restore needs
    restored_url = create_database(pg_admin_url, "rec_backup_restored")  # empty
    _run(pg_restore, "--exit-on-error", "--single-transaction", "--no-owner",
         "--dbname", _libpq(restored_url), str(dump))

    restored = create_app(test_config(restored_url))
    try:
        after = _every_row(restored)
        assert after.keys() == before.keys()
        for table in before:
            assert after[table] == before[table], f"{table} differs after the restore"
        assert _everything_about_each_person(restored) == people_before

        # The restored database is at the migration the code expects: nothing to upgrade.
        # (What `flask db current` and `flask db heads` print; Alembic writes to the stdout
        # it saw at import, which a test cannot capture, so its API is asked instead.)
        with restored.app_context():
            config = restored.extensions["migrate"].migrate.get_config()
            head = ScriptDirectory.from_config(config).get_current_head()
            with db.engine.connect() as conn:
                assert MigrationContext.configure(conn).get_current_revision() == head
        assert before["alembic_version"] == [(head,)]

        # The app works on it: a demo student signs in (new rows get new ids, so the
        # sequences came back too) and sees their own goals, safety plan and bookings.
        uid = students_with_plans[0]
        held = people_before[uid]
        client = restored.test_client()
        Browserless(client).login(held["account"]["email"], DEMO_PASSWORD)
        plan_page = unescape(client.get("/my/plan").get_data(as_text=True))
        for goal in held["learning_plan"]["goals"]:
            assert goal["goal"] in plan_page
        courses_page = unescape(client.get("/my/courses").get_data(as_text=True))
        for booking in held["bookings"]:
            if booking["status"] in ("confirmed", "waitlisted"):
                assert booking["course"] in courses_page
        with restored.app_context():
            newest = db.session.execute(sa.select(sa.func.max(UserSession.id))).scalar_one()
            assert newest > max((row[0] for row in before["user_sessions"]), default=0)
        with_safety = next(u for u, h in people_before.items() if any(
            h["safety_plan"][k] for k in h["safety_plan"] if isinstance(h["safety_plan"][k], str)))
        client = restored.test_client()
        Browserless(client).login(people_before[with_safety]["account"]["email"], DEMO_PASSWORD)
        safety_page = unescape(client.get("/my/safety-plan").get_data(as_text=True))
        for person in people_before[with_safety]["safety_plan"]["trusted_people"]:
            assert person["name"] in safety_page

        # After a restore, retention is applied again (README): it runs on PostgreSQL.
        result = restored.test_cli_runner().invoke(args=["rec", "apply-retention"])
        assert result.exit_code == 0, result.output
        assert "Audit events deleted (older than 24 months): 0" in result.output
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
