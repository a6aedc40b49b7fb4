"""The figures on the feedback pages, worked out in SQL.

Every page runs a fixed number of statements whatever the number of responses: counts,
distributions and averages are GROUP BY queries; Python only adds up the grouped rows
(at most sessions x questions x 5 of them) and never loops over answers.

The small-numbers rules are rec_portal/stats/small_numbers.py (:func:`enough`,
:func:`hold_more`, :class:`Guard`, the same for admins and facilitators as everywhere in the
portal); a ``Guard`` over a course's completed sessions (oldest first) applies them, and
every figure on the pages goes through them. In plain English: figures are not shown when
they come from fewer than 8 responses, or when they would let someone work out figures
from fewer than 8.

1. Primary: a count, distribution, average or rate worked out from 1 to 7 responses (or
   answers to the question) is held back (:func:`enough`). The course's own Responses
   figure reads "fewer than 8" then; 0 stays 0.
2. Secondary, in a table (:func:`hold_more`): the trend tables show each session (and each
   content version) in a row, and the course's total is shown elsewhere, so the total
   minus the shown rows gives the held-back rows together. When the held-back rows come
   to 1 to 7, the next smallest shown rows are held back too, until they come to 0 or at
   least 8. This is worked out per figure: the Responses column with responses, each
   question's column with the answers to that question.
3. Differencing between views (:meth:`Guard.selection`): a filtered selection (a session or
   a date range) is compared with the whole course (every completed session, the same
   audience) and with the session rows. Its figure is shown only if
   - the selection has at least 8 responses (answers, for a question),
   - the rest of the course (the complement) has none or at least 8, and
   - it holds either none or all of the sessions held back in rule 2, so that the
     selection minus its shown session rows never gives a part of the held-back ones.
   Version rows are selections too. The whole course is the selection with nothing left
   over, so for it only rule 1 applies.

Because any held-back figure might have been held back for either reason, every figure
held back in a table or a filtered view reads the same words (:data:`HELD_BACK`): telling
"fewer than 8" apart from "would let someone work it out" could itself give a figure away.
Only the whole course's figures, which can be held back for one reason alone, say "fewer
than 8 responses".

The per-session counts these rules need (responses, and answers per question) come from
the same grouped statements that give the figures, over every completed session of the
course, so the number of statements stays fixed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, exists, func, literal, or_, select

from rec_portal.web.paging import Page
from rec_portal.extensions import db
from rec_portal.models import Course, CourseSession, RosterAssignment, User
from rec_portal.models.courses import ARCHIVED, COMPLETED
from rec_portal.models.feedback import (
    CHOICES,
    FOR_STUDENTS,
    FREE_TEXT,
    RATING,
    REVIEW_COMPLETED,
    SCORED_KINDS,
    ContentReview,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.feedback.queries import (
    RATE_HELD,
    SUPPRESSED,
    Pool,
    Score,
    counted,
    course_pools,
    pool_states,
    rate_allowed,
    term_states,
)
from rec_portal.stats import FEWER, HELD_BACK, Guard, as_percent, average, enough, hold_more, percent
from rec_portal.stats.terms import session_term
from rec_portal.timeutil import uk_day_start

COMMENTS_PER_PAGE = 50


# --- Figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """Answered invitations out of invitations; the rate and the number of responses are
    held back below 8 responses (and by rule 3 for a filtered selection)."""

    invited: int
    answered: int
    responses: int
    allowed: bool = True
    held_text: str = SUPPRESSED
    # False: the rate would tell how many answered anonymously (see pools.rate_allowed);
    # the number of named responses may still be shown.
    percent_allowed: bool = True

    @property
    def shown(self) -> bool:
        return self.allowed and enough(self.responses)

    @property
    def held(self) -> bool:
        """Whether the rate is held back (for any reason)."""
        return bool(self.invited) and not (self.shown and self.percent_allowed)

    @property
    def responses_text(self) -> str:
        """The number of responses: 0, the number, or 'fewer than 8' ('not shown' in a
        filtered view)."""
        if not self.responses:
            return "0"
        if not self.shown:
            return FEWER if self.held_text == SUPPRESSED else self.held_text
        return str(self.responses)

    @property
    def percent(self) -> int | None:
        if not self.shown or not self.invited or not self.percent_allowed:
            return None
        return percent(self.answered, self.invited)

    @property
    def text(self) -> str:
        if not self.invited:
            return "Nobody invited yet"
        if not self.shown:
            return self.held_text
        if not self.percent_allowed:
            return RATE_HELD
        return as_percent(self.percent)


@dataclass
class Distribution:
    """How one scored question was answered, over the filtered sessions."""

    question: FeedbackQuestion
    counts: dict[int, int] = field(default_factory=dict)  # value -> answers
    allowed: bool = True  # False: held back by rule 3
    held_text: str = SUPPRESSED

    @property
    def retired(self) -> bool:
        return self.question.retired_at is not None

    @property
    def answers(self) -> int:
        return sum(self.counts.values())

    @property
    def shown(self) -> bool:
        return self.allowed and enough(self.answers)

    @property
    def score(self) -> Score:
        return Score(self.question.kind, self.answers, sum(v * n for v, n in self.counts.items()),
                     self.allowed, self.held_text)

    @property
    def rows(self) -> list[tuple[str, int, int]]:
        """(words, answers, whole per cent) for each choice, in the order the form shows them."""
        n = self.answers
        return [
            (words, self.counts.get(value, 0), percent(self.counts.get(value, 0), n) if n else 0)
            for value, words in CHOICES[self.question.kind]
        ]


@dataclass
class TrendRow:
    """One completed session, or one content version, with its averages."""

    key: int  # the session id or the version number
    starts_at: datetime | None  # sessions only
    version: int
    sessions: int
    invited: int
    answered: int
    responses: int
    sums: dict[int, list[int]] = field(default_factory=dict)  # question id -> [answers, total]
    held: set[int] = field(default_factory=set)  # question ids whose cell is held back (rules 2, 3)
    responses_held: bool = False

    def score(self, question: FeedbackQuestion) -> Score:
        answers, total = self.sums.get(question.id, (0, 0))
        return Score(question.kind, answers, total, question.id not in self.held, HELD_BACK)

    @property
    def responses_shown(self) -> bool:
        return not self.responses_held and enough(self.responses)

    @property
    def responses_text(self) -> str:
        if not self.responses:
            return "0"
        return str(self.responses) if self.responses_shown else HELD_BACK


@dataclass(frozen=True)
class SessionChoice:
    id: int
    starts_at: datetime
    version: int
    in_filter: bool


@dataclass
class Comment:
    """A comment given with a name (anonymous ones are only ever shown in their pool)."""

    answer_id: int
    question_text: str
    text: str
    starts_at: datetime
    respondent: str | None  # None unless names are asked for

    @property
    def respondent_text(self) -> str:
        return self.respondent or "Not known (account deleted)"


@dataclass
class CommentPage(Page):
    """One page of comments (``web.paging.Page``: the shape the pagination macro reads)."""

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1


@dataclass(frozen=True)
class Filters:
    session_id: int | None = None
    start: date | None = None  # UK dates, both included
    end: date | None = None
    question_id: int | None = None  # comments only
    audience: str = FOR_STUDENTS
    page: int = 1

    def as_args(self) -> dict:
        """The filters as query-string arguments (for links keeping them)."""
        args = {
            "session": self.session_id,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "question": self.question_id,
            "audience": self.audience if self.audience != FOR_STUDENTS else None,
        }
        return {k: v for k, v in args.items() if v}


@dataclass
class Dashboard:
    course: Course
    filters: Filters
    sessions: list[SessionChoice]  # every completed session of the course (the filter's choices)
    by_session: list[TrendRow]  # the sessions in the filter, oldest first
    by_version: list[TrendRow]
    questions: list[FeedbackQuestion]  # every question with answers for the course and audience
    distributions: list[Distribution]  # scored questions with answers in the filter
    comments: CommentPage  # named comments only
    rate: Rate
    pools: list[Pool] = field(default_factory=list)  # anonymous feedback, per term the filter touches

    @property
    def whole(self) -> bool:
        """Whether the filters choose every completed session (then only rule 1 applies)."""
        return all(s.in_filter for s in self.sessions)

    @property
    def anything_held(self) -> bool:
        """Whether any figure on the page is held back (the page then says why)."""
        rows = [*self.by_session, *self.by_version]
        return (
            (self.rate.invited and not self.rate.shown)
            or any(d.answers and not d.shown for d in self.distributions)
            or any(r.responses and not r.responses_shown for r in rows)
            or any(r.score(q).answers and not r.score(q).shown for r in rows for q in self.scored_questions)
        )

    @property
    def comment_questions(self) -> list[FeedbackQuestion]:
        return [q for q in self.questions if q.kind == FREE_TEXT]

    @property
    def scored_questions(self) -> list[FeedbackQuestion]:
        return [d.question for d in self.distributions]

    @property
    def overall(self) -> FeedbackQuestion | None:
        """The question charted across sessions: the first rating question (the overall
        rating), else the first scored one."""
        rated = [q for q in self.scored_questions if q.kind == RATING]
        return (rated or self.scored_questions or [None])[0]


# --- Queries ----------------------------------------------------------------------------------


def _version_column():
    return func.coalesce(CourseSession.content_version, Course.content_version)


def _in_filter(course_id: int, filters: Filters) -> list:
    """The completed sessions of the course that the filters choose."""
    conditions = [CourseSession.course_id == course_id, CourseSession.status == COMPLETED]
    if filters.session_id:
        conditions.append(CourseSession.id == filters.session_id)
    if filters.start:
        conditions.append(CourseSession.starts_at >= uk_day_start(filters.start))
    if filters.end:
        conditions.append(CourseSession.starts_at < uk_day_start(filters.end + timedelta(days=1)))
    return conditions


def _sessions(course_id: int, filters: Filters):
    """Every completed session of the course (one statement), with whether the filter
    chooses it, and its invitations, answered invitations and named responses (anonymous
    ones are never counted per session: see pools.py)."""
    invited = (
        select(func.count(FeedbackInvitation.id))
        .where(FeedbackInvitation.session_id == CourseSession.id, FeedbackInvitation.audience == filters.audience)
        .scalar_subquery()
    )
    answered = (
        select(func.count(FeedbackInvitation.id))
        .where(
            FeedbackInvitation.session_id == CourseSession.id,
            FeedbackInvitation.audience == filters.audience,
            FeedbackInvitation.answered.is_(True),
        )
        .scalar_subquery()
    )
    responses = (
        select(func.count(FeedbackResponse.id))
        .where(FeedbackResponse.session_id == CourseSession.id, FeedbackResponse.audience == filters.audience,
               FeedbackResponse.anonymous.is_(False))
        .scalar_subquery()
    )
    return db.session.execute(
        select(
            CourseSession.id,
            CourseSession.starts_at,
            _version_column().label("version"),
            case((and_(*_in_filter(course_id, filters)), literal(1)), else_=literal(0)).label("in_filter"),
            invited.label("invited"),
            answered.label("answered"),
            responses.label("responses"),
        )
        .join(Course, Course.id == CourseSession.course_id)
        .where(CourseSession.course_id == course_id, CourseSession.status == COMPLETED)
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()


def _score_groups(course_id: int, audience: str):
    """Scored answers given with a name to the course's completed sessions (every one, not
    only the filter's: the small-numbers rules compare the filter with the rest), counted
    per session, question and value. Anonymous answers are only counted in their pool."""
    return db.session.execute(
        select(
            FeedbackResponse.session_id,
            FeedbackAnswer.question_id,
            FeedbackAnswer.value,
            func.count(FeedbackAnswer.id).label("answers"),
        )
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(
            CourseSession.course_id == course_id,
            CourseSession.status == COMPLETED,
            FeedbackResponse.audience == audience,
            FeedbackResponse.anonymous.is_(False),
            FeedbackAnswer.kind.in_(SCORED_KINDS),
            FeedbackAnswer.value.is_not(None),
        )
        .group_by(FeedbackResponse.session_id, FeedbackAnswer.question_id, FeedbackAnswer.value)
    ).all()


def completed_sessions(course_id: int) -> list[SessionChoice]:
    """The completed sessions of the course, oldest first (the session filter's choices)."""
    return [
        SessionChoice(r.id, r.starts_at, r.version, True)
        for r in db.session.execute(
            select(CourseSession.id, CourseSession.starts_at, _version_column().label("version"))
            .join(Course, Course.id == CourseSession.course_id)
            .where(CourseSession.course_id == course_id, CourseSession.status == COMPLETED)
            .order_by(CourseSession.starts_at, CourseSession.id)
        )
    ]


def answered_questions(course_id: int, audience: str) -> list[FeedbackQuestion]:
    """Every question answered about the course by ``audience`` (retired ones too), in the
    bank's order: with a name, or anonymously in a shown pool (a question answered only in
    a held-back pool would tell that someone answered anonymously)."""
    answered = (
        select(FeedbackAnswer.question_id)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(
            CourseSession.course_id == course_id,
            CourseSession.status == COMPLETED,
            FeedbackResponse.audience == audience,
            counted(course_id),
        )
    )
    return list(
        db.session.execute(
            select(FeedbackQuestion)
            .where(FeedbackQuestion.id.in_(answered))
            .order_by(FeedbackQuestion.position, FeedbackQuestion.id)
        ).scalars()
    )


def _comment_conditions(course_id: int, filters: Filters) -> list:
    conditions = [
        *_in_filter(course_id, filters),
        FeedbackResponse.audience == filters.audience,
        FeedbackResponse.anonymous.is_(False),  # anonymous comments: only in their pool
        FeedbackAnswer.kind == FREE_TEXT,
        FeedbackAnswer.text.is_not(None),
        FeedbackAnswer.text != "",
    ]
    if filters.question_id:
        conditions.append(FeedbackAnswer.question_id == filters.question_id)
    return conditions


def _comments(course_id: int, filters: Filters, with_names: bool, per_page: int) -> CommentPage:
    """One page of free-text answers given with a name, newest session first (two
    statements)."""
    conditions = _comment_conditions(course_id, filters)
    base = (
        select(FeedbackAnswer.id)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(*conditions)
    )
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page = max(1, min(filters.page, max(1, math.ceil(total / per_page))))
    columns = [
        FeedbackAnswer.id,
        FeedbackAnswer.question_text,
        FeedbackAnswer.text,
        CourseSession.starts_at,
    ]
    query = (
        select(*columns, User.full_name if with_names else literal(None).label("full_name"))
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
    )
    if with_names:
        query = query.outerjoin(User, User.id == FeedbackResponse.respondent_id)
    rows = db.session.execute(
        query.where(*conditions)
        .order_by(CourseSession.starts_at.desc(), FeedbackResponse.id.desc(), FeedbackAnswer.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        Comment(
            answer_id=r.id, question_text=r.question_text, text=r.text, starts_at=r.starts_at,
            respondent=r.full_name if with_names else None,
        )
        for r in rows
    ]
    return CommentPage(items=items, total=total, page=page, per_page=per_page)


def course_dashboard(
    course: Course,
    filters: Filters,
    *,
    questions: list[FeedbackQuestion],
    with_names: bool,
    per_page: int = COMMENTS_PER_PAGE,
) -> Dashboard:
    """Everything the course dashboard shows, in at most seven statements whatever the
    data size, with the small-numbers rules (see the module's docstring) applied to every
    figure. Figures and comments per session use named responses only; anonymous ones are
    shown as whole pools per term (pools.py) for the terms the filter touches.
    ``questions``: :func:`answered_questions` for the course and the filter's audience."""
    session_rows = _sessions(course.id, filters)
    students = filters.audience == FOR_STUDENTS
    states = term_states(course.id) if students else {}
    groups = _score_groups(course.id, filters.audience)
    comments = _comments(course.id, filters, with_names, per_page)

    sessions = [SessionChoice(r.id, r.starts_at, r.version, bool(r.in_filter)) for r in session_rows]
    chosen = {r.id for r in session_rows if r.in_filter}
    whole = len(chosen) == len(session_rows)
    held_text = SUPPRESSED if whole else HELD_BACK
    by_question = {q.id: q for q in questions}

    # Per session of the whole course: responses, and answers to each scored question
    # (adding up grouped rows, never answers), and from them each figure's rules.
    answers: dict[int, dict[int, int]] = {}  # question id -> session id -> answers
    for g in groups:
        question = by_question.get(g.question_id)
        if question is None or question.kind not in SCORED_KINDS:
            continue
        per_session = answers.setdefault(question.id, {})
        per_session[g.session_id] = per_session.get(g.session_id, 0) + g.answers
    response_rules = Guard.over({r.id: r.responses for r in session_rows})
    rules = {qid: Guard.over({r.id: n.get(r.id, 0) for r in session_rows}) for qid, n in answers.items()}

    by_session = {
        r.id: TrendRow(
            key=r.id, starts_at=r.starts_at, version=r.version, sessions=1,
            invited=r.invited, answered=r.answered, responses=r.responses,
            held={qid for qid, rule in rules.items() if not rule.row(r.id)},
            responses_held=not response_rules.row(r.id),
        )
        for r in session_rows
        if r.in_filter
    }
    by_version: dict[int, TrendRow] = {}
    version_sessions: dict[int, set[int]] = {}
    for row in by_session.values():
        version = by_version.setdefault(
            row.version, TrendRow(key=row.version, starts_at=None, version=row.version, sessions=0,
                                  invited=0, answered=0, responses=0)
        )
        version_sessions.setdefault(row.version, set()).add(row.key)
        version.sessions += 1
        version.invited += row.invited
        version.answered += row.answered
        version.responses += row.responses

    distributions: dict[int, Distribution] = {}
    for g in groups:  # grouped rows (session x question x value), not answers
        question = by_question.get(g.question_id)
        if question is None or question.kind not in SCORED_KINDS or g.session_id not in by_session:
            continue
        dist = distributions.setdefault(
            question.id, Distribution(question, allowed=rules[question.id].selection(chosen), held_text=held_text)
        )
        dist.counts[g.value] = dist.counts.get(g.value, 0) + g.answers
        for trend in (by_session[g.session_id], by_version[by_session[g.session_id].version]):
            sums = trend.sums.setdefault(question.id, [0, 0])
            sums[0] += g.answers
            sums[1] += g.answers * g.value

    # Each content version's row is a selection of sessions (rule 3), and the table gets
    # rule 2 as well (a safeguard: rule 3 already keeps the held-back rows at 0 or 8 or more).
    held = hold_more(
        {v: row.responses for v, row in by_version.items()},
        {v for v in by_version if not response_rules.selection(version_sessions[v])},
    )
    for v, row in by_version.items():
        row.responses_held = v in held
    for qid, rule in rules.items():
        held = hold_more(
            {v: row.sums.get(qid, (0, 0))[0] for v, row in by_version.items()},
            {v for v in by_version if not rule.selection(version_sessions[v])},
        )
        for v in held:
            by_version[v].held.add(qid)

    chosen_starts = {r.id: r.starts_at for r in session_rows if r.in_filter}
    every_starts = {r.id: r.starts_at for r in session_rows}
    pools = course_pools(
        course.id, {session_term(s) for s in chosen_starts.values()}, questions,
        states=states, question_id=filters.question_id,
    ) if students else []

    return Dashboard(
        course=course,
        filters=filters,
        sessions=sessions,
        by_session=list(by_session.values()),
        by_version=sorted(by_version.values(), key=lambda r: r.version),
        questions=questions,
        distributions=[distributions[q.id] for q in questions if q.id in distributions],
        comments=comments,
        rate=Rate(
            invited=sum(r.invited for r in by_session.values()),
            answered=sum(r.answered for r in by_session.values()),
            responses=sum(r.responses for r in by_session.values()),
            allowed=response_rules.selection(chosen),
            held_text=held_text,
            # Facilitators' reflections are always named: nothing to hold back for them.
            percent_allowed=rate_allowed(chosen_starts, every_starts, states) if students else True,
        ),
        pools=pools,
    )


def responses_for_export(course_id: int, filters: Filters):
    """Every answer given with a name in the filter (the question filter included), one
    row each, with the respondent's name (one statement). Anonymous answers go in the
    file only as whole pools: :func:`pooled_for_export`."""
    conditions = [*_in_filter(course_id, filters), FeedbackResponse.audience == filters.audience,
                  FeedbackResponse.anonymous.is_(False)]
    if filters.question_id:
        conditions.append(FeedbackAnswer.question_id == filters.question_id)
    return db.session.execute(
        select(
            FeedbackResponse.id.label("response_id"),
            CourseSession.starts_at,
            _version_column().label("version"),
            FeedbackResponse.audience,
            FeedbackResponse.given_on,
            FeedbackResponse.anonymous,
            User.full_name,
            FeedbackAnswer.question_text,
            FeedbackAnswer.kind,
            FeedbackAnswer.value,
            FeedbackAnswer.text,
        )
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .join(Course, Course.id == CourseSession.course_id)
        .outerjoin(User, User.id == FeedbackResponse.respondent_id)
        .where(*conditions)
        .order_by(CourseSession.starts_at, CourseSession.id, FeedbackResponse.id, FeedbackAnswer.id)
    ).all()


def pooled_for_export(course: Course, filters: Filters) -> list[Pool]:
    """The shown anonymous pools of the terms the filter touches (whole pools: never
    narrowed by the session or date filters), students' feedback only."""
    if filters.audience != FOR_STUDENTS:
        return []
    starts = [r.starts_at for r in db.session.execute(
        select(CourseSession.starts_at).where(*_in_filter(course.id, filters))
    )]
    states = term_states(course.id)
    questions = answered_questions(course.id, FOR_STUDENTS)
    return [p for p in course_pools(course.id, {session_term(s) for s in starts}, questions, states=states,
                                    question_id=filters.question_id) if p.shown]


def answer_words(kind: str, value: int | None, text: str | None) -> str:
    """An answer as the person saw it: the words of their choice, or what they wrote."""
    if kind in CHOICES:
        return dict(CHOICES[kind]).get(value, "") if value is not None else ""
    return text or ""


# --- The list of courses -----------------------------------------------------------------------


@dataclass(frozen=True)
class CourseRow:
    course_id: int
    title: str
    status: str
    content_version: int
    sessions: int  # completed
    invited: int  # students
    answered: int
    responses: int  # named ones, and anonymous ones in shown pools
    last_review: date | None
    anonymous_held: bool = False  # a pool of the course is open, or closed with 1 to 7 anonymous responses

    @property
    def rate(self) -> Rate:
        return Rate(self.invited, self.answered, self.responses, percent_allowed=not self.anonymous_held)


def course_overview(*, facilitator_id: int | None = None) -> list[CourseRow]:
    """Per course, students' feedback: completed sessions, invitations, responses (named,
    and anonymous ones in pools shown: see pools.py) and the last completed content review
    (two statements). Admins: courses not archived, or with
    any feedback. A facilitator: the courses they are rostered on (at least one session)."""
    completed = (
        select(CourseSession.course_id, func.count(CourseSession.id).label("n"))
        .where(CourseSession.status == COMPLETED)
        .group_by(CourseSession.course_id)
        .subquery("completed")
    )
    invitations = (
        select(
            CourseSession.course_id,
            func.count(FeedbackInvitation.id).label("invited"),
            func.coalesce(func.sum(case((FeedbackInvitation.answered.is_(True), 1), else_=0)), 0).label("answered"),
        )
        .join(CourseSession, CourseSession.id == FeedbackInvitation.session_id)
        .where(FeedbackInvitation.audience == FOR_STUDENTS, CourseSession.status == COMPLETED)
        .group_by(CourseSession.course_id)
        .subquery("invitations")
    )
    responses = (
        select(CourseSession.course_id, func.count(FeedbackResponse.id).label("n"))
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(FeedbackResponse.audience == FOR_STUDENTS, CourseSession.status == COMPLETED,
               FeedbackResponse.anonymous.is_(False))
        .group_by(CourseSession.course_id)
        .subquery("responses")
    )
    reviews = (
        select(ContentReview.course_id, func.max(ContentReview.held_on).label("last"))
        .where(ContentReview.status == REVIEW_COMPLETED)
        .group_by(ContentReview.course_id)
        .subquery("reviews")
    )
    # An archived course is listed if it ever ran (not "if it has feedback": its row would
    # then appear at the moment of a first answer, which may be anonymous).
    ran = exists().where(CourseSession.course_id == Course.id, CourseSession.status == COMPLETED)
    if facilitator_id is None:
        which = or_(Course.status != ARCHIVED, ran)
    else:
        which = exists().where(
            RosterAssignment.session_id == CourseSession.id,
            CourseSession.course_id == Course.id,
            RosterAssignment.user_id == facilitator_id,
        )
    rows = db.session.execute(
        select(
            Course.id, Course.title, Course.status, Course.content_version,
            func.coalesce(completed.c.n, 0).label("sessions"),
            func.coalesce(invitations.c.invited, 0).label("invited"),
            func.coalesce(invitations.c.answered, 0).label("answered"),
            func.coalesce(responses.c.n, 0).label("responses"),
            reviews.c.last,
        )
        .outerjoin(completed, completed.c.course_id == Course.id)
        .outerjoin(invitations, invitations.c.course_id == Course.id)
        .outerjoin(responses, responses.c.course_id == Course.id)
        .outerjoin(reviews, reviews.c.course_id == Course.id)
        .where(which)
        .order_by(Course.title, Course.id)
    ).all()
    shown: dict[int, int] = {}
    held: set[int] = set()
    for (course_id, _term), state in pool_states().items():
        shown[course_id] = shown.get(course_id, 0) + state.counted
        if state.completed and not state.settled:  # the rate over this term would tell
            held.add(course_id)
    return [
        CourseRow(
            course_id=r.id, title=r.title, status=r.status, content_version=r.content_version,
            sessions=r.sessions, invited=r.invited, answered=r.answered,
            responses=r.responses + shown.get(r.id, 0), last_review=r.last, anonymous_held=r.id in held,
        )
        for r in rows
    ]


def delivers(user_id: int, course_id: int) -> bool:
    """Whether the facilitator is rostered on at least one session of the course."""
    return db.session.execute(
        select(
            exists().where(
                RosterAssignment.user_id == user_id,
                RosterAssignment.session_id == CourseSession.id,
                CourseSession.course_id == course_id,
            )
        )
    ).scalar_one()
