"""Booking rules. Operations flush, never commit; the caller commits once.

Capacity is never exceeded, even under concurrent requests: every operation that changes
who holds a place first locks the session row. On PostgreSQL that is
``SELECT ... FOR UPDATE``; SQLAlchemy's SQLite dialect drops ``FOR UPDATE``, but every
SQLite write transaction here begins with ``BEGIN IMMEDIATE`` (rec_portal/extensions.py),
which takes the database's write lock before the count is read. The partial unique index
``uq_bookings_active_student_session`` stops double bookings whatever happens.

One place per person per course: ``lock_session`` first locks the session's course row, so
every change to who holds a place on any date of one course happens one at a time, and
a promotion on one date always sees a place just booked on another.

Who is told, and by whom (emails in ``bookings/notify.py``, queued through the outbox in
the same transaction, so they exist exactly when the change is committed):

- Anyone given a place from a waiting list is told "a place is yours" (``notify.
  place_offered``) by the operation that gives it, once per person: ``fill_free_places``
  (and so ``book_place``'s swap, ``cancel_booking``, ``serve_other_waiting_lists``,
  ``change_capacity``), ``give_place_to`` and ``swap_to_waiting_place``. Callers never
  queue it: the lists of people promoted that operations return are for what the page
  says, not for telling them.
- Someone passed over for a free place because they hold another date of the course is
  told once that they can swap (``notify.swap_possible``, in ``fill_free_places``).
- The person acting is told of what they asked for by the caller, which knows who asked
  and whether to tell them: the place booked or the waiting list joined
  (``notify.booking_made``), the booking cancelled and the places given up or lists left
  by choosing to swap (``notify.booking_cancelled``, for ``BookingResult.released``).
  Account deletion tells nobody, a walk-in is told only while the session runs, demo
  data tells nobody.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased

from rec_portal.bookings.queries import places_taken_by
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Attendance, Booking, CourseSession, SessionDate, User
from rec_portal.models.attendance import ABSENT, PRESENT
from rec_portal.models.bookings import (
    ADMIN,
    CANCELLED,
    CONFIRMED,
    DECLINED_OFFER,
    LEFT_LIST,
    OFFERED,
    SELF,
    SUPPORTERS,
    TAKES_A_PLACE,
    WAITLISTED,
)
from rec_portal.models.courses import CANCELLED as SESSION_CANCELLED
from rec_portal.models.courses import SCHEDULED, lock_session
from rec_portal.notifications.contact import close_call_lines
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


class SameCourseQuestion(DomainError):
    """The person already holds a place or a waiting-list place on another date of this
    course: they must choose (swap, keep both, or leave things as they are)."""

    def __init__(self, session: CourseSession, others: list[Booking], *, full: bool,
                 filled: bool = False):
        self.session, self.others, self.full, self.filled = session, others, full, filled
        self.holds_place = [o for o in others if o.status == CONFIRMED]
        self.waiting = [o for o in others if o.status == WAITLISTED]
        dates = " and ".join(format_uk(o.session.starts_at) for o in others)
        if filled:
            text = (f"This date has just filled up, so you cannot swap to it. You still have your "
                    f"place on {dates}.")
        elif self.holds_place:
            text = f"You already have a place on this course, on {dates}."
        else:
            text = f"You are already on the waiting list for this course, for {dates}."
        super().__init__(text)


# What a person chose when they already hold a booking on another date of the course.
SWAP, KEEP = "swap", "keep"


@dataclass
class BookingResult:
    booking: Booking
    waitlist_position: int | None = None
    # A swap: the places given up and waiting lists left on other dates of the course, and
    # the people promoted into the places that freed.
    places_given_up: list[Booking] = field(default_factory=list)
    lists_left: list[Booking] = field(default_factory=list)
    promoted: list[Booking] = field(default_factory=list)

    @property
    def released(self) -> list[Booking]:
        return self.places_given_up + self.lists_left


def places_taken(session_id: int) -> int:
    """Places taken on the session, by the one rule (bookings.queries.places_taken_by):
    confirmed and offered places, and one more for each of them with a supporter when the
    course says supporters take a place."""
    return db.session.execute(_places_taken_statement(), {"session_id": session_id}).scalar_one()


@functools.cache
def _places_taken_statement():
    """places_taken's statement for the session ``session_id``, made once (building it on
    every booking cost more than running it)."""
    taken = places_taken_by(Booking.session_id == bindparam("session_id")).subquery()
    return select(func.coalesce(func.sum(taken.c.taken), 0))


def places_needed(booking_or_supporter, course) -> int:
    """How many places a booking (or a booking with this ``supporter``) takes on ``course``."""
    supporter = getattr(booking_or_supporter, "supporter", booking_or_supporter)
    return 2 if supporter and course.supporters_take_place else 1


def places_left(session: CourseSession) -> int:
    return max(session.capacity - places_taken(session.id), 0)


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
    return list(db.session.execute(
        _overlapping_statement(), {"student_id": student_id, "session_id": session.id}
    ).scalars())


@functools.cache
def _overlapping_statement():
    """overlapping_bookings' statement, made once."""
    mine = select(SessionDate).where(SessionDate.session_id == bindparam("session_id")).subquery()
    theirs = SessionDate.__table__.alias("other_dates")
    return (
        select(Booking)
        .join(theirs, theirs.c.session_id == Booking.session_id)
        .join(mine, and_(theirs.c.starts_at < mine.c.ends_at, theirs.c.ends_at > mine.c.starts_at))
        .where(
            Booking.student_id == bindparam("student_id"),
            Booking.status != CANCELLED,
            Booking.session_id != bindparam("session_id"),
        )
        .distinct()
    )


