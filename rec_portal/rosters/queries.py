"""Read-only roster questions other features ask (class lists, registers, /facilitate)."""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import CourseSession, RosterAssignment


def is_rostered(user_id: int, session_id: int) -> bool:
    """Whether ``user_id`` is on the roster of ``session_id`` (any role)."""
    return db.session.execute(
        select(RosterAssignment.id).where(
            RosterAssignment.user_id == user_id, RosterAssignment.session_id == session_id
        )
    ).first() is not None


def assignments_of(user_id: int) -> list[RosterAssignment]:
    """Every roster place of ``user_id``, soonest session first (session and course
    loaded with it)."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.execute(
            select(RosterAssignment)
            .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
            .where(RosterAssignment.user_id == user_id)
            .options(joinedload(RosterAssignment.session).joinedload(CourseSession.course))
            .order_by(CourseSession.starts_at)
        ).scalars()
    )
