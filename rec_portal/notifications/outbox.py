"""The email outbox.

``queue_email`` adds a row to the current transaction, so a message exists exactly when
the change that caused it is committed. ``deliver_pending`` (the ``rec send-mail``
command) sends due messages over SMTP, retrying with growing waits; with no SMTP server
configured it writes each message to the log and marks it ``logged``. A message is only
marked sent after the SMTP server accepted it, so nothing is lost when the server is down.
"""

from __future__ import annotations

import contextlib
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


def queue_email(
    *, to: str, subject: str, body: str, contains_secret: bool = False,
    attachment: tuple[str, str, str] | None = None, user=None,
) -> OutboxMessage:
    """``attachment``: (filename, MIME type, text), e.g. a calendar file. ``user``: the
    account the message is about (its data export and deletion include the message)."""
    message = OutboxMessage(
        to_address=to, subject=subject, body_text=body, contains_secret=contains_secret,
        user_id=getattr(user, "id", None),
    )
    if attachment:
        message.attachment_filename, message.attachment_mimetype, message.attachment_body = attachment
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


def _build(message) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["REC_MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="rec-portal")
    email.set_content(message.body_text)
    if message.attachment_filename:
        maintype, _, subtype = (message.attachment_mimetype or "text/plain").partition("/")
        email.add_attachment(
            message.attachment_body.encode(), maintype=maintype, subtype=subtype,
            filename=message.attachment_filename,
        )
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


# How long a run may hold claimed messages before another run may try them again (a run
# that crashed mid-way leaves its messages to be retried after this).
CLAIM_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_address: str
    subject: str
    body_text: str
    contains_secret: bool
    attempts: int
    attachment_filename: str | None
    attachment_mimetype: str | None
    attachment_body: str | None


def _claim(limit: int) -> list[_Claimed]:
    """Take due messages for this run, in a short transaction of their own.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` keeps two runs from taking the same rows; on
    SQLite the claim transaction begins with BEGIN IMMEDIATE, which serialises runs. The
    lease (next_attempt_at moved forward) keeps other runs away while this one sends.
    """
    now = utcnow()
    rows = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()
    claimed = [
        _Claimed(m.id, m.to_address, m.subject, m.body_text, m.contains_secret, m.attempts,
                 m.attachment_filename, m.attachment_mimetype, m.attachment_body)
        for m in rows
    ]
    for message in rows:
        message.next_attempt_at = now + CLAIM_LEASE
    db.session.commit()
    return claimed


def _record(message_id: int, **values) -> None:
    """Write one message's outcome in a short transaction."""
    message = db.session.get(OutboxMessage, message_id)
    for key, value in values.items():
        setattr(message, key, value)
    db.session.commit()


def _message_for_log(message: _Claimed) -> str:
    if message.contains_secret and current_app.config["REC_ENV"] == "production":
        return "(body not logged: it contains a one-time link)"
    return message.body_text


def deliver_pending(limit: int = 200) -> DeliveryReport:
    """Send the messages that are due. No database transaction stays open while talking
    to the mail server, so the portal keeps working however slow the server is."""
    report = DeliveryReport()
    cfg = current_app.config
    if not cfg["REC_SMTP_HOST"] and cfg["REC_ENV"] == "production":
        # Keep them: they go out once REC_SMTP_HOST is set.
        log.error("REC_SMTP_HOST is not set: emails stay in the outbox until it is")
        return report
    claimed = _claim(limit)
    if not claimed:
        return report

    if not cfg["REC_SMTP_HOST"]:
        for message in claimed:
            log.info(
                "no SMTP server configured; email %s to %s\nSubject: %s\n\n%s",
                message.id, message.to_address, message.subject, _message_for_log(message),
            )
            _record(message.id, status=LOGGED, sent_at=utcnow())
            report.logged += 1
        return report

    smtp = None
    max_attempts = cfg["REC_MAIL_MAX_ATTEMPTS"]
    for index, message in enumerate(claimed):
        attempts = message.attempts + 1
        try:
            if smtp is None:
                smtp = _connect()
            smtp.send_message(_build(message))
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, never lost
            error = f"{type(exc).__name__}: {exc}"[:500]
            if attempts >= max_attempts:
                _record(message.id, attempts=attempts, last_error=error, status=FAILED)
                report.failed += 1
                log.error("email %s failed for good after %s attempts: %s", message.id, attempts, error)
            else:
                retry_at = utcnow() + backoff_after(attempts)
                _record(message.id, attempts=attempts, last_error=error, next_attempt_at=retry_at)
                report.retrying += 1
                log.warning("email %s not sent (attempt %s), will retry at %s: %s",
                            message.id, attempts, retry_at, error)
            if smtp is None or isinstance(exc, (OSError, smtplib.SMTPServerDisconnected)):
                # The server cannot be reached: stop here and hand the rest back unattempted.
                _release([m.id for m in claimed[index + 1:]])
                report.retrying += len(claimed) - index - 1
                if smtp is not None:
                    with contextlib.suppress(OSError, smtplib.SMTPException):
                        smtp.close()
                return report
        else:
            _record(message.id, attempts=attempts, status=SENT, sent_at=utcnow(), last_error=None)
            report.sent += 1
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report


def _release(message_ids: list[int]) -> None:
    """Give claimed but unattempted messages back, due again after the first backoff."""
    if not message_ids:
        return
    retry_at = utcnow() + BACKOFF[0]
    for message_id in message_ids:
        db.session.get(OutboxMessage, message_id).next_attempt_at = retry_at
    db.session.commit()
