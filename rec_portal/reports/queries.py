"""The figures of the term report (/admin/reports/term), worked out in SQL.

Each section is a fixed number of GROUP BY statements whatever the number of students,
courses, sessions, bookings and responses; Python only adds up grouped rows (at most one
per course, or per group of students).

What each figure means is written on the page ("How these figures are worked out") and
in the docstrings below. Small numbers: counts of people (students enrolled per group,
people left on a waiting list per course, feedback responses) of 1 to 7 are not shown, as
everywhere in the portal (rec_portal/stats/small_numbers.py); in a table with a total,
the next smallest rows are held back too until the held-back rows come to 0 or 8 or more,
so that no small count can be worked out from the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, distinct, func, or_, select

from rec_portal.attendance.queries import AttendanceReport, CourseFigures, attendance_report
from rec_portal.equality import queries as equality_queries
from rec_portal.extensions import db
from rec_portal.models import (
    Booking,
    Course,
    CourseSession,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackResponse,
    StudentProfile,
    User,
    UserRole,
    WorkshopRequest,
)
from rec_portal.models.accounts import STUDENT
from rec_portal.models.bookings import ADMIN as MADE_BY_ADMIN
from rec_portal.models.bookings import CANCELLED as BOOKING_CANCELLED
from rec_portal.models.bookings import CONFIRMED, OFFERED, WAITLISTED
from rec_portal.models.courses import CANCELLED, COMPLETED
from rec_portal.models.feedback import FOR_STUDENTS, RATING
from rec_portal.models.students import REFERRAL_SOURCES, RELATIONSHIP_SHORT
from rec_portal.models.workshops import WORKSHOP_STATUS_LABELS
from rec_portal.rosters.queries import FidelityReport, FidelityRow, fidelity_report
from rec_portal.stats import FEWER, HELD_BACK, average, enough, held_counts, hold_more, percent_text
from rec_portal.stats.terms import Term, term_bounds
from rec_portal.timeutil import utcnow

NOT_GIVEN = "Not given"


# --- Small numbers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """A count of people that may be held back."""

    value: int
    held: bool = False
    hide_zero: bool = False  # a held 0 reads "not shown" too (see _guarded_together)

    @property
    def text(self) -> str:
        if self.held and (self.value or self.hide_zero):
            return HELD_BACK
        return str(self.value)


def _guarded(counts: dict) -> dict:
    """Rows of a table of people with a total: key -> Count, holding back rows of 1 to 7
    and (rule 2) the next smallest until the held-back rows come to 0 or at least 8."""
    held = hold_more(counts, held_counts(counts))
    return {k: Count(n, k in held) for k, n in counts.items()}


def _guarded_together(columns: list[dict]) -> list[dict]:
    """Columns of one table of people: the first a whole (people waiting), the others its
    parts (still waiting, left the list). Each column is guarded as ``_guarded`` does; in a
    row, a held part holds the other parts too, zeros included (the whole minus the shown
    parts would give it away: 20 people, 0 left, so 20 still waiting), and a held whole
    holds its parts; repeated until nothing changes."""
    held = [held_counts(counts) for counts in columns]
    parts = columns[1:]
    while True:
        held = [hold_more(counts, h) for counts, h in zip(columns, held, strict=True)]
        rows = held[0].union(*held[1:])
        grown = [held[0]] + [h | {k for k in rows if k in counts} for counts, h in zip(parts, held[1:], strict=True)]
        if grown == held:
            break
        held = grown
    whole, *rest = columns
    return [{k: Count(n, k in held[0]) for k, n in whole.items()}] + [
        {k: Count(n, k in h, hide_zero=True) for k, n in counts.items()}
        for counts, h in zip(rest, held[1:], strict=True)
    ]


def total_text(n: int) -> str:
    """A total of people: 0, the number, or 'fewer than 8'."""
    return str(n) if n == 0 or enough(n) else FEWER


# --- 1. Students enrolled ---------------------------------------------------------------------


@dataclass
class Enrolment:
    total: int
    by_relationship: list[tuple[str, Count]]  # (label, count) in the enrolment form's order
    by_referral: list[tuple[str, Count]]

    @property
    def total_text(self) -> str:
        return total_text(self.total)


def enrolment(term: Term) -> Enrolment:
    """Accounts with the student role created in the term, by what they said about their
    relationship to services and how they heard of the REC (one statement)."""
    first, last = term_bounds(term)
    rows = db.session.execute(
        select(
            func.coalesce(StudentProfile.relationship_to_services, ""),
            func.coalesce(StudentProfile.referral_source, ""),
            func.count(User.id),
        )
        .select_from(User)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == STUDENT))
        .outerjoin(StudentProfile, StudentProfile.user_id == User.id)
        .where(User.created_at >= first, User.created_at < last, User.anonymised_at.is_(None))
        .group_by(StudentProfile.relationship_to_services, StudentProfile.referral_source)
    ).all()
    relationship = {k: 0 for k in [*RELATIONSHIP_SHORT, ""]}
    referral = {k: 0 for k in [*REFERRAL_SOURCES, ""]}
    for rel, ref, n in rows:
        relationship[rel if rel in RELATIONSHIP_SHORT else ""] += n
        referral[ref if ref in REFERRAL_SOURCES else ""] += n
    rel_counts, ref_counts = _guarded(relationship), _guarded(referral)
    return Enrolment(
        total=sum(relationship.values()),
        by_relationship=[(RELATIONSHIP_SHORT.get(k, NOT_GIVEN), rel_counts[k]) for k in relationship],
        by_referral=[(REFERRAL_LABELS.get(k, NOT_GIVEN), ref_counts[k]) for k in referral],
    )


# Short words for the referral routes (the form's answers are sentences in the first person).
REFERRAL_LABELS = {
    "self": "Found the REC themselves",
    "care_team": "Care team or key worker",
    "gp": "GP",
    "police": "Police or victim support",
    "voluntary": "Charity or community organisation",
    "friend": "Friend, family or another student",
    "other": "Somewhere else",
}


# --- 2. Bookings ------------------------------------------------------------------------------

BOOKING_STATUS_WORDS = {
    CONFIRMED: "Place confirmed",
    OFFERED: "Place held, waiting for their answer",
    WAITLISTED: "On the waiting list",
    BOOKING_CANCELLED: "Cancelled",
}


@dataclass
class BookingRow:
    label: str
    by_self: int = 0
    by_admin: int = 0

    @property
    def total(self) -> int:
        return self.by_self + self.by_admin


@dataclass
class Bookings:
    rows: list[BookingRow]

    @property
    def total(self) -> BookingRow:
        return BookingRow("All bookings", sum(r.by_self for r in self.rows), sum(r.by_admin for r in self.rows))


def bookings(term: Term) -> Bookings:
    """Bookings made in the term (by when the person asked for a place or a waiting-list
    place), by their status today and by who made them: the student online, or the REC
    team (by phone or in person). One statement."""
    first, last = term_bounds(term)
    rows = {status: BookingRow(words) for status, words in BOOKING_STATUS_WORDS.items()}
    for status, made_by, n in db.session.execute(
        select(Booking.status, Booking.made_by, func.count(Booking.id))
        .where(Booking.queued_at >= first, Booking.queued_at < last)
        .group_by(Booking.status, Booking.made_by)
    ).all():
        row = rows.get(status)
        if row is None:
            continue
        if made_by == MADE_BY_ADMIN:
            row.by_admin += n
        else:
            row.by_self += n
    return Bookings(list(rows.values()))


# --- 3. Attendance ----------------------------------------------------------------------------


def attendance(term: Term, now: datetime | None = None) -> AttendanceReport:
    """The attendance report (attendance/queries.py) for the term's dates: two statements."""
    return attendance_report(term.start, term.last_day, now=now)


