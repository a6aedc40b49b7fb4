"""Views (thin)."""

from rec_portal.feedback_review import bp  # noqa: F401
