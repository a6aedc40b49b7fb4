"""Personal tutors: which tutor each student has, how often their learning plan is
reviewed, and the learning-plan conversations students ask for.

A review itself is a ``PlanReview`` (models/plans.py), recorded by the tutor (or by an
admin as learning advisor); its ``next_review_date`` says when the next one is due, and
before the first review the due date is counted from ``Tutorship.assigned_at``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.timeutil import utcnow

DEFAULT_REVIEW_MONTHS = 3
REVIEW_MONTHS_CHOICES = (1, 2, 3, 4, 6, 12)


class Tutorship(db.Model):
    """A student's personal tutor (at most one). Admins assign and reassign; removing the
    tutor's role or account removes the row (the student then has "no tutor yet")."""

    __tablename__ = "tutorships"
    __table_args__ = (CheckConstraint("review_every_months BETWEEN 1 AND 24", name="interval_sane"),)

    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tutor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    review_every_months: Mapped[int] = mapped_column(default=DEFAULT_REVIEW_MONTHS)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    student: Mapped[User] = relationship(foreign_keys=[student_id])
    tutor: Mapped[User] = relationship(foreign_keys=[tutor_id])


# How the student would like to talk about their plan.
IN_PERSON, PHONE, VIDEO = "in_person", "phone", "video"
WAYS = {IN_PERSON: "In person", PHONE: "Phone call", VIDEO: "Video call"}

# requested -> arranged -> held; or cancelled (by the student or the tutor) at any point.
REQUESTED, ARRANGED, HELD, CANCELLED = "requested", "arranged", "held", "cancelled"
CONVERSATION_STATUSES = {
    REQUESTED: "Asked for",
    ARRANGED: "Arranged",
    HELD: "Held",
    CANCELLED: "Cancelled",
}
OPEN_CONVERSATION_STATUSES = (REQUESTED, ARRANGED)


class PlanConversation(db.Model):
    """A student asked for a conversation about their learning plan. It reaches their
    tutor, or the REC team (admins) when they have none (``tutor_id`` None)."""

    __tablename__ = "plan_conversations"
    __table_args__ = (
        CheckConstraint(f"way IN {tuple(WAYS)!r}", name="way_known"),
        CheckConstraint(f"status IN {tuple(CONVERSATION_STATUSES)!r}", name="status_known"),
        Index("ix_plan_conversations_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Who it went to when asked (None: the REC team); reassigning the tutor moves open ones.
    tutor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    way: Mapped[str] = mapped_column(String(20), default=IN_PERSON)
    # When suits the student, in their words ("weekday mornings").
    when_suits: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # What they would like to talk about (optional).
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=REQUESTED)
    # Set by the tutor when arranging: when, and where or how (a room, a number, a link).
    arranged_for: Mapped[datetime | None]
    arranged_details: Mapped[str] = mapped_column(String(300), default="", server_default="")
    arranged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]

    student: Mapped[User] = relationship(foreign_keys=[student_id])
    tutor: Mapped[User | None] = relationship(foreign_keys=[tutor_id])
    arranged_by: Mapped[User | None] = relationship(foreign_keys=[arranged_by_id])

    @property
    def way_label(self) -> str:
        return WAYS.get(self.way, self.way)

    @property
    def status_label(self) -> str:
        return CONVERSATION_STATUSES.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CONVERSATION_STATUSES