# --- 4. Waiting lists -------------------------------------------------------------------------


@dataclass
class DemandRow:
    course_id: int
    title: str
    sessions: int  # sessions in the term
    full: int  # of them, full (every place taken)
    people: Count  # people who joined a waiting list and never got a place
    still_waiting: Count
    left: Count  # cancelled their waiting-list place without ever getting one


@dataclass
class Demand:
    rows: list[DemandRow]
    people: int
    full: int

    @property
    def people_text(self) -> str:
        return total_text(self.people)


def _group_sessions(first: datetime, last: datetime) -> list:
    return [
        CourseSession.starts_at >= first,
        CourseSession.starts_at < last,
        CourseSession.status != CANCELLED,
        CourseSession.individual.is_(False),
    ]


def waiting_lists(term: Term) -> Demand:
    """Per course, for group sessions (not cancelled) starting in the term: how many were
    full, and the people who joined a session's waiting list and never got a place on it
    (still waiting, or left the list: a cancelled booking that was never confirmed).
    A person is counted once per course. One statement."""
    first, last = term_bounds(term)
    in_term = _group_sessions(first, last)
    confirmed = (  # only the term's sessions' bookings (index on bookings.session_id)
        select(Booking.session_id, func.count(Booking.id).label("n"))
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(Booking.status == CONFIRMED, *in_term)
        .group_by(Booking.session_id)
        .subquery("confirmed")
    )
    sessions = (
        select(
            CourseSession.course_id,
            func.count(CourseSession.id).label("sessions"),
            func.sum(case((func.coalesce(confirmed.c.n, 0) >= CourseSession.capacity, 1), else_=0)).label("full"),
        )
        .select_from(CourseSession)
        .outerjoin(confirmed, confirmed.c.session_id == CourseSession.id)
        .where(*in_term)
        .group_by(CourseSession.course_id)
        .subquery("sessions")
    )
    never_placed = or_(
        Booking.status == WAITLISTED,
        and_(Booking.status == BOOKING_CANCELLED, Booking.confirmed_at.is_(None)),
    )
    waiting = (
        select(
            CourseSession.course_id,
            func.count(distinct(Booking.student_id)).label("people"),
            func.count(distinct(case((Booking.status == WAITLISTED, Booking.student_id)))).label("waiting"),
            func.count(distinct(case((Booking.status == BOOKING_CANCELLED, Booking.student_id)))).label("left"),
        )
        .select_from(Booking)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(*in_term, never_placed)
        .group_by(CourseSession.course_id)
        .subquery("waiting")
    )
    rows = db.session.execute(
        select(
            Course.id, Course.title, sessions.c.sessions, sessions.c.full,
            func.coalesce(waiting.c.people, 0), func.coalesce(waiting.c.waiting, 0),
            func.coalesce(waiting.c.left, 0),
        )
        .select_from(Course)
        .join(sessions, sessions.c.course_id == Course.id)
        .outerjoin(waiting, waiting.c.course_id == Course.id)
        .order_by(func.lower(Course.title), Course.id)
    ).all()
    people, waiting_now, left = _guarded_together(
        [{r[0]: int(r[column]) for r in rows} for column in (4, 5, 6)]
    )
    return Demand(
        rows=[
            DemandRow(cid, title, int(n), int(full or 0), people[cid], waiting_now[cid], left[cid])
            for cid, title, n, full, *_ in rows
        ],
        people=sum(c.value for c in people.values()),
        full=sum(int(r[3] or 0) for r in rows),
    )


