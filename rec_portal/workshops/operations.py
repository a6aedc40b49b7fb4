"""Individual workshop rules: asking for one, the admins' queue (notes, closing,
reopening) and arranging one. Operations flush, never commit, and raise DomainError with
a message fit for a person.

Arranging a request creates an ``individual`` CourseSession (capacity 1, booking closed
to everyone else) with one date, a confirmed booking for the student made by the admin
(``book_place(workshop=True)``) and the facilitators chosen, each through the roster rules
(``assign_facilitator``: role held, availability, no overlap). From then on the session is
like any other: confirmation email with the calendar file, register, certificate and
feedback. Taking its register completes the request (``session_completed``, called by
attendance.operations.complete_if_done); cancelling the session sends the request back to
the queue as new (``session_cancelled``, called by scheduling.operations.cancel_session).
Those two live in models/workshops.py, so scheduling and attendance need not import this
feature (which imports them to arrange a workshop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import select

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Course, CourseSession, User
from rec_portal.models.accounts import ADMIN, UserRole
from rec_portal.models.courses import ARCHIVED, FACILITATOR_ROLE_LABELS
from rec_portal.models.workshops import (
    ARRANGED,
    CLOSED,
    NEW,
    OPEN_STATUSES,
    WORKSHOP_CONTACT_METHODS,
    WORKSHOP_TEXT_MAX,
    WorkshopRequest,
    WorkshopRequestNote,
)
from rec_portal.models.workshops import add_request_note as _note
from rec_portal.notifications.contact import compose, tell
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import format_uk, utcnow

SUBJECT = "Recovery Education Centre"
NOTE_MAX = WORKSHOP_TEXT_MAX
DETAIL_MAX = 200


def open_request(student_id: int, course_id: int) -> WorkshopRequest | None:
    """The student's request for this course that is still being worked on, if any."""
    return db.session.execute(
        select(WorkshopRequest)
        .where(WorkshopRequest.student_id == student_id, WorkshopRequest.course_id == course_id,
               WorkshopRequest.status.in_(OPEN_STATUSES))
        .order_by(WorkshopRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _text(value: str | None, field: str, what: str, limit: int = WORKSHOP_TEXT_MAX) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise DomainError(f"{what} must be {limit:,} characters or fewer. It is {len(text):,} now.", field=field)
    return text


def _link(endpoint: str, **values) -> str:
    """A page's full address for an email, with or without a request (never from Host)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["REC_BASE_URL"].rstrip("/") + path


def _active_admins() -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .where(User.active.is_(True), User.roles.any(UserRole.role == ADMIN))
            .order_by(User.id)
        ).scalars()
    )


def _changed(request: WorkshopRequest, by: User | None, what: str) -> None:
    """Audited with codes and ids only (never what was written)."""
    audit.record(audit.WORKSHOP_REQUEST_CHANGED, actor=by, subject=request.student,
                 detail=f"workshop request {request.id}: {what}")


# --- The student --------------------------------------------------------------------------

def request_workshop(
    student: User, course: Course, *, why_not_group: str = "", what_would_help: str = "",
    availability: str = "", contact_method: str = "email", contact_detail: str = "",
) -> WorkshopRequest:
    """Ask for an individual workshop of ``course``. One open request per student per
    course. Only how to contact them is required (an email address defaults to the
    account's; a phone call or text needs a number). The student is sent a confirmation
    and every active admin a notice (with no personal details in it)."""
    if course.status != "published":
        raise DomainError("This course is not open for requests.")
    if not student.active:
        raise DomainError("This account is disabled. Contact the REC team if you think this is a mistake.")
    if open_request(student.id, course.id) is not None:
        raise DomainError("You have already asked for an individual workshop of this course. "
                          "The REC team will be in touch.")
    why = _text(why_not_group, "why_not_group", "Why a group does not work for you")
    helps = _text(what_would_help, "what_would_help", "What would help")
    when = _text(availability, "availability", "When you are available")
    if contact_method not in WORKSHOP_CONTACT_METHODS:
        raise DomainError("Choose how you would like us to contact you", field="contact_method")
    detail = _text(contact_detail, "contact_detail", "The contact detail", DETAIL_MAX)
    if contact_method in ("phone", "text") and not detail:
        raise DomainError("Enter the phone number we should use", field="contact_detail")
    if contact_method == "email" and not detail:
        detail = student.email
    request = WorkshopRequest(
        student_id=student.id, course_id=course.id, status=NEW, why_not_group=why,
        what_would_help=helps, availability=when, contact_method=contact_method,
        contact_detail=detail,
    )
    db.session.add(request)
    db.session.flush()
    # By their preference; someone who prefers a call or a letter gets no call-list line
    # for it: the request is on the REC team's workshop list, and they contact them about it.
    tell(student, compose(
        "workshop_requested", student, subject=f"{SUBJECT}: we have your request",
        email_body=render_template("emails/workshop_requested.txt", person=student, request=request,
                                   link=_link("bookings.my_courses")),
        request=request, course=course, link=_link("bookings.my_courses"),
    ), call_list=False)
    for admin in _active_admins():
        queue_email(
            to=admin.email, user=admin, subject=f"{SUBJECT}: a new individual workshop request",
            body=render_template("emails/workshop_request_admin.txt", person=admin, request=request,
                                 link=_link("workshops.request", request_id=request.id)),
        )
    return request


def withdraw_request(request: WorkshopRequest, student: User) -> None:
    """The student withdraws a request that has not been arranged yet."""
    if request.student_id != student.id:
        raise DomainError("This request could not be found.")
    if request.status != NEW:
        raise DomainError(
            "This request has already been arranged. To change or cancel the workshop, contact the REC team."
            if request.status == ARRANGED else "This request is no longer open."
        )
    request.status = CLOSED
    request.closed_at = utcnow()
    _note(request, "The student withdrew this request.", None)
    db.session.flush()


# --- The queue ----------------------------------------------------------------------------

def add_note(request: WorkshopRequest, text: str, by: User) -> WorkshopRequestNote:
    text = _text(text, "text", "The note", NOTE_MAX)
    if not text:
        raise DomainError("Enter the note", field="text")
    note = _note(request, text, by)
    request.updated_at = utcnow()
    db.session.flush()
    _changed(request, by, f"note {note.id} added")
    return note


def close_request(request: WorkshopRequest, reason: str, by: User) -> None:
    """Close a new request, with the reason as a note. An arranged one is closed by
    cancelling its session first (which brings it back to new)."""
    if request.status == ARRANGED:
        raise DomainError("This request has a workshop arranged. Cancel the session first, then close the request.",
                          field="reason")
    if request.status != NEW:
        raise DomainError(f"This request is already {request.status}.", field="reason")
    reason = _text(reason, "reason", "The reason", NOTE_MAX)
    if not reason:
        raise DomainError("Enter why the request is being closed", field="reason")
    request.status = CLOSED
    request.closed_at = utcnow()
    _note(request, f"Closed: {reason}", by)
    db.session.flush()
    _changed(request, by, "closed")


def reopen_request(request: WorkshopRequest, by: User) -> None:
    """A closed request back to new (unless the student has asked again since)."""
    if request.status != CLOSED:
        raise DomainError("Only a closed request can be reopened.")
    other = open_request(request.student_id, request.course_id)
    if other is not None:
        raise DomainError(f"{request.student.full_name} has another open request for this course "
                          f"(number {other.id}). Work on that one instead.")
    request.status = NEW
    request.closed_at = None
    _note(request, "Reopened.", by)
    db.session.flush()
    _changed(request, by, "reopened")


# --- Arranging ----------------------------------------------------------------------------

@dataclass
class Arrangement:
    starts_at: datetime
    ends_at: datetime
    venue: str = ""
    online_details: str = ""
    # (role, facilitator's user id) for each place chosen on the roster.
    facilitators: tuple[tuple[str, int], ...] = ()


def role_field(role: str, n: int = 1) -> str:
    """The form field that chooses the ``n``-th person for ``role``."""
    return f"role_{role}_{n}"


def arrange(request: WorkshopRequest, plan: Arrangement, by: User, *,
            now: datetime | None = None) -> CourseSession:
    """Create the individual session for ``request`` and book the student on it, with the
    facilitators chosen. Everything or nothing: the caller rolls back on DomainError."""
    from rec_portal.bookings.operations import BookingRefused, OverlapWarning, book_place, tell_booking_made
    from rec_portal.scheduling.operations import DateRange, schedule_session
    from rec_portal.rosters.operations import assign_facilitator

    now = now or utcnow()
    if request.status != NEW:
        raise DomainError(f"This request is {request.status}, so it cannot be arranged.")
    course = request.course
    if course.status == ARCHIVED:
        raise DomainError("This course is archived, so it cannot be arranged.")
    student = request.student
    if not student.active:
        raise DomainError(f"{student.full_name}’s account is disabled, so the workshop cannot be arranged.")
    if plan.starts_at <= now:
        raise DomainError("Choose a date and time in the future", field="day")
    if plan.ends_at <= plan.starts_at:
        raise DomainError("The workshop must end after it starts", field="end")
    session = schedule_session(
        course, dates=[DateRange(plan.starts_at, plan.ends_at)], capacity=1,
        venue=plan.venue or "", online_details=plan.online_details or "",
        # Closed to everyone else from the start: the booking below is the only one.
        booking_opens_at=None, booking_closes_at=min(now, plan.starts_at),
    )
    session.individual = True
    db.session.flush()
    try:
        booking = book_place(session.id, student, made_by=by, now=now, workshop=True).booking
    except OverlapWarning as warning:
        titles = ", ".join(b.session.course.title for b in warning.overlaps)
        raise DomainError(f"{student.full_name} already has a booking at that time ({titles}). "
                          "Choose another time.", field="day") from None
    except BookingRefused as refused:
        raise DomainError(refused.message, field="day") from None
    counts: dict[str, int] = {}
    for role, user_id in plan.facilitators:
        counts[role] = counts.get(role, 0) + 1
        person = db.session.get(User, user_id)
        if person is None:
            raise DomainError("Choose a facilitator from the list", field=role_field(role, counts[role]))
        try:
            assign_facilitator(session, person, role, by)
        except DomainError as error:
            raise DomainError(error.message, field=role_field(role, counts[role])) from None
    request.session = session
    request.status = ARRANGED
    request.arranged_at = now
    where = session.venue.splitlines()[0] if session.venue else "online"
    _note(request, f"Arranged for {format_uk(session.starts_at)}, {where}.", by)
    db.session.flush()
    tell_booking_made(booking, None)
    _changed(request, by, f"arranged as session {session.id}")
    return session


def assign(request: WorkshopRequest, person: User | None, role: str, by: User) -> None:
    """Fill a gap on an arranged workshop's roster (the roster rules apply)."""
    from rec_portal.rosters.operations import assign_facilitator

    if request.status != ARRANGED or request.session is None:
        raise DomainError("Only an arranged workshop has a roster to fill.", field="user_id")
    if person is None:
        raise DomainError("Choose who will cover this role", field="user_id")
    assign_facilitator(request.session, person, role, by)
    _changed(request, by, f"roster {role} user {person.id}")


def role_label(role: str) -> str:
    return FACILITATOR_ROLE_LABELS.get(role, role)
