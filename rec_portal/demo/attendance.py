"""Demo data for attendance (loaded by rec_portal/demo/__init__.py). Idempotent: adds only
what is missing. Flushes; the caller commits.

Every demo session that has finished gets its registers taken: most people present, a
few absent on a date, and one person who never came (a no-show). The marks are recorded
by a facilitator on the session's roster (if it has one), and the session is completed.
The demo student came to three of the four dates of their past course, so they can
download a certificate of attendance."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from rec_portal.demo.people import DEMO_FACILITATOR, DEMO_STUDENT
from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, CourseSession, RosterAssignment
from rec_portal.models.attendance import ABSENT, PRESENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import CANCELLED, COMPLETED
from rec_portal.timeutil import utcnow



def _status(n: int, booking: Booking, date_index: int, no_show_id: int | None, student_id: int | None) -> str:
    """Who came when: fixed, so every run (and every reader of the demo) sees the same."""
    if booking.id == no_show_id:
        return ABSENT
    if booking.student_id == student_id:
        return ABSENT if date_index == 2 else PRESENT  # missed the third date
    return ABSENT if (n * 3 + date_index) % 7 == 0 else PRESENT


def load(users: dict, courses: dict) -> int:
    """Returns how many rows it added. `users` maps email -> User for every demo account;
    `courses` maps slug -> Course for every demo course."""
    now = utcnow()
    student = users.get(DEMO_STUDENT)
    facilitator = users.get(DEMO_FACILITATOR)
    sessions = list(
        db.session.execute(
            select(CourseSession)
            .where(CourseSession.status != CANCELLED, CourseSession.ends_at < now)
            .order_by(CourseSession.starts_at, CourseSession.id)
        ).scalars()
    )
    if not sessions:
        return 0
    ids = [s.id for s in sessions]
    bookings: dict[int, list[Booking]] = defaultdict(list)
    for booking in db.session.execute(
        select(Booking)
        .where(Booking.session_id.in_(ids), Booking.status == CONFIRMED)
        .order_by(Booking.queued_at, Booking.id)
    ).scalars():
        bookings[booking.session_id].append(booking)
    roster: dict[int, list[int]] = defaultdict(list)
    for session_id, user_id in db.session.execute(
        select(RosterAssignment.session_id, RosterAssignment.user_id)
        .where(RosterAssignment.session_id.in_(ids))
        .order_by(RosterAssignment.session_id, RosterAssignment.role, RosterAssignment.user_id)
    ).all():
        roster[session_id].append(user_id)
    marked = set(
        db.session.execute(
            select(Attendance.booking_id, Attendance.session_date_id)
            .join(Booking, Booking.id == Attendance.booking_id)
            .where(Booking.session_id.in_(ids))
        ).all()
    )

    added = 0
    for session in sessions:
        people = bookings.get(session.id, [])
        if not people:
            continue
        rostered = roster.get(session.id, [])
        recorder = (
            facilitator.id if facilitator is not None and facilitator.id in rostered
            else (rostered[0] if rostered else None)
        )
        # One no-show: the last person booked who is not the demo student.
        others = [b for b in people if student is None or b.student_id != student.id]
        no_show_id = others[-1].id if len(others) >= 3 else None
        for n, booking in enumerate(people):
            for i, session_date in enumerate(session.dates):
                if (booking.id, session_date.id) in marked:
                    continue
                db.session.add(
                    Attendance(
                        booking_id=booking.id,
                        session_date_id=session_date.id,
                        status=_status(n, booking, i, no_show_id, student.id if student else None),
                        recorded_by_id=recorder,
                        recorded_at=session_date.ends_at + timedelta(minutes=20),
                    )
                )
                added += 1
        if session.status != COMPLETED or session.completed_at is None:
            session.status = COMPLETED
            session.completed_at = session.dates[-1].ends_at + timedelta(minutes=20)
    db.session.flush()
    return added
