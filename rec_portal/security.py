"""Security headers, the per-request CSP nonce, and safe redirects."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, has_request_context, request, session


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def safe_next(target: str | None, default: str = "/") -> str:
    """Return ``target`` only if it is a path on this site; otherwise ``default``.

    Refuses absolute URLs, scheme-relative ``//host``, ``///host``, backslashes (browsers
    treat ``/\\host`` as ``//host``), and control characters such as a tab (``/%09/host``
    arrives decoded as ``/\\t/host`` and browsers strip the tab).
    """
    if not target:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _form_action() -> str:
    """'self', and the origin of the quick exit's neutral site: without JavaScript that
    form's answer is a redirect there, and browsers apply form-action to redirects."""
    parts = urlsplit(current_app.config.get("REC_QUICK_EXIT_URL") or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"'self' {parts.scheme}://{parts.netloc}"
    return "'self'"


def _has_nul(values) -> bool:
    return any("\x00" in v for _key, v in values.items(multi=True))


def init_security(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_characters():
        # No text field takes a NUL character, and PostgreSQL cannot store one.
        if _has_nul(request.args) or (request.method == "POST" and _has_nul(request.form)):
            abort(400)
    @app.context_processor
    def _nonce():
        return {"cspNonce": csp_nonce()} if has_request_context() else {}

    @app.after_request
    def _headers(response):
        nonce = csp_nonce()
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self'; form-action {_form_action()}; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if current_app.config.get("REC_HSTS"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint == "static":
            return response
        if _signed_in() or request.endpoint in _NO_STORE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response


def _signed_in() -> bool:
    """Whether this answer is for a signed-in person, without going to the database: after
    the view commits, the user row is expired and reloading it could fail (a connection
    that just died) and turn a saved change into an error. Signed in when the request
    began (noted in sessions.py) or now (the session cookie holds a session token)."""
    return bool(g.get("signed_in_at_start")) or bool(session.get("_user_id"))


# Pages that are not signed in but still carry secrets or half-typed answers.
# The referral form and its "sent" page: Back must not show a referrer's free text (the
# person's address, why they were referred) to whoever uses the computer next.
_NO_STORE_ENDPOINTS = {"auth.login", "auth.register", "auth.reset_password", "auth.forgot_password",
                       "referrals.refer", "referrals.sent"}
