import re
from datetime import timedelta

from sqlalchemy import func, select, update

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, OutboxMessage, PendingSignup, User
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import Browserless

GOOD = {
    "full_name": "Ada Lovelace",
    "preferred_name": "Ada",
    "email": "Ada.Lovelace@Example.org",
    "password": "engine-analytical-1843",
    "confirm_password": "engine-analytical-1843",
    "consent": "y", "relationship_to_services": "service_user", "contact_preference": "email",
}


def test_register_creates_a_student_signed_in_once_the_link_is_followed(web, client, app):
    sent = web.submit("/register", GOOD)
    assert sent.status_code == 302 and sent.headers["Location"] == "/register/check-your-email"
    with app.app_context():
        assert db.session.execute(select(User)).first() is None  # no account yet
    response = web.submit(web.signup_link(GOOD["email"]), {"password": GOOD["password"]})
    # Straight after enrolment: the optional questions about crime are offered (outcomes).
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "your account has been created" in client.get("/").get_data(as_text=True)
    page = client.get("/my/account").get_data(as_text=True)
    assert "ada.lovelace@example.org" in page and "Ada Lovelace" in page
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.email == "ada.lovelace@example.org"
        assert user.role_names == {"student"}
        assert user.privacy_consent_at is not None
        assert user.password_hash.startswith("$argon2id$")
        assert "engine" not in user.password_hash
        assert db.session.execute(select(PendingSignup)).first() is None  # used up
        confirm, welcome = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        assert confirm.to_address == welcome.to_address == "ada.lovelace@example.org"
        assert confirm.contains_secret and "Confirm your email address" in confirm.subject
        assert "Welcome" in welcome.subject and welcome.user_id == user.id
        events = [e.event for e in db.session.execute(select(AuditEvent)).scalars()]
        assert events == ["account.registered", "login.succeeded"]


def test_preferred_name_defaults_to_first_name(web, app):
    web.enrol({**GOOD, "preferred_name": ""})
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
        assert db.session.execute(select(PendingSignup)).first() is None
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


