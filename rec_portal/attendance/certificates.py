"""What a student sees about their own attendance: the status on My courses and the
certificate of attendance. Read-only, in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, RosterAssignment, SessionDate, User
from rec_portal.models.attendance import PRESENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import COMPLETED

ATTENDED, NOT_ATTENDED, NOT_RECORDED, WAITING = "attended", "not_attended", "not_recorded", "waiting"


@dataclass(frozen=True)
class AttendanceStatus:
    """A booking's attendance, as its student sees it on My courses."""

    state: str  # ATTENDED, NOT_ATTENDED, NOT_RECORDED or WAITING
    present: int = 0  # dates marked present
    dates: int = 1  # dates the session has

    @property
    def attended(self) -> bool:
        return self.state == ATTENDED

    @property
    def label(self) -> str:
        if self.state == ATTENDED:
            return "Attended" if self.dates <= 1 else f"Attended {self.present} of {self.dates} dates"
        return {
            NOT_ATTENDED: "Not attended",
            NOT_RECORDED: "Attendance not recorded yet",
            WAITING: "You were on the waiting list",
        }[self.state]


def _marks(booking_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(dates marked present, dates marked at all) per booking, in one statement."""
    if not booking_ids:
        return {}
    rows = db.session.execute(
        select(
            Attendance.booking_id,
            func.sum(case((Attendance.status == PRESENT, 1), else_=0)),
            func.count(Attendance.id),
        )
        .where(Attendance.booking_id.in_(booking_ids))
        .group_by(Attendance.booking_id)
    ).all()
    return {booking_id: (int(present or 0), int(marked)) for booking_id, present, marked in rows}


def statuses_for(bookings: list[Booking]) -> dict[int, AttendanceStatus]:
    """The attendance status of each booking (by booking id): one statement, whatever
    their number. The bookings' sessions and dates must already be loaded."""
    marks = _marks([b.id for b in bookings if b.status == CONFIRMED])
    result = {}
    for booking in bookings:
        dates = max(len(booking.session.dates), 1)
        if booking.status != CONFIRMED:
            result[booking.id] = AttendanceStatus(WAITING, dates=dates)
            continue
        present, marked = marks.get(booking.id, (0, 0))
        if present:
            state = ATTENDED
        elif marked or booking.session.status == COMPLETED:
            state = NOT_ATTENDED
        else:
            state = NOT_RECORDED
        result[booking.id] = AttendanceStatus(state, present=present, dates=dates)
    return result


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
    register was taken early, not a cancelled place)."""
    return booking.status == CONFIRMED and booking.session.ends_at <= now


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
