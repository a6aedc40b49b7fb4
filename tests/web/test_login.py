from datetime import timedelta

import pytest
from sqlalchemy import select, update

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, UserSession
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import csrf_from


@pytest.fixture
def jo(app):
    with app.app_context():
        user = factories.make_user(email="jo@example.org", full_name="Jo Williams", preferred_name="Jo")
        db.session.commit()
        return factories.Ref(user.id, user.email)


def _events(app):
    with app.app_context():
        return [(e.event, e.detail) for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]


def test_sign_in_with_any_email_case(web, client, jo, app):
    response = web.submit("/login", {"email": "  JO@example.org ", "password": factories.PASSWORD})
    assert response.headers["Location"] == "/"  # the home page: their next step
    page = client.get("/").get_data(as_text=True)
    assert "You are signed in as Jo" in page
    assert ("login.succeeded", None) in _events(app)


def test_failure_message_does_not_reveal_whether_the_account_exists(web, jo, app):
    wrong_password = web.submit("/login", {"email": "jo@example.org", "password": "not-the-password"})
    no_account = web.submit("/login", {"email": "nobody@example.org", "password": "not-the-password"})
    assert wrong_password.status_code == no_account.status_code == 400
    for response in (wrong_password, no_account):
        html = response.get_data(as_text=True)
        assert "Enter a correct email address and password" in html
        assert "There is a problem" in html
    # Same page apart from the echoed email address and the CSRF token.
    a = wrong_password.get_data(as_text=True).replace("jo@example.org", "X")
    b = no_account.get_data(as_text=True).replace("nobody@example.org", "X")
    strip = lambda h: h.replace(csrf_from(h), "")
    assert strip(a).count("\n") == strip(b).count("\n")
    assert [e for e, _ in _events(app)] == ["login.failed", "login.failed"]
    assert [d for _, d in _events(app)] == ["wrong password", "unknown email"]


def test_sign_in_needs_both_fields(web):
    html = web.submit("/login", {"email": "", "password": ""}).get_data(as_text=True)
    assert "Enter your email address" in html and "Enter your password" in html


def test_disabled_account_cannot_sign_in(web, app):
    with app.app_context():
        factories.make_user(email="off@example.org", active=False)
        db.session.commit()
    html = web.submit("/login", {"email": "off@example.org", "password": factories.PASSWORD}).get_data(as_text=True)
    assert "Your account has been disabled" in html
    html = web.submit("/login", {"email": "off@example.org", "password": "wrong-password-1"}).get_data(as_text=True)
    assert "Enter a correct email address and password" in html


def test_sign_in_starts_a_fresh_session(web, client, jo):
    client.get("/login")
    before = client.get_cookie("rec_session").value
    web.login("jo@example.org")
    after = client.get_cookie("rec_session").value
    assert before != after
    # The cookie carries a random token, not the user id.
    from flask.sessions import SecureCookieSessionInterface

    app = client.application
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(after)
    assert data["_user_id"] != str(jo.id) and len(data["_user_id"]) > 30


@pytest.mark.parametrize(
    "target", ["//evil.example", "///evil.example", "/\\evil.example", "/%09/evil.example", "https://evil.example"]
)
def test_next_only_goes_to_this_site(web, client, jo, target):
    from urllib.parse import quote

    raw = target if "%" in target else quote(target, safe="")
    page = client.get(f"/login?next={raw}").get_data(as_text=True)
    response = client.post(
        f"/login?next={raw}",
        data={"email": "jo@example.org", "password": factories.PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_an_own_page_is_followed(web, client, jo):
    response = client.get("/my/account/password")
    assert response.headers["Location"] == "/login?next=/my/account/password"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(
        "/login?next=/my/account/password",
        data={"email": "jo@example.org", "password": factories.PASSWORD, "csrf_token": csrf_from(page)},
    )
    assert response.headers["Location"] == "/my/account/password"


def test_sign_out_is_a_post_and_ends_the_session_on_the_server(web, client, jo, app):
    web.login("jo@example.org")
    copied = client.get_cookie("rec_session").value
    assert client.get("/logout").status_code == 405
    assert "Sorry, that action is not available here" in client.get("/logout").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": web.token("/my/account")})
    assert response.headers["Location"] == "/"
    assert "You have signed out" in client.get("/").get_data(as_text=True)
    # Replaying the cookie from before sign-out does not work.
    client.set_cookie("rec_session", copied)
    assert client.get("/my/account").status_code == 302
    with app.app_context():
        row = db.session.execute(select(UserSession)).scalar_one()
        assert row.ended_reason == "logout"


def test_disabling_an_account_ends_its_sessions(web, client, jo, app):
    web.login("jo@example.org")
    assert client.get("/my/account").status_code == 200
    with app.app_context():
        from rec_portal.admin.operations import disable_account
        from rec_portal.models import User

        admin = factories.make_user(roles=("admin",))
        disable_account(admin, db.session.get(User, jo.id))
        db.session.commit()
    response = client.get("/my/account")
    assert response.headers["Location"] == "/login?next=/my/account"
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(UserSession.ended_reason)).scalar_one() == "account disabled"


def _age_session(app, **changes):
    with app.app_context():
        db.session.execute(update(UserSession).values(**changes))
        db.session.commit()


def test_idle_timeout(web, client, jo, app):
    web.login("jo@example.org")
    _age_session(app, last_seen_at=utcnow() - timedelta(minutes=29))
    assert client.get("/my/account").status_code == 200
    _age_session(app, last_seen_at=utcnow() - timedelta(minutes=31))
    response = client.get("/my/account")
    assert response.headers["Location"] == "/login?next=/my/account"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not used the portal for a while" in html
    with app.app_context():
        assert db.session.execute(select(UserSession.ended_reason)).scalar_one() == "idle"


def test_activity_keeps_the_session_alive(web, client, jo, app):
    web.login("jo@example.org")
    _age_session(app, last_seen_at=utcnow() - timedelta(minutes=20))
    client.get("/my/account")
    with app.app_context():
        seen = db.session.execute(select(UserSession.last_seen_at)).scalar_one()
    assert utcnow() - seen < timedelta(minutes=1)


def test_absolute_timeout(web, client, jo, app):
    web.login("jo@example.org")
    _age_session(app, created_at=utcnow() - timedelta(hours=12, minutes=1))
    assert client.get("/my/account").status_code == 302
    with app.app_context():
        assert db.session.execute(select(UserSession.ended_reason)).scalar_one() == "absolute"


def test_htmx_request_after_expiry_gets_hx_redirect(web, client, jo, app):
    web.login("jo@example.org")
    _age_session(app, last_seen_at=utcnow() - timedelta(hours=1))
    response = client.get(
        "/admin/people?q=jo",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/people?q=j"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login?next=/admin/people?q%3Dj"
    assert response.get_data(as_text=True) == ""
