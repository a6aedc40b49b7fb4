"""Attendance registers: present or absent, per booking and session date."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Select, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.bookings import CONFIRMED, Booking
from rec_portal.models.courses import CourseSession, SessionDate
from rec_portal.timeutil import utcnow

PRESENT, ABSENT = "present", "absent"
ATTENDANCE_STATUSES = (PRESENT, ABSENT)


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("booking_id", "session_date_id"),
        CheckConstraint(f"status IN {ATTENDANCE_STATUSES!r}", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    session_date_id: Mapped[int] = mapped_column(
        ForeignKey("session_dates.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    booking: Mapped[Booking] = relationship()
    session_date: Mapped[SessionDate] = relationship()


# --- Having completed a course: the one rule ------------------------------------------------
# A student has completed a course when they had a confirmed place on a session of it whose
# last date has ended, and were marked present on at least one of its dates. It is the rule
# of the certificate of attendance (attendance/certificates.py) and of learning pathways
# (pathways/queries.py), so a course counts towards a pathway exactly when its certificate
# can be downloaded.


def place_is_over(booking: Booking, now: datetime) -> bool:
    """A confirmed place on a session that is over (its last date has ended): with a
    "present" mark, it completes the course."""
    return booking.status == CONFIRMED and booking.session.ends_at <= now


def courses_completed(now: datetime, *conditions) -> Select:
    """Every place that completed a course (see above), as a statement of (student_id,
    course_id, booking_id, completed_on), ``completed_on`` the start of the last date the
    student was marked present. ``conditions`` may use Booking, CourseSession, SessionDate
    and Attendance (for example ``Booking.student_id == 7``)."""
    return (
        select(
            Booking.student_id.label("student_id"),
            CourseSession.course_id.label("course_id"),
            Booking.id.label("booking_id"),
            func.max(SessionDate.starts_at).label("completed_on"),
        )
        .select_from(Attendance)
        .join(Booking, Booking.id == Attendance.booking_id)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .join(SessionDate, SessionDate.id == Attendance.session_date_id)
        .where(Attendance.status == PRESENT, Booking.status == CONFIRMED, CourseSession.ends_at <= now,
               *conditions)
        .group_by(Booking.id, Booking.student_id, CourseSession.course_id)
    )
