"""Giving feedback: who is invited, who may answer, and storing what they said.

Operations flush, never commit; the caller commits once.

Privacy rules kept here:
- An anonymous response has no respondent and no day of its own (the session's last day).
  A one-to-one workshop's feedback is always named (one student: it would point at them). The person's
  invitation gets ``answered = True`` and nothing else: no time, no link to the response.
  Nothing else is written about it either: no audit row, no email, no log line.
- Invitation rows are made in user-id order with one time for the whole batch, so their
  order says nothing about when anyone answered. An invitation made when someone answers
  (because none was sent) carries the session's completion time, not the time of answering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.feedback import window
from rec_portal.feedback.bank import questions_for
from rec_portal.models import (
    Attendance,
    Booking,
    CourseSession,
    RosterAssignment,
    User,
)
from rec_portal.models.attendance import PRESENT
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import COMPLETED, lock_session
from rec_portal.models.feedback import (
    ANSWER_TEXT_MAX,
    CHOICES,
    FOR_FACILITATORS,
    FOR_STUDENTS,
    FREE_TEXT,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.notifications.contact import compose, tell
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import to_uk, uk_today, utcnow

# Where a person stands with the feedback for one session.
OPEN = "open"  # they may answer now
ANSWERED = "answered"  # they have answered (named or anonymously)
NOT_YET = "not_yet"  # the session is not completed yet
NOT_INVITED = "not_invited"  # not an attendee (students) / not on the roster (facilitators)
CLOSED = "closed"  # the feedback window has closed (feedback/window.py), not answered

SUBJECT = "Recovery Education Centre session"


def field_name(question: FeedbackQuestion | int) -> str:
    """The form field of a question: ``q-<id>``."""
    return f"q-{getattr(question, 'id', question)}"


class FeedbackRefused(DomainError):
    """The response was not stored. ``errors``: message per form field (``q-<id>``), for
    the messages beside the fields; ``message``/``field``: the first of them."""

    def __init__(self, message: str, field: str | None = None, errors: dict[str, str] | None = None):
        super().__init__(message, field)
        self.errors = errors or ({field: message} if field else {})


class FeedbackClosed(FeedbackRefused):
    """The person may not answer (any more): not an attendee, not yet, answered, or the
    feedback window has closed."""


# --- Who may answer ----------------------------------------------------------------------------

def _attended(session_id: int, student_id: int) -> bool:
    """A confirmed booking on the session, marked present on at least one date."""
    return db.session.execute(
        select(
            exists()
            .where(
                Booking.session_id == session_id,
                Booking.student_id == student_id,
                Booking.status == CONFIRMED,
                Attendance.booking_id == Booking.id,
                Attendance.status == PRESENT,
            )
        )
    ).scalar_one()


def _rostered(session_id: int, user_id: int) -> bool:
    return db.session.execute(
        select(
            exists().where(RosterAssignment.session_id == session_id, RosterAssignment.user_id == user_id)
        )
    ).scalar_one()


def _invitation(session_id: int, user_id: int, audience: str, lock: bool = False) -> FeedbackInvitation | None:
    stmt = select(FeedbackInvitation).where(
        FeedbackInvitation.session_id == session_id,
        FeedbackInvitation.user_id == user_id,
        FeedbackInvitation.audience == audience,
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(stmt).scalar_one_or_none()


def feedback_state(user: User, session: CourseSession, audience: str = FOR_STUDENTS,
                   now: datetime | None = None) -> str:
    """OPEN, ANSWERED, CLOSED, NOT_YET or NOT_INVITED for ``user`` and ``session``.

    Students: the session is completed, they had a confirmed booking and were marked
    present at least once. Facilitators: they are on the session's roster. Either way
    only until the feedback window closes (feedback/window.py)."""
    if session.status != COMPLETED:
        return NOT_YET
    eligible = (_attended if audience == FOR_STUDENTS else _rostered)(session.id, user.id)
    if not eligible:
        return NOT_INVITED
    invitation = _invitation(session.id, user.id, audience)
    if invitation is not None and invitation.answered:
        return ANSWERED
    return OPEN if window.is_open(session, now) else CLOSED


def student_feedback_state(user: User, session: CourseSession) -> str:
    return feedback_state(user, session, FOR_STUDENTS)


def reflection_state(user: User, session: CourseSession) -> str:
    return feedback_state(user, session, FOR_FACILITATORS)


def answered_sessions(user_id: int, session_ids: Iterable[int], audience: str) -> set[int]:
    """The sessions (of ``session_ids``) ``user_id`` has answered for: one statement."""
    session_ids = list(session_ids)
    if not session_ids:
        return set()
    return set(
        db.session.execute(
            select(FeedbackInvitation.session_id).where(
                FeedbackInvitation.user_id == user_id,
                FeedbackInvitation.audience == audience,
                FeedbackInvitation.answered.is_(True),
                FeedbackInvitation.session_id.in_(session_ids),
            )
        ).scalars()
    )


def student_feedback_states(user_id: int, bookings: list[Booking], attended: set[int],
                            now: datetime | None = None) -> dict[int, str]:
    """The state of each of a student's bookings (by booking id), for My courses, in one
    statement whatever their number. ``attended``: the ids of the bookings marked present
    at least once (My courses already knows them). The bookings' sessions must be loaded."""
    answered = answered_sessions(
        user_id, {b.session_id for b in bookings if b.id in attended}, FOR_STUDENTS
    )
    states = {}
    for booking in bookings:
        if booking.status != CONFIRMED or booking.id not in attended:
            states[booking.id] = NOT_INVITED  # (nothing to show on My courses)
        elif booking.session.status != COMPLETED:
            states[booking.id] = NOT_YET
        elif booking.session_id in answered:
            states[booking.id] = ANSWERED
        else:
            states[booking.id] = OPEN if window.is_open(booking.session, now) else CLOSED
    return states


