"""Reading equality answers: one person's own (in words, for their page and their data
download), and counts by group for the term report (never per person).

Counts follow the one small-numbers rule (rec_portal/stats): in each question's table a
group of 1 to 7 people is held back, and so are the next smallest groups until the
held-back ones come to 0 or 8 or more, so that no small group can be worked out from the
total.

The term report shows a term's counts only after the term has ended, as they were stored
once then (``operations.close_term``, read by ``stored_tables``), never counted live, so
comparing two downloads tells nobody what one person saved or removed in between."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, literal, select, union_all

from rec_portal.extensions import db
from rec_portal.models.accounts import User
from rec_portal.models.equality import (
    FIELDS,
    PREFER_NOT,
    QUESTIONS,
    EqualityAnswers,
    EqualityTerm,
    EqualityTermFigure,
    choices,
)
from rec_portal.stats import HELD_BACK, held_counts, hold_more

NOT_ANSWERED = ""
NOT_ANSWERED_LABEL = "Not answered"


def answers_of(user: User) -> EqualityAnswers | None:
    """The person's own answers (None: they have not answered, or removed them)."""
    return db.session.get(EqualityAnswers, user.id)


def in_words(row: EqualityAnswers | None) -> list[dict]:
    """Each question with the person's answer in words ("Not answered" when left out)."""
    return [
        {"question": question, "answer": choices(name).get(getattr(row, name) if row else "", NOT_ANSWERED_LABEL)}
        for name, question, _hint, _options in QUESTIONS
    ]


# --- Counts by group (the term report) -------------------------------------------------------


@dataclass(frozen=True)
class GroupCount:
    label: str
    value: int
    held: bool = False
    code: str = ""  # the answer's code ("" for not answered)

    @property
    def text(self) -> str:
        return HELD_BACK if self.held and self.value else str(self.value)


@dataclass(frozen=True)
class QuestionCounts:
    field: str
    question: str
    rows: list[GroupCount]  # each group in the question's order, then prefer not, not answered


def group_counts(people: Select) -> dict[str, dict[str, int]]:
    """For the people whose ids ``people`` selects (one column of user ids, each once):
    field -> {code: how many}, with "" for not answered (no answers at all, or this one
    left out). One statement, whatever the number of people."""
    ids = people.subquery("counted")
    parts = [
        select(literal(name).label("field"), func.coalesce(getattr(EqualityAnswers, name), "").label("code"),
               func.count().label("n"))
        .select_from(ids)
        .outerjoin(EqualityAnswers, EqualityAnswers.user_id == ids.c[0])
        # By the column itself: PostgreSQL sees coalesce(x, $1) and coalesce(x, $2) as
        # different expressions and refuses the query. NULL and "" are added up below.
        .group_by(getattr(EqualityAnswers, name))
        for name in FIELDS
    ]
    counts: dict[str, dict[str, int]] = {name: {} for name in FIELDS}
    for name, code, n in db.session.execute(union_all(*parts)).all():
        counts[name][code] = counts[name].get(code, 0) + int(n)
    return counts


def guarded_tables(counts: dict[str, dict[str, int]]) -> list[QuestionCounts]:
    """Each question's table, every group listed (0 included), small numbers held back
    against the table's total (everyone counted). A code no longer in the list counts as
    not answered."""
    tables = []
    for name, question, _hint, _options in QUESTIONS:
        known = choices(name)
        raw = {code: 0 for code in [*known, NOT_ANSWERED]}
        for code, n in counts.get(name, {}).items():
            raw[code if code in known else NOT_ANSWERED] += n
        held = hold_more(raw, held_counts(raw))
        labels = {**known, NOT_ANSWERED: NOT_ANSWERED_LABEL}
        tables.append(QuestionCounts(name, question, [GroupCount(labels[c], n, c in held, c) for c, n in raw.items()]))
    return tables


@dataclass(frozen=True)
class StoredTerm:
    """A closed term's stored counts: when they were stored, and each question's table."""

    closed_at: datetime
    questions: list[QuestionCounts]

    @property
    def total(self) -> int:
        """Everyone counted (each question's table adds up to it)."""
        return max((sum(g.value for g in q.rows) for q in self.questions), default=0)


def stored_tables(term_key: str) -> StoredTerm | None:
    """The counts stored for the term when it closed (None: not stored), in the words of
    today's questions: one statement. Rows keep the order they were stored in; a group no
    longer in the list is shown by its code."""
    rows = db.session.execute(
        select(EqualityTermFigure, EqualityTerm.closed_at)
        .join(EqualityTerm, EqualityTerm.term_key == EqualityTermFigure.term_key)
        .where(EqualityTermFigure.term_key == term_key)
        .order_by(EqualityTermFigure.question, EqualityTermFigure.position)
    ).all()
    if not rows:  # a closed term always has a row for every group of every question
        return None
    figures: dict[str, list[EqualityTermFigure]] = {}
    for f, _closed_at in rows:
        figures.setdefault(f.question, []).append(f)
    tables = []
    for name, question, _hint, _options in QUESTIONS:
        labels = {**choices(name), NOT_ANSWERED: NOT_ANSWERED_LABEL}
        tables.append(QuestionCounts(name, question, [
            GroupCount(labels.get(f.code, f.code), f.count, f.held, f.code) for f in figures.get(name, [])
        ]))
    return StoredTerm(rows[0][1], tables)


__all__ = ["NOT_ANSWERED_LABEL", "PREFER_NOT", "GroupCount", "QuestionCounts", "StoredTerm", "answers_of",
           "group_counts", "guarded_tables", "in_words", "stored_tables"]
