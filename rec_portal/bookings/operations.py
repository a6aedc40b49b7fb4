"""Booking rules. Operations flush, never commit; the caller commits once.

Capacity is never exceeded, even under concurrent requests: every operation that changes
who holds a place first locks the session row. On PostgreSQL that is
``SELECT ... FOR UPDATE``; SQLAlchemy's SQLite dialect drops ``FOR UPDATE``, but every
SQLite write transaction here begins with ``BEGIN IMMEDIATE`` (rec_portal/extensions.py),
which takes the database's write lock before the count is read. The partial unique index
``uq_bookings_active_student_session`` stops double bookings whatever happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, CourseSession, SessionDate, User
from rec_portal.models.bookings import ADMIN, CANCELLED, CONFIRMED, SELF, WAITLISTED
from rec_portal.models.courses import CANCELLED as SESSION_CANCELLED
from rec_portal.models.courses import SCHEDULED
from rec_portal.timeutil import format_uk, utcnow


class BookingRefused(DomainError):
    """The booking rules refused the request."""


class OverlapWarning(DomainError):
    """The session overlaps another booking; the person must confirm to go ahead."""

    def __init__(self, overlaps: list[Booking]):
        titles = ", ".join(b.session.course.title for b in overlaps)
        super().__init__(
            f"This session overlaps with another booking of yours ({titles}). "
            "Check the times, then confirm if you still want to book."
        )
        self.overlaps = overlaps


@dataclass
class BookingResult:
    booking: Booking
    waitlist_position: int | None = None


def lock_session(session_id: int) -> CourseSession | None:
    """Load the session row and hold its lock until the transaction ends."""
    return db.session.execute(
        select(CourseSession)
        .where(CourseSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def confirmed_count(session_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Booking)
        .where(Booking.session_id == session_id, Booking.status == CONFIRMED)
    ).scalar_one()


def places_left(session: CourseSession) -> int:
    return max(session.capacity - confirmed_count(session.id), 0)


def active_booking(session_id: int, student_id: int) -> Booking | None:
    return db.session.execute(
        select(Booking).where(
            Booking.session_id == session_id,
            Booking.student_id == student_id,
            Booking.status != CANCELLED,
        )
    ).scalar_one_or_none()


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first person waiting, and so on; None if not waiting."""
    if booking.status != WAITLISTED:
        return None
    ahead = db.session.execute(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.session_id == booking.session_id,
            Booking.status == WAITLISTED,
            or_(
                Booking.queued_at < booking.queued_at,
                and_(Booking.queued_at == booking.queued_at, Booking.id < booking.id),
            ),
        )
    ).scalar_one()
    return ahead + 1


def overlapping_bookings(session: CourseSession, student_id: int) -> list[Booking]:
    """The student's other active bookings whose dates overlap this session's dates."""
    mine = select(SessionDate).where(SessionDate.session_id == session.id).subquery()
    theirs = SessionDate.__table__.alias("other_dates")
    stmt = (
        select(Booking)
        .join(theirs, theirs.c.session_id == Booking.session_id)
        .join(mine, and_(theirs.c.starts_at < mine.c.ends_at, theirs.c.ends_at > mine.c.starts_at))
        .where(
            Booking.student_id == student_id,
            Booking.status != CANCELLED,
            Booking.session_id != session.id,
        )
        .distinct()
    )
    return list(db.session.execute(stmt).scalars())


INDIVIDUAL_MESSAGE = "This session is an individual workshop arranged for one person, so it cannot be booked."


def _check_bookable(session: CourseSession | None, student: User, now: datetime, *,
                    workshop: bool = False) -> CourseSession:
    if session is None:
        raise BookingRefused("This session does not exist.")
    if session.individual and not workshop:
        raise BookingRefused(INDIVIDUAL_MESSAGE)
    if not student.active:
        raise BookingRefused(
            "This account is disabled, so it cannot book. Contact the REC team if you think "
            "this is a mistake."
        )
    if session.status == SESSION_CANCELLED:
        raise BookingRefused("This session has been cancelled, so it cannot be booked.")
    if session.status != SCHEDULED or session.starts_at <= now:
        raise BookingRefused("This session has already started or finished, so it cannot be booked.")
    if workshop:  # arranged by the REC team: the booking window is closed to everyone else
        return session
    if session.booking_opens_at and now < session.booking_opens_at:
        raise BookingRefused(f"Booking for this session opens on {format_uk(session.booking_opens_at)}.")
    if session.booking_closes_at and now >= session.booking_closes_at:
        raise BookingRefused(f"Booking for this session closed on {format_uk(session.booking_closes_at)}.")
    return session


