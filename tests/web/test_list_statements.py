"""List pages run a fixed number of SQL statements whatever their length (issue 15, part 4).

Each page is read at two sizes (3 and 30 people or bookings) and must send the same number
of statements both times: a page that reloads each row one by one (for example because it
committed an audit row before rendering, which expires everything loaded) grows with the
list. The data export is allowed no per-booking statements either."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, Booking
from tests import factories
from tests.conftest import Browserless, count_statements

SMALL, LARGE = 3, 30


def _session_with(app, booked: int, waiting: int = 0, *, dates: int = 2) -> tuple[int, int]:
    """A session with ``booked`` confirmed places (the first date marked for each) and
    ``waiting`` on its waiting list; answers (session id, first date id)."""
    with app.app_context():
        session = factories.make_session(capacity=booked, dates=dates, starts_in_days=-1)
        places = factories.fill_places(session, booked)
        factories.fill_places(session, waiting, status="waitlisted")
        for i, booking in enumerate(places):
            factories.make_attendance(booking, session.dates[0], "present" if i % 2 else "absent")
        db.session.commit()
        return session.id, session.dates[0].id


def _statements(app, client, url: str) -> tuple[list[str], str]:
    client.get(url)  # anything done once per process (not per page) is done before counting
    with count_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return list(statements), response.get_data(as_text=True)


def _audited(app, detail: str) -> int:
    with app.app_context():
        return len(db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "bookings.viewed_by_staff", AuditEvent.detail == detail)
        ).scalars().all())


def _same(small: list[str], large: list[str]) -> None:
    assert len(large) == len(small), (
        f"{len(small)} statements for {SMALL} people, {len(large)} for {LARGE}:\n" + "\n".join(large)
    )


def test_the_session_bookings_page_runs_the_same_statements_whatever_its_length(login_as, client, app):
    login_as("admin")
    small_id, _ = _session_with(app, SMALL, 2)
    large_id, _ = _session_with(app, LARGE, 5)
    small, _ = _statements(app, client, f"/admin/courses/sessions/{small_id}/bookings")
    large, html = _statements(app, client, f"/admin/courses/sessions/{large_id}/bookings")
    assert f"{LARGE} of {LARGE} places taken. 5 on the waiting list." in html
    _same(small, large)
    # Still recorded, once per view (two views of each page above).
    assert _audited(app, f"session {large_id}") == 2


def test_the_session_bookings_csv_runs_the_same_statements_whatever_its_length(login_as, client, app):
    login_as("admin")
    small_id, _ = _session_with(app, SMALL, 2)
    large_id, _ = _session_with(app, LARGE, 5)
    small, _ = _statements(app, client, f"/admin/courses/sessions/{small_id}/bookings.csv")
    large, body = _statements(app, client, f"/admin/courses/sessions/{large_id}/bookings.csv")
    assert body.count("Waiting (") == 5 and body.count("Booked,") == LARGE
    _same(small, large)


def test_the_class_list_runs_the_same_statements_whatever_its_length(login_as, client, app):
    login_as("admin")
    small_id, _ = _session_with(app, SMALL, 2)
    large_id, _ = _session_with(app, LARGE, 5)
    small, _ = _statements(app, client, f"/facilitate/sessions/{small_id}")
    large, html = _statements(app, client, f"/facilitate/sessions/{large_id}")
    with app.app_context():
        names = db.session.execute(
            select(Booking).where(Booking.session_id == large_id, Booking.status == "confirmed")
        ).scalars().all()
        assert all(b.student.preferred_name in html for b in names)
    _same(small, large)
    assert _audited(app, f"session {large_id}") == 2


def test_the_register_runs_the_same_statements_whatever_its_length(login_as, client, app):
    login_as("admin")
    small_id, small_date = _session_with(app, SMALL)
    large_id, large_date = _session_with(app, LARGE)
    small, _ = _statements(app, client, f"/facilitate/sessions/{small_id}/dates/{small_date}/register")
    large, html = _statements(app, client, f"/facilitate/sessions/{large_id}/dates/{large_date}/register")
    assert f"{LARGE} of {LARGE} marked: 15 present, 15 absent" in html
    _same(small, large)
    assert _audited(app, f"session {large_id} register date {large_date}") == 2


def test_the_register_is_recorded_after_it_is_rendered_so_nothing_is_loaded_twice(login_as, client, app):
    """The register's "opened" row is written once the page is rendered: after it nothing
    is read again (a commit before rendering expired the session, its dates and the
    signed-in person, and the page loaded them all a second time), at either size, and the
    number of statements is the same at both."""
    login_as("admin")
    counts = []
    for size in (SMALL, LARGE):
        session_id, date_id = _session_with(app, size)
        statements, html = _statements(app, client, f"/facilitate/sessions/{session_id}/dates/{date_id}/register")
        assert f"{size} of {size} marked" in html
        recorded = [i for i, s in enumerate(statements) if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS")]
        assert len(recorded) == 1
        read_after = [s for s in statements[recorded[0] + 1:] if s.lstrip().upper().startswith("SELECT")]
        assert read_after == [], "read again after the audit row:\n" + "\n".join(read_after)
        assert _audited(app, f"session {session_id} register date {date_id}") == 2
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{counts[0]} statements for {SMALL} people, {counts[1]} for {LARGE}"


def test_a_register_that_fails_to_render_is_not_recorded_as_viewed(login_as, client, app, monkeypatch):
    login_as("admin")
    session_id, date_id = _session_with(app, SMALL)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the template could not be rendered")

    monkeypatch.setattr("rec_portal.facilitation.views.render_template", broken)
    response = client.get(f"/facilitate/sessions/{session_id}/dates/{date_id}/register")
    assert response.status_code == 500  # the portal's own error page
    assert _audited(app, f"session {session_id} register date {date_id}") == 0


def _student_with_bookings(app, n: int):
    """A student with ``n`` bookings, each on a session of its own course, marked present
    on its first date."""
    with app.app_context():
        student = factories.make_user()
        for i in range(n):
            course = factories.make_course(title=f"Course {i}")
            session = factories.make_session(course=course, starts_in_days=-30 - i)
            booking = factories.make_booking(session, student, queued_at=session.starts_at - timedelta(days=7))
            factories.make_attendance(booking, session.dates[0])
        db.session.commit()
        return student.email


def test_the_data_export_runs_the_same_statements_whatever_the_number_of_bookings(app):
    small_email = _student_with_bookings(app, SMALL)
    large_email = _student_with_bookings(app, LARGE)
    small_client, large_client = app.test_client(), app.test_client()
    Browserless(small_client).login(small_email)
    Browserless(large_client).login(large_email)
    small, _ = _statements(app, small_client, "/my/account/data.json")
    large, body = _statements(app, large_client, "/my/account/data.json")
    data = json.loads(body)
    assert len(data["bookings"]) == LARGE
    assert all(b["attendance"] and b["attendance"][0]["attendance"] == "present" for b in data["bookings"])
    assert sorted(b["course"] for b in data["bookings"]) == sorted(f"Course {i}" for i in range(LARGE))
    _same(small, large)


# --- Rendered first, then recorded ------------------------------------------------------------
# A page that fails to render claims nothing: no "class list opened" row is kept.

@pytest.mark.parametrize("module, url", [
    ("rec_portal.scheduling.session_bookings", "/admin/courses/sessions/{s}/bookings"),
    ("rec_portal.facilitation.views", "/facilitate/sessions/{s}"),
])
def test_a_list_that_fails_to_render_is_not_recorded_as_viewed(login_as, client, app, monkeypatch, module, url):
    login_as("admin")
    session_id, _ = _session_with(app, SMALL)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the template could not be rendered")

    monkeypatch.setattr(f"{module}.render_template", broken)
    response = client.get(url.format(s=session_id))
    assert response.status_code == 500  # the portal's own error page
    assert _audited(app, f"session {session_id}") == 0
