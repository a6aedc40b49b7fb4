"""Views for certificates and attendance reports (thin)."""

from rec_portal.attendance import bp  # noqa: F401
