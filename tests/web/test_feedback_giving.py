"""Giving feedback: students who attended tell us how a course went (named or anonymously,
once), facilitators on the roster write a reflection, invitations are emailed once, and
nothing typed is lost."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from rec_portal.extensions import db
from rec_portal.timeutil import uk_today
from rec_portal.models import (
    AuditEvent,
    Booking,
    CourseSession,
    OutboxMessage,
    SavedDraft,
    User,
    UserSession,
)
from rec_portal.models.feedback import (
    FeedbackAnswer,
    FeedbackInvitation,
    FeedbackQuestion,
    FeedbackResponse,
)
from rec_portal.timeutil import to_uk, utcnow
from tests import factories
from tests.conftest import csrf_from
from tests.feedback import answers, as_person, attended, count, html_of, reflection_url, url
from tests.factories import add_to_roster as roster
from tests.factories import make_booking as book
from tests.factories import make_past_session as past_session
from tests.factories import mark_attendance as mark

PROMPT = "You can tell us how"


# --- Helpers ------------------------------------------------------------------------------------

make_questions = factories.make_feedback_questions


def responses(app) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(select(FeedbackResponse).order_by(FeedbackResponse.id)).scalars().all()
        return [
            {
                "session_id": r.session_id, "audience": r.audience, "respondent_id": r.respondent_id,
                "anonymous": r.anonymous, "given_on": r.given_on,
                "answers": [(a.question_id, a.question_text, a.kind, a.value, a.text) for a in r.answers],
            }
            for r in rows
        ]


def invitation(app, session_id, user_id, audience="student") -> dict | None:
    with app.app_context():
        row = db.session.execute(select(FeedbackInvitation).where(
            FeedbackInvitation.session_id == session_id, FeedbackInvitation.user_id == user_id,
            FeedbackInvitation.audience == audience)).scalar_one_or_none()
        if row is None:
            return None
        return {"id": row.id, "created_at": row.created_at, "emailed_at": row.emailed_at, "answered": row.answered}


def messages(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(m.to_address, m.subject) for m in
                db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


# --- A student gives feedback ----------------------------------------------------------------------

def test_an_attendee_gives_named_feedback_without_javascript(app):
    s = attended(app)
    client, web = as_person(app, s.student.email)
    page = html_of(client.get(url(s)))
    assert "Tell us how the course went" in page and "Staying Safe" in page
    assert "It takes about 3 minutes. Every question is optional." in page
    # The questions in their order, the course's own one included, and the anonymous choice.
    order = ["Overall, how would you rate the course?", "The course met my expectations.",
             "I feel more confident about keeping myself safe.", "Would you recommend the course",
             "What was most helpful?", "What would you change?"]
    assert [page.index(text) for text in order] == sorted(page.index(text) for text in order)
    assert "What worked well?" not in page  # facilitators' questions are not asked of students
    assert 'name="anonymous"' in page and "Answer anonymously" in page
    assert "you will not be able to see or change your answers later" in page
    assert "You can write up to 2,000 characters." in page
    assert 'hx-history="false"' in page
    audits_before, outbox_before = count(app, AuditEvent), count(app, OutboxMessage)

    response = web.submit(url(s), answers(s, rating="4", agreement="5", yes_no="1",
                                          helpful="  The breathing exercise.  ", change=""))
    assert response.status_code == 302 and response.headers["Location"] == f"{url(s)}/thank-you"
    thanks = html_of(client.get(response.headers["Location"]))
    assert "Thank you for your feedback" in thanks and 'href="/my/courses"' in thanks

    [stored] = responses(app)
    assert stored["respondent_id"] == s.student.id and stored["anonymous"] is False
    assert stored["audience"] == "student" and stored["given_on"] == uk_today()
    assert stored["answers"] == [
        (s.q["rating"], "Overall, how would you rate the course?", "rating", 4, None),
        (s.q["agreement"], "The course met my expectations.", "agreement", 5, None),
        (s.q["yes_no"], "Would you recommend the course to someone else?", "yes_no", 1, None),
        (s.q["helpful"], "What was most helpful?", "text", None, "The breathing exercise."),
    ]
    assert invitation(app, s.session_id, s.student.id)["answered"] is True
    # Nothing about a student's response is audited or emailed.
    assert count(app, AuditEvent) == audits_before and count(app, OutboxMessage) == outbox_before
    mine = html_of(client.get("/my/courses"))
    assert "Thank you for your feedback" in mine and "Give feedback on this course" not in mine
    assert PROMPT not in mine


def test_an_anonymous_response_is_not_linked_to_the_person_in_any_stored_row(app):
    # Never invited (e.g. completed before invitations existed): the invitation is made
    # when they answer, dated by the session, not by the moment they answered.
    s = attended(app, invited=False)
    with app.app_context():
        completed_at = db.session.get(CourseSession, s.session_id).completed_at
    client, web = as_person(app, s.student.email)
    page = html_of(client.get(url(s)))
    audits_before, outbox_before = count(app, AuditEvent), count(app, OutboxMessage)
    response = web.submit(url(s), {**answers(s, rating="2", change="More breaks, please"), "anonymous": "y"},
                          page=url(s))
    assert response.status_code == 302
    assert "Thank you for your feedback" in html_of(client.get(response.headers["Location"]))
    assert page  # (the form was opened first, like a person would)

    [stored] = responses(app)
    assert stored["respondent_id"] is None and stored["anonymous"] is True
    with app.app_context():  # dated by the session, not by the day it was given
        assert stored["given_on"] == to_uk(db.session.get(CourseSession, s.session_id).ends_at).date()
    assert [a[3:] for a in stored["answers"]] == [(2, None), (None, "More breaks, please")]
    # Only the fact that they answered is kept: no time of answering, no link to the response.
    inv = invitation(app, s.session_id, s.student.id)
    assert inv == {"id": inv["id"], "created_at": completed_at, "emailed_at": completed_at, "answered": True}
    assert count(app, AuditEvent) == audits_before
    assert count(app, OutboxMessage) == outbox_before
    assert count(app, SavedDraft) == 0
    with app.app_context():
        response_id = db.session.execute(select(FeedbackResponse.id)).scalar_one()
        details = db.session.execute(select(AuditEvent.detail)).scalars().all()
        assert not any(d and ("feedback" in d.lower() or str(response_id) in d.split()) for d in details)
        assert db.session.execute(select(func.count()).select_from(FeedbackResponse)
                                  .where(FeedbackResponse.respondent_id == s.student.id)).scalar_one() == 0
    # The student's own pages say they answered, and nothing more.
    mine = html_of(client.get("/my/courses"))
    assert "Thank you for your feedback" in mine and "More breaks" not in mine
    again = html_of(client.get(url(s)))
    assert "You have already given feedback" in again and "More breaks" not in again


def test_a_second_answer_is_refused_and_the_first_is_kept(app):
    s = attended(app)
    client, _web = as_person(app, s.student.email)
    token = csrf_from(html_of(client.get(url(s))))
    first = client.post(url(s), data={"csrf_token": token, **answers(s, rating="5")})
    assert first.status_code == 302
    stored = responses(app)
    second = client.post(url(s), data={"csrf_token": token, **answers(s, rating="1", helpful="Again")})
    assert second.status_code == 303 and second.headers["Location"] == url(s)
    page = html_of(client.get(url(s)))
    assert "You have already given feedback" in page and "Each person can give feedback once" in page
    assert 'name="q-' not in page
    assert responses(app) == stored and len(stored) == 1


@pytest.mark.parametrize("marks", [("absent",), ("absent", "absent")])
def test_people_marked_absent_cannot_give_feedback(app, marks):
    s = attended(app, marks=marks, dates=len(marks))
    client, web = as_person(app, s.student.email)
    page = html_of(client.get(url(s)))
    assert "There is no feedback to give for this course" in page
    assert "Our records do not show you as attending this date" in page and 'name="q-' not in page
    response = web.submit(url(s), answers(s, rating="5"), page="/my/courses")
    assert response.status_code == 303
    assert responses(app) == [] and invitation(app, s.session_id, s.student.id) is None
    mine = html_of(client.get("/my/courses"))
    assert "Give feedback" not in mine and PROMPT not in mine


def test_someone_present_on_one_of_two_dates_may_give_feedback(app):
    s = attended(app, marks=("absent", "present"), dates=2)
    client, web = as_person(app, s.student.email)
    assert 'name="q-' in html_of(client.get(url(s)))
    assert web.submit(url(s), answers(s, yes_no="0")).status_code == 302
    assert [a[3] for a in responses(app)[0]["answers"]] == [0]


def test_feedback_opens_only_once_the_session_is_completed(app):
    s = attended(app, status="scheduled")  # over, but the register is not complete
    client, web = as_person(app, s.student.email)
    page = html_of(client.get(url(s)))
    assert "Feedback is not open yet" in page and "once the session is over" in page
    assert 'name="q-' not in page
    assert web.submit(url(s), answers(s, rating="3"), page="/my/courses").status_code == 303
    assert responses(app) == []
    assert "Give feedback" not in html_of(client.get("/my/courses"))


def test_a_cancelled_booking_has_no_feedback(app):
    s = attended(app)
    with app.app_context():
        db.session.execute(update(Booking).values(status="cancelled"))
        db.session.commit()
    client, web = as_person(app, s.student.email)
    assert "There is no feedback to give" in html_of(client.get(url(s)))
    assert web.submit(url(s), answers(s, rating="3"), page="/my/courses").status_code == 303
    assert responses(app) == []


def test_another_students_booking_is_not_found(app, login_as, client, web):
    s = attended(app)
    login_as("student")
    assert client.get(url(s)).status_code == 404
    assert client.get(f"{url(s)}/thank-you").status_code == 404
    assert web.submit(url(s), answers(s, rating="5"), page="/my/courses").status_code == 404
    assert client.get("/my/courses/999999/feedback").status_code == 404
    assert responses(app) == []


@pytest.mark.parametrize("role", ["facilitator", "admin"])
def test_staff_without_the_student_role_are_refused(app, login_as, client, web, role):
    s = attended(app)
    login_as(role)
    response = client.get(url(s))
    assert response.status_code == 403 and "You do not have access" in html_of(response)
    assert web.submit(url(s), answers(s, rating="5"), page="/").status_code == 403
    assert responses(app) == []


def test_signed_out_visitors_are_asked_to_sign_in(app, client):
    s = attended(app)
    assert client.get(url(s)).headers["Location"] == f"/login?next={url(s)}"
    hx = client.get(url(s), headers={"HX-Request": "true", "HX-Current-URL": f"http://localhost{url(s)}"})
    assert hx.headers["HX-Redirect"] == f"/login?next={url(s)}"
    assert client.get(reflection_url(s)).headers["Location"] == f"/login?next={reflection_url(s)}"
    assert count(app, SavedDraft) == 0  # (a signed-out visitor who never signed in here: nothing kept)


def test_a_post_without_the_csrf_token_is_refused(app):
    s = attended(app)
    client, _web = as_person(app, s.student.email)
    response = client.post(url(s), data=answers(s, rating="5"))
    assert response.status_code == 400
    assert responses(app) == [] and invitation(app, s.session_id, s.student.id)["answered"] is False


# --- Wrong answers ------------------------------------------------------------------------------

def test_wrong_answers_are_explained_and_everything_typed_is_kept(app):
    s = attended(app)
    _client, web = as_person(app, s.student.email)
    long_text = "x" * 2001
    response = web.submit(url(s), {**answers(s, rating="9", agreement="4", yes_no="1",
                                             helpful="Kept words <b>", change=long_text), "anonymous": "y"})
    page = html_of(response)
    assert response.status_code == 400
    assert "<title>Error: Tell us how the course went" in page
    assert "There is a problem" in page
    rating, change = f"q-{s.q['rating']}", f"q-{s.q['change']}"
    assert f'href="#{rating}"' in page and f'href="#{change}"' in page
    assert "Choose one of the answers given, or leave this question out" in page
    assert "Your answer must be 2,000 characters or fewer (it has 2,001)" in page
    # The messages are beside their fields.
    assert re.search(rf'id="{change}-error".*?</span>\s*<textarea[^>]*name="{change}"', page, re.DOTALL)
    # Everything else is kept, escaped.
    assert f'name="q-{s.q["agreement"]}" type="radio" value="4" checked' in page
    assert ">Kept words &lt;b&gt;</textarea>" in page and f">{long_text}</textarea>" in page
    assert re.search(r'name="anonymous"[^>]*checked', page)
    assert responses(app) == [] and invitation(app, s.session_id, s.student.id)["answered"] is False


def test_an_empty_form_asks_for_one_answer(app):
    s = attended(app)
    _client, web = as_person(app, s.student.email)
    response = web.submit(url(s), {**answers(s, helpful="   "), "anonymous": "y"})
    page = html_of(response)
    assert response.status_code == 400 and "Answer at least one question" in page
    assert f'href="#q-{s.q["rating"]}"' in page
    assert responses(app) == []


def test_answers_to_questions_not_asked_are_refused(app):
    s = attended(app)
    _client, web = as_person(app, s.student.email)
    # A facilitator question, and a question that does not exist.
    response = web.submit(url(s), {**answers(s, rating="5", worked="Sneaky"), "q-999999": "5"})
    assert response.status_code == 400 and "Some of the questions have changed" in html_of(response)
    assert responses(app) == []


def test_answers_keep_their_wording_after_the_question_is_retired_or_reworded(app):
    s = attended(app)
    with app.app_context():  # a second attendee
        session = db.session.get(CourseSession, s.session_id)
        other = factories.make_user()
        mark(book(session, other), session, ["present"])
        db.session.commit()
        other_email = other.email
    _client, web = as_person(app, s.student.email)
    assert web.submit(url(s), answers(s, agreement="4", helpful="The peer trainer")).status_code == 302
    with app.app_context():  # the bank changes: one question retired, one reworded
        helpful = db.session.get(FeedbackQuestion, s.q["helpful"])
        helpful.retired_at = utcnow()
        agreement = db.session.get(FeedbackQuestion, s.q["agreement"])
        agreement.retired_at = utcnow()
        reworded = factories.make_feedback_question("The course was what I expected.", kind="agreement",
                                                    position=20, replaces_id=agreement.id)
        db.session.commit()
        reworded_id = reworded.id
    first = responses(app)[0]["answers"]
    assert first == [(s.q["agreement"], "The course met my expectations.", "agreement", 4, None),
                     (s.q["helpful"], "What was most helpful?", "text", None, "The peer trainer")]
    client, web = as_person(app, other_email)
    with app.app_context():
        other_booking = db.session.execute(select(Booking.id).where(Booking.id != s.booking_id)).scalar_one()
    page = html_of(client.get(f"/my/courses/{other_booking}/feedback"))
    assert "The course was what I expected." in page
    assert "The course met my expectations." not in page and "What was most helpful?" not in page
    # The retired question is no longer accepted; the new wording is stored with its answer.
    refused = web.submit(f"/my/courses/{other_booking}/feedback", answers(s, helpful="Old"))
    assert refused.status_code == 400
    ok = web.submit(f"/my/courses/{other_booking}/feedback", {f"q-{reworded_id}": "2"})
    assert ok.status_code == 302
    assert responses(app)[1]["answers"] == [(reworded_id, "The course was what I expected.", "agreement", 2, None)]
    assert responses(app)[0]["answers"] == first


# --- My courses --------------------------------------------------------------------------------

def test_my_courses_asks_for_feedback_on_attended_courses_only(app):
    s = attended(app)
    with app.app_context():
        student = db.session.get(User, s.student.id)
        missed = past_session("Understanding Anxiety", days_ago=40)
        mark(book(missed, student), missed, ["absent"])
        second = past_session("Wellbeing Tools", days_ago=30)  # feedback open for 42 days
        mark(book(second, student), second, ["present"])
        upcoming = factories.make_session(course=factories.make_course(title="Hearing Voices"))
        book(upcoming, student)
        db.session.commit()
        second_booking = db.session.execute(select(Booking.id).where(Booking.session_id == second.id)).scalar_one()
    client, web = as_person(app, s.student.email)
    page = html_of(client.get("/my/courses"))
    assert "You can tell us how 2 courses went" in page
    prompt = page[page.index('id="feedback-prompt"'):]
    assert f'href="{url(s)}">Give feedback on Staying Safe</a>' in prompt[:1000]  # the most recent first
    assert page.count("Give feedback on this course") == 2
    assert f'id="feedback-{s.booking_id}" href="{url(s)}"' in page
    assert f'href="/my/courses/{second_booking}/feedback"' in page
    assert '<span class="nhsuk-u-visually-hidden">: Staying Safe, ' in page  # and its date
    web.submit(url(s), answers(s, rating="5"))
    page = html_of(client.get("/my/courses"))
    assert "You can tell us how 1 course went" in page and "Give feedback on Wellbeing Tools" in page
    assert page.count("Thank you for your feedback") == 1


def test_my_courses_needs_one_more_statement_for_feedback_whatever_the_number_of_courses(app):
    from tests.conftest import count_statements

    s = attended(app)
    client, _web = as_person(app, s.student.email)
    with count_statements(app) as few:
        client.get("/my/courses")
    with app.app_context():
        student = db.session.get(User, s.student.id)
        for i in range(6):
            session = past_session(f"Course {i}", days_ago=20 + i)  # feedback still open
            mark(book(session, student), session, ["present"])
        db.session.commit()
    with count_statements(app) as many:
        html = html_of(client.get("/my/courses"))
    assert "You can tell us how 7 courses went" in html
    assert len(many) == len(few)
    assert sum("feedback_invitations" in sql for sql in many) == 1


# --- Invitations ------------------------------------------------------------------------------------

def _register(app, client, web, session_id, marks: dict[int, str]):
    with app.app_context():
        date_id = db.session.get(CourseSession, session_id).dates[-1].id
    page = f"/facilitate/sessions/{session_id}/dates/{date_id}/register"
    return web.submit(page, {f"booking-{b}": status for b, status in marks.items()}, page=page)


def test_completing_the_register_emails_invitations_once(app):
    with app.app_context():
        session = past_session("Staying Safe", status="scheduled", days_ago=0.2, hours=1)
        make_questions()
        fac = factories.make_user(roles=("facilitator",), email="fac@example.org")
        roster(session, fac, "peer_specialist")
        came = factories.make_user(email="came@example.org")
        titles = factories.make_user(email="titles@example.org")
        titles.show_course_titles = True
        missed = factories.make_user(email="missed@example.org")
        bookings = {b.student_id: b.id for b in (book(session, u) for u in (came, titles, missed))}
        book(session, factories.make_user(email="waiting@example.org"), status="waitlisted")
        db.session.commit()
        session_id, ids = session.id, {"came": came.id, "titles": titles.id, "missed": missed.id, "fac": fac.id}
    client, web = as_person(app, "fac@example.org")
    partly = _register(app, client, web, session_id, {bookings[ids["came"]]: "present"})
    assert partly.status_code == 302 and messages(app) == []
    done = _register(app, client, web, session_id, {bookings[ids["titles"]]: "present",
                                                     bookings[ids["missed"]]: "absent"})
    assert "the session is now completed" in html_of(client.get(done.headers["Location"]))
    assert sorted(messages(app)) == [
        ("came@example.org", "Recovery Education Centre session: tell us how it went"),
        ("fac@example.org", "Recovery Education Centre session: your reflection on the session"),
        ("titles@example.org", "Staying Safe: tell us how it went"),
    ]
    with app.app_context():
        came_message = db.session.execute(select(OutboxMessage).where(
            OutboxMessage.to_address == "came@example.org")).scalar_one()
        assert f"/my/courses/{bookings[ids['came']]}/feedback" in came_message.body_text
        assert "you can answer anonymously" in came_message.body_text
        assert came_message.user_id == ids["came"]
        fac_message = db.session.execute(select(OutboxMessage).where(
            OutboxMessage.to_address == "fac@example.org")).scalar_one()
        assert f"/facilitate/sessions/{session_id}/reflection" in fac_message.body_text
        rows = db.session.execute(select(FeedbackInvitation).order_by(FeedbackInvitation.id)).scalars().all()
        assert [(r.user_id, r.audience) for r in rows] == sorted(
            [(ids["came"], "student"), (ids["titles"], "student")]) + [(ids["fac"], "facilitator")]
        assert all(r.emailed_at is not None and not r.answered for r in rows)
    # Marking again (a correction) sends nothing more, nor does the daily command.
    _register(app, client, web, session_id, {bookings[ids["missed"]]: "absent"})
    result = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert result.exit_code == 0 and "Sent 0 feedback invitations" in result.output
    assert len(messages(app)) == 3


def test_someone_marked_present_after_completion_is_invited_at_once(app):
    """A register corrected after the session was completed invites the person then, in
    a batch like everyone else's, so their invitation is never made at the moment they
    answer (which could date an anonymous answer)."""
    with app.app_context():
        session = past_session("Staying Safe", status="scheduled", days_ago=0.2, hours=1)
        make_questions()
        fac = factories.make_user(roles=("facilitator",), email="fac@example.org")
        roster(session, fac, "peer_specialist")
        came, late = factories.make_user(email="came@example.org"), factories.make_user(email="late@example.org")
        bookings = {u.email: book(session, u).id for u in (came, late)}
        db.session.commit()
        session_id, late_id = session.id, late.id
    client, web = as_person(app, "fac@example.org")
    _register(app, client, web, session_id, {bookings["came@example.org"]: "present",
                                             bookings["late@example.org"]: "absent"})
    assert invitation(app, session_id, late_id) is None
    _register(app, client, web, session_id, {bookings["late@example.org"]: "present"})
    made = invitation(app, session_id, late_id)
    assert made is not None and not made["answered"]
    assert ("late@example.org", "Recovery Education Centre session: tell us how it went") in messages(app)
    assert len(messages(app)) == 3  # came, the facilitator, and now late: nobody twice


def test_the_daily_command_invites_walk_ins_and_older_sessions_once(app):
    s = attended(app, invited=False)
    with app.app_context():
        other = past_session("Wellbeing Tools", days_ago=30)  # feedback still open
        mark(book(other, factories.make_user()), other, ["present"])
        mark(book(other, factories.make_user()), other, ["absent"])
        # Over, but its register is not fully taken: not completed, nobody invited.
        not_done = past_session("Hearing Voices", days_ago=5, status="scheduled")
        mark(book(not_done, factories.make_user()), not_done, ["present"])
        book(not_done, factories.make_user())
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert result.exit_code == 0
    # Staying Safe: the student and the facilitator; Wellbeing Tools: the one who came.
    assert "Sent 3 feedback invitations for 2 sessions." in result.output
    assert len(messages(app)) == 3
    with app.app_context():  # a walk-in marked present after the session was completed
        session = db.session.get(CourseSession, s.session_id)
        mark(book(session, factories.make_user(email="walkin@example.org")), session, ["present"])
        db.session.commit()
    again = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert "Sent 1 feedback invitation for 1 session." in again.output
    assert messages(app)[-1] == ("walkin@example.org", "Recovery Education Centre session: tell us how it went")
    last = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert "Sent 0 feedback invitations" in last.output and len(messages(app)) == 4


def test_the_daily_command_completes_sessions_that_are_over_with_registers_taken(app):
    """Issue 13 (5): a register taken during a session no longer completes it; the daily
    command does, once its last date has ended, and the invitations go out then."""
    with app.app_context():
        over = past_session("Hearing Voices", days_ago=0.5, hours=2, status="scheduled")
        came = factories.make_user(email="came@example.org")
        mark(book(over, came), over, ["present"])
        running = past_session("Wellbeing Tools", days_ago=1 / 24, hours=6, status="scheduled")
        mark(book(running, factories.make_user(email="still-here@example.org")), running, ["present"])
        db.session.commit()
        over_id, running_id = over.id, running.id
    result = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert result.exit_code == 0
    assert "Completed 1 session whose last date has ended and whose registers are taken" in result.output
    assert messages(app) == [("came@example.org", "Recovery Education Centre session: tell us how it went")]
    with app.app_context():
        assert db.session.get(CourseSession, over_id).status == "completed"
        assert db.session.get(CourseSession, running_id).status == "scheduled"
    again = app.test_cli_runner().invoke(args=["rec", "feedback-invitations"])
    assert "Sent 0 feedback invitations" in again.output and len(messages(app)) == 1


# --- Facilitator reflections -------------------------------------------------------------------------

def test_a_rostered_facilitator_writes_a_reflection_once(app):
    s = attended(app)
    client, web = as_person(app, s.facilitator.email)
    sessions = html_of(client.get("/facilitate"))
    assert f'id="reflection-{s.session_id}" href="{reflection_url(s)}">Write your reflection' in sessions
    page = html_of(client.get(reflection_url(s)))
    assert "Your reflection on the session" in page and "What worked well?" in page
    assert "Anything else about the session or the venue?" in page
    assert "Overall, how would you rate" not in page and 'name="anonymous"' not in page
    response = web.submit(reflection_url(s), {**answers(s, worked="Good group", venue=""), "anonymous": "y"})
    assert response.headers["Location"] == f"{reflection_url(s)}/thank-you"
    assert "Thank you for your reflection" in html_of(client.get(response.headers["Location"]))
    [stored] = responses(app)
    assert stored["audience"] == "facilitator" and stored["respondent_id"] == s.facilitator.id
    assert stored["anonymous"] is False  # reflections are always named
    assert stored["answers"] == [(s.q["worked"], "What worked well?", "text", None, "Good group")]
    sessions = html_of(client.get("/facilitate"))
    assert "Reflection sent" in sessions and "Write your reflection" not in sessions
    again = web.submit(reflection_url(s), answers(s, worked="Again"))
    assert again.status_code == 303
    assert "You have already sent your reflection" in html_of(client.get(reflection_url(s)))
    assert len(responses(app)) == 1


def test_a_reflection_waits_for_the_session_to_be_completed(app):
    s = attended(app, status="scheduled")
    client, web = as_person(app, s.facilitator.email)
    assert "Write your reflection" not in html_of(client.get("/facilitate"))
    assert "Reflections are not open yet" in html_of(client.get(reflection_url(s)))
    assert web.submit(reflection_url(s), answers(s, worked="x"), page="/facilitate").status_code == 303
    assert responses(app) == []


def test_reflection_validation_keeps_what_was_typed(app):
    s = attended(app)
    _client, web = as_person(app, s.facilitator.email)
    response = web.submit(reflection_url(s), answers(s, worked="y" * 2001, venue="Kept note"))
    page = html_of(response)
    assert response.status_code == 400 and "must be 2,000 characters or fewer" in page
    assert ">Kept note</textarea>" in page and responses(app) == []


@pytest.mark.parametrize("who", ["other facilitator", "student", "admin", "admin who facilitates"])
def test_only_facilitators_on_the_roster_reach_the_reflection(app, login_as, client, web, who):
    s = attended(app)
    roles = {"other facilitator": ("facilitator",), "student": ("student",), "admin": ("admin",),
             "admin who facilitates": ("admin", "facilitator")}[who]
    login_as(*roles)
    expected = 404 if "facilitator" in roles else 403
    assert client.get(reflection_url(s)).status_code == expected
    assert client.get(f"{reflection_url(s)}/thank-you").status_code == expected
    assert web.submit(reflection_url(s), answers(s, worked="Not mine"), page="/").status_code == expected
    assert responses(app) == []
    assert client.get("/facilitate/sessions/999999/reflection").status_code == expected


# --- Nothing typed is lost ----------------------------------------------------------------------------

def _expire(app, user_id):
    with app.app_context():
        for row in db.session.execute(select(UserSession).where(UserSession.user_id == user_id)).scalars():
            row.last_seen_at -= timedelta(days=1)
        db.session.commit()


def test_feedback_typed_after_the_session_expired_comes_back_after_signing_in(app):
    s = attended(app)
    client, web = as_person(app, s.student.email)
    token = csrf_from(html_of(client.get(url(s))))
    _expire(app, s.student.id)
    response = client.post(url(s), data={"csrf_token": token, "anonymous": "y", "other": "not kept",
                                         **answers(s, rating="4", helpful="Typed before the timeout")})
    assert response.headers["Location"] == f"/login?next={url(s)}"
    assert count(app, SavedDraft) == 1 and responses(app) == []
    web.login(s.student.email)
    page = html_of(client.get(url(s)))
    assert "We kept what you typed before you were signed out" in page and "Send feedback" in page
    assert ">Typed before the timeout</textarea>" in page
    assert re.search(r'value="4"[^>]*checked', page) and re.search(r'name="anonymous"[^>]*checked', page)
    assert count(app, SavedDraft) == 0  # handed back once
    assert responses(app) == []  # not sent until they choose Send feedback
    assert "Typed before the timeout" not in html_of(client.get(url(s)))


def test_a_reflection_typed_after_the_session_expired_comes_back(app):
    s = attended(app)
    client, web = as_person(app, s.facilitator.email)
    token = csrf_from(html_of(client.get(reflection_url(s))))
    _expire(app, s.facilitator.id)
    client.post(reflection_url(s), data={"csrf_token": token, **answers(s, worked="Kept reflection")})
    web.login(s.facilitator.email)
    assert ">Kept reflection</textarea>" in html_of(client.get(reflection_url(s)))
    with app.app_context():
        assert db.session.execute(select(FeedbackAnswer)).first() is None


def test_a_draft_is_only_given_back_on_its_own_booking(app):
    s = attended(app)
    with app.app_context():
        student = db.session.get(User, s.student.id)
        other = past_session("Wellbeing Tools", days_ago=50)
        other_booking = book(other, student)
        mark(other_booking, other, ["present"])
        db.session.commit()
        other_id = other_booking.id
    client, web = as_person(app, s.student.email)
    token = csrf_from(html_of(client.get(url(s))))
    _expire(app, s.student.id)
    client.post(url(s), data={"csrf_token": token, **answers(s, helpful="For Staying Safe")})
    web.login(s.student.email)
    assert "For Staying Safe" not in html_of(client.get(f"/my/courses/{other_id}/feedback"))
    assert "For Staying Safe" in html_of(client.get(url(s)))
