"""Text messages through GOV.UK Notify (issue 16): the outbox's second channel, with the
same guarantees as email, against a local fake of Notify's API (tests/notify_fake.py)
with REC_NOTIFY_TIMEOUT of half a second."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import ContactTask
from rec_portal.notifications.outbox import deliver_pending, queue_text
from rec_portal.timeutil import utcnow
from tests import factories
from tests.concurrency import run_at_once
from tests.conftest import csrf_from
from tests.notify_fake import (
    BAD_KEY,
    BROKEN,
    NOT_A_MOBILE,
    SLOW,
    TEMPLATE_ID,
    TOO_MANY,
    notify_server,
    tls_notify,
)
from tests.smtp import Inbox, later, mail, make_all_due, messages, queue, smtp_server  # noqa: F401 - mail is a fixture

WORDS = "Recovery Education Centre: your place on Tue 3 Mar at 10:00 is confirmed."


def text_to(person=None, number="07700900123", body=WORDS):
    message = queue_text(to=number, body=body, user=person)
    db.session.commit()
    return message


def student_with_mobile(number="07700 900123"):
    person = factories.make_user()
    factories.make_student_profile(person, phone=number, contact_preference="text")
    db.session.commit()
    return person


def test_a_text_goes_to_notify_once_with_number_template_words_and_reference(app, app_ctx):
    message = text_to()
    with notify_server(app) as notify:
        report = deliver_pending()
        deliver_pending()
    assert report.sent == 1
    (request,) = notify.requests
    assert request.token_ok
    assert request.body == {"phone_number": "07700900123", "template_id": TEMPLATE_ID,
                            "personalisation": {"body": WORDS}, "reference": message.message_id}
    (row,) = messages()
    assert (row.channel, row.status, row.attempts, row.claim_token) == ("text", "sent", 1, None)
    assert row.sent_at is not None and row.awaiting_reply_at is None


def test_a_number_notify_refuses_fails_at_once_and_goes_on_the_call_list(app, app_ctx):
    person = student_with_mobile()
    text_to(person)
    with notify_server(app, NOT_A_MOBILE) as notify:
        report = deliver_pending()
        make_all_due()
        deliver_pending()
    assert report.refused == 1 and len(notify.requests) == 1  # never retried
    (row,) = messages()
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.refused_at is not None
    assert "Not a UK mobile number" in row.last_error and "400" in row.last_error
    (task,) = db.session.execute(select(ContactTask)).scalars().all()
    assert task.user_id == person.id and task.kind == "text_failed"
    assert task.reason == ("A text to 07700 900123 could not be delivered "
                           "(phone_number Not a UK mobile number)")
    assert task.message == WORDS and task.closed_at is None


def test_a_refused_text_that_belongs_to_nobody_adds_no_call_list_line(app, app_ctx):
    text_to(None)
    with notify_server(app, NOT_A_MOBILE):
        deliver_pending()
    assert messages()[0].status == "failed"
    assert db.session.execute(select(ContactTask)).scalars().all() == []


def test_busy_or_broken_notify_retries_with_growing_waits_then_sends_once(app, app_ctx, monkeypatch):
    text_to()
    with notify_server(app, TOO_MANY, BROKEN) as notify:
        first = deliver_pending()
        (row,) = messages()
        assert (row.status, row.attempts, first.retrying) == ("pending", 1, 1)
        assert "asked us to send fewer texts" in row.last_error and "429" in row.last_error
        first_wait = row.next_attempt_at - utcnow()
        with later(monkeypatch, minutes=2):
            deliver_pending()
        (row,) = messages()
        assert (row.status, row.attempts) == ("pending", 2)
        assert "500" in row.last_error
        second_wait = row.next_attempt_at - (utcnow() + timedelta(minutes=2))
        assert timedelta(seconds=30) < first_wait < second_wait
        with later(monkeypatch, minutes=10):
            done = deliver_pending()
        with later(monkeypatch, hours=5):
            deliver_pending()
    assert done.sent == 1 and len(notify.requests) == 3
    (row,) = messages()
    assert (row.status, row.attempts) == ("sent", 3)


def test_no_answer_in_time_is_unconfirmed_and_never_sent_again(app, app_ctx, monkeypatch):
    text_to()
    with notify_server(app, SLOW) as notify:
        report = deliver_pending()
        with later(monkeypatch, hours=2):
            deliver_pending()
        make_all_due()
        deliver_pending()
    assert report.unconfirmed == 1 and len(notify.requests) == 1
    (row,) = messages()
    assert (row.status, row.attempts, row.awaiting_reply_at) == ("unconfirmed", 1, None)
    assert "may have been sent" in row.last_error and "ReadTimeout" in row.last_error


def test_notify_down_hands_texts_back_without_counting_an_attempt(app, app_ctx):
    text_to()
    text_to(number="07700900456")
    with notify_server(app, running=False):
        report = deliver_pending()
    assert report.retrying == 2 and report.sent == 0
    assert "GOV.UK Notify could not be reached" in report.stopped
    rows = messages()
    assert [(m.status, m.attempts, m.awaiting_reply_at) for m in rows] == [("pending", 0, None)] * 2
    assert "Could not reach GOV.UK Notify" in rows[0].last_error
    make_all_due()
    with notify_server(app) as notify:
        deliver_pending()
    assert notify.numbers == ["07700900123", "07700900456"]
    assert [m.status for m in messages()] == ["sent", "sent"]


def test_a_tls_error_while_reading_notifys_answer_is_unconfirmed_never_resent(
        app, app_ctx, tmp_path, monkeypatch):
    """urllib3 reports a TLS failure while reading the answer as an SSLError too, but the
    text had gone: it may have been sent, so it is never sent again automatically."""
    text_to()
    with tls_notify(app, tmp_path, trusted=True) as arrived:
        report = deliver_pending()
    assert len(arrived) == 1 and b"/v2/notifications/sms" in arrived[0]  # the text went
    assert report.unconfirmed == 1 and report.retrying == 0
    (row,) = messages()
    assert (row.status, row.attempts, row.awaiting_reply_at) == ("unconfirmed", 1, None)
    assert "may have been sent" in row.last_error and "SSLError" in row.last_error
    make_all_due()
    with later(monkeypatch, hours=2), notify_server(app) as notify:
        deliver_pending()
    assert notify.requests == [] and messages()[0].status == "unconfirmed"


def test_a_certificate_that_cannot_be_verified_means_notify_was_not_reached(
        app, app_ctx, tmp_path):
    text_to()
    with tls_notify(app, tmp_path, trusted=False) as arrived:
        report = deliver_pending()
    assert arrived == [] and report.retrying == 1 and report.sent == 0
    assert "GOV.UK Notify could not be reached" in report.stopped
    (row,) = messages()
    assert (row.status, row.attempts, row.awaiting_reply_at) == ("pending", 0, None)
    assert "Could not reach GOV.UK Notify" in row.last_error
    assert "certificate verify failed" in row.last_error


def test_a_tls_handshake_that_fails_means_notify_was_not_reached(app, app_ctx):
    """Speaking TLS to a server that does not: the handshake fails, nothing was sent."""
    text_to()
    with notify_server(app) as notify:
        app.config["REC_NOTIFY_BASE_URL"] = notify.url.replace("http:", "https:")
        report = deliver_pending()
    assert notify.requests == [] and report.retrying == 1
    (row,) = messages()
    assert (row.status, row.attempts) == ("pending", 0)
    assert "Could not reach GOV.UK Notify" in row.last_error


def test_a_wrong_key_stops_the_run_and_blames_no_text(app, app_ctx, caplog):
    text_to()
    text_to(number="07700900456")
    with notify_server(app, BAD_KEY) as notify, caplog.at_level(logging.ERROR, logger="rec_portal.mail"):
        report = deliver_pending()
    assert len(notify.requests) == 1
    assert "did not accept our API key" in report.stopped and "REC_NOTIFY_API_KEY" in caplog.text
    assert [(m.status, m.attempts) for m in messages()] == [("pending", 0), ("pending", 0)]
    assert db.session.execute(select(ContactTask)).scalars().all() == []


def test_without_a_key_outside_production_texts_are_logged(app, app_ctx, caplog):
    assert not app.config["REC_NOTIFY_API_KEY"]
    text_to()
    with caplog.at_level(logging.INFO, logger="rec_portal.mail"):
        report = deliver_pending()
    assert report.logged == 1
    assert "07700900123" in caplog.text and WORDS in caplog.text
    assert messages()[0].status == "logged"


def test_without_a_key_in_production_texts_wait_and_emails_still_go(app, app_ctx, mail, caplog):
    app.config["REC_ENV"] = "production"
    try:
        text_to()
        queue(["a@example.org"])
        with smtp_server(mail, Inbox()) as inbox, caplog.at_level(logging.ERROR, logger="rec_portal.mail"):
            report = deliver_pending()
    finally:
        app.config["REC_ENV"] = "testing"
    assert inbox.recipients == ["a@example.org"] and report.sent == 1
    assert "REC_NOTIFY_API_KEY is not set" in caplog.text
    text, email = messages()
    assert (text.status, text.attempts, email.status) == ("pending", 0, "sent")


def test_an_email_failure_does_not_stop_texts_in_the_same_run(app, app_ctx, mail):
    queue(["a@example.org"])  # the mail server is not running: emails cannot go
    text_to()
    with notify_server(app) as notify:
        report = deliver_pending()
    assert notify.numbers == ["07700900123"]
    assert report.sent == 1 and "mail server could not be reached" in report.stopped
    email, text = messages()
    assert (email.channel, email.status, email.attempts) == ("email", "pending", 0)
    assert (text.channel, text.status) == ("text", "sent")


def test_a_text_failure_does_not_stop_emails_in_the_same_run(app, app_ctx, mail):
    queue(["a@example.org"])
    text_to()
    with smtp_server(mail, Inbox()) as inbox, notify_server(app, running=False):
        report = deliver_pending()
    assert inbox.recipients == ["a@example.org"]
    assert [m.status for m in messages()] == ["sent", "pending"]
    assert report.sent == 1 and report.retrying == 1


def test_two_runs_at_once_send_each_text_once(app, app_ctx):
    for n in range(6):
        text_to(number=f"0770090010{n}")
    with notify_server(app) as notify:
        reports = run_at_once(app, [deliver_pending, deliver_pending])
    assert sorted(notify.numbers) == [f"0770090010{n}" for n in range(6)]
    assert sum(r.sent for r in reports) == 6
    assert {m.status for m in messages()} == {"sent"}


def test_send_messages_sends_both_channels_and_send_mail_still_works(app, app_ctx, mail):
    queue(["a@example.org"])
    text_to()
    with smtp_server(mail, Inbox()) as inbox, notify_server(app) as notify:
        result = app.test_cli_runner().invoke(args=["rec", "send-messages"])
        assert "sent 2" in result.output
        queue(["b@example.org"])
        text_to(number="07700900456")
        old = app.test_cli_runner().invoke(args=["rec", "send-mail"])
    assert "sent 2" in old.output
    assert inbox.recipients == ["a@example.org", "b@example.org"]
    assert notify.numbers == ["07700900123", "07700900456"]
    help_text = app.test_cli_runner().invoke(args=["rec", "send-mail", "--help"]).output
    assert "The old name of send-messages" in " ".join(help_text.split())


# --- Staff: /admin/outbox ------------------------------------------------------------------


def test_admin_outbox_shows_each_message_channel_and_a_text_page(app, client, login_as):
    with app.app_context():
        person = student_with_mobile()
        queue(["a@example.org"])
        text_to(person)
        deliver_pending()  # no SMTP server, no Notify key: both logged
        text_id = messages()[1].id
    login_as("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    rows = page.split("All emails and texts")[1]
    email_row, text_row = rows.split("a@example.org")[1], rows.split("07700900123")[1]
    assert ">Email<" in email_row.split("</tr>")[0]
    assert ">Text message<" in text_row.split("</tr>")[0]
    detail = client.get(f"/admin/outbox/{text_id}").get_data(as_text=True)
    assert "Text message to 07700900123" in detail and WORDS in detail
    assert "The text’s words" in detail and "Reference given to GOV.UK Notify" in detail


def test_send_again_for_a_text_goes_to_the_persons_mobile_number_now(app, client, login_as):
    with app.app_context():
        person = student_with_mobile("07700 900123")
        text_to(person)
        with notify_server(app, NOT_A_MOBILE):
            deliver_pending()
        person.profile.phone = "+44 7700 900999"
        db.session.commit()
        text_id = messages()[0].id
    login_as("admin")
    detail = client.get(f"/admin/outbox/{text_id}").get_data(as_text=True)
    assert "Sending again will go to <strong>07700900999</strong>, the mobile number now" in detail
    assert "A line was also put on the call list" in detail
    form = detail.split('id="send-again"')[1]
    response = client.post(f"/admin/outbox/{text_id}/send-again",
                           data={"csrf_token": csrf_from(detail), "to": "07700900999"},
                           follow_redirects=True)
    assert "The text message to 07700900999 will be sent again" in response.get_data(as_text=True)
    assert 'value="07700900999"' in form
    with app.app_context():
        (row,) = messages()
        assert (row.status, row.to_address, row.attempts, row.refused_at) == ("pending", "07700900999", 0, None)
        with notify_server(app) as notify:
            deliver_pending()
        assert notify.numbers == ["07700900999"] and messages()[0].status == "sent"


def test_a_text_cannot_be_sent_again_once_the_person_has_no_mobile(app, client, login_as):
    with app.app_context():
        person = student_with_mobile()
        text_to(person)
        with notify_server(app, NOT_A_MOBILE):
            deliver_pending()
        person.profile.phone = "01632 960123"  # a landline: no texts
        db.session.commit()
        text_id = messages()[0].id
    login_as("admin")
    detail = client.get(f"/admin/outbox/{text_id}").get_data(as_text=True)
    assert "cannot be sent again: there is no mobile number on their profile now" in detail
    assert 'id="send-again"' not in detail
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Cannot be sent again: no mobile number on their profile now." in page


def test_the_data_export_lists_texts_as_texts(app, app_ctx):
    from rec_portal.data_rights.operations import collect

    person = student_with_mobile()
    queue_text(to="07700900123", body=WORDS, user=person)
    db.session.commit()
    data = collect(person)
    assert data["emails"] == []
    (text,) = data["text_messages"]
    assert (text["to"], text["text"], text["status"]) == ("07700900123", WORDS, "pending")
