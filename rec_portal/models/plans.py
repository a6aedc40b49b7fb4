"""Personal learning plans: the student's own words, goals, courses of interest, and
reviews recorded by a learning advisor (an admin)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.courses import Course
from rec_portal.timeutil import utcnow

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
ACHIEVED = "achieved"
SET_ASIDE = "set_aside"
GOAL_STATUSES = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    ACHIEVED: "Achieved",
    SET_ASIDE: "Set aside",
}


class LearningPlan(db.Model):
    """One per student: what they hope for, their strengths, what helps them learn."""

    __tablename__ = "learning_plans"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    hopes: Mapped[str] = mapped_column(Text, default="")
    strengths: Mapped[str] = mapped_column(Text, default="")
    support: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class LearningGoal(db.Model):
    __tablename__ = "learning_goals"
    __table_args__ = (
        CheckConstraint(f"status IN {tuple(GOAL_STATUSES)!r}", name="status_known"),
        Index("ix_learning_goals_user_id_position", "user_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    # Optional steps, one per line.
    steps: Mapped[str] = mapped_column(Text, default="")
    target_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=NOT_STARTED)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()

    @property
    def status_label(self) -> str:
        return GOAL_STATUSES.get(self.status, self.status)

    @property
    def step_list(self) -> list[str]:
        return [line.strip() for line in (self.steps or "").splitlines() if line.strip()]


class PlanCourse(db.Model):
    """A course the student added to their plan ("courses of interest")."""

    __tablename__ = "plan_courses"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()


class PlanReview(db.Model):
    """A review of the plan with a learning advisor; the student sees it."""

    __tablename__ = "plan_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    review_date: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")
    next_review_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
