"""The outbox: emails, and text messages through GOV.UK Notify.

``queue_email`` and ``queue_text`` add a row to the current transaction, so a message
exists exactly when the change that caused it is committed. ``deliver_pending`` (the
``rec send-messages`` command, also called ``send-mail``) sends due messages of both
channels: emails over SMTP (``SmtpTransport``), texts through Notify
(``texts.NotifyTransport``). With no SMTP server (or no Notify key) configured outside
production it writes each message to the log and marks it ``logged``; in production such
messages stay waiting until the setting is made. A message is only marked sent after the
server accepted it, so nothing is lost when the server is down. One channel's trouble
never stops the other: each is claimed and sent on its own.

The rules, per message (``_deliver``; they do not depend on the channel: each channel has
its own transport that raises the outcomes below). "The server" is the mail server for
emails and GOV.UK Notify for texts:

- The server cannot be reached before a message was begun (cannot connect, greeting, EHLO,
  STARTTLS or certificate failure, a disconnect before MAIL was accepted): the run stops and
  every message it holds is handed back without counting an attempt, held for a short
  run-level wait (``claimed_until`` with no claim token), with the problem in
  ``last_error``. A long outage therefore never fails a message; staff see that sending is
  stuck (``sending_stuck``) on /admin and /admin/outbox.
- A connection failure during a message (after MAIL) counts as an attempt of that message
  and stops the run: the rest are handed back unattempted.
- A permanent refusal (5xx, an address the server cannot take) fails that message at once,
  with the reason in plain words; the run carries on with the next. Only a refusal of the
  address (RCPT 5xx, or an address the server cannot take) sets ``refused_at``, which warns
  the person; a 5xx after DATA (size, content) says nothing about their address.
- A temporary refusal (4xx) retries that message alone, with growing waits, until
  REC_MAIL_MAX_ATTEMPTS.
- A refused sender (our own From address), a failed sign-in, or a server without the
  STARTTLS or AUTH our settings ask for is a configuration fault: the run stops and logs an
  error; no message is blamed (the reason is kept in ``last_error`` of the messages it
  held, without counting an attempt).
- No two runs hold the same message: each run has a claim token, stored on the rows it took
  with a lease (``claimed_until``). Just before each send, in a short transaction, the run
  checks its token still holds the row (still pending, not expired) and renews the lease of
  the rows it still holds; a row lost to another run is skipped.
- Never sent twice because of doubt: the whole message is sent, then an "awaiting reply"
  marker is committed, then the final "." asks the server to take it. If the answer never
  comes, or the run dies after the marker, the message is ``unconfirmed``: it may have been
  delivered, so it is not retried automatically; staff see it and can send it again (with
  the same Message-ID, so receivers can spot a repeat).
- Messages useless once late (``expires_at``) become ``expired`` instead of being sent.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import select as io_select
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses

from flask import current_app
from sqlalchemy import case, func, or_, select, update

from rec_portal import audit
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models.outbox import (
    EMAIL,
    EXPIRED,
    FAILED,
    LOGGED,
    NEEDS_ATTENTION,
    PENDING,
    SENT,
    TEXT,
    UNCONFIRMED,
    OutboxMessage,
    new_message_id,
)
from rec_portal.timeutil import format_uk, utcnow

log = logging.getLogger("rec_portal.mail")

# Wait before attempt n+1 (after n failures); the last value repeats.
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720)]


def queue_email(
    *, to: str, subject: str, body: str, contains_secret: bool = False,
    attachment: tuple[str, str, str] | None = None, user=None,
    expires_at: datetime | None = None,
) -> OutboxMessage | None:
    """``attachment``: (filename, MIME type, text), e.g. a calendar file. ``user``: the
    account the message is about (its data export and deletion include the message).
    ``expires_at``: after this the message is useless (a link that has run out, a session
    that has started) and is marked expired instead of being sent. With no address (a
    person the REC team added without one) nothing is queued and None is returned: such
    messages go by the person's preference through ``notifications.contact.tell``."""
    if not to:
        log.warning("email %r not queued: the person has no email address", subject)
        return None
    message = OutboxMessage(
        to_address=to, subject=subject, body_text=body, contains_secret=contains_secret,
        user_id=getattr(user, "id", None), message_id=new_message_id(), expires_at=expires_at,
    )
    if attachment:
        message.attachment_filename, message.attachment_mimetype, message.attachment_body = attachment
    db.session.add(message)
    return message


