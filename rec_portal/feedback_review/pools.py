"""Anonymous feedback, pooled per course and term.

An anonymous response is never tied, on any staff page, CSV or PDF, to a session, a date
or time, an order of arrival or a database id. So:

- every per-session figure (and every figure over a chosen set of sessions) uses named
  responses only, and never shows how many anonymous responses a session had;
- anonymous ratings and comments are shown only as a pool: all the anonymous responses
  to the course's completed sessions that started in one term (the academic terms of
  :mod:`rec_portal.attendance.reports`), and only once the pool holds at least
  ``SMALL_NUMBER`` (8) responses. A pool is never narrowed by the dashboard's session or
  date filters: they only choose which terms' pools are shown;
- a pool's comments are listed by question and then by their words (never in the order
  they came), and one is named in a form by a reference made of the term and a digest
  of its question and words, never by its id (:func:`comment_ref`);
- a figure that would let someone subtract the named responses from all responses (the
  response rate: invitations answered include anonymous answers) is shown only when each
  term it touches has no anonymous responses, or is covered whole and has a shown pool
  (:func:`rate_allowed`).

Every function here runs a fixed number of GROUP BY statements; Python folds the grouped
rows (at most one per session, or per session x question x value) into terms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import and_, case, func, literal, or_, select

from rec_portal.attendance.reports import Term, parse_term, term_of
from rec_portal.extensions import db
from rec_portal.models import CourseSession
from rec_portal.models.courses import COMPLETED
from rec_portal.models.feedback import (
    CHOICES,
    FOR_STUDENTS,
    FREE_TEXT,
    SCORED_KINDS,
    SMALL_NUMBER,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.timeutil import to_uk, uk_to_utc

HELD_UNTIL_MORE = (
    f"Anonymous answers are held back until at least {SMALL_NUMBER} people have answered "
    "anonymously about this course in the term, so that nobody can work out who wrote them."
)
RATE_HELD = "not shown, as it would tell how many people answered anonymously"


def session_term(starts_at: datetime) -> Term:
    """The term a session belongs to: the UK date it starts on."""
    return term_of(to_uk(starts_at).date())


def term_bounds(term: Term) -> tuple[datetime, datetime]:
    """The term as naive UTC [first, last)."""
    return uk_to_utc(term.start, time(0)), uk_to_utc(term.end, time(0))


def in_terms(terms: Iterable[Term]):
    """A condition: the session started in one of ``terms``."""
    return or_(false_condition(), *(
        and_(CourseSession.starts_at >= first, CourseSession.starts_at < last)
        for first, last in map(term_bounds, terms)
    ))


def false_condition():
    return literal(1) == literal(0)


def comment_ref(term: Term, question_id: int, text: str) -> str:
    """How a pooled comment is named in a form: its term and a digest of its question and
    words (what is already on the page), never its id or anything about when it came."""
    digest = hashlib.sha256(f"{question_id}\n{text}".encode()).hexdigest()[:24]
    return f"{term.key}:{digest}"


def parse_ref(value: str) -> tuple[Term, str] | None:
    key, _, digest = (value or "").partition(":")
    term = parse_term(key)
    if term is None or len(digest) != 24 or any(c not in "0123456789abcdef" for c in digest):
        return None
    return term, digest


# --- Pool sizes -------------------------------------------------------------------------------


def pool_sizes(course_id: int | None = None) -> dict[tuple[int, Term], int]:
    """Anonymous students' responses per (course, term), completed sessions only (one
    statement, grouped per session)."""
    conditions = [
        FeedbackResponse.anonymous.is_(True),
        FeedbackResponse.audience == FOR_STUDENTS,
        CourseSession.status == COMPLETED,
    ]
    if course_id is not None:
        conditions.append(CourseSession.course_id == course_id)
    rows = db.session.execute(
        select(CourseSession.course_id, CourseSession.starts_at, func.count(FeedbackResponse.id))
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(*conditions)
        .group_by(CourseSession.id, CourseSession.course_id, CourseSession.starts_at)
    ).all()
    sizes: dict[tuple[int, Term], int] = {}
    for course, starts_at, n in rows:
        key = (course, session_term(starts_at))
        sizes[key] = sizes.get(key, 0) + n
    return sizes


def enough(responses: int) -> bool:
    return responses >= SMALL_NUMBER


def rate_allowed(chosen: dict[int, datetime], every: dict[int, datetime], sizes: dict[Term, int]) -> bool:
    """Whether a figure counting every answered invitation (anonymous answers included)
    may be shown over the ``chosen`` sessions (id -> start), ``every`` being all the
    course's completed sessions: each term the choice touches has no anonymous responses,
    or is chosen whole and its pool is shown. Decided from whole terms only, so that
    whether it is shown says nothing about a single session."""
    touched = {session_term(s) for s in chosen.values()}
    for term in touched:
        size = sizes.get(term, 0)
        if not size:
            continue
        whole = all(sid in chosen for sid, s in every.items() if session_term(s) == term)
        if not (whole and enough(size)):
            return False
    return True


# --- A course's pools -------------------------------------------------------------------------


@dataclass
class PooledComment:
    ref: str
    question_id: int
    question_text: str
    text: str


@dataclass
class PooledScore:
    """The anonymous answers to one scored question in a pool."""

    question: FeedbackQuestion
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def answers(self) -> int:
        return sum(self.counts.values())

    @property
    def shown(self) -> bool:
        return enough(self.answers)

    @property
    def text(self) -> str:
        from rec_portal.feedback_review.dashboard import Score  # the one way figures are worded

        total = sum(v * n for v, n in self.counts.items())
        return Score(self.question.kind, self.answers, total).text

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [(words, self.counts.get(value, 0)) for value, words in CHOICES[self.question.kind]]


@dataclass
class Pool:
    term: Term
    responses: int
    scores: list[PooledScore] = field(default_factory=list)
    comments: list[PooledComment] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return enough(self.responses)

    @property
    def id(self) -> str:
        return f"pool-{self.term.key}"


def course_pools(course_id: int, terms: Iterable[Term], questions: list[FeedbackQuestion], *,
                 sizes: dict[Term, int], question_id: int | None = None) -> list[Pool]:
    """The course's anonymous pools for ``terms`` (newest first; terms without anonymous
    responses left out), with the scores and comments of the shown ones: two statements
    when any pool is shown, none otherwise."""
    pools = [Pool(t, sizes[t]) for t in sorted(set(terms), key=lambda t: t.start, reverse=True) if sizes.get(t)]
    shown = [p for p in pools if p.shown]
    if not shown:
        return pools
    by_term = {p.term: p for p in shown}
    by_question = {q.id: q for q in questions}
    base = [
        CourseSession.course_id == course_id,
        CourseSession.status == COMPLETED,
        FeedbackResponse.anonymous.is_(True),
        FeedbackResponse.audience == FOR_STUDENTS,
        in_terms(by_term),
    ]
    groups = db.session.execute(
        select(CourseSession.starts_at, FeedbackAnswer.question_id, FeedbackAnswer.value,
               func.count(FeedbackAnswer.id))
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(*base, FeedbackAnswer.kind.in_(SCORED_KINDS), FeedbackAnswer.value.is_not(None))
        .group_by(CourseSession.id, CourseSession.starts_at, FeedbackAnswer.question_id, FeedbackAnswer.value)
    ).all()
    scores: dict[tuple[Term, int], PooledScore] = {}
    for starts_at, qid, value, n in groups:
        question = by_question.get(qid)
        if question is None or question.kind not in SCORED_KINDS:
            continue
        score = scores.setdefault((session_term(starts_at), qid), PooledScore(question))
        score.counts[value] = score.counts.get(value, 0) + n
    for pool in shown:
        pool.scores = [scores[(pool.term, q.id)] for q in questions if (pool.term, q.id) in scores]

    # Which term each comment is in, worked out in SQL so that the order is term, question,
    # words: nothing about when (or in which session) it was written.
    rank = case(
        *((and_(CourseSession.starts_at >= first, CourseSession.starts_at < last), literal(i))
          for i, (first, last) in enumerate(map(term_bounds, (p.term for p in shown)))),
        else_=literal(len(shown)),
    )
    conditions = [*base, FeedbackAnswer.kind == FREE_TEXT, FeedbackAnswer.text.is_not(None), FeedbackAnswer.text != ""]
    if question_id:
        conditions.append(FeedbackAnswer.question_id == question_id)
    rows = db.session.execute(
        select(rank.label("rank"), FeedbackAnswer.question_id, FeedbackAnswer.question_text, FeedbackAnswer.text)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .join(FeedbackQuestion, FeedbackQuestion.id == FeedbackAnswer.question_id)
        .where(*conditions)
        .order_by("rank", FeedbackQuestion.position, FeedbackQuestion.id, FeedbackAnswer.text)
    ).all()
    for r in rows:
        pool = shown[r.rank]
        pool.comments.append(PooledComment(comment_ref(pool.term, r.question_id, r.text), r.question_id,
                                           r.question_text, r.text))
    return pools


def pooled_answer_ids(course_id: int, refs: Iterable[str]) -> dict[str, list[int]]:
    """For content reviews: the ids of the anonymous comments that references name, each
    only from a shown pool of the course (one statement per term named, at most a few)."""
    wanted: dict[Term, set[str]] = {}
    for value in refs:
        parsed = parse_ref(value)
        if parsed:
            wanted.setdefault(parsed[0], set()).add(value)
    if not wanted:
        return {}
    sizes = {t: n for (c, t), n in pool_sizes(course_id).items()}
    found: dict[str, list[int]] = {}
    for term, refs_in_term in wanted.items():
        if not enough(sizes.get(term, 0)):
            continue
        rows = db.session.execute(
            select(FeedbackAnswer.id, FeedbackAnswer.question_id, FeedbackAnswer.text)
            .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
            .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
            .where(
                CourseSession.course_id == course_id, CourseSession.status == COMPLETED,
                FeedbackResponse.anonymous.is_(True), FeedbackResponse.audience == FOR_STUDENTS,
                FeedbackAnswer.kind == FREE_TEXT, FeedbackAnswer.text.is_not(None), in_terms([term]),
            )
            .order_by(FeedbackAnswer.text, FeedbackAnswer.id)
        ).all()
        for answer_id, qid, text in rows:
            ref = comment_ref(term, qid, text)
            if ref in refs_in_term:
                found.setdefault(ref, []).append(answer_id)
    return found
