"""What the booking pages show, in a fixed number of queries."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, Course, CourseSession
from rec_portal.models.attendance import PRESENT
from rec_portal.models.bookings import CANCELLED, CONFIRMED, OFFERED, TAKES_A_PLACE, WAITLISTED
from rec_portal.models.courses import COMPLETED, SCHEDULED
from rec_portal.timeutil import utcnow


@dataclass
class MyBooking:
    booking: Booking
    position: int | None  # place in the waiting list, or None
    attendance: object | None = None  # past sessions: AttendanceStatus
    feedback: str | None = None  # sessions done: feedback.operations state (open, answered ...)
    # Waiting lists: the place held on another date of the same course (so never promoted
    # here), and whether a place is free here that they could swap to.
    place_elsewhere: Booking | None = None
    swap_free: bool = False
    # Waiting lists: their place on another date of the course at which they were marked
    # present since joining this list (bookings.operations.attended_other_dates): they are
    # never promoted from this list.
    attended_elsewhere: Booking | None = None
    marked: bool = False  # attendance recorded: the place can no longer be cancelled
    # Waiting lists, in the last hours before the start: a place is free and they were
    # told the first to take it gets it (bookings.operations.last_minute_place_free).
    last_minute: bool = False


def _holds_a_place(booking: Booking, now) -> bool:
    """A confirmed place on a group session still to come or under way (what counts as a
    place held on another date of its course)."""
    s = booking.session
    return (booking.status == CONFIRMED and not s.individual and s.status == SCHEDULED
            and s.ends_at > now)


def mark_places_elsewhere(student_id: int, items, all_mine=None) -> None:
    """For each waiting-list place in ``items``, the student's place on another date of the
    same course (still to come or under way) and whether a place is free to swap to, and
    the date of the course they attended since joining the list, if any. Three statements,
    whatever the number of items; two when ``all_mine`` (every active booking of the
    student, as my_bookings gives them) is already at hand."""
    from rec_portal.bookings.operations import attended_other_dates

    waiting = [m for m in items if m.booking.status == WAITLISTED and not m.booking.session.individual]
    if not waiting:
        return
    now = utcnow()
    if all_mine is not None:
        held = sorted((m.booking for m in all_mine if _holds_a_place(m.booking, now)),
                      key=lambda b: b.session.starts_at)
    else:
        held = db.session.execute(
            select(Booking)
            .join(CourseSession, CourseSession.id == Booking.session_id)
            .where(
                Booking.student_id == student_id,
                Booking.status == CONFIRMED,
                CourseSession.individual.is_(False),
                CourseSession.status == SCHEDULED,
                CourseSession.ends_at > now,
            )
            .order_by(CourseSession.starts_at)
            .options(selectinload(Booking.session))
        ).scalars().all()
    by_course: dict[int, Booking] = {}
    for b in held:
        by_course.setdefault(b.session.course_id, b)
    places = places_left_for([m.booking.session_id for m in waiting])
    attended = attended_other_dates([m.booking.id for m in waiting])
    for m in waiting:
        m.attended_elsewhere = attended.get(m.booking.id)
        other = by_course.get(m.booking.session.course_id)
        if other is not None and other.session_id != m.booking.session_id:
            m.place_elsewhere = other
            m.swap_free = places[m.booking.session_id] > 0


@functools.cache
def _my_bookings_statement(some_sessions: bool):
    """my_bookings' statement, made once (building it costs more than running it): the
    student is ``student_id``, and with ``some_sessions`` only the sessions ``session_ids``."""
    ahead = aliased(Booking, name="ahead")
    position = (
        select(func.count())
        .select_from(ahead)
        .where(
            ahead.session_id == Booking.session_id,
            ahead.status == WAITLISTED,
            or_(ahead.queued_at < Booking.queued_at,
                and_(ahead.queued_at == Booking.queued_at, ahead.id < Booking.id)),
        )
        .correlate(Booking)
        .scalar_subquery()
    )
    marked = exists().where(Attendance.booking_id == Booking.id).correlate(Booking)
    # Sessions and courses come in the same statement, dates in one more; a course's
    # roles needed are not shown here.
    stmt = (
        select(Booking, position, marked)
        .where(Booking.student_id == bindparam("student_id"), Booking.status != CANCELLED)
        .options(joinedload(Booking.session, innerjoin=True)
                 .joinedload(CourseSession.course, innerjoin=True)
                 .lazyload(Course.roles_needed))
    )
    if some_sessions:
        stmt = stmt.where(Booking.session_id.in_(bindparam("session_ids", expanding=True)))
    return stmt


def my_bookings(student_id: int, session_ids: list[int] | None = None) -> dict[int, MyBooking]:
    """The student's active bookings (by session id), with waiting-list positions."""
    params = {"student_id": student_id}
    if session_ids is not None:
        params["session_ids"] = list(session_ids)
    rows = db.session.execute(_my_bookings_statement(session_ids is not None), params).all()
    return {
        b.session_id: MyBooking(b, ahead_count + 1 if b.status == WAITLISTED else None, marked=has_marks)
        for b, ahead_count, has_marks in rows
    }


