"""Reaching people by their contact preference: the staff call list (people to phone or
write to, and why) and messages sent to everyone on a session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import CourseSession
from rec_portal.timeutil import utcnow

# How staff reach the person: a phone call, or a letter by post.
PHONE, LETTER = "phone", "letter"
METHODS = (PHONE, LETTER)

# Outcomes staff record. Only NO_ANSWER leaves the line open (try again).
SPOKE = "spoke"
LEFT_MESSAGE = "left_message"
NO_ANSWER = "no_answer"
WRONG_NUMBER = "wrong_number"
LETTER_SENT = "letter_sent"
NOT_NEEDED = "not_needed"
OUTCOMES = {
    SPOKE: "Spoke to them",
    LEFT_MESSAGE: "Left a message",
    NO_ANSWER: "No answer (try again)",
    WRONG_NUMBER: "Wrong or unknown number",
    LETTER_SENT: "Letter sent",
    NOT_NEEDED: "No longer needed",
}
OPEN_OUTCOMES = (NO_ANSWER,)


class ContactTask(db.Model):
    """A line on the staff call list (/admin/calls): someone to phone (or write to) because
    a message could not go by email or text (their preference is a phone call or a letter,
    they have neither email nor mobile, or a text to their number failed), or because a
    place freed at the last minute. ``message`` is what to tell them; the outcome is
    recorded by staff. A line is open until an outcome other than "no answer" is recorded,
    or until ``useless_after`` (a place that can no longer be taken)."""

    __tablename__ = "contact_tasks"
    __table_args__ = (
        CheckConstraint(f"method IN {METHODS!r}", name="method_known"),
        Index("ix_contact_tasks_closed_at_created_at", "closed_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_sessions.id", ondelete="SET NULL"), index=True
    )
    # What kind of message this stands for (the message kinds of notifications.contact).
    kind: Mapped[str] = mapped_column(String(30))
    method: Mapped[str] = mapped_column(String(10), default=PHONE)
    # Why this line exists, in plain words for staff ("Prefers a phone call", "Their text
    # to 07700 900123 could not be delivered").
    reason: Mapped[str] = mapped_column(String(300))
    # What to tell them.
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    useless_after: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    outcome_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    outcome_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    person: Mapped[User] = relationship(foreign_keys=[user_id])
    outcome_by: Mapped[User | None] = relationship(foreign_keys=[outcome_by_id])
    session: Mapped[CourseSession | None] = relationship()


class ClassMessage(db.Model):
    """A message written by an admin or a rostered facilitator to everyone booked on a
    session (and, if chosen, everyone waiting). Each person's copy goes by their contact
    preference through the outbox or the call list; this row records who wrote what to
    how many."""

    __tablename__ = "class_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    include_waiting: Mapped[bool] = mapped_column(default=False)
    recipients: Mapped[int] = mapped_column(default=0)
    by_email: Mapped[int] = mapped_column(default=0)
    by_text: Mapped[int] = mapped_column(default=0)
    by_call_list: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sender: Mapped[User | None] = relationship()
