"""Load and authorise: one guard per kind of record a URL names.

Each guard returns the record or answers "not found" (404). Guards that take ``for_user``
return only that person's own record: anyone else's is "not found" too, so a guessed id
tells nothing (the routes declare it with ``access.owner_only``). Who may open the page at
all is the route's ``access`` declaration; these answer "may they see *this* one".

``current_person()`` is the signed-in person as a User (not Flask-Login's proxy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.ids import MAX_ID
from rec_portal.models import (
    Booking,
    ContentReview,
    Course,
    CourseSession,
    FeedbackQuestion,
    LearningGoal,
    OutboxMessage,
    SessionDate,
    SupportService,
    User,
    WorkshopRequest,
)
from rec_portal.models.accounts import ADMIN, FACILITATOR, STUDENT
from rec_portal.models.bookings import CANCELLED
from rec_portal.models.courses import PUBLISHED, lock_session
from rec_portal.models.rosters import RosterAssignment

Row = TypeVar("Row")


def current_person() -> User:
    """The signed-in person (the User itself, not Flask-Login's proxy)."""
    return current_user._get_current_object()


def get_or_404(model: type[Row], ident: int, *, load: Callable[[int], Row | None] | None = None) -> Row:
    """The ``model`` row with id ``ident`` (through ``load`` when the page needs more of it
    loaded at once), or "not found"."""
    found = (load(ident) if load else db.session.get(model, ident)) if 0 < ident <= MAX_ID else None
    if found is None:
        abort(404)
    return found


def _own(owner_id: int | None, for_user) -> None:
    if for_user is not None and owner_id != for_user.id:
        abort(404)


# --- People ----------------------------------------------------------------------------

def get_person_or_404(person_id: int) -> User:
    """Anyone with an account (staff pages)."""
    return get_or_404(User, person_id)


def get_student_or_404(person_id: int) -> User:
    """Someone with the student role (a learning advisor's pages)."""
    person = get_or_404(User, person_id)
    if not person.has_role(STUDENT):
        abort(404)
    return person


# --- Courses and their dates -----------------------------------------------------------

def get_course_or_404(course_id: int) -> Course:
    return get_or_404(Course, course_id)


def get_session_or_404(session_id: int) -> CourseSession:
    """Any session, whatever its state (staff pages)."""
    return get_or_404(CourseSession, session_id)


def get_published_session_or_404(session_id: int, viewer=None, *, lock: bool = False) -> CourseSession:
    """A session of a published course, as the public sees it. An individual workshop
    exists only for the student it was arranged for (``viewer`` with a place on it).
    ``lock``: load it with its lock (models.courses.lock_session) for a request that will
    change who holds a place on it, so the operation does not load it a second time. A
    session nobody else may see is "not found" before that, without waiting on its lock
    (a wait, or a "busy" page, would tell them it exists)."""
    if lock:
        _visible_or_404(session_id, viewer)
    session = get_or_404(CourseSession, session_id, load=lock_session if lock else None)
    if session.course.status != PUBLISHED:
        abort(404)
    if session.individual and not _has_place(session.id, viewer):
        abort(404)
    return session


def _visible_or_404(session_id: int, viewer) -> None:
    """The checks of get_published_session_or_404, in one small statement, lock-free."""
    row = db.session.execute(
        select(Course.status, CourseSession.individual)
        .join(Course, Course.id == CourseSession.course_id)
        .where(CourseSession.id == session_id)
    ).first() if 0 < session_id <= MAX_ID else None
    if row is None or row.status != PUBLISHED or (row.individual and not _has_place(session_id, viewer)):
        abort(404)


def _has_place(session_id: int, viewer) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    return db.session.execute(
        select(Booking.id).where(
            Booking.session_id == session_id, Booking.student_id == viewer.id, Booking.status != CANCELLED,
        )
    ).first() is not None


def is_rostered(user_id: int, session_id: int) -> bool:
    """Whether ``user_id`` is on the roster of ``session_id`` (any role)."""
    return db.session.execute(
        select(RosterAssignment.id).where(
            RosterAssignment.user_id == user_id, RosterAssignment.session_id == session_id
        )
    ).first() is not None


def get_rostered_session_or_404(session_id: int, for_user, *, admins_too: bool = False) -> CourseSession:
    """A session ``for_user`` is on the roster of (as a facilitator); with ``admins_too``
    any session for an admin. Every other is "not found"."""
    session = get_or_404(CourseSession, session_id)
    if admins_too and for_user.has_role(ADMIN):
        return session
    if for_user.has_role(FACILITATOR) and is_rostered(for_user.id, session.id):
        return session
    abort(404)


def get_date_or_404(session: CourseSession, date_id: int) -> SessionDate:
    """One of ``session``'s dates (a date of another session is "not found")."""
    for session_date in session.dates:
        if session_date.id == date_id:
            return session_date
    abort(404)


# --- Students' own records -------------------------------------------------------------

def get_booking_or_404(booking_id: int, for_user=None) -> Booking:
    """A booking; with ``for_user``, only that student's own."""
    booking = get_or_404(Booking, booking_id)
    _own(booking.student_id, for_user)
    return booking


def get_goal_or_404(goal_id: int, for_user) -> LearningGoal:
    """A goal of ``for_user``'s learning plan."""
    goal = get_or_404(LearningGoal, goal_id)
    _own(goal.user_id, for_user)
    return goal


def get_workshop_request_or_404(request_id: int, for_user=None, *, load=None) -> WorkshopRequest:
    """A request for an individual workshop; with ``for_user``, only their own."""
    found = get_or_404(WorkshopRequest, request_id, load=load)
    _own(found.student_id, for_user)
    return found


# --- Staff records ---------------------------------------------------------------------

def get_question_or_404(question_id: int) -> FeedbackQuestion:
    return get_or_404(FeedbackQuestion, question_id)


def get_review_or_404(review_id: int, *, load=None) -> ContentReview:
    return get_or_404(ContentReview, review_id, load=load)


def get_service_or_404(service_id: int) -> SupportService:
    return get_or_404(SupportService, service_id)


def get_outbox_message_or_404(message_id: int) -> OutboxMessage:
    return get_or_404(OutboxMessage, message_id)
