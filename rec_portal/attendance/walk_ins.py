"""Walk-ins and late bookings, added by admins. Flushes, never commits.

A walk-in is already in the room, so they get a confirmed place even if the session has
started or is full (like "Give a place", the session gains a place so its capacity is
never exceeded). A late booking is the same thing before the session: booking may have
closed, but the REC team can still add someone. Nobody is added twice, and nobody is
added to a cancelled or completed session. Nobody gets a second place on a course: someone
with a place on another date of it is refused, with the date named. Someone waiting for
another date of the course is added, and staff are told which list they are still on
(``waiting_lists_elsewhere``): once marked present here they are never given a place from
it (bookings.operations.attended_other_dates), and staff can remove them from it.
"""

from __future__ import annotations

from datetime import datetime

from rec_portal.bookings.operations import active_booking, places_needed, places_taken, same_course_bookings
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Booking, User
from rec_portal.models.accounts import STUDENT
from rec_portal.models.bookings import ADMIN, CONFIRMED, OFFERED, WAITLISTED
from rec_portal.models.courses import CANCELLED, COMPLETED, lock_session
from rec_portal.timeutil import format_uk, utcnow


class WalkInRefused(DomainError):
    """The walk-in rules refused the request (the message names the student)."""


def add_walk_in(session_id: int, student: User | None, *, added_by: User,
                now: datetime | None = None) -> Booking:
    """Give ``student`` a confirmed place on the session, made by ``added_by`` (an admin)."""
    now = now or utcnow()
    session = lock_session(session_id)
    if session is None:
        raise WalkInRefused("This session does not exist.")
    if student is None or not student.has_role(STUDENT) or student.anonymised_at is not None:
        raise WalkInRefused("Choose a student from the search results.", field="student_id")
    name = student.full_name
    if not student.active:
        raise WalkInRefused(
            f"{name}’s account is disabled, so they cannot be added. Re-enable it first.",
            field="student_id",
        )
    if session.status == CANCELLED:
        raise WalkInRefused("This session has been cancelled, so nobody can be added to it.")
    if session.individual:
        raise WalkInRefused("This is an individual workshop arranged for one person, so nobody else can be added to it.")
    if session.status == COMPLETED:
        raise WalkInRefused("This session is completed, so nobody can be added to it.")
    existing = active_booking(session.id, student.id)
    if existing is not None:
        if existing.status == CONFIRMED:
            raise WalkInRefused(f"{name} already has a place on this session.", field="student_id")
        if existing.status == OFFERED:
            raise WalkInRefused(
                f"A place on this session is being held for {name}. Use “Accept for them” in "
                "the waiting list instead.",
                field="student_id",
            )
        raise WalkInRefused(
            f"{name} is on the waiting list for this session. Use “Give a place” in the "
            "waiting list instead.",
            field="student_id",
        )
    held = [o for o in same_course_bookings(session, student.id, now) if o.status == CONFIRMED]
    if held:  # one place per person per course
        raise WalkInRefused(
            f"{name} already has a place on this course, on {format_uk(held[0].session.starts_at)}. "
            "Each person has one place on a course: cancel that place first if they are coming "
            "to this session instead.",
            field="student_id",
        )
    missing = places_taken(session.id) + places_needed("", session.course) - session.capacity
    if missing > 0:
        session.capacity += missing
    booking = Booking(
        session_id=session.id,
        student_id=student.id,
        status=CONFIRMED,
        made_by=ADMIN,
        made_by_user_id=added_by.id,
        queued_at=now,
        confirmed_at=now,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def waiting_lists_elsewhere(booking: Booking, now: datetime | None = None) -> list[Booking]:
    """The waiting-list places ``booking``'s student still holds on other dates of the
    course (for the message staff see after adding a walk-in)."""
    return [o for o in same_course_bookings(booking.session, booking.student_id, now)
            if o.status == WAITLISTED]
