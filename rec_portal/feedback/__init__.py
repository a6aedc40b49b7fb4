"""Giving feedback: the question bank (admins), the post-course form (students who
attended), the facilitator reflection, and the invitations sent when a session is
completed. The review of what people said is in rec_portal/feedback_review and
rec_portal/content_reviews."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)

from rec_portal.feedback import bank_views, views  # noqa: F401
