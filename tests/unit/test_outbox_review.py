"""Review of the outbox rewrite (issue 14): faults found by attacking it. Each test talks
to a local SMTP server (aiosmtpd) with timeouts of a fraction of a second."""

from __future__ import annotations

import smtplib

from sqlalchemy import update

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.notifications import outbox
from tests.smtp import (  # noqa: F401 - mail is a fixture
    Inbox,
    messages,
    queue,
    mail,
    smtp_server,
)


def test_a_claim_lost_before_the_final_dot_is_not_sent(app, app_ctx, mail, monkeypatch):
    """The run's lease lapsed while it talked to the server (a stall, a paused process) and
    another run took the message: the marker finds the claim gone, so the final "." is
    never sent (the other run sends it), and nothing is written over the other run's claim."""
    queue(["a@example.org", "b@example.org"])
    claimed = outbox._claim(10)
    real_rcpt = smtplib.SMTP.rcpt

    def rcpt_then_lose_claim(self, recip, options=()):
        reply = real_rcpt(self, recip, options)
        if recip == "a@example.org":  # meanwhile another run takes this message
            db.session.execute(update(OutboxMessage).where(OutboxMessage.to_address == recip)
                               .values(claim_token="another-run"))
            db.session.commit()
        return reply

    monkeypatch.setattr(smtplib.SMTP, "rcpt", rcpt_then_lose_claim)
    report = outbox.DeliveryReport()
    with smtp_server(mail, Inbox()) as inbox:
        outbox._deliver(claimed, outbox.SmtpTransport(), report)
    assert inbox.recipients == ["b@example.org"]  # "a" is left to the run that holds it
    first, second = messages()
    assert (first.status, first.claim_token, first.awaiting_reply_at, first.attempts) == (
        "pending", "another-run", None, 0)
    assert second.status == "sent" and report.sent == 1


# --- Expiry: a place given once the session is under way is still told ------------------


def _started_session(app, *, dates):
    """A session that started 2 hours ago (each date 3 hours long), one person waiting."""
    from tests import factories

    with app.app_context():
        session = factories.make_session(course=factories.make_course(slug="staying-safe"),
                                         starts_in_days=-2 / 24, hours=3, capacity=1, dates=dates)
        factories.fill_places(session, 1)
        (waiting,) = factories.fill_places(session, 1, status="waitlisted")
        jo = factories.make_user(full_name="Jo Williams", email="jo@example.org")
        db.session.commit()
        return session.id, waiting.id, waiting.student.email, jo.id


def _delivered_to(app, address):
    from sqlalchemy import select

    with app.app_context():
        report = outbox.deliver_pending()  # no SMTP server in tests: logged
        statuses = db.session.execute(
            select(OutboxMessage.status).where(OutboxMessage.to_address == address)
        ).scalars().all()
    return report, statuses


def test_a_walk_in_on_a_session_under_way_gets_the_email_staff_are_told_of(app, web, client, login_as):
    login_as("admin")
    session_id, _, _, jo_id = _started_session(app, dates=1)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/sessions/{session_id}/walk-ins", {"student_id": jo_id}, page=page)
    assert "They have been sent an email with the details" in client.get(page).get_data(as_text=True)
    report, statuses = _delivered_to(app, "jo@example.org")
    assert statuses == ["logged"] and report.expired == 0


def test_a_place_given_after_the_first_date_of_a_course_is_told(app, web, client, login_as):
    """Six weekly dates, the first under way: "a place is yours" is still worth sending."""
    login_as("admin")
    session_id, waiting_id, address, _ = _started_session(app, dates=6)
    page = f"/admin/courses/sessions/{session_id}/bookings"
    web.submit(f"/admin/courses/bookings/{waiting_id}/give-place", {}, page=page)
    assert "now has a place" in client.get(page).get_data(as_text=True)
    report, statuses = _delivered_to(app, address)
    assert statuses == ["logged"] and report.expired == 0


