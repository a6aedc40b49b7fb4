"""Routes of support_requests (issue 17)."""

from rec_portal.support_requests import bp  # noqa: F401
