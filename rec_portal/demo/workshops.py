"""Demo data for individual workshops (loaded by rec_portal/demo/__init__.py). Idempotent: adds nothing
once there is a workshop request. Flushes; the caller commits. No email is left queued.

Requests in every state, on Staying Safe and Understanding Anxiety:
- new (two): Aisha Khan (Staying Safe, by phone) and Ben Carter (Understanding Anxiety);
- arranged: the demo student, Understanding Anxiety, an upcoming individual session with a
  full roster (made by the real ``arrange`` rules);
- completed: Daniel Okafor, Staying Safe, a past individual session whose register was
  taken (he was there: his certificate and the feedback form are in his My courses);
- closed: Emily Hughes, Understanding Anxiety, with the reason as a note.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from rec_portal.demo.people import DEMO_ADMIN, DEMO_STUDENT, student_email
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import Booking, FacilitatorProfile, OutboxMessage, User, WorkshopRequest
from rec_portal.models.bookings import ADMIN as MADE_BY_ADMIN
from rec_portal.models.bookings import CONFIRMED
from rec_portal.timeutil import uk_to_utc, uk_today, utcnow
from rec_portal.workshops import operations

STAYING_SAFE = "staying-safe"
ANXIETY = "understanding-anxiety"


def _candidates(first_day, days: int, hours=(10, 14)):
    for n in range(days):
        for hour in hours:
            yield uk_to_utc(first_day + timedelta(days=n), time(hour, 0))


def _facilitators_for(course, session_start: datetime, *, history: bool = False) -> list[tuple[str, int]]:
    """One active facilitator per role the course needs, by name order (rules checked later)."""
    chosen: list[tuple[str, int]] = []
    profiles = list(db.session.execute(
        select(FacilitatorProfile).where(FacilitatorProfile.active.is_(True)).order_by(FacilitatorProfile.user_id)
    ).scalars())
    for need in course.roles_needed:
        holders = [p.user_id for p in profiles if need.role in p.role_codes]
        for n in range(need.count):
            if holders:
                chosen.append((need.role, holders[(n + session_start.day) % len(holders)]))
    return chosen


def _arrange_somewhere(req: WorkshopRequest, admin: User, first_day, now: datetime):
    """Arrange ``req`` at the first time in the next two weeks from ``first_day`` that
    every rule accepts (the student's bookings, the facilitators' days off and rosters)."""
    for start in _candidates(first_day, 14):
        plan = operations.Arrangement(
            starts_at=start, ends_at=start + timedelta(hours=2),
            venue="Recovery Education Centre, 14 Market Street, Anyshire\nQuiet room (ground floor)",
            facilitators=tuple(_facilitators_for(req.course, start)),
        )
        try:
            with db.session.begin_nested():
                return operations.arrange(req, plan, admin, now=now)
        except DomainError:
            continue
    return None


def _completed_workshop(req: WorkshopRequest, admin: User, now: datetime) -> bool:
    """A past individual session, delivered: roster (as history), booking, register taken."""
    from rec_portal.attendance.operations import complete_if_done, record_attendance
    from rec_portal.scheduling.operations import DateRange, schedule_session
    from rec_portal.rosters.operations import assign_facilitator

    first_day = uk_today(now) - timedelta(days=30)
    for start in _candidates(first_day, 14):
        try:
            with db.session.begin_nested():
                session = schedule_session(
                    req.course, dates=[DateRange(start, start + timedelta(hours=2))], capacity=1,
                    venue="Recovery Education Centre, 14 Market Street, Anyshire\nQuiet room (ground floor)",
                    booking_closes_at=start - timedelta(days=7), allow_past=True,
                )
                session.individual = True
                booking = Booking(
                    session_id=session.id, student_id=req.student_id, status=CONFIRMED, made_by=MADE_BY_ADMIN,
                    made_by_user_id=admin.id, queued_at=start - timedelta(days=7),
                    confirmed_at=start - timedelta(days=7),
                )
                db.session.add(booking)
                db.session.flush()
                people = []
                for role, user_id in _facilitators_for(req.course, start):
                    person = db.session.get(User, user_id)
                    assign_facilitator(session, person, role, admin, history=True)
                    people.append(person)
                req.session = session
                req.status = "arranged"
                req.arranged_at = start - timedelta(days=7)
                req.notes.append(_note(admin, f"Arranged by phone with {req.student.preferred_name or 'them'}: "
                                       "a morning in the quiet room.", start - timedelta(days=7)))
                db.session.flush()
                record_attendance(session.dates[0], booking, "present", people[0] if people else admin,
                                  now=session.ends_at + timedelta(minutes=10))
                complete_if_done(session, now=session.ends_at + timedelta(minutes=10))
                return True
        except DomainError:
            continue
    return False


def _note(author: User, text: str, when: datetime):
    from rec_portal.models import WorkshopRequestNote

    return WorkshopRequestNote(text=text, author_id=author.id, created_at=when)


def load(users: dict, courses: dict) -> int:
    """Returns how many requests it added. ``users`` maps email -> User for every demo
    account; ``courses`` maps slug -> Course for every demo course."""
    if db.session.execute(select(func.count()).select_from(WorkshopRequest)).scalar_one():
        return 0
    admin = users.get(DEMO_ADMIN)
    safe, anxiety = courses.get(STAYING_SAFE), courses.get(ANXIETY)
    if admin is None or safe is None or anxiety is None:
        return 0
    people = {name: users.get(student_email(name)) for name in
              ("Aisha Khan", "Ben Carter", "Daniel Okafor", "Emily Hughes")}
    people["demo"] = users.get(DEMO_STUDENT)
    if any(p is None for p in people.values()):
        return 0
    now = utcnow()
    last_message = db.session.execute(select(func.max(OutboxMessage.id))).scalar_one() or 0
    made = []

    def ask(person, course, days_ago, **answers):
        req = WorkshopRequest(student_id=person.id, course_id=course.id, status="new",
                              created_at=now - timedelta(days=days_ago), **answers)
        req.student, req.course = person, course
        db.session.add(req)
        made.append(req)
        return req

    ask(people["Aisha Khan"], safe, 2, why_not_group="I get panicky in rooms full of people I do not know.",
        what_would_help="Somewhere quiet, and being able to bring my sister.",
        availability="Weekday mornings, not Mondays.", contact_method="phone", contact_detail="07700 900101")
    ben = ask(people["Ben Carter"], anxiety, 5, why_not_group="I work shifts, so the group dates never fit.",
              what_would_help="An online session would be easiest.", availability="Any afternoon on my days off.",
              contact_method="email", contact_detail=people["Ben Carter"].email)
    ben.notes.append(_note(admin, "Emailed to ask which days off he has next month.", now - timedelta(days=4)))
    demo = ask(people["demo"], anxiety, 12, why_not_group="", what_would_help="A break halfway through.",
               availability="Tuesdays or Thursdays.", contact_method="email", contact_detail=people["demo"].email)
    daniel = ask(people["Daniel Okafor"], safe, 45, why_not_group="I am a carer and cannot leave home for long.",
                 what_would_help="A short session near home.", availability="Mornings while my dad is at day care.",
                 contact_method="text", contact_detail="07700 900102")
    emily = ask(people["Emily Hughes"], anxiety, 20, why_not_group="", what_would_help="",
                availability="Evenings.", contact_method="email", contact_detail=people["Emily Hughes"].email)
    db.session.flush()

    demo.notes.append(_note(admin, "Spoke on the phone: a Tuesday or Thursday morning suits.", now - timedelta(days=10)))
    db.session.flush()
    _arrange_somewhere(demo, admin, uk_today(now) + timedelta(days=16), now)
    _completed_workshop(daniel, admin, now)
    emily.notes.append(_note(admin, "Closed: Emily has booked a place on the next group course instead and is "
                             "happy with that.", now - timedelta(days=15)))
    emily.status, emily.closed_at = "closed", now - timedelta(days=15)
    db.session.flush()
    # The demo's emails (confirmation, roster, feedback invitations) are not left to send.
    db.session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.id > last_message))
    db.session.flush()
    return len(made)
