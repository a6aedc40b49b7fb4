"""Reading the call list: open lines (work to do), lines no longer needed, lines done."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.contact import ContactTask
from rec_portal.models.courses import CourseSession
from rec_portal.timeutil import utcnow

RECENT = timedelta(days=14)


def _open(now: datetime):
    return (ContactTask.closed_at.is_(None),
            or_(ContactTask.useless_after.is_(None), ContactTask.useless_after > now))


def _loaded(query):
    return query.options(
        selectinload(ContactTask.person).selectinload(User.profile),
        selectinload(ContactTask.session).selectinload(CourseSession.course),
        selectinload(ContactTask.outcome_by),
    )


def open_count(now: datetime | None = None) -> int:
    """How many lines are work to do (open and still useful)."""
    now = now or utcnow()
    return db.session.execute(select(func.count()).select_from(ContactTask).where(*_open(now))).scalar_one()


def open_lines(now: datetime | None = None, *, page: int = 1, per_page: int = 25) -> list[ContactTask]:
    """Open lines: the soonest "useful until" first (lines with none after), then the
    oldest first."""
    now = now or utcnow()
    return list(db.session.execute(_loaded(
        select(ContactTask).where(*_open(now))
        .order_by(ContactTask.useless_after.is_(None), ContactTask.useless_after,
                  ContactTask.created_at, ContactTask.id)
        .limit(per_page).offset((page - 1) * per_page)
    )).scalars())


def no_longer_needed(now: datetime | None = None) -> list[ContactTask]:
    """Lines nobody closed whose message stopped being useful in the last 14 days (a place
    that can no longer be taken): shown apart, not as work to do."""
    now = now or utcnow()
    return list(db.session.execute(_loaded(
        select(ContactTask).where(
            ContactTask.closed_at.is_(None), ContactTask.useless_after <= now,
            ContactTask.useless_after > now - RECENT,
        ).order_by(ContactTask.useless_after.desc(), ContactTask.id.desc())
    )).scalars())


def recently_done(now: datetime | None = None) -> list[ContactTask]:
    """Lines closed in the last 14 days, the latest first."""
    now = now or utcnow()
    return list(db.session.execute(_loaded(
        select(ContactTask).where(ContactTask.closed_at > now - RECENT)
        .order_by(ContactTask.closed_at.desc(), ContactTask.id.desc())
    )).scalars())


def line(task_id: int) -> ContactTask | None:
    return db.session.execute(_loaded(select(ContactTask).where(ContactTask.id == task_id))).scalar_one_or_none()
