"""Roster rules: who may cover which role on which session. Operations flush, never commit,
and raise DomainError with a message fit for a person.

The rules are written once, in :func:`refusal`, over a :class:`RosterFacts` snapshot (the
facilitators' profiles, unavailable days, other roster places and this session's roster).
``assign_facilitator`` and ``offer_to_cover`` load the facts for one person;
the roster page loads them for every facilitator and every session in view with a fixed
number of queries and asks the same function who is eligible.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import render_template
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import (
    Course,
    CourseSession,
    FacilitatorProfile,
    FacilitatorRole,
    RosterAssignment,
    RosterOffer,
    SessionDate,
    Unavailability,
    User,
)
from rec_portal.models.accounts import ADMIN, FACILITATOR, UserRole
from rec_portal.models.courses import (
    CANCELLED,
    COMPLETED,
    FACILITATOR_ROLE_LABELS,
    FACILITATOR_ROLES,
    SCHEDULED,
    lock_session,
)
from rec_portal.models.rosters import (
    BIO_MAX,
    OFFER_ACCEPTED,
    OFFER_DECLINED,
    OFFER_PENDING,
    OFFER_WITHDRAWN,
    PEER_ROLES,
)
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import format_uk, to_uk, utcnow

SUBJECT = "Recovery Education Centre session"


def role_label(role: str) -> str:
    return FACILITATOR_ROLE_LABELS.get(role, role)


# --- Dates --------------------------------------------------------------------------------

def uk_days(start: datetime, end: datetime) -> list[date]:
    """Every UK calendar day a date (start to end, naive UTC) touches."""
    first = to_uk(start).date()
    last = to_uk(end - timedelta(seconds=1)).date() if end > start else first
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def session_days(session: CourseSession) -> list[date]:
    days: list[date] = []
    for d in session.dates:
        days += [day for day in uk_days(d.starts_at, d.ends_at) if day not in days]
    return sorted(days)


def _date_spans(session: CourseSession) -> list[tuple[datetime, datetime]]:
    if session.dates:
        return [(d.starts_at, d.ends_at) for d in session.dates]
    return [(session.starts_at, session.ends_at)]


# --- Status -------------------------------------------------------------------------------

@dataclass
class Clash:
    """Someone already on a roster who now cannot do it: a day they cannot work, or
    another of their sessions at the same time."""

    assignment: RosterAssignment
    reason: str


@dataclass
class RosterStatus:
    """``complete`` when every role the course needs has enough people and nobody on the
    roster has a clash; ``missing``: (role, label, how many more people) for each role that
    is short; ``clashes``: people on the roster who now cannot do it."""

    missing: list[tuple[str, str, int]] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.clashes

    @property
    def label(self) -> str:
        """Complete; Gaps (a role is short); Check (covered, but someone has a clash)."""
        return "Complete" if self.complete else "Gaps" if self.missing else "Check"

    @property
    def missing_text(self) -> str:
        """The roles still to cover, then any role whose person has a clash."""
        parts = [label + (f" ({n} more)" if n > 1 else "") for _r, label, n in self.missing]
        parts += [f"{c.assignment.role_label} ({c.assignment.user.full_name} has a clash)" for c in self.clashes]
        return ", ".join(parts)


def status_in(session: CourseSession, facts: RosterFacts) -> RosterStatus:
    """The status of a roster from facts already loaded (no queries): the course's needs,
    its assignments and, while the session is scheduled, any clash of the people on it."""
    assignments = facts.assignments.get(session.id, [])
    covered: dict[str, int] = defaultdict(int)
    for a in assignments:
        covered[a.role] += 1
    clashes = []
    if session.status == SCHEDULED:
        for a in assignments:
            reason = clash(session, a.user, facts)
            if reason:
                clashes.append(Clash(a, reason))
    return RosterStatus(
        missing=[
            (need.role, role_label(need.role), need.count - covered[need.role])
            for need in session.course.roles_needed
            if covered[need.role] < need.count
        ],
        clashes=clashes,
    )


def roster_status(session: CourseSession) -> RosterStatus:
    """Complete, or gaps with the roles still missing and any clash."""
    return status_in(session, load_facts([session], rostered=True))


def _assignments_of_session(session_id: int) -> list[RosterAssignment]:
    return list(
        db.session.execute(
            select(RosterAssignment)
            .where(RosterAssignment.session_id == session_id)
            .options(joinedload(RosterAssignment.user))
            .order_by(RosterAssignment.role, RosterAssignment.assigned_at, RosterAssignment.id)
        ).scalars()
    )


# --- Facts and rules ----------------------------------------------------------------------

@dataclass
class Busy:
    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class RosterFacts:
    """What the rules need to know, loaded once for a set of sessions and people."""

    profiles: dict[int, FacilitatorProfile]
    unavailable: dict[int, dict[date, str]]
    busy: dict[int, list[Busy]]
    assignments: dict[int, list[RosterAssignment]]

    def active_with_role(self, role: str) -> list[FacilitatorProfile]:
        return sorted(
            (p for p in self.profiles.values() if p.active and role in p.role_codes),
            key=lambda p: (p.user.full_name.lower(), p.user_id),
        )


def person_of(relationship):
    """Eager-load a related person for display: their name and facilitator profile, not
    their account roles or enrolment details (those load only if something reads them)."""
    return joinedload(relationship).options(lazyload(User.roles), lazyload(User.profile))


def load_facts(
    sessions: list[CourseSession], user_ids: list[int] | None = None, *, rostered: bool = False
) -> RosterFacts:
    """Facts for ``sessions`` about ``user_ids`` (None: every active facilitator, and the
    days off and other places of everyone). ``rostered``: only about the people already on
    these sessions' rosters, without profiles (enough to check them for clashes). Four
    queries at most (plus the fixed eager loads of profiles), whatever the numbers."""
    spans = [span for s in sessions for span in _date_spans(s)]
    ids = [s.id for s in sessions]
    on_rosters = select(RosterAssignment.user_id).where(RosterAssignment.session_id.in_(ids))
    profiles: dict[int, FacilitatorProfile] = {}
    if not rostered:
        profiles_q = select(FacilitatorProfile).options(person_of(FacilitatorProfile.user))
        if user_ids is None:
            profiles_q = profiles_q.where(FacilitatorProfile.active.is_(True))
        else:
            profiles_q = profiles_q.where(FacilitatorProfile.user_id.in_(user_ids))
        profiles = {p.user_id: p for p in db.session.execute(profiles_q).scalars()}

    unavailable: dict[int, dict[date, str]] = defaultdict(dict)
    busy: dict[int, list[Busy]] = defaultdict(list)
    if spans and (user_ids is None or user_ids or rostered):
        first = min(s for s, _e in spans)
        last = max(e for _s, e in spans)
        days_q = select(Unavailability.user_id, Unavailability.day, Unavailability.note).where(
            Unavailability.day >= to_uk(first).date() - timedelta(days=1),
            Unavailability.day <= to_uk(last).date() + timedelta(days=1),
        )
        busy_q = (
            select(
                RosterAssignment.user_id, RosterAssignment.session_id, Course.title,
                SessionDate.starts_at, SessionDate.ends_at,
            )
            .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
            .join(Course, Course.id == CourseSession.course_id)
            .join(SessionDate, SessionDate.session_id == CourseSession.id)
            .where(
                CourseSession.status != CANCELLED,
                SessionDate.starts_at < last,
                SessionDate.ends_at > first,
            )
        )
        if rostered:
            days_q = days_q.where(Unavailability.user_id.in_(on_rosters))
            busy_q = busy_q.where(RosterAssignment.user_id.in_(on_rosters))
        elif user_ids is not None:
            days_q = days_q.where(Unavailability.user_id.in_(user_ids))
            busy_q = busy_q.where(RosterAssignment.user_id.in_(user_ids))
        for user_id, day, note in db.session.execute(days_q):
            unavailable[user_id][day] = note
        for user_id, session_id, title, starts_at, ends_at in db.session.execute(busy_q):
            busy[user_id].append(Busy(session_id, title, starts_at, ends_at))

    assignments: dict[int, list[RosterAssignment]] = defaultdict(list)
    if ids:
        for a in db.session.execute(
            select(RosterAssignment)
            .where(RosterAssignment.session_id.in_(ids))
            .options(person_of(RosterAssignment.user))
            .order_by(RosterAssignment.assigned_at, RosterAssignment.id)
        ).scalars():
            assignments[a.session_id].append(a)
    return RosterFacts(profiles, unavailable, busy, assignments)


def refusal(
    session: CourseSession, user: User, role: str, facts: RosterFacts, *, you: bool = False,
    history: bool = False, now: datetime | None = None,
) -> str | None:
    """Why ``user`` cannot cover ``role`` on ``session`` (None: they can). ``you``: the
    message speaks to the facilitator instead of about them. ``history``: recording who
    delivered a session that is over (demo data), so a session that is over or completed
    is allowed."""
    name = user.full_name
    if session.status == CANCELLED:
        return "This session has been cancelled, so it needs no facilitators."
    if session.status == COMPLETED and not history:
        return "This session has already been delivered, so its roster cannot change."
    if not history and session.ends_at <= (now or utcnow()):
        return "This session is over, so its roster cannot change."
    if role not in FACILITATOR_ROLES:
        return "Choose a facilitator role from the list."
    label = role_label(role)
    needs = {n.role: n.count for n in session.course.roles_needed}
    if role not in needs:
        return f"{session.course.title} does not need anyone in the role “{label}”."
    profile = facts.profiles.get(user.id)
    if profile is None:
        return ("You do not have a facilitator profile. Ask the REC team to add one." if you
                else f"{name} does not have a facilitator profile. Add one on the Facilitators page first.")
    if not profile.active:
        return ("Your facilitator profile is not active. Ask the REC team about it." if you
                else f"{name}’s facilitator profile is not active.")
    if role not in profile.role_codes:
        return (f"You do not hold the role “{label}”." if you
                else f"{name} does not hold the role “{label}”.")
    roster = facts.assignments.get(session.id, [])
    mine = next((a for a in roster if a.user_id == user.id), None)
    if mine is not None:
        return (f"You are already on this session’s roster, as {mine.role_label}." if you
                else f"{name} is already on this session’s roster, as {mine.role_label}.")
    taken = sum(1 for a in roster if a.role == role)
    if taken >= needs[role]:
        if needs[role] == 1:
            return f"The role “{label}” is already covered on this session."
        return f"The role “{label}” already has the {needs[role]} people this session needs."
    return clash(session, user, facts, you=you)


def clash(session: CourseSession, user: User, facts: RosterFacts, *, you: bool = False) -> str | None:
    """Why ``user`` cannot be at ``session`` (None: they can): a day they cannot work on
    any of its dates, or another of their sessions at the same time. The same check keeps
    people off a roster and flags people already on one."""
    name = user.full_name
    off = facts.unavailable.get(user.id, {})
    for day in session_days(session):
        if day in off:
            return (f"You marked {format_uk(day)} as a day you cannot work." if you
                    else f"{name} marked {format_uk(day)} as a day they cannot work.")
    for other in facts.busy.get(user.id, []):
        if other.session_id == session.id:
            continue
        for start, end in _date_spans(session):
            if other.starts_at < end and start < other.ends_at:
                when = format_uk(other.starts_at)
                return (f"You are already on the roster of {other.title} at that time ({when})." if you
                        else f"{name} is already on the roster of {other.title} at that time ({when}).")
    return None


def eligible_in(session: CourseSession, role: str, facts: RosterFacts) -> list[User]:
    """Facilitators who pass every rule (from facts already loaded)."""
    return [p.user for p in facts.active_with_role(role) if refusal(session, p.user, role, facts) is None]


def eligible_facilitators(session: CourseSession, role: str) -> list[User]:
    """Active facilitators holding ``role`` who could cover it on ``session`` now."""
    return eligible_in(session, role, load_facts([session]))


def _check(session: CourseSession, user: User, role: str, *, you: bool = False, history: bool = False) -> None:
    reason = refusal(session, user, role, load_facts([session], [user.id]), you=you, history=history)
    if reason:
        raise DomainError(reason, field="user_id")


def _lock(session: CourseSession) -> CourseSession:
    """Hold the session row until the transaction ends, so two people filling the last
    place in a role at once cannot both succeed."""
    return lock_session(session.id) or session


def _lock_person(user: User) -> None:
    """Hold the person's facilitator profile row until the transaction ends (always after
    the session's, never before), so the same person cannot be put on two sessions at the
    same time, or mark a day off while being put on a roster for it, by two requests at
    once: the second waits, then sees what the first did."""
    db.session.execute(
        select(FacilitatorProfile).where(FacilitatorProfile.user_id == user.id).with_for_update()
    ).first()


# --- Changes ------------------------------------------------------------------------------

def _assign(session: CourseSession, user: User, role: str, by: User | None, *,
            history: bool = False) -> RosterAssignment:
    session = _lock(session)
    _lock_person(user)
    _check(session, user, role, history=history)
    assignment = RosterAssignment(
        session_id=session.id, user_id=user.id, role=role,
        assigned_by_id=getattr(by, "id", None),
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def _settle_other_offers(session: CourseSession, role: str, by: User | None) -> list[RosterOffer]:
    """Once ``role`` has every person ``session`` needs, the other pending offers for it
    are withdrawn and the people who made them are told (calmly: nothing for them to do)."""
    need = next((n.count for n in session.course.roles_needed if n.role == role), 0)
    taken = db.session.execute(
        select(func.count()).select_from(RosterAssignment).where(
            RosterAssignment.session_id == session.id, RosterAssignment.role == role,
        )
    ).scalar_one()
    if taken < need:
        return []
    stale = list(
        db.session.execute(
            select(RosterOffer)
            .where(RosterOffer.session_id == session.id, RosterOffer.role == role,
                   RosterOffer.status == OFFER_PENDING)
            .options(joinedload(RosterOffer.user))
            .order_by(RosterOffer.id)
        ).scalars()
    )
    for offer in stale:
        _decided(offer, OFFER_WITHDRAWN, by)
    db.session.flush()
    for offer in stale:
        _tell(offer.user, "about your offer to cover", "emails/roster_offer_declined.txt",
              session=session, role=offer.role_label)
    return stale


def assign_facilitator(session: CourseSession, user: User, role: str, by: User | None, *,
                       history: bool = False) -> RosterAssignment:
    """Put ``user`` on ``session``'s roster as ``role``; they are told by email. An offer
    they had made for this session is settled (accepted for this role, else withdrawn);
    once the role is covered, other people's offers for it are withdrawn. A session that
    is over is refused unless ``history`` (recording who delivered it, as the demo does)."""
    assignment = _assign(session, user, role, by, history=history)
    for offer in db.session.execute(
        select(RosterOffer).where(
            RosterOffer.session_id == session.id, RosterOffer.user_id == user.id,
            RosterOffer.status == OFFER_PENDING,
        )
    ).scalars():
        _decided(offer, OFFER_ACCEPTED if offer.role == role else OFFER_WITHDRAWN, by)
    db.session.flush()
    _tell(user, "you are on the roster", "emails/roster_assigned.txt", session=session, role=role_label(role))
    _settle_other_offers(session, role, by)
    return assignment


def assign_chosen(session: CourseSession, user_id: int, role: str, by: User | None) -> RosterAssignment:
    """``assign_facilitator`` for the person chosen on the roster page by their id; an id
    that is nobody's is refused as no choice."""
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise DomainError("Choose who will cover this role", field="user_id")
    return assign_facilitator(session, user, role, by)


