"""Nothing typed is lost when a session expires.

When a form is posted after the person's session has timed out, ``login_required_keeping``
(or ``keeps_typing`` for an ordinary WTForms form) stores what they typed
(``saved_drafts``) against the account whose session it was, sends them to sign in, and
the page gives it back once they are signed in again. Only that account gets it back:
the owner is the account of the session named in the signed cookie (``_last_session``,
set at sign-in, removed by signing out), and only if that session ended by timing out
(not a sign-out, a password change or disabling), never from the form.

Drafts are kept only for forms that exist: a form whose name comes from the URL (one per
booking, per session, per goal) says with ``keep_if`` whether that URL names a real form
of the person's; anything else posted is dropped, so made-up addresses cannot fill the
table or the person's data export.

What is kept is counted in characters a person typed, in any script (JSON is stored
without ASCII escaping): each field up to twice its own maximum length (text a little
too long comes back in its field with the problem to fix), and ``MAX_CHARACTERS`` in all. If a draft still cannot be kept (too long, too many waiting, nobody to keep it
for), the person is not sent away silently: ``could_not_keep`` shows them what they typed,
read-only, to copy, before they sign in. That page only ever echoes the request's own
body. Password fields are never kept nor shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import Flask, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import delete, func, select
from werkzeug.datastructures import MultiDict
from wtforms.fields import FileField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import Length

from rec_portal.web.access import SIGNED_IN, declare
from rec_portal.auth.sessions import ENDED_ABSOLUTE, ENDED_IDLE, TIMED_OUT_MESSAGE
from rec_portal.extensions import db, login_manager
from rec_portal.web.htmx import hx_redirect
from rec_portal.models import SavedDraft, User, UserSession
from rec_portal.security import safe_next
from rec_portal.timeutil import utcnow

TIMEOUTS = (ENDED_IDLE, ENDED_ABSOLUTE)

# Drafts nobody came back for are deleted after this long.
KEEP_FOR = timedelta(days=7)

# A person gets back at most this much (per form), so the table cannot be flooded:
# characters typed in all the form's fields together, and drafts waiting per form.
MAX_CHARACTERS = 60_000
MAX_DRAFTS = 20
# A field whose form states no maximum length is kept up to this many characters.
DEFAULT_FIELD_MAX = 10_000
# Text a little over a field's own limit is kept (it comes back in its field with the
# problem to fix); a field over this many times its limit is not.
OVER_LIMIT = 2
# Kept for existing callers: the cap is on characters typed, no longer on bytes.
MAX_PAYLOAD = MAX_CHARACTERS

KEPT_MESSAGE = (
    "You were signed out because you had not used the portal for a while. We have kept what "
    "you typed: sign in again and it will be back on the page."
)
GIVEN_BACK_MESSAGE = "We kept what you typed before you were signed out. Check it, then choose Save."


def typed_length(value: str) -> int:
    """Characters as the person typed them: a line break counts once (browsers send it as
    two, CR LF), and a character outside ASCII counts once, whatever its script."""
    return len(value.replace("\r\n", "\n"))


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


def fits(data: dict, limits: dict[str, int] | None = None) -> bool:
    """Whether ``data`` (name -> list of values) is within ``OVER_LIMIT`` times each
    field's own maximum length (``limits``, else ``DEFAULT_FIELD_MAX``) and within
    ``MAX_CHARACTERS`` in all, counted in characters typed."""
    limits = limits or {}
    total = 0
    for name, values in data.items():
        for value in values:
            length = typed_length(value)
            if length > OVER_LIMIT * limits.get(name, DEFAULT_FIELD_MAX):
                return False
            total += length
    return total <= MAX_CHARACTERS


def keep_draft(
    form: str, data: dict, keep_if: Callable[[User], bool] | None = None,
    limits: dict[str, int] | None = None,
) -> bool:
    """Store ``data`` for the owner of the timed-out session. Returns False if there is no
    such owner (never signed in on this browser, signed out on purpose, ended for another
    reason), if ``keep_if(owner)`` says the form is not one of theirs, if it is longer than
    the form allows, or if they already have too much waiting."""
    owner = _owner_of_timed_out_session()
    if owner is None:
        return False
    if keep_if is not None and not keep_if(owner):
        return False
    if len(form) > SavedDraft.form.type.length or not fits(data, limits):
        return False
    waiting = db.session.execute(
        select(func.count()).select_from(SavedDraft)
        .where(SavedDraft.user_id == owner.id, SavedDraft.form == form)
    ).scalar_one()
    if waiting >= MAX_DRAFTS:
        return False
    db.session.add(SavedDraft(user_id=owner.id, form=form, payload=json.dumps(data, ensure_ascii=False)))
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


# --- What a form's fields allow ------------------------------------------------------------

def _unbound_fields(form_class) -> list[tuple[str, object]]:
    found = []
    for klass in reversed(form_class.__mro__):
        for name, value in vars(klass).items():
            if hasattr(value, "field_class") and not name.startswith("_"):
                found = [(n, v) for n, v in found if n != name] + [(name, value)]
    return found


def _is_secret(field_class) -> bool:
    return issubclass(field_class, (PasswordField, FileField))


def _is_text(field_class) -> bool:
    """Free text a person types (not hidden, not a password)."""
    return issubclass(field_class, StringField) and not issubclass(
        field_class, (PasswordField, HiddenField, SubmitField)
    )


def text_fields(form_class) -> dict[str, str]:
    """A form's free-text fields: name -> label."""
    out = {}
    for name, unbound in _unbound_fields(form_class):
        if _is_text(unbound.field_class):
            label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
            out[name] = str(label) if label else name.replace("_", " ").capitalize()
    return out


