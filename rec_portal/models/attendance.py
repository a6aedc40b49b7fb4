"""Attendance registers: present or absent, per booking and session date."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.bookings import Booking
from rec_portal.models.courses import SessionDate
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
