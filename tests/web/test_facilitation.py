"""/facilitate: a facilitator's sessions, bio, days they cannot work, offers to cover,
class lists, attendance registers (htmx and plain forms) and sign-in sheets."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from rec_portal.extensions import db
from rec_portal.models import (
    Attendance,
    AuditEvent,
    Booking,
    CourseRoleNeed,
    CourseSession,
    FacilitatorProfile,
    FacilitatorRole,
    RosterAssignment,
    RosterOffer,
    Unavailability,
    User,
)
from rec_portal.timeutil import format_uk, to_uk, uk_today, utcnow
from tests import factories
from tests.conftest import Browserless, csrf_from

HOUR = 1 / 24


# --- Helpers ------------------------------------------------------------------------------

def _session(app, *, title="Staying Safe", starts_in_days=14.0, dates=1, capacity=12,
             roles=("peer_specialist", "social_worker"), status="scheduled", **kwargs) -> int:
    with app.app_context():
        course = factories.make_course(title=title)
        course.roles_needed = [CourseRoleNeed(role=r) for r in roles]
        session = factories.make_session(course=course, starts_in_days=starts_in_days, dates=dates,
                                         capacity=capacity, status=status, **kwargs)
        db.session.commit()
        return session.id


def _profile(app, user_id, *, roles=("peer_specialist",), organisation="Peer Forum", bio="",
             active=True) -> None:
    with app.app_context():
        profile = FacilitatorProfile(user_id=user_id, organisation=organisation, bio=bio, active=active)
        profile.roles = [FacilitatorRole(role=r) for r in roles]
        db.session.add(profile)
        db.session.commit()


def _roster(app, session_id, user_id, role="peer_specialist") -> int:
    with app.app_context():
        row = factories.add_to_roster(session_id, user_id, role)
        db.session.commit()
        return row.id


def _colleague(app, session_id, full_name="Pat Officer", role="social_worker") -> int:
    with app.app_context():
        user = factories.make_user(roles=("facilitator",), full_name=full_name)
        db.session.commit()
        user_id = user.id
    _roster(app, session_id, user_id, role)
    return user_id


def _book(app, session_id, people, status="confirmed") -> list[int]:
    """``people``: (preferred name, pronouns, access needs) for each booking."""
    with app.app_context():
        bookings = factories.fill_places(db.session.get(CourseSession, session_id), len(people), status=status)
        for booking, (name, pronouns, needs) in zip(bookings, people, strict=True):
            booking.student.preferred_name = name
            factories.make_student_profile(booking.student_id, pronouns=pronouns, access_needs=needs)
        db.session.commit()
        return [b.id for b in bookings]


PEOPLE = [
    ("Aisha", "she/her", "Large print handouts, please"),
    ("Ben", "he/him", ""),
    ("Charlie", "they/them", "Needs a quiet room for breaks"),
]


def _facilitating_today(app, login_as, people=PEOPLE, dates=1, started_hours_ago=1, **kwargs):
    """A signed-in facilitator rostered on a session of 6 hours that started an hour ago
    (``started_hours_ago`` 7: one that ended an hour ago, so a full register completes it)."""
    me = login_as("facilitator")
    session_id = _session(app, starts_in_days=-started_hours_ago * HOUR, hours=6, dates=dates, **kwargs)
    _roster(app, session_id, me.id)
    booking_ids = _book(app, session_id, people)
    with app.app_context():
        date_ids = [d.id for d in db.session.get(CourseSession, session_id).dates]
    return me, session_id, date_ids, booking_ids


def _register_url(session_id, date_id):
    return f"/facilitate/sessions/{session_id}/dates/{date_id}/register"


def _marks(app):
    with app.app_context():
        return {(a.booking_id, a.session_date_id): a.status for a in db.session.execute(select(Attendance)).scalars()}


def _hx(client, page_url):
    return {"HX-Request": "true", "X-CSRFToken": csrf_from(client.get(page_url).get_data(as_text=True))}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- Access -------------------------------------------------------------------------------

def _all_get_urls(session_id, date_id):
    return [
        "/facilitate", "/facilitate/profile", "/facilitate/availability", "/facilitate/open-roles",
        f"/facilitate/sessions/{session_id}", _register_url(session_id, date_id),
        f"/facilitate/sessions/{session_id}/dates/{date_id}/sign-in-sheet.pdf",
    ]


def test_signed_out_people_are_asked_to_sign_in(app, client):
    session_id = _session(app)
    with app.app_context():
        date_id = db.session.get(CourseSession, session_id).dates[0].id
    for url in _all_get_urls(session_id, date_id):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=/facilitate"), url
    # htmx requests are sent to the sign-in page as a whole page.
    response = client.get("/facilitate", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_students_are_refused_everywhere(app, login_as, web, client):
    session_id = _session(app)
    with app.app_context():
        date_id = db.session.get(CourseSession, session_id).dates[0].id
    [booking_id] = _book(app, session_id, PEOPLE[:1])
    login_as("student")
    for url in _all_get_urls(session_id, date_id):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You do not have access to this page" in response.get_data(as_text=True)
    token = web.token("/my/account")
    for url in ["/facilitate/availability", "/facilitate/open-roles", _register_url(session_id, date_id),
                f"{_register_url(session_id, date_id)}/{booking_id}", "/facilitate/profile"]:
        response = client.post(url, data={"csrf_token": token, f"booking-{booking_id}": "present"})
        assert response.status_code == 403, url
    assert _marks(app) == {}
    with app.app_context():
        denied = db.session.execute(select(AuditEvent).where(AuditEvent.event == "access.denied")).scalars().all()
    assert len(denied) >= 7


def test_facilitators_see_only_the_sessions_they_are_rostered_on(app, login_as, web, client):
    _me, mine, [my_date], _ = _facilitating_today(app, login_as)
    theirs = _session(app, title="Sleep Well", starts_in_days=-HOUR)
    [their_booking] = _book(app, theirs, PEOPLE[:1])
    with app.app_context():
        their_date = db.session.get(CourseSession, theirs).dates[0].id
    assert client.get(f"/facilitate/sessions/{mine}").status_code == 200
    for url in _all_get_urls(theirs, their_date)[4:]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.get_data(as_text=True)
    # Someone else's date under my session, or my date under theirs: not found either.
    assert client.get(_register_url(mine, their_date)).status_code == 404
    assert client.get(_register_url(theirs, my_date)).status_code == 404
    response = web.submit(f"{_register_url(theirs, their_date)}/{their_booking}", {f"booking-{their_booking}": "present"},
                          page="/facilitate")
    assert response.status_code == 404
    response = web.submit(_register_url(theirs, their_date), {f"booking-{their_booking}": "present"}, page="/facilitate")
    assert response.status_code == 404
    # A booking of another session through my own register: not found.
    response = web.submit(f"{_register_url(mine, my_date)}/{their_booking}", {f"booking-{their_booking}": "present"},
                          page="/facilitate")
    assert response.status_code == 404
    assert _marks(app) == {}
    assert "Sleep Well" not in client.get("/facilitate").get_data(as_text=True)


def test_admins_can_open_any_class_list_and_register(app, login_as, web, client):
    session_id = _session(app, starts_in_days=-HOUR, hours=6)
    [booking_id] = _book(app, session_id, PEOPLE[:1])
    with app.app_context():
        date_id = db.session.get(CourseSession, session_id).dates[0].id
    login_as("admin")
    page = client.get(f"/facilitate/sessions/{session_id}").get_data(as_text=True)
    assert "Class list" in page and "Aisha" in page and "Back to the session’s bookings" in page
    assert "Aisha" in client.get(_register_url(session_id, date_id)).get_data(as_text=True)
    response = web.submit(_register_url(session_id, date_id), {f"booking-{booking_id}": "present"})
    assert response.status_code == 302
    assert _marks(app) == {(booking_id, date_id): "present"}
    # /facilitate itself is the facilitator's own page.
    assert client.get("/facilitate").status_code == 403


# --- My sessions --------------------------------------------------------------------------

def test_my_sessions_upcoming_and_past(app, login_as, client):
    me = login_as("facilitator")
    _profile(app, me.id)
    upcoming = _session(app, title="Staying Safe", starts_in_days=10, capacity=12,
                        venue="Recovery Education Centre, Room 1")
    _roster(app, upcoming, me.id, "peer_specialist")
    _colleague(app, upcoming, "Pat Officer", "social_worker")
    _book(app, upcoming, PEOPLE[:2])
    recorded = _session(app, title="Coping with Stress", starts_in_days=-20)
    _roster(app, recorded, me.id)
    [b] = _book(app, recorded, PEOPLE[:1])
    not_recorded = _session(app, title="Understanding Anxiety", starts_in_days=-8)
    _roster(app, not_recorded, me.id)
    _book(app, not_recorded, PEOPLE[:1])
    with app.app_context():
        factories.make_attendance(b, db.session.get(CourseSession, recorded).dates[0])
        db.session.commit()
    someone_elses = _session(app, title="Sleep Well")
    _colleague(app, someone_elses, "Other Person")

    html = client.get("/facilitate").get_data(as_text=True)
    text = _text(html)
    up, past = text.split("Past sessions")
    assert "Upcoming sessions" in up and "Staying Safe" in up and "Coping with Stress" not in up
    assert "Recovery Education Centre, Room 1" in up
    assert "Your role Peer specialist or peer trainer" in up
    assert "Pat Officer (Social worker)" in up
    assert "2 of 12 places" in up
    assert f'href="/facilitate/sessions/{upcoming}"' in html
    assert "Coping with Stress" in past and "Attendance recorded" in past
    assert "Understanding Anxiety" in past and "Attendance not recorded" in past
    # Most recent past session first.
    assert past.index("Understanding Anxiety") < past.index("Coping with Stress")
    assert "Sleep Well" not in text and "Other Person" not in text
    assert 'href="/my/account/calendar"' in html


def test_my_sessions_page_without_any_sessions(app, login_as, client):
    login_as("facilitator")
    text = _text(client.get("/facilitate").get_data(as_text=True))
    assert "You are not rostered on any sessions yet" in text
    assert "Your facilitator profile has not been set up yet" in text


def test_my_sessions_page_takes_a_fixed_number_of_queries(app, login_as, client):
    me = login_as("facilitator")

    def count() -> int:
        statements = []

        def _count(*_args):
            statements.append(1)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", _count)
        try:
            assert client.get("/facilitate").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", _count)
        return len(statements)

    def add(n):
        for i in range(n):
            sid = _session(app, starts_in_days=(-5 if i % 2 else 5), dates=2)
            _roster(app, sid, me.id)
            _colleague(app, sid)
            _book(app, sid, PEOPLE)

    add(2)
    small = count()
    add(5)
    assert count() == small


# --- Calendar feed ------------------------------------------------------------------------

def test_private_calendar_feed_includes_rostered_sessions(app, login_as, web, client):
    me = login_as("facilitator")
    shown = _session(app, title="Staying Safe", starts_in_days=10, dates=2)
    _roster(app, shown, me.id)
    cancelled = _session(app, title="Cancelled Course", starts_in_days=12, status="cancelled")
    _roster(app, cancelled, me.id)
    web.submit("/my/account/calendar", {"action": "new-link"})
    with app.app_context():
        token = db.session.get(User, me.id).calendar_token
        assignment = db.session.execute(
            select(RosterAssignment).where(RosterAssignment.session_id == shown)).scalar_one()
        date_ids = [d.id for d in assignment.session.dates]
    feed = app.test_client().get(f"/calendar/{token}.ics").get_data(as_text=True)
    assert feed.count("BEGIN:VEVENT") == 2
    for date_id in date_ids:
        assert f"UID:rec-roster-{assignment.id}-date-{date_id}@rec-portal" in feed
    unfolded = feed.replace("\r\n ", "")
    assert "SUMMARY:Facilitating: Recovery Education Centre session" in unfolded
    assert "Staying Safe" not in unfolded  # neutral titles unless the person chose otherwise
    # The role can say something about the person (lived experience): neutral feeds leave it out.
    assert "Your role" not in unfolded and "Peer specialist" not in unfolded


# --- Bio ----------------------------------------------------------------------------------

def test_edit_my_bio(app, login_as, web, client):
    me = login_as("facilitator")
    _profile(app, me.id, roles=("peer_specialist", "carer_peer"), organisation="Peer Forum")
    page = _text(client.get("/facilitate/profile").get_data(as_text=True))
    assert "Organisation Peer Forum" in page
    assert "Peer specialist or peer trainer" in page and "Carer peer" in page
    response = web.submit("/facilitate/profile", {"bio": "  I trained as a peer specialist.\r\nI love this course.  ",
                                                  "organisation": "Hacked"})
    assert response.headers["Location"] == "/facilitate/profile"
    assert "Your bio is saved" in client.get("/facilitate/profile").get_data(as_text=True)
    with app.app_context():
        profile = db.session.get(FacilitatorProfile, me.id)
        assert profile.bio == "I trained as a peer specialist.\nI love this course."
        assert profile.organisation == "Peer Forum"


def test_bio_too_long_is_refused_and_kept(app, login_as, web):
    me = login_as("facilitator")
    _profile(app, me.id, bio="Old bio")
    long_bio = "A" * 990 + " <b>bold</b>"
    response = web.submit("/facilitate/profile", {"bio": long_bio})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "Your bio must be 1,000 characters or fewer" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "<title>Error:" in html
    with app.app_context():
        assert db.session.get(FacilitatorProfile, me.id).bio == "Old bio"


def test_no_profile_means_an_admin_must_set_one_up(app, login_as, web, client):
    login_as("facilitator")
    page = client.get("/facilitate/profile").get_data(as_text=True)
    assert "An admin in the REC team needs to set it up" in page and 'name="bio"' not in page
    response = web.submit("/facilitate/profile", {"bio": "Hello"})
    assert response.status_code == 302
    assert "has not been set up yet" in client.get("/facilitate/profile").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(FacilitatorProfile)).first() is None


# --- Days I cannot work -------------------------------------------------------------------

def _date_fields(day: date) -> dict:
    return {"date-day": str(day.day), "date-month": str(day.month), "date-year": str(day.year)}


def _days(app, user_id):
    with app.app_context():
        return [(u.day, u.note) for u in db.session.execute(
            select(Unavailability).where(Unavailability.user_id == user_id).order_by(Unavailability.day)).scalars()]


def test_add_and_remove_days_i_cannot_work(app, login_as, web, client):
    me = login_as("facilitator")
    later, sooner = uk_today() + timedelta(days=30), uk_today() + timedelta(days=3)
    for day, note in ((later, "Annual leave"), (sooner, "")):
        response = web.submit("/facilitate/availability", {**_date_fields(day), "note": note})
        assert response.headers["Location"] == "/facilitate/availability"
    assert _days(app, me.id) == [(sooner, ""), (later, "Annual leave")]
    html = client.get("/facilitate/availability").get_data(as_text=True)
    assert "You cannot work on" in html and "this is saved" in html
    text = _text(html)
    assert text.index(f"{sooner.day} {sooner:%B %Y}") < text.index(f"{later.day} {later:%B %Y}")
    assert "Annual leave" in text
    with app.app_context():
        row_id = db.session.execute(select(Unavailability.id).where(Unavailability.day == later)).scalar_one()
    response = web.submit(f"/facilitate/availability/{row_id}/remove", {}, page="/facilitate/availability")
    assert response.headers["Location"] == "/facilitate/availability"
    assert "is removed" in client.get("/facilitate/availability").get_data(as_text=True)
    assert _days(app, me.id) == [(sooner, "")]


def test_today_is_allowed_but_not_the_past(app, login_as, web):
    me = login_as("facilitator")
    assert web.submit("/facilitate/availability", _date_fields(uk_today())).status_code == 302
    response = web.submit("/facilitate/availability", {**_date_fields(uk_today() - timedelta(days=1)), "note": "Kept"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The date must be today or in the future" in html and 'href="#date"' in html
    assert 'value="Kept"' in html  # what was typed is kept
    assert _days(app, me.id) == [(uk_today(), "")]


@pytest.mark.parametrize(("fields", "message"), [
    ({"date-day": "", "date-month": "", "date-year": ""}, "Enter the date you cannot work"),
    ({"date-day": "31", "date-month": "2", "date-year": "2030"}, "Enter a real date, for example 14 3 2027"),
    ({"date-day": "x", "date-month": "1", "date-year": "2030"}, "Enter a real date"),
    ({"date-day": "1", "date-month": "1", "date-year": "2030", "note": "n" * 201}, "The note must be 200 characters or fewer"),
])
def test_day_validation(app, login_as, web, fields, message):
    me = login_as("facilitator")
    response = web.submit("/facilitate/availability", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in html and message in html
    if fields["date-day"] == "31":
        assert 'value="31"' in html
    assert _days(app, me.id) == []


def test_days_more_than_two_years_ahead_are_refused_calmly(app, login_as, web):
    me = login_as("facilitator")
    today = uk_today()
    try:
        limit = today.replace(year=today.year + 2)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year + 2, day=28)
    for fields in ({"date-day": "30", "date-month": "12", "date-year": "9999", "note": "Far away"},
                   {**_date_fields(limit + timedelta(days=1)), "note": "Far away"}):
        response = web.submit("/facilitate/availability", fields)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "There is a problem" in html and 'href="#date"' in html
        assert f"You can add days up to 2 years ahead, so up to {limit.day} {limit:%B %Y}" in html
        assert 'value="Far away"' in html
    assert _days(app, me.id) == []
    assert web.submit("/facilitate/availability", _date_fields(limit)).status_code == 302
    assert _days(app, me.id) == [(limit, "")]


def test_the_same_day_twice_is_refused(app, login_as, web):
    me = login_as("facilitator")
    day = uk_today() + timedelta(days=9)
    web.submit("/facilitate/availability", {**_date_fields(day), "note": "First"})
    response = web.submit("/facilitate/availability", {**_date_fields(day), "note": "Second"})
    assert response.status_code == 400
    assert f"You have already said you cannot work on {day.day} {day:%B %Y}" in response.get_data(as_text=True)
    assert _days(app, me.id) == [(day, "First")]


def test_a_day_that_clashes_with_my_roster_is_warned_about(app, login_as, web, client):
    me = login_as("facilitator")
    session_id = _session(app, title="Staying Safe", starts_in_days=6)
    _roster(app, session_id, me.id)
    with app.app_context():
        day = to_uk(db.session.get(CourseSession, session_id).starts_at).date()
    response = web.submit("/facilitate/availability", _date_fields(day))
    assert response.status_code == 302
    html = client.get("/facilitate/availability").get_data(as_text=True)
    assert "You are on the roster for Staying Safe that day" in html
    assert "You are on the roster on a day you cannot work" in html and "On the roster" in html
    # Saved all the same: the REC team needs to know.
    assert _days(app, me.id) == [(day, "")]
    # A cancelled session is no clash.
    with app.app_context():
        db.session.get(CourseSession, session_id).status = "cancelled"
        db.session.commit()
    assert "You are on the roster on a day" not in client.get("/facilitate/availability").get_data(as_text=True)


def test_someone_elses_day_cannot_be_removed(app, login_as, web):
    login_as("facilitator")
    with app.app_context():
        other = factories.make_user(roles=("facilitator",))
        factories.make_unavailability(other, uk_today() + timedelta(days=4))
        db.session.commit()
        row_id, other_id = db.session.execute(select(Unavailability.id)).scalar_one(), other.id
    response = web.submit(f"/facilitate/availability/{row_id}/remove", {}, page="/facilitate/availability")
    assert response.status_code == 404
    assert len(_days(app, other_id)) == 1


# --- Open roles and offers ----------------------------------------------------------------

def _offer_to_cover_exists() -> bool:
    try:
        from rec_portal.rosters.operations import offer_to_cover  # noqa: F401
    except ImportError:
        return False
    return True


def _open_roles_setup(app, me):
    _profile(app, me.id, roles=("peer_specialist",))
    needs_me = _session(app, title="Staying Safe", starts_in_days=10, roles=("peer_specialist", "social_worker"))
    _colleague(app, needs_me, "Pat Officer", "social_worker")
    covered = _session(app, title="Covered Course", starts_in_days=11, roles=("peer_specialist",))
    _colleague(app, covered, "Another Peer", "peer_specialist")
    not_my_role = _session(app, title="Police Only", starts_in_days=12, roles=("police_mh_coordinator",))
    past = _session(app, title="Past Course", starts_in_days=-3, roles=("peer_specialist",))
    cancelled = _session(app, title="Cancelled Course", starts_in_days=9, roles=("peer_specialist",), status="cancelled")
    already_mine = _session(app, title="Already Mine", starts_in_days=8, roles=("peer_specialist", "social_worker"))
    _roster(app, already_mine, me.id)
    return needs_me, (covered, not_my_role, past, cancelled, already_mine)


def test_open_roles_lists_only_sessions_needing_a_role_i_hold(app, login_as, client):
    me = login_as("facilitator")
    needs_me, _ = _open_roles_setup(app, me)
    html = client.get("/facilitate/open-roles").get_data(as_text=True)
    text = _text(html)
    assert "Staying Safe" in text and "Role needed Peer specialist or peer trainer" in text
    for title in ("Covered Course", "Police Only", "Past Course", "Cancelled Course", "Already Mine"):
        assert title not in text, title
    assert html.count('type="submit">Offer to cover') == 1
    assert f'name="session_id" value="{needs_me}"' in html and 'name="role" value="peer_specialist"' in html


def test_open_roles_without_a_profile(app, login_as, client):
    login_as("facilitator")
    _session(app, starts_in_days=10)
    html = client.get("/facilitate/open-roles").get_data(as_text=True)
    assert "Your facilitator profile has not been set up yet" in html and 'type="submit">Offer to cover' not in html


@pytest.mark.skipif(not _offer_to_cover_exists(), reason="rosters.operations.offer_to_cover not written yet")
def test_offer_to_cover_an_open_role(app, login_as, web, client):
    me = login_as("facilitator")
    needs_me, _ = _open_roles_setup(app, me)
    response = web.submit("/facilitate/open-roles", {"session_id": str(needs_me), "role": "peer_specialist"})
    assert response.headers["Location"] == "/facilitate/open-roles"
    text = _text(client.get("/facilitate/open-roles").get_data(as_text=True))
    assert "Your offer to cover Staying Safe" in text and "has been sent to the REC team" in text
    assert "Your offers waiting for an answer" in text and "Withdraw" in text and "Offer sent" in text
    with app.app_context():
        offers = db.session.execute(select(RosterOffer)).scalars().all()
        assert [(o.session_id, o.user_id, o.role, o.status) for o in offers] == [(needs_me, me.id, "peer_specialist", "pending")]


@pytest.mark.skipif(not _offer_to_cover_exists(), reason="rosters.operations.offer_to_cover not written yet")
def test_an_offer_the_roster_rules_would_refuse_is_explained(app, login_as, web, client):
    me = login_as("facilitator")
    needs_me, _ = _open_roles_setup(app, me)
    with app.app_context():
        day = to_uk(db.session.get(CourseSession, needs_me).starts_at).date()
        factories.make_unavailability(me, day, note="Holiday")
        db.session.commit()
    html = client.get("/facilitate/open-roles").get_data(as_text=True)
    assert "You cannot cover this" in html
    assert f"You marked {day.day} {day:%B %Y} as a day you cannot work" in html
    assert 'type="submit">Offer to cover' not in html
    # Sent anyway (an old page): refused with the same reason, nothing stored.
    web.submit("/facilitate/open-roles", {"session_id": str(needs_me), "role": "peer_specialist"})
    html = client.get("/facilitate/open-roles").get_data(as_text=True)
    assert "There is a problem" in html and "as a day you cannot work" in html
    with app.app_context():
        assert db.session.execute(select(RosterOffer)).first() is None


def test_an_offer_for_a_session_that_has_started_is_refused(app, login_as, web, client):
    me = login_as("facilitator")
    _profile(app, me.id, roles=("peer_specialist",))
    started = _session(app, title="Started Course", starts_in_days=-HOUR, hours=4, roles=("peer_specialist",))
    assert "Started Course" not in client.get("/facilitate/open-roles").get_data(as_text=True)
    web.submit("/facilitate/open-roles", {"session_id": str(started), "role": "peer_specialist"})  # an old page
    html = client.get("/facilitate/open-roles").get_data(as_text=True)
    assert "This session has already started" in html
    with app.app_context():
        assert db.session.execute(select(RosterOffer)).first() is None


def test_an_individual_workshop_is_never_an_open_role(app, login_as, web, client):
    """The REC team chooses who runs a one-to-one workshop: it is not offered for cover,
    and an offer sent anyway (a made-up form) is refused with nothing stored."""
    me = login_as("facilitator")
    _profile(app, me.id, roles=("peer_specialist",))
    one_to_one = _session(app, title="Hearing Voices", starts_in_days=10, roles=("peer_specialist",),
                          capacity=1, individual=True)
    group = _session(app, title="Managing Stress", starts_in_days=11, roles=("peer_specialist",))
    html = client.get("/facilitate/open-roles").get_data(as_text=True)
    assert "Managing Stress" in html and "Hearing Voices" not in html
    assert f'name="session_id" value="{group}"' in html and f'value="{one_to_one}"' not in html
    web.submit("/facilitate/open-roles", {"session_id": str(one_to_one), "role": "peer_specialist"})
    html = client.get("/facilitate/open-roles").get_data(as_text=True)
    assert "This is an individual workshop, arranged by the REC team" in html
    with app.app_context():
        assert db.session.execute(select(RosterOffer)).first() is None


def test_offer_form_checks_what_was_sent(app, login_as, web):
    me = login_as("facilitator")
    needs_me, _ = _open_roles_setup(app, me)
    assert web.submit("/facilitate/open-roles", {"session_id": str(needs_me), "role": "wizard"}).status_code == 400
    assert web.submit("/facilitate/open-roles", {"session_id": "99999", "role": "peer_specialist"}).status_code == 404
    assert web.submit("/facilitate/open-roles", {"session_id": str(2**40), "role": "peer_specialist"}).status_code == 404


def test_withdraw_a_pending_offer(app, login_as, web, client):
    me = login_as("facilitator")
    needs_me, _ = _open_roles_setup(app, me)
    with app.app_context():
        offer = factories.make_roster_offer(needs_me, me)
        other = factories.make_user(roles=("facilitator",))
        theirs = factories.make_roster_offer(needs_me, other)
        db.session.commit()
        offer_id, their_id = offer.id, theirs.id
    text = _text(client.get("/facilitate/open-roles").get_data(as_text=True))
    assert "Your offers waiting for an answer" in text and "Offer sent" in text
    assert "1 offer waiting for an answer" in _text(client.get("/facilitate").get_data(as_text=True))
    assert web.submit(f"/facilitate/offers/{their_id}/withdraw", {}, page="/facilitate/open-roles").status_code == 404
    response = web.submit(f"/facilitate/offers/{offer_id}/withdraw", {}, page="/facilitate/open-roles")
    assert response.headers["Location"] == "/facilitate/open-roles"
    text = _text(client.get("/facilitate/open-roles").get_data(as_text=True))
    assert "Your offer to cover Staying Safe is withdrawn" in text and "Offer to cover Staying Safe" in text
    with app.app_context():
        assert db.session.get(RosterOffer, offer_id).status == "withdrawn"
        assert db.session.get(RosterOffer, their_id).status == "pending"
    # A second withdrawal is refused with a reason.
    web.submit(f"/facilitate/offers/{offer_id}/withdraw", {}, page="/facilitate/open-roles")
    assert "already answered this offer" in client.get("/facilitate/open-roles").get_data(as_text=True)


# --- Class list ---------------------------------------------------------------------------

def test_class_list_shows_names_pronouns_and_access_needs_but_nothing_from_plans(app, login_as, client):
    me, session_id, _, booking_ids = _facilitating_today(app, login_as)
    _colleague(app, session_id, "Pat Officer", "social_worker")
    _book(app, session_id, [("Waiting Wendy", "", "")], status="waitlisted")
    _book(app, session_id, [("Cancelled Carl", "", "")], status="cancelled")
    with app.app_context():
        student_id = db.session.get(Booking, booking_ids[0]).student_id
        factories.make_learning_plan(student_id, hopes="SECRET-HOPES", support="SECRET-SUPPORT")
        factories.make_safety_plan(student_id, warning_signs="SECRET-WARNING", reporting="SECRET-REPORTING")
        db.session.commit()
    response = client.get(f"/facilitate/sessions/{session_id}")
    html = response.get_data(as_text=True)
    text = _text(html)
    assert "Class list" in text and "Staying Safe" in text
    for name, pronouns, needs in PEOPLE:
        assert name in text and pronouns in text
        if needs:
            assert needs in text
    assert "3 people have a place" in text
    assert "1 person is on the waiting list" in text and "Waiting Wendy" not in text
    assert "Cancelled Carl" not in text
    assert "Pat Officer (Social worker)" in text
    assert "SECRET" not in html
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.event == "bookings.viewed_by_staff")).scalars().all()
    assert [(e.actor_id, e.detail) for e in events] == [(me.id, f"session {session_id}")]


def test_class_list_escapes_what_students_typed(app, login_as, client):
    _facilitating_today(app, login_as, people=[("<script>x</script>", "<b>", "<img src=x>")])
    me_session = None
    with app.app_context():
        me_session = db.session.execute(select(CourseSession.id)).scalar_one()
    html = client.get(f"/facilitate/sessions/{me_session}").get_data(as_text=True)
    assert "<img src=x>" not in html and "&lt;img src=x&gt;" in html and "<script>x</script>" not in html


# --- Register -----------------------------------------------------------------------------

def test_register_page_without_javascript_saves_everyone_at_once(app, login_as, web, client):
    _, session_id, [date_id], (a, b, c) = _facilitating_today(app, login_as)
    url = _register_url(session_id, date_id)
    html = client.get(url).get_data(as_text=True)
    assert "0 of 3 marked: 0 present, 0 absent." in html and "Save the register" in html
    for booking_id in (a, b, c):
        assert f'id="booking-{booking_id}-present"' in html and f'id="booking-{booking_id}-absent"' in html
    response = web.submit(url, {f"booking-{a}": "present", f"booking-{b}": "absent"})
    assert response.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    assert "The register is saved: 2 of 3 marked: 1 present, 1 absent." in page
    assert re.search(rf'id="booking-{a}-present" name="booking-{a}" type="radio" value="present"\s+checked', page)
    assert _marks(app) == {(a, date_id): "present", (b, date_id): "absent"}
    with app.app_context():
        assert db.session.get(CourseSession, session_id).status == "scheduled"
    # The last person: everyone is marked, but the session (6 hours) is still running, so
    # it is completed only once it ends (issue 13, part 5); the page says so.
    web.submit(url, {f"booking-{a}": "present", f"booking-{b}": "absent", f"booking-{c}": "present"})
    page = client.get(url).get_data(as_text=True)
    assert "3 of 3 marked: 2 present, 1 absent" in page
    assert "the session is now completed" not in page and "This session is completed." not in page
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        ends = format_uk(session.ends_at)
        assert session.status == "scheduled" and session.completed_at is None
    assert f"The session will be completed when it ends ({ends}); feedback invitations are sent then." in _text(page)


def test_a_full_register_saved_after_the_end_completes_the_session(app, login_as, web, client):
    _, session_id, [date_id], (a, b, c) = _facilitating_today(app, login_as, started_hours_ago=7)
    url = _register_url(session_id, date_id)
    web.submit(url, {f"booking-{a}": "present", f"booking-{b}": "absent", f"booking-{c}": "present"})
    page = client.get(url).get_data(as_text=True)
    assert "the session is now completed" in page and "This session is completed." in page
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        assert session.status == "completed" and session.completed_at is not None


def test_register_with_htmx_updates_the_row_and_the_count(app, login_as, client):
    # The session ended an hour ago, so the last mark completes it.
    me, session_id, [date_id], (a, b, c) = _facilitating_today(app, login_as, started_hours_ago=7)
    url = _register_url(session_id, date_id)
    hx = _hx(client, url)
    response = client.post(f"{url}/{a}", data={f"booking-{a}": "present", f"booking-{b}": ""}, headers=hx)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="register-row-{a}"')
    assert "<html" not in html and "Saved" in html
    assert re.search(rf'id="booking-{a}-present"[^>]*checked[^>]*data-rec-focus', html)
    assert '<p id="register-count" hx-swap-oob="innerHTML">' in html
    assert "1 of 3 marked: 1 present, 0 absent." in html
    response = client.post(f"{url}/{b}", data={f"booking-{b}": "absent"}, headers=hx)
    assert "2 of 3 marked: 1 present, 1 absent." in response.get_data(as_text=True)
    # Changing a mark replaces it.
    response = client.post(f"{url}/{a}", data={f"booking-{a}": "absent"}, headers=hx)
    assert "2 of 3 marked: 0 present, 2 absent." in response.get_data(as_text=True)
    assert _marks(app) == {(a, date_id): "absent", (b, date_id): "absent"}
    with app.app_context():
        assert {x.recorded_by_id for x in db.session.execute(select(Attendance)).scalars()} == {me.id}
    response = client.post(f"{url}/{c}", data={f"booking-{c}": "present"}, headers=hx)
    html = response.get_data(as_text=True)
    assert "3 of 3 marked: 1 present, 2 absent. Everyone is marked. This session is completed." in html
    with app.app_context():
        assert db.session.get(CourseSession, session_id).status == "completed"
    # The same toggle without htmx goes back to the page with a message.
    response = Browserless(client).submit(f"{url}/{c}", {f"booking-{c}": "absent"}, page=url)
    assert response.headers["Location"] == url
    assert "is marked absent" in client.get(url).get_data(as_text=True)


def test_register_hx_toggle_with_a_bad_value_shows_the_error_in_the_row(app, login_as, client):
    _, session_id, [date_id], (a, _b, _c) = _facilitating_today(app, login_as)
    url = _register_url(session_id, date_id)
    response = client.post(f"{url}/{a}", data={f"booking-{a}": "maybe"}, headers=_hx(client, url))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.lstrip().startswith(f'<li id="register-row-{a}"') and "Choose present or absent" in html
    assert "0 of 3 marked" in html
    assert _marks(app) == {}


def test_only_confirmed_bookings_can_be_marked(app, login_as, web, client):
    _, session_id, [date_id], (a, _b, _c) = _facilitating_today(app, login_as)
    [waiting] = _book(app, session_id, [("Waiting Wendy", "", "")], status="waitlisted")
    [cancelled] = _book(app, session_id, [("Cancelled Carl", "", "")], status="cancelled")
    url = _register_url(session_id, date_id)
    assert "Waiting Wendy" not in client.get(url).get_data(as_text=True)
    # The whole form: nothing is saved, the choices made are kept, each problem is listed.
    response = web.submit(url, {f"booking-{a}": "present", f"booking-{waiting}": "present",
                                f"booking-{cancelled}": "absent"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "Nothing was saved" in html
    assert html.count("Only people with a confirmed place can be marked") == 2
    assert re.search(rf'id="booking-{a}-present" name="booking-{a}" type="radio" value="present"\s+checked', html)
    # One toggle at a time (htmx).
    response = client.post(f"{url}/{waiting}", data={f"booking-{waiting}": "present"}, headers=_hx(client, url))
    assert response.status_code == 400 and "Only people with a confirmed place" in response.get_data(as_text=True)
    assert _marks(app) == {}


def test_an_empty_register_form_asks_for_a_choice(app, login_as, web):
    _, session_id, [date_id], _ = _facilitating_today(app, login_as)
    response = web.submit(_register_url(session_id, date_id), {})
    assert response.status_code == 400
    assert "Choose present or absent for at least one person" in response.get_data(as_text=True)


def _later_today_in_the_uk() -> float:
    """Days from now to a start more than an hour away but still today in the UK (when
    that is possible: after 10:59pm, 61 minutes from now)."""
    now = utcnow()
    for hours in (3, 2, 61 / 60):
        if to_uk(now + timedelta(hours=hours)).date() == to_uk(now).date():
            return hours * HOUR
    return 61 / 60 * HOUR


@pytest.mark.parametrize("starts_in_days", [3, "later today"])
def test_the_register_cannot_be_taken_until_an_hour_before_the_start(app, login_as, web, client, starts_in_days):
    """Issue 13 (5): the register opened at midnight on the day, hours before the start."""
    me = login_as("facilitator")
    if starts_in_days == "later today":
        starts_in_days = _later_today_in_the_uk()
    session_id = _session(app, starts_in_days=starts_in_days)
    _roster(app, session_id, me.id)
    [a] = _book(app, session_id, PEOPLE[:1])
    with app.app_context():
        session = db.session.get(CourseSession, session_id)
        date_id, opens = session.dates[0].id, format_uk(session.starts_at - timedelta(hours=1))
    url = _register_url(session_id, date_id)
    html = client.get(url).get_data(as_text=True)
    assert f"You can take this register from {opens}, an hour before it starts." in html
    assert "Aisha" in html and "Save the register" not in html
    response = web.submit(url, {f"booking-{a}": "present"}, page="/facilitate")
    assert response.status_code == 400 and "You can take this register from" in response.get_data(as_text=True)
    response = client.post(f"{url}/{a}", data={f"booking-{a}": "present"}, headers=_hx(client, url))
    assert response.status_code == 400 and "You can take this register from" in response.get_data(as_text=True)
    assert _marks(app) == {}


def test_multi_date_session_completes_only_with_the_last_date(app, login_as, web, client):
    me = login_as("facilitator")
    # First date two weeks ago, second a week ago, third today (3 hours ago, 2 hours
    # long, so over: a session is completed only after its last date has ended).
    session_id = _session(app, starts_in_days=-14 - 3 * HOUR, dates=3, hours=2)
    _roster(app, session_id, me.id)
    a, b = _book(app, session_id, PEOPLE[:2])
    with app.app_context():
        first, second, last = (d.id for d in db.session.get(CourseSession, session_id).dates)
    for date_id in (first, second):
        web.submit(_register_url(session_id, date_id), {f"booking-{a}": "present", f"booking-{b}": "present"})
    with app.app_context():
        assert db.session.get(CourseSession, session_id).status == "scheduled"
    page = client.get(_register_url(session_id, second)).get_data(as_text=True)
    assert "Date 2 of 3" in page and "Register for" in page
    web.submit(_register_url(session_id, last), {f"booking-{a}": "present", f"booking-{b}": "absent"})
    with app.app_context():
        assert db.session.get(CourseSession, session_id).status == "completed"
    text = _text(client.get("/facilitate").get_data(as_text=True))
    assert "Completed: attendance recorded" in text


def test_register_forms_need_the_csrf_token(app, login_as, client):
    _, session_id, [date_id], (a, _b, _c) = _facilitating_today(app, login_as)
    url = _register_url(session_id, date_id)
    response = client.post(url, data={f"booking-{a}": "present"})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    response = client.post(f"{url}/{a}", data={f"booking-{a}": "present"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    response = client.post("/facilitate/availability", data=_date_fields(uk_today() + timedelta(days=2)))
    assert response.status_code == 400
    assert _marks(app) == {}


def test_cancelled_session_has_no_register(app, login_as, client):
    _, session_id, [date_id], _ = _facilitating_today(app, login_as)
    with app.app_context():
        db.session.get(CourseSession, session_id).status = "cancelled"
        db.session.commit()
    html = client.get(_register_url(session_id, date_id)).get_data(as_text=True)
    assert "This session was cancelled" in html and "Save the register" not in html


# --- Sign-in sheet ------------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_sign_in_sheet_pdf_has_the_preferred_names(app, login_as, client):
    from rec_portal import documents

    me, session_id, [date_id], _ = _facilitating_today(app, login_as)
    _colleague(app, session_id, "Pat Officer", "social_worker")
    _book(app, session_id, [("Waiting Wendy", "", "")], status="waitlisted")
    response = client.get(f"/facilitate/sessions/{session_id}/dates/{date_id}/sign-in-sheet.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="sign-in-sheet-')
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    text = re.sub(r"\s+", " ", text)
    for name, _pronouns, needs in PEOPLE:
        assert name in text
        if needs:
            assert needs not in text
    assert "Waiting Wendy" not in text
    assert "Staying Safe" in text and "Signature" in text and "Pat Officer (Social worker)" in text
    assert all(url.startswith(("https://rec-portal.invalid/static/", "data:")) for url in documents.requested_urls)
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.event == "export")).scalars().all()
    assert [(e.actor_id, e.detail) for e in events] == [(me.id, f"sign-in sheet: session {session_id} date {date_id}")]


# --- People with the same preferred name are told apart (issue 13, part 6) ------------------

def _two_jos(app, login_as):
    """Two students called Jo (Jo Smith and Jo Patel), a third Jo Smith, and Ben."""
    me, session_id, [date_id], booking_ids = _facilitating_today(
        app, login_as, people=[("Jo", "", ""), ("Jo", "", ""), ("Jo", "", ""), ("Ben", "", "")])
    with app.app_context():
        bookings = [db.session.get(Booking, b) for b in booking_ids]
        for booking, full in zip(bookings, ["Jo Smith", "Joanna Patel", "Joseph Smith", "Ben Okafor"], strict=True):
            booking.student.full_name = full
        db.session.commit()
        numbers = [b.student.student_number for b in bookings]
    return session_id, date_id, booking_ids, numbers


def _labels(numbers):
    smith, _patel, other_smith, _ben = numbers
    return ["Jo P.", f"Jo S. ({smith})", f"Jo S. ({other_smith})", "Ben"]


def test_class_list_tells_apart_two_students_called_jo(app, login_as, client):
    session_id, _date_id, booking_ids, numbers = _two_jos(app, login_as)
    html = client.get(f"/facilitate/sessions/{session_id}").get_data(as_text=True)
    names = re.findall(r'id="person-\d+">.*?<strong>(.*?)</strong>', html, flags=re.S)
    assert sorted(names) == sorted(_labels(numbers))
    assert "<strong>Jo</strong>" not in html


def test_register_tells_apart_two_students_called_jo(app, login_as, client, web):
    session_id, date_id, (smith, patel, other, ben), numbers = _two_jos(app, login_as)
    url = _register_url(session_id, date_id)
    html = client.get(url).get_data(as_text=True)
    names = re.findall(r'<span class="rec-register__name">(.*?)</span>', html)
    assert sorted(names) == sorted(_labels(numbers))
    # The row htmx sends back, and the message without JavaScript, use the same names.
    row = client.post(f"{url}/{patel}", data={f"booking-{patel}": "present"}, headers=_hx(client, url))
    assert '<span class="rec-register__name">Jo P.</span>' in row.get_data(as_text=True)
    Browserless(client).submit(f"{url}/{smith}", {f"booking-{smith}": "absent"}, page=url)
    assert f"Jo S. ({numbers[0]}) is marked absent." in client.get(url).get_data(as_text=True)


def test_register_before_it_opens_lists_the_names_told_apart(app, login_as, client):
    me = login_as("facilitator")
    session_id = _session(app, starts_in_days=3)
    _roster(app, session_id, me.id)
    booking_ids = _book(app, session_id, [("Jo", "", ""), ("Jo", "", "")])
    with app.app_context():
        for booking_id, full in zip(booking_ids, ["Jo Smith", "Jo Patel"], strict=True):
            db.session.get(Booking, booking_id).student.full_name = full
        date_id = db.session.get(CourseSession, session_id).dates[0].id
        db.session.commit()
    html = client.get(_register_url(session_id, date_id)).get_data(as_text=True)
    assert "<li>Jo P.</li>" in html and "<li>Jo S.</li>" in html


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_sign_in_sheet_tells_apart_two_students_called_jo(app, login_as, client):
    session_id, date_id, _ids, numbers = _two_jos(app, login_as)
    response = client.get(f"/facilitate/sessions/{session_id}/dates/{date_id}/sign-in-sheet.pdf")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    for label in _labels(numbers):
        assert any(line.endswith(label) and re.match(r"\d+ ", line) for line in lines), label
