"""The outbox under faults (issue 14): per-message outcomes, one claim per message, no
resend in doubt, a stable Message-ID, expiry and retention. Each test talks to a local
SMTP server (aiosmtpd, or a scripted socket server) with timeouts of a fraction of a
second."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import AuditEvent, OutboxMessage
from rec_portal.notifications import outbox
from rec_portal.notifications.outbox import deliver_pending, queue_email
from rec_portal.timeutil import utcnow
from tests import factories
from tests.concurrency import run_at_once
from tests.conftest import count_statements, csrf_from
from tests.smtp import Inbox, later, make_all_due, mail, messages, queue, scripted_server, smtp_server  # noqa: F401 - mail is a fixture

# --- One refused message does not stop the run -------------------------------------------


def test_a_refused_recipient_fails_alone_and_the_rest_are_sent(app, app_ctx, mail):
    addresses = [f"person{n:02}@example.org" for n in range(16)]
    queue(addresses)
    inbox = Inbox(refuse={"person02@example.org": "550 5.1.1 No such user here"})
    with smtp_server(mail, inbox):
        result = app.test_cli_runner().invoke(args=["rec", "send-mail"])
    assert inbox.recipients == [a for a in addresses if a != "person02@example.org"]
    assert "sent 15" in result.output and "refused 1" in result.output
    refused = messages()[2]
    assert (refused.status, refused.attempts) == ("failed", 1)
    assert "refused this address for good" in refused.last_error and "550" in refused.last_error
    assert refused.refused_at is not None
    assert {m.status for m in messages() if m.id != refused.id} == {"sent"}


def test_a_temporary_refusal_retries_only_that_message(app, app_ctx, mail):
    queue(["a@example.org", "busy@example.org", "c@example.org"])
    inbox = Inbox(refuse={"busy@example.org": "451 4.2.1 Mailbox busy, try later"})
    with smtp_server(mail, inbox):
        report = deliver_pending()
    assert inbox.recipients == ["a@example.org", "c@example.org"]
    assert (report.sent, report.retrying, report.refused) == (2, 1, 0)
    first, busy, third = messages()
    assert (first.status, third.status) == ("sent", "sent")
    assert (busy.status, busy.attempts) == ("pending", 1)
    assert "try this address again later" in busy.last_error
    assert busy.next_attempt_at > utcnow() + timedelta(seconds=30)


def test_an_address_the_server_cannot_take_fails_for_good(app, app_ctx, mail):
    queue(["a@example.org", "zoë@example.org", "c@example.org"])
    with smtp_server(mail, Inbox(), smtputf8=False) as inbox:
        report = deliver_pending()
    assert inbox.recipients == ["a@example.org", "c@example.org"]
    assert (report.sent, report.refused, report.retrying) == (2, 1, 0)
    zoe = messages()[1]
    assert zoe.status == "failed" and "characters (such as accents)" in zoe.last_error


def test_our_sender_refused_stops_the_run_without_blaming_messages(app, app_ctx, mail, caplog):
    class RefusesSender(Inbox):
        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            return "553 5.7.1 Sender address rejected"

    queue(["a@example.org", "b@example.org"])
    with smtp_server(mail, RefusesSender()), caplog.at_level(logging.ERROR, logger="rec_portal.mail"):
        report = deliver_pending()
    assert "refused our sender address" in caplog.text and "REC_MAIL_FROM" in caplog.text
    assert report.stopped and report.retrying == 2
    assert [(m.status, m.attempts) for m in messages()] == [("pending", 0), ("pending", 0)]


# --- Connection failures: retry what cannot have arrived, never what may have -----------


def test_a_drop_mid_message_is_retried_and_the_rest_handed_back(app, app_ctx, mail, monkeypatch):
    queue(["a@example.org", "b@example.org"])
    with scripted_server(mail, replies={"DATA": "354-then-drop"}):
        report = deliver_pending()
    assert report.retrying == 2 and report.unconfirmed == 0
    first, second = messages()
    assert (first.status, first.attempts, second.status, second.attempts) == ("pending", 1, "pending", 0)
    make_all_due()
    with smtp_server(mail, Inbox()) as inbox:
        deliver_pending()
    assert inbox.recipients == ["a@example.org", "b@example.org"]


def test_a_server_that_never_greets_stops_the_run_quickly(app, app_ctx, mail):
    queue(["a@example.org", "b@example.org"])
    started = time.monotonic()
    with scripted_server(mail, greeting=None):
        report = deliver_pending()
    assert time.monotonic() - started < 3
    assert report.retrying == 2 and report.sent == 0
    assert [m.status for m in messages()] == ["pending", "pending"]


def test_a_late_answer_after_data_is_waited_for_and_sent_once(app, app_ctx, mail, monkeypatch):
    """The server answers after REC_SMTP_TIMEOUT (0.5 s) but within REC_SMTP_DATA_TIMEOUT."""
    queue(["a@example.org"])
    with smtp_server(mail, Inbox(delay=1.0)) as inbox:
        report = deliver_pending()
        with later(monkeypatch, hours=2):
            deliver_pending()
    assert report.sent == 1
    assert inbox.recipients == ["a@example.org"]
    (message,) = messages()
    assert message.status == "sent" and message.attempts == 1


def test_no_answer_after_data_is_unconfirmed_and_never_resent(app, app_ctx, mail, monkeypatch, client, login_as):
    app.config["REC_SMTP_DATA_TIMEOUT"] = 0.6
    queue(["a@example.org", "b@example.org"])
    with smtp_server(mail, Inbox(delay=[2])) as inbox:
        report = deliver_pending()
        with later(monkeypatch, hours=2):
            again = deliver_pending()
    # The first message may have arrived: it is not sent again; the second was handed back
    # (the run stopped) and went out on the next run.
    assert (report.unconfirmed, report.retrying) == (1, 1)
    assert inbox.recipients == ["a@example.org", "b@example.org"]
    assert again.sent == 1
    first = messages()[0]
    assert first.status == "unconfirmed" and "may have been delivered" in first.last_error


def test_a_connection_dropped_after_data_is_unconfirmed(app, app_ctx, mail, monkeypatch):
    queue(["a@example.org"])
    with smtp_server(mail, Inbox(drop_after_data=True)) as inbox:
        report = deliver_pending()
        with later(monkeypatch, hours=2):
            deliver_pending()
    assert report.unconfirmed == 1 and inbox.recipients == ["a@example.org"]
    assert messages()[0].status == "unconfirmed"


def test_a_run_killed_while_waiting_for_the_answer_is_not_resent(app, mail, monkeypatch, client, login_as):
    """The run dies right after the final "." went to the server (e.g. the process was
    killed): a later run finds the claim lapsed and marks the message unconfirmed."""
    import smtplib

    real_send = smtplib.SMTP.send

    def send_then_die(self, data):
        real_send(self, data)
        if isinstance(data, bytes) and (data == b".\r\n" or data.endswith(b"\r\n.\r\n")):
            raise SystemExit("killed")

    with app.app_context():
        queue(["a@example.org"])
        with smtp_server(mail, Inbox()) as inbox:
            monkeypatch.setattr(smtplib.SMTP, "send", send_then_die)
            with pytest.raises(SystemExit):
                deliver_pending()
            monkeypatch.setattr(smtplib.SMTP, "send", real_send)
            db.session.rollback()
            with later(monkeypatch, hours=2):
                report = deliver_pending()
        assert inbox.recipients == ["a@example.org"]  # received once, not again
        assert report.unconfirmed == 1
        (message,) = messages()
        assert message.status == "unconfirmed" and message.claim_token is None
    login_as("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    attention = page.split('id="needs-attention"')[1].split("All emails")[0]
    assert "Needs attention (1)" in attention and "a@example.org" in attention
    assert "Unconfirmed" in attention and "The sending run stopped while waiting" in attention
    assert "Send again" in attention


# --- No two runs hold the same message ----------------------------------------------------


def test_two_runs_with_a_slow_server_send_each_message_once(app, app_ctx, mail, monkeypatch):
    """The lease (1 s) is shorter than the whole run (10 messages, 0.2 s each); the second
    run starts once the first run's original lease has lapsed."""
    app.config["REC_MAIL_CLAIM_LEASE_SECONDS"] = 1
    monkeypatch.setattr(outbox, "CLAIM_LEASE", timedelta(seconds=1), raising=False)  # f424178
    queue([f"person{n}@example.org" for n in range(10)])

    def second_run():
        time.sleep(1.2)
        return deliver_pending()

    with smtp_server(mail, Inbox(delay=0.2)) as inbox:
        reports = run_at_once(app, [deliver_pending, second_run])
    assert inbox.recipients == sorted(f"person{n}@example.org" for n in range(10))
    assert sum(r.sent for r in reports) == 10
    assert {(m.status, m.claim_token) for m in messages()} == {("sent", None)}


