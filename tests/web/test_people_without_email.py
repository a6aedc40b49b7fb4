"""People without email (issue 16, part 1): staff add a student record with the person's
consent as told to them; the person cannot sign in; staff book, wait-list and cancel for
them; an invitation lets them claim an online account that keeps their history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from rec_portal.extensions import db
from rec_portal.models import (
    AccountInvitation,
    AuditEvent,
    Booking,
    CourseSession,
    OutboxMessage,
    PasswordResetToken,
    User,
)
from rec_portal.timeutil import utcnow
from tests import factories
from tests.conftest import Browserless

ANSWERS = {
    "full_name": "Pat Jones",
    "preferred_name": "Pat",
    "phone": "07700 900123",
    "email": "",
    "contact_preference": "text",
    "relationship_to_services": "service_user",
    "access_needs": "Step-free access",
    "consent": "y",
    "consent_way": "phone",
    "consent_other": "",
}
NEW_PASSWORD = "quiet-harbour-lantern-7"


def _people_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(User)).scalar_one()


def _pat(app) -> User:
    return db.session.execute(select(User).where(User.full_name == "Pat Jones")).scalar_one()


def _add(web, **changes):
    return web.submit("/admin/people/new", {**ANSWERS, **changes})


# --- Adding someone ------------------------------------------------------------------------


def test_staff_add_a_person_without_email_with_consent_recorded(login_as, web, client, app):
    admin = login_as("admin", full_name="Alex Admin")
    response = _add(web)
    assert response.status_code == 302
    with app.app_context():
        pat = _pat(app)
        assert pat.email is None and pat.password_hash is None and not pat.has_online_account
        assert pat.role_names == {"student"}
        assert pat.profile.phone == "07700 900123" and pat.profile.contact_preference == "text"
        assert pat.profile.relationship_to_services == "service_user"
        assert pat.profile.access_needs == "Step-free access"
        assert pat.consent_taken_by_id == admin.id and pat.added_by_id == admin.id
        assert pat.consent_note == "By phone, as told to Alex Admin"
        assert abs(pat.privacy_consent_at - utcnow()) < timedelta(minutes=1)
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "account.added_by_staff")).scalar_one()
        assert (event.actor_id, event.subject_id) == (admin.id, pat.id)
        pat_id, number = pat.id, pat.student_number
    assert response.headers["Location"] == f"/admin/people/{pat_id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Pat Jones has been added ({number})" in html
    assert "No email address" in html and "No online account: they cannot sign in" in html
    assert "Consent as told to staff" in html
    consent = html[html.index("Consent as told to staff</h2>") + 30:]
    consent = consent[:consent.index("</dl>")]
    assert "By phone" in consent and "Alex Admin" in consent and "as told to" not in consent  # said once
    assert "Text message" in html and "07700 900123" in html


@pytest.mark.parametrize("changes, field, message", [
    ({"full_name": ""}, "full_name", "Enter their full name"),
    ({"phone": ""}, "phone", "Enter a phone number, so that the REC can contact them by a text message"),
    ({"phone": "", "contact_preference": "phone"}, "phone",
     "Enter a phone number, so that the REC can contact them by a phone call"),
    ({"phone": "call me"}, "phone", "Enter a phone number using numbers, spaces and + ( ) only"),
    ({"contact_preference": "email"}, "email", "Enter an email address, or choose another way to contact them"),
    ({"email": "not an address"}, "email", "Enter an email address in the correct format"),
    ({"consent": ""}, "consent", "Tick the box to confirm they agreed, or do not add them"),
    ({"consent_way": ""}, "consent_way", "Select how they told you they agree"),
    ({"consent_way": "other"}, "consent_other", "Say how they told you they agree"),
])
def test_each_mistake_is_shown_next_to_its_field_with_the_answers_kept_and_nothing_saved(
        login_as, web, app, changes, field, message):
    login_as("admin")
    before = _people_count(app)
    response = _add(web, full_name=changes.get("full_name", "Sam Lee"), access_needs="A quiet room",
                    **{k: v for k, v in changes.items() if k != "full_name"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and f'href="#{field}"' in html
    assert re.search(rf'id="{field}-error"\s*>\s*<span class="nhsuk-u-visually-hidden">Error: </span>'
                     rf'{re.escape(message)}', html)
    assert "A quiet room" in html  # the other answers are kept
    if "full_name" not in changes:
        assert 'value="Sam Lee"' in html
    assert _people_count(app) == before


def test_a_letter_needs_a_postal_address_and_nothing_more(login_as, web, client, app):
    login_as("admin")
    before = _people_count(app)
    html = _add(web, phone="", contact_preference="letter").get_data(as_text=True)
    assert "Enter their postal address, so that the REC can write to them" in html
    assert 'id="postal_address-error"' in html or "postal_address" in html
    assert _people_count(app) == before
    response = _add(web, phone="", contact_preference="letter", postal_address="4 Mill Lane\nLeeds LS1 4AB")
    assert response.status_code == 302
    with app.app_context():
        pat = _pat(app)
        assert (pat.profile.contact_preference, pat.profile.postal_address) == ("letter", "4 Mill Lane\nLeeds LS1 4AB")
        # A message for them is a letter on the call list, with the address to write to.
        factories.make_contact_task(pat, method="letter", reason="Prefers a letter")
        db.session.commit()
    assert "4 Mill Lane, Leeds LS1 4AB" in client.get("/admin/calls").get_data(as_text=True)


def test_an_email_address_used_by_another_account_is_refused(login_as, web, app):
    login_as("admin")
    with app.app_context():
        factories.make_user(email="taken@example.org")
        db.session.commit()
    before = _people_count(app)
    html = _add(web, email="Taken@example.org").get_data(as_text=True)
    assert "Another person on the portal already uses this email address" in html
    assert _people_count(app) == before


def test_same_name_and_phone_warns_and_adds_only_when_confirmed(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        existing = factories.make_person_without_account(full_name="Pat Jones", phone="07700900123")
        db.session.commit()
        existing_id = existing.id
    before = _people_count(app)
    response = _add(web, full_name="pat  jones", phone="+44 7700 900 123")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Someone with this name and phone number is already on the portal" in html
    assert f'href="/admin/people/{existing_id}"' in html
    assert _people_count(app) == before
    assert _add(web, full_name="Pat Jones", not_duplicate="y").status_code == 302
    assert _people_count(app) == before + 1


def test_the_people_page_has_a_button_and_finds_people_by_phone_and_student_number(login_as, client, app):
    login_as("admin")
    with app.app_context():
        pat = factories.make_person_without_account(phone="07700 900123")
        factories.make_user(full_name="Someone Else")
        db.session.commit()
        number = pat.student_number
    html = client.get("/admin/people").get_data(as_text=True)
    assert 'href="/admin/people/new"' in html and "Add someone who is not on the portal" in html
    for q in ("07700900123", "900 123", number, number.lower()):
        html = client.get(f"/admin/people?q={q}").get_data(as_text=True)
        assert "Pat Jones" in html and "Someone Else" not in html, q
        assert "No email address" in html and "No online account" in html


# --- From the session bookings page ---------------------------------------------------------


def _session(app, capacity=5):
    with app.app_context():
        session = factories.make_session(capacity=capacity)
        db.session.commit()
        return session.id


@pytest.mark.parametrize("then, anchor, button", [
    ("book", "#book", "Book"), ("walk_in", "#walk-in", "Add"),
])
def test_adding_from_the_bookings_page_leads_back_to_book_them(login_as, web, client, app, then, anchor, button):
    login_as("admin")
    session_id = _session(app)
    page = f"/admin/courses/sessions/{session_id}/bookings?q=nobody&walk_in_q=nobody"
    html = client.get(page).get_data(as_text=True)
    assert f'href="/admin/people/new?session_id={session_id}&amp;then={then}"' in html
    form = client.get(f"/admin/people/new?session_id={session_id}&then={then}").get_data(as_text=True)
    assert f'name="session_id" type="hidden" value="{session_id}"' in form
    response = _add(web, session_id=str(session_id), then=then)
    with app.app_context():
        number = _pat(app).student_number
    location = response.headers["Location"]
    assert location.startswith(f"/admin/courses/sessions/{session_id}/bookings?") and location.endswith(anchor)
    html = client.get(location).get_data(as_text=True)
    assert f"Pat Jones has been added ({number})" in html
    assert f"Pat Jones (no email address) <span class=\"nhsuk-body-s\">{number}, 07700 900123</span>" in html
    assert f">{button}<span class=\"nhsuk-u-visually-hidden\"> Pat Jones</span>" in html


def test_staff_book_waitlist_and_cancel_for_them(login_as, web, client, app):
    login_as("admin")
    session_id = _session(app, capacity=1)
    with app.app_context():
        factories.fill_places(db.session.get(CourseSession, session_id), 1)
        pat = factories.make_person_without_account()
        db.session.commit()
        pat_id = pat.id
    page = f"/admin/courses/sessions/{session_id}/bookings?q=Pat"
    response = web.submit(f"/admin/courses/sessions/{session_id}/bookings", {"student_id": pat_id}, page=page)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pat Jones is on the waiting list, number 1" in html
    assert "No email address" in html
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.student_id == pat_id)).scalar_one()
        assert booking.status == "waitlisted"
        booking_id = booking.id
    web.submit(f"/admin/courses/bookings/{booking_id}/give-place", {}, page=page)
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "confirmed"
    web.submit(f"/admin/courses/bookings/{booking_id}/cancel", {}, page=page)
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "cancelled"
    # and a walk-in
    response = web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": pat_id}, page=page)
    assert "Pat Jones has been added to this session with a place" in client.get(
        response.headers["Location"]).get_data(as_text=True)


# --- Cannot sign in; reset does nothing ----------------------------------------------------


def test_someone_without_a_password_cannot_sign_in_and_gets_the_usual_message(app, client):
    with app.app_context():
        factories.make_person_without_account(email="pat@example.org")
        db.session.commit()
    web = Browserless(client)
    response = web.submit("/login", {"email": "pat@example.org", "password": "anything-at-all-1"})
    html = response.get_data(as_text=True)
    assert "Enter a correct email address and password" in html
    assert "You are signed in" not in html
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "login.failed")).scalar_one()
        assert event.detail == "no online account"


def test_a_password_reset_does_nothing_for_them(app, client):
    with app.app_context():
        factories.make_person_without_account(email="pat@example.org")
        db.session.commit()
    response = Browserless(client).submit("/forgot-password", {"email": "pat@example.org"})
    assert response.headers["Location"] == "/forgot-password/sent"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(PasswordResetToken)).scalar_one() == 0
        assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


# --- Editing contact details ------------------------------------------------------------------


def test_staff_edit_contact_details_but_not_their_own(login_as, web, client, app):
    admin = login_as("admin")
    with app.app_context():
        pat = factories.make_person_without_account(relationship_to_services="service_user",
                                                    access_needs="Step-free access")
        db.session.commit()
        pat_id = pat.id
    url = f"/admin/people/{pat_id}/contact"
    assert 'value="07700 900123"' in client.get(url).get_data(as_text=True)
    data = {**ANSWERS, "phone": "07700 900999", "contact_preference": "phone"}
    bad = web.submit(url, {**data, "phone": ""})
    assert bad.status_code == 400 and "so that the REC can contact them by a phone call" in bad.get_data(as_text=True)
    response = web.submit(url, data)
    assert "Contact details saved." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        pat = db.session.get(User, pat_id)
        assert (pat.profile.phone, pat.profile.contact_preference) == ("07700 900999", "phone")
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "account.contact_changed_by_staff")).scalar_one()
        assert event.detail == "phone number, contact preference"  # names, never values
    own = client.get(f"/admin/people/{admin.id}/contact", follow_redirects=True).get_data(as_text=True)
    assert "You cannot change your own details here" in own


# --- Invitation to claim an online account ----------------------------------------------------


def _invite(app, web, email="pat@example.org"):
    with app.app_context():
        pat = factories.make_person_without_account()
        session = factories.make_session()
        booking = factories.make_booking(session, pat)
        db.session.commit()
        pat_id, booking_id = pat.id, booking.id
    response = web.submit(f"/admin/people/{pat_id}/invite", {"email": email},
                          page=f"/admin/people/{pat_id}")
    return pat_id, booking_id, response


def _claim_link(app, email="pat@example.org") -> str:
    with app.app_context():
        message = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_address == email)
            .order_by(OutboxMessage.id.desc())).scalars().first()
        assert message.contains_secret
        return message.body_text.split(app.config["REC_BASE_URL"], 1)[1].split()[0]


def test_invitation_is_emailed_and_claiming_keeps_the_history(login_as, web, client, app):
    admin = login_as("admin")
    pat_id, booking_id, response = _invite(app, web)
    assert "An invitation to set up an online account has been sent to pat@example.org" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    link = _claim_link(app)
    assert link.startswith("/claim-account/")
    with app.app_context():
        row = db.session.execute(select(AccountInvitation)).scalar_one()
        assert row.token_hash not in link and row.invited_by_id == admin.id
        assert db.session.get(User, pat_id).email is None  # not until it is claimed
    person = app.test_client()
    page = person.get(link).get_data(as_text=True)
    assert "This link is for <strong>Pat Jones</strong>" in page
    who = Browserless(person)
    weak = who.submit(link, {"password": "short", "confirm_password": "short", "consent": "y"})
    assert weak.status_code == 400 and "Password must be 10 characters or more" in weak.get_data(as_text=True)
    done = who.submit(link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "consent": "y"})
    assert done.headers["Location"] == "/my/courses"
    assert "Your online account is set up and you are signed in" in person.get("/my/courses").get_data(as_text=True)
    with app.app_context():
        pat = db.session.get(User, pat_id)
        assert pat.email == "pat@example.org" and pat.has_online_account
        assert db.session.get(Booking, booking_id).student_id == pat_id
        assert db.session.execute(select(AccountInvitation)).scalar_one().used_at is not None
        assert db.session.execute(
            select(AuditEvent).where(AuditEvent.event == "account.claimed")).scalar_one().subject_id == pat_id
    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 410 and "This link has expired or has already been used" in again.get_data(as_text=True)
    # And they can sign in from now on.
    Browserless(app.test_client()).login("pat@example.org", NEW_PASSWORD)


def test_an_expired_invitation_is_refused_with_a_clear_page(login_as, web, app):
    login_as("admin")
    _invite(app, web)
    link = _claim_link(app)
    with app.app_context():
        db.session.execute(update(AccountInvitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 410
    assert "This link has expired or has already been used" in response.get_data(as_text=True)


def test_a_new_invitation_replaces_the_old_one(login_as, web, app):
    login_as("admin")
    pat_id, _, _ = _invite(app, web)
    first = _claim_link(app)
    web.submit(f"/admin/people/{pat_id}/invite", {"email": "pat2@example.org"}, page=f"/admin/people/{pat_id}")
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(_claim_link(app, "pat2@example.org")).status_code == 200


def test_an_address_used_by_another_account_is_refused_at_invite_and_at_claim(login_as, web, client, app):
    login_as("admin")
    with app.app_context():
        factories.make_user(email="taken@example.org")
        db.session.commit()
    pat_id, _, response = _invite(app, web, email="taken@example.org")
    assert response.status_code == 400
    assert "Another person on the portal already uses this email address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AccountInvitation)).scalar_one() == 0
    # Invited to a free address, which someone else then takes before the claim.
    web.submit(f"/admin/people/{pat_id}/invite", {"email": "free@example.org"}, page=f"/admin/people/{pat_id}")
    link = _claim_link(app, "free@example.org")
    with app.app_context():
        factories.make_user(email="free@example.org")
        db.session.commit()
    refused = Browserless(app.test_client()).submit(
        link, {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "consent": "y"})
    assert refused.status_code == 409
    assert "An account already uses this email address" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, pat_id).password_hash is None


def test_expire_invitations_command_deletes_expired_and_used_links(login_as, web, app):
    login_as("admin")
    _invite(app, web)
    with app.app_context():
        db.session.execute(update(AccountInvitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rec", "expire-invitations"])
    assert "Deleted 1 invitation whose link had expired or been used." in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AccountInvitation)).scalar_one() == 0


# --- Reports and certificates count them like anyone else ------------------------------------


def test_reports_and_certificates_include_someone_without_email(login_as, client, app):
    from tests.scenarios import table_rows

    login_as("admin")
    with app.app_context():
        pat = factories.make_person_without_account()
        online = factories.make_user(full_name="Online Person")
        session = factories.make_attended_session([pat, online], ended_days_ago=5)
        pat_booking = db.session.execute(
            select(Booking).where(Booking.student_id == pat.id)).scalar_one()
        db.session.commit()
        pat_id, booking_id, session_id = pat.id, pat_booking.id, session.id
    rows = table_rows(client.get("/admin/reports/attendance").get_data(as_text=True), "attendance-by-course")
    assert rows[-1][:5] == ["All courses", "1", "2", "2", "0"]  # both counted as present
    csv_text = client.get(f"/admin/courses/sessions/{session_id}/bookings.csv").get_data(as_text=True)
    assert "Pat Jones" in csv_text and "No email address" in csv_text
    person_page = client.get(f"/admin/people/{pat_id}").get_data(as_text=True)
    assert f'href="/admin/bookings/{booking_id}/certificate.pdf"' in person_page
    pdf = client.get(f"/admin/bookings/{booking_id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    # Not for a booking with no attendance.
    with app.app_context():
        other = factories.make_booking(factories.make_session(), pat_id)
        db.session.commit()
        other_id = other.id
    assert client.get(f"/admin/bookings/{other_id}/certificate.pdf").status_code == 404
