"""Support request rules: a person asking for someone from the REC to contact them, a
facilitator's concern about a student's safety, and the support lead's notes and states.
Operations flush, never commit, and raise DomainError with a message fit for a person.

What a request holds is only what the person (or the facilitator) typed into its own form:
nothing is ever copied from a safety plan. Support leads are told that a request is waiting
by a staff email that says nothing about it (no name, no reason, no place it came from).
Audit rows hold the request's id and what changed, never its text, and no subject: the audit
page is open to every admin, and must not show who asked for help."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import delete, select

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import CourseSession, User
from rec_portal.models.accounts import SUPPORT_LEAD, UserRole
from rec_portal.models.bookings import Booking, CONFIRMED
from rec_portal.models.rosters import RosterAssignment
from rec_portal.models.support_requests import (
    ASKED,
    CAME_FROM,
    CLOSED,
    CONCERN,
    EMAIL,
    HOW,
    NEW,
    PHONE,
    STATUSES,
    TEXT,
    SupportRequest,
    SupportRequestNote,
)
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import uk_date, utcnow

DETAILS_MAX = 2000
CONTACT_MAX = 254
SAFE_TIMES_MAX = 300
NOTE_MAX = 4000
CONCERN_MAX = 4000
# Where a person may ask from (a facilitator's concern comes from the reflection).
ASKED_FROM = tuple(key for key in CAME_FROM if key != "reflection")

# A second identical request within this long (a double click, a second tab, Back and
# send again) is the same request: the first is returned, and nobody is told twice.
SAME_REQUEST_WITHIN = timedelta(minutes=10)

_PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _text(value: str | None, field: str, what: str, limit: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise DomainError(f"{what} must be {limit:,} characters or fewer. It is {len(text):,} now.", field=field)
    return text


def _link(endpoint: str, **values) -> str:
    """A page's full address for an email (never from the request's Host)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["REC_BASE_URL"].rstrip("/") + path


def support_leads() -> list[User]:
    """Active accounts with the support lead role."""
    return list(db.session.execute(
        select(User).where(User.active.is_(True), User.roles.any(UserRole.role == SUPPORT_LEAD)).order_by(User.id)
    ).scalars())


def _tell_support_leads() -> None:
    """A staff email to each support lead, with nothing about the request in it."""
    link = _link("support_requests.queue")
    for lead in support_leads():
        queue_email(
            to=lead.email, user=lead, subject="Recovery Education Centre: a new support request is waiting",
            body=render_template("emails/support_request_waiting.txt", person=lead, link=link),
        )


def _changed(request: SupportRequest, by: User | None, what: str) -> None:
    audit.record(audit.SUPPORT_REQUEST_CHANGED, actor=by, detail=f"support request {request.id}: {what}")


def _same_open_request(**same) -> SupportRequest | None:
    """The newest request not closed, made in the last ``SAME_REQUEST_WITHIN``, whose
    columns equal ``same``, or None."""
    since = utcnow() - SAME_REQUEST_WITHIN
    return db.session.execute(
        select(SupportRequest).filter_by(**same)
        .where(SupportRequest.status != CLOSED, SupportRequest.created_at >= since)
        .order_by(SupportRequest.id.desc()).limit(1)
    ).scalar_one_or_none()


def contact_detail_for(person: User, how: str) -> str:
    """What the form is prefilled with: the account's email address, or its phone number."""
    if how == EMAIL:
        return person.email or ""
    profile = getattr(person, "profile", None)
    return (profile.phone if profile else "") or ""


def preferred_how(person: User) -> str:
    profile = getattr(person, "profile", None)
    preference = profile.contact_preference if profile else EMAIL
    if preference in HOW:
        return preference
    return PHONE if profile and profile.phone else EMAIL


# --- Asking for help -------------------------------------------------------------------------

