"""Learning plan rules. Operations flush, never commit; the caller commits once.

A plan always belongs to the person passed in (the signed-in student, or the student a
learning advisor opened): nothing here takes an owner from a form.

Goals are kept in the order the student chose: ``position`` runs 0, 1, 2 ... with no
gaps, whatever is added, deleted or moved.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Course, User
from rec_portal.models.courses import PUBLISHED
from rec_portal.models.plans import (
    GOAL_STATUSES,
    NOT_STARTED,
    LearningGoal,
    LearningPlan,
    PlanCourse,
    PlanReview,
)
from rec_portal.plans.queries import goals as goals_of

MAX_GOALS = 50
MAX_COURSES = 100
GOAL_TEXT_MAX = 500


class PlanRefused(DomainError):
    """A plan rule refused the change."""


# --- Own words ----------------------------------------------------------------------------

def plan_of(user: User) -> LearningPlan | None:
    return db.session.get(LearningPlan, user.id)


def save_own_words(
    user: User, *, hopes: str | None, strengths: str | None, support: str | None
) -> LearningPlan:
    """Save the student's own words. ``None`` means "not sent": that part is left as it is."""
    plan = plan_of(user)
    if plan is None:
        plan = LearningPlan(user_id=user.id, hopes="", strengths="", support="")
        db.session.add(plan)
    for name, value in (("hopes", hopes), ("strengths", strengths), ("support", support)):
        if value is not None:
            setattr(plan, name, value.strip())
    db.session.flush()
    return plan


# --- Goals --------------------------------------------------------------------------------

def _renumber(goals: list[LearningGoal]) -> None:
    for position, goal in enumerate(goals):
        if goal.position != position:
            goal.position = position


def _check_goal(text: str, status: str) -> str:
    text = (text or "").strip()
    if not text:
        raise PlanRefused("Enter your goal", field="text")
    if len(text) > GOAL_TEXT_MAX:
        raise PlanRefused(
            "Your goal must be 500 characters or fewer. You can add the details as steps",
            field="text",
        )
    if status not in GOAL_STATUSES:
        raise PlanRefused("Choose how your goal is going", field="status")
    return text


def _clean_steps(steps: str | None) -> str:
    """One step per line, blank lines dropped."""
    return "\n".join(line.strip() for line in (steps or "").splitlines() if line.strip())


def add_goal(
    user: User,
    *,
    text: str,
    steps: str = "",
    target_date: date | None = None,
    status: str = NOT_STARTED,
) -> LearningGoal:
    text = _check_goal(text, status)
    count = db.session.execute(
        select(func.count()).select_from(LearningGoal).where(LearningGoal.user_id == user.id)
    ).scalar_one()
    if count >= MAX_GOALS:
        raise PlanRefused(
            f"Your plan already has {MAX_GOALS} goals, the most it can hold. Delete or "
            "combine some goals first.",
            field="text",
        )
    goal = LearningGoal(
        user_id=user.id,
        text=text,
        steps=_clean_steps(steps),
        target_date=target_date,
        status=status,
        position=count,
    )
    db.session.add(goal)
    db.session.flush()
    _renumber(goals_of(user.id))  # repairs any gap left by an older version
    db.session.flush()
    return goal


def edit_goal(
    goal: LearningGoal, *, text: str, steps: str, target_date: date | None, status: str
) -> LearningGoal:
    goal.text = _check_goal(text, status)
    goal.steps = _clean_steps(steps)
    goal.target_date = target_date
    goal.status = status
    db.session.flush()
    return goal


def set_goal_status(goal: LearningGoal, status: str) -> LearningGoal:
    if status not in GOAL_STATUSES:
        raise PlanRefused("Choose how your goal is going", field="status")
    goal.status = status
    db.session.flush()
    return goal


def delete_goal(goal: LearningGoal) -> None:
    user_id = goal.user_id
    db.session.delete(goal)
    db.session.flush()
    _renumber(goals_of(user_id))
    db.session.flush()


