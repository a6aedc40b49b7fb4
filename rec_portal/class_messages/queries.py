"""Who a message to a class reaches, and the messages already sent to a session."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, User
from rec_portal.models.bookings import CONFIRMED, OFFERED, WAITLISTED
from rec_portal.models.bookings import CANCELLED as BOOKING_CANCELLED
from rec_portal.models.contact import ClassMessage
from rec_portal.models.courses import CANCELLED
from rec_portal.notifications.contact import BY_CALL, BY_EMAIL, BY_LETTER, BY_TEXT, route_for


@dataclass
class Recipients:
    """Everyone a message would reach, and how (contact.route_for)."""

    people: list[User] = field(default_factory=list)
    routes: dict[int, str] = field(default_factory=dict)  # user id -> route

    @property
    def count(self) -> int:
        return len(self.people)

    @property
    def by_route(self) -> Counter:
        return Counter(self.routes.values())

    @property
    def by_email(self) -> int:
        return self.by_route[BY_EMAIL]

    @property
    def by_text(self) -> int:
        return self.by_route[BY_TEXT]

    @property
    def by_call_list(self) -> int:
        return self.by_route[BY_CALL] + self.by_route[BY_LETTER]

    def words(self) -> str:
        """"12 people: 8 by email, 3 by text message, 1 on the staff call list"."""
        people = f"{self.count} {'person' if self.count == 1 else 'people'}"
        parts = [f"{n} {how}" for n, how in (
            (self.by_email, "by email"), (self.by_text, "by text message"),
            (self.by_call_list, "on the staff call list"),
        ) if n]
        return f"{people}: {', '.join(parts)}" if parts else people


def _bookings(session: CourseSession, include_waiting: bool) -> list[Booking]:
    """The class. For a cancelled session (its places were all released when it was
    cancelled), the people whose places were cancelled with it."""
    query = select(Booking).where(Booking.session_id == session.id)
    if session.status == CANCELLED:
        query = query.where(Booking.status == BOOKING_CANCELLED,
                            Booking.cancelled_at == session.cancelled_at,
                            Booking.cancelled_reason.is_(None))
        if not include_waiting:
            query = query.where(Booking.confirmed_at.is_not(None))
    else:
        wanted = (CONFIRMED, OFFERED, WAITLISTED) if include_waiting else (CONFIRMED,)
        query = query.where(Booking.status.in_(wanted))
    return list(db.session.execute(
        query.options(joinedload(Booking.student))
        .order_by(Booking.queued_at, Booking.id)
    ).unique().scalars())


def recipients(session: CourseSession, include_waiting: bool) -> Recipients:
    """Everyone a message to ``session``'s class would reach (each person once; an
    anonymised account is told nothing)."""
    found = Recipients()
    for booking in _bookings(session, include_waiting):
        person = booking.student
        route = route_for(person)
        if route is None or person.id in found.routes:
            continue
        found.people.append(person)
        found.routes[person.id] = route
    return found


def messages_sent(session_id: int) -> list[ClassMessage]:
    """The messages sent to a session's class, newest first (senders loaded)."""
    return list(db.session.execute(
        select(ClassMessage).where(ClassMessage.session_id == session_id)
        .options(selectinload(ClassMessage.sender))
        .order_by(ClassMessage.created_at.desc(), ClassMessage.id.desc())
    ).scalars())