def _current_dates_of_course(course_id: int, now: datetime):
    """Group sessions of the course still to come or under way (individual workshops are
    arranged one to one and do not count)."""
    return and_(
        CourseSession.course_id == course_id,
        CourseSession.individual.is_(False),
        CourseSession.status == SCHEDULED,
        CourseSession.ends_at > now,
    )


def same_course_bookings(session: CourseSession, student_id: int,
                         now: datetime | None = None) -> list[Booking]:
    """The student's places and waiting-list places on other dates of this session's
    course still to come or under way, earliest first. None for an individual workshop."""
    if session.individual:
        return []
    now = now or utcnow()
    return list(db.session.execute(
        _same_course_statement(),
        {"student_id": student_id, "session_id": session.id, "course_id": session.course_id, "now": now},
    ).scalars())


@functools.cache
def _same_course_statement():
    """same_course_bookings' statement, made once."""
    return (
        select(Booking)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(
            Booking.student_id == bindparam("student_id"),
            Booking.status != CANCELLED,
            Booking.session_id != bindparam("session_id"),
            _current_dates_of_course(bindparam("course_id"), bindparam("now")),
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
    )


def _holding_places_elsewhere(session: CourseSession, student_ids: list[int],
                              now: datetime) -> set[int]:
    """Which of these students hold a place on another date of the course: one still to
    come or under way, or one that is over but not yet completed where they were not marked
    absent (its register may not be taken yet: were they promoted now and then marked
    present there, they would hold two places of the course)."""
    if not student_ids or session.individual:
        return set()
    marked_absent = exists().where(Attendance.booking_id == Booking.id, Attendance.status == ABSENT)
    return set(db.session.execute(
        select(Booking.student_id)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(
            Booking.student_id.in_(student_ids),
            Booking.status == CONFIRMED,
            Booking.session_id != session.id,
            CourseSession.course_id == session.course_id,
            CourseSession.individual.is_(False),
            CourseSession.status == SCHEDULED,
            or_(CourseSession.ends_at > now, ~marked_absent),
        )
    ).scalars())


@functools.cache
def _attended_other_dates_statement():
    """attended_other_dates' statement for the waiting-list places ``booking_ids``, made
    once (building it costs more than running it)."""
    waiting, waiting_session = aliased(Booking, name="waiting"), aliased(CourseSession, name="waiting_session")
    return (
        select(waiting.id, Booking)
        .select_from(waiting)
        .join(waiting_session, waiting_session.id == waiting.session_id)
        .join(Booking, and_(Booking.student_id == waiting.student_id,
                            Booking.session_id != waiting.session_id))
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(
            waiting.id.in_(bindparam("booking_ids", expanding=True)),
            waiting_session.individual.is_(False),
            CourseSession.course_id == waiting_session.course_id,
            CourseSession.individual.is_(False),
            CourseSession.status != SESSION_CANCELLED,
            exists().where(
                Attendance.booking_id == Booking.id,
                Attendance.status == PRESENT,
                or_(CourseSession.ends_at > waiting.queued_at, Attendance.recorded_at > waiting.queued_at),
            ),
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
    )


def attended_other_dates(booking_ids: list[int]) -> dict[int, Booking]:
    """For each of these waiting-list places, the student's place on another date of the
    same course at which they were marked present, if that date was still to come or
    under way when they joined this list, or the mark was recorded after they joined it
    (earliest first; one statement).

    Such a person has done the course since joining the list: they are never promoted from
    it (a place elsewhere only counts until that date is over; attending it counts for
    good). Someone who joins a list after doing the course chose to do it again, so an
    earlier course does not count. Individual workshops do not count, either way."""
    if not booking_ids:
        return {}
    rows = db.session.execute(_attended_other_dates_statement(), {"booking_ids": list(booking_ids)}).all()
    found: dict[int, Booking] = {}
    for booking_id, attended in rows:
        found.setdefault(booking_id, attended)
    return found


ATTENDED_SWAP_MESSAGE = (
    "You have already done this course: you attended on {date}. So you will not be given a "
    "place from this waiting list. If you would like to do the course again, contact the "
    "REC team."
)


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
    same_course: str | None = None,
    supporter: str = "",
) -> BookingResult:
    """Give ``student`` a place, or a place in the waiting list if the session is full.
    An individual workshop is refused, unless ``workshop`` (the REC team arranging it for
    the student it is for: rec_portal/workshops/operations.py).

    One place per person per course: if the student already holds a place or a
    waiting-list place on another date of the course, ``SameCourseQuestion`` asks them to
    choose, and ``same_course`` is their answer. ``SWAP``: book this date and give up the
    others, in this transaction (refused, by asking again, if it would swap a place for a
    waiting-list place). ``KEEP``: book this date and keep the others; anyone who keeps a
    place elsewhere only joins this date's waiting list, and is never promoted into it
    while they hold that place. ``supporter``: who comes with them (a key of
    models.bookings.SUPPORTERS, or "" for nobody)."""
    if supporter and supporter not in SUPPORTERS:
        raise BookingRefused("Choose who is coming with you from the list.", field="supporter")
    now = now or utcnow()
    session = _check_bookable(lock_session(session_id), student, now, workshop=workshop)
    existing = active_booking(session.id, student.id)
    if existing is not None:
        if existing.status == CONFIRMED:
            raise BookingRefused("You already have a place on this session.")
        if existing.status == OFFERED:
            raise BookingRefused(
                "A place on this session is being held for you: accept it on My courses."
            )
        raise BookingRefused(
            f"You are already on the waiting list for this session "
            f"(number {waitlist_position(existing)} in line)."
        )
    others = [] if workshop else same_course_bookings(session, student.id, now)
    free = places_taken(session.id) + places_needed(supporter, session.course) <= session.capacity
    if free and not workshop and _told_of_free_place(session, now):
        # The people waiting were told the first of them to accept gets it: someone new
        # joins the waiting list behind them.
        free = False
    keeps_place = [o for o in others if o.status == CONFIRMED]
    if others and (same_course not in (SWAP, KEEP) or (same_course == SWAP and keeps_place and not free)):
        raise SameCourseQuestion(session, others, full=not free, filled=same_course == SWAP)
    if not confirm_overlap:
        overlaps = overlapping_bookings(session, student.id)
        if same_course == SWAP:  # the dates given up do not count
            overlaps = [b for b in overlaps if b not in others]
        if overlaps:
            raise OverlapWarning(overlaps)
    status = CONFIRMED if free and not (same_course == KEEP and keeps_place) else WAITLISTED
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
        supporter=supporter,
    )
    db.session.add(booking)
    db.session.flush()
    result = BookingResult(booking)
    if same_course == SWAP:
        by_student = made_by is None or made_by.id == student.id
        # Waiting lists are left first: nobody is then offered a place (or a swap) from a
        # list they are leaving in this same transaction.
        for other in sorted(others, key=lambda o: o.status == CONFIRMED):
            (result.places_given_up if other.status == CONFIRMED else result.lists_left).append(other)
            result.promoted += cancel_booking(other.id, now=now, by_student=by_student)
    result.waitlist_position = waitlist_position(booking)
    return result