def book_place(
    session_id: int,
    student: User,
    *,
    made_by: User | None = None,
    confirm_overlap: bool = False,
    now: datetime | None = None,
    workshop: bool = False,
) -> BookingResult:
    """Give ``student`` a place, or a place in the waiting list if the session is full.
    An individual workshop is refused, unless ``workshop`` (the REC team arranging it for
    the student it is for: rec_portal/workshops/operations.py)."""
    now = now or utcnow()
    session = _check_bookable(lock_session(session_id), student, now, workshop=workshop)
    existing = active_booking(session.id, student.id)
    if existing is not None:
        if existing.status == CONFIRMED:
            raise BookingRefused("You already have a place on this session.")
        raise BookingRefused(
            f"You are already on the waiting list for this session "
            f"(number {waitlist_position(existing)} in line)."
        )
    if not confirm_overlap:
        overlaps = overlapping_bookings(session, student.id)
        if overlaps:
            raise OverlapWarning(overlaps)
    status = CONFIRMED if confirmed_count(session.id) < session.capacity else WAITLISTED
    # Arrival is when the lock was obtained: that is the order places were handed out in.
    arrived = max(now, utcnow())
    booking = Booking(
        session_id=session.id,
        student_id=student.id,
        status=status,
        made_by=ADMIN if made_by is not None and made_by.id != student.id else SELF,
        made_by_user_id=made_by.id if made_by is not None else student.id,
        queued_at=arrived,
        confirmed_at=arrived if status == CONFIRMED else None,
    )
    db.session.add(booking)
    db.session.flush()
    return BookingResult(booking, waitlist_position(booking))


def fill_free_places(session: CourseSession, now: datetime | None = None) -> list[Booking]:
    """Give free places to the people waiting, first come first served, until the session
    starts. The session row must already be locked by the caller."""
    now = now or utcnow()
    # Nobody is pulled off a waiting list into a session that is under way or over.
    if session.status != SCHEDULED or session.starts_at <= now:
        return []
    # Nor once its register is being taken (marks start an hour before it starts).
    if register_taken(session.id):
        return []
    free = session.capacity - confirmed_count(session.id)
    if free <= 0:
        return []
    waiting = db.session.execute(
        select(Booking)
        .where(Booking.session_id == session.id, Booking.status == WAITLISTED)
        .order_by(Booking.queued_at, Booking.id)
        .limit(free)
    ).scalars().all()
    for booking in waiting:
        booking.status = CONFIRMED
        booking.confirmed_at = now
        booking.promoted_at = now
    db.session.flush()
    return list(waiting)


INDIVIDUAL_CANCEL_MESSAGE = (
    "This is an individual workshop the REC team arranged with you. To change or cancel it, "
    "contact the REC team and they will sort it out with you."
)
STARTED_CANCEL_MESSAGE = (
    "This session has already started. If you cannot come to the remaining dates, "
    "contact the REC team."
)


# --- Attendance marks: a marked place is kept ------------------------------------------
# Cancelling a place whose attendance is recorded would take away the person's attendance
# and certificate and give "their" place to someone else, so nobody can (rec_portal/
# attendance/operations.py says when marks can be taken).

MARKED_CANCEL_MESSAGE = (
    "Your attendance has been recorded for this session, so your place cannot be cancelled. "
    "If you cannot come to the remaining dates, contact the REC team."
)
MARKED_CANCEL_MESSAGE_STAFF = (
    "{name}’s attendance has been recorded for this session, so their place cannot be "
    "cancelled: that would take away their attendance and certificate."
)


def marked_bookings(booking_ids: list[int]) -> set[int]:
    """Which of ``booking_ids`` have at least one attendance mark (one statement)."""
    if not booking_ids:
        return set()
    return set(
        db.session.execute(
            select(Attendance.booking_id).where(Attendance.booking_id.in_(booking_ids)).distinct()
        ).scalars()
    )


def register_taken(session_id: int) -> bool:
    """Someone on the session has an attendance mark (its register is being taken)."""
    return db.session.execute(
        select(
            exists().where(Attendance.booking_id == Booking.id, Booking.session_id == session_id)
        )
    ).scalar_one()


def refuse_if_marked(booking: Booking, *, by_student: bool = False) -> None:
    """Raise BookingRefused if ``booking`` has any attendance mark."""
    if marked_bookings([booking.id]):
        raise BookingRefused(
            MARKED_CANCEL_MESSAGE if by_student
            else MARKED_CANCEL_MESSAGE_STAFF.format(name=booking.student.full_name)
        )


