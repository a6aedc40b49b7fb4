"""The figures on the feedback pages, worked out in SQL.

Every page runs a fixed number of statements whatever the number of responses: counts,
distributions and averages are GROUP BY queries; Python only adds up the grouped rows
(at most sessions x questions x 5 of them) and never loops over answers.

The small-numbers rule is :func:`enough`, and every figure on the pages goes through it:
a distribution, average, rate or trend cell worked out from fewer than ``SMALL_NUMBER``
responses is shown as "fewer than 8 responses" instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, exists, func, literal, or_, select

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
    SMALL_NUMBER,
    YES_NO,
    ContentReview,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.timeutil import uk_to_utc

COMMENTS_PER_PAGE = 50
SUPPRESSED = f"fewer than {SMALL_NUMBER} responses"


def enough(responses: int) -> bool:
    """The small-numbers rule, used for every figure: only show aggregates worked out
    from at least ``SMALL_NUMBER`` responses, so no one can be singled out."""
    return responses >= SMALL_NUMBER


def _half_up(value: Decimal, places: str = "1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> int:
    """Whole per cent, halves rounded up."""
    return int(_half_up(Decimal(100 * part) / Decimal(whole)))


# --- Figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """The average answer to one scored question over a set of answers."""

    kind: str
    answers: int  # how many answers (one per response)
    total: int  # the sum of their values (yes = 1, no = 0)

    @property
    def shown(self) -> bool:
        return enough(self.answers)

    @property
    def mean(self) -> Decimal | None:
        """Rating and agreement: the mean to one decimal place (None if held back)."""
        if not self.shown or self.kind == YES_NO:
            return None
        return _half_up(Decimal(self.total) / Decimal(self.answers), "0.1")

    @property
    def yes_percent(self) -> int | None:
        if not self.shown or self.kind != YES_NO:
            return None
        return percent(self.total, self.answers)

    @property
    def text(self) -> str:
        """'4.2', '75% yes', or 'fewer than 8 responses'."""
        if not self.answers:
            return "No answers"
        if not self.shown:
            return SUPPRESSED
        if self.kind == YES_NO:
            return f"{self.yes_percent}% yes"
        return str(self.mean)


@dataclass(frozen=True)
class Rate:
    """Answered invitations out of invitations; the rate is held back below 8 responses."""

    invited: int
    answered: int
    responses: int

    @property
    def shown(self) -> bool:
        return enough(self.responses)

    @property
    def percent(self) -> int | None:
        if not self.shown or not self.invited:
            return None
        return percent(self.answered, self.invited)

    @property
    def text(self) -> str:
        if not self.invited:
            return "Nobody invited yet"
        if not self.shown:
            return SUPPRESSED
        return f"{self.percent}%"


@dataclass
class Distribution:
    """How one scored question was answered, over the filtered sessions."""

    question: FeedbackQuestion
    counts: dict[int, int] = field(default_factory=dict)  # value -> answers

    @property
    def retired(self) -> bool:
        return self.question.retired_at is not None

    @property
    def answers(self) -> int:
        return sum(self.counts.values())

    @property
    def shown(self) -> bool:
        return enough(self.answers)

    @property
    def score(self) -> Score:
        return Score(self.question.kind, self.answers, sum(v * n for v, n in self.counts.items()))

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

    def score(self, question: FeedbackQuestion) -> Score:
        answers, total = self.sums.get(question.id, (0, 0))
        return Score(question.kind, answers, total)


@dataclass(frozen=True)
class SessionChoice:
    id: int
    starts_at: datetime
    version: int
    in_filter: bool


@dataclass
class Comment:
    answer_id: int
    question_text: str
    text: str
    starts_at: datetime
    anonymous: bool
    respondent: str | None  # None unless names are asked for

    @property
    def respondent_text(self) -> str:
        if self.anonymous:
            return "Anonymous"
        return self.respondent or "Not known (account deleted)"


@dataclass(frozen=True)
class CommentPage:
    items: list[Comment]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

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
    comments: CommentPage

    @property
    def rate(self) -> Rate:
        return Rate(
            invited=sum(r.invited for r in self.by_session),
            answered=sum(r.answered for r in self.by_session),
            responses=sum(r.responses for r in self.by_session),
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
        conditions.append(CourseSession.starts_at >= uk_to_utc(filters.start, time(0)))
    if filters.end:
        conditions.append(CourseSession.starts_at < uk_to_utc(filters.end + timedelta(days=1), time(0)))
    return conditions


def _sessions(course_id: int, filters: Filters):
    """Every completed session of the course (one statement), with whether the filter
    chooses it, and its invitations, answered invitations and responses."""
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
        .where(FeedbackResponse.session_id == CourseSession.id, FeedbackResponse.audience == filters.audience)
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


def _score_groups(course_id: int, filters: Filters):
    """Scored answers in the filter, counted per session, question and value."""
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
            *_in_filter(course_id, filters),
            FeedbackResponse.audience == filters.audience,
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
    bank's order."""
    answered = (
        select(FeedbackAnswer.question_id)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(
            CourseSession.course_id == course_id,
            CourseSession.status == COMPLETED,
            FeedbackResponse.audience == audience,
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
        FeedbackAnswer.kind == FREE_TEXT,
        FeedbackAnswer.text.is_not(None),
        FeedbackAnswer.text != "",
    ]
    if filters.question_id:
        conditions.append(FeedbackAnswer.question_id == filters.question_id)
    return conditions


def _comments(course_id: int, filters: Filters, with_names: bool, per_page: int) -> CommentPage:
    """One page of free-text answers, newest session first (two statements)."""
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
        FeedbackResponse.anonymous,
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
            anonymous=r.anonymous, respondent=r.full_name if with_names else None,
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
    """Everything the course dashboard shows, in four statements whatever the data size.
    ``questions``: :func:`answered_questions` for the course and the filter's audience."""
    session_rows = _sessions(course.id, filters)
    groups = _score_groups(course.id, filters)
    comments = _comments(course.id, filters, with_names, per_page)

    sessions = [SessionChoice(r.id, r.starts_at, r.version, bool(r.in_filter)) for r in session_rows]
    by_session = {
        r.id: TrendRow(
            key=r.id, starts_at=r.starts_at, version=r.version, sessions=1,
            invited=r.invited, answered=r.answered, responses=r.responses,
        )
        for r in session_rows
        if r.in_filter
    }
    by_version: dict[int, TrendRow] = {}
    for row in by_session.values():
        version = by_version.setdefault(
            row.version, TrendRow(key=row.version, starts_at=None, version=row.version, sessions=0,
                                  invited=0, answered=0, responses=0)
        )
        version.sessions += 1
        version.invited += row.invited
        version.answered += row.answered
        version.responses += row.responses

    by_question = {q.id: q for q in questions}
    distributions: dict[int, Distribution] = {}
    for g in groups:  # grouped rows (session x question x value), not answers
        question = by_question.get(g.question_id)
        if question is None or question.kind not in SCORED_KINDS or g.session_id not in by_session:
            continue
        dist = distributions.setdefault(question.id, Distribution(question))
        dist.counts[g.value] = dist.counts.get(g.value, 0) + g.answers
        for trend in (by_session[g.session_id], by_version[by_session[g.session_id].version]):
            sums = trend.sums.setdefault(question.id, [0, 0])
            sums[0] += g.answers
            sums[1] += g.answers * g.value

    return Dashboard(
        course=course,
        filters=filters,
        sessions=sessions,
        by_session=list(by_session.values()),
        by_version=sorted(by_version.values(), key=lambda r: r.version),
        questions=questions,
        distributions=[distributions[q.id] for q in questions if q.id in distributions],
        comments=comments,
    )


def responses_for_export(course_id: int, filters: Filters):
    """Every answer in the filter (the question filter included), one row each, with the
    respondent's name for named responses (one statement)."""
    conditions = [*_in_filter(course_id, filters), FeedbackResponse.audience == filters.audience]
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
    responses: int
    last_review: date | None

    @property
    def rate(self) -> Rate:
        return Rate(self.invited, self.answered, self.responses)


def course_overview(*, facilitator_id: int | None = None) -> list[CourseRow]:
    """Per course, students' feedback: completed sessions, invitations, responses and the
    last completed content review (one statement). Admins: courses not archived, or with
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
        .where(FeedbackResponse.audience == FOR_STUDENTS, CourseSession.status == COMPLETED)
        .group_by(CourseSession.course_id)
        .subquery("responses")
    )
    reviews = (
        select(ContentReview.course_id, func.max(ContentReview.held_on).label("last"))
        .where(ContentReview.status == REVIEW_COMPLETED)
        .group_by(ContentReview.course_id)
        .subquery("reviews")
    )
    any_feedback = exists().where(
        FeedbackResponse.session_id == CourseSession.id, CourseSession.course_id == Course.id
    )
    if facilitator_id is None:
        which = or_(Course.status != ARCHIVED, any_feedback)
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
    return [
        CourseRow(
            course_id=r.id, title=r.title, status=r.status, content_version=r.content_version,
            sessions=r.sessions, invited=r.invited, answered=r.answered, responses=r.responses,
            last_review=r.last,
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
