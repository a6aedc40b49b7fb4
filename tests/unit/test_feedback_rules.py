"""Feedback rules: who may answer (attendees and rostered facilitators, once, after the
session is completed), what an answer may be, who is invited and when, and that one
person cannot answer twice even at the same moment (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from rec_portal.extensions import db
from rec_portal.feedback import operations as ops
from rec_portal.models import CourseSession, OutboxMessage, User
from rec_portal.models.feedback import (
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.concurrency import run_at_once
from tests.conftest import count_statements, test_config, wipe
from tests.factories import add_to_roster as roster
from tests.factories import make_booking as book
from tests.factories import make_past_session as past_session
from tests.factories import mark_attendance as mark
from tests.factories import make_feedback_questions as make_questions


@pytest.fixture
def setup(app_ctx):
    """A completed session; ``student`` attended, ``absent`` did not; one facilitator."""
    session = past_session("Staying Safe")
    session.completed_at = session.ends_at
    student, absent, fac = factories.make_user(), factories.make_user(), factories.make_user(roles=("facilitator",))
    booking = book(session, student)
    mark(booking, session, ["present"])
    mark(book(session, absent), session, ["absent"])
    roster(session, fac, "peer_specialist")
    q = make_questions(session.course_id)
    db.session.flush()
    return session, student, absent, fac, q, booking


def _responses() -> list[FeedbackResponse]:
    return db.session.execute(select(FeedbackResponse)).scalars().all()


# --- Who may answer ---------------------------------------------------------------------------

def test_states_for_students(setup):
    session, student, absent, fac, q, _booking = setup
    stranger = factories.make_user()
    assert ops.student_feedback_state(student, session) == ops.OPEN
    assert ops.student_feedback_state(absent, session) == ops.NOT_INVITED
    assert ops.student_feedback_state(stranger, session) == ops.NOT_INVITED
    assert ops.student_feedback_state(fac, session) == ops.NOT_INVITED
    ops.submit_feedback(student, session, {q["rating"]: "5"})
    assert ops.student_feedback_state(student, session) == ops.ANSWERED
    session.status = "scheduled"
    assert ops.student_feedback_state(student, session) == ops.NOT_YET


def test_states_for_facilitators(setup):
    session, student, _absent, fac, q, _booking = setup
    assert ops.reflection_state(fac, session) == ops.OPEN
    assert ops.reflection_state(student, session) == ops.NOT_INVITED
    ops.submit_feedback(fac, session, {q["worked"]: "Fine"}, audience="facilitator")
    assert ops.reflection_state(fac, session) == ops.ANSWERED
    assert ops.student_feedback_state(student, session) == ops.OPEN  # each audience separately


@pytest.mark.parametrize("status", ["scheduled", "cancelled"])
def test_nobody_answers_before_the_session_is_completed(setup, status):
    session, student, _absent, fac, q, _booking = setup
    session.status = status
    with pytest.raises(ops.FeedbackClosed, match="once it is over"):
        ops.submit_feedback(student, session, {q["rating"]: "5"})
    with pytest.raises(ops.FeedbackClosed, match="once the session is completed"):
        ops.submit_feedback(fac, session, {q["worked"]: "x"}, audience="facilitator")
    assert _responses() == []


def test_only_attendees_with_a_confirmed_place_answer(setup):
    session, _student, absent, fac, q, _booking = setup
    waiting = factories.make_user()
    book(session, waiting, status="waitlisted")
    for person in (absent, waiting, fac):
        with pytest.raises(ops.FeedbackClosed, match="Only people who came"):
            ops.submit_feedback(person, session, {q["rating"]: "5"})
    other = factories.make_user(roles=("facilitator",))
    with pytest.raises(ops.FeedbackClosed, match="on this session's roster"):
        ops.submit_feedback(other, session, {q["worked"]: "x"}, audience="facilitator")
    assert _responses() == []


def test_one_response_per_person_per_session(setup):
    session, student, _absent, _fac, q, _booking = setup
    ops.submit_feedback(student, session, {q["rating"]: "5"}, anonymous=True)
    with pytest.raises(ops.FeedbackClosed, match="already told us"):
        ops.submit_feedback(student, session, {q["rating"]: "1"}, anonymous=True)
    assert [r.answers[0].value for r in _responses()] == [5]


def test_a_reflection_is_always_named(setup):
    session, _student, _absent, fac, q, _booking = setup
    response = ops.submit_feedback(fac, session, {q["worked"]: "Good"}, anonymous=True, audience="facilitator")
    assert response.respondent_id == fac.id and response.anonymous is False


def test_an_anonymous_response_has_no_link_and_the_invitation_no_time(setup):
    session, student, *_rest, q, _booking = setup
    ops.invite_for_session(session, now=session.ends_at)
    before = db.session.execute(select(FeedbackInvitation).where(FeedbackInvitation.user_id == student.id)).scalar_one()
    created, emailed = before.created_at, before.emailed_at
    response = ops.submit_feedback(student, session, {q["change"]: "Shorter"}, anonymous=True,
                                   now=utcnow() + timedelta(days=3))
    assert response.respondent_id is None and response.anonymous is True
    assert response.given_on == to_uk(session.ends_at).date()  # the session's day, not the day given
    db.session.refresh(before)
    assert (before.created_at, before.emailed_at, before.answered) == (created, emailed, True)


# --- What an answer may be --------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "value", "stored"), [
    ("rating", "1", 1), ("rating", "5", 5), ("rating", " 3 ", 3),
    ("agreement", "1", 1), ("agreement", "5", 5),
    ("yes_no", "1", 1), ("yes_no", "0", 0),
])
def test_scored_answers_within_their_scale_are_stored(setup, kind, value, stored):
    session, student, *_rest, q, _booking = setup
    key = {"rating": "rating", "agreement": "agreement", "yes_no": "yes_no"}[kind]
    response = ops.submit_feedback(student, session, {q[key]: value})
    assert [(a.kind, a.value, a.text) for a in response.answers] == [(kind, stored, None)]


@pytest.mark.parametrize(("key", "value"), [
    ("rating", "0"), ("rating", "6"), ("rating", "five"), ("rating", "4.5"),
    ("agreement", "-1"), ("yes_no", "2"), ("yes_no", "yes"),
])
def test_scored_answers_outside_their_scale_are_refused(setup, key, value):
    session, student, *_rest, q, _booking = setup
    with pytest.raises(ops.FeedbackRefused) as refused:
        ops.submit_feedback(student, session, {q[key]: value, q["helpful"]: "Fine"})
    assert refused.value.errors == {f"q-{q[key]}": "Choose one of the answers given, or leave this question out"}
    assert _responses() == [] and ops.student_feedback_state(student, session) == ops.OPEN


def test_free_text_is_stripped_and_limited(setup):
    session, student, *_rest, q, _booking = setup
    with pytest.raises(ops.FeedbackRefused) as refused:
        ops.submit_feedback(student, session, {q["helpful"]: "a" * 2001, q["change"]: "b" * 2001, q["rating"]: "9"})
    assert list(refused.value.errors) == [f"q-{q['rating']}", f"q-{q['helpful']}", f"q-{q['change']}"]
    assert refused.value.field == f"q-{q['rating']}"  # the first on the page
    response = ops.submit_feedback(student, session, {q["helpful"]: "  " + "a" * 2000 + "\n", q["change"]: " "})
    assert [a.text for a in response.answers] == ["a" * 2000]


def test_every_question_is_optional_but_one_answer_is_needed(setup):
    session, student, *_rest, q, _booking = setup
    with pytest.raises(ops.FeedbackRefused, match="Answer at least one question") as refused:
        ops.submit_feedback(student, session, {q["rating"]: "", q["helpful"]: "  \n "})
    assert refused.value.field == f"q-{q['rating']}"
    with pytest.raises(ops.FeedbackRefused, match="Answer at least one question"):
        ops.submit_feedback(student, session, {})
    assert _responses() == []


def test_only_the_questions_in_use_for_the_course_and_audience(setup):
    session, student, *_rest, q, _booking = setup
    other_course = factories.make_course(title="Wellbeing Tools")
    elsewhere = factories.make_feedback_question("Only for another course", course=other_course)
    retired = factories.make_feedback_question("Old", retired_at=utcnow())
    for question_id in (q["worked"], elsewhere.id, retired.id, 999999):
        with pytest.raises(ops.FeedbackRefused, match="questions have changed"):
            ops.submit_feedback(student, session, {q["rating"]: "4", question_id: "Hello"})
    # A blank value for a question no longer asked is simply left out.
    response = ops.submit_feedback(student, session, {q["rating"]: "4", retired.id: ""})
    assert [a.question_id for a in response.answers] == [q["rating"]]


def test_answers_copy_the_wording_and_kind_they_were_given_under(setup):
    session, student, *_rest, q, _booking = setup
    response = ops.submit_feedback(student, session, {q["safe"]: "4", q["helpful"]: "Plans"})
    question = db.session.get(FeedbackQuestion, q["safe"])
    question.text, question.kind = "Changed wording", "rating"  # (the bank never does this; retires instead)
    db.session.flush()
    db.session.expire_all()
    assert [(a.question_text, a.kind) for a in db.session.get(FeedbackResponse, response.id).answers] == [
        ("I feel more confident about keeping myself safe.", "agreement"), ("What was most helpful?", "text")]


# --- Invitations ---------------------------------------------------------------------------------------

def test_invitations_for_attendees_and_the_roster_in_user_id_order(app_ctx):
    session = past_session("Staying Safe")
    people = [factories.make_user() for _ in range(4)]
    people[2].active = False
    for person in reversed(people):  # booked in the opposite order to their ids
        mark(book(session, person), session, ["present"])
    absent = factories.make_user()
    mark(book(session, absent), session, ["absent"])
    fac, other = factories.make_user(roles=("facilitator",)), factories.make_user(roles=("facilitator",))
    roster(session, other, "social_worker")
    roster(session, fac, "peer_specialist")
    when = utcnow().replace(microsecond=0)
    # A disabled attendee is invited with the others, without an email (issue 13: an
    # invitation made only when they came to answer would date an anonymous answer).
    assert ops.invite_for_session(session, now=when) == 6
    rows = db.session.execute(select(FeedbackInvitation).order_by(FeedbackInvitation.id)).scalars().all()
    expected = [(p.id, "student") for p in people] + [(fac.id, "facilitator"), (other.id, "facilitator")]
    assert [(r.user_id, r.audience) for r in rows] == sorted(expected[:4]) + sorted(expected[4:])
    assert {(r.user_id, r.created_at, r.emailed_at, r.answered) for r in rows} == {
        (r.user_id, when, None if r.user_id == people[2].id else when, False) for r in rows
    }
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 5
    assert ops.invite_for_session(session, now=when) == 0
    assert ops.invite_all() == (0, 0)


def test_no_invitations_before_completion(app_ctx):
    session = past_session("Staying Safe", status="scheduled")
    mark(book(session, factories.make_user()), session, ["present"])
    assert ops.invite_for_session(session) == 0
    assert ops.sessions_needing_invitations() == []


def test_completing_a_session_invites_and_emails_wait_for_its_end(app_ctx):
    from rec_portal.attendance.operations import record_attendance

    # The register for the last date is taken at the start of the day, before the end:
    # the session is completed (and invitations sent) only once it has ended.
    session = factories.make_session(starts_in_days=-0.01, hours=5)
    student = factories.make_user()
    student.show_course_titles = True
    booking = book(session, student)
    fac = factories.make_user(roles=("facilitator",))
    roster(session, fac, "peer_specialist")
    record_attendance(session.dates[0], booking, "present", fac, now=session.starts_at + timedelta(minutes=1))
    from rec_portal.attendance.operations import complete_if_done

    assert complete_if_done(session) is False
    assert db.session.execute(select(OutboxMessage)).first() is None
    assert complete_if_done(session, now=session.ends_at) is True
    messages = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert [(m.to_address, m.subject) for m in messages] == [
        (student.email, f"{session.course.title}: tell us how it went"),
        (fac.email, "Recovery Education Centre session: your reflection on the session"),
    ]
    assert all(m.next_attempt_at == session.ends_at for m in messages)


def test_my_courses_states_take_one_statement(setup):
    session, student, *_rest, q, booking = setup
    others = []
    for i in range(5):
        s = past_session(f"Course {i}", days_ago=20 + i)  # feedback still open
        b = book(s, student)
        mark(b, s, ["present"])
        others.append(b)
    ops.submit_feedback(student, session, {q["rating"]: "5"})
    bookings = [booking, *others]
    assert all(b.session.status == "completed" for b in bookings)  # loaded, as My courses has them
    with count_statements(current_app._get_current_object()) as statements:
        states = ops.student_feedback_states(student.id, bookings, {b.id for b in bookings[:-1]})
    assert len(statements) == 1
    assert states == {booking.id: ops.ANSWERED, **{b.id: ops.OPEN for b in others[:-1]},
                      others[-1].id: ops.NOT_INVITED}


# --- At the same moment ----------------------------------------------------------------------------------

def _race(app, threads: int, invited: bool):
    with app.app_context():
        session = past_session("Staying Safe")
        session.completed_at = session.ends_at
        student = factories.make_user()
        mark(book(session, student), session, ["present"])
        q = make_questions(session.course_id)
        if invited:
            ops.invite_for_session(session)
        db.session.commit()
        session_id, student_id, rating = session.id, student.id, q["rating"]

    def job(i):
        def run():
            return ops.submit_feedback(db.session.get(User, student_id), db.session.get(CourseSession, session_id),
                                       {rating: str(1 + i % 5)}, anonymous=bool(i % 2)).id
        return run

    results = run_at_once(app, [job(i) for i in range(threads)])
    stored = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ops.FeedbackClosed)]
    assert len(stored) == 1 and len(refused) == threads - 1, results
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(FeedbackResponse)).scalar_one() == 1
        assert db.session.execute(select(FeedbackInvitation.answered)).scalars().all() == [True]


@pytest.fixture(scope="module")
def sqlite_file_app(tmp_path_factory):
    from flask_migrate import upgrade

    from rec_portal import create_app

    path = tmp_path_factory.mktemp("feedback") / "race.sqlite3"
    app = create_app(test_config(f"sqlite:///{path}", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 0}))
    with app.app_context():
        upgrade()
    return app


@pytest.mark.parametrize("invited", [True, False])
def test_one_answer_at_the_same_moment_on_a_sqlite_file(sqlite_file_app, invited):
    try:
        _race(sqlite_file_app, 6, invited)
    finally:
        wipe(sqlite_file_app)


@pytest.mark.pg
@pytest.mark.parametrize("invited", [True, False])
def test_one_answer_at_the_same_moment_on_postgresql(pg_app, invited):
    try:
        _race(pg_app, 5, invited)
    finally:
        wipe(pg_app)