def remove_assignment(assignment: RosterAssignment, by: User | None) -> None:
    """Take someone off a roster; they are told by email."""
    session = assignment.session
    if session.status == COMPLETED:
        raise DomainError("This session has already been delivered, so its roster cannot change.")
    user, label = assignment.user, assignment.role_label
    db.session.delete(assignment)
    db.session.flush()
    if session.status == SCHEDULED:
        _tell(user, "you are no longer on the roster", "emails/roster_removed.txt", session=session, role=label)


def offer_to_cover(session: CourseSession, user: User, role: str) -> RosterOffer:
    """A facilitator offers to cover an open role (the same rules as assigning; an admin
    confirms or declines). Messages speak to the facilitator. A session that has started
    takes no offers, nor does an individual workshop (the REC team chooses who runs it)."""
    now = utcnow()
    if session.individual:
        raise DomainError("This is an individual workshop, arranged by the REC team, so it does not take "
                          "offers to cover.", field="role")
    if session.starts_at <= now:
        raise DomainError("This session has already started, so it cannot take offers to cover.",
                          field="role")
    session = _lock(session)
    _lock_person(user)
    pending = db.session.execute(
        select(RosterOffer.id).where(
            RosterOffer.session_id == session.id, RosterOffer.user_id == user.id,
            RosterOffer.status == OFFER_PENDING,
        )
    ).first()
    if pending is not None:
        raise DomainError(
            "You have already offered to cover this session. The REC team will let you know.",
            field="role",
        )
    reason = refusal(session, user, role, load_facts([session], [user.id]), you=True, now=now)
    if reason:
        raise DomainError(reason, field="role")
    offer = RosterOffer(session_id=session.id, user_id=user.id, role=role, status=OFFER_PENDING)
    db.session.add(offer)
    db.session.flush()
    return offer


