"""Content reviews: the record of a course's review (who took part, the feedback
considered, decisions, actions, content version before and after), the "You said, we
did" summary published on the course page, and the review report PDF."""

from flask import Blueprint

bp = Blueprint("content_reviews", __name__)

from rec_portal.content_reviews import views  # noqa: F401
