"""Routes of pathways (issue 17)."""

from rec_portal.pathways import bp  # noqa: F401
