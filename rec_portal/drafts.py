"""Nothing typed is lost when a session expires.

When a form is posted after the person's session has timed out, ``keep_typing`` stores
what they typed (``saved_drafts``) against the account whose session it was, sends them
to sign in, and the page gives it back with ``take_drafts`` once they are signed in
again. Only that account gets it back: the owner is the account of the session named in
the signed cookie (``_last_session``, set at sign-in, removed by signing out), and only
if that session ended by timing out (not a sign-out, a password change or disabling),
never from the form.

Drafts are kept only for forms that exist: a form whose name comes from the URL (one per
booking, per session, per stage) says with ``keep_if`` whether that URL names a real form
of the person's; anything else posted is dropped, so made-up addresses cannot fill the
table or the person's data export.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import flash, g, request, session
from flask_login import current_user
from sqlalchemy import delete, func, select

from rec_portal.auth.sessions import ENDED_ABSOLUTE, ENDED_IDLE
from rec_portal.extensions import db, login_manager
from rec_portal.models import SavedDraft, User, UserSession
from rec_portal.timeutil import utcnow

TIMEOUTS = (ENDED_IDLE, ENDED_ABSOLUTE)

# Drafts nobody came back for are deleted after this long.
KEEP_FOR = timedelta(days=7)


# A person gets back at most this much (per form), so the table cannot be flooded.
MAX_PAYLOAD = 60_000
MAX_DRAFTS = 20


def _owner_of_timed_out_session() -> User | None:
    """The account whose signed-in session on this browser ended by timing out, recently.
    Not one that was signed out, ended by a password change or disabling, or deleted."""
    token_hash = session.get("_last_session")
    if not token_hash:
        return None
    row = db.session.execute(
        select(UserSession).where(UserSession.token_hash == token_hash)
    ).scalar_one_or_none()
    if row is None:
        return None
    ending_now = g.get("session_to_end")
    timed_out_now = (
        row.ended_at is None and ending_now is not None and ending_now[0] == row.id
        and ending_now[1] in TIMEOUTS
    )
    timed_out_before = (
        row.ended_reason in TIMEOUTS and row.ended_at is not None
        and row.ended_at >= utcnow() - KEEP_FOR
    )
    user = row.user
    if not (timed_out_now or timed_out_before) or not user.active or user.anonymised_at:
        return None
    return user


def keep_draft(form: str, data: dict, keep_if: Callable[[User], bool] | None = None) -> bool:
    """Store ``data`` for the owner of the timed-out session. Returns False if there is no
    such owner (never signed in on this browser, signed out on purpose, ended for another
    reason), if ``keep_if(owner)`` says the form is not one of theirs, or if they already
    have too much waiting."""
    owner = _owner_of_timed_out_session()
    if owner is None:
        return False
    if keep_if is not None and not keep_if(owner):
        return False
    payload = json.dumps(data)
    waiting = db.session.execute(
        select(func.count()).select_from(SavedDraft)
        .where(SavedDraft.user_id == owner.id, SavedDraft.form == form)
    ).scalar_one()
    if len(payload) > MAX_PAYLOAD or waiting >= MAX_DRAFTS:
        return False
    db.session.add(SavedDraft(user_id=owner.id, form=form, payload=payload))
    db.session.flush()
    return True


def purge_old_drafts(now=None) -> int:
    """Delete drafts nobody came back for (``rec apply-retention`` runs this)."""
    result = db.session.execute(
        delete(SavedDraft).where(SavedDraft.created_at < (now or utcnow()) - KEEP_FOR)
    )
    return result.rowcount or 0


def take_drafts(user: User, form: str) -> list[dict]:
    """The drafts ``user`` left in ``form``, oldest first; they are deleted as they are
    handed back (the caller saves them or shows them)."""
    purge_old_drafts()
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


def login_required_keeping(
    form: str | Callable[..., str], fields: tuple[str, ...] | Callable[[str], bool],
    keep_if: Callable[..., bool] | None = None,
):
    """Like ``login_required``; but a POST arriving after the session expired has its
    ``fields`` kept (see module docstring) before the person is sent to sign in.

    For forms whose fields or drafts depend on the page, ``fields`` may be a predicate
    ``name -> bool`` (e.g. questions named ``q-<id>``) and ``form`` a function of the
    view's URL arguments giving the draft's name (e.g. one per booking). Such a form needs
    ``keep_if(owner, **url_arguments) -> bool``: whether the URL names a form that exists
    for the draft's owner (their booking, a session they are rostered on ...)."""
    if callable(form) and keep_if is None:
        raise TypeError("a draft named from the URL needs keep_if, so only real forms are kept")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.is_authenticated:
                return view(*args, **kwargs)
            if request.method == "POST":
                if callable(fields):
                    names = [name for name in request.form if fields(name)]
                else:
                    names = [name for name in fields if name in request.form]
                data = {name: request.form.getlist(name) for name in names}
                name = form(**kwargs) if callable(form) else form
                check = (lambda owner: keep_if(owner, **kwargs)) if keep_if else None
                if data and keep_draft(name, data, check):
                    db.session.commit()
                    flash(
                        "We have kept what you typed. Sign in again and it will be back "
                        "on the page.",
                        "info",
                    )
            return login_manager.unauthorized()

        return wrapped

    return decorator