# --- 5. Co-delivery ---------------------------------------------------------------------------


def fidelity(term: Term, now: datetime | None = None) -> FidelityReport:
    """The co-delivery report (rosters/queries.py) for sessions starting in the term:
    three statements."""
    return fidelity_report(now, between=term_bounds(term))


# --- 6. Feedback ------------------------------------------------------------------------------


@dataclass
class FeedbackRow:
    course_id: int
    title: str
    sessions: int  # completed sessions in the term
    invited: int
    answered: int
    responses: int
    ratings: int  # answers to rating questions
    rating_total: int
    outside: int  # the course's named responses on completed sessions outside the term
    # Anonymous responses are counted (and their ratings averaged) only when the course's
    # pool for the term is shown: closed, with 8 or more (feedback/queries.py). While
    # it is open, or closed with 1 to 7, the response rate is held back too, or it would
    # tell how many answered anonymously (and, while open, when).
    anonymous_held: bool = False

    @property
    def shown(self) -> bool:
        """Figures only from 8 or more responses, and only if the course's other responses
        (outside the term, on the feedback dashboard) are none or 8 or more, so the term's
        figures cannot be worked out from the dashboard's."""
        return enough(self.responses) and (self.outside == 0 or enough(self.outside))

    @property
    def responses_text(self) -> str:
        if not self.responses:
            return "0"
        if not enough(self.responses):
            return FEWER
        return str(self.responses) if self.shown else HELD_BACK

    @property
    def rate_text(self) -> str:
        if not self.invited:
            return "Nobody invited"
        if not self.shown or self.anonymous_held:
            return HELD_BACK
        return percent_text(self.answered, self.invited)

    @property
    def rating_text(self) -> str:
        if not self.shown:
            return HELD_BACK if self.responses else ""
        if not self.ratings:
            return "No ratings"
        return str(average(self.rating_total, self.ratings))


