"""What the /facilitate pages show, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from rec_portal.attendance.queries import SessionAttendance, attendance_summaries
from rec_portal.extensions import db
from rec_portal.models import (
    Booking,
    CourseRoleNeed,
    CourseSession,
    FacilitatorProfile,
    RosterAssignment,
    RosterOffer,
    SessionDate,
    Unavailability,
    User,
)
from rec_portal.models.accounts import distinct_names
from rec_portal.models.bookings import CONFIRMED, WAITLISTED
from rec_portal.models.courses import CANCELLED, FACILITATOR_ROLE_LABELS, SCHEDULED
from rec_portal.models.rosters import OFFER_PENDING
from rec_portal.rosters.queries import assignments_of
from rec_portal.timeutil import to_uk, utcnow


@dataclass
class SessionCard:
    """One of my sessions on /facilitate."""

    assignment: RosterAssignment
    co_facilitators: list[RosterAssignment]
    attendance: SessionAttendance

    @property
    def session(self) -> CourseSession:
        return self.assignment.session

    @property
    def booked(self) -> int:
        return self.attendance.booked


def roster_of(session_ids: list[int]) -> dict[int, list[RosterAssignment]]:
    """Everyone on the roster of each session (people loaded), by role then name."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(RosterAssignment)
        .join(User, User.id == RosterAssignment.user_id)
        .where(RosterAssignment.session_id.in_(session_ids))
        .options(joinedload(RosterAssignment.user))
        .order_by(RosterAssignment.role, func.lower(User.full_name))
    ).scalars()
    by_session: dict[int, list[RosterAssignment]] = defaultdict(list)
    for row in rows:
        by_session[row.session_id].append(row)
    return by_session


def my_sessions(user_id: int, now: datetime | None = None) -> tuple[list[SessionCard], list[SessionCard]]:
    """(upcoming, past): upcoming soonest first (including any running today), past most
    recent first."""
    now = now or utcnow()
    mine = assignments_of(user_id)
    sessions = [a.session for a in mine]
    rosters = roster_of([s.id for s in sessions])
    summaries = attendance_summaries(sessions)
    cards = [
        SessionCard(
            assignment=a,
            co_facilitators=[r for r in rosters.get(a.session_id, []) if r.user_id != user_id],
            attendance=summaries[a.session_id],
        )
        for a in mine
    ]
    upcoming = [c for c in cards if c.session.ends_at >= now]
    past = [c for c in cards if c.session.ends_at < now]
    past.reverse()
    return upcoming, past


def my_recent_sessions(user_id: int, since: datetime) -> list[SessionCard]:
    """The sessions (not cancelled) ``user_id`` is rostered on that end after ``since``,
    soonest first, with their attendance (for the home page; without co-facilitators).
    Three statements, whatever the number."""
    mine = assignments_of(user_id, ending_after=since)
    summaries = attendance_summaries([a.session for a in mine])
    return [SessionCard(assignment=a, co_facilitators=[], attendance=summaries[a.session_id]) for a in mine]


# --- Availability -------------------------------------------------------------------------

@dataclass
class DayOff:
    row: Unavailability
    clashes: list[CourseSession] = field(default_factory=list)


def rostered_days(user_id: int, days: list[date]) -> dict[date, list[CourseSession]]:
    """The sessions (not cancelled) ``user_id`` is rostered on that meet on each of
    ``days`` (UK dates)."""
    if not days:
        return {}
    # A day off is at most two years ahead (operations.add_unavailable_day); the bounds are
    # kept inside the calendar all the same.
    first, last = max(min(days), date.min + timedelta(days=1)), min(max(days), date.max - timedelta(days=2))
    start = datetime.combine(first, datetime.min.time()) - timedelta(days=1)
    end = datetime.combine(last, datetime.min.time()) + timedelta(days=2)
    rows = db.session.execute(
        select(SessionDate.starts_at, CourseSession)
        .join(CourseSession, CourseSession.id == SessionDate.session_id)
        .join(RosterAssignment, RosterAssignment.session_id == CourseSession.id)
        .where(
            RosterAssignment.user_id == user_id,
            CourseSession.status != CANCELLED,
            SessionDate.starts_at >= start,
            SessionDate.starts_at < end,
        )
        .options(joinedload(CourseSession.course))
        .order_by(SessionDate.starts_at)
    ).all()
    wanted = set(days)
    found: dict[date, list[CourseSession]] = defaultdict(list)
    for starts_at, session in rows:
        day = to_uk(starts_at).date()
        if day in wanted and session not in found[day]:
            found[day].append(session)
    return found


def my_days_off(user_id: int, today: date) -> tuple[list[DayOff], list[DayOff]]:
    """(upcoming, earlier): days from today on, soonest first, each with any session it
    clashes with; earlier days most recent first (the last 20)."""
    upcoming = list(
        db.session.execute(
            select(Unavailability)
            .where(Unavailability.user_id == user_id, Unavailability.day >= today)
            .order_by(Unavailability.day)
        ).scalars()
    )
    earlier = list(
        db.session.execute(
            select(Unavailability)
            .where(Unavailability.user_id == user_id, Unavailability.day < today)
            .order_by(Unavailability.day.desc())
            .limit(20)
        ).scalars()
    )
    clashes = rostered_days(user_id, [u.day for u in upcoming])
    return [DayOff(u, clashes.get(u.day, [])) for u in upcoming], [DayOff(u) for u in earlier]


