"""Views (thin: parse, call one operation, commit, render or redirect)."""

from rec_portal.support import bp  # noqa: F401
