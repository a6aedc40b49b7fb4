"""Follow-up review of the outbox (issue 14): an outage never fails a message, and staff
see that emails are not going out; the person is warned only about refusals of their
address; Send again goes to the account's current address. Each test talks to a local
SMTP server (aiosmtpd, or a scripted socket server) with timeouts of a fraction of a
second."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.admin.added_people import PersonDetails, update_contact_details
from rec_portal.auth.invitations import invite
from rec_portal.extensions import db
from rec_portal.models import AuditEvent, OutboxMessage, User
from rec_portal.notifications import outbox
from rec_portal.notifications.outbox import deliver_pending, queue_email
from rec_portal.timeutil import format_uk, utcnow
from tests import factories
from tests.conftest import Browserless, csrf_from
from tests.smtp import (  # noqa: F401 - mail is a fixture
    Inbox,
    later,
    mail,
    messages,
    queue,
    scripted_server,
    smtp_server,
)


# --- 1. A long outage fails no message; staff see that emails are not going out ----------


def test_a_day_long_outage_fails_no_message(app, app_ctx, mail, monkeypatch):
    """Nothing listens on the mail port for 36 hours, send-mail running every 3 hours: no
    message is blamed, each keeps 0 attempts and the last problem; once the server is back
    both are delivered at their first attempt."""
    queue(["a@example.org", "b@example.org"])
    for hours in range(3, 37, 3):
        with later(monkeypatch, hours=hours):
            report = deliver_pending()
        assert report.stopped and report.retrying == 2 and report.failed == 0
    for message in messages():
        assert (message.status, message.attempts) == ("pending", 0)
        assert "Could not reach the mail server" in message.last_error
        assert "ConnectionRefusedError" in message.last_error
    with smtp_server(mail, Inbox()) as inbox, later(monkeypatch, hours=37):
        report = deliver_pending()
    assert report.sent == 2 and inbox.recipients == ["a@example.org", "b@example.org"]
    assert [(m.status, m.attempts, m.last_error) for m in messages()] == [("sent", 1, None)] * 2


def test_messages_are_held_for_the_runs_wait_after_an_outage(app, app_ctx, mail, monkeypatch):
    """Handed back without an attempt, but not taken again until the run-level wait (1
    minute, growing to 5 once the outage is long) is over."""
    queue(["a@example.org"])
    deliver_pending()
    assert deliver_pending().retrying == 0  # held: not tried again at once
    with smtp_server(mail, Inbox()) as inbox:
        with later(monkeypatch, seconds=30):
            assert deliver_pending().sent == 0
        with later(monkeypatch, seconds=61):
            assert deliver_pending().sent == 1
    assert inbox.recipients == ["a@example.org"]
    assert outbox.run_backoff(timedelta(hours=3)) == timedelta(minutes=5)


BEFORE_MAIL = {
    "greeting refused": dict(greeting=b"554 5.3.2 No service here"),
    "closed at EHLO": dict(replies={"EHLO": "drop"}),
    "EHLO and HELO refused": dict(replies={"EHLO": b"502 5.5.1 No", "HELO": b"502 5.5.1 No"}),
    "closed at MAIL": dict(replies={"MAIL": "drop"}),
    "421 to MAIL": dict(replies={"MAIL": b"421 4.3.2 Shutting down"}),
    "STARTTLS refused": dict(ehlo=(b"250 test", b"250 STARTTLS"), replies={"STARTTLS": b"454 4.7.0 TLS not available"}),
    "TLS handshake fails": dict(ehlo=(b"250 test", b"250 STARTTLS"), replies={"STARTTLS": "tls-garbage"}),
}


@pytest.mark.parametrize("fault", list(BEFORE_MAIL))
def test_a_connection_failure_before_mail_is_no_attempt(app, app_ctx, mail, fault):
    app.config["REC_SMTP_STARTTLS"] = "STARTTLS" in fault or "TLS" in fault
    queue(["a@example.org", "b@example.org"])
    with scripted_server(mail, **BEFORE_MAIL[fault]):
        report = deliver_pending()
    assert report.stopped and report.retrying == 2 and report.sent == 0
    for message in messages():
        assert (message.status, message.attempts) == ("pending", 0), fault
        assert message.last_error and "mail server" in message.last_error
        assert message.claimed_until > utcnow() and message.claim_token is None


@pytest.mark.parametrize("setting, ehlo, expected", [
    ("REC_SMTP_STARTTLS", (b"250 test",), "does not offer STARTTLS, which REC_SMTP_STARTTLS asks for"),
    ("REC_SMTP_USERNAME", (b"250 test",), "does not offer sign-in (AUTH), which REC_SMTP_USERNAME asks for"),
])
def test_a_server_without_starttls_or_auth_is_a_configuration_fault(app, app_ctx, mail, caplog, setting, ehlo, expected):
    if setting == "REC_SMTP_STARTTLS":
        app.config["REC_SMTP_STARTTLS"] = True
    else:
        app.config.update(REC_SMTP_USERNAME="rec", REC_SMTP_PASSWORD="secret")
    try:
        queue(["a@example.org", "b@example.org"])
        with scripted_server(mail, ehlo=ehlo), caplog.at_level(logging.ERROR, logger="rec_portal.mail"):
            report = deliver_pending()
    finally:
        app.config.update(REC_SMTP_USERNAME=None, REC_SMTP_PASSWORD=None)
    assert "the mail settings need fixing" in caplog.text and expected in caplog.text
    assert report.stopped and expected in report.stopped
    assert [(m.status, m.attempts) for m in messages()] == [("pending", 0), ("pending", 0)]


def test_a_refused_sign_in_closes_the_connection(app, app_ctx, mail, monkeypatch):
    opened = []
    real_init = smtplib.SMTP.__init__

    def tracked_init(self, *args, **kwargs):
        opened.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "__init__", tracked_init)
    app.config.update(REC_SMTP_USERNAME="rec", REC_SMTP_PASSWORD="wrong")
    try:
        queue(["a@example.org"])
        with scripted_server(mail, ehlo=(b"250 test", b"250 AUTH PLAIN LOGIN"),
                             replies={"AUTH": b"535 5.7.8 Authentication credentials invalid"}):
            report = deliver_pending()
    finally:
        app.config.update(REC_SMTP_USERNAME=None, REC_SMTP_PASSWORD=None)
    assert report.stopped and "did not accept our sign-in" in report.stopped
    assert opened and all(smtp.sock is None for smtp in opened)
    assert [(m.status, m.attempts) for m in messages()] == [("pending", 0)]


def test_staff_see_when_emails_are_not_going_out(app, mail, login_as, client, monkeypatch):
    login_as("admin")
    with app.app_context():
        queue(["a@example.org"])
        deliver_pending()  # nothing listens: the problem is recorded
    for path in ("/admin", "/admin/outbox"):
        with later(monkeypatch, minutes=10):
            page = client.get(path).get_data(as_text=True)
        assert "Emails are not going out" not in page, path
        with later(monkeypatch, minutes=45):
            page = client.get(path).get_data(as_text=True)
        assert "Emails are not going out" in page, path
        assert "The oldest waiting email has waited 45 minutes" in page
        assert "The last problem was: Could not reach the mail server" in page
        assert "ConnectionRefusedError" in page
    # Once it has gone out, the notice goes.
    with app.app_context(), smtp_server(mail, Inbox()), later(monkeypatch, minutes=46):
        assert deliver_pending().sent == 1
    with later(monkeypatch, minutes=46):
        assert "Emails are not going out" not in client.get("/admin").get_data(as_text=True)


def test_staff_are_told_when_nothing_is_sending_at_all(app, login_as, client, monkeypatch):
    """No run has recorded a problem (send-mail is not running): still shown, with a hint."""
    login_as("admin")
    with app.app_context():
        queue(["a@example.org"])
    with later(monkeypatch, hours=3):
        page = client.get("/admin").get_data(as_text=True)
    assert "Emails are not going out" in page and "has waited 3 hours" in page
    assert "may not be running" in page


# --- 2. The person is warned only about refusals of their address -------------------------


@pytest.mark.parametrize("reply", ["552 5.3.4 Message too big for system", "554 5.7.1 Content rejected"])
def test_a_refusal_after_data_fails_the_message_but_does_not_warn_the_person(app, mail, login_as, client, reply):
    me = login_as("student")
    with app.app_context():
        queue_email(to=me.email, user=me, subject="Hello", body="Hello")
        db.session.commit()
        with smtp_server(mail, Inbox(data_replies=[reply])):
            report = deliver_pending()
        assert report.refused == 1
        (message,) = messages()
        assert message.status == "failed" and message.refused_at is None
        assert reply[:3] in message.last_error
    for url in ("/my/account", "/my/courses"):
        assert "We could not email you" not in client.get(url).get_data(as_text=True), url
    with app.app_context():
        admin = factories.make_user(roles=("admin",))
        db.session.commit()
        staff = Browserless(app.test_client())
        staff.login(admin.email)
    attention = staff.client.get("/admin/outbox").get_data(as_text=True).split('id="needs-attention"')[1]
    assert me.email in attention and "refused this message for good" in attention and reply[:3] in attention


def test_a_message_too_large_for_the_server_fails_without_warning_the_person(app, app_ctx, mail):
    from aiosmtpd.controller import Controller

    user = factories.make_user(email="jo@example.org")
    db.session.commit()
    queue_email(to=user.email, user=user, subject="Hello", body="Hello " * 200)
    db.session.commit()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=mail, data_size_limit=500)
    controller.start()
    try:
        report = deliver_pending()
    finally:
        controller.stop()
    assert report.refused == 1 and inbox.received == []
    (message,) = messages()
    assert message.status == "failed" and message.refused_at is None
    assert "too large" in message.last_error
    assert outbox.undelivered_since(user) is None


def test_the_message_size_is_declared(app, app_ctx, mail):
    class Recording(Inbox):
        options = []

        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            self.options.extend(mail_options)
            envelope.mail_from = address
            return "250 OK"

    queue(["a@example.org"])
    with smtp_server(mail, Recording()) as inbox:
        assert deliver_pending().sent == 1
    (size,) = [o for o in inbox.options if o.upper().startswith("SIZE=")]
    assert 100 < int(size.split("=")[1]) < 2000


def test_the_warning_says_since_when_emails_have_not_reached_them(app, mail, login_as, client):
    me = login_as("student")
    with app.app_context():
        queue_email(to=me.email, user=me, subject="Hello", body="Hello")
        db.session.commit()
        with smtp_server(mail, Inbox(refuse={me.email: "550 5.1.1 No such user"})):
            deliver_pending()
        (message,) = messages()
        day = format_uk(message.refused_at, with_time=False)
    for url in ("/my/account", "/my/courses"):
        page = client.get(url).get_data(as_text=True)
        assert f"Since {day}, emails to {me.email} have not reached you" in page, url
        assert "check your email address is right" in page


def test_an_address_our_server_cannot_take_is_not_called_a_mistake(app, mail, login_as, client):
    me = login_as("student", email="zoë@example.org")
    with app.app_context():
        queue_email(to=me.email, user=me, subject="Hello", body="Hello")
        db.session.commit()
        with smtp_server(mail, Inbox(), smtputf8=False):
            deliver_pending()
        assert messages()[0].refused_at is not None
    for url in ("/my/account", "/my/courses"):
        page = client.get(url).get_data(as_text=True)
        assert "emails to zoë@example.org have not reached you" in page, url
        assert "Nothing is wrong with your address" in page
        assert "we cannot yet send emails to addresses with accents" in page
        assert "Please give us another email address" in page
        assert "check your email address is right" not in page


# --- 3. Send again goes to the account's current address ----------------------------------


def _failed(to, user=None):
    message = queue_email(to=to, user=user, subject="A place is yours", body="Details")
    db.session.flush()
    message.status, message.attempts, message.ended_at, message.refused_at = "failed", 1, utcnow(), utcnow()
    message.last_error = "The receiving mail server refused this address for good (550)."
    db.session.commit()
    return message.id


def test_send_again_goes_to_the_address_now_on_the_account(app, login_as, client, mail):
    admin = login_as("admin")
    with app.app_context():
        jo = factories.make_user(email="jo@example.org")
        db.session.commit()
        message_id = _failed("jo@example.org", user=jo)
        jo.email = "jo.new@example.org"  # Jo changed address; the old one may be someone else's now
        db.session.commit()
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "Will go to jo.new@example.org, their address now (not jo@example.org)" in listing
    assert 'aria-label="Send again to jo.new@example.org' in listing
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    form = page.split('id="send-again"')[1].split("</form>")[0]
    assert "Sending again will go to <strong>jo.new@example.org</strong>, the address now on their account" in form
    assert "not the address it was sent to before (jo@example.org)" in form
    response = client.post(f"/admin/outbox/{message_id}/send-again", follow_redirects=True,
                           data={"csrf_token": csrf_from(page), "to": "jo.new@example.org"})
    assert "The email to jo.new@example.org will be sent again" in response.get_data(as_text=True)
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.to_address, message.refused_at) == ("pending", "jo.new@example.org", None)
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "outbox.sent_again")).scalar_one()
        assert event.actor_id == admin.id
        assert "jo.new@example.org" in event.detail and "first sent to jo@example.org" in event.detail
        with smtp_server(mail, Inbox()) as inbox:
            deliver_pending()
    assert inbox.recipients == ["jo.new@example.org"]


def test_send_again_of_an_email_without_an_account_keeps_its_address(app, login_as, client, mail):
    login_as("admin")
    with app.app_context():
        message_id = _failed("new.person@example.org")  # a sign-up link: no account yet
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Sending again will go to <strong>new.person@example.org</strong>, the address it was sent to" in page
    client.post(f"/admin/outbox/{message_id}/send-again", data={"csrf_token": csrf_from(page)})
    with app.app_context(), smtp_server(mail, Inbox()) as inbox:
        deliver_pending()
    assert inbox.recipients == ["new.person@example.org"]


def test_send_again_never_goes_to_an_address_staff_have_removed(app, login_as, client):
    """Staff learn an address was wrong (someone else's) and remove it: a failed email to
    that person is not sent there again; the page says why and offers no button."""
    admin = login_as("admin")
    with app.app_context():
        pat = factories.make_person_without_account(email="wrong.person@example.org",
                                                    contact_preference="email")
        db.session.commit()
        message_id = _failed("wrong.person@example.org", user=pat)
        update_contact_details(db.session.get(User, admin.id), pat, PersonDetails(
            full_name=pat.full_name, phone="07700 900123", email="", contact_preference="text"))
        db.session.commit()
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "Cannot be sent again: no email address on their account now." in listing
    assert 'aria-label="Send again to wrong.person@example.org' not in listing
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert 'id="send-again"' not in page
    assert "This email cannot be sent again: there is no email address on their account now." in page
    response = client.post(f"/admin/outbox/{message_id}/send-again", follow_redirects=True,
                           data={"csrf_token": csrf_from(page), "to": "wrong.person@example.org"})
    assert ("The person has no email address on their account now, so the email cannot be sent "
            "again" in response.get_data(as_text=True))
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.to_address) == ("failed", "wrong.person@example.org")
        assert db.session.execute(select(AuditEvent).where(
            AuditEvent.event == "outbox.sent_again")).first() is None


def test_send_again_of_an_invitation_goes_to_the_current_invitations_address_only(
        app, login_as, client, mail):
    """A person with no email address yet was invited to set up an online account: the
    invitation email can go again to the invitation's address while it is the current one;
    once a newer invitation replaced it (its link no longer works) it cannot."""
    admin = login_as("admin")
    with app.test_request_context():  # the invitation's link is built with url_for
        pat = factories.make_person_without_account()
        db.session.commit()
        staff = db.session.get(User, admin.id)
        invite(staff, pat, "pat@example.org")
        db.session.commit()
        (first,) = messages()
        first.status, first.attempts, first.ended_at = "failed", 1, utcnow()
        db.session.commit()
        first_id, pat_id = first.id, pat.id
    page = client.get(f"/admin/outbox/{first_id}").get_data(as_text=True)
    assert "Sending again will go to <strong>pat@example.org</strong>" in page
    response = client.post(f"/admin/outbox/{first_id}/send-again", follow_redirects=True,
                           data={"csrf_token": csrf_from(page), "to": "pat@example.org"})
    assert "The email to pat@example.org will be sent again" in response.get_data(as_text=True)
    with app.test_request_context():
        assert db.session.get(OutboxMessage, first_id).status == "pending"
        db.session.get(OutboxMessage, first_id).status = "failed"
        invite(db.session.get(User, admin.id), db.session.get(User, pat_id), "pat.new@example.org")
        db.session.commit()
    page = client.get(f"/admin/outbox/{first_id}").get_data(as_text=True)
    assert 'id="send-again"' not in page
    refused = client.post(f"/admin/outbox/{first_id}/send-again", follow_redirects=True,
                          data={"csrf_token": csrf_from(page), "to": "pat@example.org"})
    assert "the email cannot be sent again" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, first_id).status == "failed"


def test_send_again_stops_if_the_address_changed_after_the_page_was_read(app, login_as, client):
    login_as("admin")
    with app.app_context():
        jo = factories.make_user(email="jo@example.org")
        db.session.commit()
        message_id, jo_id = _failed("jo@example.org", user=jo), jo.id
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Sending again will go to <strong>jo@example.org</strong>" in page
    with app.app_context():
        db.session.get(User, jo_id).email = "jo.new@example.org"
        db.session.commit()
    response = client.post(f"/admin/outbox/{message_id}/send-again", follow_redirects=True,
                           data={"csrf_token": csrf_from(page), "to": "jo@example.org"})
    text = response.get_data(as_text=True)
    assert "email address has changed to jo.new@example.org since the page was opened" in text
    assert "Sending again will go to <strong>jo.new@example.org</strong>" in text
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.to_address) == ("failed", "jo@example.org")


def test_a_server_that_closes_a_used_connection_gets_a_fresh_one(app, app_ctx, mail):
    """Some servers take a limited number of messages per connection (421 to the next
    MAIL). Nothing about the message was said yet, so the run reconnects once and carries
    on, instead of stopping (or, before, counting an attempt against the message)."""
    class OnePerConnection(Inbox):
        def __init__(self):
            super().__init__()
            self.seen = set()

        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            if id(session) in self.seen:
                return "421 4.7.0 One message per connection, please reconnect"
            self.seen.add(id(session))
            envelope.mail_from = address
            return "250 OK"

    queue(["a@example.org", "b@example.org", "c@example.org"])
    with smtp_server(mail, OnePerConnection()) as inbox:
        report = deliver_pending()
    assert report.sent == 3 and not report.stopped
    assert inbox.recipients == ["a@example.org", "b@example.org", "c@example.org"]
    assert [m.attempts for m in messages()] == [1, 1, 1]