def ask_for_help(
    person: User, *, how: str, contact_detail: str, safe_times: str = "", may_leave_message: bool | None,
    details: str = "", came_from: str = "",
) -> SupportRequest:
    """"I would like someone from the REC to contact me." How (phone, text or email), the
    number or address to use, when it is safe to call, whether a message may be left, and
    anything they want the REC to know. The support leads are told one is waiting.

    The same request sent again within ``SAME_REQUEST_WITHIN`` while the first is open (a
    double click, two tabs) returns the first, and nobody is told twice. Whether a message
    may be left counts too: changing it is new information, not a repeat."""
    if not person.active:
        raise DomainError("This account is disabled. Contact the REC team if you think this is a mistake.")
    if how not in HOW:
        raise DomainError("Choose how you would like us to contact you", field="how")
    detail = _text(contact_detail, "contact_detail", "The phone number or email address", CONTACT_MAX)
    if how in (PHONE, TEXT):
        if not detail:
            raise DomainError("Enter the phone number we should use", field="contact_detail")
        if not _PHONE.match(detail):
            raise DomainError("Enter a phone number, like 07700 900 982 or 0114 496 0000", field="contact_detail")
    else:
        if not detail:
            raise DomainError("Enter the email address we should use", field="contact_detail")
        if not _EMAIL.match(detail):
            raise DomainError("Enter an email address in the correct format, like name@example.com",
                              field="contact_detail")
    if may_leave_message is None:
        raise DomainError("Say whether we may leave a message", field="may_leave_message")
    answers = {
        "how": how, "contact_detail": detail,
        "safe_times": _text(safe_times, "safe_times", "When it is safe to contact you", SAFE_TIMES_MAX),
        "may_leave_message": may_leave_message,
        "details": _text(details, "details", "What you want us to know", DETAILS_MAX),
    }
    if same := _same_open_request(kind=ASKED, person_id=person.id, **answers):
        return same
    request = SupportRequest(
        kind=ASKED, came_from=came_from if came_from in ASKED_FROM else "", person_id=person.id,
        raised_by_id=person.id, status=NEW, **answers,
    )
    db.session.add(request)
    db.session.flush()
    _tell_support_leads()
    return request


# --- A facilitator's concern -----------------------------------------------------------------

def class_list(session_id: int) -> list[User]:
    """The students booked on the session (confirmed places), by name."""
    return list(db.session.execute(
        select(User).join(Booking, Booking.student_id == User.id)
        .where(Booking.session_id == session_id, Booking.status == CONFIRMED)
        .order_by(User.full_name, User.id)
    ).scalars())


def raise_concern(facilitator: User, session: CourseSession, *, person_id: int | None, details: str) -> SupportRequest:
    """"I am worried about someone's safety": a concern about a student booked on a
    session the facilitator is on the roster of. It goes to the support requests queue,
    never into feedback. The same concern sent again within ``SAME_REQUEST_WITHIN`` while
    the first is open returns the first, and nobody is told twice."""
    rostered = db.session.execute(
        select(RosterAssignment.id).where(RosterAssignment.user_id == facilitator.id,
                                          RosterAssignment.session_id == session.id)
    ).first()
    if rostered is None:
        raise DomainError("You can raise a concern only about a session you are facilitating.")
    if not person_id:
        raise DomainError("Choose the student you are worried about", field="person_id")
    student = next((s for s in class_list(session.id) if s.id == person_id), None)
    if student is None:
        raise DomainError("Choose a student from this session's class list", field="person_id")
    text = _text(details, "details", "Your concern", CONCERN_MAX)
    if not text:
        raise DomainError("Enter what you are worried about", field="details")
    if same := _same_open_request(kind=CONCERN, raised_by_id=facilitator.id, person_id=student.id,
                                  session_id=session.id, details=text):
        return same
    request = SupportRequest(
        kind=CONCERN, came_from="reflection", person_id=student.id, raised_by_id=facilitator.id,
        session_id=session.id, details=text, status=NEW,
    )
    db.session.add(request)
    db.session.flush()
    _tell_support_leads()
    return request


