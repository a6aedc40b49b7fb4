"""Individual workshops: a one-to-one run of a course for someone who cannot attend a
group session.

A ``WorkshopRequest`` is made by a student from a course page and worked through a queue
by admins (new, arranged, completed, closed) with ``WorkshopRequestNote``s. Arranging one
creates a ``CourseSession`` with ``individual`` set (capacity 1, never in the public
catalogue) and a confirmed booking for the student, so the roster rules, confirmation,
calendar file, register, certificate and feedback work exactly as for a group session.

A request follows its individual session (``session_completed``, ``session_cancelled``,
below): scheduling and attendance call these when the session is cancelled or its register
taken, without importing the workshops feature (which itself uses them to arrange one).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, joinedload, lazyload, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import Course, CourseSession
from rec_portal.timeutil import format_uk, utcnow

NEW, ARRANGED, COMPLETED, CLOSED = "new", "arranged", "completed", "closed"
WORKSHOP_STATUSES = (NEW, ARRANGED, COMPLETED, CLOSED)
WORKSHOP_STATUS_LABELS = {
    NEW: "New",
    ARRANGED: "Arranged",
    COMPLETED: "Completed",
    CLOSED: "Closed",
}
# Requests still being worked on (one open request per student per course).
OPEN_STATUSES = (NEW, ARRANGED)

# How the student would like to be contacted about the request.
WORKSHOP_CONTACT_METHODS = {
    "email": "Email",
    "phone": "Phone call",
    "text": "Text message",
}

WORKSHOP_TEXT_MAX = 2000


class WorkshopRequest(db.Model):
    __tablename__ = "workshop_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {WORKSHOP_STATUSES!r}", name="status_known"),
        CheckConstraint(f"contact_method IN {tuple(WORKSHOP_CONTACT_METHODS)!r}", name="contact_method_known"),
        Index("ix_workshop_requests_status_created_at", "status", "created_at"),
        Index("ix_workshop_requests_student_course", "student_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=NEW)
    # The student's own words; all optional except how to contact them.
    why_not_group: Mapped[str] = mapped_column(Text, default="")
    what_would_help: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(Text, default="")
    contact_method: Mapped[str] = mapped_column(String(10), default="email")
    contact_detail: Mapped[str] = mapped_column(String(200), default="")
    # The one-to-one session arranged for it (an ``individual`` CourseSession).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_sessions.id", ondelete="SET NULL"), index=True, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    arranged_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    student: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    session: Mapped[CourseSession | None] = relationship()
    notes: Mapped[list[WorkshopRequestNote]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="WorkshopRequestNote.id"
    )

    @property
    def status_label(self) -> str:
        return WORKSHOP_STATUS_LABELS[self.status]


class WorkshopRequestNote(db.Model):
    """A note an admin adds to a request (calls made, what was agreed ...)."""

    __tablename__ = "workshop_request_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("workshop_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[WorkshopRequest] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


# --- A request follows its individual session -------------------------------------------

def request_of_session(session: CourseSession) -> WorkshopRequest | None:
    return db.session.execute(
        select(WorkshopRequest).where(WorkshopRequest.session_id == session.id)
    ).scalar_one_or_none()


def add_request_note(request: WorkshopRequest, text: str, by: User | None,
             when: datetime | None = None) -> WorkshopRequestNote:
    note = WorkshopRequestNote(text=text, author_id=getattr(by, "id", None), created_at=when or utcnow())
    request.notes.append(note)
    return note


def session_completed(session: CourseSession, *, now: datetime | None = None) -> WorkshopRequest | None:
    """The individual session's register was taken: its request is completed (flushes)."""
    request = request_of_session(session)
    if request is None or request.status != ARRANGED:
        return request
    request.status = COMPLETED
    request.completed_at = now or utcnow()
    add_request_note(request, "The register was taken, so the workshop is completed.", None, request.completed_at)
    db.session.flush()
    return request


def session_cancelled(session: CourseSession, *, now: datetime | None = None) -> WorkshopRequest | None:
    """The individual session was cancelled: its request is back in the queue as new (flushes)."""
    request = request_of_session(session)
    if request is None or request.status != ARRANGED:
        return request
    request.status = NEW
    request.session = None
    request.arranged_at = None
    add_request_note(
        request, f"The workshop on {format_uk(session.starts_at)} was cancelled, so the request is new again.", None,
    )
    db.session.flush()
    return request


def requests_of_student(student_id: int) -> list[WorkshopRequest]:
    """The student's requests, newest first (one statement, courses joined in), for their
    "My courses" page."""
    return list(
        db.session.execute(
            select(WorkshopRequest)
            .where(WorkshopRequest.student_id == student_id)
            .options(joinedload(WorkshopRequest.course), lazyload(WorkshopRequest.session))
            .order_by(WorkshopRequest.created_at.desc(), WorkshopRequest.id.desc())
        ).scalars()
    )
