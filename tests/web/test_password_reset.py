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
        return [re.search(r"http://localhost(/reset-password/\S+)", m.body_text).group(1) for m in rows if m.contains_secret]


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
