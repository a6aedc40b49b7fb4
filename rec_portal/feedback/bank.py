"""The question bank: which questions are asked, of whom, about which course, in what
order. Questions are retired, never deleted; answers keep the wording they were given
under (``FeedbackAnswer.question_text``)."""

from __future__ import annotations

from sqlalchemy import or_, select

from rec_portal.extensions import db
from rec_portal.models.feedback import FeedbackQuestion


def questions_for(course_id: int, audience: str) -> list[FeedbackQuestion]:
    """The questions in use (not retired) for ``audience`` about the course: those for
    every course and those for this one, in their order."""
    return list(
        db.session.execute(
            select(FeedbackQuestion)
            .where(
                FeedbackQuestion.audience == audience,
                FeedbackQuestion.retired_at.is_(None),
                or_(FeedbackQuestion.course_id.is_(None), FeedbackQuestion.course_id == course_id),
            )
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        ).scalars()
    )