def places_taken_by(*conditions):
    """The one rule for places taken, as a statement of (session_id, taken) per session
    (``conditions`` may use Booking, CourseSession and Course): every booking that takes a
    place (``TAKES_A_PLACE``: confirmed, or offered and held) counts one, and one more if
    someone comes with them and the course says supporters take a place. Every check and
    display of places left uses it (bookings.operations.places_taken for one session)."""
    weight = case((and_(Booking.supporter != "", Course.supporters_take_place.is_(True)), 2), else_=1)
    return (
        select(Booking.session_id.label("session_id"), func.sum(weight).label("taken"))
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .join(Course, Course.id == CourseSession.course_id)
        .where(Booking.status.in_(TAKES_A_PLACE), *conditions)
        .group_by(Booking.session_id)
    )


def places_left_for(session_ids: list[int]) -> dict[int, int]:
    """Places left per session (capacity minus places taken: places_taken_by), in one
    query."""
    if not session_ids:
        return {}
    rows = db.session.execute(_places_left_statement(), {"session_ids": list(session_ids)}).all()
    return {sid: max(left, 0) for sid, left in rows}


@functools.cache
def _places_left_statement():
    """places_left_for's statement for the sessions ``session_ids``, made once."""
    booked = places_taken_by(Booking.session_id.in_(bindparam("session_ids", expanding=True))).subquery()
    return (
        select(CourseSession.id, CourseSession.capacity - func.coalesce(booked.c.taken, 0))
        .outerjoin(booked, booked.c.session_id == CourseSession.id)
        .where(CourseSession.id.in_(bindparam("session_ids", expanding=True)))
    )


# --- A student's attendance, as they see it on My courses ----------------------------------

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


def my_courses(student_id: int):
    """Upcoming places, waiting lists and past sessions for /my/courses."""
    now = utcnow()
    mine = my_bookings(student_id)
    upcoming = sorted((m for m in mine.values() if m.booking.session.ends_at >= now and m.booking.status == CONFIRMED),
                      key=lambda m: m.booking.session.starts_at)
    # Waiting lists, places held for them (offers) first.
    waiting = sorted((m for m in mine.values()
                      if m.booking.session.ends_at >= now and m.booking.status in (WAITLISTED, OFFERED)),
                     key=lambda m: (m.booking.status != OFFERED, m.booking.session.starts_at))
    past = sorted((m for m in mine.values() if m.booking.session.ends_at < now),
                  key=lambda m: m.booking.session.starts_at, reverse=True)
    mark_places_elsewhere(student_id, waiting, all_mine=mine.values())
    from rec_portal.bookings.operations import last_minute_places_free

    free_now = last_minute_places_free([m.booking for m in waiting], now)  # two statements at most
    for m in waiting:
        m.last_minute = m.booking.id in free_now
    # Attended or not (one more statement, whatever the number of past sessions), and
    # whether feedback is waiting or given (one more). A session completed on its last day
    # (the register was taken) is done even before its end time.
    from rec_portal.feedback.operations import student_feedback_states

    done = past + [m for m in upcoming if m.booking.session.status == COMPLETED]
    statuses = statuses_for([m.booking for m in done])
    for m in done:
        m.attendance = statuses[m.booking.id]
    feedback = student_feedback_states(
        student_id, [m.booking for m in done], {m.booking.id for m in done if m.attendance.attended}
    )
    for m in done:
        m.feedback = feedback[m.booking.id]
    return upcoming, waiting, past


def other_dates_of_course(session: CourseSession, student_ids: list[int]) -> dict[int, list[Booking]]:
    """Staff pages: each student's places and waiting-list places on other dates of this
    session's course still to come or under way (earliest first; one statement). Empty for
    an individual workshop."""
    if not student_ids or session.individual:
        return {}
    rows = db.session.execute(
        select(Booking)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(
            Booking.student_id.in_(student_ids),
            Booking.status != CANCELLED,
            Booking.session_id != session.id,
            CourseSession.course_id == session.course_id,
            CourseSession.individual.is_(False),
            CourseSession.status == SCHEDULED,
            CourseSession.ends_at > utcnow(),
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
        .options(selectinload(Booking.session))
    ).scalars().all()
    found: dict[int, list[Booking]] = {}
    for b in rows:
        found.setdefault(b.student_id, []).append(b)
    return found
