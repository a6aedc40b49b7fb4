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
# A place freed and held for the first person waiting until ``offer_expires_at``: it
# counts against capacity, and becomes CONFIRMED when they accept.
OFFERED = "offered"
BOOKING_STATUSES = (CONFIRMED, WAITLISTED, CANCELLED, OFFERED)
STATUS_LABELS = {
    CONFIRMED: "booked",
    WAITLISTED: "on the waiting list",
    OFFERED: "a place is held for them",
    CANCELLED: "cancelled",
}
# Statuses that take one of the session's places.
TAKES_A_PLACE = (CONFIRMED, OFFERED)
# Why a booking was cancelled, when it was not simply cancelled by the person or staff.
DECLINED_OFFER, LEFT_LIST = "declined_offer", "left_list"
# Who comes with the student (course.supporters_take_place says whether they take a place).
SUPPORTERS = {
    "carer": "Carer",
    "support_worker": "Support worker",
    "friend": "Friend or family member",
    "other": "Someone else",
}
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
        # The term report's "bookings made in the term" reads only that term's rows.
        Index("ix_bookings_queued_at", "queued_at"),
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
    # A place offered from the waiting list (status OFFERED): when, and until when it is
    # held for them. An unanswered offer passes to the next person at offer_expires_at.
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    # The last time an offer to them lapsed unanswered (they went back in line).
    offer_lapsed_at: Mapped[datetime | None]
    # Told that a place freed in the last hours is free to whoever accepts first (once
    # per freed place: the time of the last such message).
    last_minute_told_at: Mapped[datetime | None]
    # DECLINED_OFFER, LEFT_LIST or None.
    cancelled_reason: Mapped[str | None] = mapped_column(String(30))
    # A supporter coming with them: a key of SUPPORTERS, or "" for nobody.
    supporter: Mapped[str] = mapped_column(String(20), default="", server_default="")

    session: Mapped[CourseSession] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    made_by_user: Mapped[User | None] = relationship(foreign_keys=[made_by_user_id])

    @property
    def status_label(self) -> str:
        """The status in words for staff pages ("booked", "on the waiting list" ...)."""
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def supporter_label(self) -> str:
        """"Carer", "Support worker" ... or "" when nobody comes with them."""
        return SUPPORTERS.get(self.supporter or "", "")
