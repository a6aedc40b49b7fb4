"""Courses and sessions, as REC staff manage them. Operations flush, never commit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from flask import render_template
from sqlalchemy import func, select

from rec_portal.bookings.operations import (
    change_capacity,
    cut_offers_short,
    register_taken,
    serve_other_waiting_lists,
    set_supporters_take_place,
)
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    Booking,
    Course,
    CourseRoleNeed,
    CourseSession,
    SessionDate,
)
from rec_portal.models.bookings import CANCELLED as BOOKING_CANCELLED
from rec_portal.models.bookings import CONFIRMED as BOOKING_CONFIRMED
from rec_portal.models.courses import (
    ARCHIVED,
    CANCELLED,
    COURSE_STATUSES,
    DRAFT,
    FACILITATOR_ROLES,
    PUBLISHED,
    SCHEDULED,
    lock_session,
)
from rec_portal.notifications.contact import close_call_lines, compose, page_link, tell
from rec_portal.rosters.operations import notify_roster_of_change
from rec_portal.timeutil import format_uk, utcnow

NEUTRAL_SUBJECT = "Recovery Education Centre session"
COURSE_FIELDS = (
    "title", "summary", "description", "learning_outcomes", "for_service_users", "for_carers",
    "for_staff", "duration", "delivery", "theme", "what_to_expect", "accessibility", "coproduction_note",
    "content_version", "supporters_take_place",
)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "course"


def _slug_taken(slug: str, except_id: int | None) -> bool:
    stmt = select(func.count()).select_from(Course).where(Course.slug == slug)
    if except_id is not None:
        stmt = stmt.where(Course.id != except_id)
    return db.session.execute(stmt).scalar_one() > 0


def save_course(course: Course | None, *, slug: str, roles: dict[str, int], **fields) -> Course:
    """Create (``course`` None) or update a course. ``roles``: facilitator role -> count."""
    if not (fields.get("for_service_users") or fields.get("for_carers") or fields.get("for_staff")):
        raise DomainError("Choose who the course is for", field="audience")
    slug = slugify(slug or fields["title"])
    if _slug_taken(slug, course.id if course else None):
        raise DomainError(
            f"Another course already uses the web address /courses/{slug}. Choose a different one",
            field="slug",
        )
    if course is None:
        course = Course(status=DRAFT)
        db.session.add(course)
    elif "supporters_take_place" in fields:
        # Keeps every date's places right: refused if they would be exceeded, places freed
        # are offered to the people waiting.
        set_supporters_take_place(course, fields.pop("supporters_take_place"))
    course.slug = slug
    for name in COURSE_FIELDS:
        if name in fields:
            setattr(course, name, fields[name])
    wanted = {r: n for r, n in roles.items() if r in FACILITATOR_ROLES and n and n > 0}
    current = {need.role: need for need in course.roles_needed}
    for role, need in current.items():
        if role not in wanted:
            course.roles_needed.remove(need)
    for role, count in wanted.items():
        if role in current:
            current[role].count = count
        else:
            course.roles_needed.append(CourseRoleNeed(role=role, count=count))
    db.session.flush()
    return course


def set_course_status(course: Course, status: str) -> None:
    if status not in COURSE_STATUSES:
        raise DomainError("Unknown status")
    if status == PUBLISHED and not course.summary:
        raise DomainError("Add a summary before publishing")
    course.status = status
    db.session.flush()


@dataclass
class DateRange:
    starts_at: datetime
    ends_at: datetime
    # The form's row it was typed in (0 for the first), so a problem is shown next to it.
    row: int | None = None


class SessionRefused(DomainError):
    """Every problem with a session's details at once: ``problems`` holds (field,
    message) pairs. Fields: ``dates`` (no dates at all), ``dates-<row>-day`` and
    ``dates-<row>-end`` (one date), ``capacity``, ``venue``, ``booking_closes``. The first
    problem is also the error's own message and field, for callers that show one."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


PAST_DATE_MESSAGE = "Date {n} starts in the past. Enter a date and time from now on"