def kept_fields(form_class) -> tuple[str, ...]:
    """Every field of the form that is worth giving back (not passwords, files, buttons
    or the CSRF token). A date field's parts (``name-day`` ...) are included."""
    names = []
    for name, unbound in _unbound_fields(form_class):
        klass = unbound.field_class
        if _is_secret(klass) or issubclass(klass, SubmitField) or name == "csrf_token":
            continue
        names.append(name)
        if "Date" in klass.__name__:
            names += [f"{name}-day", f"{name}-month", f"{name}-year"]
    return tuple(names)


def field_limits(form_class) -> dict[str, int]:
    """Each field's own maximum length (its ``Length(max=...)``), where it has one."""
    limits = {}
    for name, unbound in _unbound_fields(form_class):
        for validator in unbound.kwargs.get("validators") or ():
            if isinstance(validator, Length) and validator.max is not None and validator.max >= 0:
                limits[name] = validator.max
    return limits


# --- The page when what was typed cannot be kept -------------------------------------------

def _label(name: str, labels: dict[str, str]) -> str:
    if name in labels:
        return labels[name]
    if name.startswith("q-"):
        return "Your answer"
    return name.replace("_", " ").replace("-", " ").capitalize()


def could_not_keep(data: dict, labels: dict[str, str] | None = None):
    """A calm page: the session has ended and what was typed could not be kept, shown back
    (read-only) to copy, with a link to sign in. Only this request's own body is shown."""
    labels = labels or {}
    typed = [
        (_label(name, labels), value)
        for name, values in data.items() for value in values if value and value.strip()
    ]
    here = request.headers.get("HX-Current-URL") if request.headers.get("HX-Request") == "true" else None
    if here:
        from urllib.parse import urlsplit

        parts = urlsplit(here)
        here = parts.path + (f"?{parts.query}" if parts.query else "")
    login = url_for("auth.login", next=safe_next(here or _form_page(), default="/"))
    response = make_response(render_template("drafts/not_kept.html", typed=typed, login_url=login))
    response.headers["Cache-Control"] = "no-store"
    if request.headers.get("HX-Request") == "true":
        # The whole page replaces what is on screen, without a new history entry.
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _tell_kept() -> None:
    """One message (not two banners alike): signed out, and what was typed is kept."""
    session["_flashes"] = [
        (category, message) for category, message in session.get("_flashes", [])
        if message != TIMED_OUT_MESSAGE
    ]
    flash(KEPT_MESSAGE, "info")


