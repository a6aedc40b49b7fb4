"""Demo bookings: the demo students spread over the sessions (filling some and forming
waiting lists), the demo logins' own places, the former students' places on Staying Safe's
past runs, and places people changed their minds about. Upcoming places are booked by the
bookings feature's own ``book_place``; past ones are written as they would have been."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from rec_portal.bookings.operations import book_place
from rec_portal.demo.people import (
    DEMO_ADMIN,
    DEMO_FACILITATOR,
    DEMO_FORMER_STUDENTS,
    DEMO_STUDENT,
    DEMO_STUDENTS,
    student_email,
)
from rec_portal.demo.sessions import DemoSession
from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, User
from rec_portal.models.bookings import CANCELLED as BOOKING_CANCELLED
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.bookings import SELF as MADE_BY_SELF
from rec_portal.models.courses import CANCELLED as SESSION_CANCELLED

# Bookings for the demo logins, made after the other students': (email, session key).
DEMO_BOOKINGS = [
    (DEMO_STUDENT, "staying-safe"),       # a confirmed place
    (DEMO_STUDENT, "anxiety-full"),       # the waiting list of a full session
    (DEMO_STUDENT, "recovery-past"),      # a past course they came to
    (DEMO_FACILITATOR, "mindfulness"),    # facilitators are students too
]

# Which run of Staying Safe each former student came to, in the order of
# people.DEMO_FORMER_STUDENTS:
# (session key, how many).
FORMER_RUNS = (
    ("staying-safe-first", 12), ("staying-safe-second", 12),
    ("staying-safe-earlier-1", 13), ("staying-safe-earlier-2", 13),
)


def book(
    sessions: list[tuple[DemoSession, CourseSession]],
    users: dict[str, User],
    now: datetime,
) -> int:
    """Places on the sessions this run scheduled: the demo students in turn, then the
    demo logins' own, the former students' and some places changed and cancelled.
    Returns how many bookings it added."""
    added = 0
    crowd = [
        users[student_email(name)] for name, _ in DEMO_STUDENTS
        if users[student_email(name)].active
    ]
    admin = users[DEMO_ADMIN]
    rotation = itertools.cycle(crowd)
    # Nobody books two runs of one course, or two sessions at the same time.
    on_course: dict[str, set[int]] = defaultdict(set)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    phone_booking = itertools.count(1)

    def free(student: User, session: CourseSession) -> bool:
        return not any(
            start < d.ends_at and d.starts_at < end
            for start, end in busy[student.id] for d in session.dates
        )

    for spec, session in sessions:
        picked: list[User] = []
        for _ in range(2 * len(crowd)):  # at most twice round everyone
            if len(picked) >= spec.taken:
                break
            student = next(rotation)
            if student.id not in on_course[spec.slug] and free(student, session):
                picked.append(student)
                on_course[spec.slug].add(student.id)
                busy[student.id] += [(d.starts_at, d.ends_at) for d in session.dates]
        for student in picked:
            if session.starts_at <= now:
                _add_past_booking(session, student)
            else:
                # Every fifth place was booked by the REC team over the phone.
                made_by = admin if next(phone_booking) % 5 == 0 else None
                book_place(session.id, student, made_by=made_by, confirm_overlap=True, now=now)
            added += 1

    by_key = {spec.key: session for spec, session in sessions if spec.key}
    for email, key in DEMO_BOOKINGS:
        session, user = by_key.get(key), users.get(email)
        if session is None or user is None or not user.active:
            continue
        if session.starts_at <= now:
            _add_past_booking(session, user)
        else:
            book_place(session.id, user, confirm_overlap=True, now=now)
        added += 1

    came_to = [key for key, count in FORMER_RUNS for _ in range(count)]
    for (name, _), key in zip(DEMO_FORMER_STUDENTS, came_to, strict=True):
        session, user = by_key.get(key), users.get(student_email(name))
        if session is not None and user is not None and session.starts_at <= now:
            _add_past_booking(session, user)
            added += 1

    # People change their plans: on every third session someone else booked a place and
    # cancelled it, and on sessions with a waiting list one more person joined it and left.
    for n, (spec, session) in enumerate(sessions):
        if session.status == SESSION_CANCELLED or (session.booking_opens_at and session.booking_opens_at > now):
            continue
        on_it = set(db.session.execute(select(Booking.student_id).where(Booking.session_id == session.id)).scalars())
        changes = ([True] if n % 3 == 0 else []) + ([False] if spec.taken > session.capacity else [])
        for had_place in changes:
            student = next((s for s in itertools.islice(rotation, len(crowd)) if s.id not in on_it), None)
            if student is None:
                break
            on_it.add(student.id)
            _add_cancelled_booking(session, student, now, had_place=had_place)
            added += 1
    return added


def _add_booking_row(session: CourseSession, student: User, status: str, queued_at: datetime,
                     confirmed_at: datetime | None, cancelled_at: datetime | None = None) -> None:
    """A booking the student made themselves, written directly (``book_place`` would email
    them, and rightly refuses past sessions)."""
    db.session.add(
        Booking(
            session_id=session.id, student_id=student.id, status=status, made_by=MADE_BY_SELF,
            made_by_user_id=student.id, queued_at=queued_at, confirmed_at=confirmed_at,
            cancelled_at=cancelled_at,
        )
    )
    db.session.flush()


def _add_cancelled_booking(session: CourseSession, student: User, now: datetime, *, had_place: bool) -> None:
    """A place (or a waiting-list place) the student asked for and cancelled: two weeks
    before a past session and four days later; on an upcoming session (scheduled just now,
    by the demo), just now. Nobody is emailed and no waiting list moves."""
    if session.starts_at <= now:
        asked = session.starts_at - timedelta(days=14)
        cancelled = asked + timedelta(days=4)
    else:
        asked = cancelled = now
    _add_booking_row(session, student, BOOKING_CANCELLED, asked, asked if had_place else None, cancelled)


def _add_past_booking(session: CourseSession, student: User) -> None:
    """A place on a session that has already run, booked three weeks before it started."""
    booked_at = session.starts_at - timedelta(days=21)
    _add_booking_row(session, student, CONFIRMED, booked_at, booked_at)
