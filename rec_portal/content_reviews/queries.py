"""Reading content reviews: a course's reviews, one review with what it considered, and
the published "You said, we did" summaries shown on the course page."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import load_only, selectinload

from rec_portal.extensions import db
from rec_portal.feedback.queries import counted
from rec_portal.models import CourseSession
from rec_portal.models.feedback import (
    REVIEW_COMPLETED,
    ContentReview,
    ContentReviewItem,
    FeedbackAnswer,
    FeedbackResponse,
)

PUBLISHED_ON_COURSE_PAGE = 3


def published_summaries(course_id: int, limit: int = PUBLISHED_ON_COURSE_PAGE) -> list[ContentReview]:
    """The course's published "You said, we did" summaries, newest review first (one
    statement)."""
    return list(
        db.session.execute(
            select(ContentReview)
            .options(load_only(ContentReview.id, ContentReview.held_on, ContentReview.you_said_we_did))
            .where(
                ContentReview.course_id == course_id,
                ContentReview.status == REVIEW_COMPLETED,
                ContentReview.published_at.is_not(None),
            )
            .order_by(ContentReview.held_on.desc(), ContentReview.id.desc())
            .limit(limit)
        ).scalars()
    )


def course_reviews(course_id: int) -> list[ContentReview]:
    """Every review of the course (drafts and completed), newest first."""
    return list(
        db.session.execute(
            select(ContentReview)
            .where(ContentReview.course_id == course_id)
            .order_by(ContentReview.held_on.desc(), ContentReview.id.desc())
        ).scalars()
    )


def review_with_feedback(review_id: int) -> ContentReview | None:
    """One review with its course, the feedback it considered (each comment with the
    session it was about) and its actions, in a fixed number of statements."""
    return db.session.execute(
        select(ContentReview)
        .where(ContentReview.id == review_id)
        .options(
            selectinload(ContentReview.course),
            selectinload(ContentReview.actions),
            selectinload(ContentReview.items).selectinload(ContentReviewItem.question),
            selectinload(ContentReview.items)
            .selectinload(ContentReviewItem.answer)
            .selectinload(FeedbackAnswer.response)
            .selectinload(FeedbackResponse.session),
        )
    ).scalar_one_or_none()


def answer_counts(course_id: int, question_ids: list[int]) -> dict[int, int]:
    """How many answers each question has had about this course: those given with a name,
    and anonymous ones only in the pools shown (closed, 8 or more in a term: see
    feedback/queries.py :func:`counted`), so the count never tells how many answered
    anonymously in a term whose pool is open or held back (two statements)."""
    if not question_ids:
        return {}
    rows = db.session.execute(
        select(FeedbackAnswer.question_id, func.count(FeedbackAnswer.id))
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(CourseSession.course_id == course_id, FeedbackAnswer.question_id.in_(question_ids),
               counted(course_id))
        .group_by(FeedbackAnswer.question_id)
    ).all()
    return dict(rows)