def offers_closed(session: CourseSession, now: datetime) -> bool:
    """Nobody is offered a place (held or last-minute) once booking has closed, the session
    has started or is not scheduled, or its register is being taken (marks start an hour
    before it starts)."""
    return _closed_by_time(session, now) or register_taken(session.id)


def _closed_by_time(session: CourseSession, now: datetime) -> bool:
    """offers_closed, without asking the database: not scheduled, started, or booking closed."""
    if session.status != SCHEDULED or session.starts_at <= now:
        return True
    return session.booking_closes_at is not None and now >= session.booking_closes_at


# A place is never held for less than this (REC_OFFER_HOURS is 1 or more): a hold that
# would end sooner could not be answered in time, so the place goes the last-minute way.
SHORTEST_HOLD = timedelta(hours=1)


def last_minute(session: CourseSession, now: datetime) -> bool:
    """A freed place is not held for anyone, but free to whoever on the waiting list
    accepts first: within REC_LAST_MINUTE_HOURS of the start, or when a place held now
    would be held for less than an hour (``offer_expiry``: booking closes, or the
    last-minute hours begin, within the hour)."""
    return offer_expiry(session, now) - now < SHORTEST_HOLD


def last_minute_starts(session: CourseSession) -> datetime:
    """When the last-minute hours (REC_LAST_MINUTE_HOURS before the start) begin."""
    return session.starts_at - timedelta(hours=current_app.config["REC_LAST_MINUTE_HOURS"])


def offer_expiry(session: CourseSession, now: datetime) -> datetime:
    """When an offer made ``now`` ends: REC_OFFER_HOURS later, shortened so it always ends
    before booking closes and when the last-minute hours begin (from then on a freed place
    goes to whoever accepts first, so a place is never held unanswered until the start)."""
    held_until = now + timedelta(hours=current_app.config["REC_OFFER_HOURS"])
    return min(held_until, session.booking_closes_at or session.starts_at, session.starts_at,
               last_minute_starts(session))


def cut_offers_short(session: CourseSession, now: datetime | None = None) -> list[Booking]:
    """After staff changed a session's dates or closing time (session locked): every place
    held on it ends by the new limit (``offer_expiry`` from when it was offered; never
    later than it was), and those whose time is now up are passed on at once
    (``pass_on_offer``). Returns the bookings offered a place by passing on, each told."""
    now = now or utcnow()
    held = db.session.execute(
        select(Booking).where(Booking.session_id == session.id, Booking.status == OFFERED)
        .order_by(Booking.offered_at, Booking.id)
    ).scalars().all()
    for booking in held:
        limit = offer_expiry(session, booking.offered_at)
        booking.offer_expires_at = min(booking.offer_expires_at, limit)
    db.session.flush()
    offered = []
    for booking in held:
        if booking.offer_expires_at <= now:
            offered += pass_on_offer(booking.id, now) or []
    return offered


