"""Views for /admin/rosters and /admin/facilitators (thin)."""

from rec_portal.rosters import bp  # noqa: F401