def test_a_message_taken_by_another_run_is_skipped(app, app_ctx, mail):
    queue(["a@example.org", "b@example.org"])
    claimed = outbox._claim(10)
    # The second message is lost to another run (its lease lapsed, another token took it).
    taken = messages()[1]
    taken.claim_token = "another-run"
    db.session.commit()
    report = outbox.DeliveryReport()
    with smtp_server(mail, Inbox()) as inbox:
        outbox._deliver(claimed, outbox.SmtpTransport(), report)
    assert inbox.recipients == ["a@example.org"] and report.sent == 1
    assert (messages()[1].status, messages()[1].claim_token) == ("pending", "another-run")


def test_the_lease_must_outlast_the_longest_send(monkeypatch, tmp_path):
    from rec_portal.config import ConfigError, load_config

    monkeypatch.setenv("REC_SMTP_DATA_TIMEOUT", "600")
    monkeypatch.setenv("REC_SMTP_TIMEOUT", "20")
    monkeypatch.setenv("REC_MAIL_CLAIM_LEASE_SECONDS", "700")
    with pytest.raises(ConfigError, match="REC_MAIL_CLAIM_LEASE_SECONDS"):
        load_config(str(tmp_path))
    monkeypatch.setenv("REC_MAIL_CLAIM_LEASE_SECONDS", "900")
    assert load_config(str(tmp_path))["REC_MAIL_CLAIM_LEASE_SECONDS"] == 900


