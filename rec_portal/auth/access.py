"""Access control: who may open which page. Views use ``role_required``."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from rec_portal import audit
from rec_portal.aftercommit import commit_record_only
from rec_portal.extensions import login_manager
from rec_portal.htmx import hx_redirect
from rec_portal.security import safe_next


def _login_url_for_here() -> str:
    if request.headers.get("HX-Request") == "true":
        # The page the person is on, not the fragment URL.
        from urllib.parse import urlsplit

        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = current.path + (f"?{current.query}" if current.query else "")
    else:
        here = request.full_path if request.query_string else request.path
    return url_for("auth.login", next=safe_next(here, default="/"))


@login_manager.unauthorized_handler
def _unauthorized():
    if request.headers.get("HX-Request") == "true":
        return hx_redirect(_login_url_for_here())
    return redirect(_login_url_for_here())


def deny(detail: str | None = None):
    """Record the refusal and show the 403 page."""
    audit.record(
        audit.ACCESS_DENIED,
        actor=current_user if current_user.is_authenticated else None,
        detail=(detail or request.path)[:300],
    )
    commit_record_only()  # a refusal: nothing of the person's was saved
    abort(403)


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped


def role_required(role: str):
    """Signed out: go to sign in. Signed in without ``role``: a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                deny(f"{request.method} {request.path} (needs {role})")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_access(app: Flask) -> None:
    login_manager.session_protection = None  # sessions are checked on the server instead
