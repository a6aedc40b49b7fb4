"""Text messages through GOV.UK Notify: the outbox's second channel.

``outbox.queue_text`` queues a text (channel "text", ``to_address`` a UK mobile number);
``outbox.deliver_pending`` (``rec send-messages``) claims due texts and hands them to the
transport here, under the same rules as emails (see ``outbox``'s docstring): claims with
leases, per-message outcomes, growing waits, never sent twice.

Notify sends the words of one text template whose whole content is ``((body))``
(REC_NOTIFY_TEXT_TEMPLATE_ID): the portal writes each text and sends it as the
personalisation ``{"body": ...}``, with the outbox row's Message-ID as Notify's
``reference``. What Notify's answers mean here:

- 201: sent.
- 400 (the number is not a UK mobile, or the text cannot be sent): failed at once, never
  retried, and a line goes on the staff call list so that someone phones the person
  instead. A 400 about our own settings (the template, a team-only or trial key) is a
  configuration fault instead: nothing is blamed.
- 403 (the key is wrong or revoked), 404 (REC_NOTIFY_BASE_URL is wrong): configuration
  fault; the run stops and the texts wait.
- 429 (too many requests) and 5xx: tried again later, with the outbox's growing waits.
- Notify cannot be reached (connection refused, name not found, connect timeout, its
  certificate not verified, TLS handshake failed): nothing was sent; the run stops
  without counting an attempt.
- The request went out but no answer came (read timeout, connection dropped, a TLS error
  while reading the answer): the text may have been sent, so it is "unconfirmed" and
  never resent automatically; staff can send it again from /admin/outbox.

Without REC_NOTIFY_API_KEY, texts are written to the log and marked "logged" (development
and testing), or stay in the outbox with an error logged (production).
"""

from __future__ import annotations

import logging
import ssl
import traceback
from collections.abc import Callable

import requests
from flask import current_app
from sqlalchemy import func, select
from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from urllib3.exceptions import NewConnectionError
from urllib3.util.ssl_match_hostname import CertificateError

from rec_portal.extensions import db
from rec_portal.models.outbox import LOGGED, PENDING, TEXT, OutboxMessage
from rec_portal.notifications.outbox import (
    ConfigurationFault,
    ConnectionLost,
    DeliveryReport,
    PermanentRefusal,
    TemporaryRefusal,
    Transport,
    Unreachable,
    _Claimed,
    _technical,
)

log = logging.getLogger("rec_portal.mail")

NOTIFY = "GOV.UK Notify"
# Words in a 400's message that mean our own settings are wrong, not the person's number.
_OUR_SETTINGS = ("template", "personalisation", "team-only", "trial mode", "api key", "service")
# ... or that the text itself is too long (nothing to do with their number).
_TOO_LONG = ("too long", "longer than")


def spaced(number: str) -> str:
    """07700900123 as "07700 900123", as people read and say it."""
    return f"{number[:5]} {number[5:]}" if len(number) == 11 and number.isdigit() else number


def _notify_message(exc: APIError) -> str:
    """Notify's own words from an error answer: its ``errors`` list, joined."""
    message = exc.message
    if isinstance(message, list):
        parts = [f"{e.get('message', '')}".strip() for e in message if isinstance(e, dict)]
        message = "; ".join(p for p in parts if p) or "no reason given"
    return " ".join(str(message).split())[:300]