def _decided(offer: RosterOffer, status: str, by: User | None) -> None:
    offer.status = status
    offer.decided_at = utcnow()
    offer.decided_by_id = getattr(by, "id", None)


def _pending(offer: RosterOffer) -> None:
    if offer.status != OFFER_PENDING:
        raise DomainError(f"This offer has already been {offer.status}.")


def accept_offer(offer: RosterOffer, by: User | None) -> RosterAssignment:
    """Confirm an offer: the rules are checked again, then the person is on the roster
    (and, once the role is covered, the other offers for it are withdrawn)."""
    _pending(offer)
    assignment = _assign(offer.session, offer.user, offer.role, by)
    _decided(offer, OFFER_ACCEPTED, by)
    db.session.flush()
    _tell(offer.user, "your offer to cover is confirmed", "emails/roster_offer_accepted.txt",
          session=offer.session, role=offer.role_label)
    _settle_other_offers(offer.session, offer.role, by)
    return assignment


def decline_offer(offer: RosterOffer, by: User | None) -> None:
    _pending(offer)
    _decided(offer, OFFER_DECLINED, by)
    db.session.flush()
    _tell(offer.user, "about your offer to cover", "emails/roster_offer_declined.txt",
          session=offer.session, role=offer.role_label)


def notify_roster_of_change(session: CourseSession, what) -> int:
    """Tell everyone on ``session``'s roster that it changed (``what``: the list of
    changes, or "cancelled"). A cancelled session's pending offers are withdrawn.
    Returns how many people were told."""
    cancelled = what == "cancelled" or session.status == CANCELLED
    people = _assignments_of_session(session.id)
    for a in people:
        if cancelled:
            _tell(a.user, "cancelled", "emails/roster_session_cancelled.txt", session=session, role=a.role_label)
        else:
            changes = [what] if isinstance(what, str) else list(what)
            _tell(a.user, "details changed", "emails/roster_session_changed.txt", session=session,
                  role=a.role_label, changes=changes)
    if cancelled:
        for offer in db.session.execute(
            select(RosterOffer).where(RosterOffer.session_id == session.id, RosterOffer.status == OFFER_PENDING)
        ).scalars():
            _decided(offer, OFFER_WITHDRAWN, None)
    db.session.flush()
    return len(people)


