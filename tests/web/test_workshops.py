"""Individual workshops through the web: asking from the course page, My courses, the
admin queue and request page (notes with and without htmx, close, reopen, arrange, the
roster step), access for every role, and individual sessions never showing anywhere
public or being bookable by anyone else."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rec_portal.extensions import db
from rec_portal.models import (
    ContactTask,
    AuditEvent,
    Booking,
    CourseSession,
    OutboxMessage,
    RosterAssignment,
    WorkshopRequest,
)
from rec_portal.models.workshops import ARRANGED, CLOSED, NEW
from rec_portal.timeutil import to_uk
from rec_portal.workshops import operations
from tests import factories
from tests.conftest import count_statements, csrf_from
from tests.factories import make_course_needing as make_course
from tests.factories import soon
from tests.scenarios import request_workshop as _make_request
from tests.scenarios import workshop_world as _world

ASK = "/courses/staying-safe/individual-workshop"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _page(response) -> str:
    return _text(response.get_data(as_text=True))



def _arrange(app, request_id, team=(), days=10):
    from rec_portal.models import User

    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        req = db.session.get(WorkshopRequest, request_id)
        start = soon(days, hour=10)
        session = operations.arrange(req, operations.Arrangement(start, start + timedelta(hours=2), venue="REC, Quiet room",
                                                                 facilitators=tuple(team)), admin)
        db.session.commit()
        return session.id


def _request_row(app, request_id):
    with app.app_context():
        req = db.session.get(WorkshopRequest, request_id)
        return req.status, req.session_id, [n.text for n in req.notes]


# --- Access ---------------------------------------------------------------------------------

def test_signed_out_visitors_are_sent_to_sign_in_with_next(client, app):
    _world(app, team=False)
    response = client.get(ASK)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/courses/staying-safe/individual-workshop"
    for url in ("/admin/workshops", "/admin/workshops/1", "/my/courses/workshops/1"):
        assert client.get(url).headers["Location"].startswith("/login?next="), url


def test_the_course_page_offers_it_calmly_to_everyone(client, app):
    _world(app, team=False)
    html = client.get("/courses/staying-safe").get_data(as_text=True)
    assert 'id="ask-individual-workshop"' in html and 'href="/courses/staying-safe/individual-workshop"' in html
    assert "If a group is not right for you" in html


def test_another_students_request_is_not_found(login_as, web, client, app):
    w = _world(app, team=False)
    with app.app_context():
        other = factories.make_user()
        db.session.commit()
        other_id = other.id
    req = _make_request(app, other_id, w["course"])
    login_as("student")
    for url in (f"/my/courses/workshops/{req}", f"/my/courses/workshops/{req}/sent"):
        assert client.get(url).status_code == 404, url
    token = web.token("/my/courses")
    assert client.post(f"/my/courses/workshops/{req}/withdraw", data={"csrf_token": token}).status_code == 404
    assert _request_row(app, req)[0] == NEW
    assert client.get("/my/courses/workshops/99999999999").status_code == 404


@pytest.mark.parametrize("role", ["student", "facilitator"])
def test_students_and_facilitators_cannot_open_the_queue(login_as, web, client, app, role):
    w = _world(app, team=False)
    with app.app_context():
        student = factories.make_user()
        db.session.commit()
        student_id = student.id
    req = _make_request(app, student_id, w["course"])
    login_as(role)
    for url in ("/admin/workshops", f"/admin/workshops/{req}", f"/admin/workshops/{req}/arrange",
                f"/admin/workshops/{req}/close"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have access to this page" in response.get_data(as_text=True)
    token = web.token("/my/account")
    for url in (f"/admin/workshops/{req}/notes", f"/admin/workshops/{req}/reopen", f"/admin/workshops/{req}/close"):
        assert client.post(url, data={"csrf_token": token, "text": "x", "reason": "x"}).status_code == 403
    assert _request_row(app, req) == (NEW, None, [])


def test_a_facilitator_without_the_student_role_cannot_ask(login_as, client, app):
    _world(app, team=False)
    login_as("facilitator")
    assert client.get(ASK).status_code == 403


def test_posts_without_csrf_change_nothing(login_as, client, app):
    w = _world(app, team=False)
    me = login_as("student", "admin")
    response = client.post(ASK, data={"contact_method": "email"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(WorkshopRequest)).scalar_one() == 0
    req = _make_request(app, me.id, w["course"])
    assert client.post(f"/admin/workshops/{req}/notes", data={"text": "hi"}).status_code == 400
    assert client.post(f"/my/courses/workshops/{req}/withdraw").status_code == 400
    assert _request_row(app, req) == (NEW, None, [])


# --- The student ----------------------------------------------------------------------------

def test_the_form_is_prefilled_from_the_profile_and_a_request_can_be_sent(login_as, web, client, app):
    w = _world(app, team=False)
    me = login_as("student", email="kim@example.org")
    with app.app_context():
        factories.make_student_profile(me, phone="07700 900456", contact_preference="phone",
                                       access_needs="Step-free access")
        db.session.commit()
    html = client.get(ASK).get_data(as_text=True)
    assert re.search(r'value="phone"[^>]*checked', html) and 'value="07700 900456"' in html
    response = web.submit(ASK, {"why_not_group": "Groups are hard for me", "what_would_help": "A quiet room",
                                "availability": "Tuesday mornings", "contact_method": "phone",
                                "contact_detail": "07700 900456"})
    assert response.status_code == 302
    sent = client.get(response.headers["Location"])
    assert "We have your request for an individual workshop" in _page(sent)
    assert "by phone call" in _page(sent)
    with app.app_context():
        req = db.session.execute(select(WorkshopRequest)).scalar_one()
        assert (req.student_id, req.status, req.why_not_group, req.contact_detail) == (
            me.id, NEW, "Groups are hard for me", "07700 900456")
        # Kim prefers a phone call: the request is on the REC team's list, and they will
        # phone about it; no email, and no call-list line just to say it arrived.
        assert db.session.execute(select(OutboxMessage.to_address)).scalars().all() == []
        assert db.session.execute(select(func.count()).select_from(ContactTask)).scalar_one() == 0
        req_id = req.id
    # Asking again shows the request already made.
    again = client.get(ASK)
    assert again.headers["Location"] == f"/my/courses/workshops/{req_id}"
    page = _page(client.get(again.headers["Location"]))
    assert "You have already asked" in page and "Tuesday mornings" in page and "New" in page
    # My courses lists it.
    mine = _page(client.get("/my/courses"))
    assert "Individual workshop requests" in mine and "Staying Safe" in mine


def test_validation_keeps_the_answers_and_says_what_to_fix(login_as, web, client, app):
    _world(app, team=False)
    login_as("student")
    response = web.submit(ASK, {"what_would_help": "A quiet room", "contact_method": "text", "contact_detail": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and "Enter the phone number we should use" in html
    assert 'href="#contact_detail"' in html and "A quiet room" in html
    assert html.count("<title>Error: ") == 1
    long = web.submit(ASK, {"availability": "x" * 2001, "contact_method": "email"})
    assert long.status_code == 400 and "2,000 characters or fewer" in long.get_data(as_text=True)
    none = web.submit(ASK, {"contact_method": "fax"})
    assert none.status_code == 400 and "Choose how you would like us to contact you" in none.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(WorkshopRequest)).scalar_one() == 0


def test_a_new_request_can_be_withdrawn(login_as, web, client, app):
    w = _world(app, team=False)
    me = login_as("student")
    req = _make_request(app, me.id, w["course"])
    response = web.submit(f"/my/courses/workshops/{req}/withdraw", {}, page=f"/my/courses/workshops/{req}")
    assert response.headers["Location"] == "/my/courses"
    assert "has been withdrawn" in _page(client.get("/my/courses"))
    assert _request_row(app, req)[0] == CLOSED
    assert "Withdraw my request" not in _page(client.get(f"/my/courses/workshops/{req}"))


def test_an_unknown_or_unpublished_course_is_not_found(login_as, client, app):
    with app.app_context():
        make_course(slug="draft-course", status="draft")
        db.session.commit()
    login_as("student")
    assert client.get("/courses/draft-course/individual-workshop").status_code == 404
    assert client.get("/courses/nope/individual-workshop").status_code == 404


# --- The queue --------------------------------------------------------------------------------

def _students_with_requests(app, course_id, n, status=NEW):
    with app.app_context():
        from rec_portal.models import Course

        course = db.session.get(Course, course_id)
        for _ in range(n):
            req = operations.request_workshop(factories.make_user(), course, contact_method="email")
            req.status = status
        db.session.commit()


def test_the_queue_filters_by_status_with_counts_newest_first(login_as, client, app):
    w = _world(app, team=False)
    _students_with_requests(app, w["course"], 2)
    _students_with_requests(app, w["course"], 1, status=CLOSED)
    me = login_as("admin")
    page = _page(client.get("/admin/workshops"))
    assert "New (2)" in page and "Closed (1)" in page and "Arranged (0)" in page and "All (3)" in page
    html = client.get("/admin/workshops").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'id="request-row-(\d+)"', html)]
    assert len(ids) == 2 and ids == sorted(ids, reverse=True)
    closed = client.get("/admin/workshops?status=closed").get_data(as_text=True)
    assert len(re.findall(r'id="request-row-', closed)) == 1
    assert "No arranged requests" in _page(client.get("/admin/workshops?status=arranged"))
    assert len(re.findall(r'id="request-row-', client.get("/admin/workshops?status=all").get_data(as_text=True))) == 3
    assert client.get("/admin/workshops?status=nonsense&page=x").status_code == 200
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.event == "workshop.queue_viewed_by_staff",
                                                             AuditEvent.actor_id == me.id)).scalars().all()
    assert events and all(re.fullmatch(r"workshop requests \w+ page \d+: [\d,]*", e.detail) for e in events)


def test_the_queue_is_paginated(login_as, client, app):
    w = _world(app, team=False)
    _students_with_requests(app, w["course"], 23)
    login_as("admin")
    first = client.get("/admin/workshops").get_data(as_text=True)
    assert len(re.findall(r'id="request-row-', first)) == 20 and "?status=new&amp;page=2" in first
    second = client.get("/admin/workshops?status=new&page=2").get_data(as_text=True)
    assert len(re.findall(r'id="request-row-', second)) == 3


def test_the_queue_runs_the_same_number_of_queries_whatever_the_size(login_as, client, app):
    w = _world(app, team=False)
    login_as("admin")
    _students_with_requests(app, w["course"], 2)
    for rid in [_make_request(app, _new_student(app), w["course"])]:
        _arrange(app, rid)
    with count_statements(app) as small:
        assert client.get("/admin/workshops?status=all").status_code == 200
    _students_with_requests(app, w["course"], 15)
    for _ in range(3):
        _arrange(app, _make_request(app, _new_student(app), w["course"]), days=20 + _)
    with count_statements(app) as large:
        html = client.get("/admin/workshops?status=all").get_data(as_text=True)
    assert len(re.findall(r'id="request-row-', html)) == 20
    assert len(large) == len(small), "\n".join(large)


def _new_student(app) -> int:
    with app.app_context():
        user = factories.make_user()
        db.session.commit()
        return user.id


# --- One request ------------------------------------------------------------------------------

def test_the_request_page_shows_the_answers_and_access_needs_and_is_audited(login_as, client, app):
    w = _world(app, team=False)
    student_id = _new_student(app)
    with app.app_context():
        factories.make_student_profile(student_id, access_needs="Hearing loop please")
        db.session.commit()
    req = _make_request(app, student_id, w["course"], why_not_group="Crowds", what_would_help="Quiet",
                        availability="Wednesdays")
    me = login_as("admin")
    page = _page(client.get(f"/admin/workshops/{req}"))
    for words in ("Crowds", "Quiet", "Wednesdays", "Hearing loop please", "Arrange the workshop", "Close the request"):
        assert words in page, words
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "workshop.request_viewed_by_staff")).scalar_one()
    assert (event.actor_id, event.subject_id, event.detail) == (me.id, student_id, f"workshop request {req}")
    assert client.get("/admin/workshops/424242").status_code == 404


def test_notes_with_htmx_get_the_partial_and_without_a_redirect(login_as, web, client, app):
    w = _world(app, team=False)
    req = _make_request(app, _new_student(app), w["course"])
    login_as("admin")
    url = f"/admin/workshops/{req}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    partial = client.post(f"{url}/notes", data={"csrf_token": token, "text": "Rang, no answer"},
                          headers={"HX-Request": "true"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and html.lstrip().startswith('<div id="request-notes">')
    assert "<html" not in html and "Rang, no answer" in html and "Note added." in html
    plain = client.post(f"{url}/notes", data={"csrf_token": token, "text": "Rang again"})
    assert plain.status_code == 302 and plain.headers["Location"] == f"{url}#notes"
    assert "Rang again" in _page(client.get(url))
    empty = client.post(f"{url}/notes", data={"csrf_token": token, "text": "  "}, headers={"HX-Request": "true"})
    assert empty.status_code == 400 and "Enter the note" in empty.get_data(as_text=True)
    empty_plain = client.post(f"{url}/notes", data={"csrf_token": token, "text": ""})
    assert empty_plain.status_code == 400 and "<html" in empty_plain.get_data(as_text=True)
    assert _request_row(app, req)[2] == ["Rang, no answer", "Rang again"]
    with app.app_context():
        changed = db.session.execute(select(AuditEvent.detail).where(AuditEvent.event == "workshop.request_changed")).scalars().all()
    assert len(changed) == 2 and all("Rang" not in d for d in changed)


def test_closing_needs_a_reason_and_a_closed_request_can_be_reopened(login_as, web, client, app):
    w = _world(app, team=False)
    req = _make_request(app, _new_student(app), w["course"])
    login_as("admin")
    url = f"/admin/workshops/{req}"
    missing = web.submit(f"{url}/close", {"reason": ""})
    assert missing.status_code == 400 and "Enter why the request is being closed" in missing.get_data(as_text=True)
    done = web.submit(f"{url}/close", {"reason": "Joined the group in April"})
    assert done.headers["Location"] == url
    page = _page(client.get(url))
    assert "The request is closed." in page and "Closed: Joined the group in April" in page
    assert client.get(f"{url}/close").status_code == 302  # closed already
    web.submit(f"{url}/reopen", {}, page=url)
    assert _request_row(app, req)[0] == NEW


def _arrange_form(w, **overrides):
    day = to_uk(soon(10)).date()
    data = {"day-day": day.day, "day-month": day.month, "day-year": day.year, "start": "10:00", "end": "12:00",
            "venue": "Recovery Education Centre, Quiet room", "online_details": "",
            "role_police_mh_coordinator_1": w["police"], "role_social_worker_1": w["social"],
            "role_peer_specialist_1": w["peer"]}
    data.update(overrides)
    return data


def test_arranging_through_the_form_books_the_student_and_fills_the_roster(login_as, web, client, app):
    w = _world(app)
    student_id = _new_student(app)
    req = _make_request(app, student_id, w["course"])
    login_as("admin")
    url = f"/admin/workshops/{req}/arrange"
    html = client.get(url).get_data(as_text=True)
    assert "Sam Patel" in html and "Choose later" in html
    response = web.submit(url, _arrange_form(w))
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/workshops/{req}#workshop"
    page = _page(client.get(f"/admin/workshops/{req}"))
    assert "The workshop is arranged" in page and "Complete" in page and "Individual" in page
    status, session_id, _notes = _request_row(app, req)
    assert status == ARRANGED
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        assert session.individual and session.capacity == 1 and to_uk(session.starts_at).hour == 10
        booking = db.session.execute(select(Booking).where(Booking.session_id == session_id)).scalar_one()
        assert booking.student_id == student_id and booking.status == "confirmed"
        assert db.session.execute(select(func.count()).select_from(RosterAssignment)).scalar_one() == 3
        ics = db.session.execute(select(OutboxMessage).where(OutboxMessage.attachment_filename == "rec-session.ics")).scalar_one()
        assert ics.user_id == student_id
    assert client.get(url).status_code == 302  # arranged already


def test_arrange_errors_are_shown_at_the_field_and_nothing_is_saved(login_as, web, client, app):
    w = _world(app)
    req = _make_request(app, _new_student(app), w["course"])
    login_as("admin")
    url = f"/admin/workshops/{req}/arrange"
    blank = web.submit(url, {"start": "", "end": "25:99", "venue": "", "online_details": ""})
    html = blank.get_data(as_text=True)
    assert blank.status_code == 400
    for message in ("Enter the date of the workshop", "Enter the start time", "Enter the end time as hours and minutes",
                    "Give the venue or the online joining details"):
        assert message in html, message
    wrong = web.submit(url, _arrange_form(w, role_peer_specialist_1=w["police"]))
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "does not hold the role" in html and 'href="#role_peer_specialist_1"' in html
    assert "Recovery Education Centre, Quiet room" in html  # the answers are kept
    assert _request_row(app, req)[:2] == (NEW, None)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(CourseSession)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.attachment_filename.is_not(None))).scalar_one() == 0


def test_the_roster_step_fills_a_gap_left_for_later(login_as, web, client, app):
    w = _world(app)
    req = _make_request(app, _new_student(app), w["course"])
    _arrange(app, req, team=[("police_mh_coordinator", w["police"]), ("social_worker", w["social"])])
    login_as("admin")
    url = f"/admin/workshops/{req}"
    page = client.get(url).get_data(as_text=True)
    assert "Gaps" in page and 'id="assign-peer_specialist"' in page and "Sam Patel" in page
    wrong = web.submit(f"{url}/assign", {"role": "peer_specialist", "user_id": w["police"]}, page=url)
    assert wrong.headers["Location"] == f"{url}#roster"
    assert "does not hold the role" in _page(client.get(url))
    done = web.submit(f"{url}/assign", {"role": "peer_specialist", "user_id": w["peer"]}, page=url)
    assert done.status_code == 302
    page = _page(client.get(url))
    assert "Sam Patel is on the roster" in page and "Complete" in page


def test_cancelling_the_arranged_session_puts_the_request_back_in_the_queue(login_as, web, client, app):
    w = _world(app, team=False)
    req = _make_request(app, _new_student(app), w["course"])
    session_id = _arrange(app, req)
    login_as("admin")
    assert client.get(f"/admin/workshops/{req}/close").status_code == 302  # cancel the session first
    web.submit(f"/admin/courses/sessions/{session_id}/cancel", {}, page=f"/admin/courses/sessions/{session_id}/cancel")
    status, session, notes = _request_row(app, req)
    assert (status, session) == (NEW, None) and "was cancelled" in notes[-1]


# --- Never public -------------------------------------------------------------------------------

def test_individual_sessions_never_show_in_public_and_cannot_be_booked(login_as, web, client, app):
    w = _world(app, team=False)
    owner = _new_student(app)
    req = _make_request(app, owner, w["course"])
    session_id = _arrange(app, req)
    # Signed out: the catalogue has no next date for the course and the course page no dates.
    catalogue = _page(client.get("/courses"))
    assert "Staying Safe" in catalogue and "No dates yet" in catalogue
    course_page = client.get("/courses/staying-safe").get_data(as_text=True)
    assert f'id="session-{session_id}"' not in course_page and "There are no dates for this course" in course_page
    month = to_uk(soon(10)).strftime("%Y-%m")
    assert "Staying Safe" not in _page(client.get(f"/courses?month={month}"))
    # Another student: no panel, no booking.
    login_as("student")
    assert client.get(f"/sessions/{session_id}/panel", headers={"HX-Request": "true"}).status_code == 404
    token = web.token("/my/courses")
    assert client.post(f"/sessions/{session_id}/book", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Booking)).scalar_one() == 1


def test_the_student_sees_their_workshop_in_my_courses_as_an_individual_workshop(login_as, client, app):
    w = _world(app, team=False)
    me = login_as("student")
    req = _make_request(app, me.id, w["course"])
    session_id = _arrange(app, req)
    html = client.get("/my/courses").get_data(as_text=True)
    page = _text(html)
    assert "Individual workshop" in page and "Arranged for you, one to one" in page
    assert "Cancel my place" not in page and "To change or cancel your individual workshop" in page
    assert "Add to my calendar" in page
    with app.app_context():
        booking_id = db.session.execute(select(Booking.id).where(Booking.session_id == session_id)).scalar_one()
    assert client.get(f"/my/courses/{booking_id}/calendar.ics").status_code == 200
    refused = client.get(f"/my/courses/{booking_id}/cancel")
    assert refused.status_code == 302
    assert "To change or cancel it, contact the REC team" in _page(client.get("/my/courses"))
    # The owner may open the booking panel of their own workshop.
    assert client.get(f"/sessions/{session_id}/panel", headers={"HX-Request": "true"}).status_code == 200


def test_the_learning_plan_never_offers_an_individual_session(login_as, client, app):
    w = _world(app, team=False)
    me = login_as("student")
    other = _make_request(app, _new_student(app), w["course"])
    session_id = _arrange(app, other)
    from rec_portal.plans.queries import next_dates

    with app.app_context():
        assert next_dates([w["course"]], soon(0)) == {}
        assert db.session.get(CourseSession, session_id).individual
    assert me.id


def test_admin_session_lists_and_the_roster_page_show_it_tagged_individual(login_as, client, app):
    w = _world(app)
    req = _make_request(app, _new_student(app), w["course"])
    session_id = _arrange(app, req, team=[("peer_specialist", w["peer"])])
    login_as("admin")
    detail = client.get(f"/admin/courses/{w['course']}").get_data(as_text=True)
    assert "Individual</strong>" in detail
    rosters = client.get("/admin/rosters").get_data(as_text=True)
    card = rosters[rosters.index(f'id="roster-session-{session_id}"'):]
    assert "Individual</strong>" in card[:3000] and "Gaps" in card[:3000]


def test_an_individual_workshop_is_never_copied_into_a_group_session(login_as, web, client, app):
    from rec_portal.models import CourseSession

    w = _world(app, team=False)
    session_id = _arrange(app, _make_request(app, _new_student(app), w["course"]))
    login_as("admin")
    detail = client.get(f"/admin/courses/{w['course']}").get_data(as_text=True)
    assert f"/admin/courses/sessions/{session_id}/copy" not in detail
    with app.app_context():
        before = db.session.execute(select(func.count()).select_from(CourseSession)).scalar_one()
        day = (db.session.get(CourseSession, session_id).starts_at + timedelta(days=14)).date()
    page = f"/admin/courses/sessions/{session_id}/copy"
    response = web.submit(page, {"day": day.isoformat()}, page=page)
    assert response.status_code == 400
    assert "An individual workshop cannot be copied" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(CourseSession)).scalar_one() == before


def test_walk_ins_cannot_be_added_to_an_individual_workshop(app):
    from rec_portal.attendance.walk_ins import WalkInRefused, add_walk_in

    w = _world(app, team=False)
    session_id = _arrange(app, _make_request(app, _new_student(app), w["course"]))
    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        with pytest.raises(WalkInRefused, match="individual workshop"):
            add_walk_in(session_id, factories.make_user(), added_by=admin)
