"""Read-only roster questions: the ones other features ask (class lists, registers,
/facilitate), the roster page and the co-delivery fidelity report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from rec_portal.extensions import db
from rec_portal.models import (
    Course,
    CourseRoleNeed,
    CourseSession,
    RosterAssignment,
    RosterOffer,
    User,
)
from rec_portal.models.courses import CANCELLED, COMPLETED, SCHEDULED
from rec_portal.models.rosters import OFFER_PENDING, PEER_ROLES
from rec_portal.rosters import operations
from rec_portal.stats import percent_text
from rec_portal.stats.terms import Term, session_term
from rec_portal.timeutil import uk_days, utcnow




def assignments_of(user_id: int, *, ending_after: datetime | None = None) -> list[RosterAssignment]:
    """Every roster place of ``user_id`` (with ``ending_after``: only of sessions, not
    cancelled, that end after it), soonest session first (session and course loaded with it)."""
    where = [RosterAssignment.user_id == user_id]
    if ending_after is not None:
        where += [CourseSession.ends_at > ending_after, CourseSession.status != CANCELLED]
    return list(
        db.session.execute(
            select(RosterAssignment)
            .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
            .where(*where)
            .options(joinedload(RosterAssignment.session).joinedload(CourseSession.course))
            .order_by(CourseSession.starts_at)
        ).scalars()
    )


# --- The roster page (/admin/rosters) -------------------------------------------------------

@dataclass
class RoleSlot:
    """One role a session's course needs: who covers it, and who could."""

    role: str
    label: str
    needed: int
    assignments: list[RosterAssignment]
    eligible: list[User] = field(default_factory=list)
    # Holders of the role who are not offered, with the reason (admins see availability).
    not_offered: list[tuple[User, str]] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(self.needed - len(self.assignments), 0)


@dataclass
class SessionRoster:
    session: CourseSession
    slots: list[RoleSlot]
    extra: list[RosterAssignment]  # people in roles the course no longer needs
    offers: list[RosterOffer]
    status: operations.RosterStatus
    over: bool = False  # the session has ended: its roster is history

    @property
    def editable(self) -> bool:
        return self.session.status == SCHEDULED and not self.over

    @property
    def clashes(self) -> dict[int, str]:
        """Why each person on the roster who now has a clash cannot do it, by assignment id."""
        return {c.assignment.id: c.reason for c in self.status.clashes}


def sessions_between(first: date, last: date) -> list[CourseSession]:
    """Sessions (not cancelled) with a date in the UK days ``first`` to ``last``, soonest
    first, each with its course, dates and the roles the course needs (fixed queries)."""
    start, end = uk_days(first, last)
    return list(
        db.session.execute(
            select(CourseSession)
            .join(Course, Course.id == CourseSession.course_id)
            .where(
                CourseSession.status != CANCELLED,
                CourseSession.starts_at < end,
                CourseSession.ends_at > start,
            )
            .options(contains_eager(CourseSession.course))
            .order_by(CourseSession.starts_at, Course.title, CourseSession.id)
        ).scalars()
    )


def with_gaps(rosters: list[SessionRoster], *, keep_session_id: int | None = None) -> list[SessionRoster]:
    """Only the rosters that are not complete (and ``keep_session_id``, the session just
    changed, so the person sees the result of what they did)."""
    return [r for r in rosters if not r.status.complete or r.session.id == keep_session_id]


def build_rosters(sessions: list[CourseSession], *, with_choices: bool = True,
                  now: datetime | None = None) -> list[SessionRoster]:
    """Each session's roster, status (with any clash of the people already on it), pending
    offers and (``with_choices``) the eligible facilitators for each open role. A fixed
    number of queries for any number of sessions."""
    now = now or utcnow()
    # With choices, the facts cover every facilitator (so the people on the rosters too).
    facts = operations.load_facts(sessions) if with_choices else operations.load_facts(sessions, rostered=True)
    offers: dict[int, list[RosterOffer]] = {}
    ids = [s.id for s in sessions]
    if ids and with_choices:
        for offer in db.session.execute(
            select(RosterOffer)
            .where(RosterOffer.session_id.in_(ids), RosterOffer.status == OFFER_PENDING)
            .options(operations.person_of(RosterOffer.user))
            .order_by(RosterOffer.created_at, RosterOffer.id)
        ).scalars():
            offers.setdefault(offer.session_id, []).append(offer)
    rosters = []
    for session in sessions:
        on_roster = facts.assignments.get(session.id, [])
        needed = {n.role for n in session.course.roles_needed}
        over = session.ends_at <= now
        slots = []
        for need in session.course.roles_needed:
            slot = RoleSlot(
                role=need.role, label=operations.role_label(need.role), needed=need.count,
                assignments=[a for a in on_roster if a.role == need.role],
            )
            if with_choices and slot.missing and session.status == SCHEDULED and not over:
                for profile in facts.active_with_role(need.role):
                    reason = operations.refusal(session, profile.user, need.role, facts, now=now)
                    if reason is None:
                        slot.eligible.append(profile.user)
                    elif not any(a.user_id == profile.user_id for a in on_roster):
                        slot.not_offered.append((profile.user, reason))
            slots.append(slot)
        rosters.append(
            SessionRoster(
                session=session, slots=slots,
                extra=[a for a in on_roster if a.role not in needed],
                offers=offers.get(session.id, []),
                status=operations.status_in(session, facts),
                over=over,
            )
        )
    return rosters


