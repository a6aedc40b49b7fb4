"""Two send-mail runs at once on PostgreSQL send each message once."""

import asyncio
import socket

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.notifications.outbox import deliver_pending, queue_email
from tests.concurrency import run_at_once

pytestmark = pytest.mark.pg


class SlowInbox:
    def __init__(self):
        self.recipients = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.2)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


def test_overlapping_runs_do_not_send_twice(pg_app, pg_client):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: pg_app.config[k] for k in ("REC_SMTP_HOST", "REC_SMTP_PORT", "REC_SMTP_STARTTLS")}
    pg_app.config.update(REC_SMTP_HOST="127.0.0.1", REC_SMTP_PORT=port, REC_SMTP_STARTTLS=False)
    try:
        with pg_app.app_context():
            for n in range(4):
                queue_email(to=f"person{n}@example.org", subject=f"Message {n}", body="Hello")
            db.session.commit()
        reports = run_at_once(pg_app, [deliver_pending, deliver_pending])
    finally:
        pg_app.config.update(saved)
        controller.stop()
    assert sorted(inbox.recipients) == [f"person{n}@example.org" for n in range(4)]
    assert sum(r.sent for r in reports) == 4
    with pg_app.app_context():
        assert {m.status for m in db.session.execute(select(OutboxMessage)).scalars()} == {"sent"}
