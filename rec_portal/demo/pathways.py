"""Demo learning pathways (loaded by rec_portal/demo/__init__.py, before attendance).
Idempotent: a pathway whose slug exists is left alone. Flushes; the caller commits.

- **Keeping safe** (all, in order): Introduction to Recovery, Staying Safe, then Wellness
  Recovery Action Planning (WRAP). The demo student came to the past run of Introduction
  to Recovery (demo/attendance.py) and has a place on Staying Safe next week, so My
  courses and their plan say "1 of 3 courses done. Next: Staying Safe (you have a place
  starting …)".
- **First steps** (any 2 of 4): Introduction to Recovery, Managing Stress, Sleep and
  Wellbeing, Mindfulness for Wellbeing. So that it is complete (and its certificate can be
  downloaded), the demo student also came to an online Managing Stress morning eight
  weeks ago, with a few other demo students (its register is taken by demo/attendance.py,
  as for every past session: the demo student was there).

The demo tells nobody: nothing is queued."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from rec_portal.demo.people import DEMO_STUDENT, DEMO_STUDENTS, student_email
from rec_portal.extensions import db
from rec_portal.models import Booking
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.bookings import SELF as MADE_BY_SELF
from rec_portal.models.courses import COMPLETED, PUBLISHED as COURSE_PUBLISHED
from rec_portal.models.pathways import Pathway
from rec_portal.pathways.operations import add_course, save_pathway, set_status
from rec_portal.scheduling.operations import DateRange, schedule_session
from rec_portal.timeutil import uk_to_utc, uk_today, utcnow

PATHWAYS = (
    {
        "title": "Keeping safe", "slug": "keeping-safe", "rule": "in_order", "required_count": None,
        "summary": "Three courses, best taken in this order, about recovery, staying safe from harm and "
                   "crime, and planning for your own wellbeing.",
        "courses": ("introduction-to-recovery", "staying-safe", "wrap"),
    },
    {
        "title": "First steps", "slug": "first-steps", "rule": "any_of", "required_count": 2,
        "summary": "A gentle start at the REC: choose any two of these short courses, in any order.",
        "courses": ("introduction-to-recovery", "managing-stress", "sleep-and-wellbeing",
                    "mindfulness-for-wellbeing"),
    },
)

PAST_COURSE = "managing-stress"
PAST_WEEKS_AGO = 8
CLASSMATES = 5


def _past_morning(course, users: dict) -> int:
    """A Managing Stress morning that ran online ``PAST_WEEKS_AGO`` weeks ago (Friday), with
    the demo student and a few others booked (demo/attendance.py takes its register). Rows
    added."""
    student = users.get(DEMO_STUDENT)
    if student is None:
        return 0
    today = uk_today(utcnow())
    day = today - timedelta(days=today.weekday(), weeks=PAST_WEEKS_AGO) + timedelta(days=4)
    session = schedule_session(
        course,
        dates=[DateRange(uk_to_utc(day, time(10)), uk_to_utc(day, time(12, 30)))],
        capacity=16, venue="",
        online_details="Online on Microsoft Teams. Join with this link: https://meet.example.org/rec/managing-stress-past",
        booking_closes_at=uk_to_utc(day - timedelta(days=1), time(17)), allow_past=True,
    )
    session.status = COMPLETED
    people = [student] + [users[student_email(name)] for name, _ in DEMO_STUDENTS[-CLASSMATES:]
                          if student_email(name) in users and users[student_email(name)].active]
    added = 1
    for person in people:
        booking = Booking(session_id=session.id, student_id=person.id, status=CONFIRMED, made_by=MADE_BY_SELF,
                          made_by_user_id=person.id, queued_at=session.starts_at - timedelta(days=10),
                          confirmed_at=session.starts_at - timedelta(days=10))
        db.session.add(booking)
        added += 1
    db.session.flush()
    return added


def load(users: dict, courses: dict) -> int:
    """Returns how many rows it added."""
    existing = set(db.session.execute(select(Pathway.slug)).scalars())
    added = 0
    for spec in PATHWAYS:
        if spec["slug"] in existing:
            continue
        wanted = [courses[slug] for slug in spec["courses"] if slug in courses
                  and courses[slug].status == COURSE_PUBLISHED]
        if len(wanted) < 2:
            continue
        pathway = save_pathway(None, title=spec["title"], slug=spec["slug"], summary=spec["summary"],
                               rule=spec["rule"], required_count=spec["required_count"])
        for course in wanted:
            add_course(pathway, course.id)
        set_status(pathway, "published")
        added += 1 + len(wanted)
        if spec["slug"] == "first-steps" and PAST_COURSE in courses:
            added += _past_morning(courses[PAST_COURSE], users)
    return added
