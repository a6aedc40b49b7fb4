"""Confidential support requests: a person asking for someone from the REC to contact
them, and a facilitator's concern about a student's safety. Only staff with the
``support_lead`` role see them; every view is audited. Nothing here ever copies a safety
plan's content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import CourseSession
from rec_portal.timeutil import utcnow

# What started it.
ASKED, CONCERN = "asked", "concern"
KINDS = {ASKED: "Asked to be contacted", CONCERN: "Facilitator's concern"}

# Where the person asked from (for the queue: it tells the support lead the context).
CAME_FROM = {
    "safety_plan": "Safety plan",
    "support_guide": "Support guide",
    "crime_questions": "Questions about crime",
    "account": "My account",
    "reflection": "Facilitator reflection",
}

# How the person would like to be contacted.
PHONE, TEXT, EMAIL = "phone", "text", "email"
HOW = {PHONE: "Phone call", TEXT: "Text message", EMAIL: "Email"}

NEW, CONTACTED, CLOSED = "new", "contacted", "closed"
STATUSES = {NEW: "New", CONTACTED: "Contacted", CLOSED: "Closed"}


class SupportRequest(db.Model):
    __tablename__ = "support_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN {tuple(KINDS)!r}", name="kind_known"),
        CheckConstraint(f"status IN {tuple(STATUSES)!r}", name="status_known"),
        Index("ix_support_requests_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=ASKED)
    came_from: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The person the request is about (who asked, or the student a facilitator named).
    # None only for concerns moved out of old feedback that named nobody.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Who raised it: the person themself, or the facilitator.
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The session a concern arose in.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_sessions.id", ondelete="SET NULL"), index=True
    )
    # How to contact the person ("" for a concern), when it is safe to call, and whether
    # a message may be left (None: not said).
    how: Mapped[str] = mapped_column(String(10), default="", server_default="")
    contact_detail: Mapped[str] = mapped_column(String(254), default="", server_default="")
    safe_times: Mapped[str] = mapped_column(String(300), default="", server_default="")
    may_leave_message: Mapped[bool | None]
    # The person's own words (optional), or the facilitator's concern.
    details: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=NEW)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)

    person: Mapped[User | None] = relationship(foreign_keys=[person_id])
    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    session: Mapped[CourseSession | None] = relationship()
    notes: Mapped[list[SupportRequestNote]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="SupportRequestNote.id"
    )

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def how_label(self) -> str:
        return HOW.get(self.how, "")

    @property
    def came_from_label(self) -> str:
        return CAME_FROM.get(self.came_from, "")


class SupportRequestNote(db.Model):
    """A support lead's note on a request (what was done, who spoke to whom)."""

    __tablename__ = "support_request_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The state the request was moved to with this note ("" when unchanged).
    status_to: Mapped[str] = mapped_column(String(20), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
