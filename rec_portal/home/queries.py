"""What each section of the signed-in home page shows: a fixed number of statements for
each role held, whatever the number of bookings, sessions or requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from rec_portal.extensions import db
from rec_portal.models import Booking, CourseSession, SessionDate, User
from rec_portal.models.bookings import OFFERED, WAITLISTED
from rec_portal.models.courses import CANCELLED, COMPLETED
from rec_portal.timeutil import uk_today, utcnow

# Registers a facilitator is reminded of: dates that started in the last two weeks.
REGISTER_DAYS = 14
# Roster gaps the admin to-do counts: sessions in the next two weeks.
ROSTER_DAYS = 14


def next_start(session: CourseSession, now: datetime) -> datetime:
    """When the next of ``session``'s dates still to come (or under way) starts."""
    return min((d.starts_at for d in session.dates if d.ends_at >= now), default=session.starts_at)


# --- students ------------------------------------------------------------------------------

@dataclass
class StudentHome:
    upcoming: list  # bookings.queries.MyBooking, soonest first
    offers: list  # places held for them, waiting for an answer
    waiting: int  # waiting lists they are on (without an offer)
    feedback_due: list  # MyBooking: courses done whose feedback they can give now
    follow_up: object | None  # outcomes StageState: the follow-up questions due, if any
    next_review: date | None  # their learning plan's next review
    tutor: User | None  # their personal tutor, who reviews the plan (None: a learning advisor)
    booked_before: bool  # any place or waiting-list place, now or in the past
    ask_optional: bool  # offer the optional questions (crime, equality) on the home page

    @property
    def next_place(self):
        """The place whose next date comes soonest (a course completed today is over)."""
        now = utcnow()
        live = [m for m in self.upcoming if m.booking.session.status != COMPLETED]
        return min(live, key=lambda m: next_start(m.booking.session, now)) if live else None

    @property
    def review_overdue(self) -> bool:
        return self.next_review is not None and self.next_review < uk_today()

    @property
    def nothing_waiting(self) -> bool:
        return not (self.offers or self.feedback_due or self.follow_up)


