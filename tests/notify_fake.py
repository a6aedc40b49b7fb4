"""A small local stand-in for GOV.UK Notify's API (POST /v2/notifications/sms), for the
text message tests: a threaded HTTP server on 127.0.0.1 that checks the bearer JWT the
way Notify does (signed with the key's secret, issued by the service id), records each
request and answers as scripted."""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

from tests.pgserver import free_port

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"rec_portal_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
NOTIFY_KEYS = ("REC_NOTIFY_API_KEY", "REC_NOTIFY_TEXT_TEMPLATE_ID", "REC_NOTIFY_BASE_URL",
               "REC_NOTIFY_TIMEOUT", "REC_MAIL_MAX_ATTEMPTS")
TIMEOUT = 0.5  # REC_NOTIFY_TIMEOUT in these tests

NOT_A_MOBILE = (400, {"errors": [{"error": "ValidationError",
                                  "message": "phone_number Not a UK mobile number"}],
                      "status_code": 400})
BAD_KEY = (403, {"errors": [{"error": "AuthError", "message": "Invalid token: API key not found"}],
                 "status_code": 403})
TOO_MANY = (429, {"errors": [{"error": "RateLimitError",
                              "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"}],
                  "status_code": 429})
BROKEN = (500, {"errors": [{"error": "Exception", "message": "Internal server error"}],
                "status_code": 500})
SLOW = "sleep"  # answer (201) only after the client has given up waiting


@dataclass
class Received:
    token_ok: bool
    body: dict
    answered: int | str


@dataclass
class FakeNotify:
    """``script``: what to answer to each request in turn (201, NOT_A_MOBILE, BAD_KEY,
    TOO_MANY, BROKEN, SLOW); 201 once it runs out."""

    script: list = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def numbers(self) -> list[str]:
        """The numbers of the texts Notify was asked to send (each request that arrived)."""
        return [r.body.get("phone_number") for r in self.requests]

    def answer(self, *steps) -> None:
        self.script.extend(steps)


def _token_ok(header: str | None) -> bool:
    if not header or not header.startswith("Bearer "):
        return False
    try:
        claims = jwt.decode(header[len("Bearer "):], SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        return False
    return claims.get("iss") == SERVICE_ID and "iat" in claims


def _handler(fake: FakeNotify):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _reply(self, code: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/v2/notifications/sms":
                self._reply(404, {"errors": [{"error": "NotFound", "message": "Not found"}],
                                  "status_code": 404})
                return
            token_ok = _token_ok(self.headers.get("Authorization"))
            step = fake.script.pop(0) if fake.script else 201
            if not token_ok:
                step = BAD_KEY
            fake.requests.append(Received(token_ok, body, step if not isinstance(step, tuple) else step[0]))
            if step == SLOW:
                time.sleep(TIMEOUT * 3)
                step = 201
            if step == 201:
                self._reply(201, {
                    "id": str(uuid.uuid4()), "reference": body.get("reference"),
                    "content": {"body": body.get("personalisation", {}).get("body", ""),
                                "from_number": "GOVUK"},
                    "uri": f"{fake.url}/v2/notifications/x",
                    "template": {"id": body.get("template_id"), "version": 1, "uri": "x"},
                })
            else:
                self._reply(*step)

    return Handler


@contextmanager
def notify_server(app, *script, running: bool = True, **settings):
    """Point ``app`` at a fake Notify on a free local port, with REC_NOTIFY_TIMEOUT 0.5 s;
    yields the FakeNotify. ``running=False``: nothing listens on the port (Notify cannot be
    reached). Restores the settings afterwards."""
    saved = {k: app.config.get(k) for k in NOTIFY_KEYS}
    fake = FakeNotify(script=list(script), port=free_port())
    app.config.update(REC_NOTIFY_API_KEY=API_KEY, REC_NOTIFY_TEXT_TEMPLATE_ID=TEMPLATE_ID,
                      REC_NOTIFY_BASE_URL=fake.url, REC_NOTIFY_TIMEOUT=TIMEOUT)
    app.config.update(settings)
    server = None
    if running:
        server = ThreadingHTTPServer(("127.0.0.1", fake.port), _handler(fake))
        server.daemon_threads = True
        server.block_on_close = False
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield fake
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        app.config.update(saved)


@contextmanager
def tls_notify(app, tmp_path, *, trusted: bool):
    """Point ``app`` at a Notify address that speaks TLS with a self-signed certificate
    (made with openssl). ``trusted=False``: the certificate cannot be verified, so the
    request never leaves. ``trusted=True`` (REQUESTS_CA_BUNDLE names the certificate): the
    request is read, then the answer comes back in clear text instead of TLS, so the
    client's TLS layer fails while reading the answer, after the text went. Yields the list
    of requests that arrived (raw bytes)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=10)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    arrived: list[bytes] = []

    def serve():
        try:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    request += tls.recv(65536)
                head, _, body = request.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(body) < length:
                    body += tls.recv(65536)
                arrived.append(request)
                with socket.socket(fileno=os.dup(tls.fileno())) as raw:
                    raw.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
                    raw.shutdown(socket.SHUT_WR)
                    raw.settimeout(5)
                    while raw.recv(65536):  # until the client gives up and closes
                        pass
        except (OSError, ssl.SSLError):
            pass  # the client refused the certificate, or gave up

    saved_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    with notify_server(app, running=False):
        app.config["REC_NOTIFY_BASE_URL"] = f"https://127.0.0.1:{listener.getsockname()[1]}"
        if trusted:
            os.environ["REQUESTS_CA_BUNDLE"] = str(cert)
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield arrived
        finally:
            listener.close()
            thread.join(5)
            if saved_bundle is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = saved_bundle
