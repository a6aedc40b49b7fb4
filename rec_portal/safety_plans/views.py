"""Views (thin: parse, call one operation, commit, render or redirect)."""

from rec_portal.safety_plans import bp  # noqa: F401