def fill_free_places(session: CourseSession, now: datetime | None = None, *,
                     freed: bool = True) -> list[Booking]:
    """Offer free places to the people waiting, first come first served: each place is
    held for the first eligible person (status OFFERED) until ``offer_expiry``; they
    accept or decline (or the offer lapses and passes on: ``pass_on_lapsed_offers``).
    Returns the bookings offered a place, each already told. The session row must already
    be locked by the caller.

    Anyone who holds a place on another date of the course is passed over and keeps their
    place in line; if a place is still free after everyone else, they are told (once) that
    they can swap. A booking with a supporter who takes a place needs two free places; the
    first person waiting who fits is offered a place, the others keep theirs in line.

    Nobody is offered anything once ``offers_closed``. Within the last minutes
    (``last_minute``), no place is held: everyone eligible on the list is told at once that
    a place is free and the first to accept gets it (``accept_last_minute_place``); only
    when a place was just ``freed`` are those told before told again."""
    now = now or utcnow()
    if offers_closed(session, now):
        return []
    free = session.capacity - places_taken(session.id)
    if free <= 0:
        return []
    waiting = db.session.execute(
        select(Booking)
        .where(Booking.session_id == session.id, Booking.status == WAITLISTED)
        .order_by(Booking.queued_at, Booking.id)
    ).scalars().all()
    if last_minute(session, now):
        _tell_place_free_now(session, waiting, free, now, again=freed)
        return []
    chosen = _pass_over_people_with_a_place(session, waiting, free, now)
    expires = offer_expiry(session, now)
    for booking in chosen:
        booking.status = OFFERED
        booking.offered_at = now
        booking.offer_expires_at = expires
    db.session.flush()
    from rec_portal.bookings import offer_notify

    for booking in chosen:
        offer_notify.place_offered(booking)
    return list(chosen)


def _tell_place_free_now(session: CourseSession, waiting: list[Booking], free: int,
                         now: datetime, *, again: bool) -> None:
    """Last minute: tell everyone eligible on the list that a place is free and the first
    to accept gets it (those already told, only ``again`` when a place was just freed)."""
    from rec_portal.bookings import offer_notify

    for booking in _pass_over_people_with_a_place(session, waiting, free, now, everyone=True):
        if booking.last_minute_told_at is None or again:
            booking.last_minute_told_at = now
            offer_notify.place_free_now(booking)
    db.session.flush()


def _told_of_free_place(session: CourseSession, now: datetime) -> list[Booking]:
    """Last minute: the people waiting who were told a place is free (first to accept gets
    it) and could still take one now (none holds a place on another date of the course or
    has attended one, and each fits in the places free)."""
    if not last_minute(session, now):
        return []
    told = db.session.execute(
        select(Booking)
        .where(Booking.session_id == session.id, Booking.status == WAITLISTED,
               Booking.last_minute_told_at.is_not(None))
        .order_by(Booking.queued_at, Booking.id)
    ).scalars().all()
    if not told:
        return []
    free = session.capacity - places_taken(session.id)
    elsewhere = _holding_places_elsewhere(session, [b.student_id for b in told], now)
    attended = set() if session.individual else set(attended_other_dates([b.id for b in told]))
    return [b for b in told if b.student_id not in elsewhere and b.id not in attended
            and places_needed(b, session.course) <= free]


def tell_booking_made(booking: Booking, position: int | None = None) -> None:
    """Queue "your place is booked" (or "you are on the waiting list", with ``position``)
    for the person acting, for a caller outside bookings that made the booking (an
    individual workshop arranged by an admin)."""
    from rec_portal.bookings import notify

    notify.booking_made(booking, position)


def _tell_place_is_theirs(booking: Booking) -> None:
    """Queue "a place is yours" for a place just given from a waiting list. Every operation
    that gives one calls this, once per place, so no caller needs to (or may)."""
    from rec_portal.bookings import notify

    notify.place_offered(booking)


def _pass_over_people_with_a_place(session: CourseSession, waiting: list[Booking], free: int,
                                   now: datetime, *, everyone: bool = False) -> list[Booking]:
    """Those of ``waiting`` (in line order) who hold no place on another date of the course
    and have not attended another date since joining this list (``attended_other_dates``)
    and fit in the ``free`` places, taken in turn (one each, two with a supporter who takes
    a place; someone who does not fit keeps their place in line); with ``everyone``, all
    of them who would fit in ``free`` places on their own. If places are left over, the
    people passed over for a place they hold are told once that a place is free and they
    can swap (the message goes through the outbox); those who attended are not (there is
    nothing to swap)."""
    elsewhere = _holding_places_elsewhere(session, [b.student_id for b in waiting], now)
    attended = set() if session.individual else set(attended_other_dates([b.id for b in waiting]))
    chosen, left = [], free
    for booking in waiting:
        if booking.student_id in elsewhere or booking.id in attended:
            continue
        needed = places_needed(booking, session.course)
        if needed <= left:
            chosen.append(booking)
            left -= 0 if everyone else needed
    if left > 0:
        from rec_portal.bookings import notify

        for booking in waiting:
            if (booking.student_id in elsewhere and booking.id not in attended
                    and booking.swap_offered_at is None):
                booking.swap_offered_at = now
                notify.swap_possible(booking)
    return chosen


def serve_other_waiting_lists(booking: Booking, now: datetime) -> list[Booking]:
    """After ``booking``'s place is given up, its student may be first in line (and no longer
    passed over) on another date of the course that has a free place."""
    promoted = []
    for other in same_course_bookings(booking.session, booking.student_id, now):
        if other.status == WAITLISTED:
            promoted += fill_free_places(lock_session(other.session_id), now, freed=False)
    return promoted


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


