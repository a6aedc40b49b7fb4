"""What a person can change on the home page."""

from __future__ import annotations

from rec_portal.models import User
from rec_portal.timeutil import utcnow


def not_now(student: User) -> None:
    """The home page stops offering the optional questions (the caller commits)."""
    if student.optional_questions_not_now_at is None:
        student.optional_questions_not_now_at = utcnow()
