"""Bookings: a student's place (or place in the waiting list) on a session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import CourseSession
from rec_portal.timeutil import utcnow

CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
BOOKING_STATUSES = (CONFIRMED, WAITLISTED, CANCELLED)
SELF, ADMIN = "self", "admin"


class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES!r}", name="status_known"),
        CheckConstraint(f"made_by IN {(SELF, ADMIN)!r}", name="made_by_known"),
        # At most one active booking per student per session (cancelled ones don't count).
        Index(
            "uq_bookings_active_student_session",
            "session_id",
            "student_id",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_bookings_session_id_status_queued_at", "session_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    made_by: Mapped[str] = mapped_column(String(10), default=SELF)
    made_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Arrival time: the waiting list is served in this order (then by id).
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Set when a place came from the waiting list, so the student can be told on their page.
    promoted_at: Mapped[datetime | None]
    # A waiting-list place passed over because the person holds a place on another date of
    # the same course: when they were told a place is free and they can swap (told once).
    swap_offered_at: Mapped[datetime | None]
    # The reminder two days before is sent once.
    reminder_sent_at: Mapped[datetime | None]

    session: Mapped[CourseSession] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    made_by_user: Mapped[User | None] = relationship(foreign_keys=[made_by_user_id])
