"""The certificate of attendance a student can download (their attendance status on My
courses is bookings/queries.py's statuses_for). Read-only, in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, RosterAssignment, SessionDate, User
from rec_portal.models.attendance import PRESENT, place_is_over

@dataclass
class Certificate:
    """Everything printed on a certificate of attendance."""

    booking: Booking
    dates_attended: list[SessionDate]
    facilitators: list[tuple[str, str]] = field(default_factory=list)  # (full name, role label)
    issued_on: datetime | None = None

    @property
    def student(self) -> User:
        return self.booking.student

    @property
    def course_title(self) -> str:
        return self.booking.session.course.title

    @property
    def density(self) -> int:
        """How much there is to fit on the one page: 0 for most certificates, 1 for long
        names, titles, date lists or teams, 2 for very long ones (the template shrinks)."""
        name, title = len(self.student.full_name), len(self.course_title)
        load = sum((name > 34, name > 80, title > 48, title > 100, len(self.dates_attended) > 4,
                    len(self.dates_attended) > 8, len(self.facilitators) > 3))
        return 0 if load == 0 else (1 if load < 3 else 2)


def may_have_certificate(booking: Booking, now: datetime) -> bool:
    """A certificate is only for a confirmed place on a session that is over: its last
    date has ended (not half-way through a course, not before the end of a session whose
    register was taken early, not a cancelled place). With a "present" mark it completes
    the course: the one rule, models/attendance.py, which learning pathways count by too."""
    return place_is_over(booking, now)


def certificate_for(booking: Booking, issued_on: datetime) -> Certificate | None:
    """The certificate for ``booking`` issued at ``issued_on`` (now), or None if there is
    none: the place is not confirmed, the session is not over yet (see
    :func:`may_have_certificate`), or its student was never marked present. Two
    statements: the dates attended and the roster."""
    if not may_have_certificate(booking, issued_on):
        return None
    attended = list(
        db.session.execute(
            select(SessionDate)
            .join(Attendance, Attendance.session_date_id == SessionDate.id)
            .where(Attendance.booking_id == booking.id, Attendance.status == PRESENT)
            .order_by(SessionDate.starts_at)
        ).scalars()
    )
    if not attended:
        return None
    roster = db.session.execute(
        select(User.full_name, RosterAssignment)
        .join(User, User.id == RosterAssignment.user_id)
        .where(RosterAssignment.session_id == booking.session_id, User.anonymised_at.is_(None))
        .order_by(RosterAssignment.role, func.lower(User.full_name))
    ).all()
    return Certificate(
        booking=booking,
        dates_attended=attended,
        facilitators=[(name, assignment.role_label) for name, assignment in roster],
        issued_on=issued_on,
    )
