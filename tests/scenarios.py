"""Worlds that more than one test module builds: the hand-counted attendance, facilitator
hours and term report fixtures, register reminders, content reviews, individual workshops,
the prospectus, the new-course form's answers and the co-delivery journeys' team. Each
builder opens its own app context and commits; the rows themselves come from factories.py."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from contextlib import suppress
from datetime import datetime, time, timedelta

from sqlalchemy import select

from rec_portal.timeutil import uk_date_span
from rec_portal.content_reviews import operations as content_reviews
from rec_portal.extensions import db
from rec_portal.errors import DomainError
from rec_portal.models import Course, CourseRoleNeed, RosterAssignment, Unavailability
from rec_portal.models.equality import EqualityAnswers
from rec_portal.rosters.operations import assign_facilitator
from rec_portal.stats.terms import session_term
from rec_portal.timeutil import to_uk, uk_to_utc, utcnow
from rec_portal.workshops import operations as workshops
from tests import factories


# --- Attendance reports -----------------------------------------------------------------------------


def session_at(course, starts: list[tuple[datetime, float]], status="scheduled", capacity=20):
    """A session with a date starting at each (UTC datetime, hours); every date is as long."""
    (hours,) = {h for _, h in starts}
    return factories.make_session_at(course, [s for s, _ in starts], hours=hours, status=status, capacity=capacity,
                                     venue="Room 1")


def people(session, statuses_per_person, booking_status="confirmed"):
    for statuses in statuses_per_person:
        booking = factories.make_booking(session, factories.make_user(), status=booking_status)
        if statuses:
            factories.mark_attendance(booking, session, statuses)


def attendance_fixture(app, scale: int = 1):
    """The hand-counted fixture (see the expected figures in the tests). ``scale`` adds more
    of the same, for query counting."""
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        for copy in range(scale):
            tag = "" if copy == 0 else f" {copy}"
            a = factories.make_course(title=f"Staying Safe{tag}")
            b = factories.make_course(title=f"=HYPERLINK(\"http://x\"){tag}")
            c = factories.make_course(title=f"Empty Course{tag}")
            # A: one date 20 days ago, completed: 2 present, 1 absent, 1 not marked.
            s1 = session_at(a, [(now - timedelta(days=20), 3)], status="completed")
            people(s1, [("present",), ("present",), ("absent",), None])
            people(s1, [("present",)], booking_status="cancelled")  # not counted
            people(s1, [None], booking_status="waitlisted")  # not counted
            # A: three dates from 40 days ago, every register taken.
            s2 = session_at(a, [(now - timedelta(days=40 - 7 * i), 2) for i in range(3)])
            people(s2, [("present", "absent", "absent"), ("absent", "absent", "absent"),
                        ("present", "present", "present")])
            # A: cancelled, and one still to come: not counted.
            s3 = session_at(a, [(now - timedelta(days=10), 2)], status="cancelled")
            people(s3, [None, None])
            s4 = session_at(a, [(now + timedelta(days=10), 2)])
            people(s4, [None] * 5)
            # B: 5 days ago, register not taken; and one 200 days ago where both came.
            s5 = session_at(b, [(now - timedelta(days=5), 2)])
            people(s5, [None, None, None])
            s6 = session_at(b, [(now - timedelta(days=200), 2)], status="completed")
            people(s6, [("present",), ("present",)])
            # C: 2 days ago, nobody booked.
            session_at(c, [(now - timedelta(days=2), 2)])
        db.session.commit()
        return {"s1": s1.id, "s2": s2.id, "s5": s5.id}


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row's cells (without the headings repeated for small screens)."""
    table = html[html.index(f'id="{table_id}"'):]
    table = table[:table.index("</table>")]
    body = table[table.index("<tbody"):]
    rows = []
    for row in body.split("<tr")[1:]:
        row = re.sub(r'<span class="nhsuk-table(?:__|-responsive__)heading" aria-hidden="true">.*?</span>', "", row)
        row = re.sub(r'<span class="nhsuk-u-visually-hidden">.*?</span>', "", row)
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        rows.append([" ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows


def hours_fixture(app):
    """Autumn 2025, by UK dates (see the expected figures in the tests)."""
    with app.app_context():
        course = factories.make_course(title="Staying Safe")
        alex = factories.make_facilitator(
            name="Alex Peer", preferred_name="Alex", organisation="Leeds Mental Health Forum", default_role=None,
        )
        sam = factories.make_facilitator(
            name="+Sam Officer", preferred_name="Sam", organisation="West Yorkshire Police", default_role=None,
        )
        kim = factories.make_facilitator(
            name="Kim Cancelled", preferred_name="Kim", organisation="", default_role=None,
        )
        one = session_at(course, [(datetime(2025, 10, 6, 9), 2.5)], status="completed")
        three = session_at(course, [(datetime(2025, 11, 3 + 7 * i, 10), 2) for i in range(3)])
        # 11:30pm on 31 August in UTC is 12:30am on 1 September in the UK: autumn.
        edge = session_at(course, [(datetime(2025, 8, 31, 23, 30), 1.5)])
        cancelled = session_at(course, [(datetime(2025, 10, 20, 10), 3)], status="cancelled")
        spring = session_at(course, [(datetime(2026, 2, 2, 10), 4)])
        # In the UK, midnight on 1 January 2026 starts spring (GMT: no shift).
        new_year = session_at(course, [(datetime(2026, 1, 1, 0, 0), 1)])
        for s in (one, three, edge, spring, new_year):
            factories.add_to_roster(s, alex, "peer_specialist")
        for s in (one, spring):
            factories.add_to_roster(s, sam, "police_mh_coordinator")
        factories.add_to_roster(cancelled, alex, "other")
        factories.add_to_roster(cancelled, kim, "social_worker")
        db.session.commit()


# --- Register reminders -----------------------------------------------------------------------------


def reminder_setup(app, *, ended_hours_ago=30, status="scheduled", booked=2, dates=1, booking_status="confirmed"):
    """A session whose (last) date ended ``ended_hours_ago``, with two rostered facilitators
    (and a third whose account is disabled)."""
    with app.app_context():
        hours = 3
        first = -(ended_hours_ago + hours) / 24 - 7 * (dates - 1)
        session = factories.make_session(
            course=factories.make_course(title="Staying Safe"), starts_in_days=first, hours=hours,
            dates=dates, status=status,
        )
        factories.fill_places(session, booked, status=booking_status)
        for email, role in (("priya@example.org", "police_mh_coordinator"), ("jo@example.org", "peer_specialist")):
            factories.add_to_roster(session, factories.make_facilitator(
                name=email.split("@")[0].title(), preferred_name=email.split("@")[0].title(), email=email,
                organisation="", default_role=None,
            ), role)
        gone = factories.make_facilitator(
            name="Gone Away", preferred_name="Gone", email="gone@example.org", organisation="", default_role=None,
        )
        gone.active = False
        factories.add_to_roster(session, gone, "social_worker")
        db.session.commit()
        return session.id, [d.id for d in session.dates]


# --- Content reviews --------------------------------------------------------------------------------


def start_review(app, course_id: int, *, completed: bool = False, published: bool = False, **fields) -> int:
    """A review made directly (for tests that start from one)."""
    with app.app_context():
        course = db.session.get(Course, course_id)
        review = content_reviews.start_review(course, held_on=fields.pop("held_on", to_uk(utcnow()).date()),
                                  participants="Sam (peer trainer), REC manager", by=None)
        review.decisions = fields.pop("decisions", "Give the online fraud part more time.")
        review.you_said_we_did = fields.pop("summary", "")
        if completed:
            content_reviews.complete_review(review, content_reviews.RAISE, by=None)
        if published:
            content_reviews.publish_summary(review, by=None)
        db.session.commit()
        return review.id


# --- Individual workshops ---------------------------------------------------------------------------


def workshop_world(app, *, student_email=None, team=True):
    """Staying Safe (published, needing three roles), its facilitators and a student."""
    with app.app_context():
        course = factories.make_course_needing(slug="staying-safe")
        ids = {"course": course.id}
        if team:
            police, social, peer = factories.staying_safe_team()
            ids.update(police=police.id, social=social.id, peer=peer.id, peer_email=peer.email)
        db.session.commit()
    return ids


def request_workshop(app, student_id, course_id, **answers):
    from rec_portal.models import Course, User

    with app.app_context():
        req = workshops.request_workshop(db.session.get(User, student_id), db.session.get(Course, course_id),
                                          contact_method="email", **answers)
        db.session.commit()
        return req.id


# --- Course form ------------------------------------------------------------------------------------


# What an admin types in the new-course form.
COURSE = {
    "title": "Staying Safe",
    "slug": "",
    "summary": "A one-day course to help you protect yourself from crime.",
    "description": "Co-delivered by **three** people.",
    "learning_outcomes": "Write a safety plan\nKnow how to report a crime",
    "audience": ["service_users", "carers"],
    "duration": "One day, 10am to 3pm",
    "delivery": "in_person",
    "content_version": "1",
    "role_police_mh_coordinator": "1",
    "role_social_worker": "1",
    "role_peer_specialist": "1",
}


# --- The prospectus ---------------------------------------------------------------------------------


def next_term_from_today():
    return session_term(utcnow()).next()


def prospectus_session(course, day, *, status="scheduled", individual=False, weeks=1):
    """10am to 3pm UK time on ``day`` and the ``weeks`` - 1 weeks after (the same UK hours
    across a change of the clocks)."""
    starts = [uk_to_utc(day + timedelta(weeks=w), time(10)) for w in range(weeks)]
    return factories.make_session_at(course, starts, hours=5, status=status, individual=individual,
                                     venue="12 Station Road")


def build_prospectus(app):
    term = next_term_from_today()
    day = term.start + timedelta(days=20)
    with app.app_context():
        safe = factories.make_course(title="Staying Safe", slug="staying-safe", theme="staying_safe",
                                     duration="One day, 10am to 3pm")
        anxiety = factories.make_course(title="Understanding Anxiety", theme="understanding")
        other = factories.make_course(title="Creative Writing", theme="")
        factories.make_course(title="Draft Course", status="draft", theme="understanding")
        first = prospectus_session(safe, day)
        prospectus_session(safe, day + timedelta(days=1), status="cancelled")
        prospectus_session(safe, day + timedelta(days=2), individual=True)
        prospectus_session(anxiety, day, weeks=4)
        prospectus_session(other, term.end + timedelta(days=3))  # the term after: not listed
        db.session.commit()
        return term, uk_date_span(first.dates[0].starts_at, first.dates[0].ends_at)


# --- The term report --------------------------------------------------------------------------------


TERM = "2026-spring"  # 1 January to 30 April 2026 (UK; GMT until 29 March)

IN_TERM = datetime(2026, 2, 10, 10, 0)  # naive UTC

BEFORE = datetime(2025, 12, 1, 10, 0)


def term_session(course, starts_at, *, capacity=12, status="completed", individual=False):
    return factories.make_session_at(
        course, starts_at, hours=5, capacity=capacity, status=status, venue="Room 1", individual=individual,
        completed_at=starts_at + timedelta(hours=6) if status == "completed" else None,
    )


def term_booking(session, status, *, queued=IN_TERM - timedelta(days=20), confirmed=None, made_by="self", student=None):
    student = student or factories.make_user()
    return factories.make_booking(session, student, status, queued_at=queued, confirmed_at=confirmed,
                                  made_by=made_by, made_by_user_id=None,
                                  cancelled_at=queued if status == "cancelled" else None)


def enrol(relationship, referral, created):
    user = factories.make_user()
    user.created_at = created
    factories.make_student_profile(user, relationship_to_services=relationship, referral_source=referral)
    return user


def build_term(app):
    """The hand-counted term (the numbers in the comments are what the report must say)."""
    with app.app_context():
        # 1. Enrolled in the term: 10 service users (care team), 8 carers (GP), 2 staff (GP);
        # one student enrolled before the term, one facilitator (not a student) in it.
        for _ in range(10):
            enrol("service_user", "care_team", IN_TERM)
        for _ in range(8):
            enrol("carer", "gp", IN_TERM)
        for _ in range(2):
            enrol("staff", "gp", IN_TERM)
        enrol("service_user", "self", BEFORE)
        factories.make_user(roles=("facilitator",)).created_at = IN_TERM
        db.session.flush()
        # Courses: A needs a peer specialist; B needs nobody.
        course_a = factories.make_course_needing("=cmd|' /C calc'!A0", {"peer_specialist": 1})
        course_b = factories.make_course(title="Managing Stress")
        s1 = term_session(course_a, IN_TERM, capacity=3)
        s2 = term_session(course_b, IN_TERM + timedelta(days=7))
        s_old = term_session(course_a, BEFORE)
        term_session(course_b, IN_TERM, capacity=1, individual=True)  # a one-to-one: not in the waiting lists
        # 3. Attendance on S1: three places (two booked by the REC team), two came.
        placed = [term_booking(s1, "confirmed", confirmed=IN_TERM - timedelta(days=20), made_by=m)
                  for m in ("self", "admin", "admin")]
        for b, status in zip(placed, ("present", "present", "absent")):
            factories.make_attendance(b, s1.dates[0], status)
        # 4. S1 is full: 8 still waiting, 1 left the list, 1 cancelled after getting a place.
        for _ in range(8):
            term_booking(s1, "waitlisted")
        term_booking(s1, "cancelled")
        term_booking(s1, "cancelled", confirmed=IN_TERM - timedelta(days=19))
        term_booking(s_old, "confirmed", queued=BEFORE - timedelta(days=5), confirmed=BEFORE)  # booked before the term
        # 5. S1 had its peer specialist; S2 needs nobody and had nobody.
        peer = factories.make_user(roles=("facilitator",))
        factories.add_to_roster(s1, peer)
        # 6. Feedback: S1 three invited, two answered (too few); S2 ten invited, eight answered.
        # (Named responses without a respondent: a new person for each would add people.)
        question = factories.make_feedback_question("Overall, how was the course?", kind="rating", position=0)
        for session, invited, ratings in ((s1, 3, [5, 4]), (s2, 10, [5, 4, 4, 3, 5, 4, 4, 5])):
            for n in range(invited):
                factories.make_feedback_invitation(session, factories.make_user(), answered=n < len(ratings))
            for value in ratings:
                factories.make_feedback_response(session, {question: value}, respondent_id=None,
                                                 given_on=IN_TERM.date())
        # 7. Workshop requests: 2 new and 1 arranged in the term, 1 new before it.
        for status, created in (("new", IN_TERM), ("new", IN_TERM), ("arranged", IN_TERM), ("new", BEFORE)):
            factories.make_workshop_request(peer, course_b, status=status, contact_method="email", created_at=created)
        db.session.commit()


# --- Co-delivery (the roster and workshop journeys) ----------------------------------------------

# The three people who deliver Staying Safe in the co-delivery journeys, by role.
CO_DELIVERY_TEAM = {
    "police_mh_coordinator": "Pat Constable",
    "social_worker": "Sue Carewell",
    "peer_specialist": "Pete Peerson",
}


def co_delivery_world(app) -> dict:
    """Staying Safe needing three roles, its three facilitators, an admin, a session to come
    and yesterday's session (rostered, Robin and Kim booked, register not taken yet)."""
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        course.roles_needed = [CourseRoleNeed(role=role) for role in CO_DELIVERY_TEAM]
        people = {}
        for role, name in CO_DELIVERY_TEAM.items():
            people[role] = factories.make_facilitator(
                role, name=name, preferred_name=name.split()[0], email=f"{name.split()[0].lower()}@example.org",
                organisation="Anyshire", bio=f"{name} bio",
            )
        factories.make_user(roles=("admin",), email="boss@example.org")
        upcoming = factories.make_session(course=course, starts_in_days=12)
        # Yesterday's session: rostered, two students booked, register not taken yet.
        past = factories.make_session(course=course, starts_in_days=-1, hours=5)
        for role, user in people.items():
            factories.add_to_roster(past, user, role)
        robin = factories.make_user(email="robin@example.org", full_name="Robin Ashdown", preferred_name="Robin")
        kim = factories.make_user(email="kim@example.org", full_name="Kim Lowe", preferred_name="Kim")
        bookings = {}
        for student in (robin, kim):
            bookings[student.preferred_name] = factories.make_booking(past, student, queued_at=utcnow(),
                                                                      made_by_user_id=None).id
        db.session.commit()
        return {"upcoming": upcoming.id, "past": past.id, "date": past.dates[0].id, "bookings": bookings}


# --- equality monitoring in the term report (issue 17) ----------------------------------

def equality_answer(user, **answers):
    db.session.add(EqualityAnswers(user_id=user.id, **answers))


def equality_report_world(app):
    """25 students active in spring 2026 (20 enrolled in the term, 5 enrolled before with a
    place on a session in it; returned as (id, email), the 20 first) and 4 not active
    (answers not counted):
    age: 18 to 24: 9, 25 to 34: 8, prefer not: 3, not answered: 5 (the two held back
    together come to 8, so nothing else is held back)."""
    with app.app_context():
        active = []
        for _ in range(20):
            user = factories.make_user()
            user.created_at = IN_TERM
            active.append(user)
        session = term_session(factories.make_course(title="Staying Safe"), IN_TERM)
        for _ in range(5):
            user = factories.make_user()
            user.created_at = BEFORE
            term_booking(session, "confirmed", student=user, confirmed=BEFORE)
            active.append(user)
        for i, user in enumerate(active[:20]):
            age = "18_24" if i < 9 else "25_34" if i < 17 else "prefer_not"
            equality_answer(user, age_band=age, ethnicity="asian_indian" if i < 3 else "white_british",
                    religion="christian" if i < 12 else "")
        for _ in range(4):  # not active in the term: enrolled before, no place in it
            old = factories.make_user()
            old.created_at = BEFORE - timedelta(days=400)
            equality_answer(old, age_band="65_74", ethnicity="black_african")
        gone = factories.make_user()
        gone.created_at, gone.anonymised_at = IN_TERM, IN_TERM
        db.session.commit()
        return [(u.id, u.email) for u in active]


def term_csv(client, name):
    response = client.get(f"/admin/reports/term/{name}.csv?term={TERM}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# --- rosters at two sizes (issue 18) -----------------------------------------------------

def grow_rosters(app, sessions: int, facilitators: int, offset: int):
    with app.app_context():
        people = [factories.make_facilitator(role, name=f"Person {offset}-{n}")
                  for n in range(facilitators)
                  for role in (("peer_specialist", "social_worker", "police_mh_coordinator", "clinician")[n % 4],)]
        courses = [factories.make_course_needing(f"Course {offset}-{n}", roles={"peer_specialist": 1, "social_worker": 1, "clinician": 1})
                   for n in range(max(1, sessions // 3))]
        made = []
        for n in range(sessions):
            made.append(factories.make_session_at(courses[n % len(courses)], factories.soon(3 + n % 40, hour=9 + n % 6), weeks=1 + n % 3))
        for n, session in enumerate(made):
            peer = people[(n * 4) % len(people)]
            if "peer_specialist" in peer.facilitator.role_codes and n % 2:
                with suppress(DomainError):  # a clash in generated data is fine
                    assign_facilitator(session, peer, "peer_specialist", None)
            factories.make_unavailability(people[n % len(people)],
                                          to_uk(session.starts_at).date() + timedelta(days=offset))
        for n, session in enumerate(made[:3]):
            worker = next(p for p in people if "social_worker" in p.facilitator.role_codes)
            factories.make_roster_offer(session, worker, "social_worker")
        # Someone on a roster marks one of its days off afterwards: a clash to show.
        placed = db.session.execute(
            select(RosterAssignment).where(RosterAssignment.session_id.in_([m.id for m in made]))
        ).scalars().first()
        clash_day = to_uk(placed.session.starts_at).date()
        if db.session.execute(select(Unavailability.id).where(
                Unavailability.user_id == placed.user_id, Unavailability.day == clash_day)).first() is None:
            factories.make_unavailability(placed.user_id, clash_day)
        db.session.commit()
