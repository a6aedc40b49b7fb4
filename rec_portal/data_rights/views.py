"""Views (thin: parse, call one operation, commit, render or redirect)."""

from rec_portal.data_rights import bp  # noqa: F401
