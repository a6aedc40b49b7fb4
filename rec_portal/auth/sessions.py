"""Server-side signed-in sessions.

The Flask session cookie only holds a random token. Its SHA-256 hash is a row in
``user_sessions``; signing out, disabling the account or a timeout ends that row, so a
copied cookie stops working at once. Idle and absolute timeouts come from the config.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask, current_app, flash, g, session
from flask_login import login_user, logout_user
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from rec_portal.extensions import db, login_manager
from rec_portal.models import User, UserSession
from rec_portal.timeutil import utcnow

# Write last_seen_at at most this often (saves a write on every request).
TOUCH_EVERY = timedelta(seconds=60)

ENDED_LOGOUT = "logout"
ENDED_IDLE = "idle"
ENDED_ABSOLUTE = "absolute"
ENDED_DISABLED = "account disabled"
ENDED_PASSWORD = "password changed"


TIMED_OUT_MESSAGE = (
    "You were signed out because you had not used the portal for a while. "
    "Sign in again to carry on."
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> None:
    """Sign ``user`` in with a brand-new session (the old cookie contents are dropped, and
    a session the cookie already held is ended on the server)."""
    previous = session.get("_user_id")
    if previous:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _hash(previous), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason="signed in again")
        )
    next_url = session.get("next")
    session.clear()
    if next_url:
        session["next"] = next_url
    token = secrets.token_urlsafe(32)
    # Outlives a timed-out session (not a sign-out): lets rec_portal/drafts.py keep what
    # the person typed after a timeout and give it back to them, and only them.
    session["_last_session"] = _hash(token)
    db.session.add(UserSession(token_hash=_hash(token), user_id=user.id))
    user.session_token = token
    user.last_login_at = utcnow()
    login_user(user, remember=False, fresh=True)


def end_current_session(reason: str = ENDED_LOGOUT) -> None:
    """Sign the current user out and end their session on the server."""
    token = session.get("_user_id")
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason)
        )
    logout_user()
    session.clear()


def end_all_sessions(user: User, reason: str, keep_current: bool = False) -> None:
    """End every open session of ``user`` (disabled account, password changed)."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    if keep_current and user.session_token:
        stmt = stmt.where(UserSession.token_hash != _hash(user.session_token))
    db.session.execute(stmt)


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    # One statement on every signed-in request: the session, its user and their roles (a
    # few rows, one per role). The user's profiles load only if a page uses them.
    row = db.session.execute(
        select(UserSession)
        .join(UserSession.user)
        .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
        .options(
            contains_eager(UserSession.user).joinedload(User.roles),
            contains_eager(UserSession.user).lazyload("*"),
        )
    ).unique().scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    user = row.user
    reason = None
    if not user.active:
        reason = ENDED_DISABLED
    elif now - row.created_at > current_app.config["REC_ABSOLUTE_TIMEOUT"]:
        reason = ENDED_ABSOLUTE
    elif now - row.last_seen_at > current_app.config["REC_IDLE_TIMEOUT"]:
        reason = ENDED_IDLE
    if reason:
        g.session_to_end = (row.id, reason)
        g.session_expired = reason in (ENDED_IDLE, ENDED_ABSOLUTE)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        g.session_to_touch = row.id
    user.session_token = token
    return user


# Answered without looking at who is signed in: static files, and the health check (a
# proxy's, or a browser's with a session cookie, must get "database: unreachable", not an
# error page from loading the session when the database is down).
NO_SESSION_ENDPOINTS = frozenset({"static", "health.healthz"})


def init_sessions(app: Flask) -> None:
    @app.after_request
    def _write_session_changes(response):
        to_end = g.pop("session_to_end", None)
        to_touch = g.pop("session_to_touch", None)
        if not (to_end or to_touch):
            return response
        try:
            if to_end:
                db.session.execute(
                    update(UserSession)
                    .where(UserSession.id == to_end[0], UserSession.ended_at.is_(None))
                    .values(ended_at=utcnow(), ended_reason=to_end[1])
                )
                session.pop("_user_id", None)
                session.pop("_fresh", None)
            if to_touch:
                db.session.execute(
                    update(UserSession)
                    .where(UserSession.id == to_touch)
                    .values(last_seen_at=utcnow())
                )
            db.session.commit()
        except Exception:  # never turn a served page into an error for this
            current_app.logger.exception("could not update the signed-in session")
            try:
                db.session.rollback()
            except Exception:  # the connection itself may be gone
                current_app.logger.warning("rollback after that also failed", exc_info=True)
        return response

    @app.before_request
    def _tell_about_timeout():
        # Loading the user happens lazily; force it so an expired session is noticed
        # on every request, then tell the person once.
        from flask import request
        from flask_login import current_user

        if request.endpoint in NO_SESSION_ENDPOINTS:
            return
        # Noted for the Cache-Control header, which is decided without the database.
        g.signed_in_at_start = current_user.is_authenticated
        if g.get("session_expired") and not g.get("session_expired_told"):
            g.session_expired_told = True
            flash(TIMED_OUT_MESSAGE, "info")