def reflection_states(user_id: int, sessions: list[CourseSession], now: datetime | None = None) -> dict[int, str]:
    """For /facilitate: the state of the reflection on each session the facilitator is
    rostered on (by session id), in one statement."""
    answered = answered_sessions(user_id, [s.id for s in sessions if s.status == COMPLETED], FOR_FACILITATORS)
    return {
        s.id: (NOT_YET if s.status != COMPLETED else ANSWERED if s.id in answered
               else OPEN if window.is_open(s, now) else CLOSED)
        for s in sessions
    }


# --- Invitations ---------------------------------------------------------------------------------

def _student_bookings_due(session: CourseSession) -> dict[int, int]:
    """Attendees not invited yet, disabled accounts included (invited without an email):
    student id -> booking id."""
    invited = exists().where(
        FeedbackInvitation.session_id == session.id,
        FeedbackInvitation.user_id == Booking.student_id,
        FeedbackInvitation.audience == FOR_STUDENTS,
    )
    rows = db.session.execute(
        select(Booking.student_id, Booking.id)
        .join(Attendance, Attendance.booking_id == Booking.id)
        .join(User, User.id == Booking.student_id)
        .where(
            Booking.session_id == session.id,
            Booking.status == CONFIRMED,
            Attendance.status == PRESENT,
            User.anonymised_at.is_(None),
            ~invited,
        )
        .distinct()
    ).all()
    return dict(rows)


def _facilitators_due(session: CourseSession) -> list[int]:
    invited = exists().where(
        FeedbackInvitation.session_id == session.id,
        FeedbackInvitation.user_id == RosterAssignment.user_id,
        FeedbackInvitation.audience == FOR_FACILITATORS,
    )
    return list(
        db.session.execute(
            select(RosterAssignment.user_id)
            .join(User, User.id == RosterAssignment.user_id)
            .where(RosterAssignment.session_id == session.id, User.active.is_(True), ~invited)
        ).scalars()
    )


def subject_for(user: User, session: CourseSession, what: str) -> str:
    """Neutral, unless the person chose to see course titles in emails."""
    if user.show_course_titles:
        return f"{session.course.title}: {what}"
    return f"{SUBJECT}: {what}"


