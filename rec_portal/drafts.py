"""Nothing typed is lost when a session expires.

When a form is posted after the person's session has timed out, ``keep_typing`` stores
what they typed (``saved_drafts``) against the account whose session it was, sends them
to sign in, and the page gives it back with ``take_drafts`` once they are signed in
again. Only that account gets it back: the owner comes from the signed session cookie
(``_last_user``, set at sign-in and removed by signing out), never from the form.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import wraps

from flask import flash, request, session
from flask_login import current_user
from sqlalchemy import delete, select

from rec_portal.extensions import db, login_manager
from rec_portal.models import SavedDraft, User
from rec_portal.timeutil import utcnow

# Drafts nobody came back for are deleted after this long.
KEEP_FOR = timedelta(days=7)


def keep_draft(form: str, data: dict) -> bool:
    """Store ``data`` for the owner of the expired session. Returns False if there is no
    such owner (never signed in on this browser, or signed out on purpose)."""
    owner_id = session.get("_last_user")
    if not owner_id or db.session.get(User, owner_id) is None:
        return False
    db.session.add(SavedDraft(user_id=owner_id, form=form, payload=json.dumps(data)))
    db.session.flush()
    return True


def take_drafts(user: User, form: str) -> list[dict]:
    """The drafts ``user`` left in ``form``, oldest first; they are deleted as they are
    handed back (the caller saves them or shows them)."""
    db.session.execute(delete(SavedDraft).where(SavedDraft.created_at < utcnow() - KEEP_FOR))
    rows = db.session.execute(
        select(SavedDraft)
        .where(SavedDraft.user_id == user.id, SavedDraft.form == form)
        .order_by(SavedDraft.id)
    ).scalars().all()
    drafts = [json.loads(row.payload) for row in rows]
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return drafts


def login_required_keeping(form: str, fields: tuple[str, ...]):
    """Like ``login_required``; but a POST arriving after the session expired has its
    ``fields`` kept (see module docstring) before the person is sent to sign in."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.is_authenticated:
                return view(*args, **kwargs)
            if request.method == "POST":
                data = {name: request.form.getlist(name) for name in fields if name in request.form}
                if data and keep_draft(form, data):
                    db.session.commit()
                    flash(
                        "We have kept what you typed. Sign in again and it will be back "
                        "on the page.",
                        "info",
                    )
            return login_manager.unauthorized()

        return wrapped

    return decorator
