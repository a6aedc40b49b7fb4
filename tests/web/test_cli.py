from sqlalchemy import select

from rec_portal.auth.passwords import verify_password
from rec_portal.extensions import db
from rec_portal.models import User
from tests import factories


def _users(app):
    with app.app_context():
        return {u.email: u.role_names for u in db.session.execute(select(User)).scalars()}


def test_demo_data_creates_the_demo_logins(app, web, client):
    result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    assert result.exit_code == 0 and "3 new accounts" in result.output
    assert _users(app) == {
        "admin@example.org": {"admin", "student"},
        "facilitator@example.org": {"facilitator", "student"},
        "student@example.org": {"student"},
    }
    web.login("admin@example.org", "demo-password")
    assert client.get("/admin").status_code == 200
    again = app.test_cli_runner().invoke(args=["rec", "demo-data", "--if-empty"])
    assert "already has accounts" in again.output and len(_users(app)) == 3


def test_demo_data_is_refused_in_production(app):
    app.config["REC_ENV"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["rec", "demo-data"])
    finally:
        app.config["REC_ENV"] = "testing"
    assert result.exit_code == 1 and "Refusing to load demo data" in result.output
    assert _users(app) == {}


def test_create_admin(app):
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", "Boss@Example.org", "--name", "Pat Boss"],
        input="river-stone-lantern-9\nriver-stone-lantern-9\n",
    )
    assert result.exit_code == 0, result.output
    assert "Admin account created for boss@example.org" in result.output
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.role_names == {"admin", "student"}
        assert verify_password(user.password_hash, "river-stone-lantern-9")


def test_create_admin_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", "b@example.org", "--name", "B", "--password", "password1"]
    )
    assert result.exit_code == 1 and "Password not accepted" in result.output
    assert _users(app) == {}


def test_create_admin_promotes_an_existing_account(app):
    with app.app_context():
        factories.make_user(email="jo@example.org")
        db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", "jo@example.org", "--name", "Jo", "--password", "unused-password-1"]
    )
    assert "Gave the admin role" in result.output
    assert _users(app)["jo@example.org"] == {"admin", "student"}