def session_details(session: CourseSession) -> list[str]:
    lines = [f"- {format_uk(d.starts_at)} to {format_uk(d.ends_at)}" for d in session.dates]
    lines.append(f"Where: {session.venue or 'Online'}")
    return lines


def _tell(user: User, subject: str, template: str, **context) -> None:
    queue_email(
        to=user.email, user=user, subject=f"{SUBJECT}: {subject}",
        body=render_template(template, person=user, details=session_details(context["session"]), **context),
    )


# --- Facilitator profiles -----------------------------------------------------------------

def save_profile(
    admin: User, person: User, *, organisation: str, roles: list[str], bio: str, active: bool
) -> tuple[FacilitatorProfile, bool]:
    """Create or change ``person``'s facilitator profile. Creating one also gives them the
    facilitator account role. Returns (profile, created)."""
    from rec_portal.admin.operations import set_roles

    wanted = [r for r in FACILITATOR_ROLES if r in set(roles)]
    if not wanted or len(wanted) != len(set(roles)):
        raise DomainError("Choose at least one facilitator role from the list", field="roles")
    organisation = (organisation or "").strip()
    if not organisation:
        raise DomainError("Enter the organisation they work or volunteer for", field="organisation")
    bio = (bio or "").strip()
    if len(bio) > BIO_MAX:
        raise DomainError(f"The bio must be {BIO_MAX:,} characters or fewer. It is {len(bio):,} now.", field="bio")
    profile = db.session.get(FacilitatorProfile, person.id)
    created = profile is None
    if created:
        if not person.active or person.anonymised_at is not None:
            raise DomainError(
                "This account is disabled. Re-enable it on the People page first", field="organisation"
            )
        profile = FacilitatorProfile(user_id=person.id)
        db.session.add(profile)
    changed = created or (
        profile.organisation != organisation or (profile.bio or "") != (bio or "").strip()
        or profile.active != active
    )
    profile.organisation = organisation
    profile.bio = (bio or "").strip()
    profile.active = active
    current = {r.role: r for r in profile.roles}
    for role in wanted:
        if role not in current:
            profile.roles.append(FacilitatorRole(role=role))
            if not created:
                audit.record(audit.ROLE_GRANTED, actor=admin, subject=person, detail=f"facilitator role {role}")
    for role, link in current.items():
        if role not in wanted:
            profile.roles.remove(link)
            audit.record(audit.ROLE_REMOVED, actor=admin, subject=person, detail=f"facilitator role {role}")
    if created:
        audit.record(audit.ROLE_GRANTED, actor=admin, subject=person,
                     detail="facilitator profile created: " + ", ".join(wanted))
    elif changed:
        audit.record(audit.DETAILS_CHANGED, actor=admin, subject=person, detail="facilitator profile changed")
    if not person.has_role(FACILITATOR):
        set_roles(admin, person, person.role_names | {FACILITATOR})
    db.session.flush()
    return profile, created


