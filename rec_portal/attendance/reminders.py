"""Reminding facilitators to take the register (``flask --app wsgi rec
attendance-reminders``). Flushes, never commits; the command commits.

A session date is due a reminder when it ended more than a day ago (and less than 14
days ago), its session is not cancelled and has people with a place, nobody has been
marked present or absent for that date, and no reminder was sent for it before. Each
facilitator on the session's roster gets one email with a link to the register; the date
is then marked as reminded, so running the command again sends nothing new. A date with
nobody on the roster is left for a later run (someone may be rostered by then).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import exists, select

from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    Booking,
    CourseSession,
    RosterAssignment,
    SessionDate,
    User,
)
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.courses import CANCELLED
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import utcnow

AFTER = timedelta(hours=24)
UNTIL = timedelta(days=14)
SUBJECT = "Recovery Education Centre session: please take the register"


@dataclass
class ReminderReport:
    dates: int = 0
    emails: int = 0

    def summary(self) -> str:
        dates = "session date" if self.dates == 1 else "session dates"
        emails = "email" if self.emails == 1 else "emails"
        return f"Register reminders queued: {self.emails} {emails} for {self.dates} {dates}."


def register_url(session_id: int, date_id: int) -> str:
    base = current_app.config["REC_BASE_URL"].rstrip("/")
    return f"{base}/facilitate/sessions/{session_id}/dates/{date_id}/register"


def due_dates(now: datetime | None = None) -> list[SessionDate]:
    """Session dates whose register is overdue and not yet reminded about (locked, so two
    runs at once do not both send)."""
    now = now or utcnow()
    has_places = exists().where(Booking.session_id == SessionDate.session_id, Booking.status == CONFIRMED)
    has_marks = exists().where(Attendance.session_date_id == SessionDate.id)
    return list(
        db.session.execute(
            select(SessionDate)
            .join(CourseSession, CourseSession.id == SessionDate.session_id)
            .where(
                CourseSession.status != CANCELLED,
                SessionDate.ends_at <= now - AFTER,
                SessionDate.ends_at > now - UNTIL,
                SessionDate.attendance_reminder_sent_at.is_(None),
                has_places,
                ~has_marks,
            )
            .order_by(SessionDate.ends_at, SessionDate.id)
            .with_for_update(of=SessionDate, skip_locked=True)
        ).scalars()
    )


def send_register_reminders(now: datetime | None = None) -> ReminderReport:
    now = now or utcnow()
    report = ReminderReport()
    dates = due_dates(now)
    if not dates:
        return report
    rostered: dict[int, list[tuple[User, RosterAssignment]]] = defaultdict(list)
    for user, assignment in db.session.execute(
        select(User, RosterAssignment)
        .join(RosterAssignment, RosterAssignment.user_id == User.id)
        .where(
            RosterAssignment.session_id.in_({d.session_id for d in dates}),
            User.active.is_(True),
            User.anonymised_at.is_(None),
        )
        .order_by(RosterAssignment.session_id, User.id)
    ).all():
        rostered[assignment.session_id].append((user, assignment))
    for session_date in dates:
        people = rostered.get(session_date.session_id, [])
        if not people:
            continue
        session = session_date.session
        for user, assignment in people:
            queue_email(
                to=user.email,
                user=user,
                subject=SUBJECT,
                body=render_template(
                    "emails/attendance_reminder.txt",
                    facilitator=user,
                    role_label=assignment.role_label,
                    session=session,
                    session_date=session_date,
                    date_number=[d.id for d in session.dates].index(session_date.id) + 1,
                    register_url=register_url(session.id, session_date.id),
                ),
            )
            report.emails += 1
        session_date.attendance_reminder_sent_at = now
        report.dates += 1
    db.session.flush()
    return report