def set_supporter(booking_id: int, student: User, supporter: str, now: datetime | None = None) -> Booking:
    """Change who comes with ``student`` on their booking (a key of SUPPORTERS, or "" for
    nobody). On a course where supporters take a place, bringing someone to a session
    with a place needs a free place for them (refused, with a clear message, if there is
    none); taking them off frees it. Flushes."""
    if supporter and supporter not in SUPPORTERS:
        raise BookingRefused("Choose who is coming with you from the list.", field="supporter")
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if booking.student_id != student.id or booking.status == CANCELLED:
        raise BookingRefused("This booking is cancelled, so there is nothing to change.")
    if session.ends_at <= now:
        raise BookingRefused("This session is over, so there is nothing to change.")
    needs_place = (session.course.supporters_take_place and supporter and not booking.supporter
                   and booking.status in TAKES_A_PLACE)
    if needs_place and places_taken(session.id) + 1 > session.capacity:
        raise BookingRefused(
            "On this course someone coming with you needs a place of their own, and this "
            "session has no places left. Your booking has not changed. Call the REC team if "
            "you need to talk about it.", field="supporter")
    frees_place = (session.course.supporters_take_place and booking.supporter and not supporter)
    booking.supporter = supporter
    db.session.flush()
    if frees_place:  # their supporter's place (or the one they were waiting for) is offered on
        fill_free_places(session, now, freed=booking.status in TAKES_A_PLACE)
    return booking


def set_supporters_take_place(course, take_place: bool,
                              now: datetime | None = None) -> list[Booking]:
    """Change whether supporters take a place of their own on ``course``, keeping every
    date's places right: turning it on is refused (naming the dates) if any date still to
    come or under way would then have more places taken than it has; turning it off offers
    the places it frees on each of those dates (returned, each told). Every date is
    locked while it is counted or filled. Flushes."""
    now = now or utcnow()
    if bool(take_place) == bool(course.supporters_take_place):
        return []
    session_ids = db.session.execute(
        select(CourseSession.id)
        .where(CourseSession.course_id == course.id, CourseSession.status == SCHEDULED,
               CourseSession.ends_at > now)
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).scalars().all()
    sessions = [lock_session(i) for i in session_ids]
    if take_place:
        over = []
        for session in sessions:
            supporters = db.session.execute(
                select(func.count()).select_from(Booking).where(
                    Booking.session_id == session.id, Booking.status.in_(TAKES_A_PLACE),
                    Booking.supporter != "")
            ).scalar_one()
            if places_taken(session.id) + supporters > session.capacity:
                over.append(session)
        if over:
            dates = ", ".join(format_uk(s.starts_at) for s in over)
            raise BookingRefused(
                "Supporters cannot take a place of their own yet: on "
                f"{dates}, the people booked and their supporters would need more places than "
                "there are. Add places to those dates first (or ask people to come without a "
                "supporter), then try again.", field="supporters_take_place")
    course.supporters_take_place = bool(take_place)
    db.session.flush()
    offered = []
    if not take_place:
        for session in sessions:
            offered += fill_free_places(session, now)
    return offered


def _lock_booking(booking_id: int) -> tuple[Booking, CourseSession]:
    """The booking and its session, the session locked (the course first: lock_session),
    and the booking read again under the lock."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingRefused("This booking does not exist.")
    session = lock_session(booking.session_id)
    db.session.refresh(booking)
    return booking, session


def cancel_booking(
    booking_id: int, *, now: datetime | None = None, by_student: bool = False
) -> list[Booking]:
    """Cancel a booking or leave a waiting list (waiting, or offered a place: the reason
    is LEFT_LIST). Returns the bookings offered the place that was freed (in the same
    transaction; nobody once offers are closed), each already told; the caller tells the
    person whose booking it was, if it should. A place given up goes to the next in line,
    never back to the front. ``by_student``: the student is cancelling their own place,
    which they cannot do once the session has started (staff still can)."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if booking.status == CANCELLED:
        raise BookingRefused("This booking is already cancelled.")
    refuse_if_marked(booking, by_student=by_student)
    if by_student and (refusal := self_cancel_refusal(booking, now)):
        raise BookingRefused(refusal)
    return _release(booking, session, now, reason=None if booking.status == CONFIRMED else LEFT_LIST)


# Why the call-list lines about a booking closed, by how it ended (``_release``).
RELEASE_NOTES = {
    None: "The booking was cancelled",
    LEFT_LIST: "They left the waiting list",
    DECLINED_OFFER: "They said no to the place held for them",
}


def _release(booking: Booking, session: CourseSession, now: datetime, *,
             reason: str | None) -> list[Booking]:
    """Cancel ``booking`` (session locked) and, if it took a place, offer the place on."""
    took_place, was_confirmed = booking.status in TAKES_A_PLACE, booking.status == CONFIRMED
    booking.status = CANCELLED
    booking.cancelled_at = now
    booking.cancelled_reason = reason
    db.session.flush()
    close_call_lines(booking, now=now, note=RELEASE_NOTES[reason])
    if not took_place:
        return []
    offered = fill_free_places(session, now)
    # Only a confirmed place could have kept them off another date's list.
    return offered + (serve_other_waiting_lists(booking, now) if was_confirmed else [])