def test_a_waiting_list_place_expires_when_the_session_starts(app, login_as, web):
    from tests import factories

    login_as("student")
    with app.app_context():
        session = factories.make_session(course=factories.make_course(slug="staying-safe"), capacity=1)
        factories.fill_places(session, 1)
        db.session.commit()
        session_id, starts_at = session.id, session.starts_at
    web.submit(f"/sessions/{session_id}/book", {}, page="/courses/staying-safe")
    with app.app_context():
        (message,) = messages()
        assert "waiting list" in message.subject and message.expires_at == starts_at


# --- The person's warning ---------------------------------------------------------------


def test_the_warning_is_not_shown_to_another_account_that_takes_on_the_address(app, mail, login_as, client):
    """Jo's emails to jo@example.org were refused; Jo changed address, and later Sam's
    account uses jo@example.org. Sam was never emailed there: no warning about it (and
    nothing about Jo's mail)."""
    from tests import factories

    with app.app_context():
        jo = factories.make_user(email="jo@example.org")
        db.session.commit()
        outbox.queue_email(to=jo.email, user=jo, subject="Hello", body="Hello")
        db.session.commit()
        with smtp_server(mail, Inbox(refuse={"jo@example.org": "550 5.1.1 Mailbox unavailable"})):
            outbox.deliver_pending()
        jo.email = "jo.new@example.org"
        db.session.commit()
    login_as("student", email="jo@example.org")
    for url in ("/my/account", "/my/courses"):
        page = client.get(url).get_data(as_text=True)
        assert "We could not email you" not in page and "not been able to deliver" not in page, url


# --- International addresses --------------------------------------------------------------


def test_an_international_domain_is_sent_as_ascii_to_a_server_without_smtputf8(app, app_ctx, mail):
    """Registration accepts jo@bücher.de. Only the domain has an accent, and a domain has
    an ASCII form (IDNA), so no SMTPUTF8 is needed: it is delivered, To: header included.
    A local part with an accent still needs SMTPUTF8."""
    queue(["jo@bücher.de", "zoë@example.org"])
    with smtp_server(mail, Inbox(), smtputf8=False) as inbox:
        report = outbox.deliver_pending()
    assert inbox.recipients == ["jo@xn--bcher-kva.de"]
    assert inbox.received[0][1]["To"] == "jo@xn--bcher-kva.de"
    assert (report.sent, report.refused) == (1, 1)
    jo, zoe = messages()
    assert jo.status == "sent" and jo.to_address == "jo@bücher.de"
    assert zoe.status == "failed" and "characters (such as accents)" in zoe.last_error


# --- Data rights: an address taken on by another account -------------------------------------


def test_data_download_and_deletion_leave_out_emails_to_the_address_before_it_was_theirs(app, app_ctx):
    """Jo's booking emails went to jo@example.org; Jo moved to a new address and Sam's
    account now uses jo@example.org. Sam's data download must not hold Jo's emails, and
    deleting Sam's account must not delete them (they are in Jo's download)."""
    from rec_portal.data_rights.operations import anonymise, collect
    from tests import factories

    jo = factories.make_user(email="jo@example.org")
    db.session.flush()
    outbox.queue_email(to="jo@example.org", user=jo, subject="Staying Safe: your place is booked",
                       body="Dear Jo, see you on Monday")
    outbox.queue_email(to="jo@example.org", subject="Confirm your email address", body="A link")
    db.session.commit()
    jo.email = "jo.new@example.org"
    sam = factories.make_user(email="jo@example.org")
    db.session.commit()
    subjects = [e["subject"] for e in collect(sam)["emails"]]
    assert subjects == ["Confirm your email address"]  # to the address, no account's
    assert "Dear Jo" not in str(collect(sam))
    anonymise(sam)
    db.session.commit()
    assert [e["body"] for e in collect(jo)["emails"]] == ["Dear Jo, see you on Monday"]
