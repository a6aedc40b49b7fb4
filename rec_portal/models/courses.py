"""Courses and their dated, bookable sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, func, literal_column, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.timeutil import utcnow

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
COURSE_STATUSES = (DRAFT, PUBLISHED, ARCHIVED)

IN_PERSON, ONLINE = "in_person", "online"
DELIVERY_MODES = (IN_PERSON, ONLINE)
DELIVERY_LABELS = {IN_PERSON: "In person", ONLINE: "Online"}

# Facilitator roles a course can need (co-delivery).
FACILITATOR_ROLES = (
    "peer_specialist",
    "police_mh_coordinator",
    "social_worker",
    "clinician",
    "carer_peer",
    "other",
)
FACILITATOR_ROLE_LABELS = {
    "peer_specialist": "Peer specialist or peer trainer",
    "police_mh_coordinator": "Police mental health co-ordinator",
    "social_worker": "Social worker",
    "clinician": "Clinician",
    "carer_peer": "Carer peer",
    "other": "Other",
}

# Themes the prospectus groups courses by (stored code, heading), in prospectus order.
COURSE_THEMES = {
    "understanding": "Understanding mental health",
    "living_well": "Living well and recovery",
    "staying_safe": "Staying safe",
    "carers": "For carers, family and friends",
    "skills": "Skills, work and peer support",
}
NO_THEME_LABEL = "Other courses"

SCHEDULED, CANCELLED, COMPLETED = "scheduled", "cancelled", "completed"
SESSION_STATUSES = (SCHEDULED, CANCELLED, COMPLETED)

# Whether a session can be booked now (CourseSession.booking_state).
BOOKING_OPEN, BOOKING_NOT_YET_OPEN, BOOKING_CLOSED = "open", "not_yet_open", "closed"


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(f"status IN {COURSE_STATUSES!r}", name="status_known"),
        CheckConstraint(f"delivery IN {DELIVERY_MODES!r}", name="delivery_known"),
        CheckConstraint("content_version >= 1", name="content_version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on display
    learning_outcomes: Mapped[str] = mapped_column(Text, default="")  # one per line
    for_service_users: Mapped[bool] = mapped_column(default=True)
    for_carers: Mapped[bool] = mapped_column(default=True)
    for_staff: Mapped[bool] = mapped_column(default=True)
    # Does a supporter (carer, support worker, friend) coming with a student take one of
    # the session's places?
    supporters_take_place: Mapped[bool] = mapped_column(default=False, server_default=false())
    duration: Mapped[str] = mapped_column(String(100), default="")
    delivery: Mapped[str] = mapped_column(String(20), default=IN_PERSON)
    what_to_expect: Mapped[str] = mapped_column(Text, default="")
    accessibility: Mapped[str] = mapped_column(Text, default="")
    coproduction_note: Mapped[str] = mapped_column(Text, default="")
    content_version: Mapped[int] = mapped_column(default=1)
    # One of COURSE_THEMES ("" until chosen): the prospectus groups courses by it.
    theme: Mapped[str] = mapped_column(String(30), default="", server_default="")
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    roles_needed: Mapped[list[CourseRoleNeed]] = relationship(
        back_populates="course", cascade="all, delete-orphan", lazy="selectin",
        order_by="CourseRoleNeed.role",
    )
    sessions: Mapped[list[CourseSession]] = relationship(back_populates="course")

    @property
    def theme_label(self) -> str:
        return COURSE_THEMES.get(self.theme, NO_THEME_LABEL)


def course_search_text(course=None):
    """What the catalogue's search looks in: title, summary and description, lower case,
    joined by spaces (a search word has no space, so it matches this text exactly when it
    matches one of them). On PostgreSQL a trigram index (pg_trgm, ``ix_courses_search``,
    migration 0017) over this very expression serves ``LIKE '%word%'``; SQLite scans."""
    c = course if course is not None else Course
    space = literal_column("' '")
    return func.lower(c.title + space + c.summary + space + c.description)


# PostgreSQL only: GIN over trigrams of the search text (CREATE EXTENSION pg_trgm, trusted
# since PostgreSQL 13: the database owner may create it, no superuser needed).
Index(
    "ix_courses_search",
    course_search_text().label("search_text"),
    postgresql_using="gin",
    postgresql_ops={"search_text": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")


class CourseRoleNeed(db.Model):
    """A facilitator role a course needs on every session, and how many people in it."""

    __tablename__ = "course_role_needs"
    __table_args__ = (
        CheckConstraint(f"role IN {FACILITATOR_ROLES!r}", name="role_known"),
        CheckConstraint("count >= 1", name="count_positive"),
    )

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(default=1)

    course: Mapped[Course] = relationship(back_populates="roles_needed")


class CourseSession(db.Model):
    """A dated, bookable run of a course (people see "session" or "date")."""

    __tablename__ = "course_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN {SESSION_STATUSES!r}", name="status_known"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    venue: Mapped[str] = mapped_column(Text, default="")
    online_details: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int]
    booking_opens_at: Mapped[datetime | None]
    booking_closes_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=SCHEDULED, index=True)
    # Denormalised from the dates, for filtering and ordering without a join.
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when attendance for the last date is recorded (status becomes completed).
    completed_at: Mapped[datetime | None]
    # Admins are told once about a roster with gaps a week before (rec roster-alerts).
    roster_alert_sent_at: Mapped[datetime | None]
    # The course's content version this session delivered: set when it is completed
    # (until then it delivers the course's current version), so feedback can be compared
    # before and after a content review.
    content_version: Mapped[int | None]
    # A one-to-one individual workshop (arranged from a WorkshopRequest): capacity 1, never
    # listed in the public catalogue or prospectus, never bookable by anyone else.
    individual: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)

    course: Mapped[Course] = relationship(back_populates="sessions")

    @property
    def delivered_version(self) -> int:
        return self.content_version or self.course.content_version

    def booking_state(self, now: datetime) -> str:
        """BOOKING_NOT_YET_OPEN before booking opens, BOOKING_CLOSED once it has closed,
        else BOOKING_OPEN (the catalogue and a learning plan's next dates)."""
        if self.booking_opens_at and now < self.booking_opens_at:
            return BOOKING_NOT_YET_OPEN
        if self.booking_closes_at and now >= self.booking_closes_at:
            return BOOKING_CLOSED
        return BOOKING_OPEN
    dates: Mapped[list[SessionDate]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin",
        order_by="SessionDate.starts_at",
    )


class SessionDate(db.Model):
    __tablename__ = "session_dates"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # Facilitators are reminded once if the register is not taken a day after.
    attendance_reminder_sent_at: Mapped[datetime | None]

    session: Mapped[CourseSession] = relationship(back_populates="dates")


Index("ix_course_sessions_course_id_starts_at", CourseSession.course_id, CourseSession.starts_at)


def lock_session(session_id: int) -> CourseSession | None:
    """Load the session row and hold its lock (and its course's) until the transaction
    ends. The course row is locked first, always in that order: one person's places on
    different dates of a course change one at a time (one place per person per course).
    Every feature that changes a session or who holds a place on it takes this lock.

    Taken once per transaction: asked again for a session it already holds, it returns
    the loaded row without another round trip (the row cannot have changed since, as
    nobody else can change it while the lock is held)."""
    if session_id in _locked_in_this_transaction():
        return db.session.get(CourseSession, session_id)
    db.session.execute(
        select(Course.id)
        .where(Course.id == select(CourseSession.course_id).where(CourseSession.id == session_id)
               .scalar_subquery())
        .with_for_update()
    )
    session = db.session.execute(
        select(CourseSession)
        .where(CourseSession.id == session_id)
        # Its course (locked just above) in the same statement; the course's roles only
        # if something asks for them.
        .options(joinedload(CourseSession.course, innerjoin=True).lazyload(Course.roles_needed))
        .with_for_update(of=CourseSession)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if session is not None:
        _locked_in_this_transaction().add(session_id)
    return session


def _locked_in_this_transaction() -> set[int]:
    """The ids of the sessions ``lock_session`` has locked in the current transaction (an
    empty set in a new one: a commit or rollback releases the locks)."""
    transaction = db.session().get_transaction()
    held = db.session.info.get("locked_sessions")
    if transaction is None or held is None or held[0] is not transaction:
        held = db.session.info["locked_sessions"] = (transaction, set())
    return held[1]