def leave_list(booking_id: int, *, now: datetime | None = None) -> list[Booking]:
    """Leave a waiting list at any time, waiting or offered a place (an offered place is
    offered to the next person). Returns those offered it."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if booking.status not in (WAITLISTED, OFFERED):
        raise BookingRefused("You are not on the waiting list for this session any more.")
    return _release(booking, session, now, reason=LEFT_LIST)


def change_capacity(session_id: int, capacity: int, *, now: datetime | None = None) -> list[Booking]:
    """Set a session's capacity; raising it gives the new places to the people waiting
    (returned, each already told)."""
    session = lock_session(session_id)
    if session is None:
        raise BookingRefused("This session does not exist.")
    booked = places_taken(session.id)
    if capacity < 1:
        raise BookingRefused("Capacity must be 1 or more.", field="capacity")
    if capacity < booked:
        raise BookingRefused(
            f"{booked} places are taken (booked, or held for someone offered one), so capacity "
            f"cannot be less than {booked}. Cancel some places first.",
            field="capacity",
        )
    session.capacity = capacity
    db.session.flush()
    return fill_free_places(session, now)


__all__ = [
    "ADMIN",
    "SELF",
    "KEEP",
    "SWAP",
    "ATTENDED_SWAP_MESSAGE",
    "SameCourseQuestion",
    "attended_other_dates",
    "serve_other_waiting_lists",
    "same_course_bookings",
    "swap_to_waiting_place",
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
    "accept_offer",
    "accept_last_minute_place",
    "decline_offer",
    "lapsed_offers",
    "last_minute",
    "last_minute_place_free",
    "leave_list",
    "offer_expiry",
    "offer_refusal",
    "offers_closed",
    "cut_offers_short",
    "pass_on_lapsed_offers",
    "pass_on_offer",
    "places_needed",
    "places_taken",
    "set_supporters_take_place",
]


def give_place_to(booking_id: int, *, now: datetime | None = None) -> Booking:
    """Staff move one person from the waiting list into a place, ahead of the queue. The
    session gains a place for them, so nobody already booked loses theirs."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if session.status == SESSION_CANCELLED:
        raise BookingRefused("This session has been cancelled, so nobody can be given a place on it.")
    if session.status != SCHEDULED:
        raise BookingRefused("This session is completed, so nobody can be given a place on it.")
    if booking.status == OFFERED:
        raise BookingRefused(
            f"A place is being held for {booking.student.full_name}: use “Accept for them” "
            "if they said yes."
        )
    if booking.status != WAITLISTED:
        raise BookingRefused("Only someone on the waiting list can be given a place.")
    held = [o for o in same_course_bookings(session, booking.student_id, now) if o.status == CONFIRMED]
    if held:
        raise BookingRefused(
            f"{booking.student.full_name} already has a place on this course, on "
            f"{format_uk(held[0].session.starts_at)}. One place per person per course: cancel "
            "that place first if they would rather come on this date."
        )
    missing = places_taken(session.id) + places_needed(booking, session.course) - session.capacity
    if missing > 0:
        session.capacity += missing
    booking.status = CONFIRMED
    booking.confirmed_at = now
    booking.promoted_at = now
    db.session.flush()
    close_call_lines(booking, OFFER_KINDS, note="The REC team gave them a place", now=now)
    _close_free_place_lines(session, now)
    _tell_place_is_theirs(booking)
    return booking


