"""The account rules on PostgreSQL: constraints, case-insensitive email, full sign-in loop."""

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage, User
from tests.conftest import Browserless

pytestmark = pytest.mark.pg

GOOD = {
    "full_name": "Ada Lovelace", "preferred_name": "Ada", "email": "Ada@Example.org",
    "password": "engine-analytical-1843", "confirm_password": "engine-analytical-1843", "consent": "y", "relationship_to_services": "service_user", "contact_preference": "email",
}


def test_register_sign_out_sign_in_and_reset_on_postgresql(pg_app, pg_client):
    web = Browserless(pg_client)
    assert web.enrol(GOOD).headers["Location"] == "/"  # the home page and its next step
    assert "ada@example.org" in pg_client.get("/my/account").get_data(as_text=True)
    pg_client.post("/logout", data={"csrf_token": web.token("/my/account")})
    duplicate = web.submit("/register", {**GOOD, "email": "ADA@example.org"})
    assert duplicate.headers["Location"] == "/register/check-your-email"  # says nothing more
    with pg_app.app_context():
        told = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc())).scalars().first()
        assert told.subject == "You already have a Recovery Education Centre account"
    web.login("ADA@EXAMPLE.ORG", GOOD["password"])
    pg_client.post("/logout", data={"csrf_token": web.token("/my/account")})
    web.submit("/forgot-password", {"email": "ada@example.org"})
    with pg_app.app_context():
        reset = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.contains_secret.is_(True),
                                        OutboxMessage.subject.contains("Reset"))
        ).scalar_one()
        link = reset.body_text.split(pg_app.config["REC_BASE_URL"], 1)[1].split()[0]
    web.submit(link, {"password": "new-password-river-2", "confirm_password": "new-password-river-2"})
    web.login("ada@example.org", "new-password-river-2")


def test_constraints_hold_on_postgresql(pg_app, pg_client):
    with pg_app.app_context():
        db.session.add(User(email="x@example.org", password_hash="h", full_name="X", preferred_name="X"))
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text("INSERT INTO user_roles (user_id, role, granted_at) SELECT id, 'superuser', now() FROM users"))
        db.session.rollback()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.add(User(email="x@example.org", password_hash="h", full_name="Y", preferred_name="Y"))
            db.session.commit()
        db.session.rollback()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text("INSERT INTO outbox_messages (to_address, subject, body_text, contains_secret, status, attempts, created_at, next_attempt_at) VALUES ('a', 'b', 'c', false, 'lost', 0, now(), now())"))
        db.session.rollback()
