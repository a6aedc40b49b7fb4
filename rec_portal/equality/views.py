"""Routes of equality (issue 17)."""

from rec_portal.equality import bp  # noqa: F401
