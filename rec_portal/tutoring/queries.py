"""What the tutoring pages show: who each student's tutor is, when their next review is
due, a tutor's caseload, the admins' overview, and learning-plan conversations. A fixed
number of statements per page, whatever the size of a caseload."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from rec_portal.extensions import db
from rec_portal.models import User, UserRole
from rec_portal.models.accounts import STUDENT, TUTOR
from rec_portal.models.plans import PlanReview
from rec_portal.models.tutoring import (
    OPEN_CONVERSATION_STATUSES,
    PlanConversation,
    Tutorship,
)
from rec_portal.timeutil import to_uk, uk_today

# Closed conversations shown to the student beside their open ones.
RECENT_CLOSED = 3
# Students without a tutor listed by name on the overview (the rest are counted).
UNASSIGNED_LISTED = 50


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (31 January + 1 month is 28 or 29 February)."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tutorship_of(student_id: int) -> Tutorship | None:
    return db.session.execute(
        select(Tutorship).where(Tutorship.student_id == student_id)
        .options(selectinload(Tutorship.tutor))
    ).scalar_one_or_none()


def is_tutor_of(tutor_id: int, student_id: int) -> bool:
    return db.session.execute(
        select(Tutorship.student_id).where(Tutorship.student_id == student_id, Tutorship.tutor_id == tutor_id)
    ).first() is not None


def tutors() -> list[User]:
    """Everyone who may be chosen as a tutor: active accounts holding the tutor role."""
    return list(db.session.execute(
        select(User)
        .where(User.active.is_(True), User.anonymised_at.is_(None), User.roles.any(UserRole.role == TUTOR))
        .order_by(func.lower(User.full_name), User.id)
    ).scalars())


def latest_reviews(student_ids: list[int]) -> dict[int, PlanReview]:
    """Each student's latest review (by its date, then the newest recorded): one statement."""
    if not student_ids:
        return {}
    numbered = (
        select(
            PlanReview.id,
            func.row_number().over(
                partition_by=PlanReview.user_id,
                order_by=(PlanReview.review_date.desc(), PlanReview.id.desc()),
            ).label("n"),
        )
        .where(PlanReview.user_id.in_(student_ids))
        .subquery("numbered")
    )
    rows = db.session.execute(
        select(PlanReview).join(numbered, numbered.c.id == PlanReview.id).where(numbered.c.n == 1)
    ).scalars()
    return {review.user_id: review for review in rows}


def review_due(tutorship: Tutorship, last: PlanReview | None) -> date:
    """When the next review is due: the date the latest review set, else the latest review's
    date plus the interval, else the day the tutor was assigned plus the interval."""
    if last is not None:
        if last.next_review_date is not None:
            return last.next_review_date
        return add_months(last.review_date, tutorship.review_every_months)
    return add_months(to_uk(tutorship.assigned_at).date(), tutorship.review_every_months)


def is_overdue(due: date | None, today: date | None = None) -> bool:
    """A review is overdue once the UK day it was due has passed."""
    return due is not None and due < (today or uk_today())


def next_review_for(student_id: int) -> tuple[Tutorship | None, date | None]:
    """The student's tutorship and when their next review is due (None without a tutor)."""
    tutorship = tutorship_of(student_id)
    if tutorship is None:
        return None, None
    return tutorship, review_due(tutorship, latest_reviews([student_id]).get(student_id))


@dataclass
class CaseloadRow:
    tutorship: Tutorship
    last_review: PlanReview | None
    due: date
    overdue: bool
    conversations: list[PlanConversation] = field(default_factory=list)

    @property
    def student(self) -> User:
        return self.tutorship.student


