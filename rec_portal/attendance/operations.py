"""Attendance rules: marking people present or absent, and completing a session.

Operations flush, never commit; the caller commits once. Who may record (a facilitator
rostered on the session, or an admin) is checked by the view; these rules check that the
mark itself makes sense.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.feedback.operations import invite_for_session
from rec_portal.models import Attendance, Booking, CourseSession, SessionDate, User
from rec_portal.models.attendance import ATTENDANCE_STATUSES, PRESENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import CANCELLED, COMPLETED, SCHEDULED, lock_session
from rec_portal.timeutil import format_uk, utcnow

# Walk-ins and late bookings: their rules are in walk_ins.py; other features use them from here.
from rec_portal.attendance.walk_ins import WalkInRefused, add_walk_in, waiting_lists_elsewhere  # noqa: E402,F401

# Marks can be taken from this long before a date starts (people arriving early), never
# earlier: a register taken days ahead would complete the session before it happened.
REGISTER_OPENS_BEFORE = timedelta(hours=1)


class AttendanceRefused(DomainError):
    """The attendance rules refused the mark."""


def register_opens_at(session_date: SessionDate) -> datetime:
    """When the register for ``session_date`` can first be taken (naive UTC): an hour
    before it starts."""
    return session_date.starts_at - REGISTER_OPENS_BEFORE


def register_is_open(session_date: SessionDate, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= register_opens_at(session_date)


def register_opens_message(session_date: SessionDate) -> str:
    return (
        f"You can take this register from {format_uk(register_opens_at(session_date))}, "
        "an hour before it starts."
    )


def record_attendance(
    session_date: SessionDate,
    booking: Booking,
    status: str,
    by: User | None,
    *,
    now: datetime | None = None,
) -> Attendance:
    """Mark ``booking`` present or absent on ``session_date`` (a second mark replaces the
    first). Only confirmed places on that session, and not before the day.

    The session row is locked first (until the transaction ends), so marks for one
    session are taken one transaction at a time: when two facilitators mark the last two
    people at the same moment, the second waits for the first to commit and then sees
    its mark, so :func:`complete_if_done` completes the session. Saving a whole register
    calls this for each person in one transaction: the lock is taken once and held."""
    now = now or utcnow()
    lock_session(session_date.session_id)
    if status not in ATTENDANCE_STATUSES:
        raise AttendanceRefused("Choose present or absent.")
    if booking.session_id != session_date.session_id:
        raise AttendanceRefused("This person is not booked on this session.")
    if booking.status != CONFIRMED:
        raise AttendanceRefused(
            "Only people with a confirmed place can be marked. Ask the REC team to add "
            "anyone else to the session first."
        )
    session = session_date.session
    if session.status == CANCELLED:
        raise AttendanceRefused("This session was cancelled, so there is no register to take.")
    if not register_is_open(session_date, now):
        raise AttendanceRefused(register_opens_message(session_date))
    row = _mark(booking.id, session_date.id)
    if row is None:
        row = Attendance(booking_id=booking.id, session_date_id=session_date.id)
        try:
            with db.session.begin_nested():
                _fill(row, status, by, now)
                db.session.add(row)
        except IntegrityError:  # someone else marked them at the same moment: update theirs
            row = _mark(booking.id, session_date.id)
    _fill(row, status, by, now)
    db.session.flush()
    if status == PRESENT and session.status == COMPLETED:
        # Someone marked present after the session was completed (a register corrected,
        # a walk-in added later) is invited to give feedback now, with everyone else's
        # invitations, not only when they come to answer.
        invite_for_session(session, now=now)
    return row


class RegisterRefused(AttendanceRefused):
    """Marks of a whole register were refused: ``errors`` by booking id (0: the register)."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def record_register(session: CourseSession, session_date: SessionDate, chosen: dict[int, str],
                    by: User | None) -> bool:
    """The whole register at once (``chosen``: status by booking id), all or nothing: any
    mark refused refuses them all (``RegisterRefused`` says which). Answers whether the
    session is now completed."""
    if not chosen:
        raise RegisterRefused({0: "Choose present or absent for at least one person"})
    bookings = {
        b.id: b for b in db.session.execute(select(Booking).where(Booking.id.in_(chosen))).scalars()
    }
    errors: dict[int, str] = {}
    for booking_id, status in chosen.items():
        booking = bookings.get(booking_id)
        if booking is None:
            errors[booking_id] = "This person is not booked on this session."
            continue
        try:
            record_attendance(session_date, booking, status, by)
        except DomainError as refusal:
            errors[booking_id] = refusal.message
    if errors:
        raise RegisterRefused(errors)
    return complete_if_done(session)


