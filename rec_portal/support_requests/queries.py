"""What the support request pages show, in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from rec_portal.extensions import db
from rec_portal.models import CourseSession, User
from rec_portal.timeutil import utcnow
from rec_portal.models.support_requests import (
    ASKED,
    CLOSED,
    STATUSES,
    SupportRequest,
    SupportRequestNote,
)


def status_counts() -> dict[str, int]:
    """How many requests are in each state (one statement)."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in db.session.execute(
        select(SupportRequest.status, func.count()).group_by(SupportRequest.status)
    ):
        counts[status] = n
    return counts


def queue_page(status: str, page: int = 1, per_page: int = 20) -> list[SupportRequest]:
    """Requests in ``status``: new ones oldest first (the longest waiting at the top),
    others newest first; the person, who raised it and the session joined in."""
    order = (SupportRequest.created_at.asc(), SupportRequest.id.asc()) if status == "new" else (
        SupportRequest.created_at.desc(), SupportRequest.id.desc())
    person = (lazyload(User.roles), lazyload(User.profile))
    stmt = (
        select(SupportRequest)
        .where(SupportRequest.status == status)
        .options(
            joinedload(SupportRequest.person).options(*person),
            joinedload(SupportRequest.raised_by).options(*person),
            joinedload(SupportRequest.session).options(lazyload(CourseSession.dates), joinedload(CourseSession.course)),
        )
        .order_by(*order)
        .limit(per_page).offset((page - 1) * per_page)
    )
    return list(db.session.execute(stmt).scalars())


def request_for_staff(request_id: int) -> SupportRequest | None:
    return db.session.execute(
        select(SupportRequest)
        .where(SupportRequest.id == request_id)
        .options(
            joinedload(SupportRequest.person),
            joinedload(SupportRequest.raised_by),
            joinedload(SupportRequest.session).joinedload(CourseSession.course),
            selectinload(SupportRequest.notes).joinedload(SupportRequestNote.author)
            .options(lazyload(User.roles), lazyload(User.profile)),
        )
    ).unique().scalar_one_or_none()


# A closed request stays on the person's My account this long (so they see it was dealt
# with), then leaves the page; the record itself is kept as the retention rules say.
CLOSED_SHOWN_FOR = timedelta(days=30)


def my_requests_of(person_id: int, now: datetime | None = None) -> list[SupportRequest]:
    """What the person sees on My account: their own requests to be contacted that are
    open, or were closed in the last ``CLOSED_SHOWN_FOR``, newest first. When they asked,
    the state and when it closed; never the notes, nor a facilitator's concern about them."""
    since = (now or utcnow()) - CLOSED_SHOWN_FOR
    return list(db.session.execute(
        select(SupportRequest)
        .where(SupportRequest.person_id == person_id, SupportRequest.kind == ASKED,
               or_(SupportRequest.status != CLOSED, SupportRequest.closed_at >= since))
        .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
    ).scalars())


def open_requests_of(person_id: int) -> list[SupportRequest]:
    """The person's own requests to be contacted that are not closed, newest first (what
    they see: when they asked and the state, never the notes)."""
    return list(db.session.execute(
        select(SupportRequest)
        .where(SupportRequest.person_id == person_id, SupportRequest.kind == ASKED,
               SupportRequest.status != CLOSED)
        .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
    ).scalars())
