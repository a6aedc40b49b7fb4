"""Content reviews on PostgreSQL: the same review completed twice at the same moment (a
double click, two admins) raises the course's content version once."""

import threading

import pytest
from sqlalchemy import func, select

from rec_portal.content_reviews import operations as ops
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, ContentReview, Course
from rec_portal.timeutil import uk_today
from tests import factories
from tests.concurrency import run_at_once

pytestmark = pytest.mark.pg


def test_completing_one_review_twice_at_once_raises_the_version_once(pg_app):
    with pg_app.app_context():
        course = factories.make_course()
        admin = factories.make_user(roles=("admin",))
        review = ops.start_review(course, held_on=uk_today(), participants="The team", by=admin)
        review.decisions = "Give online reporting its own slot."
        db.session.commit()
        review_id, course_id, before = review.id, course.id, course.content_version
    both_loaded = threading.Barrier(2)

    def complete():
        loaded = db.session.get(ContentReview, review_id)  # as the view does, unlocked
        ops._check_draft(loaded)
        both_loaded.wait(timeout=5)
        return ops.complete_review(loaded, ops.RAISE, by=None).version_after

    results = run_at_once(pg_app, [complete, complete])
    assert sum(isinstance(r, ops.ReviewRefused) for r in results) == 1
    assert before + 1 in results
    with pg_app.app_context():
        assert db.session.get(Course, course_id).content_version == before + 1
        stored = db.session.get(ContentReview, review_id)
        assert (stored.version_before, stored.version_after) == (before, before + 1)
        completed = db.session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.event == "content_review.completed")
        ).scalar_one()
        assert completed == 1