def feedback(term: Term) -> list[FeedbackRow]:
    """Per course, students' feedback on completed sessions that started in the term:
    invitations, answered invitations, responses, and the average of their answers to
    rating questions (1 poor to 5 excellent). Anonymous responses and ratings count only
    when the course's anonymous pool for the term is shown (closed, 8 or more). Two
    statements."""
    from rec_portal.feedback.queries import pool_states

    states = pool_states()
    first, last = term_bounds(term)
    in_term = and_(CourseSession.starts_at >= first, CourseSession.starts_at < last)
    completed = CourseSession.status == COMPLETED
    named = FeedbackResponse.anonymous.is_(False)
    sessions = (
        select(CourseSession.course_id, func.count(CourseSession.id).label("n"))
        .where(completed, in_term)
        .group_by(CourseSession.course_id)
        .subquery("sessions")
    )
    invitations = (
        select(
            CourseSession.course_id,
            func.count(FeedbackInvitation.id).label("invited"),
            func.sum(case((FeedbackInvitation.answered.is_(True), 1), else_=0)).label("answered"),
        )
        .select_from(FeedbackInvitation)
        .join(CourseSession, CourseSession.id == FeedbackInvitation.session_id)
        .where(FeedbackInvitation.audience == FOR_STUDENTS, completed, in_term)
        .group_by(CourseSession.course_id)
        .subquery("invitations")
    )
    responses = (
        select(
            CourseSession.course_id,
            func.sum(case((and_(in_term, named), 1), else_=0)).label("inside"),
            func.sum(case((and_(in_term, ~named), 1), else_=0)).label("anonymous"),
            func.sum(case((or_(in_term, ~named), 0), else_=1)).label("outside"),
        )
        .select_from(FeedbackResponse)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(FeedbackResponse.audience == FOR_STUDENTS, completed)
        .group_by(CourseSession.course_id)
        .subquery("responses")
    )
    ratings = (
        select(
            CourseSession.course_id,
            func.sum(case((named, 1), else_=0)).label("n"),
            func.sum(case((named, FeedbackAnswer.value), else_=0)).label("total"),
            func.sum(case((named, 0), else_=1)).label("anonymous_n"),
            func.sum(case((named, 0), else_=FeedbackAnswer.value)).label("anonymous_total"),
        )
        .select_from(FeedbackAnswer)
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(CourseSession, CourseSession.id == FeedbackResponse.session_id)
        .where(FeedbackResponse.audience == FOR_STUDENTS, completed, in_term,
               FeedbackAnswer.kind == RATING, FeedbackAnswer.value.is_not(None))
        .group_by(CourseSession.course_id)
        .subquery("ratings")
    )
    rows = db.session.execute(
        select(
            Course.id, Course.title, sessions.c.n,
            func.coalesce(invitations.c.invited, 0), func.coalesce(invitations.c.answered, 0),
            func.coalesce(responses.c.inside, 0), func.coalesce(ratings.c.n, 0),
            func.coalesce(ratings.c.total, 0), func.coalesce(responses.c.outside, 0),
            func.coalesce(responses.c.anonymous, 0), func.coalesce(ratings.c.anonymous_n, 0),
            func.coalesce(ratings.c.anonymous_total, 0),
        )
        .select_from(Course)
        .join(sessions, sessions.c.course_id == Course.id)
        .outerjoin(invitations, invitations.c.course_id == Course.id)
        .outerjoin(responses, responses.c.course_id == Course.id)
        .outerjoin(ratings, ratings.c.course_id == Course.id)
        .order_by(func.lower(Course.title), Course.id)
    ).all()
    result = []
    for r in rows:
        sessions_n, invited, answered, inside, ratings_n, total, outside, anonymous, anon_n, anon_total = (
            int(v or 0) for v in r[2:])
        state = states.get((r[0], term))
        pooled = state is not None and state.shown
        result.append(FeedbackRow(
            r[0], r[1], sessions_n, invited, answered,
            responses=inside + (anonymous if pooled else 0),
            ratings=ratings_n + (anon_n if pooled else 0),
            rating_total=total + (anon_total if pooled else 0),
            outside=outside,
            anonymous_held=state is None or not state.settled,
        ))
    return result