def set_profile_active(admin: User, profile: FacilitatorProfile, active: bool) -> int:
    """Deactivate or reactivate a facilitator. Returns how many upcoming roster places the
    person still has (deactivating does not remove them: the admin decides)."""
    if profile.active == active:
        raise DomainError(
            "This facilitator is already active." if active else "This facilitator is already inactive."
        )
    profile.active = active
    audit.record(
        audit.ROLE_GRANTED if active else audit.ROLE_REMOVED, actor=admin, subject=profile.user,
        detail="facilitator profile " + ("reactivated" if active else "deactivated"),
    )
    db.session.flush()
    return len(upcoming_places(profile.user_id))


def upcoming_places(user_id: int, now: datetime | None = None) -> list[RosterAssignment]:
    now = now or utcnow()
    return list(
        db.session.execute(
            select(RosterAssignment)
            .join(CourseSession, CourseSession.id == RosterAssignment.session_id)
            .where(
                RosterAssignment.user_id == user_id, CourseSession.ends_at > now,
                CourseSession.status == SCHEDULED,
            )
            .options(joinedload(RosterAssignment.session).joinedload(CourseSession.course))
            .order_by(CourseSession.starts_at)
        ).scalars()
    )


# --- Alerts -------------------------------------------------------------------------------

ALERT_WINDOW = timedelta(days=7)


