"""The catalogue through the shared cache (catalogue/pages.py): signed out, /courses and a
course page come whole from the cache under a key naming everything they show, so a
booking, a change to a course or a cancelled date shows at once; a signed-in person, or a
request with a flash message, is never served from it; a cached page has no CSRF token and
gets its own CSP nonce."""

import re

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import Course, CourseSession
from tests.conftest import Browserless, count_statements, login
from tests.factories import make_course, make_session, make_user
from tests.catalogue import _get, _text, data


def _course_with_a_date(app, places=3):
    with data(app):
        session = make_session(course=make_course(title="Staying Safe", slug="staying-safe"), capacity=places)
        return session.id


def _student(app, **kwargs):
    with data(app):
        user = make_user(**kwargs)
        return user.email


def test_a_signed_out_course_page_comes_from_the_cache_until_a_booking_changes_it(app, client):
    session_id = _course_with_a_date(app)
    assert "3 places left" in _text(_get(client, "/courses/staying-safe"))
    # Served again from the cache: one statement (what the page shows), nothing rendered.
    with count_statements(app) as statements:
        again = _get(client, "/courses/staying-safe")
    assert "3 places left" in _text(again)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, statements

    # Someone books a place through the portal: everyone sees it at once.
    student = login(app, _student(app))
    booked = Browserless(student).submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    assert booked.status_code in (200, 302)
    with app.app_context():
        from rec_portal.models import Booking

        assert db.session.execute(select(Booking.status).where(Booking.session_id == session_id)).scalar() == "confirmed"
    assert "2 places left" in _text(_get(client, "/courses/staying-safe"))
    # ...and on the list of courses too.
    assert "Places 2 places left" in _text(_get(client, "/courses"))


def test_the_listing_follows_places_left_and_keeps_each_search_apart(app, client):
    session_id = _course_with_a_date(app, places=2)
    with data(app):
        make_course(title="Sleep Well", slug="sleep-well")
    assert "Places 2 places left" in _text(_get(client, "/courses"))
    assert "Staying Safe" not in _get(client, "/courses?q=sleep")
    assert "Sleep Well" in _get(client, "/courses?q=sleep")
    htmx = _get(client, "/courses?q=sleep", headers={"HX-Request": "true"})
    assert "<html" not in htmx and "Sleep Well" in htmx  # the htmx answer is the fragment
    assert "<html" in _get(client, "/courses?q=sleep")  # and the full page stays full
    with data(app):
        from tests.factories import fill_places

        fill_places(db.session.get(CourseSession, session_id), 2)
    assert "Places Full – waiting list" in _text(_get(client, "/courses"))


def test_a_change_to_the_course_or_its_dates_shows_at_once(app, client):
    session_id = _course_with_a_date(app)
    with data(app):
        other = make_session(course=db.session.execute(select(Course)).scalar_one(), starts_in_days=30)
        other_id = other.id
    page = _get(client, "/courses/staying-safe")
    assert f'id="session-{other_id}"' in page and "<h1>Staying Safe</h1>" in page
    with data(app):
        course = db.session.execute(select(Course)).scalar_one()
        course.title = "Staying Safe Together"
        db.session.get(CourseSession, other_id).status = "cancelled"
    page = _get(client, "/courses/staying-safe")
    assert "<h1>Staying Safe Together</h1>" in page
    assert f'id="session-{session_id}"' in page and f'id="session-{other_id}"' not in page


def test_a_cached_page_has_no_csrf_token_and_its_own_nonce(app, client):
    _course_with_a_date(app)
    for url in ("/courses/staying-safe", "/courses"):
        first, second = client.get(url), client.get(url)
        nonces = []
        for response in (first, second):
            html = response.get_data(as_text=True)
            assert "csrf_token" not in html and "X-CSRFToken" not in html
            nonce = re.search(r'<script nonce="([^"]+)"', html).group(1)
            assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
            nonces.append(nonce)
        assert nonces[0] != nonces[1]
        strip = lambda r: r.get_data(as_text=True).replace(re.search(r'nonce="([^"]+)"', r.get_data(as_text=True)).group(1), "")  # noqa: E731
        assert strip(first) == strip(second)


def test_someone_signed_in_is_never_served_the_cached_page(app, client, login_as):
    _course_with_a_date(app)
    public = _get(client, "/courses/staying-safe")  # fills the cache
    assert "Sign in to book" in public
    login_as("student", preferred_name="Robin")
    for url in ("/courses/staying-safe", "/courses"):
        page = _get(client, url)
        assert "Robin" in page and "Sign out" in page and 'name="csrf_token"' in page
    assert "Book a place" in _get(client, "/courses/staying-safe")
    # And what they saw never reaches someone signed out.
    other = app.test_client()
    for url in ("/courses/staying-safe", "/courses"):
        page = _get(other, url)
        assert "Robin" not in page and "Sign out" not in page and "csrf_token" not in page


def test_a_flash_message_is_shown_and_that_page_is_not_kept(app, client):
    _course_with_a_date(app)
    _get(client, "/courses/staying-safe")  # fills the cache
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your message was sent.")]
    assert "Your message was sent." in _get(client, "/courses/staying-safe")
    assert "Your message was sent." not in _get(client, "/courses/staying-safe")
    assert "Your message was sent." not in _get(app.test_client(), "/courses/staying-safe")


def test_two_servers_on_one_redis_share_the_page_and_both_see_a_booking_at_once(app, redis_url):
    """Two portal instances on one database and one Redis: the page one made is served by
    the other, and a booking through either shows on both at once."""
    from rec_portal import create_app
    from rec_portal.web import cache
    from tests.conftest import test_config

    session_id = _course_with_a_date(app)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first, second = (create_app(test_config(url, REC_REDIS_URL=redis_url, REC_CACHE_PREFIX="rec:pages-test:"))
                     for _ in range(2))
    try:
        assert "3 places left" in _text(_get(first.test_client(), "/courses/staying-safe"))
        with count_statements(second) as statements:  # made by the first, served by the second
            page = _get(second.test_client(), "/courses/staying-safe")
        assert "3 places left" in _text(page)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
        student = login(first, _student(app))
        Browserless(student).submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
        for server in (first, second):
            assert "2 places left" in _text(_get(server.test_client(), "/courses/staying-safe"))
    finally:
        with first.app_context():
            cache.clear()
        for server in (first, second):
            with server.app_context():
                db.session.remove()
                db.engine.dispose()
