"""``flask --app wsgi rec run-due``: every periodic job that is due, once, on SQLite (the
same on several servers at once: tests/pg/test_two_servers.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from rec_portal.commands import rec_cli
from rec_portal.extensions import db
from rec_portal.jobs import operations
from rec_portal.jobs.operations import JOBS, Job
from rec_portal.models import OutboxMessage
from rec_portal.models.jobs import ScheduledJob
from rec_portal.timeutil import uk_to_utc, utcnow
from tests.smtp import queue


def run(app, *args):
    return app.test_cli_runner().invoke(args=["rec", "run-due", *args])


def ran(result) -> list[str]:
    """The jobs a run-due printed as run, in order."""
    return [line.split(":")[0] for line in result.output.splitlines()
            if line.endswith((": done.", ": FAILED."))]


def set_rows(**started_ago: timedelta) -> None:
    now = utcnow()
    for name, ago in started_ago.items():
        row = db.session.get(ScheduledJob, name) or ScheduledJob(name=name)
        row.last_started_at = row.last_finished_at = now - ago
        row.last_ok, row.run_by = True, "earlier:1"
        db.session.add(row)
    db.session.commit()


def stored() -> dict[str, ScheduledJob]:
    db.session.expire_all()
    return {row.name: row for row in db.session.execute(select(ScheduledJob)).scalars()}


def waiting_email(app) -> int:
    with app.app_context():
        queue(["someone@example.org"])
        return db.session.execute(select(OutboxMessage.id)).scalar_one()


def status(app, message_id) -> str:
    with app.app_context():
        return db.session.get(OutboxMessage, message_id).status


def test_every_job_runs_the_first_time_and_a_second_run_right_after_runs_nothing(app):
    message = waiting_email(app)
    first = run(app)
    assert first.exit_code == 0, first.output
    assert ran(first) == [job.name for job in JOBS]
    assert "  Outbox: sent 0, logged 1" in first.output  # what send-messages printed
    assert status(app, message) == "logged"  # no SMTP server in tests: written to the log
    with app.app_context():
        rows = stored()
        assert set(rows) == {job.name for job in JOBS}
        assert all(r.last_ok and r.lease_until is None and r.last_finished_at for r in rows.values())
        assert rows["send-messages"].last_summary.startswith("Outbox: sent 0, logged 1")
        before = {name: r.last_started_at for name, r in rows.items()}

    again = run(app)
    assert again.exit_code == 0 and again.output == ""
    with app.app_context():
        assert {name: r.last_started_at for name, r in stored().items()} == before


def test_only_the_jobs_that_are_due_run(app):
    with app.app_context():
        half_an_hour = {job.name: timedelta(minutes=30) for job in JOBS}
        # Retention ran a minute ago (so tonight's is not due yet).
        set_rows(**{**half_an_hour, "apply-retention": timedelta(minutes=1),
                    "send-reminders": timedelta(hours=1, seconds=1)})
    message = waiting_email(app)
    result = run(app)
    assert result.exit_code == 0, result.output
    # Every minute, every 5 minutes, and the hourly one last run over an hour ago.
    assert ran(result) == ["pass-on-offers", "send-reminders", "send-messages"]
    assert status(app, message) == "logged"
    with app.app_context():
        rows = stored()
        assert rows["roster-alerts"].last_started_at < utcnow() - timedelta(minutes=29)
        assert rows["send-messages"].last_started_at > utcnow() - timedelta(minutes=1)


def test_a_job_that_fails_is_recorded_and_the_others_still_run(app, monkeypatch):
    def broken():
        raise RuntimeError("the roster table is on fire")

    monkeypatch.setattr(rec_cli.commands["roster-alerts"], "callback", broken)
    message = waiting_email(app)
    result = run(app)
    assert result.exit_code == 1
    assert "roster-alerts: FAILED." in result.output
    assert "RuntimeError: the roster table is on fire" in result.output
    assert "Failed: roster-alerts" in result.output
    assert ran(result) == [job.name for job in JOBS]  # the ones after it ran too
    assert status(app, message) == "logged"
    with app.app_context():
        rows = stored()
        assert rows["roster-alerts"].last_ok is False and rows["roster-alerts"].lease_until is None
        assert "on fire" in rows["roster-alerts"].last_summary
        assert all(r.last_ok for name, r in rows.items() if name != "roster-alerts")


def test_a_command_that_exits_with_a_failure_status_counts_as_failed(app, monkeypatch):
    def gives_up():
        raise SystemExit(1)

    monkeypatch.setattr(rec_cli.commands["pass-on-offers"], "callback", gives_up)
    result = run(app)
    assert result.exit_code == 1 and "pass-on-offers: FAILED." in result.output
    with app.app_context():
        assert stored()["pass-on-offers"].last_ok is False


def test_a_stale_lease_is_taken_over_and_a_live_one_is_left_alone(app):
    now = utcnow()
    with app.app_context():
        set_rows(**{job.name: timedelta(minutes=30) for job in JOBS})
        rows = stored()
        # A server died while sending 20 minutes ago: its lease (10 minutes) has passed.
        rows["send-messages"].lease_until = now - timedelta(minutes=10)
        rows["send-messages"].run_by = "dead-server:99"
        # Another server is passing on offers right now.
        rows["pass-on-offers"].last_started_at = now - timedelta(minutes=6)
        rows["pass-on-offers"].lease_until = now + timedelta(minutes=4)
        rows["pass-on-offers"].run_by = "busy-server:7"
        db.session.commit()
    result = run(app)
    assert ran(result) == ["send-messages"]
    with app.app_context():
        rows = stored()
        assert rows["send-messages"].run_by == operations.this_server()
        assert rows["send-messages"].lease_until is None and rows["send-messages"].last_ok
        assert rows["pass-on-offers"].run_by == "busy-server:7"

    # Even by hand, a job another server is running is not started twice.
    forced = run(app, "--job", "pass-on-offers")
    assert forced.exit_code == 0
    assert "pass-on-offers: not run: another server is running it now." in forced.output
    # A job that is not due runs when asked for by name.
    forced = run(app, "--job", "roster-alerts")
    assert ran(forced) == ["roster-alerts"]
    with app.app_context():
        assert stored()["roster-alerts"].last_started_at > now - timedelta(seconds=1)


def test_the_list_shows_each_job_how_often_and_when_it_is_next_due(app):
    with app.app_context():
        set_rows(**{"roster-alerts": timedelta(hours=2)})
    result = run(app, "--list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert set(lines) == {job.name for job in JOBS}
    assert "every minute" in lines["send-messages"] and "never run; next due: now" in lines["send-messages"]
    assert "daily after 02:00 UK" in lines["apply-retention"]
    assert "daily" in lines["roster-alerts"] and "(ok, earlier:1)" in lines["roster-alerts"]
    assert "next due: now" not in lines["roster-alerts"]
    with app.app_context():  # the list runs nothing
        assert stored()["send-messages"].last_started_at is None


@pytest.mark.parametrize("started_uk, due_uk", [
    (datetime(2026, 12, 7, 2, 30), datetime(2026, 12, 8, 2, 0)),   # after 02:00: tomorrow night
    (datetime(2026, 12, 7, 1, 0), datetime(2026, 12, 7, 2, 0)),    # before 02:00: tonight
    (datetime(2026, 7, 7, 23, 59), datetime(2026, 7, 8, 2, 0)),    # summer time (BST)
    (datetime(2026, 3, 28, 3, 0), datetime(2026, 3, 29, 2, 0)),    # the clocks go forward at 01:00
])
def test_retention_runs_once_per_uk_night_after_two(started_uk, due_uk):
    job = operations.BY_NAME["apply-retention"]
    assert job.after_uk == time(2, 0)
    started = uk_to_utc(started_uk.date(), started_uk.time())
    assert job.due_from(started) == uk_to_utc(due_uk.date(), due_uk.time())


def test_an_interval_job_started_a_moment_early_by_cron_is_still_due():
    job = Job("send-messages", timedelta(minutes=1))
    started = datetime(2026, 12, 7, 12, 0, 0, 400000)
    assert job.due_from(started) <= datetime(2026, 12, 7, 12, 0, 59, 900000)
    assert job.due_from(started) > datetime(2026, 12, 7, 12, 0, 30)


def test_every_rec_command_is_scheduled_or_known_to_be_run_by_hand(app):
    """A new periodic command must join the schedule (or this list, if it is not periodic)."""
    by_hand = {"demo-data", "demo-logins", "create-admin", "send-mail", "run-due"}
    assert set(rec_cli.commands) - by_hand == {job.name for job in JOBS}


def test_term_figures_stores_the_last_ended_terms_equality_counts_once(app):
    from rec_portal.models.equality import EqualityTerm
    from rec_portal.stats.terms import term_of
    from rec_portal.timeutil import uk_today

    ended = term_of(uk_today()).previous()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["rec", "term-figures"])
    assert first.exit_code == 0 and first.output == f"Stored the equality counts of the {ended.label}.\n"
    again = runner.invoke(args=["rec", "term-figures"])
    assert again.output == f"The equality counts of the {ended.label} were already stored.\n"
    with app.app_context():
        assert db.session.execute(select(EqualityTerm.term_key)).scalars().all() == [ended.key]


def test_a_job_whose_last_run_failed_is_tried_again_within_a_quarter_of_an_hour(app):
    with app.app_context():
        set_rows(**{job.name: timedelta(minutes=20) for job in JOBS})
        rows = stored()
        rows["roster-alerts"].last_ok = False  # daily, failed 20 minutes ago
        rows["outcome-quarters"].last_ok = False  # daily, failed 5 minutes ago
        rows["outcome-quarters"].last_started_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    result = run(app)
    assert ran(result) == ["pass-on-offers", "roster-alerts", "send-messages"]
    with app.app_context():
        assert stored()["roster-alerts"].last_ok is True
