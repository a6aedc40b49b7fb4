"""What registers, attendance summaries and the attendance reports show, in a fixed
number of queries whatever the number of people or sessions.

The reports (for admins): attendance rate and no-shows per course and per session, and
hours delivered per facilitator per term. Every figure is computed in SQL; each table is
one statement, whatever the number of courses, sessions, bookings and marks.

Definitions (also printed on the report page):
- a session is listed once its first date has started, unless it was cancelled;
- it is *counted* (in booked, attended, no-shows and the rate) once it is completed or
  every register for it is fully taken (everyone booked marked on every date), or nobody
  was booked; until then it is shown under *registers not taken*, so registers nobody
  has taken yet are not counted as no-shows;
- *booked*: bookings with a place (confirmed), not cancelled and not waiting;
- *attended*: booked and marked present on at least one date;
- *no-show*: booked and never marked present (marked absent on every date, or not
  marked at all);
- *attendance rate*: attended as a percentage of booked;
- *hours delivered*: the length of every date that has ended, of sessions that were not
  cancelled, that the facilitator was on the roster of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, distinct, extract, func, literal, or_, select
from sqlalchemy.orm import joinedload

from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    Booking,
    Course,
    CourseSession,
    FacilitatorProfile,
    RosterAssignment,
    SessionDate,
    User,
)
from rec_portal.models.accounts import distinct_names
from rec_portal.models.attendance import ABSENT, PRESENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import CANCELLED, COMPLETED
from rec_portal.stats import percent, to_places
from rec_portal.stats.terms import Term, term_bounds
from rec_portal.timeutil import uk_days, utcnow


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


# --- Attendance per course and per session --------------------------------------------------

@dataclass(frozen=True)
class SessionFigures:
    session_id: int
    course_id: int
    course_title: str
    starts_at: datetime
    status: str
    booked: int
    attended: int
    no_shows: int
    dates: int
    dates_recorded: int
    counted: bool = True  # False: registers not taken, so left out of the figures

    @property
    def rate(self) -> int | None:
        return percent(self.attended, self.booked) if self.counted else None


@dataclass(frozen=True)
class CourseFigures:
    course_id: int
    course_title: str
    sessions: int
    booked: int
    attended: int
    no_shows: int
    not_taken: int = 0  # sessions whose registers are not taken (not in the figures)

    @property
    def rate(self) -> int | None:
        return percent(self.attended, self.booked)

    @property
    def no_show_rate(self) -> int | None:
        return percent(self.no_shows, self.booked)


@dataclass(frozen=True)
class AttendanceReport:
    start: date  # UK dates, both included
    end: date
    courses: list[CourseFigures]
    sessions: list[SessionFigures]

    @property
    def totals(self) -> CourseFigures:
        return CourseFigures(
            course_id=0, course_title="All courses",
            sessions=sum(c.sessions for c in self.courses),
            booked=sum(c.booked for c in self.courses),
            attended=sum(c.attended for c in self.courses),
            no_shows=sum(c.no_shows for c in self.courses),
            not_taken=sum(c.not_taken for c in self.courses),
        )


def _sessions_in(start: date, end: date, now: datetime) -> list:
    """Sessions that started between two UK dates (both included) and before now, not
    cancelled."""
    first, after = uk_days(start, end)
    return [
        CourseSession.status != CANCELLED,
        CourseSession.starts_at >= first,
        CourseSession.starts_at < after,
        CourseSession.starts_at <= now,
    ]


def _per_session(conditions: list):
    """Booked, attended, no-shows and marks (present or absent) per session (a subquery).
    Only the period's sessions are looked at, each one's figures counted through the
    indexes on bookings.session_id and attendance.booking_id: no pass over all bookings or
    all attendance, whatever the history."""
    confirmed = and_(Booking.session_id == CourseSession.id, Booking.status == CONFIRMED)
    came = (
        select(Attendance.id)
        .where(Attendance.booking_id == Booking.id, Attendance.status == PRESENT)
        .exists()
    )
    booked = select(func.count(Booking.id)).where(confirmed).scalar_subquery()
    attended = select(func.count(Booking.id)).where(confirmed, came).scalar_subquery()
    marks = (
        select(func.count(Attendance.id))
        .join(Booking, Booking.id == Attendance.booking_id)
        .where(confirmed)
        .scalar_subquery()
    )
    figures = (
        select(
            CourseSession.id.label("session_id"),
            booked.label("booked"),
            attended.label("attended"),
            marks.label("marks"),
        )
        .where(*conditions)
        .subquery("figures")
    )
    return (
        select(
            figures.c.session_id,
            figures.c.booked,
            figures.c.attended,
            (figures.c.booked - figures.c.attended).label("no_shows"),
            figures.c.marks,
        )
        .subquery("per_session")
    )


def _dates_per_session(conditions: list):
    """Dates, and dates with any attendance mark, per session (a subquery). Only the
    period's dates are looked at: whether a date has a mark is an indexed EXISTS on
    attendance.session_date_id, never a pass over all attendance."""
    marked = select(Attendance.id).where(Attendance.session_date_id == SessionDate.id).exists()
    return (
        select(
            SessionDate.session_id.label("session_id"),
            func.count(SessionDate.id).label("dates"),
            func.sum(case((marked, 1), else_=0)).label("recorded"),
        )
        .join(CourseSession, CourseSession.id == SessionDate.session_id)
        .where(*conditions)
        .group_by(SessionDate.session_id)
        .subquery("dates_per_session")
    )


def attendance_report(start: date, end: date, now: datetime | None = None) -> AttendanceReport:
    """Two statements: one per table."""
    now = now or utcnow()
    conditions = _sessions_in(start, end, now)
    per_session = _per_session(conditions)
    dates = _dates_per_session(conditions)
    booked = func.coalesce(per_session.c.booked, 0)
    attended = func.coalesce(per_session.c.attended, 0)
    no_shows = func.coalesce(per_session.c.no_shows, 0)
    # Counted: completed, or nobody booked, or every booked person marked on every date
    # (a mark is unique per booking and date, so all marks = booked x dates).
    counted = or_(
        CourseSession.status == COMPLETED,
        booked == 0,
        func.coalesce(per_session.c.marks, 0) >= booked * func.coalesce(dates.c.dates, 0),
    )

    def if_counted(value):
        return case((counted, value), else_=0)

    session_rows = db.session.execute(
        select(
            CourseSession.id, Course.id, Course.title, CourseSession.starts_at, CourseSession.status,
            booked, attended, no_shows,
            func.coalesce(dates.c.dates, 0), func.coalesce(dates.c.recorded, 0),
            case((counted, 1), else_=0),
        )
        .join(Course, Course.id == CourseSession.course_id)
        .outerjoin(per_session, per_session.c.session_id == CourseSession.id)
        .outerjoin(dates, dates.c.session_id == CourseSession.id)
        .where(*conditions)
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()

    course_rows = db.session.execute(
        select(
            Course.id, Course.title, func.count(CourseSession.id),
            func.sum(if_counted(booked)), func.sum(if_counted(attended)), func.sum(if_counted(no_shows)),
            func.sum(case((counted, 0), else_=1)),
        )
        .join(CourseSession, CourseSession.course_id == Course.id)
        .outerjoin(per_session, per_session.c.session_id == CourseSession.id)
        .outerjoin(dates, dates.c.session_id == CourseSession.id)
        .where(*conditions)
        .group_by(Course.id, Course.title)
        .order_by(func.lower(Course.title), Course.id)
    ).all()

    return AttendanceReport(
        start=start,
        end=end,
        courses=[
            CourseFigures(cid, title, int(n), int(b or 0), int(a or 0), int(ns or 0), int(nt or 0))
            for cid, title, n, b, a, ns, nt in course_rows
        ],
        sessions=[
            SessionFigures(sid, cid, title, starts, status, int(b), int(a), int(ns), int(d), int(r),
                           counted=bool(c))
            for sid, cid, title, starts, status, b, a, ns, d, r, c in session_rows
        ],
    )


# --- Facilitator hours per term ------------------------------------------------------------

@dataclass(frozen=True)
class FacilitatorHours:
    user_id: int
    name: str
    organisation: str
    sessions: int
    dates: int
    hours: float


def _hours_between(start, end):
    """The hours between two timestamp columns, in this database's SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return extract("epoch", end - start) / literal(3600.0)
    return (func.julianday(end) - func.julianday(start)) * literal(24.0)


