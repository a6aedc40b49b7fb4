"""Build the DESIGN.md target data set in PostgreSQL or SQLite, with bulk inserts.

    python -m bench.generate [--scale 1.0] [--path /tmp/rec_bench.sqlite3]
    python -m bench.generate --url postgresql+psycopg://postgres@127.0.0.1:5432/rec_bench

Scale 1 makes exactly 20,000 students, 300 courses, 3,000 sessions, 200,000 bookings and
50,000 feedback responses (one rating answer each, from people who attended). Sessions are
spread over the last eighteen and the next six months, so the current term has a full
term's activity and enough sessions are over for the responses; past sessions are
completed, with registers (attendance) for every confirmed place.

Also, for the benchmark's pages (all counted in the figures above where they are students,
courses or sessions):
- the admin (``ADMIN_EMAIL``);
- a course whose page lists 8 upcoming dates (``EIGHT_DATES_SLUG``);
- a student with exactly 21 bookings, some past, some to come (``STUDENT_EMAIL``);
- a facilitator rostered on about one session a week over the past year
  (``FACILITATOR_EMAIL``), among 30 other facilitators covering every session.
Everyone's password is ``PASSWORD``.

On PostgreSQL the rows go in with COPY and, because every row has an explicit id, each
table's id sequence is then set to its largest id (so the portal can add rows), and the
tables are analysed. The database must be empty (the schema is made by the migrations).
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import insert

from rec_portal import create_app
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
from rec_portal.models.courses import COURSE_THEMES, CourseRoleNeed
from rec_portal.models.rosters import FacilitatorProfile, FacilitatorRole, RosterAssignment
from rec_portal.passwords import hash_password
from rec_portal.timeutil import utcnow

ADMIN_EMAIL = "bench-admin@example.org"
STUDENT_EMAIL = "bench-student@example.org"
FACILITATOR_EMAIL = "bench-facilitator@example.org"
PASSWORD = "bench-password-123"
EIGHT_DATES_SLUG = "understanding-recovery"
STUDENT_BOOKINGS = 21
FACILITATORS = 30
TARGET = {"students": 20_000, "courses": 300, "sessions": 3_000, "bookings": 200_000, "responses": 50_000}


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL from a URL or a SQLite file's path."""
    text = str(target)
    if text.startswith("postgres://"):
        return "postgresql+psycopg://" + text[len("postgres://"):]
    if text.startswith("postgresql://"):
        return "postgresql+psycopg://" + text[len("postgresql://"):]
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


def make_app(target: str | Path):
    url = database_url(target)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return create_app({
        "TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
        "REC_SMTP_HOST": None, "SERVER_NAME": None, "REC_RATELIMIT_ENABLED": False,
    })


def sizes(scale: float) -> dict:
    """How many of each at ``scale`` (exactly TARGET at 1; small scales keep enough sessions
    for the 8-date course and the 21-booking student)."""
    n = {k: max(1, round(v * scale)) for k, v in TARGET.items()}
    n["courses"] = max(n["courses"], 3)
    n["sessions"] = max(n["sessions"], 40)
    n["bookings"] = max(n["bookings"], n["sessions"])
    return n


# --- writing rows ---------------------------------------------------------------------------------

def _defaults(table: sa.Table) -> dict:
    """The Python-side defaults SQLAlchemy would fill in (COPY does not)."""
    found = {}
    for column in table.columns:
        default = column.default
        if default is None or column.primary_key:
            continue
        if default.is_scalar:
            found[column.name] = default.arg
        elif default.is_callable:
            try:
                found[column.name] = default.arg(None)
            except TypeError:
                pass
    return found


def _put(table: sa.Table, rows: list[dict]) -> None:
    if not rows:
        return
    defaults = _defaults(table)
    names = list(dict.fromkeys([*rows[0].keys(), *defaults]))
    full = [{name: row.get(name, defaults.get(name)) for name in names} for row in rows]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        columns = ", ".join(f'"{name}"' for name in names)
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in full:
                copy.write_row([row[name] for name in names])
        return
    for i in range(0, len(full), 5000):
        connection.execute(insert(table), full[i:i + 5000])