def queue_text(*, to: str, body: str, user=None, expires_at: datetime | None = None) -> OutboxMessage:
    """A text message to the UK mobile number ``to`` (notifications.contact.mobile_number),
    through GOV.UK Notify, with the same guarantees as an email: queued in the caller's
    transaction, retried with growing waits, never sent twice. ``body``: the whole text
    (the Notify template is just ((body)))."""
    message = OutboxMessage(
        channel=TEXT, to_address=to, subject="Text message", body_text=body,
        user_id=getattr(user, "id", None), message_id=new_message_id(), expires_at=expires_at,
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
    refused: int = 0  # refused for good by the receiving side: failed at once
    failed: int = 0  # gave up after the maximum number of attempts
    expired: int = 0
    unconfirmed: int = 0
    stopped: str | None = None  # why the run stopped early, if it did

    def __str__(self) -> str:
        text = (
            f"sent {self.sent}, logged {self.logged}, will retry {self.retrying}, "
            f"refused {self.refused}, gave up {self.failed}, expired {self.expired}, "
            f"unconfirmed {self.unconfirmed}"
        )
        return text + (f" (stopped early: {self.stopped})" if self.stopped else "")

    def stop(self, reason: str) -> None:
        """A channel's run stopped early; the other channel's reason is kept too."""
        self.stopped = f"{self.stopped}; {reason}" if self.stopped else reason


# --- Outcomes a transport reports (any channel) ------------------------------------------


class DeliveryProblem(Exception):
    """``reason``: plain words for staff, with the technical detail in brackets."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:500]


class ConnectionLost(DeliveryProblem):
    """The server cannot be reached or went away. ``after_marker``: the whole message had
    been handed over and its answer was awaited (it may have been delivered)."""

    def __init__(self, reason: str, after_marker: bool = False):
        super().__init__(reason)
        self.after_marker = after_marker


class Unreachable(ConnectionLost):
    """The server could not be reached, or went away, before anything about this message
    was said (connecting, greeting, EHLO, STARTTLS, sign-in, MAIL): no attempt of it."""


class PermanentRefusal(DeliveryProblem):
    """This message or address is refused for good. ``about_address``: the refusal is of
    the recipient's address (RCPT 5xx, an address the server cannot take), which the person
    is told about; other refusals (size, content) are only shown to staff."""

    def __init__(self, reason: str, about_address: bool = False):
        super().__init__(reason)
        self.about_address = about_address


class TemporaryRefusal(DeliveryProblem):
    """This message is refused for now; try it again later."""


class ConfigurationFault(DeliveryProblem):
    """Our own settings are wrong (sender address refused, sign-in failed)."""


class ClaimLost(DeliveryProblem):
    """Just before the final ".", the run found it no longer holds the message (its lease
    lapsed and another run took it, or staff changed it). The message must not be handed
    over: the transport drops the connection, which makes the server discard it."""


# --- The claim ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    token: str
    to_address: str
    subject: str
    body_text: str
    contains_secret: bool
    attempts: int
    message_id: str
    attachment_filename: str | None
    attachment_mimetype: str | None
    attachment_body: str | None
    due_at: datetime | None = None  # next_attempt_at when claimed
    channel: str = EMAIL
    user_id: int | None = None
    expires_at: datetime | None = None

    @property
    def label(self) -> str:
        """How the logs name it: "email 12" or "text 12"."""
        return f"{self.channel} {self.id}"


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["REC_MAIL_CLAIM_LEASE_SECONDS"])


EXPIRED_REASON = "Not sent: it was only useful until {when}, and that time had passed."
KILLED_REASON = (
    "The sending run stopped while waiting for the {server}'s answer to this message. "
    "It may have been delivered, so it was not sent again automatically."
)
SERVER_NAMES = {EMAIL: "mail server", TEXT: "text message service (GOV.UK Notify)"}


def _end(message: OutboxMessage, status: str, reason: str | None, now: datetime) -> None:
    message.status = status
    message.ended_at = now
    message.claim_token = message.claimed_until = message.awaiting_reply_at = None
    if reason:
        message.last_error = reason[:500]


def _claim(limit: int, report: DeliveryReport | None = None, channel: str = EMAIL) -> list[_Claimed]:
    """Take due messages for this run, in a short transaction of their own.

    A message is free when pending, due, and not held by a run (no claim, or its lease has
    lapsed). On PostgreSQL ``FOR UPDATE SKIP LOCKED`` keeps two runs from taking the same
    rows; on SQLite the claim transaction begins with BEGIN IMMEDIATE, which serialises
    runs. A lapsed claim whose "awaiting reply" marker is set belongs to a run that died
    waiting for the server's answer: that message becomes unconfirmed, never resent.
    Messages past their ``expires_at`` become expired.
    """
    now = utcnow()
    token = secrets.token_hex(16)
    rows = db.session.execute(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars().all()
    claimed = []
    for m in rows:
        if m.awaiting_reply_at is not None:
            m.attempts += 1
            _end(m, UNCONFIRMED, KILLED_REASON.format(server=SERVER_NAMES[m.channel]), now)
            if report is not None:
                report.unconfirmed += 1
            log.error("%s %s: a run stopped waiting for the server's answer; marked unconfirmed",
                      m.channel, m.id)
        elif m.expires_at is not None and m.expires_at <= now:
            _end(m, EXPIRED, EXPIRED_REASON.format(when=format_uk(m.expires_at)), now)
            if report is not None:
                report.expired += 1
        else:
            m.claim_token, m.claimed_until = token, now + _lease()
            claimed.append(_Claimed(
                m.id, token, m.to_address, m.subject, m.body_text, m.contains_secret, m.attempts,
                m.message_id, m.attachment_filename, m.attachment_mimetype, m.attachment_body,
                m.next_attempt_at, m.channel, m.user_id, m.expires_at,
            ))
    db.session.commit()
    return claimed


HELD, LOST = "held", "lost"


def _hold(message: _Claimed) -> str:
    """Just before sending ``message``, in a short transaction: is it still ours, pending
    and useful? If so renew the lease on every message this run still holds. Returns HELD,
    LOST (another run has it, or staff changed it) or EXPIRED (marked so now)."""
    now = utcnow()
    row = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == message.token,
               OutboxMessage.status == PENDING)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        db.session.commit()
        log.warning("%s: no longer held by this run; skipped", message.label)
        return LOST
    if row.expires_at is not None and row.expires_at <= now:
        _end(row, EXPIRED, EXPIRED_REASON.format(when=format_uk(row.expires_at)), now)
        db.session.commit()
        return EXPIRED
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claim_token == message.token, OutboxMessage.status == PENDING)
        .values(claimed_until=now + _lease())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return HELD


def _mark_awaiting_reply(message: _Claimed) -> None:
    """Committed after the whole message went to the server and before the final ".",
    only while this run still holds the message (renewing its lease for the wait after
    DATA). Raises ClaimLost if it does not: the "." must then never be sent, or the
    message could go out twice (this run and the one that took it)."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == message.token,
               OutboxMessage.status == PENDING)
        .values(awaiting_reply_at=now, claimed_until=now + _lease())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        raise ClaimLost("This run no longer held the message just before handing it over.")