def session_problems(
    dates: list[DateRange],
    *,
    capacity: int | None,
    venue: str = "",
    online_details: str = "",
    booking_opens_at: datetime | None = None,
    booking_closes_at: datetime | None = None,
    now: datetime | None = None,
    kept: frozenset | set = frozenset(),
) -> list[tuple[str, str]]:
    """Everything wrong with a session's details, all at once (an empty list if nothing).
    ``capacity`` None: not known (the form has said why). A date starting before ``now``
    is refused unless it is one of ``kept`` ((start, end) pairs the session already has:
    changing a session that has begun keeps its earlier dates). The schedule form shows
    these next to the fields; :func:`schedule_session` and :func:`update_session` refuse
    them."""
    now = now or utcnow()
    problems: list[tuple[str, str]] = []
    if not dates:
        problems.append(("dates", "Add at least one date"))
    for i, d in enumerate(dates):
        row = d.row if d.row is not None else i
        if d.ends_at <= d.starts_at:
            problems.append((f"dates-{row}-end", "Each date must end after it starts"))
        elif d.starts_at < now and (d.starts_at, d.ends_at) not in kept:
            problems.append((f"dates-{row}-day", PAST_DATE_MESSAGE.format(n=row + 1)))
    ordered = sorted(dates, key=lambda d: d.starts_at)
    for a, b in pairwise(ordered):
        if b.starts_at < a.ends_at:
            row = b.row if b.row is not None else dates.index(b)
            problems.append((f"dates-{row}-day", "Two of the dates overlap"))
            break
    if booking_opens_at and booking_closes_at and booking_closes_at <= booking_opens_at:
        problems.append(("booking_closes", "Booking must close after it opens"))
    elif booking_closes_at and ordered and booking_closes_at > ordered[0].starts_at:
        problems.append(("booking_closes", "Booking must close before the first date starts"))
    if capacity is not None and capacity < 1:
        problems.append(("capacity", "Capacity must be 1 or more"))
    if not (venue.strip() or online_details.strip()):
        problems.append(("venue", "Give the venue or the online joining details"))
    return problems


def schedule_session(
    course: Course,
    *,
    dates: list[DateRange],
    capacity: int,
    venue: str = "",
    online_details: str = "",
    booking_opens_at: datetime | None = None,
    booking_closes_at: datetime | None = None,
    now: datetime | None = None,
    allow_past: bool = False,
) -> CourseSession:
    """A new session. Raises SessionRefused with every problem at once; a date in the
    past is one (``allow_past`` only for demo data, which builds history)."""
    problems = session_problems(
        dates, capacity=capacity, venue=venue, online_details=online_details,
        booking_opens_at=booking_opens_at, booking_closes_at=booking_closes_at,
        now=datetime.min if allow_past else now,
    )
    if problems:
        raise SessionRefused(problems)
    dates = sorted(dates, key=lambda d: d.starts_at)
    session = CourseSession(
        course=course,
        capacity=capacity,
        venue=venue.strip(),
        online_details=online_details.strip(),
        booking_opens_at=booking_opens_at,
        booking_closes_at=booking_closes_at,
        starts_at=dates[0].starts_at,
        ends_at=dates[-1].ends_at,
        status=SCHEDULED,
        dates=[SessionDate(starts_at=d.starts_at, ends_at=d.ends_at) for d in dates],
    )
    db.session.add(session)
    db.session.flush()
    return session


def _dates_with_marks(session: CourseSession) -> set[int]:
    return set(
        db.session.execute(
            select(Attendance.session_date_id)
            .join(SessionDate, SessionDate.id == Attendance.session_date_id)
            .where(SessionDate.session_id == session.id)
            .distinct()
        ).scalars()
    )


def _people_on(session: CourseSession) -> list[Booking]:
    return list(
        db.session.execute(
            select(Booking).where(
                Booking.session_id == session.id, Booking.status != BOOKING_CANCELLED
            )
        ).scalars()
    )


def _describe(session: CourseSession) -> list[str]:
    lines = [f"- {format_uk(d.starts_at)} to {format_uk(d.ends_at)}" for d in session.dates]
    lines.append(f"Where: {session.venue or 'Online'}")
    return lines