# --- Message-ID, expiry -----------------------------------------------------------------


def test_the_message_id_is_the_same_on_every_attempt(app, app_ctx, mail):
    queue(["a@example.org"])
    with smtp_server(mail, Inbox(data_replies=["451 4.3.0 Try again later"])) as inbox:
        deliver_pending()
        make_all_due()
        deliver_pending()
    (message,) = messages()
    assert message.status == "sent"
    ids = [m["Message-ID"] for _, m in inbox.received]
    assert len(ids) == 2 and ids[0] == ids[1] == message.message_id


def test_a_reset_email_past_its_link_expiry_is_not_sent(app, mail, web, monkeypatch):
    with app.app_context():
        factories.make_user(email="jo@example.org")
        db.session.commit()
    web.submit("/forgot-password", {"email": "jo@example.org"}, page="/forgot-password")
    with app.app_context(), smtp_server(mail, Inbox()) as inbox:
        with later(monkeypatch, minutes=61):  # the link lasts 60 minutes
            report = deliver_pending()
        assert report.expired == 1 and report.sent == 0 and inbox.received == []
        (message,) = messages()
        assert message.status == "expired" and "only useful until" in message.last_error


def test_a_message_that_expires_while_waiting_its_turn_is_not_sent(app, app_ctx, mail, monkeypatch):
    """Re-checked just before sending: expired after the claim, before its turn."""
    queue(["a@example.org"], expires_at=utcnow() + timedelta(minutes=5))
    claimed = outbox._claim(10)
    report = outbox.DeliveryReport()
    with smtp_server(mail, Inbox()) as inbox, later(monkeypatch, minutes=6):
        outbox._deliver(claimed, outbox.SmtpTransport(), report)
    assert report.expired == 1 and inbox.received == []
    assert messages()[0].status == "expired"


def test_booking_emails_expire_when_the_session_is_over(app, login_as, web):
    """A place booked is worth telling until the session ends (walk-ins are added to a
    session under way); a waiting-list place only until it starts (tests/unit/test_outbox_review.py)."""
    me = login_as("student")
    with app.app_context():
        session = factories.make_session(course=factories.make_course(slug="staying-safe"))
        db.session.commit()
        session_id, ends_at = session.id, session.ends_at
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    with app.app_context():
        (message,) = messages()
        assert message.to_address == me.email and message.expires_at == ends_at


# --- The person is told; staff can send again -----------------------------------------


def test_the_person_is_warned_when_mail_to_their_address_is_refused(app, mail, login_as, client):
    me = login_as("student")
    assert "We could not email you" not in client.get("/my/account").get_data(as_text=True)
    with app.app_context():
        queue_email(to=me.email, user=me, subject="Hello", body="Hello")
        db.session.commit()
        with smtp_server(mail, Inbox(refuse={me.email: "550 5.1.1 Mailbox unavailable"})):
            deliver_pending()
    for url in ("/my/account", "/my/courses"):
        page = client.get(url).get_data(as_text=True)
        assert f"emails to {me.email} have not reached you" in page, url
        assert "check your email address is right" in page
    # Once a message to that address is delivered, the warning goes.
    with app.app_context():
        queue_email(to=me.email, subject="Hello again", body="Hello")
        db.session.commit()
        with smtp_server(mail, Inbox()):
            deliver_pending()
    assert "We could not email you" not in client.get("/my/account").get_data(as_text=True)