def _record(message: _Claimed, also: Callable[[], None] | None = None, **values) -> None:
    """Write one message's outcome in a short transaction, releasing this run's claim.
    Nothing is written if another run has taken the message meanwhile. ``also``: more to
    write in the same transaction, only if the outcome was written (a call-list line)."""
    values = {"claim_token": None, "claimed_until": None, "awaiting_reply_at": None, **values}
    if "last_error" in values and values["last_error"]:
        values["last_error"] = values["last_error"][:500]
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == message.token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if also is not None and result.rowcount == 1:
        also()
    db.session.commit()


def run_backoff(waited: timedelta) -> timedelta:
    """How long messages handed back by a stopped run are held: 1 minute, growing with
    the time the oldest of them has been due, to at most 5 minutes."""
    return min(BACKOFF[1], max(BACKOFF[0], waited / 6))


def _release(messages: list[_Claimed], reason: str | None = None) -> None:
    """Give claimed but unattempted messages back, without counting an attempt. They keep
    their ``next_attempt_at`` (so how long they have waited stays known) and are held for
    the run-level wait with ``claimed_until`` and no claim token. ``reason``: why the run
    stopped, kept in ``last_error`` (staff see it in the "not going out" notice)."""
    if not messages:
        return
    now = utcnow()
    oldest = min((m.due_at for m in messages if m.due_at is not None), default=now)
    # awaiting_reply_at is cleared too: a transport only hands a message back (Unreachable)
    # when nothing of it can have been delivered, even after its marker (a text's request
    # that could not connect).
    values = {"claim_token": None, "claimed_until": now + run_backoff(now - oldest),
              "awaiting_reply_at": None}
    if reason:
        values["last_error"] = reason[:500]
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages]),
               OutboxMessage.claim_token == messages[0].token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- The rules (any channel) -------------------------------------------------------------


class Transport:
    """What ``_deliver`` needs from a channel. ``send`` delivers one message or raises one
    of Unreachable (before anything about the message was said: no attempt), ConnectionLost,
    PermanentRefusal, TemporaryRefusal, ConfigurationFault; it calls
    ``awaiting_reply()`` once the message can no longer be taken back (from then on a lost
    answer means "unconfirmed"). ``reset`` readies the channel after a refused message.
    ``undeliverable`` is called, in the transaction that fails a message for good, to do
    more about it (texts: a line on the staff call list)."""

    delivered_status = SENT
    server = "the mail server"  # in the logs and reasons: who could not be reached
    noun = "email"
    settings = "mail"

    def undeliverable(self, message: _Claimed, reason: str) -> None:
        pass

    def send(self, message: _Claimed, awaiting_reply: Callable[[], None]) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


