"""Demo data for reaching everyone (loaded by rec_portal/demo/__init__.py): the phone-only
student's bookings, a place held for someone on a waiting list, and the staff call list.
Idempotent: adds nothing once the phone-only student has a booking. Flushes; the caller
commits. No email or text is left queued (the demo tells nobody); the call list keeps its
lines, because that is what staff would see.

- Brenda Hale (no email, no online account, prefers texts) was booked by the demo admin on
  the phone: a place on the next Staying Safe, and the waiting list of the full
  Understanding Anxiety date, behind the people already waiting.
- On the full WRAP date (two people waiting), someone booked gave up their place: it is
  held for the first person waiting until the hold ends (REC_OFFER_HOURS). They prefer a
  phone call, so the offer is a line on the staff call list (/admin/calls),
  and the session's bookings page shows the held place with "Accept for them".
- A second call-list line: a reminder for a person who asked for letters.
"""

from __future__ import annotations

from sqlalchemy import func, select

from rec_portal.bookings import notify
from rec_portal.bookings.operations import book_place, cancel_booking, tell_booked
from rec_portal.demo.people import DEMO_ADMIN, DEMO_PHONE_ONLY, DEMO_STUDENTS, student_email
from rec_portal.extensions import db
from rec_portal.models import Booking, Course, CourseSession, OutboxMessage, StudentProfile, User
from rec_portal.models.bookings import CONFIRMED, WAITLISTED
from rec_portal.models.courses import SCHEDULED
from rec_portal.timeutil import utcnow

# A landline from Ofcom's range for drama (never a real person's number).
CALLER_LANDLINE = "01632 960123"


def _next_session(courses: dict[str, Course], slug: str, now) -> CourseSession | None:
    course = courses.get(slug)
    if course is None:
        return None
    return db.session.execute(
        select(CourseSession)
        .where(CourseSession.course_id == course.id, CourseSession.status == SCHEDULED,
               CourseSession.individual.is_(False), CourseSession.starts_at > now)
        .order_by(CourseSession.starts_at, CourseSession.id)
        .limit(1)
    ).scalar_one_or_none()


def _prefer(person: User, preference: str, phone: str = "") -> None:
    profile = person.profile or StudentProfile(user_id=person.id)
    profile.contact_preference = preference
    if phone:
        profile.phone = phone
    db.session.add(profile)
    db.session.flush()


def load(users: dict[str, User], courses: dict[str, Course]) -> int:
    now = utcnow()
    brenda = db.session.execute(
        select(User).where(User.full_name == DEMO_PHONE_ONLY[0], User.email.is_(None))
    ).scalars().first()
    if brenda is None or db.session.execute(
        select(func.count()).select_from(Booking).where(Booking.student_id == brenda.id)
    ).scalar_one():
        return 0
    admin = users[DEMO_ADMIN]
    last_message = db.session.execute(select(func.max(OutboxMessage.id))).scalar_one() or 0
    added = 0

    # Brenda, booked by staff on the phone.
    for slug in ("staying-safe", "understanding-anxiety"):
        session = _next_session(courses, slug, now)
        if session is not None:
            tell_booked(book_place(session.id, brenda, made_by=admin, now=now))
            added += 1

    # A place held for the first person waiting on the full WRAP date (they prefer a call).
    wrap = _next_session(courses, "wrap", now)
    if wrap is not None:
        waiting = db.session.execute(
            select(Booking).where(Booking.session_id == wrap.id, Booking.status == WAITLISTED)
            .order_by(Booking.queued_at, Booking.id)
        ).scalars().first()
        leaving = db.session.execute(
            select(Booking).where(Booking.session_id == wrap.id, Booking.status == CONFIRMED)
            .order_by(Booking.queued_at.desc(), Booking.id.desc())
        ).scalars().first()
        if waiting is not None and leaving is not None:
            _prefer(waiting.student, "phone", CALLER_LANDLINE)
            cancel_booking(leaving.id, now=now)
            added += 2

    # A reminder for someone who asked for letters, on their next place: the last of the
    # demo students (by the list's order) who has one.
    for name, _ in reversed(DEMO_STUDENTS):
        writer = users.get(student_email(name))
        booking = writer and db.session.execute(
            select(Booking).join(CourseSession, CourseSession.id == Booking.session_id)
            .where(Booking.student_id == writer.id, Booking.status == CONFIRMED,
                   CourseSession.starts_at > now)
            .order_by(CourseSession.starts_at)
        ).scalars().first()
        if booking is not None:
            _prefer(writer, "letter")
            notify.reminder(booking)
            added += 1
            break

    # The demo tells nobody: drop what the operations queued (the call list stays).
    db.session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.id > last_message))
    db.session.flush()
    return added