def test_undelivered_warning_is_one_query(app, app_ctx):
    user = factories.make_user(email="one@example.org")
    db.session.commit()
    assert user.email == "one@example.org"  # loaded before counting
    with count_statements(app) as statements:
        outbox.undelivered_since(user)
    assert len([s for s in statements if not s.startswith("BEGIN")]) == 1


def _failed_message(to="jo@example.org", **values):
    factories.make_user(email=to)
    message = queue_email(to=to, subject="A place is yours", body="Details")
    db.session.flush()
    for key, value in {"status": "failed", "attempts": 1, "refused_at": utcnow(), "ended_at": utcnow(),
                       "last_error": "The receiving mail server refused this address for good (550).",
                       **values}.items():
        setattr(message, key, value)
    db.session.commit()
    return message.id, message.message_id


def test_admin_sends_a_failed_message_again_with_the_same_message_id(app, login_as, client, mail):
    admin = login_as("admin")
    with app.app_context():
        message_id, header = _failed_message()
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Not delivered" in page and "refused this address for good" in page
    assert client.post(f"/admin/outbox/{message_id}/send-again").status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "failed"
    response = client.post(f"/admin/outbox/{message_id}/send-again", data={"csrf_token": csrf_from(page)},
                           follow_redirects=True)
    assert "will be sent again within a few minutes" in response.get_data(as_text=True)
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        assert (message.status, message.attempts) == ("pending", 0)
        event = db.session.execute(select(AuditEvent).where(AuditEvent.event == "outbox.sent_again")).scalar_one()
        assert event.actor_id == admin.id and "jo@example.org" in event.detail
        with smtp_server(mail, Inbox()) as inbox:
            deliver_pending()
    assert [m["Message-ID"] for _, m in inbox.received] == [header]


def test_an_expired_message_cannot_be_sent_again(app, login_as, client):
    login_as("admin")
    with app.app_context():
        message_id, _ = _failed_message(status="expired")
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "Send again" not in page
    response = client.post(f"/admin/outbox/{message_id}/send-again", data={"csrf_token": csrf_from(page)},
                           follow_redirects=True)
    assert "Only a failed or unconfirmed message can be sent again" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "expired"


@pytest.mark.parametrize("role", ["student", "facilitator"])
def test_only_admins_can_send_again(app, login_as, client, role):
    login_as(role)
    with app.app_context():
        message_id, _ = _failed_message()
    token = csrf_from(client.get("/my/account").get_data(as_text=True))
    response = client.post(f"/admin/outbox/{message_id}/send-again", data={"csrf_token": token})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "failed"


def test_admin_home_counts_what_needs_attention(app, login_as, client):
    login_as("admin")
    with app.app_context():
        _failed_message()
        _failed_message(to="sam@example.org", status="unconfirmed")
    page = client.get("/admin").get_data(as_text=True)
    assert "2 messages (emails or texts) could not be delivered or may not have arrived" in page


# --- Retention --------------------------------------------------------------------------


def test_purge_sent_bodies_keeps_the_record_and_deletes_the_text(app, app_ctx, login_as, client):
    now = utcnow()
    queue(["old@example.org", "recent@example.org", "waiting@example.org", "failed@example.org"],
           attachment=("rec-session.ics", "text/calendar", "BEGIN:VCALENDAR"))
    old, recent, waiting, failed = messages()
    old.status, old.sent_at = "sent", now - timedelta(days=31)
    recent.status, recent.sent_at = "sent", now - timedelta(days=29)
    waiting.created_at = now - timedelta(days=40)  # still pending: kept whole
    failed.status, failed.ended_at = "failed", now - timedelta(days=31)
    db.session.commit()
    header = old.message_id
    assert outbox.purge_sent_bodies(now=now) == 2
    db.session.commit()
    old, recent, waiting, failed = messages()
    for purged in (old, failed):
        assert (purged.body_text, purged.subject, purged.attachment_body, purged.attachment_filename) == ("", "", None, None)
        assert purged.purged_at == now
    assert (old.to_address, old.status, old.message_id, old.sent_at is not None) == ("old@example.org", "sent", header, True)
    assert recent.body_text == "Hello 1" and waiting.body_text == "Hello 2"
    old_id = old.id
    assert outbox.purge_sent_bodies(now=now) == 0  # safe to run again
    db.session.commit()
    login_as("admin")
    page = client.get(f"/admin/outbox/{old_id}").get_data(as_text=True)
    assert "were deleted on" in page and "kept for 30 days" in page and "Hello 0" not in page