def _path(endpoint: str, **values) -> str:
    """A page's path, with or without a request (the CLI has none)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def invite_for_session(session: CourseSession, now: datetime | None = None) -> int:
    """Invite everyone who may give feedback on a completed ``session`` and has not been
    invited: attendees (a confirmed booking, marked present at least once) and the
    facilitators on its roster. One email each. Returns how many were invited; safe to
    repeat. Nobody is invited once the session's feedback has closed (feedback/window.py).
    The caller holds the session's lock (completing a session takes it)."""
    now = now or utcnow()
    if session.status != COMPLETED or not window.is_open(session, now):
        return 0
    students = _student_bookings_due(session)
    facilitators = _facilitators_due(session)
    if not students and not facilitators:
        return 0
    people = {
        u.id: u for u in db.session.execute(
            select(User).where(User.id.in_([*students, *facilitators]))
        ).scalars()
    }
    base = current_app.config["REC_BASE_URL"].rstrip("/")
    made = 0
    # In user-id order, one time for the batch: the rows' order says nothing else.
    for audience, user_ids in ((FOR_STUDENTS, sorted(students)), (FOR_FACILITATORS, sorted(facilitators))):
        for user_id in user_ids:
            person = people[user_id]
            db.session.add(FeedbackInvitation(
                session_id=session.id, user_id=user_id, audience=audience, created_at=now,
                emailed_at=now if person.active else None,
            ))
            made += 1
            if not person.active:
                # An attendee whose account is disabled is invited with everyone else, with
                # no email: were the invitation made only when they came to answer, the
                # number invited would move at that moment and give an anonymous answer away.
                continue
            # A register taken early on the last day completes the session before it
            # ends: the message waits until it is over.
            after = max(now, session.ends_at)
            if audience == FOR_STUDENTS:  # by their contact preference
                link = base + _path("feedback.give", booking_id=students[user_id])
                tell(person, compose(
                    "feedback_invitation", person,
                    subject=subject_for(person, session, "tell us how it went"),
                    email_body=render_template("emails/feedback_invitation.txt", person=person,
                                               session=session, link=link),
                    session=session, send_after=after, link=link,
                ))
            else:  # facilitators: by email
                link = base + _path("feedback.reflection", session_id=session.id)
                message = queue_email(
                    to=person.email, user=person,
                    subject=subject_for(person, session, "your reflection on the session"),
                    body=render_template("emails/feedback_reflection.txt", person=person,
                                         session=session, link=link),
                )
                if message is not None:  # None: no email address
                    message.next_attempt_at = after
    db.session.flush()
    return made


def sessions_needing_invitations(now: datetime | None = None) -> list[CourseSession]:
    """Completed sessions whose feedback is still open, with an attendee or rostered
    facilitator not invited yet (a walk-in marked present after completion; sessions
    completed before invitations)."""
    student_due = exists().where(
        Booking.session_id == CourseSession.id,
        Booking.status == CONFIRMED,
        Attendance.booking_id == Booking.id,
        Attendance.status == PRESENT,
        User.id == Booking.student_id,
        User.active.is_(True),
        User.anonymised_at.is_(None),
        ~exists().where(
            FeedbackInvitation.session_id == CourseSession.id,
            FeedbackInvitation.user_id == Booking.student_id,
            FeedbackInvitation.audience == FOR_STUDENTS,
        ),
    )
    facilitator_due = exists().where(
        RosterAssignment.session_id == CourseSession.id,
        User.id == RosterAssignment.user_id,
        User.active.is_(True),
        ~exists().where(
            FeedbackInvitation.session_id == CourseSession.id,
            FeedbackInvitation.user_id == RosterAssignment.user_id,
            FeedbackInvitation.audience == FOR_FACILITATORS,
        ),
    )
    return list(
        session for session in db.session.execute(
            select(CourseSession)
            .where(CourseSession.status == COMPLETED, CourseSession.ends_at >= window.earliest_open_end(now),
                   student_due | facilitator_due)
            .order_by(CourseSession.id)
        ).scalars()
        if window.is_open(session, now)
    )


def invite_all(now: datetime | None = None) -> tuple[int, int]:
    """``rec feedback-invitations``: (invitations made, sessions). Safe to repeat."""
    made = sessions = 0
    for session in sessions_needing_invitations(now):
        lock_session(session.id)
        count = invite_for_session(session, now)
        made += count
        sessions += bool(count)
    return made, sessions


# --- Answering -----------------------------------------------------------------------------------

