"""Demo data for referrals from professionals (loaded by rec_portal/demo/__init__.py).
Idempotent: adds nothing once there is a referral. Flushes; the caller commits. Tells
nobody: no acknowledgement or invitation is queued.

One referral in every state:
- new (two): Jordan Reeve (police, prefers a phone call, "after 2pm") and Sam Patel (GP,
  prefers email), the oldest first in the queue;
- contacted: Riley Moss (victim support), with a note of the first call;
- enrolled: linked to the demo student (NHS mental health);
- declined: Alex Dunn (social care), with the reason as a note;
- could not contact: Morgan Lee (charity), three tries noted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from rec_portal.demo.people import DEMO_ADMIN, DEMO_STUDENT
from rec_portal.extensions import db
from rec_portal.models import Referral
from rec_portal.timeutil import format_uk, utcnow


def load(users: dict, courses: dict) -> int:
    """Returns how many referrals it added."""
    if db.session.execute(select(func.count()).select_from(Referral)).scalar_one():
        return 0
    admin, student = users.get(DEMO_ADMIN), users.get(DEMO_STUDENT)
    if admin is None or student is None:
        return 0
    now = utcnow()

    def refer(days_ago, status="new", changed_days_ago=None, note="", **fields):
        created = now - timedelta(days=days_ago)
        changed = now - timedelta(days=changed_days_ago) if changed_days_ago is not None else created
        row = Referral(created_at=created, status=status, status_changed_at=changed, person_agreed=True,
                       acknowledged_at=created, handled_by_id=admin.id if status != "new" else None,
                       outcome_note=f"{format_uk(changed)}, {admin.full_name}: {note}" if note else "", **fields)
        db.session.add(row)
        return row

    made = [
        refer(3, referrer_name="PC Casey Officer", referrer_organisation="Anyshire Police", org_type="police",
              referrer_role="Mental health co-ordinator", referrer_email="casey.officer@example.org",
              person_name="Jordan Reeve", person_phone="07700 900456", person_contact_preference="phone",
              contact_notes="Only after 2pm. Please do not leave a voicemail.",
              reason="Was burgled last month and would like to feel safer at home; interested in Staying Safe."),
        refer(1, referrer_name="Dr Priya Shah", referrer_organisation="Market Street Surgery", org_type="gp",
              referrer_role="GP", referrer_phone="01632 960100",
              person_name="Sam Patel", person_email="sam.patel@example.org", person_phone="07700 900457",
              person_contact_preference="email", reason="Looking for something to build confidence after a hard year."),
        refer(10, "contacted", 8, note="Contacted. Spoke to Riley: would like the dates of the next Staying Safe.",
              referrer_name="Jo Bright", referrer_organisation="Anyshire Victim Support", org_type="victim_support",
              referrer_role="Caseworker", referrer_email="jo.bright@example.org",
              person_name="Riley Moss", person_phone="07700 900458", person_contact_preference="text",
              reason="Would like peer support and to learn about keeping safe."),
        refer(40, "enrolled", 35, note=f"Enrolled: linked to their existing record {student.student_number}.",
              referrer_name="Chris Hale", referrer_organisation="Anyshire Community Mental Health Team",
              org_type="nhs_mental_health", referrer_role="Care co-ordinator",
              referrer_email="chris.hale@example.org", person_name=student.full_name,
              person_email=student.email, person_contact_preference="email", student_id=student.id,
              reason="Has been talking about a learning plan; would like a course this term."),
        refer(30, "declined", 25, note="Declined. Thanked us: not the right time, may get in touch later.",
              referrer_name="Dee Morgan", referrer_organisation="Anyshire Housing", org_type="social_care",
              referrer_role="Tenancy support worker", referrer_email="dee.morgan@example.org",
              person_name="Alex Dunn", person_phone="07700 900459", person_contact_preference="phone",
              reason="Isolated since moving; might enjoy a group course."),
        refer(50, "could_not_contact", 20, note="Could not contact. Three calls on different days, no answer; "
                                                 "letter not possible (no address).",
              referrer_name="Pat Green", referrer_organisation="Anyshire Mind", org_type="voluntary",
              referrer_role="Support worker", referrer_email="pat.green@example.org",
              person_name="Morgan Lee", person_phone="01632 960555", person_contact_preference="phone",
              reason="Asked about courses at our drop-in."),
    ]
    db.session.flush()
    return len(made)
