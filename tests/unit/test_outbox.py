"""The outbox: written in the same transaction, delivered by send-mail, nothing lost."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.notifications.outbox import deliver_pending, queue_email
from rec_portal.timeutil import utcnow
from tests import factories
from tests.pgserver import free_port


@pytest.fixture
def smtp_config(app):
    """Point the app at a local SMTP port; restore afterwards."""
    saved = {k: app.config[k] for k in ("REC_SMTP_HOST", "REC_SMTP_PORT", "REC_SMTP_STARTTLS", "REC_SMTP_TIMEOUT")}
    port = free_port()
    app.config.update(REC_SMTP_HOST="127.0.0.1", REC_SMTP_PORT=port, REC_SMTP_STARTTLS=False, REC_SMTP_TIMEOUT=3)
    yield port
    app.config.update(saved)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _messages():
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_message_exists_only_if_its_cause_is_committed(app_ctx):
    factories.make_user(email="rolled@example.org")
    queue_email(to="rolled@example.org", subject="Hello", body="Body")
    db.session.rollback()
    assert _messages() == []

    factories.make_user(email="kept@example.org")
    queue_email(to="kept@example.org", subject="Hello", body="Body")
    db.session.commit()
    assert [m.to_address for m in _messages()] == ["kept@example.org"]


def test_without_smtp_messages_are_logged_and_kept(app_ctx, caplog):
    queue_email(to="a@example.org", subject="Your booking", body="See you on Monday")
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="rec_portal.mail"):
        report = deliver_pending()
    assert report.logged == 1
    assert "See you on Monday" in caplog.text and "a@example.org" in caplog.text
    (message,) = _messages()
    assert message.status == "logged" and message.body_text == "See you on Monday"


def test_smtp_server_down_loses_nothing_and_retries_later(app, app_ctx, smtp_config):
    from aiosmtpd.controller import Controller

    queue_email(to="a@example.org", subject="One", body="First")
    queue_email(to="b@example.org", subject="Two", body="Second")
    db.session.commit()

    # Nothing listens on the port: the server is down. The run stops; neither message is
    # blamed (no attempt counted), both record the problem and are held for the run's wait.
    report = deliver_pending()
    assert report.retrying == 2 and report.sent == 0
    first, second = _messages()
    for message in (first, second):
        assert (message.status, message.attempts) == ("pending", 0)
        assert "ConnectionRefusedError" in message.last_error
        assert message.claimed_until > utcnow() + timedelta(seconds=30)

    # Running again before the wait is over does not try again.
    assert deliver_pending().retrying == 0
    assert [m.attempts for m in _messages()] == [0, 0]

    # The server comes back; once the wait is over, both are delivered.
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_config)
    controller.start()
    try:
        for message in _messages():
            message.claimed_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        report = deliver_pending()
    finally:
        controller.stop()
    assert report.sent == 2
    assert sorted(e.rcpt_tos[0] for e in inbox.messages) == ["a@example.org", "b@example.org"]
    assert b"Subject: One" in inbox.messages[0].content
    for message in _messages():
        assert message.status == "sent" and message.sent_at is not None and message.last_error is None


def test_gives_up_after_the_maximum_attempts(app, app_ctx, smtp_config):
    from aiosmtpd.controller import Controller

    class Busy(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "451 4.2.1 Mailbox busy, try later"

    app.config["REC_MAIL_MAX_ATTEMPTS"] = 2
    controller = Controller(Busy(), hostname="127.0.0.1", port=smtp_config)
    controller.start()
    try:
        queue_email(to="a@example.org", subject="One", body="First")
        db.session.commit()
        deliver_pending()
        (message,) = _messages()
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        report = deliver_pending()
    finally:
        controller.stop()
        app.config["REC_MAIL_MAX_ATTEMPTS"] = 8
    assert report.failed == 1
    (message,) = _messages()
    assert message.status == "failed" and message.attempts == 2
    assert "Not sent after 2 attempts" in message.last_error and "451" in message.last_error


def test_send_mail_command_reports(app):
    with app.app_context():
        queue_email(to="a@example.org", subject="One", body="First")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rec", "send-mail"])
    assert result.exit_code == 0
    assert "Outbox: sent 0, logged 1" in result.output


def test_production_without_smtp_keeps_messages_waiting(app, app_ctx, caplog):
    queue_email(to="a@example.org", subject="One", body="First")
    db.session.commit()
    app.config["REC_ENV"] = "production"
    try:
        with caplog.at_level(logging.ERROR, logger="rec_portal.mail"):
            report = deliver_pending()
    finally:
        app.config["REC_ENV"] = "testing"
    assert (report.logged, report.sent) == (0, 0)
    assert "REC_SMTP_HOST is not set" in caplog.text
    assert _messages()[0].status == "pending"


def test_secret_links_are_not_logged_in_production(app, app_ctx, caplog, monkeypatch):
    from rec_portal.notifications import outbox

    queue_email(to="a@example.org", subject="Reset", body="https://x/reset-password/SECRET", contains_secret=True)
    db.session.commit()
    app.config["REC_ENV"] = "production"
    try:
        claimed = outbox._claim(10)
        text = outbox._message_for_log(claimed[0])
    finally:
        app.config["REC_ENV"] = "testing"
    assert "SECRET" not in text and "not logged" in text


def test_a_second_run_does_not_take_messages_a_first_run_is_sending(app, app_ctx):
    from rec_portal.notifications import outbox

    queue_email(to="a@example.org", subject="One", body="First")
    db.session.commit()
    first_run = outbox._claim(10)
    second_run = outbox._claim(10)
    assert [m.subject for m in first_run] == ["One"] and second_run == []