def _open_conversations(student_ids: list[int]) -> dict[int, list[PlanConversation]]:
    if not student_ids:
        return {}
    rows = db.session.execute(
        select(PlanConversation)
        .where(PlanConversation.student_id.in_(student_ids),
               PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
        .order_by(PlanConversation.created_at, PlanConversation.id)
    ).scalars()
    found: dict[int, list[PlanConversation]] = {}
    for row in rows:
        found.setdefault(row.student_id, []).append(row)
    return found


def caseload(tutor_id: int, today: date | None = None) -> list[CaseloadRow]:
    """A tutor's students, overdue reviews first, then by the date due, then by name."""
    today = today or uk_today()
    tutorships = list(db.session.execute(
        select(Tutorship).where(Tutorship.tutor_id == tutor_id)
        .options(selectinload(Tutorship.student))
    ).scalars())
    ids = [t.student_id for t in tutorships]
    reviews = latest_reviews(ids)
    conversations = _open_conversations(ids)
    rows = []
    for tutorship in tutorships:
        last = reviews.get(tutorship.student_id)
        due = review_due(tutorship, last)
        rows.append(CaseloadRow(tutorship, last, due, is_overdue(due, today),
                                conversations.get(tutorship.student_id, [])))
    rows.sort(key=lambda r: (not r.overdue, r.due, r.student.full_name.lower()))
    return rows


@dataclass
class TutorSummary:
    tutor: User
    students: int = 0
    overdue: int = 0
    open_conversations: int = 0


@dataclass
class Overview:
    tutors: list[TutorSummary]
    unassigned: list[User]
    unassigned_count: int
    rec_team_conversations: list[PlanConversation]


def _without_tutor():
    return (
        select(User)
        .where(User.roles.any(UserRole.role == STUDENT), User.active.is_(True), User.anonymised_at.is_(None),
               ~select(Tutorship.student_id).where(Tutorship.student_id == User.id).exists())
    )


def overview(today: date | None = None) -> Overview:
    """Each tutor with the size of their caseload and the reviews overdue; the students
    without a tutor; and the conversations asked for by students without one."""
    today = today or uk_today()
    summaries = {t.id: TutorSummary(t) for t in tutors()}
    tutorships = list(db.session.execute(select(Tutorship)).scalars())
    reviews = latest_reviews([t.student_id for t in tutorships])
    # Tutors whose account is disabled (or who no longer hold the role) are still listed
    # with their students: all of them read at once, not one by one.
    others = {t.tutor_id for t in tutorships} - summaries.keys()
    if others:
        for tutor in db.session.execute(select(User).where(User.id.in_(sorted(others)))).scalars():
            summaries[tutor.id] = TutorSummary(tutor)
    for tutorship in tutorships:
        summary = summaries[tutorship.tutor_id]
        summary.students += 1
        if is_overdue(review_due(tutorship, reviews.get(tutorship.student_id)), today):
            summary.overdue += 1
    for tutor_id, count in db.session.execute(
        select(PlanConversation.tutor_id, func.count())
        .where(PlanConversation.tutor_id.is_not(None), PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
        .group_by(PlanConversation.tutor_id)
    ).all():
        if tutor_id in summaries:
            summaries[tutor_id].open_conversations = count
    unassigned_count = db.session.execute(
        select(func.count()).select_from(_without_tutor().subquery())
    ).scalar_one()
    unassigned = list(db.session.execute(
        _without_tutor().order_by(func.lower(User.full_name), User.id).limit(UNASSIGNED_LISTED)
    ).scalars())
    ordered = sorted(summaries.values(), key=lambda s: (s.tutor.full_name.lower(), s.tutor.id))
    return Overview(ordered, unassigned, unassigned_count, rec_team_conversations())


def rec_team_conversations() -> list[PlanConversation]:
    """Open conversations asked for by students who have no tutor (the REC team's)."""
    return list(db.session.execute(
        select(PlanConversation)
        .where(PlanConversation.tutor_id.is_(None), PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
        .order_by(PlanConversation.created_at, PlanConversation.id)
        .options(selectinload(PlanConversation.student))
    ).scalars())


def conversations_of(student_id: int) -> list[PlanConversation]:
    """The student's open conversations and their most recent closed ones, newest first."""
    rows = list(db.session.execute(
        select(PlanConversation).where(PlanConversation.student_id == student_id)
        .order_by(PlanConversation.created_at.desc(), PlanConversation.id.desc())
        .limit(20)
        .options(selectinload(PlanConversation.tutor))
    ).scalars())
    closed = [c for c in rows if not c.is_open][:RECENT_CLOSED]
    return [c for c in rows if c.is_open or c in closed]


def open_conversation_of(student_id: int) -> PlanConversation | None:
    return db.session.execute(
        select(PlanConversation)
        .where(PlanConversation.student_id == student_id, PlanConversation.status.in_(OPEN_CONVERSATION_STATUSES))
        .order_by(PlanConversation.id.desc()).limit(1)
    ).scalar_one_or_none()


def conversation_for_staff(conversation_id: int, viewer: User) -> PlanConversation | None:
    """The conversation if ``viewer`` may arrange it: its tutor, or any admin."""
    found = db.session.get(PlanConversation, conversation_id)
    if found is None:
        return None
    if found.tutor_id == viewer.id or viewer.has_role("admin"):
        return found
    return None