def facilitator_hours(term: Term, now: datetime | None = None) -> list[FacilitatorHours]:
    """Hours each facilitator delivered in ``term`` (by the UK date each date started):
    one statement."""
    now = now or utcnow()
    first, last = term_bounds(term)
    hours = func.sum(_hours_between(SessionDate.starts_at, SessionDate.ends_at))
    rows = db.session.execute(
        select(
            User.id, User.full_name, func.coalesce(FacilitatorProfile.organisation, ""),
            func.count(distinct(CourseSession.id)), func.count(SessionDate.id), hours,
        )
        .select_from(RosterAssignment)
        .join(User, User.id == RosterAssignment.user_id)
        .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
        .join(SessionDate, SessionDate.session_id == CourseSession.id)
        .outerjoin(FacilitatorProfile, FacilitatorProfile.user_id == User.id)
        .where(
            CourseSession.status != CANCELLED,
            SessionDate.ends_at <= now,
            and_(SessionDate.starts_at >= first, SessionDate.starts_at < last),
        )
        .group_by(User.id, User.full_name, FacilitatorProfile.organisation)
        .order_by(func.lower(User.full_name), User.id)
    ).all()
    return [
        FacilitatorHours(uid, name, organisation or "", int(n), int(d), to_places(h or 0))
        for uid, name, organisation, n, d, h in rows
    ]