def self_cancel_refusal(booking: Booking, now: datetime | None = None) -> str | None:
    """Why the student cannot cancel ``booking`` themselves, or None if they can. Once the
    session has started, or their attendance is recorded, a place can only be cancelled by
    the REC team (a marked place not even by them); leaving a waiting list is always
    allowed (it frees nothing)."""
    now = now or utcnow()
    if booking.status == CONFIRMED and marked_bookings([booking.id]):
        return MARKED_CANCEL_MESSAGE
    if booking.status == CONFIRMED and booking.session.starts_at <= now:
        return STARTED_CANCEL_MESSAGE
    if booking.session.individual and booking.status == CONFIRMED:
        return INDIVIDUAL_CANCEL_MESSAGE
    return None


def cancel_booking(
    booking_id: int, *, now: datetime | None = None, by_student: bool = False
) -> list[Booking]:
    """Cancel a booking or leave a waiting list. Returns the bookings promoted into the
    place that was freed (in the same transaction; nobody once the session has started).
    ``by_student``: the student is cancelling their own place, which they cannot do once
    the session has started (staff still can)."""
    now = now or utcnow()
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingRefused("This booking does not exist.")
    session = lock_session(booking.session_id)
    db.session.refresh(booking)
    if booking.status == CANCELLED:
        raise BookingRefused("This booking is already cancelled.")
    refuse_if_marked(booking, by_student=by_student)
    if by_student and (refusal := self_cancel_refusal(booking, now)):
        raise BookingRefused(refusal)
    was_confirmed = booking.status == CONFIRMED
    booking.status = CANCELLED
    booking.cancelled_at = now
    db.session.flush()
    return fill_free_places(session, now) if was_confirmed else []


def change_capacity(session_id: int, capacity: int, *, now: datetime | None = None) -> list[Booking]:
    """Set a session's capacity; raising it gives the new places to the people waiting."""
    session = lock_session(session_id)
    if session is None:
        raise BookingRefused("This session does not exist.")
    booked = confirmed_count(session.id)
    if capacity < 1:
        raise BookingRefused("Capacity must be 1 or more.", field="capacity")
    if capacity < booked:
        raise BookingRefused(
            f"{booked} people already have a place, so capacity cannot be less than {booked}. "
            "Cancel some places first.",
            field="capacity",
        )
    session.capacity = capacity
    db.session.flush()
    return fill_free_places(session, now)


__all__ = [
    "ADMIN",
    "SELF",
    "INDIVIDUAL_CANCEL_MESSAGE",
    "INDIVIDUAL_MESSAGE",
    "MARKED_CANCEL_MESSAGE",
    "STARTED_CANCEL_MESSAGE",
    "BookingRefused",
    "BookingResult",
    "OverlapWarning",
    "book_place",
    "cancel_booking",
    "change_capacity",
    "fill_free_places",
    "give_place_to",
    "marked_bookings",
    "places_left",
    "refuse_if_marked",
    "register_taken",
    "self_cancel_refusal",
    "waitlist_position",
]


def give_place_to(booking_id: int, *, now: datetime | None = None) -> Booking:
    """Staff move one person from the waiting list into a place, ahead of the queue. The
    session gains a place for them, so nobody already booked loses theirs."""
    now = now or utcnow()
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingRefused("This booking does not exist.")
    session = lock_session(booking.session_id)
    db.session.refresh(booking)
    if session.status == SESSION_CANCELLED:
        raise BookingRefused("This session has been cancelled, so nobody can be given a place on it.")
    if session.status != SCHEDULED:
        raise BookingRefused("This session is completed, so nobody can be given a place on it.")
    if booking.status != WAITLISTED:
        raise BookingRefused("Only someone on the waiting list can be given a place.")
    if confirmed_count(session.id) >= session.capacity:
        session.capacity += 1
    booking.status = CONFIRMED
    booking.confirmed_at = now
    booking.promoted_at = now
    db.session.flush()
    return booking


def due_reminders(now: datetime | None = None, within: timedelta = timedelta(days=2)) -> list[Booking]:
    """Confirmed places on sessions starting within ``within`` that have not been reminded."""
    now = now or utcnow()
    return list(
        db.session.execute(
            select(Booking)
            .join(CourseSession, CourseSession.id == Booking.session_id)
            .where(
                Booking.status == CONFIRMED,
                Booking.reminder_sent_at.is_(None),
                CourseSession.status == SCHEDULED,
                CourseSession.starts_at > now,
                CourseSession.starts_at <= now + within,
            )
            .with_for_update(of=Booking, skip_locked=True)
        ).scalars()
    )
