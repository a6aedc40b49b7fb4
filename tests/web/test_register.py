from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, OutboxMessage, User

GOOD = {
    "full_name": "Ada Lovelace",
    "preferred_name": "Ada",
    "email": "Ada.Lovelace@Example.org",
    "password": "engine-analytical-1843",
    "confirm_password": "engine-analytical-1843",
    "consent": "y", "relationship_to_services": "service_user", "contact_preference": "email",
}


def test_register_creates_a_student_signed_in(web, client, app):
    response = web.submit("/register", GOOD)
    # Straight after enrolment: the optional questions about crime are offered (outcomes).
    assert response.status_code == 302 and response.headers["Location"] == "/my/outcomes/welcome"
    assert "Your account has been created" in client.get("/my/outcomes/welcome").get_data(as_text=True)
    page = client.get("/my/account").get_data(as_text=True)
    assert "ada.lovelace@example.org" in page and "Ada Lovelace" in page
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.email == "ada.lovelace@example.org"
        assert user.role_names == {"student"}
        assert user.privacy_consent_at is not None
        assert user.password_hash.startswith("$argon2id$")
        assert "engine" not in user.password_hash
        welcome = db.session.execute(select(OutboxMessage)).scalar_one()
        assert welcome.to_address == "ada.lovelace@example.org"
        assert "Welcome" in welcome.subject
        events = [e.event for e in db.session.execute(select(AuditEvent)).scalars()]
        assert events == ["account.registered", "login.succeeded"]


def test_preferred_name_defaults_to_first_name(web, app):
    web.submit("/register", {**GOOD, "preferred_name": ""})
    with app.app_context():
        assert db.session.execute(select(User.preferred_name)).scalar_one() == "Ada"


def test_errors_are_listed_and_other_answers_kept(web, app):
    response = web.submit(
        "/register", {**GOOD, "password": "short", "confirm_password": "short", "consent": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: Enrol with the REC" in html
    assert "There is a problem" in html
    assert 'href="#password"' in html and 'href="#consent"' in html
    assert "Password must be 10 characters or more" in html
    assert "Tick the box to say you agree to the privacy notice" in html
    # Other answers kept; passwords are never sent back.
    assert 'value="Ada Lovelace"' in html and 'value="Ada.Lovelace@Example.org"' in html
    assert "short" not in html.split("</form>")[0].split('name="password"')[1][:200]
    with app.app_context():
        assert db.session.execute(select(User)).first() is None
        assert db.session.execute(select(OutboxMessage)).first() is None


def test_every_field_is_checked(web):
    html = web.submit("/register", {"consent": ""}).get_data(as_text=True)
    for message in (
        "Enter your full name",
        "Enter your email address",
        "Enter a password",
        "Type your password again",
        "Tick the box",
    ):
        assert message in html


def test_bad_email_and_mismatched_passwords(web):
    html = web.submit(
        "/register", {**GOOD, "email": "not-an-email", "confirm_password": "something-else-12"}
    ).get_data(as_text=True)
    assert "Enter an email address in the correct format" in html
    assert "The passwords do not match" in html


def test_password_cannot_be_common_or_the_email(web):
    html = web.submit(
        "/register", {**GOOD, "password": "1234567890", "confirm_password": "1234567890"}
    ).get_data(as_text=True)
    assert "This password is too common" in html
    html = web.submit(
        "/register",
        {**GOOD, "password": GOOD["email"], "confirm_password": GOOD["email"]},
    ).get_data(as_text=True)
    assert "must not be the same as your email address" in html


def test_email_already_registered_in_any_case(web, client, app):
    web.submit("/register", GOOD)
    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    response = web.submit("/register", {**GOOD, "email": "ADA.LOVELACE@example.org"})
    assert response.status_code == 400
    assert "An account already uses this email address" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.execute(select(User)).all()) == 1


def test_signed_in_people_are_sent_to_their_account(login_as, client):
    login_as("student")
    response = client.get("/register")
    assert response.status_code == 302 and response.headers["Location"] == "/my/account"
