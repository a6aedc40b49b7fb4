"""Mail servers for the outbox tests: a real one (aiosmtpd) that refuses, delays and
drops, a scripted one that answers each SMTP command as told, and helpers to queue, read
and age outbox messages."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from rec_portal.extensions import db
from rec_portal.models import OutboxMessage
from rec_portal.notifications import outbox
from rec_portal.notifications.outbox import queue_email
from rec_portal.timeutil import utcnow
from tests.pgserver import free_port

MAIL_KEYS = ("REC_SMTP_HOST", "REC_SMTP_PORT", "REC_SMTP_STARTTLS", "REC_SMTP_TIMEOUT",
             "REC_SMTP_DATA_TIMEOUT", "REC_MAIL_CLAIM_LEASE_SECONDS", "REC_MAIL_MAX_ATTEMPTS")


@contextmanager
def local_mail_settings(app, **settings):
    """Point ``app`` at a free local SMTP port with short timeouts (and ``settings``);
    yields the port; restores the settings afterwards."""
    saved = {k: app.config.get(k) for k in MAIL_KEYS}
    port = free_port()
    app.config.update(REC_SMTP_HOST="127.0.0.1", REC_SMTP_PORT=port, REC_SMTP_STARTTLS=False,
                      REC_SMTP_TIMEOUT=0.5, REC_SMTP_DATA_TIMEOUT=3, REC_MAIL_MAX_ATTEMPTS=8)
    app.config.update(settings)
    try:
        yield port
    finally:
        app.config.update(saved)


@pytest.fixture
def mail(app):
    """The SQLite test app pointed at a local SMTP port (see ``local_mail_settings``)."""
    with local_mail_settings(app) as port:
        yield port


class Inbox:
    """An SMTP server's mailbox. ``refuse``: {address: reply} refused at RCPT;
    ``data_replies``: replies to the end of DATA, in turn (then 250); ``delay``: seconds
    before answering the end of DATA (the message is kept first); ``drop_after_data``:
    close the connection instead of answering."""

    def __init__(self, refuse=None, data_replies=(), delay=0.0, drop_after_data=False):
        self.refuse = refuse or {}
        self.data_replies = list(data_replies)
        self.delay = delay
        self.drop_after_data = drop_after_data
        self.received = []  # (recipient, parsed message)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.received.append((rcpt, email.message_from_bytes(envelope.original_content)))
        if self.drop_after_data:
            server.transport.close()
            return "250 OK"
        delay = (self.delay.pop(0) if self.delay else 0) if isinstance(self.delay, list) else self.delay
        if delay:
            await asyncio.sleep(delay)
        return self.data_replies.pop(0) if self.data_replies else "250 Message accepted"

    @property
    def recipients(self):
        return sorted(r for r, _ in self.received)


@contextmanager
def smtp_server(port, inbox, smtputf8=True):
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@contextmanager
def scripted_server(port, *, greeting=b"220 test ESMTP", ehlo=(b"250 test",), replies=None):
    """A bare SMTP server. ``greeting``: its first line (None: it never greets, a stalled
    server); ``ehlo``: the lines of the EHLO reply (extensions); ``replies``: {verb: reply
    line, or "drop" to close the connection, or "354-then-drop" to invite the message and
    close the connection as it starts, or "tls-garbage" to say 220 and then answer the TLS
    handshake with nonsense}; other verbs get 250."""
    replies = replies or {}
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(5)
    listener.settimeout(0.2)
    stop = threading.Event()
    connections = []
    verbs = []

    def answer(conn):
        if greeting is None:
            return
        reader = conn.makefile("rb")
        conn.sendall(greeting + b"\r\n")
        if not greeting.startswith(b"220"):
            return
        for line in reader:
            verb = line.split(b" ")[0].split(b":")[0].strip().upper().decode()
            verbs.append(verb)
            reply = replies.get(verb)
            if reply == "354-then-drop":
                conn.sendall(b"354 go ahead\r\n")
                reply = "drop"
            if reply == "drop":
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
                return
            if reply == "tls-garbage":
                conn.sendall(b"220 go ahead\r\n")
                conn.sendall(b"this is not TLS\r\n" * 4)
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
                return
            if reply is not None:
                conn.sendall(reply + b"\r\n")
            elif verb == "EHLO":
                lines = list(ehlo)
                conn.sendall(b"".join(
                    (b"250-" if n < len(lines) - 1 else b"250 ") + text.removeprefix(b"250 ") + b"\r\n"
                    for n, text in enumerate(lines)))
            elif verb == "QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            elif verb == "DATA":
                conn.sendall(b"354 go ahead\r\n")
            else:
                conn.sendall(b"250 OK\r\n")

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(conn)
            threading.Thread(target=_quietly, args=(answer, conn), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield verbs
    finally:
        stop.set()
        thread.join(2)
        listener.close()
        for conn in connections:
            conn.close()


def _quietly(function, *args):
    try:
        function(*args)
    except OSError:
        pass


def messages():
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def queue(addresses, **kwargs):
    for n, address in enumerate(addresses):
        queue_email(to=address, subject=f"Message {n}", body=f"Hello {n}", **kwargs)
    db.session.commit()


def make_all_due():
    """Every message due now: its own wait, and any run-level hold, are over."""
    for message in messages():
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        if message.claim_token is None:
            message.claimed_until = None
    db.session.commit()


@contextmanager
def later(monkeypatch, **delta):
    """Run the outbox as if ``delta`` had passed (a later send-mail run)."""
    shifted = utcnow() + timedelta(**delta)
    monkeypatch.setattr(outbox, "utcnow", lambda: shifted)
    try:
        yield
    finally:
        monkeypatch.setattr(outbox, "utcnow", utcnow)
