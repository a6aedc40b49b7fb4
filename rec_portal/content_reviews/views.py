"""Views (thin)."""

from rec_portal.content_reviews import bp  # noqa: F401
