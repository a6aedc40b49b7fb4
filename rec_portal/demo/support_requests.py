"""Demo data for support requests (loaded by rec_portal/demo/__init__.py). Idempotent: adds
nothing once there is a support request. Flushes; the caller commits. Nobody is told (the
rows are made directly: no email is queued).

- A support lead to sign in as: support-lead@example.org (Morgan Reid; roles support lead
  and admin, so the demo shows that admins without the role, such as admin@example.org,
  do not see the queue).
- new: the demo student asked from their safety plan (phone, safe after 2pm, no message);
- contacted: Fatima Begum asked from the support guide (text), with a note;
- closed: George Wilson asked from My account (email), with two notes;
- a facilitator's concern (new): the demo facilitator about a student booked on one of
  their sessions, from the reflection.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rec_portal.demo.people import DEMO_FACILITATOR, DEMO_STUDENT, make_person, student_email
from rec_portal.extensions import db
from rec_portal.models import Booking, SupportRequest, SupportRequestNote, User
from rec_portal.models.accounts import ADMIN, SUPPORT_LEAD
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.rosters import RosterAssignment
from rec_portal.timeutil import utcnow

DEMO_SUPPORT_LEAD = "support-lead@example.org"


def _support_lead() -> User:
    lead = db.session.execute(select(User).where(User.email == DEMO_SUPPORT_LEAD)).scalar_one_or_none()
    if lead is None:
        lead = make_person(DEMO_SUPPORT_LEAD, "Morgan Reid", "Morgan", (SUPPORT_LEAD, ADMIN))
        db.session.flush()
    return lead


def _concern_session(facilitator: User):
    """(session id, a student booked on it) for a session the facilitator is on, if any."""
    return db.session.execute(
        select(RosterAssignment.session_id, Booking.student_id)
        .join(Booking, Booking.session_id == RosterAssignment.session_id)
        .where(RosterAssignment.user_id == facilitator.id, Booking.status == CONFIRMED)
        .order_by(RosterAssignment.session_id, Booking.id)
        .limit(1)
    ).first()


def load(users: dict[str, User], courses: dict) -> int:
    lead = _support_lead()
    if db.session.execute(select(func.count()).select_from(SupportRequest)).scalar_one():
        return 0
    demo = users.get(DEMO_STUDENT)
    fatima = users.get(student_email("Fatima Begum"))
    george = users.get(student_email("George Wilson"))
    facilitator = users.get(DEMO_FACILITATOR)
    if demo is None or fatima is None or george is None:
        return 0
    now = utcnow()
    made = []

    def asked(person, days_ago, **fields):
        req = SupportRequest(kind="asked", person_id=person.id, raised_by_id=person.id, status="new",
                             created_at=now - timedelta(days=days_ago), **fields)
        db.session.add(req)
        made.append(req)
        return req

    def note(req, days_ago, body, status_to=""):
        req.notes.append(SupportRequestNote(author_id=lead.id, body=body, status_to=status_to,
                                            created_at=now - timedelta(days=days_ago)))
        if status_to:
            req.status = status_to
            req.status_changed_at = now - timedelta(days=days_ago)
            req.closed_at = req.status_changed_at if status_to == "closed" else None

    asked(demo, 1, came_from="safety_plan", how="phone", contact_detail="07700 900001",
          safe_times="Weekdays after 2pm, when I am on my own", may_leave_message=False,
          details="Something happened near where I live and I would like to talk it through.")
    contacted = asked(fatima, 6, came_from="support_guide", how="text", contact_detail="07700 900106",
                      safe_times="Any time", may_leave_message=True, details="")
    note(contacted, 5, "Texted to ask when suits for a call. Fatima replied: Thursday morning.", "contacted")
    closed = asked(george, 40, came_from="account", how="email", contact_detail=george.email,
                   safe_times="", may_leave_message=True,
                   details="I would like help finding someone to talk to about a burglary last year.")
    note(closed, 38, "Emailed; spoke on the phone the next day. Gave details of Victim Support.", "contacted")
    note(closed, 30, "George has an appointment with Victim Support and does not need anything else from us.",
         "closed")
    if facilitator is not None and (found := _concern_session(facilitator)) is not None:
        session_id, student_id = found
        made.append(SupportRequest(
            kind="concern", came_from="reflection", person_id=student_id, raised_by_id=facilitator.id,
            session_id=session_id, status="new", created_at=now - timedelta(hours=20),
            details=("During the break they said someone keeps coming to their flat asking for money and "
                     "they feel they cannot say no. They did not want me to call anyone there and then."),
        ))
        db.session.add(made[-1])
    db.session.flush()
    return len(made)
