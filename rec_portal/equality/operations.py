"""Equality monitoring: saving and removing a person's own answers. Flushes, never commits.

Every question is optional: "" is "not answered" and ``PREFER_NOT`` is "prefer not to
say". Saving with nothing chosen keeps nothing (any earlier answers are removed), so the
table only ever holds people who chose to answer. The audit log records that answers were
saved or removed, never what they are."""

from __future__ import annotations

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.equality import FIELDS, EqualityAnswers, choices

UNKNOWN_ANSWER = "Choose one of the answers, or leave this question out"


class AnswersRefused(DomainError):
    """Answers that are not in the list (a changed or stale page): field -> message."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = errors


def parse(answers: dict[str, str | None]) -> dict[str, str]:
    """Each field's code ("" when not answered). Raises AnswersRefused for a code not in
    the question's list."""
    parsed, errors = {}, {}
    for name in FIELDS:
        code = (answers.get(name) or "").strip()
        if code and code not in choices(name):
            errors[name] = UNKNOWN_ANSWER
        parsed[name] = code
    if errors:
        raise AnswersRefused(errors)
    return parsed


def save_answers(user: User, answers: dict[str, str | None]) -> EqualityAnswers | None:
    """Keep the person's answers (replacing any earlier ones). With nothing chosen, nothing
    is kept: earlier answers are removed and None is returned."""
    parsed = parse(answers)
    row = db.session.get(EqualityAnswers, user.id)
    if not any(parsed.values()):
        if row is not None:
            remove_answers(user)
        return None
    if row is None:
        row = EqualityAnswers(user_id=user.id)
        db.session.add(row)
    for name, code in parsed.items():
        setattr(row, name, code)
    audit.record(audit.EQUALITY_ANSWERS_SAVED, actor=user, subject=user)
    db.session.flush()
    return row


def remove_answers(user: User) -> bool:
    """Delete the person's answers (the whole row). Whether there were any."""
    row = db.session.get(EqualityAnswers, user.id)
    if row is None:
        return False
    db.session.delete(row)
    audit.record(audit.EQUALITY_ANSWERS_REMOVED, actor=user, subject=user)
    db.session.flush()
    return True
