"""Demo data for personal tutors (loaded by rec_portal/demo/__init__.py). Idempotent: adds
nothing once any student has a tutor. Flushes; the caller commits. Nobody is told anything
(rows are made directly, so no email, text or call-list line is queued).

- Two tutors: Rita Osei (tutor@example.org, REC staff) and Chris Lane
  (peer.tutor@example.org, a peer tutor who is also a student), password as every demo login.
- Rita's caseload: Jo Williams (the demo student: a review two weeks ago by the learning
  advisor, and a conversation arranged for next week, by video), Aisha Khan, Ben Carter
  (assigned four months ago and never reviewed: overdue) and Chloe Evans (has asked for a
  phone conversation, not arranged yet).
- Chris's caseload: Daniel Okafor (reviewed a month ago, next review in two months),
  Emily Hughes and George Wilson.
- Hannah Price has no tutor and has asked the REC team for a conversation (on
  /admin/tutors).
"""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import func, select

from rec_portal.demo.people import DEMO_ADMIN, DEMO_STUDENT, make_person, student_email
from rec_portal.extensions import db
from rec_portal.models import User
from rec_portal.models.accounts import STUDENT, TUTOR
from rec_portal.models.plans import PlanReview
from rec_portal.models.tutoring import ARRANGED, PHONE, REQUESTED, VIDEO, IN_PERSON, PlanConversation, Tutorship
from rec_portal.timeutil import uk_to_utc, uk_today, utcnow

DEMO_TUTOR = "tutor@example.org"
DEMO_PEER_TUTOR = "peer.tutor@example.org"
# (email, full name, preferred name, roles), printed by ``rec demo-logins``.
DEMO_TUTORS = [
    (DEMO_TUTOR, "Rita Osei", "Rita", (TUTOR,)),
    (DEMO_PEER_TUTOR, "Chris Lane", "Chris", (TUTOR, STUDENT)),
]

# tutor -> [(student email, days since assigned)]
CASELOADS = {
    DEMO_TUTOR: [(DEMO_STUDENT, 60), (student_email("Aisha Khan"), 30), (student_email("Ben Carter"), 125),
                 (student_email("Chloe Evans"), 20)],
    DEMO_PEER_TUTOR: [(student_email("Daniel Okafor"), 80), (student_email("Emily Hughes"), 15),
                      (student_email("George Wilson"), 45)],
}


def _tutors(users: dict[str, User]) -> dict[str, User]:
    found = {}
    for email, full_name, preferred, roles in DEMO_TUTORS:
        person = users.get(email) or db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        found[email] = person or make_person(email, full_name, preferred, roles)
    db.session.flush()
    return found


def load(users: dict[str, User], courses) -> int:
    if db.session.execute(select(func.count()).select_from(Tutorship)).scalar_one():
        return 0
    tutors = _tutors(users)
    today = uk_today()
    now = utcnow()
    admin = users.get(DEMO_ADMIN)
    added = 0
    for tutor_email, caseload in CASELOADS.items():
        tutor = tutors[tutor_email]
        for email, days in caseload:
            student = users.get(email)
            if student is None:
                continue
            db.session.add(Tutorship(student_id=student.id, tutor_id=tutor.id, review_every_months=3,
                                     assigned_at=now - timedelta(days=days),
                                     assigned_by_id=admin.id if admin else None))
            added += 1
    daniel = users.get(student_email("Daniel Okafor"))
    if daniel is not None:
        db.session.add(PlanReview(
            user_id=daniel.id, reviewer_id=tutors[DEMO_PEER_TUTOR].id, review_date=today - timedelta(days=30),
            next_review_date=today + timedelta(days=60),
            notes="We looked at Daniel's goals together. He has booked the next course he wanted.",
        ))
        added += 1
    jo = users.get(DEMO_STUDENT)
    if jo is not None:
        rita = tutors[DEMO_TUTOR]
        db.session.add(PlanConversation(
            student_id=jo.id, tutor_id=rita.id, way=VIDEO, when_suits="Weekday mornings",
            note="I would like to talk about my bus goal.", status=ARRANGED,
            arranged_for=uk_to_utc(today + timedelta(days=7), time(10, 30)),
            arranged_details="Video call: Rita will email the link the day before.", arranged_by_id=rita.id,
            created_at=now - timedelta(days=3),
        ))
        added += 1
    chloe = users.get(student_email("Chloe Evans"))
    if chloe is not None:
        db.session.add(PlanConversation(student_id=chloe.id, tutor_id=tutors[DEMO_TUTOR].id, way=PHONE,
                                        when_suits="After 2pm", status=REQUESTED, created_at=now - timedelta(days=1)))
        added += 1
    hannah = users.get(student_email("Hannah Price"))
    if hannah is not None:
        db.session.add(PlanConversation(student_id=hannah.id, tutor_id=None, way=IN_PERSON,
                                        when_suits="Thursdays", status=REQUESTED, created_at=now - timedelta(days=2)))
        added += 1
    db.session.flush()
    return added
