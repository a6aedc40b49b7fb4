"""What the plan pages (and the PDF) show, in a fixed number of queries whatever the
number of goals, courses, sessions and bookings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, lazyload, selectinload

from rec_portal.bookings.queries import places_left_for
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession, User
from rec_portal.models.bookings import CANCELLED
from rec_portal.models.accounts import ADMIN, TUTOR
from rec_portal.models.courses import PUBLISHED, SCHEDULED
from rec_portal.models.plans import LearningGoal, LearningPlan, PlanCourse, PlanReview
from rec_portal.models.tutoring import Tutorship
from rec_portal.timeutil import utcnow

NEXT_DATES = 3  # how many upcoming dates to show for each course of interest

# Who recorded a review (``PlanView.reviewed_by``).
YOUR_TUTOR, A_TUTOR, AN_ADVISOR = "your_tutor", "a_tutor", "an_advisor"


@dataclass
class NextDate:
    session: CourseSession
    places_left: int
    booking: str  # models.courses.BOOKING_OPEN / BOOKING_NOT_YET_OPEN (CourseSession.booking_state)


@dataclass
class MyPlace:
    session: CourseSession
    status: str  # "confirmed" or "waitlisted"


@dataclass
class CourseOfInterest:
    entry: PlanCourse
    next_dates: list[NextDate] = field(default_factory=list)
    my_places: list[MyPlace] = field(default_factory=list)

    @property
    def course(self) -> Course:
        return self.entry.course

    @property
    def offered(self) -> bool:
        return self.entry.course.status == PUBLISHED


@dataclass
class PlanView:
    student: User
    plan: LearningPlan | None
    goals: list[LearningGoal]
    courses: list[CourseOfInterest]
    reviews: list[PlanReview]
    tutor_id: int | None = None  # the student's personal tutor now

    def reviewed_by(self, review: PlanReview) -> str:
        """Who recorded ``review``, for its card: ``YOUR_TUTOR`` (the student's personal
        tutor now), ``A_TUTOR`` (someone who holds the tutor role and is not an admin, e.g. a
        former tutor) or ``AN_ADVISOR`` (an admin as learning advisor, or an account gone)."""
        reviewer = review.reviewer
        if reviewer is None:
            return AN_ADVISOR
        if reviewer.id == self.tutor_id and reviewer.has_role(TUTOR):
            return YOUR_TUTOR
        if reviewer.has_role(TUTOR) and not reviewer.has_role(ADMIN):
            return A_TUTOR
        return AN_ADVISOR

    @property
    def has_own_words(self) -> bool:
        return bool(self.plan and (self.plan.hopes or self.plan.strengths or self.plan.support))


def goals(user_id: int) -> list[LearningGoal]:
    return list(
        db.session.execute(
            select(LearningGoal)
            .where(LearningGoal.user_id == user_id)
            .order_by(LearningGoal.position, LearningGoal.id)
        ).scalars()
    )


def _bookable(now: datetime):
    """Scheduled, not started, and booking not closed yet (never an individual workshop)."""
    return and_(
        CourseSession.status == SCHEDULED,
        CourseSession.individual.is_(False),
        CourseSession.starts_at > now,
        or_(CourseSession.booking_closes_at.is_(None), CourseSession.booking_closes_at > now),
    )


def next_dates(course_ids: list[int], now: datetime, per_course: int = NEXT_DATES) -> dict[int, list[NextDate]]:
    """The next ``per_course`` bookable sessions of each course, with places left. Three
    statements: the sessions (numbered per course with a window function), their dates,
    and the places taken."""
    if not course_ids:
        return {}
    numbered = (
        select(
            CourseSession.id,
            func.row_number()
            .over(partition_by=CourseSession.course_id, order_by=(CourseSession.starts_at, CourseSession.id))
            .label("n"),
        )
        .where(CourseSession.course_id.in_(course_ids), _bookable(now))
        .subquery("numbered")
    )
    sessions = db.session.execute(
        select(CourseSession)
        .join(numbered, numbered.c.id == CourseSession.id)
        .where(numbered.c.n <= per_course)
        .order_by(CourseSession.course_id, CourseSession.starts_at, CourseSession.id)
        .options(lazyload(CourseSession.course))
    ).scalars().all()
    places = places_left_for([s.id for s in sessions])
    result: dict[int, list[NextDate]] = {}
    for session in sessions:
        result.setdefault(session.course_id, []).append(
            NextDate(session, places.get(session.id, 0), session.booking_state(now))
        )
    return result


def my_places(user_id: int, course_ids: list[int], now: datetime) -> dict[int, list[MyPlace]]:
    """The student's places and waiting lists on sessions of these courses that have not
    finished, by course id (one statement, plus the sessions' dates)."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Booking.status, CourseSession)
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(
            Booking.student_id == user_id,
            Booking.status != CANCELLED,
            CourseSession.course_id.in_(course_ids),
            CourseSession.status == SCHEDULED,
            CourseSession.ends_at >= now,
        )
        .order_by(CourseSession.starts_at)
        .options(lazyload(CourseSession.course))
    ).all()
    result: dict[int, list[MyPlace]] = {}
    for status, session in rows:
        result.setdefault(session.course_id, []).append(MyPlace(session, status))
    return result


def courses_of_interest(user_id: int, now: datetime | None = None) -> list[CourseOfInterest]:
    now = now or utcnow()
    entries = db.session.execute(
        select(PlanCourse)
        .join(Course, Course.id == PlanCourse.course_id)
        .where(PlanCourse.user_id == user_id)
        .order_by(func.lower(Course.title), Course.id)
        .options(contains_eager(PlanCourse.course).lazyload(Course.roles_needed))
    ).scalars().all()
    offered = [e.course_id for e in entries if e.course.status == PUBLISHED]
    dates = next_dates(offered, now)
    places = my_places(user_id, offered, now)
    return [
        CourseOfInterest(e, dates.get(e.course_id, []), places.get(e.course_id, []))
        for e in entries
    ]


def reviews(user_id: int) -> list[PlanReview]:
    return list(
        db.session.execute(
            select(PlanReview)
            .where(PlanReview.user_id == user_id)
            .order_by(PlanReview.review_date.desc(), PlanReview.id.desc())
            .options(selectinload(PlanReview.reviewer).selectinload(User.roles))
        ).scalars()
    )


def plan_view(student: User, now: datetime | None = None) -> PlanView:
    """Everything on /my/plan (and the advisor's view, and the PDF)."""
    return PlanView(
        student=student,
        plan=db.session.get(LearningPlan, student.id),
        goals=goals(student.id),
        courses=courses_of_interest(student.id, now),
        reviews=reviews(student.id),
        tutor_id=db.session.execute(
            select(Tutorship.tutor_id).where(Tutorship.student_id == student.id)
        ).scalar_one_or_none(),
    )


def course_in_plan(user, course_id: int) -> bool | None:
    """For the course page: True/False for a signed-in student, None for anyone else (the
    control is not shown)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role("student"):
        return None
    return (
        db.session.execute(
            select(PlanCourse.id).where(PlanCourse.user_id == user.id, PlanCourse.course_id == course_id)
        ).first()
        is not None
    )