@dataclass
class ParsedAnswers:
    answers: list[tuple[FeedbackQuestion, int | None, str | None]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _parse(questions: list[FeedbackQuestion], raw: Mapping[int, str]) -> ParsedAnswers:
    """Check each answer against its question's kind. Blank answers are left out."""
    parsed = ParsedAnswers()
    for question in questions:
        value = raw.get(question.id)
        if value is None:
            continue
        value = str(value).strip()
        if not value:
            continue
        name = field_name(question)
        if question.kind == FREE_TEXT:
            if len(value) > ANSWER_TEXT_MAX:
                parsed.errors[name] = (
                    f"Your answer must be {ANSWER_TEXT_MAX:,} characters or fewer "
                    f"(it has {len(value):,})"
                )
            else:
                parsed.answers.append((question, None, value))
            continue
        allowed = {str(v): v for v, _words in CHOICES[question.kind]}
        if value not in allowed:
            parsed.errors[name] = "Choose one of the answers given, or leave this question out"
        else:
            parsed.answers.append((question, allowed[value], None))
    return parsed


def _invitation_for_answering(session: CourseSession, user: User, audience: str) -> FeedbackInvitation:
    """The person's invitation, locked until the transaction ends (so one person cannot
    answer twice at once). Made if they were never sent one (rare: marking someone present
    invites them, and ``rec feedback-invitations`` catches the rest): dated like the
    session's own invitations, not now, so it says as little as it can about when they
    answered."""
    invitation = _invitation(session.id, user.id, audience, lock=True)
    if invitation is not None:
        return invitation
    try:
        with db.session.begin_nested():
            made = session.completed_at or session.ends_at
            db.session.add(FeedbackInvitation(
                session_id=session.id, user_id=user.id, audience=audience,
                created_at=made, emailed_at=made,
            ))
    except IntegrityError:  # made at the same moment by another request: use that one
        pass
    return _invitation(session.id, user.id, audience, lock=True)


def submit_feedback(
    user: User,
    session: CourseSession,
    answers: Mapping[int, str],
    anonymous: bool = False,
    audience: str = FOR_STUDENTS,
    now: datetime | None = None,
) -> FeedbackResponse:
    """Store ``user``'s feedback on ``session``. ``answers``: what was sent for each
    question (question id -> the raw value). Every question is optional, but at least one
    must be answered. Facilitators' reflections are always named.

    Raises FeedbackRefused (nothing stored) when the person may not answer, or an answer
    does not fit its question."""
    if audience == FOR_FACILITATORS:
        anonymous = False
    state = feedback_state(user, session, audience, now)
    if state != OPEN:
        raise FeedbackClosed(_refusal(state, audience))
    questions = questions_for(session.course_id, audience)
    unknown = set(answers) - {q.id for q in questions}
    if unknown and any(str(answers[i]).strip() for i in unknown):
        raise FeedbackRefused(
            "Some of the questions have changed since you opened this page. Check your "
            "answers and send them again.",
            field_name(questions[0]) if questions else None,
        )
    parsed = _parse(questions, answers)
    if parsed.errors:
        first = next(field_name(q) for q in questions if field_name(q) in parsed.errors)
        raise FeedbackRefused(parsed.errors[first], first, parsed.errors)
    if not parsed.answers:
        first = field_name(questions[0]) if questions else None
        raise FeedbackRefused("Answer at least one question", first)

    invitation = _invitation_for_answering(session, user, audience)
    if invitation is None or invitation.answered:
        raise FeedbackClosed(_refusal(ANSWERED, audience))
    invitation.answered = True
    # Nobody answers anonymously about a one-to-one workshop: with one student, the answer
    # would point at them whatever was stored.
    anonymous = bool(anonymous) and not session.individual
    response = FeedbackResponse(
        session_id=session.id,
        audience=audience,
        respondent_id=None if anonymous else user.id,
        anonymous=bool(anonymous),
        # An anonymous response keeps no day of its own (the day someone answered could be
        # matched with their sign-in times): it is dated by the session's last day.
        given_on=to_uk(session.ends_at).date() if anonymous else uk_today(now),
    )
    response.answers = [
        FeedbackAnswer(question_id=q.id, question_text=q.text, kind=q.kind, value=value, text=text)
        for q, value, text in parsed.answers
    ]
    db.session.add(response)
    db.session.flush()
    return response


def _refusal(state: str, audience: str) -> str:
    if audience == FOR_FACILITATORS:
        return {
            ANSWERED: "You have already sent your reflection on this session.",
            CLOSED: "Reflections on this session have closed.",
            NOT_YET: "You can write your reflection once the session is completed.",
        }.get(state, "Only the facilitators on this session's roster can write a reflection on it.")
    return {
        ANSWERED: "You have already told us how this course went. Thank you.",
        CLOSED: "Feedback for this session has closed.",
        NOT_YET: "You can tell us how the course went once it is over and the register has been taken.",
    }.get(state, "Only people who came to this session can give feedback on it.")


__all__ = [
    "ANSWERED",
    "CLOSED",
    "NOT_INVITED",
    "NOT_YET",
    "OPEN",
    "FeedbackClosed",
    "FeedbackRefused",
    "answered_sessions",
    "feedback_state",
    "field_name",
    "invite_all",
    "invite_for_session",
    "reflection_state",
    "reflection_states",
    "sessions_needing_invitations",
    "student_feedback_state",
    "student_feedback_states",
    "submit_feedback",
]
