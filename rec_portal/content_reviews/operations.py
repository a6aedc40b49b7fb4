"""Content review rules. Operations flush, never commit; the caller commits once.

A review is a draft until it is completed. Completing it records the course's content
version after the review (raised by one, or unchanged) and sets the course's
``content_version``: sessions not yet completed then deliver the new version (see
``CourseSession.delivered_version``); completed sessions keep the version they recorded.
A completed review is read-only except its "You said, we did" summary (and its
publication) and whether its actions are done.

Audit rows name the review by id only, never its content.
"""

from __future__ import annotations

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models.feedback import REVIEW_DRAFT, ContentReview


def open_reviews(course_id: int) -> list[ContentReview]:
    """The course's draft reviews, newest first (the dashboard offers to add to these)."""
    return list(
        db.session.execute(
            select(ContentReview)
            .where(ContentReview.course_id == course_id, ContentReview.status == REVIEW_DRAFT)
            .order_by(ContentReview.held_on.desc(), ContentReview.id.desc())
        ).scalars()
    )