def send_roster_alerts(now: datetime | None = None) -> tuple[int, int]:
    """Sessions starting within a week, scheduled, with gaps (a role short, or someone on
    the roster with a clash) and not flagged yet: one email
    to each active admin listing them; each is then marked as flagged. Safe to repeat.
    Returns (sessions flagged, admins told)."""
    now = now or utcnow()
    sessions = list(
        db.session.execute(
            select(CourseSession)
            .join(Course, Course.id == CourseSession.course_id)
            .where(
                CourseSession.status == SCHEDULED,
                CourseSession.starts_at > now,
                CourseSession.starts_at <= now + ALERT_WINDOW,
                CourseSession.roster_alert_sent_at.is_(None),
            )
            .options(joinedload(CourseSession.course))
            .order_by(CourseSession.starts_at, CourseSession.id)
        ).scalars()
    )
    if not sessions:
        return 0, 0
    facts = load_facts(sessions, rostered=True)
    gaps = [(s, status_in(s, facts)) for s in sessions]
    gaps = [(s, st) for s, st in gaps if not st.complete]
    if not gaps:
        return 0, 0
    admins = list(
        db.session.execute(
            select(User)
            .where(User.active.is_(True), User.roles.any(UserRole.role == ADMIN))
            .order_by(User.id)
        ).scalars()
    )
    if not admins:  # not marked: the alert goes out once there is an admin to read it
        return len(gaps), 0
    for admin in admins:
        queue_email(
            to=admin.email, user=admin,
            subject=f"Recovery Education Centre rosters: {len(gaps)} "
                    + ("session needs" if len(gaps) == 1 else "sessions need") + " facilitators",
            body=render_template("emails/roster_alert.txt", person=admin, gaps=gaps),
        )
    for s, _st in gaps:
        s.roster_alert_sent_at = now
    db.session.flush()
    return len(gaps), len(admins)


# --- Fidelity -----------------------------------------------------------------------------

def is_peer(role: str) -> bool:
    return role in PEER_ROLES
