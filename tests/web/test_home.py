"""The signed-in home page (rec_portal/home, issue 19): each role's section shows that
person's next step and what is waiting, says so when there is nothing, never shows
another person's things, and runs a fixed number of statements whatever the data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import User
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import count_statements, csrf_from


def _home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(page: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (to its closing tag), tags removed."""
    import re

    start = page.index(f'id="{element_id}"')
    chunk = page[start:start + 4000]
    return " ".join(re.sub(r"<[^>]+>", " ", chunk.split(">", 1)[1]).split())


def test_signed_out_the_front_page_and_signed_in_the_home_page(client, login_as):
    page = _home(client)
    assert "Enrol with the REC" in page and "Hello," not in page
    login_as("student", preferred_name="Sam")
    page = _home(client)
    assert "<h1>Hello, Sam</h1>" in page and "Enrol with the REC</a>" not in page


def test_a_new_student_sees_one_next_step_and_the_optional_questions(app, client, web, login_as):
    me = login_as("student")
    page = _home(client)
    steps = _text(page, "home-steps")
    assert steps.startswith("Done Enrol with the REC") and "Look at the courses" in steps
    assert 'href="/courses"' in page
    card = _text(page, "home-optional-questions")
    assert "victim of crime in the last 12 months" in card and "never your answers" in card
    assert 'href="/my/outcomes/baseline"' in page
    # "Not now" needs the form's token (CSRF) ...
    assert client.post("/my/optional-questions/not-now").status_code == 400
    # ... and with it the card is not offered again, and the time is kept.
    response = client.post("/my/optional-questions/not-now", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = _home(client)
    assert 'id="home-optional-questions"' not in page and "We will not ask again here" in page
    with app.app_context():
        assert db.session.get(User, me.id).optional_questions_not_now_at is not None
    # The questions themselves are still there, and the choice is in the person's own data.
    assert client.get("/my/outcomes/baseline").status_code == 200
    assert client.get("/my/account/data.json").get_json()["account"]["optional_questions_not_now_at"]


def test_not_now_on_the_old_offer_page_is_remembered_too(app, client, login_as):
    me = login_as("student")
    page = client.get("/my/outcomes/welcome").get_data(as_text=True)
    assert 'action="/my/optional-questions/not-now"' in page
    client.post("/my/optional-questions/not-now", data={"csrf_token": csrf_from(page)})
    assert 'id="home-optional-questions"' not in _home(client)


def test_an_offer_whose_time_has_run_out_is_not_shown(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        full = factories.make_session(starts_in_days=9)
        factories.make_booking(full, me.id, status="offered", offer_expires_at=utcnow() - timedelta(minutes=5))
        db.session.commit()
    assert "A place is being held for you" not in _home(client)


def test_contact_details_are_on_the_home_page_signed_in_too(client, login_as):
    login_as("student")
    assert '<h2 id="contact">Contact us</h2>' in _home(client)


def test_the_optional_questions_are_not_offered_once_answered(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        factories.make_outcome_check(db.session.get(User, me.id), answered_at=utcnow())
        db.session.commit()
    assert 'id="home-optional-questions"' not in _home(client)


def test_not_now_is_for_students_only(client, login_as):
    login_as("facilitator")
    page = client.get("/facilitate").get_data(as_text=True)
    response = client.post("/my/optional-questions/not-now", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 403


def test_a_student_sees_their_next_course_offers_feedback_and_plan_review_and_nobody_elses(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        student = db.session.get(User, me.id)
        other = factories.make_user()
        course = factories.make_course(title="Staying Safe", what_to_expect="Bring a pen. Lunch is provided.")
        soon = factories.make_session(course=course, starts_in_days=3, at_hour=10, venue="12 Station Road")
        later = factories.make_session(course=factories.make_course(title="Understanding Recovery"), starts_in_days=20)
        factories.make_booking(soon, student)
        factories.make_booking(later, student)
        full = factories.make_session(course=factories.make_course(title="Hearing Voices"), starts_in_days=9)
        offered = factories.make_booking(full, student, status="offered",
                                         offer_expires_at=utcnow() + timedelta(hours=30))
        # Someone else's place and offer: never on this home page.
        secret = factories.make_session(course=factories.make_course(title="Another Person's Course"),
                                        starts_in_days=1)
        factories.make_booking(secret, other)
        factories.make_booking(full, other, status="offered", offer_expires_at=utcnow() + timedelta(hours=30))
        # A course they came to, with feedback open.
        done = factories.make_past_session(title="Wellbeing Basics", days_ago=2)
        done_booking = factories.make_booking(done, student)
        factories.mark_attendance(done_booking, done, ["present"])
        factories.make_plan_review(student, review_date=utcnow().date() - timedelta(days=10),
                                   next_review_date=utcnow().date() + timedelta(days=40))
        db.session.commit()
        offered_id, done_booking_id = offered.id, done_booking.id
        review_on = utcnow().date() + timedelta(days=40)
    page = _home(client)
    next_course = _text(page, "home-next-course")
    assert "Staying Safe" in next_course and "12 Station Road" in next_course
    assert "Bring a pen. Lunch is provided." in next_course and "2 places booked" in next_course
    offer = _text(page, f"home-offer-{offered_id}")
    assert "A place is being held for you on Hearing Voices" in offer and f"/my/courses/{offered_id}/offer" in page
    assert f'href="/my/courses/{done_booking_id}/feedback"' in page
    assert "Tell us how Wellbeing Basics went" in page
    from rec_portal.timeutil import uk_date

    assert uk_date(review_on) in _text(page, "home-plan-review")
    assert "Another Person" not in page and page.count("/offer\"") == 1
    assert 'id="home-steps"' not in page  # not a new student any more
    assert 'id="home-nothing-waiting"' not in page


def test_a_student_with_nothing_to_come_is_told_so(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        done = factories.make_past_session(title="Wellbeing Basics", days_ago=200)
        factories.make_booking(done, me.id)
        db.session.commit()
    page = _home(client)
    assert "You have no place booked on a course to come" in _text(page, "home-no-place")
    assert "Nothing is waiting for you to do." not in page  # the optional questions are
    with app.app_context():
        db.session.get(User, me.id).optional_questions_not_now_at = utcnow()
        db.session.commit()
    page = _home(client)
    assert "Nothing is waiting for you to do." in page
    assert "No review is booked." in page


def test_a_facilitator_sees_their_next_session_and_registers_still_to_take(app, client, login_as):
    me = login_as("facilitator", "student")
    with app.app_context():
        facilitator = db.session.get(User, me.id)
        next_one = factories.make_session(course=factories.make_course(title="Staying Safe"), starts_in_days=2)
        factories.add_to_roster(next_one, facilitator)
        ran = factories.make_past_session(title="Hearing Voices", days_ago=3, status="scheduled")
        factories.add_to_roster(ran, facilitator)
        marked, unmarked = (factories.make_booking(ran, factories.make_user()) for _ in range(2))
        factories.mark_attendance(marked, ran, ["present"])
        # Someone else's session with an open register: not theirs to take.
        other = factories.make_past_session(title="Not Mine", days_ago=3, status="scheduled")
        factories.add_to_roster(other, factories.make_user(roles=("facilitator",)))
        factories.make_booking(other, factories.make_user())
        db.session.commit()
        next_id, ran_id, ran_date_id = next_one.id, ran.id, ran.dates[0].id
    page = _home(client)
    card = _text(page, "home-next-session")
    assert "Staying Safe" in card and "as peer specialist" in card.lower()
    assert f'href="/facilitate/sessions/{next_id}"' in page
    assert f"/facilitate/sessions/{next_id}/dates/" in page  # its register
    registers = _text(page, "home-registers")
    assert "Hearing Voices" in registers and "1 of 2 marked" in registers and "Not Mine" not in page
    assert f'href="/facilitate/sessions/{ran_id}/dates/{ran_date_id}/register"' in page
    # Both roles: both sections, each with its heading.
    assert "<h2 id=\"home-student\">Your courses</h2>" in page and "Your sessions</h2>" in page


def test_a_facilitator_with_nothing_to_do_is_told_so(client, login_as):
    login_as("facilitator")
    page = _home(client)
    assert "You are not on the roster for any session to come" in page
    assert "No registers to take" in page
    assert 'id="home-student"' not in page


def test_the_admin_to_do_counts_what_is_waiting_and_says_when_nothing_is(app, client, login_as):
    login_as("admin")
    page = _home(client)
    assert "Nothing needs doing today" in _text(page, "home-todo-nothing")
    with app.app_context():
        course = factories.make_course_needing("Staying Safe", roles={"peer_specialist": 1})
        factories.make_session(course=course, starts_in_days=5)  # nobody on its roster
        factories.make_session(course=course, starts_in_days=30)  # a gap, but not in two weeks
        full = factories.make_session(starts_in_days=9)
        factories.make_booking(full, factories.make_user(), status="offered",
                               offer_expires_at=utcnow() + timedelta(hours=30))
        factories.make_booking(full, factories.make_user(), status="waitlisted")
        factories.make_workshop_request(factories.make_user())
        factories.make_referral()
        factories.make_outbox_message(to_address="someone@example.org", status="failed")
        db.session.commit()
    todo = _text(_home(client), "home-todo")
    assert "1 session in the next two weeks with a role not covered" in todo
    assert "1 place held for people on waiting lists" in todo and "1 more person is waiting for a place" in todo
    assert "1 new request for an individual workshop" in todo
    assert "1 new referral to contact" in todo
    assert "1 message (emails or texts) that failed" in todo


def test_a_support_lead_sees_new_requests_for_help(app, client, login_as):
    login_as("support_lead")
    assert "No new requests for help." in _home(client)
    with app.app_context():
        factories.make_support_request(factories.make_user())
        db.session.commit()
    assert "1 new request for help to read" in _home(client)


# --- statements: the same whatever the data -------------------------------------------------

def _grow(viewer_id: int, n: int) -> None:
    """``n`` of everything every section lists, for the viewer and for others."""
    viewer = db.session.get(User, viewer_id)
    for i in range(n):
        course = factories.make_course_needing(f"Course {viewer_id}-{n}-{i}", roles={"peer_specialist": 1},
                                               what_to_expect="Bring a pen.")
        coming = factories.make_session(course=course, starts_in_days=3 + i, dates=2)
        factories.make_booking(coming, viewer)
        factories.add_to_roster(coming, viewer)
        waiting = factories.make_session(course=course, starts_in_days=10 + i)
        factories.make_booking(waiting, viewer, status="offered", offer_expires_at=utcnow() + timedelta(hours=30))
        ran = factories.make_past_session(title=f"Ran {viewer_id}-{n}-{i}", days_ago=2, status="scheduled")
        factories.add_to_roster(ran, viewer)
        booked = factories.make_booking(ran, factories.make_user())
        factories.make_booking(ran, viewer)
        factories.mark_attendance(booked, ran, ["present"])
        done = factories.make_past_session(title=f"Done {viewer_id}-{n}-{i}", days_ago=3)
        factories.mark_attendance(factories.make_booking(done, viewer), done, ["present"])
        factories.make_workshop_request(factories.make_user())
        factories.make_referral()
        factories.make_outbox_message(to_address="someone@example.org", status="failed")
        factories.make_support_request(factories.make_user())
    db.session.commit()


@pytest.mark.parametrize("roles", [("student",), ("facilitator",), ("admin",), ("support_lead",),
                                   ("student", "facilitator", "admin", "support_lead", "tutor")])
def test_the_home_page_runs_the_same_statements_whatever_the_data(app, client, login_as, roles):
    me = login_as(*roles)
    counts = []
    for n in (2, 6):
        with app.app_context():
            _grow(me.id, n)
        _home(client)  # warm-up
        with count_statements(app) as statements:
            page = _home(client)
        counts.append(len(statements))
    assert "Hello," in page
    assert counts[0] == counts[1], counts


def test_the_next_course_is_the_one_whose_next_date_comes_first(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        # Under way: weekly dates 10 and 3 days ago, then in 4 and 11 days.
        running = factories.make_session(course=factories.make_course(title="Running Course"),
                                         starts_in_days=-10, dates=4)
        soon = factories.make_session(course=factories.make_course(title="Starts Soon"), starts_in_days=2)
        factories.make_booking(running, me.id)
        factories.make_booking(soon, me.id)
        db.session.commit()
    assert "Starts Soon" in _text(_home(client), "home-next-course")


def test_the_plan_review_is_the_personal_tutors_as_on_my_plan(app, client, login_as):
    me = login_as("student")
    with app.app_context():
        tutor = factories.make_tutor(full_name="Morgan Tutor")
        factories.make_tutorship(me.id, tutor, review_every_months=3, assigned_at=utcnow() - timedelta(days=200))
        db.session.commit()
    line = _text(_home(client), "home-plan-review")
    assert "Your plan review with your personal tutor, Morgan Tutor was due on" in line
    plan = client.get("/my/plan").get_data(as_text=True)
    assert "Morgan Tutor" in plan


def test_not_now_needs_someone_signed_in(client):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/my/optional-questions/not-now", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