def _was_signed_in() -> bool:
    """Someone was signed in on this browser and has not signed out here (a browser that
    never had a session had nothing to lose: it is sent to sign in, as before)."""
    return bool(session.get("_last_session"))


def _login_to(path: str):
    url = url_for("auth.login", next=safe_next(path, default="/"))
    if request.headers.get("HX-Request") == "true":
        return hx_redirect(url)
    return redirect(url)


def _form_page() -> str:
    """Where the form that was posted is shown: its own address if that can be opened
    (GET), else the page it was sent from (a form posted to an address of its own, such as
    a workshop request's notes, is on the request's page), on this site only."""
    from flask import current_app
    from werkzeug.exceptions import HTTPException

    from rec_portal.aftercommit import page_sent_from

    try:
        current_app.create_url_adapter(request).match(request.path, method="GET")
    except HTTPException:  # no page at this address (405 or 404), or a redirect
        pass
    else:
        return request.path
    return page_sent_from()


def _mark(wrapped, **info):
    wrapped.keeps_drafts = info
    # Signed out, these send the person to sign in, like ``login_required``: a view under
    # ``role_required`` keeps that (stricter) declaration.
    return declare(wrapped, SIGNED_IN, unless_declared=True)


def login_required_keeping(
    form: str | Callable[..., str], fields: tuple[str, ...] | Callable[[str], bool],
    keep_if: Callable[..., bool] | None = None,
    limits: dict[str, int] | None = None,
    labels: dict[str, str] | None = None,
):
    """Like ``login_required``; but a POST arriving after the session expired has its
    ``fields`` kept (see module docstring) before the person is sent to sign in, or, if
    it cannot be kept, shown back to them.

    For forms whose fields or drafts depend on the page, ``fields`` may be a predicate
    ``name -> bool`` (e.g. questions named ``q-<id>``) and ``form`` a function of the
    view's URL arguments giving the draft's name (e.g. one per booking). Such a form needs
    ``keep_if(owner, **url_arguments) -> bool``: whether the URL names a form that exists
    for the draft's owner (their booking, a session they are rostered on ...).
    ``limits`` gives each field's maximum length in characters (default
    ``DEFAULT_FIELD_MAX``); ``labels`` the words shown for a field that could not be kept."""
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
                if data and keep_draft(name, data, check, limits):
                    db.session.commit()
                    _tell_kept()
                elif _was_signed_in() and any(
                    value.strip() for values in data.values() for value in values
                ):
                    db.session.rollback()
                    return could_not_keep(data, labels)
            return login_manager.unauthorized()

        return _mark(wrapped, form=form)

    return decorator


# --- Any WTForms form: keep it, and give it back where that form is shown again -------------

def _args_key(view_args: dict) -> str:
    return ",".join(f"{key}={view_args[key]}" for key in sorted(view_args))


def _class_key(form_class) -> str:
    """``plans.ReviewForm``: two features may name a form class alike."""
    parts = form_class.__module__.split(".")
    return f"{parts[1] if len(parts) > 2 else parts[-1]}.{form_class.__name__}"


def _generic_name(form_class, view_args: dict) -> str:
    return f"{_class_key(form_class)}:{_args_key(view_args)}"


def owner_may(role: str, model=None, arg: str | None = None, by: str = "id"):
    """A ``keep_if`` for ``keeps_typing``: the draft's owner has ``role`` and, if ``model``
    is given, the URL argument ``arg`` names a row of it (looked up by ``by``)."""

    def check(owner: User, **kwargs) -> bool:
        if not owner.has_role(role):
            return False
        if model is None:
            return True
        value = kwargs[arg]
        if by == "id":
            return db.session.get(model, value) is not None
        return db.session.execute(
            select(model.id).where(getattr(model, by) == value).limit(1)
        ).first() is not None

    return check