def swap_to_waiting_place(booking_id: int, *, by_student: bool = True,
                          now: datetime | None = None) -> BookingResult:
    """Someone on this date's waiting list who holds a place on another date of the course
    takes a place that is free here and gives up the other place, in one transaction. They
    were passed over because of that place, so they may take any place left free."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if booking.status not in (WAITLISTED, OFFERED):
        raise BookingRefused("You are not on the waiting list for this date any more.")
    if session.status != SCHEDULED or session.starts_at <= now:
        raise BookingRefused("This session has already started or finished, so nobody can swap to it.")
    result = BookingResult(booking)
    # Anyone entitled to a free place before them gets it first (usually nobody). That may
    # be them: the place they held elsewhere is over or gone since the page was shown.
    # ``promoted`` lists the others only; everyone given a place, them included, is told
    # once (by fill_free_places, or below).
    result.promoted += [b for b in fill_free_places(session, now, freed=False) if b.id != booking.id]
    db.session.refresh(booking)
    if booking.status != OFFERED:  # a place held for them is theirs: they are asking for it
        _refuse_unless_a_place_is_free(
            booking, session,
            "There is no free place on this date at the moment. You keep your place on the "
            "waiting list (number {position} in line).")
    booking.status = CONFIRMED
    booking.confirmed_at = now
    booking.promoted_at = now
    db.session.flush()
    close_call_lines(booking, OFFER_KINDS, note="They took the place", now=now)
    _close_free_place_lines(session, now)
    _tell_place_is_theirs(booking)
    for other in same_course_bookings(session, booking.student_id, now):
        if other.status == CONFIRMED:
            result.places_given_up.append(other)
            result.promoted += cancel_booking(other.id, now=now, by_student=by_student)
    return result


def tell_cancelled(booking: Booking) -> None:
    """Queue "your booking is cancelled" for a place (or waiting-list place) given up, for
    the caller that cancelled it (the student, or staff for them)."""
    from rec_portal.bookings import notify

    notify.booking_cancelled(booking)


def tell_released(result: BookingResult) -> None:
    """Queue "cancelled" for each place given up and waiting list left by choosing to swap
    (``result.released``)."""
    for other in result.released:
        tell_cancelled(other)


def tell_booked(result: BookingResult) -> None:
    """What ``book_place`` was asked for: the booking made, and the places given up by a
    swap. (Anyone given a place from a waiting list was told by the operation itself.)"""
    tell_booking_made(result.booking, result.waitlist_position)
    tell_released(result)


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


def send_reminders(now: datetime | None = None) -> int:
    """Remind everyone with a place on a session starting within two days, once each
    (``reminder_sent_at``), by their contact preference: an email with the calendar file,
    a short neutral text, or a line on the staff call list that is no longer needed once
    the session starts. Returns how many were reminded (flushes, never commits)."""
    from rec_portal.bookings import notify

    now = now or utcnow()
    bookings = due_reminders(now)
    for booking in bookings:
        notify.reminder(booking)
        booking.reminder_sent_at = now
    db.session.flush()
    return len(bookings)


# --- Offers that wait for an answer ------------------------------------------------------
# A freed place is held for the first eligible person waiting (fill_free_places) until
# offer_expires_at. They (or staff for them, on the phone) accept or decline; unanswered, it
# lapses (pass_on_lapsed_offers, run every few minutes by `rec pass-on-offers`) and goes to
# the next person, while they go to the back of the line. Every step locks the session, so
# an offer is accepted, declined or passed on exactly once.

def _they(booking: Booking, actor: User | None) -> tuple[str, str, str]:
    """("You", "are", "your") for the student; their name for staff acting for them."""
    if actor is not None and actor.id != booking.student_id:
        return booking.student.full_name, "is", "their"
    return "You", "are", "your"


def _refuse_one_place_per_course(booking: Booking, session: CourseSession, actor: User | None,
                                 now: datetime) -> None:
    held = [o for o in same_course_bookings(session, booking.student_id, now) if o.status == CONFIRMED]
    if held:
        who, verb, _ = _they(booking, actor)
        has = "have" if who == "You" else "has"
        raise BookingRefused(
            f"{who} already {has} a place on this course, on {format_uk(held[0].session.starts_at)}. "
            "Each person has one place on a course: cancel that place first to take this one."
        )


def _refuse_unless_a_place_is_free(booking: Booking, session: CourseSession, full: str) -> None:
    """A waiting-list place that asks for a free place (a swap, a last-minute place): not
    for someone who has done the course since joining the list, and only if the places
    they need are free. ``full``: the refusal, with ``{position}`` for their place in line."""
    attended = attended_other_dates([booking.id]).get(booking.id)
    if attended is not None:
        raise BookingRefused(ATTENDED_SWAP_MESSAGE.format(date=format_uk(attended.session.starts_at)))
    if places_taken(session.id) + places_needed(booking, session.course) > session.capacity:
        raise BookingRefused(full.format(position=waitlist_position(booking)))


def _take_place(booking: Booking, now: datetime, actor: User | None = None) -> Booking:
    """The place becomes theirs and they are told, in writing. When staff accepted for
    them on the phone, a person whose messages go to the call list is not put on it again:
    staff have just told them."""
    booking.status = CONFIRMED
    booking.confirmed_at = now
    booking.promoted_at = now
    db.session.flush()
    close_call_lines(booking, OFFER_KINDS, note="The place was accepted", now=now)
    _close_free_place_lines(booking.session, now)
    from rec_portal.bookings import offer_notify

    offer_notify.place_accepted(booking, spoken_to=actor is not None and actor.id != booking.student_id)
    return booking


# The messages about a place offered from the waiting list (offer_notify): their call-list
# lines are no longer needed once the place is taken.
OFFER_KINDS = ("offer_made", "offer_lapsed", "place_free_now")


def _close_free_place_lines(session: CourseSession, now: datetime) -> None:
    """A last-minute place was taken: the call-list lines telling people waiting that a
    place is free close for everyone it no longer fits (nobody, while one is left)."""
    free = session.capacity - places_taken(session.id)
    told = db.session.execute(
        select(Booking).where(Booking.session_id == session.id,
                              Booking.last_minute_told_at.is_not(None))
    ).scalars().all()
    gone = [b for b in told if places_needed(b, session.course) > free]
    close_call_lines(gone, "place_free_now", now=now,
                     note="The free place has been taken by someone else")


def offer_refusal(booking: Booking, now: datetime, actor: User | None = None) -> str | None:
    """Why ``booking``'s offer cannot be accepted now, or None."""
    who, verb, their = _they(booking, actor)
    if booking.status == CONFIRMED:
        return f"{who} already {'have' if who == 'You' else 'has'} this place: it is booked."
    if booking.status == WAITLISTED:
        return (f"This place is no longer being held for {who.lower() if who == 'You' else who}. "
                f"{who} {verb} still on the waiting list (number {waitlist_position(booking)} in line).")
    if booking.status != OFFERED:
        return f"{who} {verb} no longer on the waiting list for this session."
    if offers_closed(booking.session, now):
        return ("Booking for this session has closed, so the place can no longer be taken. "
                f"{who} {verb} still on the waiting list.")
    if now >= booking.offer_expires_at:
        return (f"The place was held until {format_uk(booking.offer_expires_at)}, so it is being "
                f"passed on to the next person. {who} {verb} still on the waiting list.")
    return None


