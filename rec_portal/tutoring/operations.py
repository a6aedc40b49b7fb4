"""Personal tutor rules: assigning, reassigning and removing a student's tutor, and the
learning-plan conversations students ask for. Operations flush, never commit, and raise
``TutoringRefused`` with a message fit for a person. Audited with codes and ids only.

Messages: a tutor is told of a new request by their contact preference (``tell``), with
neutral words and nothing from the plan; with no tutor, the REC team (every active admin)
gets a staff notice by email. The student is told when their conversation is arranged, and
when staff cancel it."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import User
from rec_portal.models.accounts import STUDENT, TUTOR
from rec_portal.models.tutoring import (
    ARRANGED,
    CANCELLED,
    HELD,
    OPEN_CONVERSATION_STATUSES,
    REQUESTED,
    REVIEW_MONTHS_CHOICES,
    WAYS,
    PlanConversation,
    Tutorship,
)
from rec_portal.notifications import plan_conversations
from rec_portal.notifications.contact import compose, page_link, tell
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import format_uk, utcnow

SUBJECT = "Recovery Education Centre"
WHEN_SUITS_MAX = 300
NOTE_MAX = 2000
DETAILS_MAX = 300


class TutoringRefused(DomainError):
    """A tutoring rule refused the change."""


def _text(value: str | None, limit: int, field: str, what: str) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise TutoringRefused(f"{what} must be {limit:,} characters or fewer", field=field)
    return text


def _conversation_changed(conversation: PlanConversation, by: User | None, what: str) -> None:
    audit.record(audit.PLAN_CONVERSATION_CHANGED, actor=by, subject=conversation.student,
                 detail=f"conversation {conversation.id}: {what}")


# --- Assigning a tutor (admins) -------------------------------------------------------------

def assign_tutor(student: User, tutor: User | None, review_every_months: int, by: User) -> Tutorship:
    """Give ``student`` the tutor ``tutor`` (someone holding the tutor role), reviewed every
    ``review_every_months``. Reassigning moves the student's open conversations to the new
    tutor (so do open requests that went to the REC team), who is told of each; changing
    only the interval keeps the date the tutor was assigned."""
    if not student.has_role(STUDENT) or student.anonymised_at is not None:
        raise TutoringRefused("Only a student can have a personal tutor.")
    if tutor is None or not tutor.has_role(TUTOR) or not tutor.active or tutor.anonymised_at is not None:
        raise TutoringRefused("Choose a tutor from the list", field="tutor_id")
    if tutor.id == student.id:
        raise TutoringRefused("A student cannot be their own tutor. Choose someone else", field="tutor_id")
    if review_every_months not in REVIEW_MONTHS_CHOICES:
        raise TutoringRefused("Choose how often their plan is reviewed", field="review_every_months")
    tutorship = db.session.get(Tutorship, student.id)
    changed_tutor = tutorship is None or tutorship.tutor_id != tutor.id
    if tutorship is None:
        tutorship = Tutorship(student_id=student.id, tutor_id=tutor.id, assigned_by_id=by.id,
                              review_every_months=review_every_months, assigned_at=utcnow())
        db.session.add(tutorship)
    else:
        if changed_tutor:
            tutorship.tutor_id = tutor.id
            tutorship.assigned_at = utcnow()
            tutorship.assigned_by_id = by.id
        tutorship.review_every_months = review_every_months
    if changed_tutor:
        moved = plan_conversations.open_conversations(
            PlanConversation.student_id == student.id,
            or_(PlanConversation.tutor_id.is_(None), PlanConversation.tutor_id != tutor.id))
        db.session.execute(
            update(PlanConversation)
            .where(PlanConversation.student_id == student.id,
                   PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
            .values(tutor_id=tutor.id, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
    db.session.flush()
    audit.record(audit.TUTOR_ASSIGNED, actor=by, subject=student,
                 detail=f"tutor {tutor.id}, review every {review_every_months} months")
    if changed_tutor:
        plan_conversations.tell_moved(moved, tutor, why="")
    db.session.flush()
    return tutorship


def remove_tutor(student: User, by: User) -> bool:
    """The student no longer has a tutor; their open conversations go to the REC team
    (emailed, as for a new request without a tutor). Returns whether they had one."""
    tutorship = db.session.get(Tutorship, student.id)
    if tutorship is None:
        return False
    tutor_id = tutorship.tutor_id
    moved = plan_conversations.open_conversations(PlanConversation.student_id == student.id,
                                                  PlanConversation.tutor_id.is_not(None))
    db.session.delete(tutorship)
    db.session.execute(
        update(PlanConversation)
        .where(PlanConversation.student_id == student.id,
               PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
        .values(tutor_id=None, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    audit.record(audit.TUTOR_REMOVED, actor=by, subject=student, detail=f"tutor {tutor_id}")
    plan_conversations.tell_moved(moved, None, why="the student no longer has a personal tutor")
    db.session.flush()
    return True


# --- Conversations (the student) ------------------------------------------------------------

def ask_for_conversation(student: User, *, way: str, when_suits: str = "", note: str = "") -> PlanConversation:
    """The student asks for a conversation about their learning plan. It goes to their
    tutor (told by their contact preference) or, without one, to the REC team."""
    if way not in WAYS:
        raise TutoringRefused("Choose how you would like to talk", field="way")
    when_suits = _text(when_suits, WHEN_SUITS_MAX, "when_suits", "When suits you")
    note = _text(note, NOTE_MAX, "note", "What you would like to talk about")
    existing = db.session.execute(
        select(PlanConversation.id)
        .where(PlanConversation.student_id == student.id, PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
        .limit(1)
    ).first()
    if existing is not None:
        raise TutoringRefused("You have already asked for a conversation about your plan. You can see it "
                              "on your learning plan page, or cancel it there and ask again.")
    tutorship = db.session.get(Tutorship, student.id)
    conversation = PlanConversation(
        student_id=student.id, tutor_id=tutorship.tutor_id if tutorship else None,
        way=way, when_suits=when_suits, note=note, status=REQUESTED,
    )
    db.session.add(conversation)
    db.session.flush()
    _conversation_changed(conversation, student, "asked for")
    if tutorship is not None:
        tutor = tutorship.tutor
        link = page_link("tutoring.caseload")
        tell(tutor, compose(
            "plan_conversation_requested", tutor, subject=f"{SUBJECT}: a student would like to talk",
            email_body=render_template("emails/plan_conversation_requested.txt", person=tutor,
                                       student=student, conversation=conversation, link=link),
            student=student, conversation=conversation, link=link,
        ))
    else:
        link = page_link("tutoring.overview") + "#rec-team"
        for admin in plan_conversations.active_admins():
            queue_email(
                to=admin.email, user=admin, subject=f"{SUBJECT}: a student would like to talk about their plan",
                body=render_template("emails/plan_conversation_rec_team.txt", person=admin,
                                     conversation=conversation, link=link),
            )
    return conversation


def cancel_by_student(conversation: PlanConversation, student: User) -> None:
    if conversation.student_id != student.id:
        raise TutoringRefused("This conversation could not be found.")
    if not conversation.is_open:
        raise TutoringRefused(f"This conversation is already {conversation.status_label.lower()}.")
    conversation.status = CANCELLED
    conversation.closed_at = utcnow()
    db.session.flush()
    _conversation_changed(conversation, student, "cancelled by the student")


# --- Conversations (the tutor or the REC team) ----------------------------------------------

def arrange_conversation(conversation: PlanConversation, by: User, *, when: datetime | None,
                         details: str, now: datetime | None = None) -> PlanConversation:
    """Set (or change) when and where or how the conversation happens; the student is told
    by their contact preference."""
    now = now or utcnow()
    if not conversation.is_open:
        raise TutoringRefused(f"This conversation is {conversation.status_label.lower()}, so it cannot be arranged.")
    if when is None:
        raise TutoringRefused("Enter the date of the conversation", field="day")
    if when <= now:
        raise TutoringRefused("Choose a date and time in the future", field="day")
    details = _text(details, DETAILS_MAX, "details", "Where or how")
    if not details:
        raise TutoringRefused("Enter where the conversation will be, or how to join it", field="details")
    rearranged = conversation.status == ARRANGED
    conversation.status = ARRANGED
    conversation.arranged_for = when
    conversation.arranged_details = details
    conversation.arranged_by_id = by.id
    db.session.flush()
    _conversation_changed(conversation, by, "rearranged" if rearranged else "arranged")
    student = conversation.student
    link = page_link("plans.index") + "#plan-conversations"
    tell(student, compose(
        "plan_conversation_arranged", student, subject=f"{SUBJECT}: your conversation is arranged",
        email_body=render_template("emails/plan_conversation_arranged.txt", person=student,
                                   conversation=conversation, when=format_uk(when), by=by, link=link),
        conversation=conversation, when_text=format_uk(when), by=by, link=link,
    ))
    return conversation


def mark_held(conversation: PlanConversation, by: User) -> None:
    if conversation.status != ARRANGED:
        raise TutoringRefused("Only an arranged conversation can be marked as held.")
    conversation.status = HELD
    conversation.closed_at = utcnow()
    db.session.flush()
    _conversation_changed(conversation, by, "held")


def cancel_by_staff(conversation: PlanConversation, by: User) -> None:
    """The tutor (or the REC team) cancels; the student is told by their contact
    preference, with neutral words."""
    if not conversation.is_open:
        raise TutoringRefused(f"This conversation is already {conversation.status_label.lower()}.")
    conversation.status = CANCELLED
    conversation.closed_at = utcnow()
    db.session.flush()
    _conversation_changed(conversation, by, "cancelled by staff")
    student = conversation.student
    link = page_link("plans.index") + "#plan-conversations"
    when = format_uk(conversation.arranged_for) if conversation.arranged_for else ""
    tell(student, compose(
        "plan_conversation_cancelled", student, subject=f"{SUBJECT}: your conversation is cancelled",
        email_body=render_template("emails/plan_conversation_cancelled.txt", person=student,
                                   conversation=conversation, when=when, by=by, link=link,
                                   phone=current_app.config["REC_CONTACT_PHONE"]),
        conversation=conversation, when_text=when, by=by, link=link,
    ))


def default_next_review(student_id: int, today: date) -> date:
    """Today plus the student's review interval (the default interval without a tutor)."""
    from rec_portal.models.tutoring import DEFAULT_REVIEW_MONTHS
    from rec_portal.tutoring.queries import add_months

    tutorship = db.session.get(Tutorship, student_id)
    return add_months(today, tutorship.review_every_months if tutorship else DEFAULT_REVIEW_MONTHS)