def session_roster(session: CourseSession) -> SessionRoster:
    return build_rosters([session])[0]


# --- Co-delivery fidelity (/admin/rosters/fidelity) -----------------------------------------


@dataclass
class FidelityRow:
    label: str
    delivered: int = 0
    all_roles: int = 0
    with_peer: int = 0
    both: int = 0
    hint: str = ""
    course_id: int = 0  # rows per course only

    def add(self, all_roles: bool, with_peer: bool) -> None:
        self.delivered += 1
        self.all_roles += all_roles
        self.with_peer += with_peer
        self.both += all_roles and with_peer

    @staticmethod
    def pct(part: int, whole: int) -> str:
        return percent_text(part, whole, empty="–")

    @property
    def share(self) -> str:
        return self.pct(self.both, self.delivered)


@dataclass
class FidelityReport:
    total: FidelityRow
    by_term: list[FidelityRow]
    by_course: list[FidelityRow]
    by_term_and_course: list[tuple[FidelityRow, list[FidelityRow]]]


def delivered_condition(now: datetime):
    """Delivered: completed, or scheduled and already over (cancelled never counts)."""
    return or_(
        CourseSession.status == COMPLETED,
        and_(CourseSession.status == SCHEDULED, CourseSession.ends_at <= now),
    )


def fidelity_report(now: datetime | None = None, *,
                    between: tuple[datetime, datetime] | None = None) -> FidelityReport:
    """Share of delivered sessions whose roster covered every role the course needs and
    included a peer role, per course and per term. Three queries, whatever the data size.
    ``between``: only sessions starting in [first, last) (naive UTC), e.g. one term."""
    now = now or utcnow()
    condition = delivered_condition(now)
    if between is not None:
        condition = and_(condition, CourseSession.starts_at >= between[0], CourseSession.starts_at < between[1])
    delivered = db.session.execute(
        select(CourseSession.id, CourseSession.course_id, Course.title, CourseSession.starts_at)
        .join(Course, Course.id == CourseSession.course_id)
        .where(condition)
        .order_by(CourseSession.starts_at)
    ).all()
    needs: dict[int, dict[str, int]] = {}
    for course_id, role, count in db.session.execute(
        select(CourseRoleNeed.course_id, CourseRoleNeed.role, CourseRoleNeed.count)
    ):
        needs.setdefault(course_id, {})[role] = count
    covered: dict[int, dict[str, int]] = {}
    for session_id, role, n in db.session.execute(
        select(RosterAssignment.session_id, RosterAssignment.role, func.count())
        .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
        .where(condition)
        .group_by(RosterAssignment.session_id, RosterAssignment.role)
    ):
        covered.setdefault(session_id, {})[role] = n

    total = FidelityRow("All delivered sessions")
    terms: dict[Term, FidelityRow] = {}
    courses: dict[int, FidelityRow] = {}
    pairs: dict[Term, dict[int, FidelityRow]] = {}
    for session_id, course_id, title, starts_at in delivered:
        have = covered.get(session_id, {})
        all_roles = all(have.get(role, 0) >= count for role, count in needs.get(course_id, {}).items())
        with_peer = any(have.get(role, 0) > 0 for role in PEER_ROLES)
        key = session_term(starts_at)
        total.add(all_roles, with_peer)
        terms.setdefault(key, FidelityRow(key.short_label, hint=key.months)).add(all_roles, with_peer)
        courses.setdefault(course_id, FidelityRow(title, course_id=course_id)).add(all_roles, with_peer)
        pairs.setdefault(key, {}).setdefault(course_id, FidelityRow(title)).add(all_roles, with_peer)

    order = sorted(terms, key=lambda k: k.start, reverse=True)
    return FidelityReport(
        total=total,
        by_term=[terms[k] for k in order],
        by_course=sorted(courses.values(), key=lambda r: r.label.lower()),
        by_term_and_course=[
            (terms[k], sorted(pairs[k].values(), key=lambda r: r.label.lower())) for k in order
        ],
    )
