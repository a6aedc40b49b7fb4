"""Recording what happened when staff phoned (or wrote to) someone on the call list.
Flushes, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models.contact import (
    LEFT_MESSAGE,
    LETTER,
    LETTER_SENT,
    NO_ANSWER,
    NOT_NEEDED,
    OPEN_OUTCOMES,
    SPOKE,
    WRONG_NUMBER,
    ContactTask,
)
from rec_portal.timeutil import utcnow

NOTE_MAX = 500

# The outcomes that fit each way of reaching someone, in the order staff see them.
OUTCOMES_FOR = {
    "phone": (SPOKE, LEFT_MESSAGE, NO_ANSWER, WRONG_NUMBER, NOT_NEEDED),
    LETTER: (LETTER_SENT, NOT_NEEDED),
}


def outcomes_for(task: ContactTask) -> tuple[str, ...]:
    return OUTCOMES_FOR.get(task.method, OUTCOMES_FOR["phone"])


def record_outcome(task_id: int, staff, outcome: str, note: str = "", *,
                   now: datetime | None = None) -> ContactTask:
    """Record ``outcome`` (a key of models.contact.OUTCOMES) by ``staff``. "No answer"
    counts an attempt and keeps the line open; any other outcome closes it."""
    now = now or utcnow()
    task = db.session.execute(
        select(ContactTask).where(ContactTask.id == task_id).with_for_update()
    ).scalar_one_or_none()
    if task is None:
        raise DomainError("This line is no longer on the call list.")
    if task.closed_at is not None:
        who = task.outcome_by.full_name if task.outcome_by else "someone else"
        raise DomainError(f"This line was already done by {who}. Nothing has been changed.",
                          field="outcome")
    if outcome not in outcomes_for(task):
        raise DomainError("Choose what happened", field="outcome")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"The note must be {NOTE_MAX} characters or fewer", field="note")
    if outcome != NOT_NEEDED:
        task.attempts += 1
    task.outcome, task.outcome_note = outcome, note
    task.outcome_by_id, task.outcome_at = staff.id, now
    if outcome not in OPEN_OUTCOMES:
        task.closed_at = now
    db.session.flush()
    return task


__all__ = ["NO_ANSWER", "outcomes_for", "record_outcome"]


def purge_done_lines(now: datetime, days: int) -> int:
    """Delete call-list lines done (an outcome closed them) or no longer needed (their
    "useful until" passed) more than ``days`` ago: what staff were to tell someone is
    kept as long as the text of an email or a text message is (REC_OUTBOX_RETENTION_DAYS).
    Returns how many; flushes."""
    from datetime import timedelta

    from sqlalchemy import delete, or_

    cutoff = now - timedelta(days=days)
    result = db.session.execute(
        delete(ContactTask)
        .where(or_(ContactTask.closed_at < cutoff,
                   (ContactTask.closed_at.is_(None)) & (ContactTask.useless_after < cutoff)))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0
