"""What registers and attendance summaries show, in a fixed number of queries whatever
the number of people or sessions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, CourseSession, SessionDate, User
from rec_portal.models.accounts import distinct_names
from rec_portal.models.attendance import ABSENT, PRESENT
from rec_portal.models.bookings import CONFIRMED


@dataclass
class RegisterRow:
    booking: Booking
    status: str | None  # present, absent, or None (not marked yet)
    # The person's name on this register, told apart from anyone else on it with the same
    # preferred name ("Jo S.", models.accounts.distinct_names).
    name: str = ""

    @property
    def student(self) -> User:
        return self.booking.student


@dataclass
class Count:
    """How much of one date's register is taken."""

    total: int = 0
    present: int = 0
    absent: int = 0

    @property
    def marked(self) -> int:
        return self.present + self.absent

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.marked >= self.total

    @property
    def started(self) -> bool:
        return self.marked > 0

    def words(self) -> str:
        """'9 of 12 marked: 8 present, 1 absent'."""
        return f"{self.marked} of {self.total} marked: {self.present} present, {self.absent} absent"


def count_rows(rows: list[RegisterRow]) -> Count:
    return Count(
        total=len(rows),
        present=sum(1 for r in rows if r.status == PRESENT),
        absent=sum(1 for r in rows if r.status == ABSENT),
    )


def register_rows(session_date: SessionDate) -> list[RegisterRow]:
    """Everyone with a confirmed place on the session, by preferred name, with their mark
    for ``session_date`` (one query, plus the fixed loads of each person's profile)."""
    rows = db.session.execute(
        select(Booking, Attendance.status)
        .join(User, User.id == Booking.student_id)
        .outerjoin(
            Attendance,
            (Attendance.booking_id == Booking.id) & (Attendance.session_date_id == session_date.id),
        )
        .where(Booking.session_id == session_date.session_id, Booking.status == CONFIRMED)
        .options(joinedload(Booking.student))
        .order_by(func.lower(User.preferred_name), func.lower(User.full_name), Booking.id)
    ).all()
    names = distinct_names(booking.student for booking, _status in rows)
    return [RegisterRow(booking, status, names[booking.student_id]) for booking, status in rows]


@dataclass
class DateAttendance:
    session_date: SessionDate
    count: Count


@dataclass
class SessionAttendance:
    session_id: int
    booked: int = 0
    dates: list[DateAttendance] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        """Every date's register is fully taken (and someone was booked)."""
        return self.booked > 0 and all(d.count.complete for d in self.dates)

    @property
    def started(self) -> bool:
        return any(d.count.started for d in self.dates)

    def for_date(self, session_date_id: int) -> Count:
        for d in self.dates:
            if d.session_date.id == session_date_id:
                return d.count
        return Count(total=self.booked)


def attendance_summaries(sessions: list[CourseSession]) -> dict[int, SessionAttendance]:
    """Per session: confirmed places and, per date, how many are marked present or absent
    (marks of bookings no longer confirmed are not counted). Two queries in all."""
    ids = [s.id for s in sessions]
    if not ids:
        return {}
    booked = dict(
        db.session.execute(
            select(Booking.session_id, func.count())
            .where(Booking.session_id.in_(ids), Booking.status == CONFIRMED)
            .group_by(Booking.session_id)
        ).all()
    )
    marks: dict[tuple[int, str], int] = {}
    for date_id, status, n in db.session.execute(
        select(Attendance.session_date_id, Attendance.status, func.count())
        .join(Booking, Booking.id == Attendance.booking_id)
        .where(Booking.session_id.in_(ids), Booking.status == CONFIRMED)
        .group_by(Attendance.session_date_id, Attendance.status)
    ).all():
        marks[(date_id, status)] = n
    result = {}
    for s in sessions:
        total = booked.get(s.id, 0)
        result[s.id] = SessionAttendance(
            session_id=s.id,
            booked=total,
            dates=[
                DateAttendance(d, Count(total=total, present=marks.get((d.id, PRESENT), 0),
                                        absent=marks.get((d.id, ABSENT), 0)))
                for d in s.dates
            ],
        )
    return result


def attendance_summary(session: CourseSession) -> SessionAttendance:
    """One session's attendance (see :func:`attendance_summaries`)."""
    return attendance_summaries([session])[session.id]