def student_home(student: User, now: datetime | None = None) -> StudentHome:
    from rec_portal.bookings.queries import my_courses
    from rec_portal.feedback.operations import OPEN
    from rec_portal.models.plans import PlanReview
    from rec_portal.outcomes.operations import BASELINE, follow_up_prompt, stages_for
    from rec_portal.tutoring.queries import next_review_for

    now = now or utcnow()
    upcoming, waiting, past = my_courses(student.id)
    stages = stages_for(student, now)
    baseline = stages[BASELINE]
    # As My plan says it: with a personal tutor, when their review is due; without, the
    # date the last review with a learning advisor set.
    tutorship, next_review = next_review_for(student.id)
    if tutorship is None:
        next_review = db.session.execute(
            select(PlanReview.next_review_date)
            .where(PlanReview.user_id == student.id)
            .order_by(PlanReview.review_date.desc(), PlanReview.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    cancelled_before = bool(not (upcoming or waiting or past) and db.session.execute(
        select(func.count()).select_from(Booking).where(Booking.student_id == student.id)
    ).scalar_one())
    return StudentHome(
        upcoming=upcoming,
        offers=[m for m in waiting if m.booking.status == OFFERED
                and (m.booking.offer_expires_at is None or m.booking.offer_expires_at > now)],
        waiting=sum(1 for m in waiting if m.booking.status == WAITLISTED),
        feedback_due=[m for m in past + upcoming if m.feedback == OPEN],
        follow_up=follow_up_prompt(student, now, stages),
        next_review=next_review,
        tutor=tutorship.tutor if tutorship else None,
        booked_before=bool(upcoming or waiting or past) or cancelled_before,
        ask_optional=not baseline.answered and student.optional_questions_not_now_at is None,
    )


# --- facilitators --------------------------------------------------------------------------

@dataclass
class RegisterToTake:
    card: object  # facilitation.queries.SessionCard
    session_date: SessionDate
    count: object  # attendance.queries.Count


@dataclass
class FacilitatorHome:
    next_session: object | None  # facilitation.queries.SessionCard
    later: int  # more sessions to come after it
    registers: list[RegisterToTake] = field(default_factory=list)


def facilitator_home(user: User, now: datetime | None = None) -> FacilitatorHome:
    from rec_portal.facilitation.queries import my_recent_sessions

    now = now or utcnow()
    since = now - timedelta(days=REGISTER_DAYS)
    cards = my_recent_sessions(user.id, since)
    # To come: not over and not completed, by the next of their dates still to come.
    live = sorted((c for c in cards if c.session.ends_at >= now and c.session.status != COMPLETED),
                  key=lambda c: next_start(c.session, now))
    registers = []
    for card in cards:
        for session_date in card.session.dates:
            count = card.attendance.for_date(session_date.id)
            if since <= session_date.starts_at <= now and count.total and not count.complete:
                registers.append(RegisterToTake(card, session_date, count))
    return FacilitatorHome(next_session=live[0] if live else None, later=max(len(live) - 1, 0),
                           registers=registers)


# --- REC staff ------------------------------------------------------------------------------

@dataclass
class AdminToDo:
    roster_gaps: int  # sessions in the next ROSTER_DAYS days with a role not covered
    roster_from: date
    roster_to: date
    offers: int  # places held for someone on a waiting list, not yet answered
    waiting: int  # people on waiting lists for sessions to come
    workshop_requests: int  # requests for an individual workshop nobody has acted on
    reviews_in_progress: int  # content reviews started, not completed
    review_actions_overdue: int  # actions agreed in a content review, past their date
    outbox_attention: int  # emails and texts that failed or may not have arrived
    referrals: int  # referrals nobody has acted on

    @property
    def nothing(self) -> bool:
        return not (self.roster_gaps or self.offers or self.workshop_requests or self.reviews_in_progress
                    or self.review_actions_overdue or self.outbox_attention or self.referrals)


def admin_todo(now: datetime | None = None) -> AdminToDo:
    from rec_portal.models import ContentReview, ContentReviewAction, OutboxMessage, WorkshopRequest
    from rec_portal.models.feedback import REVIEW_DRAFT
    from rec_portal.models.outbox import NEEDS_ATTENTION
    from rec_portal.models.workshops import NEW as WORKSHOP_NEW
    from rec_portal.referrals.queries import new_count
    from rec_portal.rosters.queries import build_rosters, sessions_between, with_gaps

    now = now or utcnow()
    today = uk_today(now)
    last = today + timedelta(days=ROSTER_DAYS - 1)
    gaps = with_gaps(build_rosters(sessions_between(today, last), with_choices=False))
    waiting = dict(db.session.execute(
        select(Booking.status, func.count())
        .join(CourseSession, CourseSession.id == Booking.session_id)
        .where(Booking.status.in_((OFFERED, WAITLISTED)), CourseSession.ends_at >= now,
               CourseSession.status != CANCELLED,
               (Booking.status != OFFERED) | Booking.offer_expires_at.is_(None) | (Booking.offer_expires_at > now))
        .group_by(Booking.status)
    ).all())

    def count(model, *where) -> int:
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

    return AdminToDo(
        roster_gaps=len(gaps), roster_from=today, roster_to=last,
        offers=waiting.get(OFFERED, 0), waiting=waiting.get(WAITLISTED, 0),
        workshop_requests=count(WorkshopRequest, WorkshopRequest.status == WORKSHOP_NEW),
        reviews_in_progress=count(ContentReview, ContentReview.status == REVIEW_DRAFT),
        review_actions_overdue=count(ContentReviewAction, ContentReviewAction.done_at.is_(None),
                                     ContentReviewAction.due_on < today),
        outbox_attention=count(OutboxMessage, OutboxMessage.status.in_(NEEDS_ATTENTION)),
        referrals=new_count(),
    )


def support_requests_new() -> int:
    """Requests for help (and facilitators' worries) nobody has contacted yet."""
    from rec_portal.models import SupportRequest
    from rec_portal.models.support_requests import NEW

    return db.session.execute(
        select(func.count()).select_from(SupportRequest).where(SupportRequest.status == NEW)
    ).scalar_one()
