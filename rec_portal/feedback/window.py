"""When feedback on a session can be given: from when it is completed until the end of
the UK day ``REC_FEEDBACK_OPEN_DAYS`` (42) days after its last date.

The closing time is what lets anonymous answers be shown without being dated: a pool of
anonymous answers (a course in a term, feedback/queries.py) is shown only once every
session in it has closed, so nothing can be added to it any more and what staff see never
changes. The same window applies to students' feedback and facilitators' reflections.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app

from rec_portal.timeutil import to_uk, uk_day_start, utcnow

DEFAULT_OPEN_DAYS = 42


def open_days() -> int:
    return int(current_app.config.get("REC_FEEDBACK_OPEN_DAYS", DEFAULT_OPEN_DAYS))


def last_day(ends_at: datetime | date) -> date:
    """The last UK day feedback can be given on a session whose last date ends at
    ``ends_at`` (naive UTC; a date is taken as a UK day)."""
    day = ends_at if not isinstance(ends_at, datetime) else to_uk(ends_at).date()
    return day + timedelta(days=open_days())


def closes_at(ends_at: datetime | date) -> datetime:
    """When feedback closes (naive UTC): midnight at the end of :func:`last_day`."""
    return uk_day_start(last_day(ends_at) + timedelta(days=1))


def is_open(session, now: datetime | None = None) -> bool:
    """Whether the session's feedback window has not closed yet (whether it has opened
    depends on the session being completed: feedback/operations.py)."""
    return (now or utcnow()) < closes_at(session.ends_at)


def earliest_open_end(now: datetime | None = None) -> datetime:
    """A bound for SQL: a session whose last date ended before this has closed (two days
    of slack for the UK day and clock changes; :func:`is_open` decides exactly)."""
    return (now or utcnow()) - timedelta(days=open_days() + 2)
