"""The schedule of periodic jobs and how a server claims one (``rec run-due``, cli.py).

Each job is one ``flask --app wsgi rec ...`` command, run as it is by hand. Its row in
``scheduled_jobs`` says when it last started; it is due once its interval has passed (a
few seconds' slack, so a job run every minute by cron is not skipped for starting a moment
early), or, for ``apply-retention``, once per UK night after 02:00.

Claiming is one short transaction: the row is locked (PostgreSQL: ``FOR UPDATE SKIP
LOCKED``, so a second server skips the job instead of waiting; SQLite: every transaction
begins with BEGIN IMMEDIATE), checked, and given ``last_started_at``, a lease and the
claiming server's name, then committed. The job runs outside that transaction; its result
is recorded afterwards and the lease cleared. While the lease lasts no other server starts
the job; a run that died (server killed) leaves a lease that passes, and the next run-due
takes the job over. Every command here is safe to run twice at once anyway: the lease only
keeps servers from doing the same work twice. Flushes and commits only its own rows."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from rec_portal.extensions import db
from rec_portal.models.jobs import ScheduledJob
from rec_portal.timeutil import to_uk, uk_to_utc, utcnow

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# A job started this much before its interval is up still counts as due: cron starts
# run-due at about :00 each minute, and a run that began at 12:00:00.4 must not make the
# one at 12:00:59.9 wait until 12:02.
SLACK = timedelta(seconds=10)

# A job whose last run failed is tried again this soon (not a day later for a daily job).
RETRY_FAILED_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Job:
    """``name``: the ``rec`` command it runs. ``every``: how often. ``after_uk``: run once
    per UK day, not before this UK time (``every`` is then a day). ``lease``: how long a
    server holds it before another may take it over (longer than a run takes)."""

    name: str
    every: timedelta
    lease: timedelta = timedelta(minutes=30)
    after_uk: time | None = None

    def due_from(self, last_started_at: datetime | None, failed: bool = False) -> datetime | None:
        """When the job is next due (None: never run, so due now). ``failed``: the last
        run failed, so it is tried again within RETRY_FAILED_AFTER."""
        if last_started_at is None:
            return None
        if failed:
            return min(self.due_from(last_started_at), last_started_at + RETRY_FAILED_AFTER - SLACK)
        if self.after_uk is not None:
            # The first after_uk on a UK day after the one of the last start, or later
            # that same day if it started before after_uk.
            local = to_uk(last_started_at)
            day = local.date() if local.time() < self.after_uk else local.date() + DAY
            return uk_to_utc(day, self.after_uk)
        return last_started_at + self.every - SLACK

    def is_due(self, row: ScheduledJob | None, now: datetime) -> bool:
        if row is not None and row.lease_until is not None and row.lease_until > now:
            return False  # another server is running it
        due = self.due_from(row.last_started_at, row.last_ok is False) if row else None
        return due is None or due <= now


# In the order they run: work that queues messages first, then sending, so a run sends
# what it just queued.
JOBS: tuple[Job, ...] = (
    Job("pass-on-offers", 5 * MINUTE, lease=timedelta(minutes=10)),
    Job("send-reminders", HOUR),
    Job("feedback-invitations", HOUR),
    Job("expire-signups", HOUR),
    Job("expire-invitations", HOUR),
    Job("roster-alerts", DAY),
    Job("attendance-reminders", DAY),
    Job("outcome-invitations", DAY),
    Job("outcome-quarters", DAY),
    Job("expire-referrals", DAY),
    Job("term-figures", DAY),
    Job("apply-retention", DAY, lease=timedelta(hours=2), after_uk=time(2, 0)),
    Job("send-messages", MINUTE, lease=timedelta(minutes=10)),
)
BY_NAME = {job.name: job for job in JOBS}


def this_server() -> str:
    """``host:pid``, what ``run_by`` records."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


@dataclass(frozen=True)
class Claim:
    name: str
    started_at: datetime
    run_by: str


def add_missing_rows() -> None:
    """A row for every job (existing ones left alone, also when another server adds them
    at the same moment). Commits."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ScheduledJob).values([{"name": job.name} for job in JOBS])
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["name"]))
    db.session.commit()


def _locked_row(name: str) -> ScheduledJob | None:
    """The job's row, locked; None when another server holds the lock (PostgreSQL)."""
    return db.session.execute(
        select(ScheduledJob).where(ScheduledJob.name == name)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def claim(name: str, now: datetime | None = None, *, force: bool = False,
          run_by: str | None = None) -> Claim | None:
    """Claim the job if it is due (or ``force``: run it now, unless another server is
    running it). Commits; None when the job is not this server's to run now."""
    job = BY_NAME[name]
    now = now or utcnow()
    try:
        row = _locked_row(name)
        if row is None or not (job.is_due(row, now) or (force and not _leased(row, now))):
            db.session.rollback()
            return None
        row.last_started_at = now
        row.lease_until = now + job.lease
        row.run_by = run_by or this_server()
        claimed = Claim(name, now, row.run_by)
        db.session.commit()
        return claimed
    except Exception:
        db.session.rollback()
        raise


def _leased(row: ScheduledJob, now: datetime) -> bool:
    return row.lease_until is not None and row.lease_until > now


def finish(claimed: Claim, ok: bool, summary: str, now: datetime | None = None) -> None:
    """Record how the run went and clear its lease (only if this run still holds the job:
    one that outlived its lease and was taken over leaves the newer run's row alone).
    Commits."""
    db.session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.name == claimed.name, ScheduledJob.run_by == claimed.run_by,
               ScheduledJob.last_started_at == claimed.started_at)
        .values(last_finished_at=now or utcnow(), last_ok=ok,
                last_summary=" ".join(summary.split())[:500], lease_until=None)
    )
    db.session.commit()


def rows() -> dict[str, ScheduledJob]:
    """Every job's row by name (jobs never run have none yet)."""
    return {row.name: row for row in db.session.execute(select(ScheduledJob)).scalars()}