# --- The support lead ------------------------------------------------------------------------

def add_note(request: SupportRequest, body: str, by: User, status_to: str = "") -> SupportRequestNote:
    """A note on the request, moving it to ``status_to`` if given (and different)."""
    text = _text(body, "body", "The note", NOTE_MAX)
    if not text:
        raise DomainError("Enter the note: what was done, or why the state is changing", field="body")
    if status_to and status_to not in STATUSES:
        raise DomainError("Choose what state the request is in", field="status_to")
    moved = status_to if status_to and status_to != request.status else ""
    note = SupportRequestNote(request=request, author_id=by.id, body=text, status_to=moved)
    db.session.add(note)
    if moved:
        now = utcnow()
        request.status = moved
        request.status_changed_at = now
        request.closed_at = now if moved == CLOSED else None
    db.session.flush()
    _changed(request, by, f"note {note.id} added" + (f", now {moved}" if moved else ""))
    return note


# --- Retention -------------------------------------------------------------------------------

def purge_closed(now: datetime, days: int) -> int:
    """Delete requests closed more than ``days`` ago (their notes go with them)."""
    cutoff = now - timedelta(days=days)
    ids = list(db.session.execute(
        select(SupportRequest.id).where(SupportRequest.status == CLOSED, SupportRequest.closed_at < cutoff)
    ).scalars())
    if not ids:
        return 0
    db.session.execute(delete(SupportRequestNote).where(SupportRequestNote.request_id.in_(ids)))
    db.session.execute(delete(SupportRequest).where(SupportRequest.id.in_(ids)))
    db.session.flush()
    return len(ids)


# --- When the person's account is deleted ----------------------------------------------------

def _deleted_account_note(request: SupportRequest, now: datetime, days: int) -> str:
    said = (f"Their account was deleted on {uk_date(now)}, so their name and the details on their "
            "account are no longer held.")
    kept = (f"It is kept until it is closed, so nobody at risk is missed, "
            f"and deleted {days} days after it is closed, like any closed request.")
    if request.kind == ASKED:
        message = {True: "a message may be left", False: "do not leave a message",
                   None: "not said whether a message may be left"}
        holds = (f"This request still holds the contact details they gave in it: {request.how_label.lower()}, "
                 f"{request.contact_detail}; when it is safe: {request.safe_times or 'any time'}; "
                 f"{message[request.may_leave_message]}.")
    else:
        holds = ("This concern holds no contact details for them: only the session it was raised in and "
                 "what was written. The facilitator who raised it may know how to reach them.")
    return f"{said} {holds} {kept}"


def account_deleted(person_id: int, now: datetime, days: int) -> None:
    """The person's account is being deleted (by them, by staff, or for inactivity).
    Closed requests about them go, with their notes. Requests still open (new or contacted)
    are kept until the support lead closes them, so someone at risk is not missed: each
    gets a note (by nobody) saying the account was deleted and what contact details the
    request itself still holds. Once closed, ``purge_closed`` deletes them after ``days``.
    The request stays linked to the anonymised account, which shows as "Deleted account"."""
    about = (SupportRequest.person_id == person_id)
    closed = select(SupportRequest.id).where(about, SupportRequest.status == CLOSED)
    db.session.execute(delete(SupportRequestNote).where(SupportRequestNote.request_id.in_(closed)))
    db.session.execute(delete(SupportRequest).where(about, SupportRequest.status == CLOSED))
    still_open = db.session.execute(
        select(SupportRequest).where(about, SupportRequest.status != CLOSED).order_by(SupportRequest.id)
    ).scalars().all()
    # No audit row: nobody acted, and the note itself says what happened and when.
    for request in still_open:
        db.session.add(SupportRequestNote(request=request, author_id=None, created_at=now,
                                          body=_deleted_account_note(request, now, days)))
    db.session.flush()