# --- Open roles and offers ----------------------------------------------------------------

@dataclass
class OpenRole:
    session: CourseSession
    role: str
    offered: bool = False
    # Why an offer would be refused (a day I cannot work, another session at that time).
    reason: str | None = None

    @property
    def role_label(self) -> str:
        return FACILITATOR_ROLE_LABELS.get(self.role, self.role)


OPEN_ROLES_LIMIT = 50


def open_roles_for(user: User, now: datetime | None = None) -> list[OpenRole]:
    """Upcoming scheduled group sessions with a role still to cover that ``user`` holds
    (and they are not already on the roster), soonest first. Empty without an active
    facilitator profile."""
    now = now or utcnow()
    profile = db.session.get(FacilitatorProfile, user.id)
    if profile is None or not profile.active or not profile.role_codes:
        return []
    covered = (
        select(RosterAssignment.session_id, RosterAssignment.role, func.count().label("n"))
        .group_by(RosterAssignment.session_id, RosterAssignment.role)
        .subquery()
    )
    already_on = select(RosterAssignment.session_id).where(RosterAssignment.user_id == user.id)
    rows = db.session.execute(
        select(CourseSession.id, CourseRoleNeed.role)
        .join(CourseRoleNeed, CourseRoleNeed.course_id == CourseSession.course_id)
        .outerjoin(
            covered,
            (covered.c.session_id == CourseSession.id) & (covered.c.role == CourseRoleNeed.role),
        )
        .where(
            CourseSession.status == SCHEDULED,
            CourseSession.starts_at > now,
            CourseSession.individual.is_(False),  # one-to-one workshops are arranged by the REC team
            CourseRoleNeed.role.in_(profile.role_codes),
            func.coalesce(covered.c.n, 0) < CourseRoleNeed.count,
            CourseSession.id.not_in(already_on),
        )
        .order_by(CourseSession.starts_at, CourseSession.id, CourseRoleNeed.role)
        .limit(OPEN_ROLES_LIMIT)
    ).all()
    if not rows:
        return []
    sessions = {
        s.id: s
        for s in db.session.execute(
            select(CourseSession)
            .where(CourseSession.id.in_({sid for sid, _ in rows}))
            .options(joinedload(CourseSession.course))
        ).scalars()
    }
    offered = {
        (o.session_id, o.role)
        for o in db.session.execute(
            select(RosterOffer).where(
                RosterOffer.user_id == user.id,
                RosterOffer.status == OFFER_PENDING,
                RosterOffer.session_id.in_(sessions),
            )
        ).scalars()
    }
    found = [OpenRole(sessions[sid], role, (sid, role) in offered) for sid, role in rows]
    _explain(found, user)
    return found


def _explain(found: list[OpenRole], user: User) -> None:
    """Say why an offer would be refused, with the roster rules themselves (so the page
    never offers what the rules would refuse)."""
    try:
        from rec_portal.rosters.operations import load_facts, refusal
    except ImportError:  # pragma: no cover - the rosters feature is not there yet
        return
    facts = load_facts(list({r.session.id: r.session for r in found}.values()), [user.id])
    for r in found:
        if not r.offered:
            r.reason = refusal(r.session, user, r.role, facts, you=True)


def pending_offers(user_id: int) -> list[RosterOffer]:
    """My offers still waiting for an admin, soonest session first."""
    return list(
        db.session.execute(
            select(RosterOffer)
            .join(CourseSession, CourseSession.id == RosterOffer.session_id)
            .where(RosterOffer.user_id == user_id, RosterOffer.status == OFFER_PENDING)
            .options(joinedload(RosterOffer.session).joinedload(CourseSession.course))
            .order_by(CourseSession.starts_at, RosterOffer.id)
        ).scalars()
    )


# --- Class list ---------------------------------------------------------------------------

@dataclass
class ClassList:
    booked: list[Booking]
    waiting: int
    # Each person's name on the list (user id -> label), told apart from others with the
    # same preferred name ("Jo S.", models.accounts.distinct_names).
    names: dict[int, str] = field(default_factory=dict)


def class_list(session: CourseSession) -> ClassList:
    """Confirmed places by preferred name (people and their profiles loaded), and how many
    are waiting."""
    booked = list(
        db.session.execute(
            select(Booking)
            .join(User, User.id == Booking.student_id)
            .where(Booking.session_id == session.id, Booking.status == CONFIRMED)
            .options(joinedload(Booking.student))
            .order_by(func.lower(User.preferred_name), func.lower(User.full_name), Booking.id)
        ).scalars()
    )
    waiting = db.session.execute(
        select(func.count())
        .select_from(Booking)
        .where(Booking.session_id == session.id, Booking.status == WAITLISTED)
    ).scalar_one()
    return ClassList(booked, waiting, distinct_names(b.student for b in booked))