def _wrapped(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception inside it: causes, contexts, and what requests and
    urllib3 wrap (``args``, MaxRetryError's ``reason``)."""
    found: list[BaseException] = []
    todo = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or any(e is f for f in found):
            continue
        found.append(e)
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
    return found


def _in_handshake(exc: BaseException) -> bool:
    """An ssl error raised by the TLS handshake, before a byte of the request was sent."""
    return isinstance(exc, ssl.SSLError) and any(
        frame.name == "do_handshake" for frame in traceback.extract_tb(exc.__traceback__))


def _ssl_before_sending(cause: BaseException) -> bool:
    """Whether an SSL error came before the request left: the certificate could not be
    verified, or the handshake failed. urllib3 wraps an SSL error while reading the answer
    (after the text went) the same way, so that one is not."""
    return any(isinstance(e, (ssl.SSLCertVerificationError, CertificateError)) or _in_handshake(e)
               for e in _wrapped(cause))


def _reached(cause: BaseException | None) -> bool:
    """False if the request cannot have left: the connection was never made (refused,
    name not found, connect timeout, certificate not verified, TLS handshake failed). True
    if it may have reached Notify (read timeout, connection dropped or a TLS error while
    waiting for the answer)."""
    if isinstance(cause, requests.ConnectTimeout):
        return False
    if isinstance(cause, requests.exceptions.SSLError):
        return not _ssl_before_sending(cause)
    if isinstance(cause, requests.ConnectionError):
        inner = cause.args[0] if cause.args else None
        return not isinstance(getattr(inner, "reason", inner), NewConnectionError)
    return True


class NotifyTransport(Transport):
    """Texts through GOV.UK Notify's API. A fresh HTTP connection for each text, so that a
    connection Notify closed while idle is never mistaken for a text that may have gone."""

    server = NOTIFY
    noun = "text"
    settings = "text message"

    def __init__(self) -> None:
        cfg = current_app.config
        self.api_key = cfg["REC_NOTIFY_API_KEY"]
        self.template_id = cfg["REC_NOTIFY_TEXT_TEMPLATE_ID"]
        self.base_url = cfg["REC_NOTIFY_BASE_URL"]
        self.timeout = cfg["REC_NOTIFY_TIMEOUT"]
        self.detail = ""  # Notify's words for the last failure (for the call list)

    def send(self, message: _Claimed, awaiting_reply: Callable[[], None]) -> None:
        if not self.template_id:
            raise ConfigurationFault("REC_NOTIFY_TEXT_TEMPLATE_ID is not set, so texts cannot "
                                     "be sent.")
        try:
            client = NotificationsAPIClient(self.api_key, base_url=self.base_url,
                                            timeout=self.timeout)
        except (AssertionError, ValueError, TypeError) as exc:
            raise ConfigurationFault(
                "REC_NOTIFY_API_KEY is not a Notify API key (it looks like "
                "name-<service id>-<secret>)."
            ) from exc
        try:
            awaiting_reply()  # from here a lost answer means the text may have gone
            client.send_sms_notification(
                phone_number=message.to_address, template_id=self.template_id,
                personalisation={"body": message.body_text}, reference=message.message_id,
            )
        except HTTPError as exc:
            raise self._outcome(exc) from exc
        except APIError as exc:
            # Accepted (2xx) but the answer was not the JSON Notify sends: it has the text.
            log.warning("text %s: %s accepted it but its answer was unreadable (%s)",
                        message.id, NOTIFY, exc)
        finally:
            client.request_session.close()

    def _outcome(self, exc: HTTPError) -> Exception:
        if exc.response is None:
            cause = exc.__cause__
            technical = _technical(cause) if cause is not None else "no answer"
            self.detail = "no answer from GOV.UK Notify"
            if isinstance(cause, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                                  requests.exceptions.InvalidSchema)):
                return ConfigurationFault(
                    f"REC_NOTIFY_BASE_URL is not a usable address ({technical}).")
            if not _reached(cause):
                return Unreachable(f"Could not reach {NOTIFY} ({technical}).")
            return ConnectionLost(
                f"The text went to {NOTIFY} but its answer never came ({technical}). It may have "
                "been sent, so it was not sent again automatically.", after_marker=True,
            )
        code, words = exc.status_code, _notify_message(exc)
        self.detail = words
        answer = f"{code} {words}"
        if code == 400:
            lowered = words.lower()
            if any(w in lowered for w in _OUR_SETTINGS) and "phone_number" not in lowered:
                return ConfigurationFault(
                    f"{NOTIFY} refused our text settings (REC_NOTIFY_TEXT_TEMPLATE_ID, or the "
                    f"kind of API key) ({answer})."
                )
            if any(w in lowered for w in _TOO_LONG):
                return PermanentRefusal(f"{NOTIFY} refused this text for good ({answer}).")
            return PermanentRefusal(f"{NOTIFY} refused this number for good ({answer}).",
                                    about_address=True)
        if code in (401, 403):
            return ConfigurationFault(
                f"{NOTIFY} did not accept our API key (REC_NOTIFY_API_KEY) ({answer}).")
        if code in (404, 405):
            return ConfigurationFault(f"{NOTIFY} was not found at REC_NOTIFY_BASE_URL ({answer}).")
        if code == 429:
            return TemporaryRefusal(f"{NOTIFY} asked us to send fewer texts for now ({answer}).")
        return TemporaryRefusal(f"{NOTIFY} could not take the text for now ({answer}).")

    def undeliverable(self, message: _Claimed, reason: str) -> None:
        """A line on the staff call list, so that someone phones the person instead, with
        the text's words as what to tell them (only for a text that belongs to a person)."""
        if message.user_id is None:
            return
        from rec_portal.models import User
        from rec_portal.notifications.contact import Message, add_to_call_list

        person = db.session.get(User, message.user_id)
        if person is None or person.anonymised_at is not None:
            return
        why = self.detail or reason
        add_to_call_list(person, Message(
            kind="text_failed", subject="Text message", email_body="", text=message.body_text,
            call=message.body_text, expires_at=message.expires_at,
        ), reason=f"A text to {spaced(message.to_address)} could not be delivered ({why})")


class TextLogTransport(Transport):
    """No Notify key (development, testing): each text goes to the log, marked "logged"."""

    delivered_status = LOGGED
    server = NOTIFY
    noun = "text"

    def send(self, message: _Claimed, awaiting_reply: Callable[[], None]) -> None:
        log.info("no GOV.UK Notify key configured; text %s to %s\n\n%s",
                 message.id, message.to_address, message.body_text)


def text_transport(report: DeliveryReport) -> Transport | None:
    """The transport for texts, or None if none may be used: in production without
    REC_NOTIFY_API_KEY texts stay in the outbox until it is set."""
    cfg = current_app.config
    if cfg["REC_NOTIFY_API_KEY"]:
        return NotifyTransport()
    if cfg["REC_ENV"] == "production":
        waiting = db.session.execute(
            select(func.count())
            .where(OutboxMessage.channel == TEXT, OutboxMessage.status == PENDING)
        ).scalar_one()
        db.session.commit()
        if waiting:  # a portal that sends no texts is not told off every minute
            log.error("REC_NOTIFY_API_KEY is not set: %s text(s) stay in the outbox until it is",
                      waiting)
            report.stop("REC_NOTIFY_API_KEY is not set")
        return None
    return TextLogTransport()
