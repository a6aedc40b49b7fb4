"""The email outbox.

``queue_email`` adds a row to the current transaction, so a message exists exactly when
the change that caused it is committed. ``deliver_pending`` (the ``rec send-mail``
command) sends due messages over SMTP, retrying with growing waits; with no SMTP server
configured it writes each message to the log and marks it ``logged``. A message is only
marked sent after the SMTP server accepted it, so nothing is lost when the server is down.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models.outbox import FAILED, LOGGED, PENDING, SENT, OutboxMessage
from rec_portal.timeutil import utcnow

log = logging.getLogger("rec_portal.mail")

# Wait before attempt n+1 (after n failures); the last value repeats.
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720)]


def queue_email(*, to: str, subject: str, body: str, contains_secret: bool = False) -> OutboxMessage:
    message = OutboxMessage(
        to_address=to, subject=subject, body_text=body, contains_secret=contains_secret
    )
    db.session.add(message)
    return message


def backoff_after(failures: int) -> timedelta:
    return BACKOFF[min(max(failures, 1), len(BACKOFF)) - 1]


@dataclass
class DeliveryReport:
    sent: int = 0
    logged: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, logged {self.logged}, will retry {self.retrying}, "
            f"gave up {self.failed}"
        )


def _build(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["REC_MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="rec-portal")
    email.set_content(message.body_text)
    return email


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    host, port, timeout = cfg["REC_SMTP_HOST"], cfg["REC_SMTP_PORT"], cfg["REC_SMTP_TIMEOUT"]
    if cfg["REC_SMTP_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if cfg["REC_SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if cfg["REC_SMTP_USERNAME"]:
        smtp.login(cfg["REC_SMTP_USERNAME"], cfg["REC_SMTP_PASSWORD"] or "")
    return smtp


def deliver_pending(limit: int = 200) -> DeliveryReport:
    """Send the messages that are due. Commits after each message."""
    report = DeliveryReport()
    now = utcnow()
    due = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).scalars().all()
    if not due:
        return report
    if not current_app.config["REC_SMTP_HOST"]:
        for message in due:
            log.info(
                "no SMTP server configured; email %s to %s\nSubject: %s\n\n%s",
                message.id, message.to_address, message.subject, message.body_text,
            )
            message.status = LOGGED
            message.sent_at = utcnow()
            report.logged += 1
        db.session.commit()
        return report

    smtp = None
    max_attempts = current_app.config["REC_MAIL_MAX_ATTEMPTS"]
    for message in due:
        message.attempts += 1
        try:
            if smtp is None:
                smtp = _connect()
            smtp.send_message(_build(message))
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            message.last_error = error
            if message.attempts >= max_attempts:
                message.status = FAILED
                report.failed += 1
                log.error("email %s failed for good after %s attempts: %s",
                          message.id, message.attempts, error)
            else:
                message.next_attempt_at = utcnow() + backoff_after(message.attempts)
                report.retrying += 1
                log.warning("email %s not sent (attempt %s), will retry at %s: %s",
                            message.id, message.attempts, message.next_attempt_at, error)
            if smtp is not None and isinstance(exc, (OSError, smtplib.SMTPServerDisconnected)):
                try:
                    smtp.close()
                finally:
                    smtp = None
        else:
            message.status = SENT
            message.sent_at = utcnow()
            message.last_error = None
            report.sent += 1
        db.session.commit()
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report
