"""Build the DESIGN.md target data set in a SQLite file, with bulk inserts (SQLAlchemy Core).

    python -m bench.generate [--scale 1.0] [--path /tmp/rec_bench.sqlite3]

Scale 1: 20,000 students, 300 courses, 3,000 sessions, 200,000 bookings, 50,000 feedback
responses (one rating answer each, from people who attended). Sessions are spread over
the last eighteen and the next six months, so the current term has a full term's
activity and enough sessions are over for the responses; past sessions are completed,
with registers (attendance) for every confirmed place.
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert

from rec_portal import create_app
from rec_portal.passwords import hash_password
from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    Booking,
    Course,
    CourseSession,
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
    SessionDate,
    StudentProfile,
    User,
    UserRole,
)
from rec_portal.models.courses import COURSE_THEMES
from rec_portal.timeutil import utcnow

ADMIN_EMAIL = "bench-admin@example.org"
PASSWORD = "bench-password-123"
TARGET = {"students": 20_000, "courses": 300, "sessions": 3_000, "bookings": 200_000, "responses": 50_000}


def _chunks(rows, size=5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _put(table, rows):
    for chunk in _chunks(rows):
        db.session.execute(insert(table), chunk)


def make_app(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return create_app({
        "TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "REC_SMTP_HOST": None, "SERVER_NAME": None, "REC_RATELIMIT_ENABLED": False,
    })


def generate(path: Path, scale: float = 1.0, seed: int = 7) -> dict:
    if path.exists():
        path.unlink()
    app = make_app(path)
    rnd = random.Random(seed)
    n = {k: max(1, int(v * scale)) for k, v in TARGET.items()}
    n["courses"] = max(n["courses"], 3)
    n["sessions"] = max(n["sessions"], n["courses"])
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        upgrade()
        password = hash_password(PASSWORD)
        users = [dict(id=1, email=ADMIN_EMAIL, password_hash=password, full_name="Bench Admin",
                      preferred_name="Admin", active=True, created_at=now - timedelta(days=400))]
        roles = [dict(user_id=1, role="admin"), dict(user_id=1, role="student")]
        profiles = []
        rels = ["service_user", "carer", "staff", "other", ""]
        refs = ["self", "care_team", "gp", "police", "voluntary", "friend", "other", ""]
        for i in range(2, n["students"] + 2):
            users.append(dict(id=i, email=f"s{i}@example.org", password_hash=password, full_name=f"Student {i}",
                              preferred_name=f"S{i}", active=True,
                              created_at=now - timedelta(days=rnd.randint(0, 365), minutes=rnd.randint(0, 1440))))
            roles.append(dict(user_id=i, role="student"))
            profiles.append(dict(user_id=i, relationship_to_services=rnd.choice(rels), referral_source=rnd.choice(refs),
                                 pronouns="", phone="", team="", contact_preference="email", access_needs="",
                                 referral_detail="", updated_at=now))
        _put(User.__table__, users)
        _put(UserRole.__table__, roles)
        _put(StudentProfile.__table__, profiles)
        themes = [*COURSE_THEMES, ""]
        courses = [dict(id=c, slug=f"course-{c}", title=f"Course {c:03d}", summary=f"What course {c} is about.",
                        description="", learning_outcomes="", for_service_users=True, for_carers=True, for_staff=c % 3 == 0,
                        duration="One day, 10am to 3pm", delivery="in_person", what_to_expect="", accessibility="",
                        coproduction_note="", content_version=1, theme=themes[c % len(themes)], status="published",
                        created_at=now, updated_at=now)
                   for c in range(1, n["courses"] + 1)]
        _put(Course.__table__, courses)
        sessions, dates = [], []
        for s in range(1, n["sessions"] + 1):
            start = (now + timedelta(days=rnd.randint(-540, 180))).replace(hour=10, minute=0, second=0)
            past = start + timedelta(hours=5) < now
            sessions.append(dict(id=s, course_id=(s - 1) % n["courses"] + 1, venue="12 Station Road", online_details="",
                                 capacity=rnd.randint(20, 36), status="completed" if past else "scheduled",
                                 starts_at=start, ends_at=start + timedelta(hours=5), created_at=now,
                                 completed_at=start + timedelta(hours=6) if past else None, individual=False))
            dates.append(dict(id=s, session_id=s, starts_at=start, ends_at=start + timedelta(hours=5)))
        _put(CourseSession.__table__, sessions)
        _put(SessionDate.__table__, dates)
        bookings, marks = [], []
        per_session = max(1, n["bookings"] // n["sessions"])
        bid = 0
        for s in sessions:
            students = rnd.sample(range(2, n["students"] + 2), min(per_session, n["students"]))
            for k, student in enumerate(students):
                bid += 1
                status = "confirmed" if k < s["capacity"] else rnd.choice(["waitlisted", "waitlisted", "cancelled"])
                queued = s["starts_at"] - timedelta(days=rnd.randint(1, 60))
                bookings.append(dict(id=bid, session_id=s["id"], student_id=student, status=status,
                                     made_by="admin" if k % 5 == 0 else "self", queued_at=queued,
                                     confirmed_at=queued if status == "confirmed" else None,
                                     cancelled_at=queued if status == "cancelled" else None))
                if status == "confirmed" and s["status"] == "completed":
                    marks.append(dict(booking_id=bid, session_date_id=s["id"],
                                      status="present" if rnd.random() < 0.85 else "absent", recorded_at=s["ends_at"]))
        _put(Booking.__table__, bookings)
        _put(Attendance.__table__, marks)
        qid = db.session.execute(insert(FeedbackQuestion.__table__).values(
            audience="student", kind="rating", text="Overall, how was the course?", hint="", position=1,
            created_at=now)).inserted_primary_key[0]
        present = [m for m in marks if m["status"] == "present"]
        by_booking = {b["id"]: b for b in bookings}
        invitations, responses, answers = [], [], []
        for m in present:
            b = by_booking[m["booking_id"]]
            answered = len(responses) < n["responses"] and rnd.random() < 0.95
            invitations.append(dict(session_id=b["session_id"], user_id=b["student_id"], audience="student",
                                    created_at=now, answered=answered))
            if answered:
                rid = len(responses) + 1
                responses.append(dict(id=rid, session_id=b["session_id"], audience="student", anonymous=True,
                                      given_on=now.date()))
                answers.append(dict(response_id=rid, question_id=qid, question_text="Overall, how was the course?",
                                    kind="rating", value=rnd.randint(1, 5)))
        _put(FeedbackInvitation.__table__, invitations)
        _put(FeedbackResponse.__table__, responses)
        _put(FeedbackAnswer.__table__, answers)
        db.session.commit()
        counts = {"students": n["students"], "courses": n["courses"], "sessions": n["sessions"],
                  "bookings": len(bookings), "attendance": len(marks), "responses": len(responses)}
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--path", type=Path, default=Path("/tmp/rec_bench.sqlite3"))
    args = parser.parse_args()
    print(generate(args.path, args.scale))


if __name__ == "__main__":
    main()
