"""Requests that must never become a bare error: control characters in URL paths, bodies
over the size limit, a database that is busy, and failures after a change was committed.
(The same on PostgreSQL, with real locks and killed connections: tests/pg/test_pg_requests.py.)"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from rec_portal.extensions import db
from rec_portal.models import Booking, OutboxMessage, PlanCourse, SafetyPlan
from rec_portal.models.safety import SECTIONS
from tests import factories
from tests.faults import assert_not_found_without_sql, nul_urls

STACK_MARKERS = ("Traceback", "File \"", "sqlalchemy", "OperationalError", "RuntimeError", "werkzeug")


def test_the_sweep_covers_the_addresses_the_issue_names(app):
    paths = {p for _m, p in nul_urls(app)}
    assert {"/courses/a%00b", "/courses/a%00b/individual-workshop", "/calendar/a%00b.ics"} <= paths


def test_a_nul_in_any_url_path_is_not_found_before_any_query(app, client):
    urls = nul_urls(app)
    assert len(urls) >= 12
    for method, path in urls:
        assert_not_found_without_sql(app, client, method, path)


def test_a_nul_in_a_url_path_is_not_found_for_a_signed_in_person_too(app, client, login_as):
    login_as("admin", "student", "facilitator")
    for method, path in nul_urls(app):
        assert_not_found_without_sql(app, client, method, path, signed_in=True)


@pytest.mark.parametrize("raw", ["%01", "%09", "%0A", "%1F", "%7F", "%C2%85", "%FF", "%ED%A0%80"])
def test_other_control_characters_and_broken_text_in_paths_are_not_found(app, client, raw):
    with app.app_context():
        factories.make_course(title="Staying Safe", slug="staying-safe")
        db.session.commit()
    for path in (f"/courses/staying-safe{raw}", f"/courses/{raw}staying-safe/individual-workshop",
                 f"/calendar/abc{raw}def.ics", f"/static/css{raw}/app.css"):
        assert_not_found_without_sql(app, client, "GET", path)
    assert client.get("/courses/staying-safe").status_code == 200  # ordinary addresses still work


def test_ordinary_text_in_paths_still_reaches_the_page(app, client):
    with app.app_context():
        factories.make_course(title="Café", slug="cafe-and-calm")
        db.session.commit()
    assert "Café" in client.get("/courses/cafe-and-calm").get_data(as_text=True)
    # A real file under /static (path converter), and a page that is simply not there.
    assert client.get("/static/css/app.css").status_code in (200, 304) or \
        client.get("/static/vendor/nhsuk-frontend/nhsuk-frontend.min.js").status_code == 200
    assert client.get("/courses/no-such-course").status_code == 404


# --- request size -------------------------------------------------------------------------

def test_the_size_limit_is_set_from_the_setting(app, monkeypatch, tmp_path):
    from rec_portal.config import load_config

    monkeypatch.setenv("REC_MAX_REQUEST_BYTES", "200000")
    config = load_config(str(tmp_path))
    assert config["MAX_CONTENT_LENGTH"] == 200000 == config["MAX_FORM_MEMORY_SIZE"]
    monkeypatch.delenv("REC_MAX_REQUEST_BYTES")
    default = load_config(str(tmp_path))["MAX_CONTENT_LENGTH"]
    # The largest legitimate form: 5 safety-plan sections of 5,000 four-byte characters,
    # each byte percent-encoded (3 characters), plus field names and the CSRF token.
    assert default >= 5 * 5000 * 4 * 3 + 2000
    assert app.config["MAX_CONTENT_LENGTH"] == app.config["MAX_FORM_MEMORY_SIZE"] == default


def test_five_full_sections_in_urdu_are_saved(login_as, web, client, app):
    me = login_as("student")
    phrase = "جب میں پریشان ہوتا ہوں تو میں اپنی بہن کو فون کرتا ہوں۔ "
    text = (phrase * (5000 // len(phrase) + 1))[:5000].strip()
    text = text + "ں" * (5000 - len(text))
    assert len(text) == 5000
    sections = {name: text for name in SECTIONS}
    response = web.submit("/my/safety-plan", sections, page="/my/safety-plan")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        plan = db.session.get(SafetyPlan, me.id)
        assert [getattr(plan, name) for name in SECTIONS] == [text] * 5


def test_five_full_sections_of_four_byte_characters_fit_under_the_limit(login_as, web, app):
    me = login_as("student")
    text = "𐒀𐒁𐒂 " * 1250  # Osage letters: four bytes each in UTF-8, twelve once percent-encoded
    text = text[:5000].strip() + "𐒃"
    assert len(text) <= 5000
    response = web.submit("/my/safety-plan", {name: text for name in SECTIONS}, page="/my/safety-plan")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(SafetyPlan, me.id).reporting == text


def test_a_body_over_the_limit_gets_the_calm_413_page_and_saves_nothing(login_as, web, client, app):
    me = login_as("student")
    token = web.token("/my/safety-plan")
    too_much = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/my/safety-plan", data={"csrf_token": token, "reporting": too_much})
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "That was too much to send in one go" in html
    assert "Nothing was saved" in html
    assert not any(marker in html for marker in STACK_MARKERS)
    assert "Request Entity Too Large" not in html
    with app.app_context():
        assert db.session.get(SafetyPlan, me.id) is None

    htmx = client.post("/my/safety-plan/sections/reporting", data={"reporting": too_much},
                       headers={"HX-Request": "true", "X-CSRFToken": token})
    assert htmx.status_code == 413
    assert htmx.headers["HX-Retarget"] == "#maincontent"
    assert "That was too much to send in one go" in htmx.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SafetyPlan, me.id) is None


# --- a busy database ----------------------------------------------------------------------

def _locked(*_args, **_kwargs):
    raise OperationalError("UPDATE course_sessions", {}, sqlite3.OperationalError("database is locked"))


def _course_session(app, capacity=5):
    with app.app_context():
        course = factories.make_course(title="Staying Safe", slug="staying-safe")
        session = factories.make_session(course=course, capacity=capacity)
        db.session.commit()
        return session.id


def test_a_busy_database_gets_the_calm_busy_page_and_writes_nothing(login_as, web, client, app, monkeypatch, caplog):
    login_as("student")
    session_id = _course_session(app)
    monkeypatch.setattr("rec_portal.bookings.operations.book_place", _locked)
    response = web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The service is busy at the moment" in html and "Nothing was changed." in html
    assert response.headers["Retry-After"] == "60"
    assert not any(marker in html for marker in STACK_MARKERS)
    assert "Sign out" in html  # still drawn for the signed-in person
    assert "database timeout on POST" in caplog.text
    with app.app_context():
        assert db.session.execute(select(Booking)).first() is None
        assert db.session.execute(select(OutboxMessage)).first() is None

    token = web.token("/courses/staying-safe")
    htmx = client.post(f"/sessions/{session_id}/book", data={},
                       headers={"HX-Request": "true", "X-CSRFToken": token})
    assert htmx.status_code == 503
    assert htmx.headers["HX-Retarget"] == "#maincontent"
    assert htmx.headers["HX-Reswap"] == "outerHTML"
    assert "The service is busy at the moment" in htmx.get_data(as_text=True)


def test_an_unexpected_error_never_shows_a_stack_trace(login_as, web, app, monkeypatch):
    login_as("student")
    session_id = _course_session(app)

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr("rec_portal.bookings.operations.book_place", broken)
    response = web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "hunter2" not in html and not any(marker in html for marker in STACK_MARKERS)


def test_an_error_in_an_after_request_step_before_any_commit_is_the_calm_page(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr("rec_portal.security._form_action", _raise_runtime)
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert not any(marker in html for marker in STACK_MARKERS)


def _raise_runtime(*_args, **_kwargs):
    raise RuntimeError("boom")


# --- after a commit -----------------------------------------------------------------------

@contextmanager
def database_gone_after_commit(app):
    """From the first commit on, every statement fails as if the server had just gone away
    (a restart): what a request sees when its connection dies right after its commit."""
    from sqlalchemy.orm import Session

    state = {"gone": False}

    def _after_commit(_session):
        state["gone"] = True

    def _refuse(*_args, **_kwargs):
        if state["gone"]:
            raise sqlite3.OperationalError("disk I/O error (the test took the database away)")

    with app.app_context():
        engine = db.engine
    event.listen(Session, "after_commit", _after_commit)
    event.listen(engine, "before_cursor_execute", _refuse)
    try:
        yield state
    finally:
        event.remove(Session, "after_commit", _after_commit)
        event.remove(engine, "before_cursor_execute", _refuse)


def test_a_cancellation_whose_answer_fails_after_commit_is_still_reported_as_done(
    login_as, web, client, app, monkeypatch
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    me = login_as("student")
    session_id = _course_session(app)
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    with app.app_context():
        booking_id = db.session.execute(select(Booking.id).where(Booking.student_id == me.id)).scalar_one()
    token = web.token(f"/my/courses/{booking_id}/cancel")
    with database_gone_after_commit(app) as state:
        response = client.post(f"/my/courses/{booking_id}/cancel", data={"csrf_token": token})
    assert state["gone"]
    assert response.status_code == 302 and response.headers["Location"] == "/my/courses"
    assert response.headers.get("Cache-Control") == "no-store"  # decided without the database
    page = client.get("/my/courses").get_data(as_text=True)
    assert "Your place has been cancelled." in page
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"


def test_a_booking_whose_page_fails_after_commit_sends_the_person_on_with_saved(
    login_as, web, client, app, monkeypatch
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    me = login_as("student")
    session_id = _course_session(app)
    token = web.token("/courses/staying-safe")
    with database_gone_after_commit(app):
        response = client.post(f"/sessions/{session_id}/book", data={"csrf_token": token},
                               headers={"Referer": "http://localhost/courses/staying-safe"})
    # Without htmx nothing after the commit needs the database (the course page's address
    # is made before it, issue 18): the person is sent on with the usual message.
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/staying-safe#session-{session_id}"
    page = client.get("/courses/staying-safe").get_data(as_text=True)
    assert "Your place is booked." in page
    assert "You have a place on this date" in page
    with app.app_context():
        assert db.session.execute(select(Booking.status).where(Booking.student_id == me.id)).scalar_one() == "confirmed"

    # With htmx: the browser is sent to the page instead of an error in the panel.
    with app.app_context():
        other = factories.make_session(course=factories.make_course(title="Calm", slug="calm"), capacity=3, starts_in_days=40)
        db.session.commit()
        other_id = other.id
    token = web.token("/courses/calm")
    with database_gone_after_commit(app):
        htmx = client.post(f"/sessions/{other_id}/book", data={},
                           headers={"HX-Request": "true", "X-CSRFToken": token,
                                    "Referer": "http://localhost/courses/calm"})
    assert htmx.status_code == 200 and htmx.headers.get("HX-Redirect") == "/courses/calm", htmx.get_data(as_text=True)
    assert "Your change was saved." in client.get("/courses/calm").get_data(as_text=True)


def test_the_saved_page_never_sends_a_person_to_another_site(login_as, web, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    login_as("student")
    session_id = _course_session(app)
    token = web.token("/courses/staying-safe")
    with database_gone_after_commit(app):
        # htmx: the panel after the commit needs the database, which is gone.
        response = client.post(f"/sessions/{session_id}/book", data={},
                               headers={"HX-Request": "true", "X-CSRFToken": token,
                                        "Referer": "https://evil.example/courses/staying-safe"})
    assert response.headers.get("HX-Redirect") == "/", response.get_data(as_text=True)
    assert "Your change was saved." in client.get("/").get_data(as_text=True)


# --- "saved" only when the person's change was -------------------------------------------

SAVED = "Your change was saved."


def _commits_refused_as_busy(app):
    """Every real COMMIT fails as if the database were locked (savepoints still work)."""

    def _refuse(_conn):
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", _refuse)
    return lambda: event.remove(engine, "commit", _refuse)


def test_a_savepoint_is_not_a_saved_change(login_as, web, client, app, monkeypatch):
    """Adding a course to a plan releases a savepoint (a double click guard) before the
    view commits. SQLAlchemy reports that as a commit; if the real commit then fails,
    the person must get the busy page, not "Your change was saved"."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    login_as("student")
    with app.app_context():
        course_id = factories.make_course(title="Calm", slug="calm").id
        db.session.commit()
    token = web.token("/courses/calm")
    stop = _commits_refused_as_busy(app)
    try:
        response = client.post("/my/plan/courses", data={"csrf_token": token, "course_id": course_id},
                               headers={"Referer": "http://localhost/courses/calm"})
    finally:
        stop()
    html = response.get_data(as_text=True)
    assert response.status_code == 503, response.headers.get("Location")
    assert "The service is busy at the moment" in html and "Nothing was changed." in html
    assert SAVED not in client.get("/courses/calm").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(PlanCourse)).first() is None


