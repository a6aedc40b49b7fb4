"""Views (thin)."""

from rec_portal.feedback import bp  # noqa: F401
