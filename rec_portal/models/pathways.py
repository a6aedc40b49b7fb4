"""Learning pathways: courses grouped by the REC (for example "Keeping safe": Staying
Safe plus two others), taken in order or "any N of these". A student completes a course
by attending a session of it (an attendance mark "attended"); completing a pathway gives
a pathway certificate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rec_portal.extensions import db
from rec_portal.models.courses import Course
from rec_portal.timeutil import utcnow

IN_ORDER, ANY_OF = "in_order", "any_of"
RULES = {IN_ORDER: "All of these, in this order", ANY_OF: "Any of these (a number you choose)"}

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"
STATUSES = {DRAFT: "Draft", PUBLISHED: "Published", ARCHIVED: "Archived"}


class Pathway(db.Model):
    __tablename__ = "pathways"
    __table_args__ = (
        CheckConstraint(f"rule IN {tuple(RULES)!r}", name="rule_known"),
        CheckConstraint(f"status IN {tuple(STATUSES)!r}", name="status_known"),
        CheckConstraint("required_count IS NULL OR required_count >= 1", name="count_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    rule: Mapped[str] = mapped_column(String(20), default=IN_ORDER)
    # For ANY_OF: how many of the courses complete the pathway (None for IN_ORDER: all).
    required_count: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    steps: Mapped[list[PathwayCourse]] = relationship(
        back_populates="pathway", cascade="all, delete-orphan", order_by="PathwayCourse.position",
        lazy="selectin",
    )

    @property
    def rule_label(self) -> str:
        return RULES.get(self.rule, self.rule)

    @property
    def needed(self) -> int:
        """How many courses complete the pathway."""
        if self.rule == ANY_OF and self.required_count:
            return min(self.required_count, len(self.steps)) or self.required_count
        return len(self.steps)


class PathwayCourse(db.Model):
    __tablename__ = "pathway_courses"

    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    pathway: Mapped[Pathway] = relationship(back_populates="steps")
    course: Mapped[Course] = relationship(lazy="joined")
