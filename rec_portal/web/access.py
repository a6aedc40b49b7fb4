"""Access control: who may open which page.

Every route declares who may open it, where it is defined, with one of:

- ``public``: open to everyone, signed in or not;
- ``login_required``: anyone signed in (their own records);
- ``role_required(role)`` (or several roles): signed-in people with that role;

and, where the page loads an object that belongs to someone (``get_..._or_404(...,
for_user=...)``), also ``owner_only("booking")``: anyone else's is "not found".

The decorators store the declaration on the view function (``view.access`` and
``view.owner_only``), so tests/web/test_route_access.py reads it from
``app.view_functions`` for every rule in the URL map; a route without one fails there."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

from rec_portal import audit
from rec_portal.aftercommit import commit_record_only
from rec_portal.extensions import login_manager
from rec_portal.web.htmx import hx_redirect
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


PUBLIC = "public"
SIGNED_IN = "signed in"


def declare(view, who, *, unless_declared: bool = False):
    """Store who may open ``view``: ``PUBLIC``, ``SIGNED_IN`` or a frozenset of roles.
    ``unless_declared``: keep a stricter declaration already made by an inner decorator."""
    if not (unless_declared and hasattr(view, "access")):
        view.access = who
    return view


def access_of(view):
    """The declaration stored on ``view`` (None when the route declared nothing)."""
    return getattr(view, "access", None)


def public(view):
    """Open to everyone, signed in or not (the page itself decides what to show)."""
    return declare(view, PUBLIC)


def owner_only(what: str):
    """The page loads a ``what`` (e.g. "booking") that belongs to one person, with
    ``for_user=`` or the like: anyone else's is "not found" (404) or refused (403)."""

    def decorator(view):
        view.owner_only = what
        return view

    return decorator


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return declare(wrapped, SIGNED_IN)


def role_required(role: str, *others: str):
    """Signed out: go to sign in. Signed in without ``role`` (or one of ``others``): a
    403 page."""
    roles = (role, *others)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(each) for each in roles):
                deny(f"{request.method} {request.path} (needs {' or '.join(roles)})")
            return view(*args, **kwargs)

        return declare(wrapped, frozenset(roles))

    return decorator


def init_access(app: Flask) -> None:
    static = app.view_functions.get("static")
    if static is not None:  # Flask's own route for the stylesheets and scripts
        app.view_functions["static"] = public(wraps(static)(lambda **kwargs: static(**kwargs)))
    login_manager.session_protection = None  # sessions are checked on the server instead