def test_a_refusal_whose_page_fails_is_not_reported_as_saved(login_as, web, client, app, monkeypatch):
    """A refused action commits only its audit record; if the 403 page then cannot be
    drawn (the database went away), the person is not told their change was saved."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    me = login_as("student")
    token = web.token("/my/account")
    with database_gone_after_commit(app) as state:
        response = client.post(f"/admin/people/{me.id}/enable", data={"csrf_token": token},
                               headers={"Referer": "http://localhost/my/account"})
    assert state["gone"]  # the audit record of the refusal was committed
    assert response.status_code == 500, response.headers.get("Location")
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert SAVED not in client.get("/my/account").get_data(as_text=True)


def test_a_failed_sign_in_whose_page_fails_is_not_reported_as_saved(web, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    with app.app_context():
        email = factories.make_user().email
        db.session.commit()
    token = web.token("/login")

    def broken(*_args, **_kwargs):
        raise RuntimeError("the page could not be drawn")

    monkeypatch.setattr("rec_portal.web.forms.render_template", broken)  # the sign-in page is drawn by web.forms.page
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": "not-the-password"},
                           headers={"Referer": "http://localhost/login"})
    assert response.status_code == 500, response.headers.get("Location")
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    monkeypatch.undo()
    assert SAVED not in client.get("/login").get_data(as_text=True)
