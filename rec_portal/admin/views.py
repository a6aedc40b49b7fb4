"""Views for /admin. Every route checks the admin role."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from rec_portal.web.guards import get_outbox_message_or_404, get_person_or_404
from rec_portal import audit
from rec_portal.admin import bp, operations
from rec_portal.admin.forms import ConfirmForm, RolesForm
from rec_portal.web.access import role_required
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.web.htmx import is_htmx, render
from rec_portal.models import ROLES, AuditEvent, OutboxMessage, User, UserRole
from rec_portal.models.accounts import ADMIN
from rec_portal.models.outbox import NEEDS_ATTENTION, STATUSES
from rec_portal.notifications import outbox as mail_outbox
from rec_portal.web.forms import add_error
from rec_portal.web.paging import page_number

PER_PAGE = 25








@bp.route("")
@role_required(ADMIN)
def index():
    role_counts = dict(
        db.session.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all()
    )
    outbox_counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    people_total = db.session.execute(select(func.count()).select_from(User)).scalar_one()
    roles = ", ".join(f"{role_counts.get(r, 0)} {r}" for r in ROLES)
    return render_template(
        "admin/index.html",
        people_summary=f"{_plural(people_total, 'account')}. Roles held: {roles}.",
        outbox_summary=(
            f"{outbox_counts.get('pending', 0)} waiting to send, "
            f"{outbox_counts.get('failed', 0)} failed, "
            f"{outbox_counts.get('unconfirmed', 0)} unconfirmed."
        ),
        outbox_attention=sum(outbox_counts.get(s, 0) for s in NEEDS_ATTENTION),
        stuck=mail_outbox.sending_stuck(),
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@bp.route("/people")
@role_required(ADMIN)
def people():
    q = request.args.get("q", "")[:100]
    role = request.args.get("role", "")
    page = db.paginate(
        operations.people_query(q, role), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    return render(
        "admin/people.html",
        "admin/_people_results.html",
        page=page,
        q=q,
        role=role,
        roles=ROLES,
    )


def _person_context(person: User, roles_form: RolesForm | None = None):
    form = roles_form or RolesForm(data={"roles": sorted(person.role_names)})
    return {"person": person, "roles_form": form, "confirm_form": ConfirmForm()}


@bp.route("/people/<int:person_id>")
@role_required(ADMIN)
def person(person_id: int):
    person = get_person_or_404(person_id)
    audit.record(audit.ACCOUNT_VIEWED, actor=current_user, subject=person)
    db.session.commit()
    return render_template("admin/person.html", **_person_context(person))


@bp.route("/people/<int:person_id>/roles", methods=["POST"])
@role_required(ADMIN)
def person_roles(person_id: int):
    person = get_person_or_404(person_id)
    form = RolesForm()
    status = 200
    if form.validate_on_submit():
        try:
            added, removed = operations.set_roles(
                current_user._get_current_object(), person, set(form.roles.data or [])
            )
        except DomainError as error:
            db.session.rollback()
            add_error(form, "roles", error.message)
            status = 400
        else:
            db.session.commit()
            message = (
                f"Roles saved. {person.display_name} now has: "
                f"{operations.describe_roles(person.role_names)}."
                if (added or removed)
                else "No change: the roles were already set like that."
            )
            if not is_htmx():
                flash(message, "success")
                return redirect(url_for("admin.person", person_id=person.id))
            return render(
                "admin/person.html", "admin/_roles_panel.html",
                saved_message=message, **_person_context(person),
            )
    else:
        status = 400
    return render(
        "admin/person.html", "admin/_roles_panel.html", status=status,
        **_person_context(person, roles_form=form),
    )


@bp.route("/people/<int:person_id>/disable", methods=["GET", "POST"])
@role_required(ADMIN)
def person_disable(person_id: int):
    person = get_person_or_404(person_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.disable_account(current_user._get_current_object(), person)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"{person.full_name}’s account is disabled and they have been signed out.", "success")
        return redirect(url_for("admin.person", person_id=person.id))
    return render_template("admin/person_disable.html", person=person, form=form)


@bp.route("/people/<int:person_id>/enable", methods=["POST"])
@role_required(ADMIN)
def person_enable(person_id: int):
    person = get_person_or_404(person_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.enable_account(current_user._get_current_object(), person)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"{person.full_name}’s account is active again. They can sign in.", "success")
    return redirect(url_for("admin.person", person_id=person.id))


@bp.route("/outbox")
@role_required(ADMIN)
def outbox():
    status = request.args.get("status", "")
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status in STATUSES:
        stmt = stmt.where(OutboxMessage.status == status)
    page = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    attention, attention_total = mail_outbox.needing_attention(PER_PAGE)
    return render_template(
        "admin/outbox.html", page=page, status=status, statuses=STATUSES,
        attention=attention, attention_total=attention_total,
        send_to=mail_outbox.send_again_addresses(attention), stuck=mail_outbox.sending_stuck(),
    )




@bp.route("/outbox/<int:message_id>")
@role_required(ADMIN)
def outbox_message(message_id: int):
    message = get_outbox_message_or_404(message_id)
    return render_template(
        "admin/outbox_message.html", message=message,
        retention_days=current_app.config["REC_OUTBOX_RETENTION_DAYS"],
        needs_attention=NEEDS_ATTENTION,
        send_to=mail_outbox.send_again_addresses([message])[message.id],
    )


@bp.route("/outbox/<int:message_id>/send-again", methods=["POST"])
@role_required(ADMIN)
def outbox_send_again(message_id: int):
    message = get_outbox_message_or_404(message_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            to = mail_outbox.send_again(message, current_user._get_current_object(),
                                        expected_to=request.form.get("to") or None)
        except DomainError as error:
            db.session.rollback()
            flash(error.message + ".", "error")
        else:
            db.session.commit()
            flash(
                f"The email to {to} will be sent again within a few minutes, "
                "with the same Message-ID.", "success",
            )
    return redirect(url_for("admin.outbox_message", message_id=message.id))


@bp.route("/audit")
@role_required(ADMIN)
def audit_log():
    event = request.args.get("event", "")
    stmt = (
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor), selectinload(AuditEvent.subject))
        .order_by(AuditEvent.id.desc())
    )
    if event in audit.EVENT_LABELS:
        stmt = stmt.where(AuditEvent.event == event)
    page = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/audit.html",
        page=page,
        event=event,
        event_labels=audit.EVENT_LABELS,
        event_choices=[{"value": k, "text": v} for k, v in audit.EVENT_LABELS.items()],
    )
