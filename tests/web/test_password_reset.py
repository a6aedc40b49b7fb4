import re
from datetime import timedelta

from sqlalchemy import select, update

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage, PasswordResetToken, UserSession
from rec_portal.timeutil import utcnow
from tests import factories

NEW = "harbour-lights-evening-7"


def _make(app, email="jo@example.org"):
    with app.app_context():
        factories.make_user(email=email)
        db.session.commit()


def _reset_links(app):
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        base = re.escape(app.config["REC_BASE_URL"])
        return [re.search(base + r"(/reset-password/\S+)", m.body_text).group(1) for m in rows if m.contains_secret]


def test_request_sends_a_one_time_link_through_the_outbox(web, client, app):
    _make(app)
    response = web.submit("/forgot-password", {"email": "Jo@Example.org"})
    assert response.headers["Location"] == "/forgot-password/sent"
    page = client.get("/forgot-password/sent").get_data(as_text=True)
    assert "Check your email" in page and "stops working after 1 hour" in page
    (link,) = _reset_links(app)
    with app.app_context():
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        assert message.to_address == "jo@example.org"
        assert message.subject == "Reset your Recovery Education Centre password"
        token = link.rsplit("/", 1)[1]
        stored = db.session.execute(select(PasswordResetToken.token_hash)).scalar_one()
        assert token not in stored  # only the hash is kept

    form = client.get(link)
    assert "Choose a new password" in form.get_data(as_text=True)
    response = web.submit(link, {"password": NEW, "confirm_password": NEW})
    assert response.headers["Location"] == "/login"
    assert "Your password has been changed" in client.get("/login").get_data(as_text=True)
    web.login("jo@example.org", NEW)
    # Used once: the link no longer works.
    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    again = client.get(link)
    assert again.status_code == 410
    assert "This link has expired or has already been used" in again.get_data(as_text=True)


def test_unknown_email_gets_the_same_answer_and_no_message(web, app):
    response = web.submit("/forgot-password", {"email": "nobody@example.org"})
    assert response.headers["Location"] == "/forgot-password/sent"
    with app.app_context():
        assert db.session.execute(select(OutboxMessage)).first() is None


def test_expired_link_is_refused(web, client, app):
    _make(app)
    web.submit("/forgot-password", {"email": "jo@example.org"})
    (link,) = _reset_links(app)
    with app.app_context():
        db.session.execute(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(link).status_code == 410


def test_only_the_newest_link_works(web, client, app):
    _make(app)
    web.submit("/forgot-password", {"email": "jo@example.org"})
    web.submit("/forgot-password", {"email": "jo@example.org"})
    old, new = _reset_links(app)
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200


def test_new_password_must_follow_the_rules(web, app):
    _make(app)
    web.submit("/forgot-password", {"email": "jo@example.org"})
    (link,) = _reset_links(app)
    html = web.submit(link, {"password": "jo@example.org", "confirm_password": "jo@example.org"}).get_data(as_text=True)
    assert "must not be the same as your email address" in html
    html = web.submit(link, {"password": "qwertyuiop", "confirm_password": "qwertyuiop"}).get_data(as_text=True)
    assert "too common" in html


def test_resetting_signs_out_every_other_session(web, client, app):
    _make(app)
    other = app.test_client()
    from tests.conftest import Browserless

    Browserless(other).login("jo@example.org")
    assert other.get("/my/account").status_code == 200
    web.submit("/forgot-password", {"email": "jo@example.org"})
    (link,) = _reset_links(app)
    web.submit(link, {"password": NEW, "confirm_password": NEW})
    assert other.get("/my/account").status_code == 302
    with app.app_context():
        assert db.session.execute(select(UserSession.ended_reason)).scalar_one() == "password changed"


def test_link_is_built_from_the_configured_address_not_the_host_header(app):
    from rec_portal.auth import operations

    with app.test_request_context("/forgot-password", base_url="http://evil.example",
                                  headers={"X-Forwarded-Host": "evil.example"}):
        factories.make_user(email="jo@example.org")
        operations.request_password_reset("jo@example.org")
        db.session.commit()
        body = db.session.execute(select(OutboxMessage.body_text)).scalar_one()
    assert "evil.example" not in body
    assert app.config["REC_BASE_URL"] + "/reset-password/" in body


def test_changing_password_voids_earlier_reset_links(web, client, app):
    _make(app)
    web.submit("/forgot-password", {"email": "jo@example.org"})
    (link,) = _reset_links(app)
    web.login("jo@example.org")
    web.submit("/my/account/password", {"current_password": factories.PASSWORD, "password": NEW, "confirm_password": NEW})
    assert client.get(link).status_code == 410


def test_a_link_cannot_be_used_twice_even_at_once(app):
    """Two requests racing with the same link: only one changes the password."""
    import pytest

    from rec_portal.auth import operations
    from rec_portal.errors import DomainError

    with app.test_request_context("/"):
        user = factories.make_user(email="jo@example.org")
        db.session.commit()
        operations.request_password_reset("jo@example.org")
        db.session.commit()
        body = db.session.execute(select(OutboxMessage.body_text)).scalar_one()
        token = re.search(r"/reset-password/(\S+)", body).group(1)
        # The second request looked the token up before the first one used it.
        looked_up = operations.find_reset_token(token)
        operations.reset_password(token, NEW)
        db.session.commit()
        real_find = operations.find_reset_token
        operations.find_reset_token = lambda t: looked_up
        try:
            with pytest.raises(DomainError, match="expired or has already been used"):
                operations.reset_password(token, "another-password-77")
        finally:
            operations.find_reset_token = real_find
        db.session.rollback()
        from rec_portal.passwords import verify_password

        assert verify_password(db.session.get(type(user), user.id).password_hash, NEW)