def _retry_or_give_up(message: _Claimed, reason: str, report: DeliveryReport,
                      transport: Transport | None = None) -> None:
    attempts = message.attempts + 1
    now = utcnow()
    if attempts >= current_app.config["REC_MAIL_MAX_ATTEMPTS"]:
        reason = f"Not sent after {attempts} attempts. Last problem: {reason}"
        _record(message, attempts=attempts, status=FAILED, ended_at=now, last_error=reason,
                also=(lambda: transport.undeliverable(message, reason)) if transport else None)
        report.failed += 1
        log.error("%s failed for good after %s attempts: %s", message.label, attempts, reason)
    else:
        retry_at = now + backoff_after(attempts)
        _record(message, attempts=attempts, last_error=reason, next_attempt_at=retry_at)
        report.retrying += 1
        log.warning("%s not sent (attempt %s), will retry at %s: %s",
                    message.label, attempts, retry_at, reason)


def _deliver(claimed: list[_Claimed], transport: Transport, report: DeliveryReport) -> None:
    try:
        for index, message in enumerate(claimed):
            state = _hold(message)
            if state == LOST:
                continue
            if state == EXPIRED:
                report.expired += 1
                continue
            try:
                transport.send(message, lambda m=message: _mark_awaiting_reply(m))
            except ClaimLost:
                log.warning("%s: no longer held by this run before handing it over; "
                            "not handed over", message.label)
                continue
            except Unreachable as problem:
                rest = claimed[index:]
                _release(rest, problem.reason)
                report.retrying += len(rest)
                report.stop(f"{transport.server} could not be reached")
                log.warning("sending %ss stopped, %s could not be reached (no attempt "
                            "counted): %s", transport.noun, transport.server, problem.reason)
                return
            except ConnectionLost as problem:
                if problem.after_marker:
                    _record(message, attempts=message.attempts + 1, status=UNCONFIRMED,
                            ended_at=utcnow(), last_error=problem.reason)
                    report.unconfirmed += 1
                    log.error("%s unconfirmed (not resent): %s", message.label, problem.reason)
                else:
                    _retry_or_give_up(message, problem.reason, report, transport)
                rest = claimed[index + 1:]
                _release(rest, f"The connection to {transport.server} failed while "
                               f"another {transport.noun} was being sent, so the run stopped.")
                report.retrying += len(rest)
                report.stop(f"{transport.server} could not be reached")
                return
            except ConfigurationFault as problem:
                rest = claimed[index:]
                _release(rest, problem.reason)
                report.retrying += len(rest)
                report.stop(problem.reason)
                log.error("sending %ss stopped, the %s settings need fixing: %s", transport.noun,
                          transport.settings, problem.reason)
                return
            except PermanentRefusal as problem:
                now = utcnow()
                _record(message, attempts=message.attempts + 1, status=FAILED, ended_at=now,
                        refused_at=now if problem.about_address else None,
                        last_error=problem.reason,
                        also=lambda: transport.undeliverable(message, problem.reason))
                report.refused += 1
                log.error("%s refused for good: %s", message.label, problem.reason)
                transport.reset()
            except TemporaryRefusal as problem:
                _retry_or_give_up(message, problem.reason, report, transport)
                transport.reset()
            else:
                _record(message, attempts=message.attempts + 1, status=transport.delivered_status,
                        sent_at=utcnow(), last_error=None)
                if transport.delivered_status == LOGGED:
                    report.logged += 1
                else:
                    report.sent += 1
    finally:
        transport.close()


# --- Email over SMTP ---------------------------------------------------------------------