class _GiveBackMeta:
    """Mixed into the form's Meta by ``keeps_typing``: on a page opened (GET) by someone
    with a draft of this form for these URL arguments, the form shows the draft."""

    def wrap_formdata(self, form, formdata):
        draft = _waiting_draft(type(form))
        if draft is not None:
            return draft
        return super().wrap_formdata(form, formdata)


def _waiting_draft(form_class) -> MultiDict | None:
    if request.method != "GET" or not current_user.is_authenticated:
        return None
    waiting = g.get("_drafts_waiting")
    if waiting is None:
        rows = db.session.execute(
            select(SavedDraft.id, SavedDraft.form, SavedDraft.payload)
            .where(SavedDraft.user_id == current_user.id, SavedDraft.form.contains(":"))
            .order_by(SavedDraft.id)
        ).all()
        waiting = g._drafts_waiting = list(rows)
    if not waiting:
        return None
    here = {key: str(value) for key, value in (request.view_args or {}).items()}
    prefix = f"{_class_key(form_class)}:"
    matching = []
    for row in waiting:
        if not row.form.startswith(prefix):
            continue
        wanted = row.form[len(prefix):]
        pairs = dict(pair.split("=", 1) for pair in wanted.split(",")) if wanted else {}
        # The same URL arguments, no more and no fewer: a draft of a new course (none) is
        # not one of an existing course's edit page (course_id), where Save would write it
        # over that course.
        if pairs == here:
            matching.append(row)
    if not matching:
        return None
    g.setdefault("_drafts_given_back", set()).update(row.id for row in matching)
    if not g.get("_drafts_told"):
        g._drafts_told = True
        flash(GIVEN_BACK_MESSAGE, "info")
    data = json.loads(matching[-1].payload)  # the newest
    return MultiDict([(key, value) for key, values in data.items() for value in values])


def keeps_typing(form_class, keep_if: Callable[..., bool] | None = None, fields=None):
    """Keep what was typed in ``form_class`` when it is posted after a timeout, and give
    it back wherever that form is next shown to its owner for the same URL arguments
    (usually the GET of the same address, which is where signing in leads).

    A form posted to an address with URL arguments (one goal, one course ...) needs
    ``keep_if(owner, **url_arguments)``: whether that names a real form of the owner's."""
    kept = tuple(fields) if fields else kept_fields(form_class)
    limits = field_limits(form_class)
    labels = text_fields(form_class)
    if _GiveBackMeta not in form_class.Meta.__mro__:
        form_class.Meta = type("Meta", (_GiveBackMeta, form_class.Meta), {})

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.is_authenticated:
                return view(*args, **kwargs)
            if request.method != "POST":
                return login_manager.unauthorized()
            if kwargs and keep_if is None:
                raise TypeError("a draft named from the URL needs keep_if, so only real forms are kept")
            data = {name: request.form.getlist(name) for name in kept if name in request.form}
            typed = {name: values for name, values in data.items() if name in labels}
            if not any(value.strip() for values in typed.values() for value in values):
                return login_manager.unauthorized()
            check = (lambda owner: keep_if(owner, **kwargs)) if keep_if else None
            if keep_draft(_generic_name(form_class, kwargs), data, check, limits):
                db.session.commit()
                _tell_kept()
                # Signing in leads back to this form (its GET), where the draft is shown.
                return _login_to(_form_page())
            db.session.rollback()
            if not _was_signed_in():
                return login_manager.unauthorized()
            return could_not_keep(typed, labels)

        return _mark(wrapped, form=form_class.__name__)

    return decorator


def init_drafts(app: Flask) -> None:
    @app.after_request
    def _forget_given_back(response):
        ids = g.pop("_drafts_given_back", None)
        if not ids or response.status_code >= 400:
            return response
        try:
            db.session.execute(delete(SavedDraft).where(SavedDraft.id.in_(ids)))
            purge_old_drafts()
            db.session.commit()
        except Exception:  # the page is shown; the draft goes with the weekly clean-up
            db.session.rollback()
        return response
