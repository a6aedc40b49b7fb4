"""Demo data for rosters (loaded by rec_portal/demo/__init__.py). Idempotent: adds only
what is missing. Flushes; the caller commits.

Facilitators for every role, a few days they cannot work, rosters for the demo sessions
(past ones complete; most upcoming ones complete; the next Staying Safe date still needs
a social worker, who has offered to cover it; dates more than eight weeks ahead not
rostered yet). Rosters are written once, on the run that creates the facilitators, so a
second run never fills the gaps that are there on purpose. No email is queued.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from rec_portal.demo.people import DEMO_FACILITATOR, make_person
from rec_portal.extensions import db
from rec_portal.models import (
    CourseSession,
    FacilitatorProfile,
    FacilitatorRole,
    RosterAssignment,
    RosterOffer,
    Unavailability,
    User,
    UserRole,
)
from rec_portal.models.accounts import FACILITATOR
from rec_portal.models.courses import CANCELLED, FACILITATOR_ROLES
from rec_portal.models.rosters import OFFER_PENDING
from rec_portal.rosters import operations
from rec_portal.timeutil import uk_today, utcnow

TRUST = "Anyshire and Wolds NHS Foundation Trust"
FORUM = "the peer-led mental health forum"

# (email, full name, preferred name, organisation, roles, bio). Sam Patel's account is the
# demo facilitator login (it already exists); the others are made here.
FACILITATORS = [
    (DEMO_FACILITATOR, "Sam Patel", "Sam", FORUM, ("peer_specialist",),
     ("Sam came to the Recovery Education Centre as a student, "
     "and has been a peer trainer for four years. Sam co-delivers Staying Safe and "
     "Introduction to Recovery.")),
    ("claire.donovan@example.org", "Claire Donovan", "Claire", "Anyshire Police", ("police_mh_coordinator",),
     ("Claire is the police Mental Health Co-ordinator for Anyshire. She helped write Staying "
     "Safe and answers questions about reporting a crime, without anyone giving their details.")),
    ("marcus.bell@example.org", "Marcus Bell", "Marcus", "Anyshire County Council adult social care",
     ("social_worker",),
     ("Marcus is a social worker in the adult safeguarding team. He co-delivers Staying Safe "
     "and the course for carers.")),
    ("leah.okoro@example.org", "Leah Okoro", "Leah", FORUM, ("peer_specialist",),
     ("Leah is a peer specialist who uses her own experience of anxiety and hearing voices in "
     "her teaching. She also runs the forum's Tuesday drop-in.")),
    ("tariq.aziz@example.org", "Tariq Aziz", "Tariq", FORUM, ("peer_specialist",),
     ("Tariq trained as a peer trainer at the REC after studying here himself. He loves the "
     "creative writing workshops.")),
    ("ravi.menon@example.org", "Ravi Menon", "Ravi", TRUST, ("clinician",),
     ("Ravi is a clinical psychologist in the trust's community team and has co-produced "
     "several REC courses with peer trainers.")),
    ("sarah.lind@example.org", "Sarah Lind", "Sarah", TRUST, ("clinician", "other"),
     ("Sarah is a mental health nurse and mindfulness teacher. She co-delivers the courses on "
     "sleep, stress and mindfulness.")),
    ("janet.moss@example.org", "Janet Moss", "Janet", FORUM, ("carer_peer", "other"),
     ("Janet cared for her son for many years and now supports other carers. She co-delivers "
     "the course for carers and the creative writing workshops.")),
]
POLICE = "claire.donovan@example.org"
SOCIAL_WORKER = "marcus.bell@example.org"

# Sessions more than this far ahead are not rostered yet (the demo shows gaps there).
ROSTERED_AHEAD = timedelta(weeks=8)


def load(users: dict, courses: dict) -> int:
    """Returns how many rows it added. `users` maps email -> User for every demo account;
    `courses` maps slug -> Course for every demo course."""
    added = 0
    people, created = _ensure_people(users)
    added += created
    made_profiles = _ensure_profiles(people)
    added += made_profiles
    # Rosters, days off and the offer come with the facilitators, on the same run.
    if made_profiles and POLICE in people and people[POLICE].facilitator is not None:
        sessions = _demo_sessions(courses)
        added += _days_off(people, sessions)
        added += _rosters(people, sessions)
        added += _offer(people, courses)
    db.session.flush()
    return added


def _ensure_people(users: dict) -> tuple[dict[str, User], int]:
    emails = [email for email, *_ in FACILITATORS]
    people = {
        u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()
    }
    people.update({e: users[e] for e in emails if e in users})
    created = 0
    for email, full_name, preferred, *_rest in FACILITATORS:
        if email in people:
            continue
        people[email] = make_person(email, full_name, preferred, (FACILITATOR,))
        created += 1
    db.session.flush()
    return people, created


def _ensure_profiles(people: dict[str, User]) -> int:
    made = 0
    for email, _name, _preferred, organisation, roles, bio in FACILITATORS:
        user = people.get(email)
        if user is None or not user.active or user.facilitator is not None:
            continue
        if db.session.get(FacilitatorProfile, user.id) is not None:
            continue
        profile = FacilitatorProfile(
            user_id=user.id, organisation=organisation, bio=bio, active=True,
            roles=[FacilitatorRole(role=r) for r in roles if r in FACILITATOR_ROLES],
        )
        db.session.add(profile)
        if not user.has_role(FACILITATOR):
            user.roles.append(UserRole(role=FACILITATOR))
        made += 1
    db.session.flush()
    for user in people.values():
        db.session.expire(user, ["facilitator"])
    return made


def _demo_sessions(courses: dict) -> list[CourseSession]:
    ids = [c.id for c in courses.values()]
    if not ids:
        return []
    return list(
        db.session.execute(
            select(CourseSession)
            .where(CourseSession.course_id.in_(ids), CourseSession.status != CANCELLED)
            .order_by(CourseSession.starts_at, CourseSession.id)
        ).scalars()
    )


def _days_off(people: dict[str, User], sessions: list[CourseSession]) -> int:
    """A few days each: Sam's are on days without sessions; Leah's and Ravi's fall on
    session days, so the roster page shows why they are not offered."""
    today = uk_today()
    wanted: list[tuple[str, object, str]] = []
    sam_days = [today + timedelta(days=n) for n in (17, 18)]
    wanted += [(DEMO_FACILITATOR, d, "Annual leave") for d in sam_days]
    upcoming = [s for s in sessions if s.starts_at > utcnow()]
    busy_days = [operations.session_days(s)[0] for s in upcoming]
    for email, n, note in (("leah.okoro@example.org", 2, "Hospital appointment"),
                           ("ravi.menon@example.org", 5, "Training day"),
                           ("marcus.bell@example.org", 9, "")):
        if n < len(busy_days):
            wanted.append((email, busy_days[n], note))
    added = 0
    for email, day, note in wanted:
        user = people.get(email)
        if user is None:
            continue
        exists = db.session.execute(
            select(Unavailability.id).where(Unavailability.user_id == user.id, Unavailability.day == day)
        ).first()
        if exists is None:
            db.session.add(Unavailability(user_id=user.id, day=day, note=note))
            added += 1
    db.session.flush()
    return added


def _rosters(people: dict[str, User], sessions: list[CourseSession]) -> int:
    """Past sessions fully rostered; upcoming ones up to eight weeks ahead filled in turn
    by whoever passes every rule; the first Staying Safe date keeps a gap."""
    now = utcnow()
    sam = people.get(DEMO_FACILITATOR)
    holders: dict[str, list[User]] = {}
    for email, *_rest, roles, _bio in FACILITATORS:
        user = people.get(email)
        if user is None or email == DEMO_FACILITATOR:
            continue
        for role in roles:
            holders.setdefault(role, []).append(user)
    turns = {role: itertools.count() for role in holders}
    first_staying_safe = next(
        (s for s in sessions if s.course.slug == "staying-safe" and s.starts_at > now), None
    )
    # Sam (also a student) delivers Staying Safe and Introduction to Recovery only.
    sam_courses = {"staying-safe", "introduction-to-recovery"}
    added = 0
    for session in sessions:
        if session.starts_at > now + ROSTERED_AHEAD:
            continue
        past = session.ends_at <= now
        for need in session.course.roles_needed:
            for _ in range(need.count):
                if session is first_staying_safe and need.role == "social_worker":
                    continue  # the gap the demo shows (Marcus has offered to cover it)
                others = holders.get(need.role, [])
                if others:  # each pick starts one further along, to share the work
                    n = next(turns[need.role]) % len(others)
                    others = others[n:] + others[:n]
                preferred = sam if session.course.slug in sam_courses and need.role == "peer_specialist" else None
                person = _pick(session, need.role, ([preferred] if preferred else []) + others, past)
                if person is None:
                    continue
                db.session.add(RosterAssignment(session_id=session.id, user_id=person.id, role=need.role))
                db.session.flush()
                added += 1
    return added


def _pick(session, role, candidates: list[User], past: bool) -> User | None:
    """The first candidate who passes every rule. Past sessions skip the 'already
    delivered' rule (their rosters are history)."""
    for person in candidates:
        facts = operations.load_facts([session], [person.id])
        if operations.refusal(session, person, role, facts, history=past) is None:
            return person
    return None


def _offer(people: dict[str, User], courses: dict) -> int:
    """Marcus offers to cover the social worker gap on the next Staying Safe date."""
    course = courses.get("staying-safe")
    marcus = people.get(SOCIAL_WORKER)
    if course is None or marcus is None:
        return 0
    session = db.session.execute(
        select(CourseSession)
        .where(CourseSession.course_id == course.id, CourseSession.starts_at > utcnow(),
               CourseSession.status == "scheduled")
        .order_by(CourseSession.starts_at)
    ).scalars().first()
    if session is None:
        return 0
    facts = operations.load_facts([session], [marcus.id])
    if operations.refusal(session, marcus, "social_worker", facts) is not None:
        return 0
    db.session.add(RosterOffer(session_id=session.id, user_id=marcus.id, role="social_worker",
                               status=OFFER_PENDING))
    db.session.flush()
    return 1