def _outbox(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(m.to_address, m.subject, m.body_text)
                for m in db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_registering_an_existing_address_looks_the_same_as_a_new_one(app):
    """Issue 13: the page said "An account already uses this email address", telling anyone
    whether an address is registered. Now the page is the same and the owner gets an email."""
    with app.app_context():
        factories.make_user(email="ada.lovelace@example.org", full_name="Ada Lovelace")
        db.session.commit()
    new_web, old_web = Browserless(app.test_client()), Browserless(app.test_client())
    new = new_web.submit("/register", {**GOOD, "email": "someone.new@example.org"})
    taken = old_web.submit("/register", {**GOOD, "email": "ADA.LOVELACE@example.org"})
    assert (taken.status_code, taken.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert taken.headers["Location"] == "/register/check-your-email"
    new_page = new_web.client.get("/register/check-your-email").get_data(as_text=True)
    taken_page = old_web.client.get("/register/check-your-email").get_data(as_text=True)
    assert "<h1>Check your email</h1>" in taken_page
    assert "already" not in taken_page.lower()

    def without_secrets(html):  # the CSP nonce and the CSRF token differ for every visitor
        html = re.sub(r'nonce="[^"]*"', "", html)
        return re.sub(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{10,}", "", html)
    assert without_secrets(new_page) == without_secrets(taken_page)

    (to_new, _, confirm), (to_old, subject, body) = _outbox(app)
    assert to_new == "someone.new@example.org" and "/register/confirm/" in confirm
    assert to_old == "ada.lovelace@example.org"
    assert subject == "You already have a Recovery Education Centre account"
    assert "https://rec-portal.invalid/login" in body or "/login" in body
    assert "/forgot-password" in body and "/register/confirm/" not in body
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 1
        assert db.session.execute(select(PendingSignup.email)).scalars().all() == ["someone.new@example.org"]


def test_an_unconfirmed_account_cannot_sign_in_and_the_link_works_once(web, client, app):
    web.submit("/register", GOOD)
    link = web.signup_link(GOOD["email"])
    wrong = web.submit("/login", {"email": GOOD["email"], "password": "not-the-password-1"})
    assert wrong.status_code == 400
    assert "Enter a correct email address and password" in wrong.get_data(as_text=True)
    right = web.submit("/login", {"email": GOOD["email"], "password": GOOD["password"]})
    assert right.status_code == 400
    assert "Confirm your email address first: we have sent you a new link" in right.get_data(as_text=True)
    assert client.get("/my/account").status_code == 302  # not signed in
    assert web.signup_link(GOOD["email"]) != link  # a fresh link; the first one stops working
    gone = client.get(link)
    assert gone.status_code == 410 and "This link has expired or has already been used" in gone.get_data(as_text=True)
    link = web.signup_link(GOOD["email"])
    # Opening the link changes nothing (mail scanners open links); the button does.
    page = client.get(link).get_data(as_text=True)
    assert "<h1>Finish enrolling</h1>" in page and "Confirm and finish enrolling" in page
    with app.app_context():
        assert db.session.execute(select(User)).first() is None
    assert web.submit(link, {"password": GOOD["password"]}).headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": web.token("/my/account")})
    again = web.submit(link, {"password": GOOD["password"]}, page="/login")
    assert again.status_code == 410
    assert client.get("/my/account").status_code == 302
    web.login(GOOD["email"], GOOD["password"])  # the account works
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 1


def test_an_expired_link_does_not_make_an_account(web, client, app):
    web.submit("/register", GOOD)
    link = web.signup_link(GOOD["email"])
    with app.app_context():
        hours = app.config["REC_SIGNUP_CONFIRM_HOURS"]
        row = db.session.execute(select(PendingSignup)).scalar_one()
        assert hours == 48 and abs(row.expires_at - (utcnow() + timedelta(hours=48))) < timedelta(minutes=1)
        db.session.execute(update(PendingSignup).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    page = client.get(link)
    assert page.status_code == 410 and "enrol again" in page.get_data(as_text=True)
    assert web.submit(link, {"password": GOOD["password"]}, page="/login").status_code == 410
    refused = web.submit("/login", {"email": GOOD["email"], "password": GOOD["password"]})
    assert "Enter a correct email address and password" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(User)).first() is None


def test_registering_again_replaces_an_unconfirmed_sign_up(app):
    """Whoever typed someone else's address first cannot block the real owner."""
    squatter, owner = Browserless(app.test_client()), Browserless(app.test_client())
    squatter.submit("/register", {**GOOD, "full_name": "Not Ada", "preferred_name": ""})
    first_link = squatter.signup_link(GOOD["email"])
    sent = owner.submit("/register", {**GOOD, "password": "owner-password-real-9", "confirm_password": "owner-password-real-9"})
    assert sent.headers["Location"] == "/register/check-your-email"
    second_link = owner.signup_link(GOOD["email"])
    assert second_link != first_link
    assert squatter.client.get(first_link).status_code == 410
    assert owner.submit(second_link, {"password": "owner-password-real-9"}).headers["Location"] == "/"
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.full_name == "Ada Lovelace"
        assert db.session.execute(select(func.count()).select_from(PendingSignup)).scalar_one() == 0
    owner.client.post("/logout", data={"csrf_token": owner.token("/my/account")})
    owner.login(GOOD["email"], "owner-password-real-9")


def test_someone_enrolling_after_the_owner_cannot_take_over_the_account(app):
    """Found by review: the owner enrols; someone else enrols again with the owner's address
    and their own password; the owner opens the newest email and confirms. The account must
    not end up with the other person's password: finishing needs the password chosen."""
    owner, intruder = Browserless(app.test_client()), Browserless(app.test_client())
    owner.submit("/register", GOOD)
    intruder.submit("/register", {**GOOD, "password": "intruder-pass-9991", "confirm_password": "intruder-pass-9991"})
    link = owner.signup_link(GOOD["email"])  # the newest email in the owner's inbox
    refused = owner.submit(link, {"password": GOOD["password"]})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Enter the password you chose when you enrolled" in html and "nhsuk-error-summary" in html
    empty = owner.submit(link, {"password": ""})
    assert empty.status_code == 400
    with app.app_context():
        assert db.session.execute(select(User)).first() is None  # nothing made, link still good
        assert db.session.execute(select(PendingSignup)).scalar_one() is not None
    # The owner enrols again (their details replace the intruder's) and finishes.
    owner.submit("/register", GOOD)
    assert owner.submit(owner.signup_link(GOOD["email"]), {"password": GOOD["password"]}).headers["Location"] == "/"
    owner.client.post("/logout", data={"csrf_token": owner.token("/my/account")})
    bad = intruder.submit("/login", {"email": GOOD["email"], "password": "intruder-pass-9991"})
    assert bad.status_code == 400
    owner.login(GOOD["email"], GOOD["password"])


def test_expire_signups_deletes_unconfirmed_sign_ups_past_their_time(web, app):
    web.submit("/register", GOOD)
    web.submit("/register", {**GOOD, "email": "fresh@example.org"})
    with app.app_context():
        db.session.execute(update(PendingSignup).where(PendingSignup.email == "ada.lovelace@example.org")
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rec", "expire-signups"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 unconfirmed enrolment whose link had expired." in result.output
    with app.app_context():
        assert db.session.execute(select(PendingSignup.email)).scalars().all() == ["fresh@example.org"]
    again = app.test_cli_runner().invoke(args=["rec", "expire-signups"])
    assert "Deleted 0 unconfirmed enrolments" in again.output


def test_apply_retention_also_deletes_expired_sign_ups(web, app):
    web.submit("/register", GOOD)
    with app.app_context():
        db.session.execute(update(PendingSignup).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["rec", "apply-retention"]).exit_code == 0
    with app.app_context():
        assert db.session.execute(select(PendingSignup)).first() is None


def test_staff_created_accounts_need_no_confirmation(app, client, web):
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", "boss@example.org", "--name", "Pat Boss",
              "--password", "river-stone-lantern-9"],
    )
    assert result.exit_code == 0, result.output
    web.login("boss@example.org", "river-stone-lantern-9")
    assert "Pat Boss" in client.get("/my/account").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(OutboxMessage)).first() is None  # no link to follow


def test_signed_in_people_are_sent_to_their_home_page(login_as, client):
    login_as("student")
    response = client.get("/register")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_confirm_button_needs_its_csrf_token(web, client, app):
    web.submit("/register", GOOD)
    link = web.signup_link(GOOD["email"])
    assert client.post(link).status_code == 400
    assert client.get("/register/confirm/not-a-real-token").status_code == 410
    with app.app_context():
        assert db.session.execute(select(User)).first() is None
        assert db.session.execute(select(PendingSignup)).first() is not None


def test_a_link_for_an_address_given_an_account_meanwhile_sends_the_person_to_sign_in(web, client, app):
    """Staff made an account for the address while the sign-up waited: following the link
    makes no second account and says to sign in."""
    web.submit("/register", GOOD)
    link = web.signup_link(GOOD["email"])
    result = app.test_cli_runner().invoke(
        args=["rec", "create-admin", "--email", GOOD["email"], "--name", "Ada Lovelace",
              "--password", "river-stone-lantern-9"],
    )
    assert result.exit_code == 0, result.output
    response = web.submit(link, {"password": GOOD["password"]})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "An account already uses this email address" in client.get("/login").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 1
