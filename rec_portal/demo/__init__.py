"""Demo data: accounts, courses, sessions, bookings and every feature's records, for trying
the portal out. One module per feature; this one holds what the ``rec`` commands use.

``flask --app wsgi rec demo-data`` calls :func:`load_demo_data` (never in production;
``--if-empty`` first asks :func:`database_is_empty`), and ``rec demo-logins`` (which
``make run`` calls) prints :func:`login_lines`. Loading is safe to run again: accounts are
matched by email and courses by slug, and anything that already exists is left alone. A
course that exists is skipped with its sessions and bookings, so nothing is ever
duplicated. Like every operation it flushes and does not commit: the command commits once.

This package is the top of the import graph, like the CLI: it uses the features'
operations, queries and models, and no feature imports it. Everyone named here is made
up; every email address is @example.org.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from rec_portal.demo import (
    attendance,
    bookings,
    courses,
    equality,
    facilitation,
    feedback,
    outcomes,
    pathways,
    people,
    plans,
    reaching,
    referrals,
    reports,
    rosters,
    safety_plans,
    sessions,
    support,
    support_requests,
    tutoring,
    workshops,
)
from rec_portal.demo.people import (
    DEMO_ACCOUNTS,
    DEMO_ADMIN,
    DEMO_FACILITATOR,
    DEMO_PASSWORD,
    DEMO_STUDENT,
    DEMO_STUDENTS,
    student_email,
)
from rec_portal.demo.sessions import closed_term
from rec_portal.extensions import db
from rec_portal.models import Course, User
from rec_portal.timeutil import utcnow

__all__ = [
    "DEMO_ACCOUNTS", "DEMO_ADMIN", "DEMO_FACILITATOR", "DEMO_PASSWORD", "DEMO_STUDENT",
    "DEMO_STUDENTS", "DemoReport", "closed_term", "database_is_empty", "login_lines",
    "load_demo_data", "student_email",
]

# Each feature's own demo data, in order, after the people, courses, sessions and bookings:
# the support guide first (safety plans pick from it); rosters before attendance
# (registers are taken by the rostered facilitators); pathways before rosters and attendance
# (its past Managing Stress morning is rostered and gets its register like any session);
# feedback after attendance (it is given on sessions whose registers are taken). Each is
# ``load(users, courses) -> rows added``, where ``users`` maps email to every demo account
# and ``courses`` slug to every course.
FEATURES = (support, plans, safety_plans, pathways, rosters, facilitation, attendance, feedback,
            reports, outcomes, workshops, reaching, support_requests, referrals, tutoring, equality)


@dataclass
class DemoReport:
    """What one run added."""

    accounts: int = 0
    courses: int = 0
    sessions: int = 0
    bookings: int = 0
    other: int = 0  # plans, safety plans, support guide entries ...

    def summary(self) -> str:
        if not (self.accounts or self.courses or self.sessions or self.bookings or self.other):
            return "Demo data already loaded: nothing new to add."
        return (
            f"Demo data loaded: {self.accounts} new accounts, {self.courses} courses, "
            f"{self.sessions} sessions, {self.bookings} bookings, {self.other} other records."
        )


def database_is_empty() -> bool:
    """Whether the database has no accounts at all (``rec demo-data --if-empty``)."""
    return db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def login_lines() -> list[str]:
    """The demo sign-in details, line by line (``rec demo-logins``, printed by ``make run``)."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {email:<26} {', '.join(roles)}" for email, _name, _pref, roles in DEMO_ACCOUNTS]
    lines += [f"  {email:<26} {', '.join(roles)}" for email, _name, _pref, roles in tutoring.DEMO_TUTORS]
    lines.append(f"  {support_requests.DEMO_SUPPORT_LEAD:<26} support_lead, admin "
                 "(the only demo account that sees support requests)")
    lines.append(
        f"  and {len(DEMO_STUDENTS)} more students, such as {student_email(DEMO_STUDENTS[0][0])}"
    )
    lines.append(f"  ({people.DEMO_PHONE_ONLY[0]} has no online account: added by staff, "
                 "no email address, prefers text messages; cannot sign in)")
    return lines


def load_demo_data(now: datetime | None = None) -> DemoReport:
    """Add whatever demo data is missing. Flushes; the caller commits."""
    now = now or utcnow()
    report = DemoReport()
    users, report.accounts = people.ensure_accounts()
    report.other += people.ensure_profiles(users)
    report.other += people.ensure_phone_only_student(users)
    created = courses.ensure_courses()
    report.courses = len(created)
    scheduled = sessions.schedule_sessions(created, now)
    report.sessions = len(scheduled)
    report.bookings = bookings.book(scheduled, users, now)
    every_course = {c.slug: c for c in db.session.execute(select(Course)).scalars()}
    for feature in FEATURES:
        report.other += feature.load(users, every_course)
    return report
