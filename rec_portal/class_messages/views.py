"""/admin/courses/sessions/<id>/message and /facilitate/sessions/<id>/message: write to
everyone on a session, check who it goes to and how it reads, then send. Thin: load,
authorise, call one operation, commit once."""

from __future__ import annotations

from flask import abort, request, url_for

from rec_portal.class_messages import bp, operations, queries
from rec_portal.class_messages.forms import MessageForm
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.models import CourseSession
from rec_portal.models.accounts import ADMIN, FACILITATOR
from rec_portal.web.access import owner_only, role_required
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.web.guards import current_person, get_session_or_404

WRITE, CHECK = "class_messages/write.html", "class_messages/check.html"


def _back(session_id: int, as_admin: bool) -> str:
    if as_admin:
        return url_for("scheduling.session_bookings", session_id=session_id)
    return url_for("facilitation.class_list", session_id=session_id)


def _write_page(session, form, as_admin: bool):
    return page(WRITE, session=session, form=form, as_admin=as_admin, back=_back(session.id, as_admin),
                everyone=queries.recipients(session, include_waiting=True),
                closed=operations.closed_reason(session), max_chars=operations.MAX_CHARS)


def _nobody(session) -> str:
    waiting = queries.recipients(session, include_waiting=True).count
    if not waiting:
        return ("Nobody is booked on this session or waiting for it, so there is nobody to send "
                "a message to. Nothing has been sent.")
    return ("Nobody has a place on this session, so there is nobody to send it to. To write to "
            "the people waiting, choose to send it to them too.")


def _sent(row, session_id: int, as_admin: bool):
    people = f"{row.recipients} {'person' if row.recipients == 1 else 'people'}"
    return done(_back(session_id, as_admin), f"Your message has been sent to {people}.")


def _refused(error, session, form, as_admin: bool):
    if isinstance(error, operations.AlreadySent):
        return done(_back(session.id, as_admin), error.message, category="info")
    add_error(form, error.field or "words", error.message)
    return _write_page(session, form, as_admin)


def _message(session_id: int, *, as_admin: bool):
    session = get_session_or_404(session_id)
    me = current_person()
    if not operations.may_write(me, session, as_admin=as_admin):
        abort(404)
    form = MessageForm()
    if request.method in ("GET", "HEAD") or "change" in request.form:
        if "change" in request.form:
            form.validate_on_submit()  # the words come back as typed, without errors
            for field in form:
                field.errors = []
        return _write_page(session, form, as_admin)
    if "send" not in request.form:
        # The check step: who it goes to, and the words as they will read. Nothing sent.
        if not form.validate_on_submit():
            return _write_page(session, form, as_admin)
        who = queries.recipients(session, form.include_waiting.data)
        if reason := operations.closed_reason(session):
            add_error(form, "words", reason)
            return _write_page(session, form, as_admin)
        if not who.count:
            add_error(form, "include_waiting", _nobody(session))
            return _write_page(session, form, as_admin)
        return page(CHECK, session=session, form=form, who=who, as_admin=as_admin,
                    back=_back(session.id, as_admin), sender_role=(
                        operations.FROM_TEAM if as_admin else operations.FROM_FACILITATOR))
    return run(
        form,
        lambda: operations.send_class_message(session.id, me, form.words.data,
                                              include_waiting=form.include_waiting.data, as_admin=as_admin),
        done=lambda row: _sent(row, session.id, as_admin),
        page=lambda: _write_page(session, form, as_admin),
        refused=lambda error: _refused(error, session, form, as_admin),
    )


@bp.route("/admin/courses/sessions/<int:session_id>/message", methods=["GET", "POST"])
@keeps_typing(MessageForm, keep_if=owner_may(ADMIN, CourseSession, "session_id"))
@role_required(ADMIN)
def admin_message(session_id: int):
    return _message(session_id, as_admin=True)


@bp.route("/facilitate/sessions/<int:session_id>/message", methods=["GET", "POST"])
@keeps_typing(MessageForm, keep_if=owner_may(FACILITATOR, CourseSession, "session_id"))
@owner_only("session")
@role_required(FACILITATOR)
def facilitator_message(session_id: int):
    """Only facilitators rostered on the session (admins use the admin page)."""
    return _message(session_id, as_admin=False)
