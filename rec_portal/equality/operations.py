"""Equality monitoring: saving and removing a person's own answers. Flushes, never commits.

Every question is optional: "" is "not answered" and ``PREFER_NOT`` is "prefer not to
say". Saving with nothing chosen keeps nothing (any earlier answers are removed), so the
table only ever holds people who chose to answer. The audit log records that answers were
saved or removed, never what they are.

The audit log also says who saved or removed answers and when. That would let an admin
work out one person's answers by comparing two versions of a live report; it cannot here,
because the term report only shows a term's counts once the term has ended, worked out
once and stored (``close_term``): nothing saved, changed or removed afterwards moves them,
so the audit events stay (a person may ask what was done with their data) and are harmless.

Operations flush, never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, insert
from sqlalchemy.exc import IntegrityError

from rec_portal import audit
from rec_portal.equality import queries
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.equality import FIELDS, EqualityAnswers, EqualityTerm, EqualityTermFigure, choices
from rec_portal.timeutil import utcnow

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


# --- Fixing a term's counts -----------------------------------------------------------------


def close_term(term_key: str, people: Select, now: datetime | None = None) -> bool:
    """Work out and store, once, the counts by group of the people ``people`` selects (the
    students active in an ended term: one column of user ids, each once), and which are
    held back. Whether they were stored now (False: stored before, or by another run at the
    same moment). The caller decides that the term has ended.

    Counts only, no personal data: answers saved, changed or removed later, and accounts
    deleted later, never change them. Safe to repeat and to run twice at once: the term's
    row is inserted first, and its primary key stops a second run."""
    if db.session.get(EqualityTerm, term_key) is not None:
        return False
    counts = queries.group_counts(people)
    try:
        with db.session.begin_nested():
            db.session.add(EqualityTerm(term_key=term_key, closed_at=now or utcnow()))
    except IntegrityError:  # another run is storing it
        return False
    db.session.execute(insert(EqualityTermFigure), [
        {"term_key": term_key, "question": table.field, "code": group.code, "position": position,
         "count": group.value, "held": group.held}
        for table in queries.guarded_tables(counts)
        for position, group in enumerate(table.rows)
    ])
    db.session.flush()
    return True