def set_sequences(connection) -> None:
    """After explicit ids: each table's id sequence to its largest id (PostgreSQL)."""
    if connection.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is None or not column.primary_key or not isinstance(column.type, sa.Integer):
            continue
        connection.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence(:name, 'id'), max(id)) FROM \"{table.name}\" "
            "HAVING max(id) IS NOT NULL"), {"name": f'"{table.name}"'})


def count_rows(connection) -> dict:
    def n(sql):
        return connection.execute(sa.text(sql)).scalar_one()

    return {
        "students": n("SELECT count(*) FROM user_roles WHERE role = 'student'"),
        "courses": n("SELECT count(*) FROM courses"),
        "sessions": n("SELECT count(*) FROM course_sessions"),
        "bookings": n("SELECT count(*) FROM bookings"),
        "attendance": n("SELECT count(*) FROM attendance"),
        "responses": n("SELECT count(*) FROM feedback_responses"),
        "roster assignments": n("SELECT count(*) FROM roster_assignments"),
    }


# --- the data set ---------------------------------------------------------------------------------

def generate(target: str | Path, scale: float = 1.0, seed: int = 7) -> dict:
    """Fill the database at ``target`` (a SQLAlchemy URL, or a SQLite path, which is made
    afresh) and return the counts read back from it."""
    url = database_url(target)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
    app = make_app(url)
    rnd = random.Random(seed)
    n = sizes(scale)
    now = utcnow().replace(microsecond=0)
    today10 = now.replace(hour=10, minute=0, second=0)
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' list of steps
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        if db.session.execute(sa.text("SELECT count(*) FROM users")).scalar_one():
            raise SystemExit(f"{url}: the database already has people in it; give an empty one")
        password = hash_password(PASSWORD)

        # People: 1 the admin, 2 the 21-booking student, then the other students, then facilitators.
        student_ids = list(range(2, n["students"] + 2))
        others = student_ids[1:]
        facilitator_ids = list(range(n["students"] + 2, n["students"] + 3 + FACILITATORS))
        bench_facilitator = facilitator_ids[0]
        users = [dict(id=1, email=ADMIN_EMAIL, password_hash=password, full_name="Bench Admin",
                      preferred_name="Admin", active=True, created_at=now - timedelta(days=400),
                      privacy_consent_at=now - timedelta(days=400))]
        roles = [dict(user_id=1, role="admin")]
        profiles = []
        rels = ["service_user", "carer", "staff", "other", ""]
        refs = ["self", "care_team", "gp", "police", "voluntary", "friend", "other", ""]
        for i in student_ids:
            email = STUDENT_EMAIL if i == 2 else f"s{i}@example.org"
            created = now - timedelta(days=rnd.randint(0, 365), minutes=rnd.randint(0, 1440))
            users.append(dict(id=i, email=email, password_hash=password, full_name=f"Student {i}",
                              preferred_name=f"S{i}", active=True, created_at=created, privacy_consent_at=created))
            roles.append(dict(user_id=i, role="student"))
            profiles.append(dict(user_id=i, relationship_to_services=rnd.choice(rels), referral_source=rnd.choice(refs),
                                 pronouns="", phone="07700 900123" if i == 2 else "", team="",
                                 contact_preference="email",
                                 access_needs="Step-free access, please." if i == 2 else "",
                                 referral_detail="", updated_at=now))
        f_profiles, f_roles = [], []
        for k, i in enumerate(facilitator_ids):
            email = FACILITATOR_EMAIL if i == bench_facilitator else f"f{i}@example.org"
            users.append(dict(id=i, email=email, password_hash=password, full_name=f"Facilitator {k}",
                              preferred_name=f"F{k}", active=True, created_at=now - timedelta(days=500),
                              privacy_consent_at=now - timedelta(days=500)))
            roles.append(dict(user_id=i, role="facilitator"))
            f_profiles.append(dict(user_id=i, organisation="Anyshire NHS Trust", bio="", active=True,
                                   created_at=now, updated_at=now))
            f_roles.append(dict(user_id=i, role="peer_specialist"))
            if k % 2 == 0:
                f_roles.append(dict(user_id=i, role="clinician"))
        _put(User.__table__, users)
        _put(UserRole.__table__, roles)
        _put(StudentProfile.__table__, profiles)
        _put(FacilitatorProfile.__table__, f_profiles)
        _put(FacilitatorRole.__table__, f_roles)

        # Courses: course 1 is the one with 8 upcoming dates.
        themes = [*COURSE_THEMES, ""]
        courses = []
        for c in range(1, n["courses"] + 1):
            first = c == 1
            courses.append(dict(
                id=c, slug=EIGHT_DATES_SLUG if first else f"course-{c}",
                title="Understanding Recovery" if first else f"Course {c:03d}",
                summary="An introduction to recovery: what it means, and the people and things that help."
                if first else f"What course {c} is about.",
                description="Over one day we look at what recovery means to each of us.\n\n" * 3 if first else "",
                learning_outcomes="", for_service_users=True, for_carers=True, for_staff=c % 3 == 0,
                duration="One day, 10am to 3pm", delivery="in_person", what_to_expect="", accessibility="",
                coproduction_note="", content_version=1, theme=themes[c % len(themes)], status="published",
                created_at=now, updated_at=now))
        _put(Course.__table__, courses)
        _put(CourseRoleNeed.__table__,
             [dict(course_id=c["id"], role=role, count=1) for c in courses for role in ("peer_specialist", "clinician")])

        # Sessions (one date each): 1-8 are course 1's, weekly from next week; the rest
        # spread over the other courses and over eighteen months back and six ahead.
        sessions, dates = [], []
        for s in range(1, n["sessions"] + 1):
            if s <= 8:
                course_id, start = 1, today10 + timedelta(days=7 * s)
            else:
                course_id = 2 + (s - 9) % (n["courses"] - 1)
                start = today10 + timedelta(days=rnd.randint(-540, 180))
            past = start + timedelta(hours=5) < now
            sessions.append(dict(id=s, course_id=course_id, venue="12 Station Road", online_details="",
                                 capacity=rnd.randint(20, 36), status="completed" if past else "scheduled",
                                 starts_at=start, ends_at=start + timedelta(hours=5), created_at=now,
                                 completed_at=start + timedelta(hours=6) if past else None, individual=False))
            dates.append(dict(id=s, session_id=s, starts_at=start, ends_at=start + timedelta(hours=5)))
        _put(CourseSession.__table__, sessions)
        _put(SessionDate.__table__, dates)

        # Bookings: exactly n["bookings"], split as evenly as can be over the sessions.
        base, extra = divmod(n["bookings"], n["sessions"])
        if base + 1 > len(others):
            raise SystemExit(f"scale {scale}: too few students ({len(others)}) for {base + 1} bookings a session")
        # The bench student's 21 sessions: different courses, on different days, most of them over.
        later = [s for s in sessions[8:] if s["starts_at"] > now]
        over = [s for s in sessions[8:] if s["starts_at"] <= now]
        picked, courses_seen, days_seen = [], set(), set()
        for pool, want, distinct in ((later, 5, True), (over, STUDENT_BOOKINGS, True),
                                     (later + over, STUDENT_BOOKINGS, False)):  # small scales: few courses
            for s in rnd.sample(pool, len(pool)):
                if len(picked) >= want:
                    break
                if (s["course_id"] not in courses_seen or not distinct) and s["starts_at"].date() not in days_seen:
                    picked.append(s)
                    courses_seen.add(s["course_id"])
                    days_seen.add(s["starts_at"].date())
        if len(picked) != STUDENT_BOOKINGS:
            raise SystemExit(f"scale {scale}: could not find {STUDENT_BOOKINGS} sessions for the bench student")
        theirs = {s["id"] for s in picked}
        bookings, marks = [], []
        bid = 0
        for index, s in enumerate(sessions):
            size = base + (1 if index < extra else 0)
            students = rnd.sample(others, size)
            if s["id"] in theirs:
                students = [2, *students[:-1]]
            for k, student in enumerate(students):
                bid += 1
                status = "confirmed" if k < s["capacity"] else rnd.choice(["waitlisted", "waitlisted", "cancelled"])
                queued = s["starts_at"] - timedelta(days=rnd.randint(1, 60), minutes=k)
                bookings.append(dict(id=bid, session_id=s["id"], student_id=student, status=status,
                                     made_by="admin" if k % 5 == 0 else "self", queued_at=queued,
                                     confirmed_at=queued if status == "confirmed" else None,
                                     cancelled_at=queued if status == "cancelled" else None))
                if status == "confirmed" and s["status"] == "completed":
                    marks.append(dict(id=len(marks) + 1, booking_id=bid, session_date_id=s["id"],
                                      status="present" if rnd.random() < 0.9 else "absent",
                                      recorded_at=s["ends_at"]))
        _put(Booking.__table__, bookings)
        _put(Attendance.__table__, marks)

        # Roster: every session has a peer specialist, most a clinician; the bench
        # facilitator takes the peer specialist's place about once a week over the past year.
        pool = facilitator_ids[1:]
        year_ago = now - timedelta(days=365)
        weeks_taken = set()
        assignments = []
        for s in sessions:
            peer = rnd.choice(pool)
            week = s["starts_at"].isocalendar()[:2]
            if year_ago <= s["starts_at"] <= now and week not in weeks_taken:
                peer = bench_facilitator
                weeks_taken.add(week)
            assignments.append(dict(id=len(assignments) + 1, session_id=s["id"], user_id=peer,
                                    role="peer_specialist", assigned_at=s["created_at"], assigned_by_id=1))
            if rnd.random() < 0.7:
                clinician = rnd.choice([f for f in pool[::2] if f != peer] or pool)
                assignments.append(dict(id=len(assignments) + 1, session_id=s["id"], user_id=clinician,
                                        role="clinician", assigned_at=s["created_at"], assigned_by_id=1))
        _put(RosterAssignment.__table__, assignments)

        # Feedback: exactly n["responses"], from people marked present.
        question = db.session.execute(insert(FeedbackQuestion.__table__).values(
            audience="student", kind="rating", text="Overall, how was the course?", hint="", position=1,
            created_at=now)).inserted_primary_key[0]  # the migrations add questions of their own
        present = [m for m in marks if m["status"] == "present"]
        if len(present) < n["responses"]:
            raise SystemExit(f"scale {scale}: only {len(present)} people attended, fewer than "
                             f"{n['responses']} responses")
        answering = set(m["id"] for m in rnd.sample(present, n["responses"]))
        by_booking = {b["id"]: b for b in bookings}
        invitations, responses, answers = [], [], []
        for m in present:
            b = by_booking[m["booking_id"]]
            answered = m["id"] in answering
            invitations.append(dict(id=len(invitations) + 1, session_id=b["session_id"], user_id=b["student_id"],
                                    audience="student", created_at=now, answered=answered))
            if answered:
                rid = len(responses) + 1
                responses.append(dict(id=rid, session_id=b["session_id"], audience="student", anonymous=True,
                                      given_on=now.date()))
                answers.append(dict(id=rid, response_id=rid, question_id=question, question_text="Overall, how was the course?",
                                    kind="rating", value=rnd.randint(1, 5)))
        _put(FeedbackInvitation.__table__, invitations)
        _put(FeedbackResponse.__table__, responses)
        _put(FeedbackAnswer.__table__, answers)
        set_sequences(db.session.connection())
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        with db.engine.connect() as conn:
            counts = count_rows(conn)
        db.session.remove()
        db.engine.dispose()
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--path", type=Path, help="a SQLite file, made afresh (default /tmp/rec_bench.sqlite3)")
    where.add_argument("--url", help="a SQLAlchemy URL of an empty database (PostgreSQL or SQLite)")
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(args.url or args.path or Path("/tmp/rec_bench.sqlite3"), args.scale)
    print(f"{counts} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
