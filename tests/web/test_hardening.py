"""Things a hostile or unlucky visitor might try."""

import pytest
from sqlalchemy import select

from rec_portal import create_app
from rec_portal.extensions import db, login_manager
from rec_portal.models import User, UserSession
from tests import factories
from tests.conftest import Browserless, test_config

NASTY = """<b id="pwn" hx-post="4/roles" hx-trigger="load">Jo</b>"""


def test_names_are_escaped_everywhere_they_are_shown(web, client, app):
    response = web.enrol({
        "full_name": NASTY, "preferred_name": NASTY, "email": "nasty@example.org",
        "password": "valid-password-42", "confirm_password": "valid-password-42", "consent": "y", "relationship_to_services": "service_user", "contact_preference": "email",
    })
    assert response.status_code == 302
    for html in (client.get("/my/account").get_data(as_text=True), client.get("/").get_data(as_text=True)):
        assert 'id="pwn"' not in html and "hx-trigger=\"load\"" not in html
        assert "&lt;b id=&#34;pwn&#34;" in html or "&lt;b id=&quot;pwn&quot;" in html
    with app.app_context():
        person_id = db.session.execute(select(User.id)).scalar_one()
    admin = app.test_client()
    with app.app_context():
        factories.make_user(roles=("admin",), email="boss@example.org")
        db.session.commit()
    Browserless(admin).login("boss@example.org")
    for url in (f"/admin/people/{person_id}", "/admin/people", f"/admin/people/{person_id}/disable", "/admin/audit"):
        html = admin.get(url).get_data(as_text=True)
        assert 'id="pwn"' not in html, url


def test_signing_in_again_ends_the_previous_session(web, client, app):
    with app.app_context():
        factories.make_user(email="jo@example.org")
        db.session.commit()
    web.login("jo@example.org")
    copied = client.get_cookie("rec_session").value
    web.submit("/login", {"email": "jo@example.org", "password": factories.PASSWORD}, page="/my/account")
    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    client.set_cookie("rec_session", copied)
    assert client.get("/my/account").status_code == 302
    with app.app_context():
        reasons = sorted(r for (r,) in db.session.execute(select(UserSession.ended_reason)))
    assert reasons == ["logout", "signed in again"]


def test_nul_characters_are_refused_before_anything_is_stored(web, client, app):
    response = web.submit("/register", {
        "full_name": "Ada\x00Lovelace", "email": "ada@example.org", "password": "valid-password-42",
        "confirm_password": "valid-password-42", "consent": "y", "relationship_to_services": "service_user", "contact_preference": "email",
    })
    assert response.status_code == 400
    assert "Sorry, there is a problem with that request" in response.get_data(as_text=True)
    assert client.get("/login?next=/\x00").status_code == 400
    with app.app_context():
        assert db.session.execute(select(User)).first() is None


def test_absurd_page_numbers_do_not_break_lists(login_as, client):
    login_as("admin")
    for url in ("/admin/people?page=99999999999999999999", "/admin/audit?page=9223372036854775807",
                "/admin/outbox?page=-4"):
        response = client.get(url)
        assert response.status_code == 200, url


def test_error_page_is_friendly_even_when_the_database_is_the_problem(tmp_path, caplog):
    from flask_migrate import upgrade
    from sqlalchemy.exc import OperationalError

    app = create_app(test_config(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    with app.app_context():
        upgrade()
        factories.make_user(email="jo@example.org")
        db.session.commit()
    client = app.test_client()
    Browserless(client).login("jo@example.org")
    saved = login_manager._user_callback

    def broken(token):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    login_manager._user_callback = broken
    try:
        response = client.get("/my/account")
    finally:
        login_manager._user_callback = saved
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html and "database is locked" not in html
    assert "Sign in" in html  # the page was drawn as for a visitor, without the database


def test_removing_admin_from_a_disabled_admin_is_allowed(login_as, web, app):
    login_as("admin")
    with app.app_context():
        other = factories.make_user(roles=("admin", "student"), active=False)
        db.session.commit()
        other_id = other.id
    page = f"/admin/people/{other_id}"
    web.submit(f"{page}/roles", {"roles": ["student"]}, page=page)
    with app.app_context():
        assert db.session.get(User, other_id).role_names == {"student"}


@pytest.mark.parametrize(
    "url, data",
    [
        ("/logout", {}),
        ("/my/account/details", {"full_name": "Changed", "preferred_name": "C", "email": "changed@example.org", "current_password": factories.PASSWORD}),
        ("/my/account/password", {"current_password": factories.PASSWORD, "password": "new-password-river-2", "confirm_password": "new-password-river-2"}),
        ("/admin/people/{other}/roles", {"roles": ["student", "admin"]}),
        ("/admin/people/{other}/disable", {}),
        ("/admin/people/{other}/enable", {}),
    ],
)
def test_every_state_change_needs_the_csrf_token(login_as, client, app, url, data):
    me = login_as("admin", full_name="Alex Admin")
    with app.app_context():
        other = factories.make_user(email="other@example.org")
        db.session.commit()
        other_id = other.id
    before = _snapshot(app)
    response = client.post(url.format(other=other_id), data=data)
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    assert _snapshot(app) == before
    assert client.get("/my/account").status_code == 200  # still signed in
    assert me.email


def _snapshot(app):
    with app.app_context():
        return sorted(
            (u.email, u.full_name, u.password_hash, u.active, tuple(sorted(u.role_names)))
            for u in db.session.execute(select(User)).scalars()
        )


def test_huge_ids_in_urls_are_not_found_not_a_crash(login_as, client):
    login_as("admin", "student")
    for url in ("/admin/people/99999999999999999999", "/support/99999999999999999999",
                "/admin/students/99999999999999999999/plan", "/my/plan/goals/99999999999999999999/edit"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.get_data(as_text=True)


def test_failed_statements_do_not_log_their_parameters(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    with app.app_context():
        assert db.engine.hide_parameters is True


ODD_IDS = ["²", "-1", "1e3", " ", "99999999999999999999999", "0x10"]


def test_odd_ids_in_feedback_forms_and_filters_mean_none_not_a_crash(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        course_id = factories.make_course(title="Staying Safe").id
        db.session.commit()
    for odd in ODD_IDS:
        for path in ("/admin/feedback/questions", "/admin/feedback/questions/preview"):
            response = client.get(path, query_string={"course": odd})
            assert response.status_code == 200, (path, odd)
        response = web.submit("/admin/feedback/questions/new", {
            "audience": "student", "kind": "text", "text": "What helped?", "hint": "", "course_id": odd,
        })
        if odd.strip():
            assert response.status_code == 400, odd
            assert "Choose a course from the list, or all courses" in response.get_data(as_text=True)
        response = web.submit(f"/admin/feedback/courses/{course_id}/reviews/consider",
                              {"answer_id": odd, "question_id": odd, "review_id": odd})
        assert response.status_code == 302, odd
    with app.app_context():
        from rec_portal.models import ContentReview, FeedbackQuestion

        assert db.session.execute(select(ContentReview)).first() is None
        added = db.session.execute(select(FeedbackQuestion).where(FeedbackQuestion.text == "What helped?")).scalars()
        assert [q.course_id for q in added] == [None]  # only the blank choice ("all courses") was taken