def mark_one(session: CourseSession, session_date: SessionDate, booking: Booking, status: str,
             by: User | None) -> bool:
    """One person's mark; answers whether the session is now completed."""
    record_attendance(session_date, booking, status, by)
    return complete_if_done(session)


def _mark(booking_id: int, session_date_id: int) -> Attendance | None:
    return db.session.execute(
        select(Attendance).where(
            Attendance.booking_id == booking_id, Attendance.session_date_id == session_date_id
        )
    ).scalar_one_or_none()


def _fill(row: Attendance, status: str, by: User | None, now: datetime) -> None:
    row.status = status
    row.recorded_at = now
    row.recorded_by_id = by.id if by is not None else None


def completes_at(session: CourseSession) -> datetime:
    """The earliest a session can be completed (naive UTC): when its last date ends."""
    return session.dates[-1].ends_at if session.dates else session.ends_at


def complete_if_done(session: CourseSession, *, now: datetime | None = None) -> bool:
    """Complete ``session`` when its last date has ended and every confirmed booking has
    a mark for that date. Returns True if it was completed by this call. A session nobody
    is booked on is never completed this way (there is no register to take). A register
    taken before the end leaves the session scheduled: ``rec feedback-invitations``
    (:func:`complete_due_sessions`) completes it once it is over."""
    now = now or utcnow()
    if session.status != SCHEDULED or not session.dates or now < completes_at(session):
        return False
    last = session.dates[-1]
    booked, marked = db.session.execute(
        select(func.count(Booking.id), func.count(Attendance.id))
        .select_from(Booking)
        .outerjoin(
            Attendance,
            (Attendance.booking_id == Booking.id) & (Attendance.session_date_id == last.id),
        )
        .where(Booking.session_id == session.id, Booking.status == CONFIRMED)
    ).one()
    if booked == 0 or marked < booked:
        return False
    session.status = COMPLETED
    session.completed_at = now
    # Record which version of the course's content this session delivered.
    session.content_version = session.course.content_version
    db.session.flush()
    # Attendees and the facilitators on the roster are asked for their feedback.
    invite_for_session(session, now=now)
    if session.individual:  # the individual workshop's request is completed with it
        from rec_portal.models.workshops import session_completed

        session_completed(session, now=now)
    return True


def complete_due_sessions(now: datetime | None = None) -> int:
    """Complete every scheduled session whose last date has ended and whose last register
    is taken (everyone with a confirmed place marked), e.g. registers taken during the
    session. Invitations and individual workshops follow (:func:`complete_if_done`).
    Returns how many were completed; safe to repeat."""
    now = now or utcnow()
    last_date = (
        select(SessionDate.id)
        .where(SessionDate.session_id == CourseSession.id)
        .order_by(SessionDate.starts_at.desc())
        .limit(1)
        .correlate(CourseSession)
        .scalar_subquery()
    )
    booked = exists().where(Booking.session_id == CourseSession.id, Booking.status == CONFIRMED)
    unmarked = exists().where(
        Booking.session_id == CourseSession.id,
        Booking.status == CONFIRMED,
        ~exists().where(
            and_(Attendance.booking_id == Booking.id, Attendance.session_date_id == last_date)
        ),
    )
    due = db.session.execute(
        select(CourseSession.id)
        .where(CourseSession.status == SCHEDULED, CourseSession.ends_at <= now, booked, ~unmarked)
        .order_by(CourseSession.id)
    ).scalars().all()
    completed = 0
    for session_id in due:
        session = lock_session(session_id)  # held until the caller commits
        completed += complete_if_done(session, now=now)
    return completed


__all__ = [
    "REGISTER_OPENS_BEFORE",
    "AttendanceRefused",
    "complete_due_sessions",
    "complete_if_done",
    "completes_at",
    "record_attendance",
    "register_is_open",
    "register_opens_at",
    "register_opens_message",
]