# --- 7. Workshop requests ---------------------------------------------------------------------


def workshop_requests(term: Term) -> list[tuple[str, str, Count]]:
    """Requests for an individual workshop made in the term, by their status today:
    (status, label, count) for every status, 1 to 7 held back (each is a person). One
    statement."""
    first, last = term_bounds(term)
    counts = dict(
        db.session.execute(
            select(WorkshopRequest.status, func.count(WorkshopRequest.id))
            .where(WorkshopRequest.created_at >= first, WorkshopRequest.created_at < last)
            .group_by(WorkshopRequest.status)
        ).all()
    )
    guarded = _guarded({status: int(counts.get(status, 0)) for status in WORKSHOP_STATUS_LABELS})
    return [(status, label, guarded[status]) for status, label in WORKSHOP_STATUS_LABELS.items()]


# --- 7b. Referrals from professionals ---------------------------------------------------------


@dataclass
class Referrals:
    """Referrals received in the term, per organisation type: (label, received, led to
    enrolment so far), each a Count held back as a table of people."""

    rows: list[tuple[str, Count, Count]]
    received: int
    enrolled: int

    @property
    def received_text(self) -> str:
        return total_text(self.received)


def referrals(term: Term) -> Referrals:
    """Referrals received in the term by the kind of organisation that made them, and how
    many of them have led to enrolment so far (one statement). Each is a person: 1 to 7
    held back; a held "received" holds its "enrolled" too, and so does a small number of
    referrals in the row that did not (yet) lead to enrolment."""
    from rec_portal.models.referrals import ORG_TYPE_SHORT
    from rec_portal.referrals.queries import by_org_type

    counts = by_org_type(*term_bounds(term))
    # Not enrolled (received minus enrolled) is not shown, but could be worked out: it is
    # guarded as a part too, so a small one holds back its row's "enrolled".
    received, enrolled, _others = _guarded_together([{k: n for k, (n, _) in counts.items()},
                                                     {k: e for k, (_, e) in counts.items()},
                                                     {k: n - e for k, (n, e) in counts.items()}])
    return Referrals(
        rows=[(ORG_TYPE_SHORT[k], received[k], enrolled[k]) for k in counts],
        received=sum(n for n, _ in counts.values()), enrolled=sum(e for _, e in counts.values()),
    )


# --- 9. Equality monitoring ------------------------------------------------------------------


def active_students(term: Term):
    """The students counted for the term (one column of user ids, each once): accounts
    with the student role, not deleted, that enrolled in the term (as "Students enrolled")
    or had a place (confirmed) on a session starting in the term, not cancelled (as
    "Attendance" and "Bookings")."""
    first, last = term_bounds(term)
    placed = (
        select(Booking.student_id)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(Booking.status == CONFIRMED, CourseSession.starts_at >= first, CourseSession.starts_at < last,
               CourseSession.status != CANCELLED)
    )
    return (
        select(User.id)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == STUDENT))
        .where(User.anonymised_at.is_(None),
               or_(and_(User.created_at >= first, User.created_at < last), User.id.in_(placed)))
    )


