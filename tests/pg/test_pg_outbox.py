"""Two send-mail runs at once on PostgreSQL send each message once."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.notifications.outbox import deliver_pending, queue_email
from tests.concurrency import run_at_once
from tests.smtp import Inbox, local_mail_settings, smtp_server

pytestmark = pytest.mark.pg


def test_overlapping_runs_do_not_send_twice(pg_app, pg_client):
    with local_mail_settings(pg_app) as port, smtp_server(port, Inbox(delay=0.2)) as inbox:
        with pg_app.app_context():
            for n in range(4):
                queue_email(to=f"person{n}@example.org", subject=f"Message {n}", body="Hello")
            db.session.commit()
        reports = run_at_once(pg_app, [deliver_pending, deliver_pending])
    assert inbox.recipients == [f"person{n}@example.org" for n in range(4)]
    assert sum(r.sent for r in reports) == 4
    with pg_app.app_context():
        assert {m.status for m in db.session.execute(select(OutboxMessage)).scalars()} == {"sent"}


def test_a_run_that_outlives_its_first_lease_keeps_its_messages(pg_app, pg_client, monkeypatch):
    """Issue 14: 10 queued, a slow server (0.2 s a message), a 1 s lease, and a second run
    starting once the first run's original lease has lapsed: each message is received
    exactly once, because the first run renews its claim before each send and the second
    run skips rows held by another claim token."""
    import time

    from rec_portal.notifications import outbox

    monkeypatch.setattr(outbox, "CLAIM_LEASE", timedelta(seconds=1), raising=False)  # as on f424178

    def second_run():
        time.sleep(1.2)
        return deliver_pending()

    with local_mail_settings(pg_app, REC_SMTP_DATA_TIMEOUT=2, REC_MAIL_CLAIM_LEASE_SECONDS=1) as port, \
            smtp_server(port, Inbox(delay=0.2)) as inbox:
        with pg_app.app_context():
            for n in range(10):
                queue_email(to=f"late{n}@example.org", subject=f"Message {n}", body="Hello")
            db.session.commit()
        reports = run_at_once(pg_app, [deliver_pending, second_run])
    assert sorted(inbox.recipients) == sorted(f"late{n}@example.org" for n in range(10))
    assert sum(r.sent for r in reports) == 10
    with pg_app.app_context():
        rows = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.to_address.like("late%"))
        ).scalars().all()
        assert {(m.status, m.claim_token, m.attempts) for m in rows} == {("sent", None, 1)}


def test_send_again_from_a_page_loaded_before_the_message_was_sent_does_not_resend(pg_app, pg_client):
    """Two admins (or a double click) press Send again on a failed message. The second
    request read the message while it was still failed; by the time it writes, the first
    one's Send again has been committed and send-mail has delivered it. The second must
    not queue it once more (that would send it twice), nor clear a run's claim."""
    from rec_portal.errors import DomainError
    from rec_portal.notifications import outbox
    from rec_portal.timeutil import utcnow
    from tests import factories

    with pg_app.app_context():
        admin = factories.make_user(roles=("admin",))
        message = queue_email(to="twice@example.org", subject="A place is yours", body="Details")
        db.session.flush()
        message.status, message.ended_at, message.attempts = "failed", utcnow(), 1
        db.session.commit()
        message_id, admin_id = message.id, admin.id

    with pg_app.app_context():  # the second request: reads the message (still failed)
        stale = db.session.get(OutboxMessage, message_id)
        assert stale.status == "failed"
        with pg_app.app_context():  # meanwhile: the first request, then send-mail
            from rec_portal.models import User

            first = db.session.get(OutboxMessage, message_id)
            outbox.send_again(first, db.session.get(User, admin_id))
            db.session.commit()
            first.status, first.sent_at = "sent", utcnow()
            db.session.commit()
        from rec_portal.models import User

        with pytest.raises(DomainError):
            outbox.send_again(stale, db.session.get(User, admin_id))
        db.session.commit()

    with pg_app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "sent"


def test_an_outage_holds_messages_without_attempts_and_staff_are_told(pg_app, pg_client, monkeypatch):
    """Issue 14 follow-up, on PostgreSQL: with nothing listening on the mail port, every run
    hands its messages back without an attempt (held for the run's wait), keeping the
    problem; after 45 minutes /admin says emails are not going out."""
    from rec_portal.notifications import outbox
    from rec_portal.timeutil import utcnow
    from tests import factories
    from tests.conftest import Browserless

    with local_mail_settings(pg_app):  # nothing listens on its port
        with pg_app.app_context():
            for n in range(3):
                queue_email(to=f"outage{n}@example.org", subject=f"Message {n}", body="Hello")
            admin = factories.make_user(roles=("admin",))
            db.session.commit()
            admin_email = admin.email
            start = utcnow()  # after the messages were queued
            for hours in range(3, 28, 3):
                monkeypatch.setattr(outbox, "utcnow", lambda h=hours: start + timedelta(hours=h))
                report = deliver_pending()
                assert report.retrying == 3 and report.failed == 0
            db.session.expire_all()
            rows = db.session.execute(
                select(OutboxMessage).where(OutboxMessage.to_address.like("outage%"))
            ).scalars().all()
            assert {(m.status, m.attempts, m.claim_token) for m in rows} == {("pending", 0, None)}
            assert all("Could not reach the mail server" in m.last_error for m in rows)
    monkeypatch.setattr(outbox, "utcnow", lambda: start + timedelta(minutes=45))
    staff = Browserless(pg_client)
    staff.login(admin_email)
    page = pg_client.get("/admin").get_data(as_text=True)
    assert "Emails are not going out" in page and "has waited 45 minutes" in page


def test_overlapping_runs_send_each_text_once(pg_app, pg_client):
    """Texts (issue 16) have the same guarantee on PostgreSQL: two runs at once, each text
    reaches Notify once (FOR UPDATE SKIP LOCKED claims, checked before each send)."""
    from rec_portal.notifications.outbox import queue_text
    from tests.notify_fake import notify_server

    with pg_app.app_context():
        for n in range(6):
            queue_text(to=f"0770090020{n}", body=f"Recovery Education Centre: text {n}")
        db.session.commit()
    with notify_server(pg_app) as notify:
        reports = run_at_once(pg_app, [deliver_pending, deliver_pending])
    assert sorted(notify.numbers) == [f"0770090020{n}" for n in range(6)]
    assert sum(r.sent for r in reports) == 6
    with pg_app.app_context():
        rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.channel == "text")).scalars().all()
        assert {(m.status, m.attempts) for m in rows} == {("sent", 1)}