def _build(message: _Claimed) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["REC_MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    if message.attachment_filename:
        maintype, _, subtype = (message.attachment_mimetype or "text/plain").partition("/")
        email.add_attachment(
            message.attachment_body.encode(), maintype=maintype, subtype=subtype,
            filename=message.attachment_filename,
        )
    return email


def _connect() -> smtplib.SMTP:
    """Open, secure and sign in to the SMTP connection. Raises ``Unreachable`` if the server
    cannot be reached or talked to, ``ConfigurationFault`` if it does not offer what our
    settings ask for (STARTTLS, AUTH) or refuses our sign-in. A connection opened here is
    closed again whatever goes wrong."""
    cfg = current_app.config
    host, port, timeout = cfg["REC_SMTP_HOST"], cfg["REC_SMTP_PORT"], cfg["REC_SMTP_TIMEOUT"]
    smtp: smtplib.SMTP | None = None
    step = "connect"
    try:
        if cfg["REC_SMTP_SSL"]:
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if cfg["REC_SMTP_STARTTLS"]:
                step = "starttls"
                smtp.starttls(context=ssl.create_default_context())
        if cfg["REC_SMTP_USERNAME"]:
            step = "login"
            smtp.login(cfg["REC_SMTP_USERNAME"], cfg["REC_SMTP_PASSWORD"] or "")
        return smtp
    except BaseException as exc:
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            raise ConfigurationFault(
                "The mail server did not accept our sign-in (REC_SMTP_USERNAME, "
                f"REC_SMTP_PASSWORD) ({_technical(exc)})."
            ) from exc
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            wanted = ("STARTTLS, which REC_SMTP_STARTTLS asks for" if step == "starttls"
                      else "sign-in (AUTH), which REC_SMTP_USERNAME asks for")
            raise ConfigurationFault(
                f"The mail server does not offer {wanted} ({_technical(exc)})."
            ) from exc
        if step == "login" and isinstance(exc, smtplib.SMTPException) and not isinstance(
                exc, smtplib.SMTPServerDisconnected):
            raise ConfigurationFault(
                f"Signing in to the mail server failed (REC_SMTP_USERNAME, REC_SMTP_PASSWORD) "
                f"({_technical(exc)})."
            ) from exc
        if isinstance(exc, (OSError, smtplib.SMTPException)):
            raise Unreachable(f"Could not reach the mail server ({_technical(exc)}).") from exc
        raise


def _technical(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def _refusal(code: int, text, what: str) -> DeliveryProblem:
    """A refusal, by its reply code (RFC 5321 4.2.1): 4yz for now, 5yz for good."""
    reply = _reply(code, text)
    if code == 421:
        return ConnectionLost(f"The mail server closed the connection ({reply}).")
    if 500 <= code < 600:
        return PermanentRefusal(f"The receiving mail server refused {what} for good ({reply}).",
                                about_address=what == "this address")
    return TemporaryRefusal(f"The receiving mail server asked us to try {what} again later ({reply}).")


NO_SMTPUTF8 = (
    "This address has characters (such as accents) that our mail server cannot send to "
    "(it does not offer SMTPUTF8)."
)


def _with_ascii_domain(address: str) -> str:
    """``address`` with its domain in ASCII (IDNA A-labels) if only the domain has
    characters outside ASCII; otherwise unchanged."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii() or not local.isascii():
        return address
    try:
        import idna

        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except (ImportError, idna.IDNAError, UnicodeError):
        return address


_LINE_ENDS = re.compile(rb"\r\n|\n|\r")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _still_connected(sock) -> bool:
    """False if the server has already closed the connection, or spoken out of turn,
    while the message was going out (checked without waiting)."""
    if isinstance(sock, ssl.SSLSocket):
        return True  # TLS records may be waiting that are not a reply: cannot tell cheaply
    try:
        readable, _, _ = io_select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class SmtpTransport(Transport):
    """One SMTP connection for the run, opened on the first message. DATA is done by hand
    so that the marker is committed between the message and its final "." (smtplib sends
    both in one go), and the wait for the answer after the "." is REC_SMTP_DATA_TIMEOUT
    (RFC 5321 4.5.3.2.6 suggests 10 minutes) rather than REC_SMTP_TIMEOUT."""

    def __init__(self) -> None:
        cfg = current_app.config
        self.smtp: smtplib.SMTP | None = None
        self.mail_accepted = False  # MAIL accepted for the message being sent
        self.timeout = cfg["REC_SMTP_TIMEOUT"]
        self.data_timeout = cfg["REC_SMTP_DATA_TIMEOUT"]

    def send(self, message: _Claimed, awaiting_reply: Callable[[], None]) -> None:
        reused = self.smtp is not None
        try:
            self._send(message, awaiting_reply)
        except Unreachable:
            if not reused:
                raise
            # A connection that has already carried messages may have been closed by the
            # server (idle, or a limit of messages per connection). Nothing about this
            # message was said yet, so one fresh connection is safe to try.
            self._drop()
            self._send(message, awaiting_reply)

    def _send(self, message: _Claimed, awaiting_reply: Callable[[], None]) -> None:
        if self.smtp is None:
            self.smtp = _connect()
        self.mail_accepted = after_marker = False

        def mark() -> None:
            nonlocal after_marker
            awaiting_reply()
            after_marker = True

        try:
            self._transaction(_build(message), message.to_address, mark)
        except DeliveryProblem as problem:
            if isinstance(problem, (ConnectionLost, ClaimLost)):
                self._drop()  # mid-DATA: closing without the "." discards the message
            raise
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError) as exc:
            self._drop()
            if not self.mail_accepted:
                # Nothing about this message was said yet: the server is unreachable, not
                # this message's fault.
                raise Unreachable(
                    f"The connection to the mail server failed ({_technical(exc)})."
                ) from exc
            if after_marker:
                raise ConnectionLost(
                    "The whole message reached the mail server but its answer never came "
                    f"({_technical(exc)}). It may have been delivered, so it was not sent again "
                    "automatically.", after_marker=True,
                ) from exc
            raise ConnectionLost(f"The connection to the mail server failed ({_technical(exc)}).") from exc
        except Exception as exc:  # noqa: BLE001 - never lost: recorded against the message
            self._drop()
            if after_marker:
                raise ConnectionLost(
                    f"An unexpected problem while waiting for the mail server's answer "
                    f"({_technical(exc)}). It may have been delivered, so it was not sent again "
                    "automatically.", after_marker=True,
                ) from exc
            raise TemporaryRefusal(f"An unexpected problem while sending ({_technical(exc)}).") from exc

    def _transaction(self, email: EmailMessage, to: str, mark: Callable[[], None]) -> None:
        smtp = self.smtp
        assert smtp is not None
        sender = getaddresses([email["From"]])[0][1]
        ascii_to = _with_ascii_domain(to)
        if ascii_to != to:
            # An international domain with a plain local part (jo@bücher.de) goes as its
            # ASCII form (jo@xn--bcher-kva.de), which every server can take; only a local
            # part with such characters needs SMTPUTF8.
            to = ascii_to
            del email["To"]
            email["To"] = to
        smtp.ehlo_or_helo_if_needed()
        options: list[str] = []
        policy = email.policy
        if not (sender + to).isascii():
            if not smtp.has_extn("smtputf8"):
                raise PermanentRefusal(NO_SMTPUTF8, about_address=True)
            options = ["SMTPUTF8", "BODY=8BITMIME"]
            policy = policy.clone(utf8=True)
        buffer = io.BytesIO()
        BytesGenerator(buffer, policy=policy).flatten(email, linesep="\r\n")
        data = _LEADING_DOT.sub(b"..", _LINE_ENDS.sub(b"\r\n", buffer.getvalue()))
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        if smtp.has_extn("size"):
            limit = smtp.esmtp_features["size"].strip()
            if limit.isdigit() and 0 < int(limit) < len(data):
                raise PermanentRefusal(
                    f"This email is too large for our mail server ({len(data)} bytes; it takes "
                    f"at most {limit})."
                )
            options.append(f"SIZE={len(data)}")

        code, text = smtp.mail(sender, options)
        if code == 421:
            raise Unreachable(f"The mail server closed the connection ({_reply(code, text)}).")
        if code == 552:  # RFC 1870: the declared size exceeds the server's limit
            raise _refusal(code, text, "this message")
        if code != 250:
            if 500 <= code < 600:
                raise ConfigurationFault(
                    f"The mail server refused our sender address {sender} (REC_MAIL_FROM) "
                    f"({_reply(code, text)})."
                )
            raise _refusal(code, text, "this message")
        self.mail_accepted = True
        code, text = smtp.rcpt(to)
        if code not in (250, 251):
            raise _refusal(code, text, "this address")
        code, text = smtp.docmd("DATA")
        if code != 354:
            raise _refusal(code, text, "this message")
        smtp.send(data)
        if not _still_connected(smtp.sock):
            # Dropped while the message was going out: it cannot have been taken, so it
            # is safe to try again (a drop noticed only after the final "." is not).
            raise smtplib.SMTPServerDisconnected("the server closed the connection during the message")
        mark()
        smtp.sock.settimeout(self.data_timeout)
        smtp.send(b".\r\n")
        code, text = smtp.getreply()
        smtp.sock.settimeout(self.timeout)
        smtp.command_encoding = "ascii"
        if code != 250:
            raise _refusal(code, text, "this message")

    def reset(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()  # the next message opens a new connection

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
        self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()


def _message_for_log(message: _Claimed) -> str:
    if message.contains_secret and current_app.config["REC_ENV"] == "production":
        return "(body not logged: it contains a one-time link)"
    return message.body_text


class LogTransport(Transport):
    """No SMTP server configured (development): each message goes to the log."""

    delivered_status = LOGGED

    def send(self, message: _Claimed, awaiting_reply: Callable[[], None]) -> None:
        log.info(
            "no SMTP server configured; email %s to %s\nSubject: %s\n\n%s",
            message.id, message.to_address, message.subject, _message_for_log(message),
        )


def email_transport(report: DeliveryReport) -> Transport | None:
    """The transport for emails, or None (logged) if none may be used: in production
    without REC_SMTP_HOST emails stay in the outbox until it is set."""
    cfg = current_app.config
    if cfg["REC_SMTP_HOST"]:
        return SmtpTransport()
    if cfg["REC_ENV"] == "production":
        log.error("REC_SMTP_HOST is not set: emails stay in the outbox until it is")
        report.stop("REC_SMTP_HOST is not set")
        return None
    return LogTransport()


def deliver_pending(limit: int = 200) -> DeliveryReport:
    """Send the messages that are due, emails then texts (up to ``limit`` of each). No
    database transaction stays open while talking to a server, so the portal keeps working
    however slow it is. A channel that fails (even unexpectedly) does not stop the other."""
    from rec_portal.notifications.texts import text_transport

    report = DeliveryReport()
    for channel, transport_for in ((EMAIL, email_transport), (TEXT, text_transport)):
        try:
            transport = transport_for(report)
            if transport is None:
                continue
            claimed = _claim(limit, report, channel)
            if claimed:
                _deliver(claimed, transport, report)
            else:
                transport.close()
        except Exception as exc:  # noqa: BLE001 - the other channel still goes out
            db.session.rollback()
            report.stop(f"sending {channel}s failed unexpectedly ({_technical(exc)})")
            log.exception("sending %ss failed unexpectedly; the other channel carries on", channel)
    return report


# --- Staff: is sending stuck? -------------------------------------------------------------

# A due message not sent after this long means emails are not going out (the mail server
# cannot be reached, our settings are wrong, or send-mail is not running).
STUCK_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class Stuck:
    since: datetime  # when the oldest waiting message became due
    minutes: int
    last_error: str | None

    @property
    def waited(self) -> str:
        if self.minutes < 120:
            return f"{self.minutes} minute" + ("" if self.minutes == 1 else "s")
        hours, minutes = divmod(self.minutes, 60)
        return f"{hours} hours" + (f" {minutes} minute" + ("" if minutes == 1 else "s") if minutes else "")


def sending_stuck(now: datetime | None = None) -> Stuck | None:
    """The oldest pending message, if it has been due for longer than STUCK_AFTER, with the
    last problem recorded on it (a run that could not reach the server records it there
    without counting an attempt). One query on the (status, next_attempt_at) index."""
    now = now or utcnow()
    row = db.session.execute(
        select(OutboxMessage.next_attempt_at, OutboxMessage.last_error)
        .where(OutboxMessage.status == PENDING)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(1)
    ).first()
    if row is None or now - row.next_attempt_at < STUCK_AFTER:
        return None
    return Stuck(row.next_attempt_at, int((now - row.next_attempt_at).total_seconds() // 60),
                 row.last_error)


def needing_attention(limit: int) -> tuple[list[OutboxMessage], int]:
    """The newest ``limit`` messages staff should look at (failed or unconfirmed), and how
    many there are in all."""
    rows = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(NEEDS_ATTENTION))
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).scalars().all()
    total = db.session.execute(
        select(func.count()).where(OutboxMessage.status.in_(NEEDS_ATTENTION))
    ).scalar_one()
    return list(rows), total


# --- Staff: send again -------------------------------------------------------------------


def send_again_addresses(messages) -> dict[int, str | None]:
    """Where "Send again" would send each message. A message that belongs to a person goes
    only to their current address (the one it was sent to may since have been removed or
    given up, and may now be someone else's): for an email their email address, for a text
    the mobile number on their profile. A person with no email address yet may have been
    sent an invitation to set up an online account: that email goes again to the address
    of the invitation it carries while that invitation is still the current one (its link
    works). None: the person has no such address now, so it cannot be sent again. Only a
    message that belongs to nobody (a sign-up link) keeps its address. Three queries at
    most for all."""
    from rec_portal.models import AccountInvitation, StudentProfile, User
    from rec_portal.notifications.contact import mobile_number

    user_ids = {m.user_id for m in messages if m.user_id and m.channel != TEXT}
    emails = dict(db.session.execute(
        select(User.id, User.email).where(User.id.in_(user_ids), User.email.is_not(None))
    ).all()) if user_ids else {}
    # An invitation email carries the invitation's expiry as its own; a newer invitation
    # deletes the older ones, and a used or expired one is not current.
    no_email = user_ids - emails.keys()
    invited = {
        (row.user_id, row.expires_at): row.email for row in db.session.execute(
            select(AccountInvitation.user_id, AccountInvitation.expires_at, AccountInvitation.email)
            .where(AccountInvitation.user_id.in_(no_email), AccountInvitation.used_at.is_(None),
                   AccountInvitation.expires_at >= utcnow())
        )
    } if no_email else {}
    texted = {m.user_id for m in messages if m.user_id and m.channel == TEXT}
    phones = dict(db.session.execute(
        select(StudentProfile.user_id, StudentProfile.phone).where(StudentProfile.user_id.in_(texted))
    ).all()) if texted else {}
    return {
        m.id: (m.to_address if not m.user_id
               else mobile_number(phones.get(m.user_id)) if m.channel == TEXT
               else emails.get(m.user_id) or invited.get((m.user_id, m.expires_at)))
        for m in messages
    }


def send_again(message: OutboxMessage, actor, expected_to: str | None = None) -> str:
    """Queue a failed or unconfirmed message again, with the same Message-ID (a receiver
    that got it already can see it is a repeat), to the account's current address if it
    belongs to one (``send_again_addresses``). ``expected_to``: the address the staff
    member was shown; if the account's address has changed since, nothing is queued and
    they are asked to look again. Returns the address. Audited; the caller commits."""
    if message.status not in NEEDS_ATTENTION:
        raise DomainError("Only a failed or unconfirmed message can be sent again")
    if message.purged_at is not None:
        raise DomainError("This message's text has been deleted, so it cannot be sent again")
    now = utcnow()
    if message.expires_at is not None and message.expires_at <= now:
        raise DomainError(
            "This message is no longer useful (what it offered has run out), so it cannot be sent again"
        )
    original = message.to_address
    to = send_again_addresses([message])[message.id]
    text = message.channel == TEXT
    if to is None:
        raise DomainError(
            "The person has no mobile number on their profile now, so the text cannot be sent "
            "again: phone them or write to them instead" if text else
            "The person has no email address on their account now, so the email cannot be sent "
            "again: phone them or write to them instead"
        )
    if expected_to is not None and expected_to != to:
        raise DomainError(
            f"The person's {'mobile number' if text else 'email address'} has changed to {to} "
            "since the page was opened. Check it, then press Send again once more"
        )
    # One conditional write: the page (or a second click, or another admin) may have read
    # the message before it was sent again and delivered; it must not be queued once more.
    values = dict(status=PENDING, attempts=0, next_attempt_at=now, ended_at=None, claim_token=None,
                  claimed_until=None, awaiting_reply_at=None)
    if to != original:
        # A refusal of the old address says nothing about the new one.
        values.update(to_address=to, refused_at=None)
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status.in_(NEEDS_ATTENTION),
               OutboxMessage.purged_at.is_(None), OutboxMessage.to_address == original)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(message)
    if result.rowcount != 1:
        raise DomainError("This message has already been sent again")
    from rec_portal.models import User

    person = db.session.get(User, message.user_id) if message.user_id else None
    detail = f"{message.channel} {message.id} to {to}"
    if to != original:
        detail += f" (first sent to {original}, the account's {'number' if text else 'address'} has changed)"
    audit.record(audit.OUTBOX_SENT_AGAIN, actor=actor, subject=person, detail=detail)
    db.session.flush()
    return to


# --- The person: mail to their address is refused -----------------------------------------


@dataclass(frozen=True)
class Undelivered:
    since: datetime
    # The refusal was our mail server not offering SMTPUTF8 for an address with accents:
    # nothing is wrong with the address; we cannot send to it yet.
    address_unsupported: bool


def undelivered_since(user) -> Undelivered | None:
    """Since when emails to ``user`` at their current address have been refused for good
    (the address refused, or one our server cannot take), if nothing has been delivered to
    that address since; else None. Only the person's own messages count: an address another
    account gave up (and this one took on later) does not warn them about mail that was
    never theirs. One query on the (to_address, refused_at) index."""
    address = user.email
    last_ok = (
        select(func.max(OutboxMessage.sent_at))
        .where(OutboxMessage.to_address == address, OutboxMessage.status.in_((SENT, LOGGED)))
        .scalar_subquery()
    )
    since, unsupported = db.session.execute(
        select(
            func.min(OutboxMessage.refused_at),
            func.max(case((OutboxMessage.last_error == NO_SMTPUTF8, 1), else_=0)),
        ).where(
            OutboxMessage.to_address == address,
            OutboxMessage.user_id == user.id,
            OutboxMessage.refused_at.is_not(None),
            or_(last_ok.is_(None), OutboxMessage.refused_at > last_ok),
        )
    ).one()
    if since is None:
        return None
    return Undelivered(since, bool(unsupported))


# --- Retention ---------------------------------------------------------------------------

PURGEABLE = (SENT, LOGGED, EXPIRED, FAILED, UNCONFIRMED)


def purge_sent_bodies(now: datetime | None = None, days: int | None = None) -> int:
    """Delete the text of messages that ended more than ``days`` (default
    REC_OUTBOX_RETENTION_DAYS) ago: body, attachment and subject (a subject can hold a
    course title the person chose to see). What stays is the record that a message was
    sent: id, person, address, status, attempts, reason, dates and Message-ID, with the
    time of purging. Returns how many were purged; the caller commits."""
    now = now or utcnow()
    days = current_app.config["REC_OUTBOX_RETENTION_DAYS"] if days is None else days
    cutoff = now - timedelta(days=days)
    ended = func.coalesce(OutboxMessage.sent_at, OutboxMessage.ended_at, OutboxMessage.created_at)
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_(PURGEABLE), OutboxMessage.purged_at.is_(None), ended < cutoff)
        .values(body_text="", subject="", attachment_filename=None, attachment_mimetype=None,
                attachment_body=None, purged_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0
