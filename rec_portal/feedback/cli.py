"""Feedback commands (rec feedback-invitations)."""

from rec_portal.cli import rec_cli  # noqa: F401
