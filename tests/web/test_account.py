from sqlalchemy import select

from rec_portal.passwords import verify_password
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, OutboxMessage, User
from tests import factories
from tests.conftest import Browserless

NEW = "harbour-lights-evening-7"


def test_account_page_shows_own_details(login_as, client):
    me = login_as("student", full_name="Jo Williams", email="jo@example.org")
    html = client.get("/my/account").get_data(as_text=True)
    assert "Jo Williams" in html and "jo@example.org" in html and "Student" in html
    assert client.get("/my/account").headers["Cache-Control"] == "no-store"
    assert me.email == "jo@example.org"


def test_change_password(login_as, web, client, app):
    me = login_as("student")
    other = app.test_client()
    Browserless(other).login(me.email)

    html = web.submit("/my/account/password", {"current_password": "wrong-one-123", "password": NEW, "confirm_password": NEW}).get_data(as_text=True)
    assert "Your current password is not correct" in html
    html = web.submit("/my/account/password", {"current_password": factories.PASSWORD, "password": "short", "confirm_password": "short"}).get_data(as_text=True)
    assert "Password must be 10 characters or more" in html

    response = web.submit("/my/account/password", {"current_password": factories.PASSWORD, "password": NEW, "confirm_password": NEW})
    assert response.headers["Location"] == "/my/account"
    assert "Your password has been changed" in client.get("/my/account").get_data(as_text=True)
    # This device stays signed in; the other one is signed out.
    assert client.get("/my/account").status_code == 200
    assert other.get("/my/account").status_code == 302
    with app.app_context():
        assert verify_password(db.session.get(User, me.id).password_hash, NEW)
        assert db.session.execute(select(AuditEvent).where(AuditEvent.event == "account.password_changed")).first()


def test_edit_name(login_as, web, client, app):
    me = login_as("student")
    form = client.get("/my/account/details").get_data(as_text=True)
    assert f'value="{me.email}"' in form
    response = web.submit("/my/account/details", {"full_name": "Joanna Williams", "preferred_name": "Jo", "email": me.email})
    assert response.headers["Location"] == "/my/account"
    assert "Joanna Williams" in client.get("/my/account").get_data(as_text=True)
    with app.app_context():
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "account.details_changed")).scalar_one()
        assert event.detail == "full name, preferred name"  # which fields, never the values


def test_changing_email_needs_the_password_and_tells_the_old_address(login_as, web, app):
    me = login_as("student")
    html = web.submit("/my/account/details", {"full_name": "Jo", "preferred_name": "Jo", "email": "new@example.org"}).get_data(as_text=True)
    assert "Enter your current password to change your email address" in html
    assert 'value="new@example.org"' in html  # answer kept
    with app.app_context():
        assert db.session.get(User, me.id).email == me.email

    web.submit("/my/account/details", {"full_name": "Jo", "preferred_name": "Jo", "email": "New@Example.org", "current_password": factories.PASSWORD})
    with app.app_context():
        assert db.session.get(User, me.id).email == "new@example.org"
        message = db.session.execute(select(OutboxMessage)).scalar_one()
        assert message.to_address == me.email and "was changed" in message.subject


def test_cannot_take_another_accounts_email(login_as, web, app):
    with app.app_context():
        factories.make_user(email="taken@example.org")
        db.session.commit()
    login_as("student")
    html = web.submit("/my/account/details", {"full_name": "Jo", "preferred_name": "Jo", "email": "taken@example.org", "current_password": factories.PASSWORD}).get_data(as_text=True)
    assert "Another account already uses this email address" in html


def test_account_pages_need_sign_in(client):
    for url in ("/my/account", "/my/account/details", "/my/account/password"):
        response = client.get(url)
        assert response.headers["Location"] == f"/login?next={url}"


def test_phone_and_support_needs(login_as, web, client, app):
    me = login_as("student")
    html = web.submit("/my/account/support", {"phone": "call me maybe", "access_needs": "Step-free access"}).get_data(as_text=True)
    assert "Enter a phone number using numbers, spaces and + ( ) only" in html
    assert "Step-free access" in html  # answer kept
    response = web.submit("/my/account/support", {"phone": "07700 900123", "access_needs": "Step-free access, a hearing loop", "contact_preference": "email"})
    assert response.headers["Location"] == "/my/account"
    page = client.get("/my/account").get_data(as_text=True)
    assert "07700 900123" in page and "Step-free access, a hearing loop" in page
    with app.app_context():
        profile = db.session.get(User, me.id).profile
        assert (profile.phone, profile.access_needs) == ("07700 900123", "Step-free access, a hearing loop")


def test_letters_need_a_postal_address(login_as, web, client, app):
    """Issue 16: a person may ask for letters; the address to write to is asked for then."""
    me = login_as("student")
    html = web.submit("/my/account/support", {"phone": "", "contact_preference": "letter",
                                              "access_needs": "Large print"}).get_data(as_text=True)
    assert "Enter your postal address, or choose another way, so that we can write to you" in html
    assert "Large print" in html  # answer kept
    with app.app_context():
        assert db.session.get(User, me.id).profile is None or db.session.get(User, me.id).profile.contact_preference != "letter"
    response = web.submit("/my/account/support", {"contact_preference": "letter", "access_needs": "Large print",
                                                  "postal_address": "4 Mill Lane\nLeeds LS1 4AB"})
    assert response.headers["Location"] == "/my/account"
    page = client.get("/my/account").get_data(as_text=True)
    assert "Letter" in page and "4 Mill Lane" in page
    with app.app_context():
        profile = db.session.get(User, me.id).profile
        assert (profile.contact_preference, profile.postal_address) == ("letter", "4 Mill Lane\nLeeds LS1 4AB")
