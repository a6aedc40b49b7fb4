"""Review of the outbox rewrite (issue 14): faults found by attacking it. Each test talks
to a local SMTP server (aiosmtpd) with timeouts of a fraction of a second."""

from __future__ import annotations

import smtplib

from sqlalchemy import update

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.notifications import outbox
from tests.unit.test_outbox_delivery import (  # noqa: F401 - fixtures
    Inbox,
    _messages,
    _queue,
    mail,
    smtp_server,
)


def test_a_claim_lost_before_the_final_dot_is_not_sent(app, app_ctx, mail, monkeypatch):
    """The run's lease lapsed while it talked to the server (a stall, a paused process) and
    another run took the message: the marker finds the claim gone, so the final "." is
    never sent (the other run sends it), and nothing is written over the other run's claim."""
    _queue(["a@example.org", "b@example.org"])
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
    first, second = _messages()
    assert (first.status, first.claim_token, first.awaiting_reply_at, first.attempts) == (
        "pending", "another-run", None, 0)
    assert second.status == "sent" and report.sent == 1