def move_goal(goal: LearningGoal, direction: str) -> bool:
    """Swap the goal with the one above ("up") or below ("down"). Returns False when it
    is already first or last (nothing changes)."""
    if direction not in ("up", "down"):
        raise PlanRefused("Choose whether to move the goal up or down", field="direction")
    goals = goals_of(goal.user_id)
    index = next(i for i, g in enumerate(goals) if g.id == goal.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(goals):
        _renumber(goals)
        db.session.flush()
        return False
    goals[index], goals[other] = goals[other], goals[index]
    _renumber(goals)
    db.session.flush()
    return True


# --- Courses of interest --------------------------------------------------------------------

def course_ids_in_plan(user_id: int) -> set[int]:
    return set(
        db.session.execute(select(PlanCourse.course_id).where(PlanCourse.user_id == user_id)).scalars()
    )


def add_course(user: User, course: Course | None) -> PlanCourse:
    """Add a published course to the plan. Adding it again changes nothing."""
    if course is None or course.status != PUBLISHED:
        raise PlanRefused("This course is not offered at the moment, so it cannot be added to your plan.")
    existing = db.session.execute(
        select(PlanCourse).where(PlanCourse.user_id == user.id, PlanCourse.course_id == course.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    count = db.session.execute(
        select(func.count()).select_from(PlanCourse).where(PlanCourse.user_id == user.id)
    ).scalar_one()
    if count >= MAX_COURSES:
        raise PlanRefused(
            f"Your plan already has {MAX_COURSES} courses, the most it can hold. Remove some first."
        )
    entry = PlanCourse(user_id=user.id, course_id=course.id)
    try:
        with db.session.begin_nested():  # a double click may get here twice at once
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        return db.session.execute(
            select(PlanCourse).where(PlanCourse.user_id == user.id, PlanCourse.course_id == course.id)
        ).scalar_one()
    return entry


def remove_course(user: User, course_id: int) -> bool:
    """Take a course out of the plan. Returns False if it was not there."""
    entry = db.session.execute(
        select(PlanCourse).where(PlanCourse.user_id == user.id, PlanCourse.course_id == course_id)
    ).scalar_one_or_none()
    if entry is None:
        return False
    db.session.delete(entry)
    db.session.flush()
    return True


# --- Reviews (learning advisors) -----------------------------------------------------------

def check_review_dates(review_date: date | None, next_review_date: date | None) -> None:
    """The next review cannot come before the review itself (the form asks this too, so
    every mistake is listed at once)."""
    if review_date is not None and next_review_date is not None and next_review_date < review_date:
        raise PlanRefused(
            "The next review must be on or after the date of this review", field="next_review_date"
        )


def add_review(
    student: User,
    reviewer: User,
    *,
    review_date: date | None,
    notes: str,
    next_review_date: date | None = None,
) -> PlanReview:
    """Record a review of ``student``'s plan by ``reviewer`` (an admin). Audited without
    its content."""
    if review_date is None:
        raise PlanRefused("Enter the date of the review", field="review_date")
    notes = (notes or "").strip()
    if not notes:
        raise PlanRefused("Enter notes about the review", field="notes")
    check_review_dates(review_date, next_review_date)
    review = PlanReview(
        user_id=student.id,
        reviewer_id=reviewer.id,
        review_date=review_date,
        notes=notes,
        next_review_date=next_review_date,
    )
    db.session.add(review)
    db.session.flush()
    audit.record(audit.PLAN_REVIEW_ADDED, actor=reviewer, subject=student, detail=f"review {review.id}")
    db.session.flush()
    return review


def add_tutor_review(
    student: User,
    tutor: User,
    *,
    review_date: date | None,
    notes: str,
    next_review_date: date | None,
    goal_statuses: dict[int, str],
) -> PlanReview:
    """A personal tutor records a review with the student and, in the same step, how each
    of their goals is going. Everything or nothing: a refusal leaves the goals as they were
    (the caller rolls back)."""
    review = add_review(student, tutor, review_date=review_date, notes=notes, next_review_date=next_review_date)
    goals = {goal.id: goal for goal in goals_of(student.id)}
    changed = 0
    for goal_id, status in goal_statuses.items():
        goal = goals.get(goal_id)
        if goal is None:  # not one of this student's goals (deleted meanwhile): nothing to do
            continue
        if status not in GOAL_STATUSES:
            raise PlanRefused("Choose how this goal is going", field=f"goal_{goal_id}")
        if goal.status != status:
            goal.status = status
            changed += 1
    db.session.flush()
    if changed:
        audit.record(audit.PLAN_REVIEW_ADDED, actor=tutor, subject=student,
                     detail=f"review {review.id}: {changed} goal statuses changed")
        db.session.flush()
    return review