def accept_offer(booking_id: int, actor: User | None = None, *, now: datetime | None = None) -> Booking:
    """Accept the place held for them (the student, or staff for them on the phone): it
    becomes theirs and they are told. Refused if it is not held for them any more, or if
    its time is up even before ``pass_on_lapsed_offers`` has run."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if refusal := offer_refusal(booking, now, actor):
        raise BookingRefused(refusal)
    _refuse_one_place_per_course(booking, session, actor, now)
    return _take_place(booking, now, actor)


def decline_offer(booking_id: int, actor: User | None = None, *,
                  now: datetime | None = None) -> list[Booking]:
    """Say no to the place held for them: they leave the waiting list (DECLINED_OFFER) and
    the place is offered to the next person (returned, already told)."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if booking.status != OFFERED:
        who, verb, _ = _they(booking, actor)
        raise BookingRefused(
            f"No place is being held for {'you' if who == 'You' else who} on this session any more, "
            "so there is nothing to decline."
        )
    return _release(booking, session, now, reason=DECLINED_OFFER)


def last_minute_place_free(booking: Booking, now: datetime | None = None) -> bool:
    """A waiting-list place that may take a free place now: last minute, booking still
    open, and a place free for them (what My courses offers with "Take the place")."""
    return booking.id in last_minute_places_free([booking], now)


def last_minute_places_free(bookings, now: datetime | None = None) -> set[int]:
    """The ids of those of ``bookings`` that may take a free place now
    (``last_minute_place_free`` for each): two statements whatever their number, none
    when no booking was told of a last-minute place."""
    now = now or utcnow()
    told = [b for b in bookings
            if b.status == WAITLISTED and b.last_minute_told_at is not None
            and not _closed_by_time(b.session, now) and last_minute(b.session, now)]
    if not told:
        return set()
    session_ids = {b.session_id for b in told}
    registers_taken = set(db.session.execute(
        select(Booking.session_id)
        .where(Booking.session_id.in_(session_ids), exists().where(Attendance.booking_id == Booking.id))
        .distinct()
    ).scalars())
    taken = dict(db.session.execute(places_taken_by(Booking.session_id.in_(session_ids))).all())
    return {b.id for b in told
            if b.session_id not in registers_taken
            and taken.get(b.session_id, 0) + places_needed(b, b.session.course) <= b.session.capacity}


def accept_last_minute_place(booking_id: int, actor: User | None = None, *,
                             now: datetime | None = None) -> Booking:
    """Take a place freed in the last hours, which goes to whoever on the waiting list
    accepts first: confirmed if a place is still free, else refused (they stay waiting)."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    who, verb, _ = _they(booking, actor)
    if booking.status == OFFERED:
        return accept_offer(booking.id, actor, now=now)
    if booking.status != WAITLISTED:
        raise BookingRefused(offer_refusal(booking, now, actor) or "")
    if offers_closed(session, now):
        raise BookingRefused("Booking for this session has closed, so places are no longer given "
                             "from the waiting list.")
    if not last_minute(session, now):
        raise BookingRefused("Places on this date are offered to the people waiting in turn: "
                             f"{who.lower() if who == 'You' else who} will be told if one is held.")
    _refuse_one_place_per_course(booking, session, actor, now)
    _refuse_unless_a_place_is_free(
        booking, session,
        f"The place has been taken; {who.lower() if who == 'You' else who} {verb} still on the "
        "waiting list (number {position} in line).")
    return _take_place(booking, now, actor)


def lapsed_offers(now: datetime | None = None) -> list[int]:
    """The ids of offers whose time is up, earliest first."""
    now = now or utcnow()
    return list(db.session.execute(
        select(Booking.id)
        .where(Booking.status == OFFERED, Booking.offer_expires_at <= now)
        .order_by(Booking.offer_expires_at, Booking.id)
    ).scalars())


def pass_on_offer(booking_id: int, now: datetime | None = None) -> list[Booking] | None:
    """One lapsed offer: the person goes back to the waiting list at the back of the line
    and the place is offered to the next (returned). They are told the place was passed
    on, unless it comes straight back to them (nobody else waiting: they are offered it
    again). None if the offer was answered or is not lapsed (checked under the lock)."""
    now = now or utcnow()
    booking, session = _lock_booking(booking_id)
    if booking.status != OFFERED or booking.offer_expires_at > now:
        return None
    booking.status = WAITLISTED
    booking.queued_at = now
    booking.offer_lapsed_at = now
    db.session.flush()
    close_call_lines(booking, "offer_made", now=now,
                     note="The place held for them was passed on: no answer in time")
    offered = fill_free_places(session, now)
    # Not told "passed on" when the place comes straight back to them, or when (the
    # last-minute hours beginning) they were just told with everyone that it is free.
    if booking not in offered and booking.last_minute_told_at != now:
        from rec_portal.bookings import offer_notify

        offer_notify.offer_lapsed(booking)
    return offered


def pass_on_lapsed_offers(now: datetime | None = None) -> int:
    """Pass on every lapsed offer (``pass_on_offer``) in this transaction; returns how
    many. `rec pass-on-offers` does the same, committing after each."""
    now = now or utcnow()
    return sum(pass_on_offer(i, now) is not None for i in lapsed_offers(now))
