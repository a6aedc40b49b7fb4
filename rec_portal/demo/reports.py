"""Demo data for the term report (loaded by rec_portal/demo/__init__.py). Adds no rows: the demo
students, created together when the demo loads, are given enrolment dates spread over
the ten weeks before it (so the term report shows enrolment over the term), and the
former students dates before their courses. Only accounts created in the last day are
changed, so a second run changes nothing. Flushes; the caller commits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rec_portal.demo.people import DEMO_FORMER_STUDENTS, DEMO_STUDENTS, student_email
from rec_portal.extensions import db
from rec_portal.models import Booking
from rec_portal.timeutil import utcnow


def load(users: dict, courses: dict) -> int:
    now = utcnow()
    fresh = now - timedelta(days=1)
    for n, (name, _) in enumerate(DEMO_STUDENTS):
        user = users.get(student_email(name))
        if user is not None and user.created_at and user.created_at >= fresh:
            user.created_at = now - timedelta(days=2 + (n * 11) % 70, hours=n % 9)
    former = [users.get(student_email(name)) for name, _ in DEMO_FORMER_STUDENTS]
    booked = dict(db.session.execute(
        select(Booking.student_id, func.min(Booking.queued_at))
        .where(Booking.student_id.in_([u.id for u in former if u is not None]))
        .group_by(Booking.student_id)
    ).all())
    for n, user in enumerate(former):
        if user is not None and user.created_at and user.created_at >= fresh:
            # 100 to 169 days ago, and at least a week before they first booked.
            user.created_at = now - timedelta(days=100 + 3 * n)
            first_booking = booked.get(user.id)
            if first_booking is not None:
                user.created_at = min(user.created_at, first_booking - timedelta(days=7 + n % 5))
    db.session.flush()
    return 0