def update_session(
    session_id: int,
    *,
    dates: list[DateRange],
    capacity: int,
    venue: str = "",
    online_details: str = "",
    booking_opens_at: datetime | None = None,
    booking_closes_at: datetime | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Change a session; everyone booked or waiting is told what changed, and places held
    for people end by the new closing time or start (``cut_offers_short``). Returns the
    list of changes (for the page). Raises SessionRefused with every problem at once."""
    session = lock_session(session_id)
    if session is None or session.status != SCHEDULED:
        raise DomainError("Only scheduled sessions can be changed")
    old_dates = [(d.starts_at, d.ends_at) for d in session.dates]
    problems = session_problems(
        dates, capacity=capacity, venue=venue, online_details=online_details,
        booking_opens_at=booking_opens_at, booking_closes_at=booking_closes_at,
        now=now, kept=set(old_dates),
    )
    if problems:
        raise SessionRefused(problems)
    dates = sorted(dates, key=lambda d: d.starts_at)
    changes = []
    new_dates = [(d.starts_at, d.ends_at) for d in dates]
    if old_dates != new_dates:
        # A date whose register has marks stays as it is (its marks would go with it);
        # dates that did not change keep their rows.
        marked = _dates_with_marks(session)
        lost = [d for d in session.dates if d.id in marked and (d.starts_at, d.ends_at) not in new_dates]
        if lost:
            raise SessionRefused([(
                "dates",
                f"Attendance has been recorded for {format_uk(lost[0].starts_at)}, so that "
                "date cannot be changed or removed",
            )])
        kept = {(d.starts_at, d.ends_at): d for d in session.dates}
        changes.append("dates and times")
        session.dates = [kept.get((s, e)) or SessionDate(starts_at=s, ends_at=e) for s, e in new_dates]
        session.starts_at, session.ends_at = new_dates[0][0], new_dates[-1][1]
    if venue.strip() != session.venue:
        changes.append("venue")
        session.venue = venue.strip()
    if online_details.strip() != session.online_details:
        changes.append("online joining details")
        session.online_details = online_details.strip()
    session.booking_opens_at, session.booking_closes_at = booking_opens_at, booking_closes_at
    db.session.flush()
    if capacity != session.capacity:
        # Raises if below the people booked; new places go to the people waiting, who are
        # told by change_capacity.
        change_capacity(session.id, capacity, now=now)
    # A place held for someone ends by the new closing time or start (passed on at once
    # if that is already past): it can never be accepted once booking has closed.
    cut_offers_short(session, now)
    if changes:
        for booking in _people_on(session):
            tell(booking.student, compose(
                "session_changed", booking.student,
                subject=NEUTRAL_SUBJECT + ": details changed",
                email_body=render_template(
                    "emails/session_changed.txt", booking=booking, session=session,
                    changes=changes, details=_describe(session),
                ),
                booking=booking, session=session, changes=changes,
                link=page_link("bookings.my_courses"),
            ))
        notify_roster_of_change(session, changes)
    return changes


MARKED_SESSION_MESSAGE = (
    "This session cannot be cancelled because attendance has already been recorded on its "
    "register: cancelling it would take away people’s attendance and certificates. If dates "
    "still to come cannot go ahead, change the session instead and everyone booked is told."
)


def session_cancel_refusal(session: CourseSession) -> str | None:
    """Why ``session`` cannot be cancelled, or None. A session with any attendance mark is
    kept: its places cannot be cancelled (bookings.operations.refuse_if_marked)."""
    if register_taken(session.id):
        return MARKED_SESSION_MESSAGE
    return None


def cancel_session(session_id: int, *, now: datetime | None = None) -> int:
    """Cancel a session: every booking and waiting-list place is released and each person
    is told. Anyone who had a place here and waits for another date of the course was
    passed over there because of this place: those lists are served again now, and anyone
    promoted is told once. Returns how many people were told of the cancellation."""
    now = now or utcnow()
    session = lock_session(session_id)
    if session is None or session.status != SCHEDULED:
        raise DomainError("Only scheduled sessions can be cancelled")
    if refusal := session_cancel_refusal(session):
        raise DomainError(refusal)
    people = _people_on(session)
    held_places = [b for b in people if b.status == BOOKING_CONFIRMED]
    session.status = CANCELLED
    session.cancelled_at = now
    # Staff must not phone anyone about a place on it any more.
    close_call_lines(people, note="The session was cancelled", now=now)
    for booking in people:
        booking.status = BOOKING_CANCELLED
        booking.cancelled_at = now
        tell(booking.student, compose(
            "session_cancelled", booking.student,
            subject=NEUTRAL_SUBJECT + " cancelled",
            email_body=render_template(
                "emails/session_cancelled.txt", booking=booking, session=session,
                details=_describe(session),
            ),
            booking=booking, session=session, link=page_link("catalogue.index"),
        ))
    notify_roster_of_change(session, "cancelled")
    db.session.flush()
    for booking in held_places:
        serve_other_waiting_lists(booking, now)  # tells anyone it gives a place
    if session.individual:  # its workshop request goes back to the queue, as new
        from rec_portal.models.workshops import session_cancelled

        session_cancelled(session, now=now)
    return len(people)


def copy_session(session: CourseSession, first_start: datetime, *,
                 now: datetime | None = None) -> CourseSession:
    """A new session of the same course, with the same pattern of dates from ``first_start``.
    An individual workshop is never copied: the copy would be a public group session with
    one student's venue and joining details."""
    if session.individual:
        raise DomainError(
            "An individual workshop cannot be copied. Arrange another from the student's request",
            field="day",
        )
    if first_start < (now or utcnow()):
        raise DomainError("The copy would start in the past. Enter a date from today on", field="day")
    shift: timedelta = first_start - session.starts_at
    opens = session.booking_opens_at + shift if session.booking_opens_at else None
    closes = session.booking_closes_at + shift if session.booking_closes_at else None
    return schedule_session(
        session.course,
        dates=[DateRange(d.starts_at + shift, d.ends_at + shift) for d in session.dates],
        capacity=session.capacity,
        venue=session.venue,
        online_details=session.online_details,
        booking_opens_at=opens,
        booking_closes_at=closes,
        now=now,
    )


__all__ = ["ARCHIVED", "DRAFT", "PUBLISHED"]
