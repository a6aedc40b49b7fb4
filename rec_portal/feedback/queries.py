"""Anonymous feedback, pooled per course and term.

An anonymous response is never tied, on any staff page, CSV or PDF, to a session, a date
or time, an order of arrival or a database id. So:

- every per-session figure (and every figure over a chosen set of sessions) uses named
  responses only, and never shows how many anonymous responses a session had;
- anonymous ratings and comments are shown only as a pool: all the anonymous responses
  to the course's completed sessions that started in one term (the academic terms of
  :mod:`rec_portal.stats.terms`), and only once the pool is *closed* and holds at
  least ``SMALL_NUMBER`` (rec_portal/stats) responses. A pool is never narrowed by the dashboard's
  session or date filters: they only choose which terms' pools are shown;
- a pool closes when feedback can no longer be given on any session in it: the term has
  ended and every session of the course that started in it has passed its feedback
  closing time (feedback/window.py), so nothing can be added to it any more, and nothing
  is taken away (anonymous responses are not linked to anyone, so deleting an account
  leaves them). Until then every page says the same whatever the pool holds (it is
  *open*), so that comparing two downloads never ties a new anonymous answer to the one
  session that finished in between; once closed, what is shown never changes;
- a pool's comments are listed by question and then by their words (never in the order
  they came), and one is named in a form by a reference made of the term and a digest
  of its question and words, never by its id (:func:`comment_ref`);
- a figure that would let someone subtract the named responses from all responses (the
  response rate: invitations answered include anonymous answers) is shown only when each
  term it touches is closed and has no anonymous responses, or is covered whole and has a
  shown pool (:func:`rate_allowed`); any count that includes anonymous answers counts
  only those in shown pools (:func:`counted`).

Every function here runs a fixed number of GROUP BY statements; Python folds the grouped
rows (at most one per session, or per session x question x value) into terms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, or_, select

from rec_portal.extensions import db
from rec_portal.feedback import window
from rec_portal.models import CourseSession
from rec_portal.models.courses import CANCELLED, COMPLETED
from rec_portal.models.feedback import (
    CHOICES,
    FOR_STUDENTS,
    FREE_TEXT,
    SCORED_KINDS,
    YES_NO,
    FeedbackAnswer,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.stats import SMALL_NUMBER, as_percent, average, enough, percent
from rec_portal.stats.terms import Term, parse_term, session_term, term_bounds
from rec_portal.timeutil import format_uk, to_uk, utcnow

HELD_UNTIL_MORE = (
    f"Anonymous answers are held back until at least {SMALL_NUMBER} people have answered "
    "anonymously about this course in the term, so that nobody can work out who wrote them."
)
SUPPRESSED = f"fewer than {SMALL_NUMBER} responses"  # a whole-course figure from 1 to 7 responses
RATE_HELD = "not shown, as it would tell how many people answered anonymously"


def open_text(term: Term, closes_on: date) -> str:
    """What every page says about an open pool, whatever it holds."""
    return (f"Anonymous answers about this course in {term.label} are shown after feedback closes "
            f"on {format_uk(closes_on)}, if {SMALL_NUMBER} or more people answered anonymously.")


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


# --- Pool states -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolState:
    """One course's anonymous pool in one term. ``size`` (anonymous responses) is read only
    once the pool is closed: while open, nothing shown may depend on it."""

    size: int
    completed: int  # completed sessions of the course that started in the term
    closes_on: date  # the last day feedback can be given on any session in it
    closed: bool

    @property
    def shown(self) -> bool:
        return self.closed and enough(self.size)

    @property
    def counted(self) -> int:
        """The anonymous responses any figure may count: those of a shown pool."""
        return self.size if self.shown else 0

    @property
    def settled(self) -> bool:
        """Whether a figure counting every answer (anonymous ones too) may be shown for the
        whole term: closed, and nobody or at least 8 answered anonymously."""
        return self.closed and (self.size == 0 or enough(self.size))


def pool_states(course_id: int | None = None, now: datetime | None = None) -> dict[tuple[int, Term], PoolState]:
    """Every (course, term) with a session that is not cancelled: its anonymous students'
    responses (completed sessions), and whether feedback has closed on every session in
    it. One statement, grouped per session."""
    now = now or utcnow()
    conditions = [CourseSession.status != CANCELLED]
    if course_id is not None:
        conditions.append(CourseSession.course_id == course_id)
    rows = db.session.execute(
        select(CourseSession.course_id, CourseSession.starts_at, CourseSession.ends_at, CourseSession.status,
               func.count(FeedbackResponse.id))
        .outerjoin(FeedbackResponse, and_(
            FeedbackResponse.session_id == CourseSession.id,
            FeedbackResponse.anonymous.is_(True),
            FeedbackResponse.audience == FOR_STUDENTS,
        ))
        .where(*conditions)
        .group_by(CourseSession.id, CourseSession.course_id, CourseSession.starts_at, CourseSession.ends_at,
                  CourseSession.status)
    ).all()
    folded: dict[tuple[int, Term], list] = {}  # key -> [size, completed sessions, last UK day]
    for course, starts_at, ends_at, status, n in rows:
        term = session_term(starts_at)
        entry = folded.setdefault((course, term), [0, 0, term.last_day])
        if status == COMPLETED:
            entry[0] += n
            entry[1] += 1
        entry[2] = max(entry[2], to_uk(ends_at).date())
    return {
        key: PoolState(size, completed, window.last_day(last), now >= window.closes_at(last))
        for key, (size, completed, last) in folded.items()
    }


def term_states(course_id: int, now: datetime | None = None) -> dict[Term, PoolState]:
    return {t: state for (_c, t), state in pool_states(course_id, now).items()}


def rate_allowed(chosen: dict[int, datetime], every: dict[int, datetime], states: dict[Term, PoolState]) -> bool:
    """Whether a figure counting every answered invitation (anonymous answers included)
    may be shown over the ``chosen`` sessions (id -> start), ``every`` being all the
    course's completed sessions: each term the choice touches is closed, and has no
    anonymous responses, or is chosen whole and its pool is shown. Decided from whole
    terms only, so that whether it is shown says nothing about a single session, and
    never from an open term, so that it says nothing about a pool still filling."""
    touched = {session_term(s) for s in chosen.values()}
    for term in touched:
        state = states.get(term)
        if state is None or not state.closed:
            return False
        if not state.size:
            continue
        whole = all(sid in chosen for sid, s in every.items() if session_term(s) == term)
        if not (whole and state.shown):
            return False
    return True


def counted(course_id: int | None = None, now: datetime | None = None):
    """A condition on responses (joined to their session) that any count including
    anonymous answers must use: answers given with a name, and anonymous students'
    answers only in a shown pool (closed, 8 or more). One statement."""
    shown: dict[int, list[Term]] = {}
    for (course, term), state in pool_states(course_id, now).items():
        if state.shown:
            shown.setdefault(course, []).append(term)
    return or_(
        FeedbackResponse.anonymous.is_(False),
        and_(
            FeedbackResponse.audience == FOR_STUDENTS,
            CourseSession.status == COMPLETED,
            or_(false_condition(), *(and_(CourseSession.course_id == course, in_terms(terms))
                                     for course, terms in shown.items())),
        ),
    )


# --- A course's pools -------------------------------------------------------------------------


@dataclass
class PooledComment:
    ref: str
    question_id: int
    question_text: str
    text: str


@dataclass(frozen=True)
class Score:
    """The average answer to one scored question over a set of answers."""

    kind: str
    answers: int  # how many answers (one per response)
    total: int  # the sum of their values (yes = 1, no = 0)
    allowed: bool = True  # False: held back by rule 2 or 3 (see the module's docstring)
    held_text: str = SUPPRESSED  # the words shown instead

    @property
    def shown(self) -> bool:
        return self.allowed and enough(self.answers)

    @property
    def mean(self) -> Decimal | None:
        """Rating and agreement: the mean to one decimal place (None if held back)."""
        if not self.shown or self.kind == YES_NO:
            return None
        return average(self.total, self.answers)

    @property
    def yes_percent(self) -> int | None:
        if not self.shown or self.kind != YES_NO:
            return None
        return percent(self.total, self.answers)

    @property
    def text(self) -> str:
        """'4.2', '75% yes', or the held-back words ('fewer than 8 responses', 'not shown')."""
        if not self.answers:
            return "No answers"
        if not self.shown:
            return self.held_text
        if self.kind == YES_NO:
            return f"{as_percent(self.yes_percent)} yes"
        return str(self.mean)


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
        total = sum(v * n for v, n in self.counts.items())
        return Score(self.question.kind, self.answers, total).text

    @property
    def rows(self) -> list[tuple[str, int]]:
        return [(words, self.counts.get(value, 0)) for value, words in CHOICES[self.question.kind]]


@dataclass
class Pool:
    """A pool as pages show it. ``responses`` is 0 while the pool is open: nothing about
    an open pool's size reaches a page."""

    term: Term
    closes_on: date
    closed: bool
    responses: int
    scores: list[PooledScore] = field(default_factory=list)
    comments: list[PooledComment] = field(default_factory=list)

    @classmethod
    def of(cls, term: Term, state: PoolState) -> Pool:
        return cls(term, state.closes_on, state.closed, state.size if state.closed else 0)

    @property
    def shown(self) -> bool:
        return self.closed and enough(self.responses)

    @property
    def open_text(self) -> str:
        return open_text(self.term, self.closes_on)

    @property
    def id(self) -> str:
        return f"pool-{self.term.key}"


def course_pools(course_id: int, terms: Iterable[Term], questions: list[FeedbackQuestion], *,
                 states: dict[Term, PoolState], question_id: int | None = None) -> list[Pool]:
    """The course's anonymous pools for ``terms`` (newest first): every open one (whatever
    it holds), and closed ones with anonymous responses, with the scores and comments of
    the shown ones: two statements when any pool is shown, none otherwise."""
    pools = [
        Pool.of(t, states[t]) for t in sorted(set(terms), key=lambda t: t.start, reverse=True)
        if t in states and (not states[t].closed or states[t].size)
    ]
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
    states = term_states(course_id)
    found: dict[str, list[int]] = {}
    for term, refs_in_term in wanted.items():
        if term not in states or not states[term].shown:
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