def term_ended(term: Term, now: datetime | None = None) -> bool:
    """Whether the whole term is over (UK time)."""
    return (now or utcnow()) >= term_bounds(term)[1]


@dataclass
class Equality:
    """Students counted in the term, and each equality question's table (groups, "prefer
    not to say", "not answered"), small numbers held back. Never per person.

    Only for a term that has ended, as stored once then (``stored`` False: the term has
    not ended, so there is nothing to show, whatever the data)."""

    total: int
    questions: list[equality_queries.QuestionCounts]
    stored: bool = True
    closed_at: datetime | None = None

    @property
    def total_text(self) -> str:
        return total_text(self.total)


def equality_monitoring(term: Term, now: datetime | None = None) -> Equality:
    """The counts stored for the term once it ended (``operations.close_equality``): one
    statement. Never counted live, so nothing saved, changed or removed since moves them;
    for a term not ended (or not stored yet), nothing."""
    stored = equality_queries.stored_tables(term.key) if term_ended(term, now) else None
    if stored is None:
        return Equality(0, [], stored=False)
    return Equality(stored.total, stored.questions, closed_at=stored.closed_at)


# --- 8. Per course, at a glance (the PDF) ----------------------------------------------------


@dataclass
class CourseSummary:
    """One course's key figures from the four per-course sections (None: the course is not
    in that section). The PDF prints these in one table instead of four long ones, so a
    term of hundreds of courses still makes a short document quickly."""

    title: str
    attendance: CourseFigures | None = None
    waiting: DemandRow | None = None
    fidelity: FidelityRow | None = None
    feedback: FeedbackRow | None = None


def course_summaries(attendance: AttendanceReport, waiting: Demand, fidelity: FidelityReport,
                     feedback: list[FeedbackRow]) -> list[CourseSummary]:
    """Every course in any of the four sections, by title; no statements of its own."""
    by_id: dict[int, CourseSummary] = {}
    for part, rows, title in (
        ("attendance", attendance.courses, "course_title"), ("waiting", waiting.rows, "title"),
        ("fidelity", fidelity.by_course, "label"), ("feedback", feedback, "title"),
    ):
        for row in rows:
            summary = by_id.setdefault(row.course_id, CourseSummary(getattr(row, title)))
            setattr(summary, part, row)
    return [summary for _id, summary in sorted(by_id.items(), key=lambda item: (item[1].title.lower(), item[0]))]


# --- The whole report -------------------------------------------------------------------------


@dataclass
class TermReport:
    term: Term
    made_at: datetime
    enrolment: Enrolment
    bookings: Bookings
    attendance: AttendanceReport
    waiting: Demand
    fidelity: FidelityReport
    feedback: list[FeedbackRow]
    workshops: list[tuple[str, str, int]]
    extra: dict = field(default_factory=dict)
    equality: Equality | None = None

    @property
    def workshops_total(self) -> str:
        return total_text(sum(n.value for *_, n in self.workshops))

    @property
    def referrals(self) -> Referrals:
        return self.extra["referrals"]

    @property
    def feedback_shown(self) -> int:
        """Courses with enough feedback responses to show their figures."""
        return sum(1 for row in self.feedback if row.shown)

    @property
    def courses(self) -> list[CourseSummary]:
        return course_summaries(self.attendance, self.waiting, self.fidelity, self.feedback)


def term_report(term: Term, now: datetime | None = None) -> TermReport:
    """Every section: twelve statements, whatever the data size."""
    now = now or utcnow()
    return TermReport(
        term=term, made_at=now, enrolment=enrolment(term), bookings=bookings(term),
        attendance=attendance(term, now), waiting=waiting_lists(term), fidelity=fidelity(term, now),
        feedback=feedback(term), workshops=workshop_requests(term),
        extra={"referrals": referrals(term)},
        equality=equality_monitoring(term, now),
    )
