"""Every list page and export runs a fixed number of SQL statements whatever the data size
(issue 18, part 3).

One table, ``CASES``: for each route, a seeding function makes ``n`` rows of what the page
lists (on an empty database but for the person signed in, with the role that may see it)
and answers the URL and what the page must show. The page is read once to warm up
(anything done once, not per view: compiling templates, closing a past quarter of the
outcome report), then again while counting statements, at ``SMALL`` and at ``LARGE`` (3
times as many) rows: the counts must be EQUAL. Sizes stay under every page size (20 to 50),
so page 1 shows every row. Seeds fill the optional relationships a row can have (made by
staff, a reviewer, a session, a sender...): a lazy load only shows when the key is set.
Each case's name says what grows. PDFs are not typeset here (WeasyPrint reads nothing from
the database): what they show is read from the HTML given to it.

Pages owned and tested elsewhere (catalogue, /my/courses, the admin reports of issue 18, the
prospectus, the roster PDF, the my-data export) are named in ``TESTED_ELSEWHERE``, pages
that list nothing in ``NOT_A_LIST``, so ``test_every_get_route_is_counted_or_said_why_not``
names any new GET route nobody counts."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import pytest
from sqlalchemy import text

from rec_portal.extensions import db
from rec_portal.models import UserRole
from rec_portal.timeutil import utcnow
from tests import factories
from rec_portal.web import cache
from tests.conftest import count_statements

SMALL, LARGE = 3, 9


@dataclass
class Seeded:
    url: str
    shows: list[str] = field(default_factory=list)  # each must be in the response body
    rows: int | None = None  # CSV: data rows expected (header excluded)


@dataclass
class Case:
    endpoint: str
    name: str  # "<route> grows with <what>"
    roles: tuple[str, ...]
    seed: Callable  # seed(viewer_id, n) -> Seeded, inside an app context
    pdf: bool = False  # a PDF: what it shows is read from the HTML given to WeasyPrint


def _user(viewer_id):
    from rec_portal.models import User

    return db.session.get(User, viewer_id)


def _people(n, **kw):
    return [factories.make_user(full_name=f"Listed Person {i}", **kw) for i in range(n)]


def _names(n, prefix="Listed Person"):
    return [f"{prefix} {i}" for i in range(n)]


# --- Admin: people, outbox, audit, call list ------------------------------------------------------

def seed_people(viewer, n):
    for person in _people(n):
        factories.make_student_profile(person)
    return Seeded("/admin/people", _names(n))


def seed_people_search(viewer, n):
    for i, person in enumerate(_people(n)):
        factories.make_student_profile(person, phone="07700 900123")
        if i % 2:
            person.roles.append(UserRole(role="facilitator"))
            factories.make_facilitator_profile(person, "peer_specialist")
    return Seeded("/admin/people?q=Listed&role=student", _names(n))


def seed_person_page(viewer, n):
    student = factories.make_user(full_name="Pat Many-Bookings")
    factories.make_student_profile(student)
    for i in range(n):  # coming up, done and marked, waiting or offered, by the student or by staff
        course = factories.make_course(title=f"Booked Course {i}")
        if i % 3 == 1:
            session = factories.make_session(course=course, starts_in_days=-40 - i, status="completed")
            booking = factories.make_booking(session, student)
            factories.make_attendance(booking, session.dates[0])
        elif i % 3 == 2:
            session = factories.make_session(course=course, starts_in_days=5 + i)
            factories.make_booking(session, student, "offered" if i % 2 else "waitlisted",
                                   made_by="admin", made_by_user_id=factories.make_user(roles=("admin",)).id)
        else:
            factories.make_booking(factories.make_session(course=course, starts_in_days=5 + i), student)
    return Seeded(f"/admin/people/{student.id}", _names(n, "Booked Course"))


def seed_outbox(viewer, n):
    for i in range(n):  # waiting, failed or sent, each to a person of its own (or to nobody's account)
        person = factories.make_user()
        factories.make_outbox_message(person, subject=f"Outbox subject {i}", status=("pending", "failed", "sent")[i % 3],
                                      **({"user_id": None} if i % 4 == 3 else {}))
    return Seeded("/admin/outbox", _names(n, "Outbox subject"))


def seed_audit(viewer, n):
    for i, person in enumerate(_people(n)):  # each by one person, about another (or about nobody)
        factories.make_audit_event(person, "bookings.viewed_by_staff",
                                   subject=factories.make_user() if i % 2 else None)
    return Seeded("/admin/audit", _names(n))


def seed_calls(viewer, n):
    for i in range(n):
        person = factories.make_student_who_prefers("phone", phone="07700 900123", full_name=f"Listed Person {i}")
        factories.make_contact_task(person, session_id=factories.make_session(starts_in_days=3 + i).id)
    return Seeded("/admin/calls", _names(n))


# --- Sessions: bookings page and CSV, class list, register, sign-in sheet --------------------------

def _session_with(n, waiting=None, dates=2):
    """A session with ``n`` places taken (every other one booked by a member of staff of
    its own, each with a profile, the first date marked) and ``n`` (or ``waiting``) waiting,
    and ``n`` class messages, each from a sender of its own."""
    from rec_portal.models.contact import ClassMessage

    session = factories.make_session(capacity=n, dates=dates, starts_in_days=-1)
    places = factories.fill_places(session, n)
    waiting = factories.fill_places(session, n if waiting is None else waiting, status="waitlisted")
    for i, booking in enumerate(places + waiting):
        factories.make_student_profile(booking.student_id, phone="07700 900123")
        if i % 2:
            booking.made_by, booking.made_by_user_id = "admin", factories.make_user(roles=("admin",)).id
    for i, booking in enumerate(waiting):
        if i % 2:  # a place offered from the waiting list
            booking.status, booking.offered_at = "offered", utcnow()
            booking.offer_expires_at = utcnow() + timedelta(days=1)
    for i, booking in enumerate(places):
        factories.make_attendance(booking, session.dates[0], "present" if i % 2 else "absent")
    for i in range(n):
        db.session.add(ClassMessage(session_id=session.id, sender_id=factories.make_user(roles=("admin",)).id,
                                    body=f"Class message {i}", recipients=n))
    db.session.flush()
    return session


def _booked_names(session, status=None, attr="full_name"):
    from sqlalchemy import select

    from rec_portal.models import Booking

    rows = db.session.execute(select(Booking).where(Booking.session_id == session.id)).scalars().all()
    return [getattr(b.student, attr) for b in rows if status in (None, b.status)]


def seed_session_bookings(viewer, n):
    session = _session_with(n)
    return Seeded(f"/admin/courses/sessions/{session.id}/bookings",
                  [f"({n // 2} held for someone offered a place). {n - n // 2} on the waiting list."] + _booked_names(session))


def seed_session_bookings_found(viewer, n):
    """The session's people also booked on another date of the course (waiting ones marked
    there), and ``n`` students found by each search (to book, and to add as a walk-in)."""
    from sqlalchemy import select

    from rec_portal.models import Booking

    session = _session_with(n)
    other = factories.make_session(course=session.course, starts_in_days=-20, status="completed")
    for booking in db.session.execute(select(Booking).where(Booking.session_id == session.id)).scalars().all():
        elsewhere = factories.make_booking(other, booking.student_id)
        factories.make_attendance(elsewhere, other.dates[0])
    _people(n)
    return Seeded(f"/admin/courses/sessions/{session.id}/bookings?q=Listed&walk_in_q=Listed", _names(n))


def seed_session_bookings_csv(viewer, n):
    session = _session_with(n)
    return Seeded(f"/admin/courses/sessions/{session.id}/bookings.csv", rows=2 * n)


def seed_class_list(viewer, n):
    session = _session_with(n)
    factories.add_to_roster(session, viewer)
    return Seeded(f"/facilitate/sessions/{session.id}",
                  _booked_names(session, "confirmed", "preferred_name") + _names(n, "Class message"))


def seed_register(viewer, n):
    session = _session_with(n, waiting=0)
    factories.add_to_roster(session, viewer)
    return Seeded(f"/facilitate/sessions/{session.id}/dates/{session.dates[0].id}/register",
                  [f"{n} of {n} marked"])


def seed_sign_in_sheet(viewer, n):
    session = _session_with(n, waiting=0)
    factories.add_to_roster(session, viewer)
    return Seeded(f"/facilitate/sessions/{session.id}/dates/{session.dates[0].id}/sign-in-sheet.pdf",
                  _booked_names(session, "confirmed", "preferred_name"))


def seed_class_message(viewer, n):
    session = _session_with(n)
    return Seeded(f"/admin/courses/sessions/{session.id}/message")


def seed_admin_courses(viewer, n):
    for i in range(n):
        course = factories.make_course(title=f"Scheduled Course {i}")
        factories.make_session(course=course)
    return Seeded("/admin/courses", _names(n, "Scheduled Course"))


# --- Facilitators and rosters -------------------------------------------------------------------

def seed_facilitate_index(viewer, n):
    factories.make_facilitator_profile(_user(viewer), "peer_specialist")
    for i in range(n):
        course = factories.make_course(title=f"Rostered Course {i}")
        upcoming = factories.make_session(course=course, starts_in_days=3 + i)
        past = factories.make_session(course=course, starts_in_days=-10 - i, status="completed")
        factories.add_to_roster(upcoming, viewer)
        factories.add_to_roster(past, viewer)
    return Seeded("/facilitate", _names(n, "Rostered Course"))


def seed_open_roles(viewer, n):
    """``n`` sessions needing a peer specialist, and ``n`` more the viewer has offered to
    cover (each with someone else rostered, and a day off of the viewer's in between)."""
    factories.make_facilitator_profile(_user(viewer), "peer_specialist")
    for i in range(n):
        course = factories.make_course_needing(title=f"Open Role Course {i}")
        factories.make_session(course=course, starts_in_days=5 + i)
        course = factories.make_course_needing(title=f"Offered Course {i}")
        session = factories.make_session(course=course, starts_in_days=30 + i)
        factories.make_roster_offer(session, viewer)
        factories.add_to_roster(session, factories.make_facilitator("social_worker"), "social_worker")
        factories.make_unavailability(viewer, date.today() + timedelta(days=60 + i))
    return Seeded("/facilitate/open-roles", _names(n, "Open Role Course") + _names(n, "Offered Course"))


def seed_facilitators(viewer, n):
    for i in range(n):
        factories.make_facilitator("peer_specialist", name=f"Listed Person {i}")
    return Seeded("/admin/facilitators", _names(n))


def seed_facilitator_page(viewer, n):
    person = factories.make_facilitator("peer_specialist", name="Fran Facilitator")
    for i in range(n):
        course = factories.make_course(title=f"Rostered Course {i}")
        factories.add_to_roster(factories.make_session(course=course, starts_in_days=3 + i), person)
        factories.make_unavailability(person, date.today() + timedelta(days=40 + i))
    return Seeded(f"/admin/facilitators/{person.id}", _names(n, "Rostered Course"))


def seed_rosters(viewer, n):
    """``n`` sessions, each with one role filled, an offer pending from a facilitator of its
    own for another, and ``n`` facilitators of each role who could fill the gaps (every
    other one off on the day of a session, or inactive)."""
    team = factories.staying_safe_team()
    _team(n)
    from sqlalchemy import select

    from rec_portal.models import FacilitatorProfile

    profiles = db.session.execute(select(FacilitatorProfile)).scalars().all()
    for i in range(n):
        course = factories.make_course_needing(title=f"Rostered Course {i}")
        session = factories.make_session(course=course, starts_in_days=3 + i)
        factories.add_to_roster(session, team[2])
        offerer = factories.make_facilitator("social_worker", name=f"Offering Person {i}")
        factories.make_roster_offer(session, offerer, "social_worker")
        factories.make_unavailability(profiles[i].user_id, session.starts_at.date())
    for profile in profiles[n:2 * n]:
        profile.active = False
    return Seeded("/admin/rosters", _names(n, "Rostered Course") + _names(n, "Offering Person"))


def seed_fidelity(viewer, n):
    team = factories.staying_safe_team()
    for i in range(n):
        course = factories.make_course_needing(title=f"Rostered Course {i}")
        session = factories.make_session(course=course, starts_in_days=-20 - i, status="completed")
        for person, role in zip(team, factories.STAYING_SAFE_ROLES):
            factories.add_to_roster(session, person, role)
    return Seeded("/admin/rosters/fidelity")


def _hours(n):
    team = factories.staying_safe_team()
    for i in range(n):
        course = factories.make_course(title=f"Hours Course {i}")
        session = factories.make_session(course=course, starts_in_days=-20 - i, status="completed")
        person = factories.make_facilitator("peer_specialist", name=f"Listed Person {i}")
        factories.add_to_roster(session, person)
        factories.add_to_roster(session, team[i % 3])


def seed_facilitator_hours(viewer, n):
    _hours(n)
    return Seeded("/admin/reports/facilitator-hours", _names(n))


def seed_facilitator_hours_csv(viewer, n):
    _hours(n)
    return Seeded("/admin/reports/facilitator-hours.csv", _names(n))


# --- Calendar feed -----------------------------------------------------------------------------------

def seed_calendar_feed(viewer, n):
    student = factories.make_user(roles=("student", "facilitator"))
    student.calendar_token = secrets.token_urlsafe(32)
    student.show_course_titles = True
    for i in range(n):
        course = factories.make_course(title=f"Feed Course {i}")
        factories.make_booking(factories.make_session(course=course, starts_in_days=5 + i, dates=2), student)
        course = factories.make_course(title=f"Rostered Course {i}")
        factories.add_to_roster(factories.make_session(course=course, starts_in_days=5 + i), student)
    return Seeded(f"/calendar/{student.calendar_token}.ics", _names(n, "Feed Course") + _names(n, "Rostered Course"))


# --- Referrals, support requests, workshops ------------------------------------------------------

def seed_referrals(viewer, n):
    for i in range(n):  # enrolled: each handled by someone and linked to a student record of its own
        factories.make_referral(person_name=f"Listed Person {i}", status="enrolled",
                                handled_by_id=factories.make_user(roles=("admin",)).id,
                                student_id=factories.make_user().id)
    return Seeded("/admin/referrals?status=enrolled", _names(n))


def seed_support_requests(viewer, n):
    for i, person in enumerate(_people(n)):
        if i % 2:  # a facilitator's concern about a session
            factories.make_support_request(person, kind="concern", raised_by=factories.make_user(roles=("facilitator",)),
                                           session_id=factories.make_session().id)
        else:
            factories.make_support_request(person)
    return Seeded("/support-requests", _names(n))


def seed_support_request_page(viewer, n):
    from rec_portal.models import SupportRequestNote

    found = factories.make_support_request(factories.make_user())
    for i in range(n):
        author = factories.make_user(roles=("support_lead",), full_name=f"Listed Person {i}")
        db.session.add(SupportRequestNote(request_id=found.id, author_id=author.id, body=f"Note {i}"))
    return Seeded(f"/support-requests/{found.id}", _names(n))


def seed_workshops(viewer, n):
    for i, person in enumerate(_people(n)):
        course = factories.make_course(title=f"Workshop Course {i}")
        if i % 2:
            factories.make_workshop_request(person, course, status="arranged",
                                            session_id=factories.make_session(course=course, individual=True).id)
        else:
            factories.make_workshop_request(person, course)
    return Seeded("/admin/workshops?status=all", _names(n) + _names(n, "Workshop Course"))


def seed_workshop_page(viewer, n):
    from rec_portal.models.workshops import WorkshopRequestNote

    found = factories.make_workshop_request(factories.make_user())
    for i in range(n):
        author = factories.make_user(roles=("admin",), full_name=f"Listed Person {i}")
        db.session.add(WorkshopRequestNote(request_id=found.id, author_id=author.id, text=f"Note {i}"))
    return Seeded(f"/admin/workshops/{found.id}", _names(n))


def _team(n):
    """``n`` facilitators for each role Staying Safe needs."""
    for i in range(n):
        for role in factories.STAYING_SAFE_ROLES:
            factories.make_facilitator(role, name=f"Listed Person {role} {i}")
    return [f"Listed Person {role} {i}" for role in factories.STAYING_SAFE_ROLES for i in range(n)]


def seed_workshop_roster(viewer, n):
    course = factories.make_course_needing(title="Workshop Course")
    session = factories.make_session(course=course, individual=True, capacity=1)
    found = factories.make_workshop_request(factories.make_user(), course, status="arranged", session_id=session.id)
    return Seeded(f"/admin/workshops/{found.id}", _team(n))


def seed_workshop_arrange(viewer, n):
    course = factories.make_course_needing(title="Workshop Course")
    found = factories.make_workshop_request(factories.make_user(), course)
    return Seeded(f"/admin/workshops/{found.id}/arrange", _team(n))


# --- Tutoring and learning plans ---------------------------------------------------------------------

def seed_tutors(viewer, n):
    """``n`` tutors, every other one's account disabled (still listed with their students),
    each with a student reviewed long ago and one with a conversation; and ``n`` students
    without a tutor who asked for a conversation (the REC team's)."""
    for i in range(n):
        tutor = factories.make_tutor(full_name=f"Listed Person {i}", active=bool(i % 2))
        student = factories.make_tutored_student(tutor)
        factories.make_plan_review(student, tutor, review_date=date.today() - timedelta(days=400))
        factories.make_plan_conversation(factories.make_tutored_student(tutor), tutor)
        factories.make_plan_conversation(factories.make_user(full_name=f"Untutored Person {i}"))
    return Seeded("/admin/tutors", _names(n) + _names(n, "Untutored Person") + ["(account disabled)"])


def seed_caseload(viewer, n):
    for i in range(n):
        student = factories.make_tutored_student(viewer, full_name=f"Listed Person {i}")
        factories.make_plan_review(student, viewer, review_date=date.today() - timedelta(days=30))
        factories.make_plan_conversation(student, viewer, status="arranged", arranged_for=utcnow() + timedelta(days=3),
                                         arranged_by_id=factories.make_user(roles=("admin",)).id)
    return Seeded("/tutor", _names(n))


def _plan(student, n, reviewer=None):
    factories.make_learning_plan(student)
    for i in range(n):
        factories.make_goal(student, text=f"Goal number {i}", position=i)
        factories.make_plan_review(student, reviewer or factories.make_user(roles=("tutor",)),
                                   review_date=date.today() - timedelta(days=30 * (i + 1)), notes=f"Review note {i}")
    return _names(n, "Goal number") + _names(n, "Review note")


def seed_my_plan(viewer, n):
    return Seeded("/my/plan", _plan(viewer, n))


def seed_my_plan_pdf(viewer, n):
    return Seeded("/my/plan.pdf", _plan(viewer, n)[:n])


def seed_advisor_plan(viewer, n):
    student = factories.make_user()
    return Seeded(f"/admin/students/{student.id}/plan", _plan(student, n, viewer))


def seed_tutor_plan(viewer, n):
    student = factories.make_tutored_student(viewer)
    return Seeded(f"/tutor/students/{student.id}/plan", _plan(student, n, viewer))


# --- Pathways, support guide, safety plan, outcomes -------------------------------------------------

def seed_pathways_admin(viewer, n):
    for i in range(n):
        courses = [factories.make_course(title=f"Step {i}.{j}") for j in range(2)]
        factories.make_pathway(courses, title=f"Listed Pathway {i}", status="draft" if i % 2 else "published")
    return Seeded("/admin/pathways", _names(n, "Listed Pathway"))


def seed_pathway_admin_page(viewer, n):
    courses = [factories.make_course(title=f"Step Course {j}") for j in range(n)]
    pathway = factories.make_pathway(courses)
    return Seeded(f"/admin/pathways/{pathway.id}", _names(n, "Step Course"))


def seed_pathways_public(viewer, n):
    for i in range(n):
        courses = [factories.make_course(title=f"Step {i}.{j}") for j in range(2)]
        factories.make_pathway(courses, title=f"Listed Pathway {i}")
        for course in courses:
            factories.complete_course(viewer, course)
    return Seeded("/pathways", _names(n, "Listed Pathway"))


def seed_support_guide(viewer, n):
    for i in range(n):
        factories.make_support_service(f"Listed Service {i}", needs=("mental_health_crisis",))
    return Seeded("/support", _names(n, "Listed Service"))


def seed_support_admin(viewer, n):
    for i in range(n):  # every other one retired
        factories.make_support_service(f"Listed Service {i}", needs=("mental_health_crisis", "hate_crime"),
                                       retired_at=utcnow() if i % 2 else None)
    return Seeded("/admin/support", _names(n, "Listed Service"))


def seed_safety_plan(viewer, n):
    factories.make_safety_plan(viewer)
    for i in range(n):
        factories.make_trusted_person(viewer, name=f"Listed Person {i}")
        factories.add_service_to_safety_plan(viewer, factories.make_support_service(f"Listed Service {i}"))
    return Seeded("/my/safety-plan", _names(n) + _names(n, "Listed Service"))


def seed_safety_plan_pdf(viewer, n):
    return Seeded("/my/safety-plan.pdf", seed_safety_plan(viewer, n).shows)


def _outcomes(n):
    for _ in range(n):
        student = factories.make_user()
        factories.make_outcome_check(student, stage="baseline", victim=True, times=2, crime_types=("theft",),
                                     reported_to=("police",), answered_at=utcnow() - timedelta(days=100))
        factories.make_outcome_check(student, stage="6_months", victim=False,
                                     answered_at=utcnow() - timedelta(days=10))


def seed_outcomes_report(viewer, n):
    _outcomes(n)
    return Seeded("/admin/outcomes")


def seed_outcomes_quarters(viewer, n):
    """Answers in ``n`` different past quarters (each closed on the first view, the warm-up)."""
    for i in range(n):
        student = factories.make_user()
        factories.make_outcome_check(student, stage="baseline", victim=bool(i % 2), times=1,
                                     answered_at=utcnow() - timedelta(days=92 * (i + 1)))
    return Seeded("/admin/outcomes.csv")


def seed_outcomes_csv(viewer, n):
    _outcomes(n)
    return Seeded("/admin/outcomes.csv")


def seed_my_outcomes(viewer, n):
    # One answer per stage at most: what grows is the sessions they went to since.
    factories.make_outcome_check(_user(viewer), stage="baseline", answered_at=utcnow() - timedelta(days=400))
    for i in range(n):
        factories.make_attended_session([_user(viewer)], course=factories.make_course(title=f"Done Course {i}"),
                                        ended_days_ago=200 + i)
    return Seeded("/my/outcomes")


# --- Feedback: review, comments, CSV, content reviews, question bank -------------------------------------

def _feedback(n, facilitator=None):
    course = factories.make_course(title="Feedback Course")
    questions = factories.make_feedback_questions(course.id)
    for i in range(n):
        session = factories.make_session_delivered(course, days_ago=10 + i)
        if facilitator is not None:
            factories.add_to_roster(session, facilitator)
        student = factories.make_user(full_name=f"Listed Person {i}")
        factories.make_feedback_response(session, {questions["rating"]: 4, questions["agreement"]: 3,
                                                   questions["yes_no"]: 1, questions["helpful"]: f"Comment {i}"},
                                         respondent_id=student.id)
    return course


def seed_feedback_index(viewer, n):
    for i in range(n):
        course = factories.make_course(title=f"Feedback Course {i}")
        session = factories.make_session_delivered(course)
        question = factories.make_feedback_question(kind="rating")
        factories.make_feedback_response(session, {question: 4})
    return Seeded("/admin/feedback", _names(n, "Feedback Course"))


def seed_feedback_course(viewer, n):
    course = _feedback(n)
    return Seeded(f"/admin/feedback/courses/{course.id}", _names(n, "Comment"))


def seed_feedback_csv(viewer, n):
    course = _feedback(n)
    return Seeded(f"/admin/feedback/courses/{course.id}/responses.csv", _names(n, "Comment"))


def seed_facilitator_feedback(viewer, n):
    factories.make_facilitator_profile(_user(viewer), "peer_specialist")
    for i in range(n):
        course = factories.make_course(title=f"Feedback Course {i}")
        session = factories.make_session_delivered(course)
        factories.add_to_roster(session, viewer)
        question = factories.make_feedback_question(kind="rating")
        factories.make_feedback_response(session, {question: 4})
    return Seeded("/facilitate/feedback", _names(n, "Feedback Course"))


def seed_facilitator_feedback_course(viewer, n):
    factories.make_facilitator_profile(_user(viewer), "peer_specialist")
    course = _feedback(n, facilitator=viewer)
    return Seeded(f"/facilitate/feedback/courses/{course.id}", _names(n, "Comment"))


def seed_content_reviews(viewer, n):
    course = factories.make_course(title="Reviewed Course")
    shown = []
    for i in range(n):  # every other one completed; each started by someone of its own
        shown.append(factories.make_content_review(course, held_on=date.today() - timedelta(days=i), decisions=f"Decision {i}",
                                      created_by_id=factories.make_user(roles=("admin",)).id,
                                      **({"status": "completed", "completed_at": utcnow(), "version_after": 2}
                                         if i % 2 else {})))
    return Seeded(f"/admin/feedback/courses/{course.id}/reviews", [f'id="review-{r.id}"' for r in shown])


def seed_content_review_page(viewer, n):
    from rec_portal.models.feedback import ContentReviewAction, ContentReviewItem

    course = factories.make_course(title="Reviewed Course")
    review = factories.make_content_review(course)
    for answer in factories.make_comments(course, [f"Comment {i}" for i in range(n)]):
        db.session.add(ContentReviewItem(review_id=review.id, answer_id=answer.id))
    for i in range(n):
        db.session.add(ContentReviewAction(review_id=review.id, description=f"Action {i}", owner="The REC team"))
    return Seeded(f"/admin/feedback/reviews/{review.id}", _names(n, "Comment") + _names(n, "Action"))


def seed_question_bank(viewer, n):
    """``n`` questions (every other one about a course of its own), each replacing a retired
    one written by someone of its own."""
    for i in range(n):
        old = factories.make_feedback_question(f"Old question {i}", position=i + 1, retired_at=utcnow(),
                                               created_by_id=factories.make_user(roles=("admin",)).id)
        factories.make_feedback_question(f"Question number {i}", position=i + 1, replaces_id=old.id,
                                         course=factories.make_course() if i % 2 else None,
                                         created_by_id=factories.make_user(roles=("admin",)).id)
    return Seeded("/admin/feedback/questions", _names(n, "Question number"))


# --- Pages with a form whose choices or context grow ----------------------------------------------------

def seed_admin_home(viewer, n):
    for person in _people(n):
        factories.make_outbox_message(person, status="failed")
        factories.make_contact_task(person)
    return Seeded("/admin")


def seed_my_account(viewer, n):
    me = _user(viewer)
    for i in range(n):
        factories.make_support_request(me, details=f"Request {i}")
        factories.make_outbox_message(me, subject=f"Undelivered {i}", status="failed")
    return Seeded("/my/account")


def seed_assign_tutor(viewer, n):
    student = factories.make_user()
    for i in range(n):
        tutor = factories.make_tutor(full_name=f"Listed Person {i}")
        factories.make_tutored_student(tutor)
    return Seeded(f"/admin/people/{student.id}/tutor", _names(n))


def _rostered_session_with(viewer, n):
    factories.make_facilitator_profile(_user(viewer), "peer_specialist")
    session = _session_with(n)
    factories.add_to_roster(session, viewer)
    return session


def seed_concern(viewer, n):
    session = _rostered_session_with(viewer, n)
    return Seeded(f"/facilitate/sessions/{session.id}/concerns", _booked_names(session, "confirmed"))


def seed_facilitator_message(viewer, n):
    session = _rostered_session_with(viewer, n)
    return Seeded(f"/facilitate/sessions/{session.id}/message")


def seed_reflection(viewer, n):
    session = _rostered_session_with(viewer, n)
    session.status, session.completed_at = "completed", utcnow()
    for i in range(n):
        factories.make_feedback_question(f"Question number {i}", audience="facilitator", position=i + 1)
    return Seeded(f"/facilitate/sessions/{session.id}/reflection", _names(n, "Question number"))


def seed_availability(viewer, n):
    factories.make_facilitator_profile(_user(viewer), "peer_specialist")
    for i in range(n):
        factories.make_unavailability(viewer, date.today() + timedelta(days=10 + i), note=f"Day off {i}")
    return Seeded("/facilitate/availability", _names(n, "Day off"))


def seed_cancel_session(viewer, n):
    session = _session_with(n)
    return Seeded(f"/admin/courses/sessions/{session.id}/cancel")


def seed_copy_session(viewer, n):
    session = _session_with(n, dates=n)
    return Seeded(f"/admin/courses/sessions/{session.id}/copy")


def seed_review_pdf(viewer, n):
    seeded = seed_content_review_page(viewer, n)
    return Seeded(seeded.url + "/report.pdf", seeded.shows)


def seed_feedback_give(viewer, n):
    from sqlalchemy import select

    from rec_portal.models import Booking

    session = factories.make_attended_session([_user(viewer)], ended_days_ago=2)
    for i in range(n):
        factories.make_feedback_question(f"Question number {i}", kind="rating" if i % 2 else "text", position=i + 1)
    booking = db.session.execute(select(Booking).where(Booking.session_id == session.id)).scalar_one()
    return Seeded(f"/my/courses/{booking.id}/feedback", _names(n, "Question number"))


def seed_bank_preview(viewer, n):
    for i in range(n):
        factories.make_feedback_question(f"Question number {i}", position=i + 1)
    return Seeded("/admin/feedback/questions/preview", _names(n, "Question number"))


def seed_referral_page(viewer, n):
    referral = factories.make_referral(person_name="Jordan Reeve", person_phone="07700 900456")
    ids = []
    for _ in range(n):
        person = factories.make_user(full_name="Jordan Reeve")
        factories.make_student_profile(person, phone="07700 900456")
        ids.append(person.id)
    return Seeded(f"/admin/referrals/{referral.id}", [f"REC-{i:06d}" for i in ids])


def seed_facilitator_search(viewer, n):
    _people(n)
    return Seeded("/admin/facilitators/new?q=Listed", _names(n))


def seed_pathway_certificate(viewer, n):
    courses = [factories.make_course(title=f"Step Course {j}") for j in range(n)]
    pathway = factories.make_pathway(courses)
    for i, course in enumerate(courses):
        factories.complete_course(viewer, course, days_ago=100 - i)
    return Seeded(f"/my/pathways/{pathway.id}/certificate.pdf", _names(n, "Step Course"))


ADMIN, FACILITATOR, TUTOR, LEAD, STUDENT = ("admin",), ("facilitator",), ("tutor",), ("support_lead",), ("student",)

CASES = [
    Case("admin.people", "admin people list grows with people", ADMIN, seed_people),
    Case("admin.people", "admin people search grows with people found", ADMIN, seed_people_search),
    Case("admin.person", "admin person page grows with their bookings", ADMIN, seed_person_page),
    Case("admin.outbox", "outbox grows with messages", ADMIN, seed_outbox),
    Case("admin.audit_log", "audit log grows with events", ADMIN, seed_audit),
    Case("calls.index", "call list grows with lines", ADMIN, seed_calls),
    Case("scheduling.index", "admin courses list grows with courses", ADMIN, seed_admin_courses),
    Case("scheduling.session_bookings", "session bookings page grows with bookings and waiting", ADMIN, seed_session_bookings),
    Case("scheduling.session_bookings", "session bookings page grows with people found and booked on other dates",
         ADMIN, seed_session_bookings_found),
    Case("scheduling.session_bookings_csv", "session bookings CSV grows with bookings and waiting", ADMIN, seed_session_bookings_csv),
    Case("facilitation.class_list", "class list grows with people booked", ADMIN, seed_class_list),
    Case("facilitation.register", "register grows with people booked", ADMIN, seed_register),
    Case("facilitation.sign_in_sheet", "sign-in sheet PDF grows with people booked", ADMIN, seed_sign_in_sheet, pdf=True),
    Case("class_messages.admin_message", "class message page grows with people booked", ADMIN, seed_class_message),
    Case("facilitation.index", "facilitator's sessions grow with sessions rostered", FACILITATOR, seed_facilitate_index),
    Case("facilitation.open_roles", "open roles grow with sessions needing people", FACILITATOR, seed_open_roles),
    Case("rosters.facilitators", "facilitators list grows with facilitators", ADMIN, seed_facilitators),
    Case("rosters.facilitator", "facilitator page grows with their sessions and days off", ADMIN, seed_facilitator_page),
    Case("rosters.index", "rosters list grows with sessions", ADMIN, seed_rosters),
    Case("rosters.fidelity", "roster fidelity grows with sessions delivered", ADMIN, seed_fidelity),
    Case("attendance.facilitator_hours_report", "facilitator hours grow with facilitators and sessions", ADMIN, seed_facilitator_hours),
    Case("attendance.facilitator_hours_csv", "facilitator hours CSV grows with facilitators and sessions", ADMIN, seed_facilitator_hours_csv),
    Case("bookings.calendar_feed", "calendar feed grows with bookings and rostered sessions", STUDENT, seed_calendar_feed),
    Case("referrals.queue", "referrals queue grows with referrals", ADMIN, seed_referrals),
    Case("support_requests.queue", "support requests queue grows with requests", LEAD, seed_support_requests),
    Case("support_requests.request", "support request page grows with notes", LEAD, seed_support_request_page),
    Case("workshops.queue", "workshops queue grows with requests", ADMIN, seed_workshops),
    Case("workshops.request", "workshop request page grows with notes", ADMIN, seed_workshop_page),
    Case("tutoring.overview", "tutors overview grows with tutors and students", ADMIN, seed_tutors),
    Case("tutoring.caseload", "tutor's caseload grows with students", TUTOR, seed_caseload),
    Case("plans.index", "my learning plan grows with goals and reviews", STUDENT, seed_my_plan),
    Case("plans.pdf", "my learning plan PDF grows with goals and reviews", STUDENT, seed_my_plan_pdf, pdf=True),
    Case("plans.advisor_view", "advisor's plan view grows with goals and reviews", ADMIN, seed_advisor_plan),
    Case("plans.tutor_view", "tutor's plan view grows with goals and reviews", TUTOR, seed_tutor_plan),
    Case("pathways.admin_index", "pathways admin list grows with pathways", ADMIN, seed_pathways_admin),
    Case("pathways.admin_detail", "pathway admin page grows with steps", ADMIN, seed_pathway_admin_page),
    Case("pathways.index", "pathways page grows with pathways and courses done", STUDENT, seed_pathways_public),
    Case("support.index", "support guide grows with services", STUDENT, seed_support_guide),
    Case("support.admin_index", "support guide admin grows with services", ADMIN, seed_support_admin),
    Case("safety_plans.index", "safety plan grows with people and services", STUDENT, seed_safety_plan),
    Case("safety_plans.pdf", "safety plan PDF grows with people and services", STUDENT, seed_safety_plan_pdf, pdf=True),
    Case("outcomes.report", "outcome report grows with answers", ADMIN, seed_outcomes_report),
    Case("outcomes.report_csv", "outcome CSV grows with past quarters", ADMIN, seed_outcomes_quarters),
    Case("outcomes.report_csv", "outcome CSV grows with answers", ADMIN, seed_outcomes_csv),
    Case("outcomes.index", "my outcomes grow with my answers", STUDENT, seed_my_outcomes),
    Case("feedback_review.index", "feedback index grows with courses", ADMIN, seed_feedback_index),
    Case("feedback_review.course", "feedback course page grows with responses", ADMIN, seed_feedback_course),
    Case("feedback_review.responses_csv", "feedback responses CSV grows with responses", ADMIN, seed_feedback_csv),
    Case("feedback_review.my_courses", "facilitator's feedback grows with courses", FACILITATOR, seed_facilitator_feedback),
    Case("feedback_review.my_course", "facilitator's feedback course grows with responses", FACILITATOR, seed_facilitator_feedback_course),
    Case("content_reviews.course_reviews", "content reviews list grows with reviews", ADMIN, seed_content_reviews),
    Case("content_reviews.review", "content review page grows with comments and actions", ADMIN, seed_content_review_page),
    Case("feedback.bank_index", "question bank grows with questions", ADMIN, seed_question_bank),
    Case("workshops.request", "workshop request page grows with facilitators who could fill a gap", ADMIN,
         seed_workshop_roster),
    Case("workshops.arrange", "arrange a workshop grows with facilitators who could deliver it", ADMIN,
         seed_workshop_arrange),
    Case("feedback.give", "feedback form grows with questions", STUDENT, seed_feedback_give),
    Case("admin.index", "admin home grows with people, failed emails and calls", ADMIN, seed_admin_home),
    Case("account.index", "my account grows with my requests and undelivered emails", STUDENT, seed_my_account),
    Case("tutoring.assign", "assign a tutor grows with tutors", ADMIN, seed_assign_tutor),
    Case("support_requests.concern", "raise a concern grows with the class", FACILITATOR, seed_concern),
    Case("class_messages.facilitator_message", "facilitator's class message grows with the class", FACILITATOR,
         seed_facilitator_message),
    Case("feedback.reflection", "reflection grows with questions and the class", FACILITATOR, seed_reflection),
    Case("facilitation.availability", "availability grows with days off", FACILITATOR, seed_availability),
    Case("scheduling.cancel_session", "cancel a session grows with people booked", ADMIN, seed_cancel_session),
    Case("scheduling.copy_session", "copy a session grows with its dates", ADMIN, seed_copy_session),
    Case("content_reviews.report", "review report PDF grows with comments and actions", ADMIN, seed_review_pdf,
         pdf=True),
    Case("feedback.bank_preview", "question preview grows with questions", ADMIN, seed_bank_preview),
    Case("referrals.show", "referral page grows with possible matches", ADMIN, seed_referral_page),
    Case("rosters.facilitator_new", "facilitator search grows with people found", ADMIN, seed_facilitator_search),
    Case("pathways.certificate", "pathway certificate PDF grows with its courses", STUDENT, seed_pathway_certificate,
         pdf=True),
]


class _Typeset:
    """Stands in for weasyprint.HTML: WeasyPrint reads nothing from the database, and
    typesetting each PDF four times would make this module slow. Keeps the HTML."""

    last_html = ""

    def __init__(self, string, **_kwargs):
        _Typeset.last_html = string

    def write_pdf(self, **_kwargs):
        return b"%PDF-1.7 (not typeset in this test)"


def _wipe_all_but(app, viewer_id: int) -> None:
    """Every row deleted (children first) but the viewer's account and signed-in session,
    so the second size starts from an empty database without signing in again."""
    kept = {"users": "id", "user_roles": "user_id", "user_sessions": "user_id"}
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                where = f" WHERE {kept[table.name]} != :viewer" if table.name in kept else ""
                conn.execute(text(f"DELETE FROM {table.name}{where}"), {"viewer": viewer_id})
        cache.clear()


def _measure(app, client, viewer, case: Case, n: int) -> tuple[list[str], str, Seeded]:
    with app.app_context():
        seeded = case.seed(viewer.id, n)
        db.session.commit()
    client.get(seeded.url)  # anything done once (compiling templates, closing a past quarter...), not per view
    with count_statements(app) as statements:
        response = client.get(seeded.url)
    assert response.status_code == 200, f"{case.name}: {seeded.url} answered {response.status_code}"
    if case.pdf:
        assert response.get_data().startswith(b"%PDF")
        return list(statements), _Typeset.last_html, seeded
    return list(statements), response.get_data(as_text=True), seeded


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_list_runs_the_same_statements_whatever_its_length(app, client, login_as, case, monkeypatch):
    monkeypatch.setattr("weasyprint.HTML", _Typeset)
    # Typeset in this process, so that _Typeset can keep the HTML it was given.
    monkeypatch.setitem(app.config, "REC_PDF_IN_CHILD", False)
    viewer = login_as(*case.roles)
    small, _, _ = _measure(app, client, viewer, case, SMALL)
    _wipe_all_but(app, viewer.id)
    large, body, seeded = _measure(app, client, viewer, case, LARGE)
    missing = [s for s in seeded.shows if s not in body]
    assert not missing, f"{case.name}: not shown at {LARGE}: {missing}"
    if seeded.rows is not None:
        assert len(list(csv.reader(io.StringIO(body)))) - 1 == seeded.rows
    assert len(large) == len(small), (
        f"{case.name}: {len(small)} statements for {SMALL}, {len(large)} for {LARGE}:\n" + "\n".join(large)
    )


# --- Every GET route: counted above, or why not -------------------------------------------------------

# Lists and exports whose statement counts are owned and tested by another part of issue 18.
TESTED_ELSEWHERE = {
    "catalogue.index": "the catalogue (tests/web/test_catalogue*)",
    "catalogue.course": "the catalogue",
    "bookings.my_courses": "/my/courses and booking",
    "scheduling.detail": "the admin course page's figures",
    "attendance.attendance": "the admin reports", "attendance.attendance_courses_csv": "the admin reports",
    "attendance.attendance_sessions_csv": "the admin reports",
    "reports.term": "the admin reports", "reports.term_pdf": "the admin reports", "reports.term_csv": "the admin reports",
    "prospectus.page": "the prospectus", "prospectus.pdf": "the prospectus",
    "rosters.pdf": "the roster PDF",
    "data_rights.my_data": "the my-data export", "data_rights.my_data_json": "the my-data export",
    "data_rights.my_data_pdf": "the my-data PDF",
    "data_rights_staff.person_data_pdf": "the my-data PDF (the same document, for staff)",
    "home.index": "the home page, for every role (tests/web/test_home.py)",
}

# Pages that show one thing, or a form with a fixed number of fields: nothing on them grows.
NOT_A_LIST = {
    "pages.accessibility", "pages.privacy", "attendance.reports",
    "auth.login", "auth.register", "auth.register_sent", "auth.confirm_signup", "auth.forgot_password",
    "auth.forgot_password_sent", "auth.reset_password", "auth.claim_account",
    "account.about", "account.calendar", "account.details", "account.password", "account.support",
    "equality.index", "equality.remove", "equality.welcome", "data_rights.delete_account", "data_rights.deleted",
    "data_rights_staff.person_delete",
    "admin.outbox_message", "admin.person_contact", "admin.person_disable", "admin.person_new",
    "attendance.certificate", "attendance.certificate_for_staff",  # one booking's certificate
    "bookings.booking_calendar", "bookings.cancel", "bookings.offer", "bookings.panel",  # one booking or session
    "scheduling.edit", "scheduling.new", "scheduling.new_session", "scheduling.edit_session",
    "feedback.bank_delete", "feedback.bank_edit", "feedback.bank_move", "feedback.bank_replace",
    "feedback.bank_retire", "feedback.bank_new", "feedback.thanks", "feedback.reflection_thanks",
    "content_reviews.start", "content_reviews.add_action", "content_reviews.complete", "content_reviews.edit", "content_reviews.note",
    "content_reviews.summary",
    "pathways.admin_edit", "pathways.admin_new",
    "referrals.refer", "referrals.sent", "referrals.outcome",
    "referrals.create_record",  # its possible matches are the referral page's, counted above
    "plans.add_review", "plans.tutor_review", "plans.add_course", "plans.remove_course",  # POST-only or redirects
    "plans.goal", "plans.new_goal", "plans.edit_goal", "plans.delete_goal", "plans.move_goal", "plans.goal_status",
    "plans.save_words",
    "safety_plans.add_person", "safety_plans.remove_person", "safety_plans.save_section",
    "safety_plans.remove_service",
    "support.service", "support.admin_new", "support.admin_edit", "support.admin_retire",
    "support_requests.ask", "support_requests.sent", "support_requests.add_note",
    "workshops.ask", "workshops.mine", "workshops.sent", "workshops.close", "workshops.add_note",
    "outcomes.answer", "outcomes.delete", "outcomes.offer",
    "tutoring.ask", "tutoring.arrange",
    "facilitation.profile",
    "health.healthz",  # two fixed checks: the database answers, migrations are current
    "static",
}


def test_every_get_route_is_counted_or_said_why_not(app):
    counted = {case.endpoint for case in CASES}
    get_routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    unaccounted = sorted(get_routes - counted - set(TESTED_ELSEWHERE) - NOT_A_LIST)
    assert unaccounted == [], f"GET routes nobody counts (add a case, or say why not): {unaccounted}"
    assert not counted & (set(TESTED_ELSEWHERE) | NOT_A_LIST)
    gone = sorted((counted | set(TESTED_ELSEWHERE) | NOT_A_LIST) - get_routes)
    assert gone == [], f"no longer routes: {gone}"
