"""Once a request has committed, nothing may turn its answer into an error.

A commit is noted in ``g`` (SQLAlchemy's ``after_commit`` event). After it:

- an ``after_request`` hook that fails is logged and skipped, so the person gets the
  answer the view gave (the hooks add headers and touch the signed-in session; none of
  them needs the database to decide a header, see security.py);
- an error in the rest of the view (say, a reload of a row when the connection has just
  died) is logged and answered with the outcome that happened: errors_pages.py sends a
  POST on to a page with "Your change was saved" (``outcome_response``).

Teardown hooks (closing the database session) are logged and never raised: by then the
answer has been made, and a dead connection is the pool's to throw away.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, has_request_context, redirect, request
from flask_sqlalchemy.session import Session as FlaskSqlaSession
from sqlalchemy import event

from rec_portal.web.htmx import hx_redirect, is_htmx
from rec_portal.security import safe_next

SAVED_MESSAGE = "Your change was saved."


def committed() -> bool:
    """True once this request's database session has committed."""
    return has_request_context() and bool(g.get("rec_committed"))


@event.listens_for(FlaskSqlaSession, "after_commit")
def _note_commit(session) -> None:
    # SQLAlchemy sends after_commit for a savepoint released too (``begin_nested``): that
    # saves nothing until the transaction around it commits, so it does not count.
    if has_request_context() and not session.in_nested_transaction():
        g.rec_committed = True


def commit_record_only() -> None:
    """Commit a record kept for its own sake (the audit of a refusal or of a failed
    sign-in), without counting it as the person's change being saved: if drawing the
    answer then fails, they must not be told "Your change was saved"."""
    from rec_portal.extensions import db

    before = committed()
    db.session.commit()
    if has_request_context():
        g.rec_committed = before


def page_sent_from() -> str:
    """The page the form was on (same site only), else the home page."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return "/"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "/")


def outcome_response():
    """What a person sees when their change was saved but drawing the answer failed: a
    POST is sent on (303) to the page it came from, with a calm message."""
    flash(SAVED_MESSAGE, "success")
    target = page_sent_from()
    if is_htmx():
        return hx_redirect(target)
    return redirect(target, 303)


def _guard_after_request(func):
    @functools.wraps(func)
    def guarded(response):
        try:
            return func(response)
        except Exception:
            if not committed():
                raise
            current_app.logger.exception(
                "after-request step %s failed after %s %s had committed; the answer stands",
                getattr(func, "__name__", func), request.method, request.path,
            )
            return response

    return guarded


def _guard_teardown(func):
    @functools.wraps(func)
    def guarded(exc):
        try:
            return func(exc)
        except Exception:
            current_app.logger.exception(
                "teardown step %s failed (the answer was already made)", getattr(func, "__name__", func)
            )
            return None

    return guarded


def init_after_commit(app: Flask) -> None:
    """Guard every after-request and teardown hook registered so far (call last)."""
    for key, funcs in app.after_request_funcs.items():
        app.after_request_funcs[key] = [_guard_after_request(f) for f in funcs]
    for key, funcs in app.teardown_request_funcs.items():
        app.teardown_request_funcs[key] = [_guard_teardown(f) for f in funcs]
    app.teardown_appcontext_funcs[:] = [_guard_teardown(f) for f in app.teardown_appcontext_funcs]
