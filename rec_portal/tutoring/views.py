"""Routes of tutoring (issue 17)."""

from rec_portal.tutoring import bp  # noqa: F401
