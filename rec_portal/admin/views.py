"""Views for /admin. Every route checks the admin role."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from rec_portal.web.guards import current_person, get_outbox_message_or_404, get_person_or_404
from rec_portal import audit
from rec_portal.admin import bp, operations
from rec_portal.admin.forms import ConfirmForm, RolesForm
from rec_portal.calls import queries as calls
from rec_portal.web.access import role_required
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.models import ROLES, AuditEvent, OutboxMessage, User, UserRole
from rec_portal.models.accounts import ADMIN
from rec_portal.models.outbox import NEEDS_ATTENTION, STATUSES
from rec_portal.notifications import outbox as mail_outbox
from rec_portal.web.forms import add_error, done, page, run
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
        calls_open=calls.open_count(),
    )


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@bp.route("/people")
@role_required(ADMIN)
def people():
    q = request.args.get("q", "")[:100]
    role = request.args.get("role", "")
    results = db.paginate(
        operations.people_query(q, role), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    return page(
        "admin/people.html",
        "admin/_people_results.html",
        page=results,
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


def _person_url(person: User) -> str:
    return url_for("admin.person", person_id=person.id)


@bp.route("/people/<int:person_id>/roles", methods=["POST"])
@role_required(ADMIN)
def person_roles(person_id: int):
    person = get_person_or_404(person_id)
    form = RolesForm()
    show = lambda: page("admin/person.html", "admin/_roles_panel.html",  # noqa: E731
                        **_person_context(person, roles_form=form))

    def saved(changes):
        added, removed = changes
        message = (
            f"Roles saved. {person.display_name} now has: "
            f"{operations.describe_roles(person.role_names)}."
            if (added or removed)
            else "No change: the roles were already set like that."
        )
        return done(_person_url(person), message, partial=lambda: render_template(
            "admin/_roles_panel.html", saved_message=message, **_person_context(person)))

    def refused(error: DomainError):
        add_error(form, "roles", error.message)
        return show()

    return run(
        form,
        lambda: operations.set_roles(current_person(), person, set(form.roles.data or [])),
        done=saved,
        page=show,
        refused=refused,
    )


@bp.route("/people/<int:person_id>/disable", methods=["GET", "POST"])
@role_required(ADMIN)
def person_disable(person_id: int):
    person = get_person_or_404(person_id)
    form = ConfirmForm()
    return run(
        form,
        lambda: operations.disable_account(current_person(), person),
        done=lambda _: done(_person_url(person),
                            f"{person.full_name}’s account is disabled and they have been signed out."),
        page=lambda: page("admin/person_disable.html", person=person, form=form),
        refused=lambda error: done(_person_url(person), error.message, category="error"),
    )


@bp.route("/people/<int:person_id>/enable", methods=["POST"])
@role_required(ADMIN)
def person_enable(person_id: int):
    person = get_person_or_404(person_id)
    return run(
        ConfirmForm(),
        lambda: operations.enable_account(current_person(), person),
        done=lambda _: done(_person_url(person), f"{person.full_name}’s account is active again. They can sign in."),
        page=lambda: redirect(_person_url(person)),  # a stale form: back to the person, nothing changed
        refused=lambda error: done(_person_url(person), error.message, category="error"),
    )


@bp.route("/outbox")
@role_required(ADMIN)
def outbox():
    status = request.args.get("status", "")
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status in STATUSES:
        stmt = stmt.where(OutboxMessage.status == status)
    results = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    attention, attention_total = mail_outbox.needing_attention(PER_PAGE)
    return render_template(
        "admin/outbox.html", page=results, status=status, statuses=STATUSES,
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
    back = url_for("admin.outbox_message", message_id=message.id)
    return run(
        ConfirmForm(),
        lambda: mail_outbox.send_again(message, current_person(), expected_to=request.form.get("to") or None),
        done=lambda to: done(back, f"The {message.channel_label.lower()} to {to} will be sent again "
                                   "within a few minutes, with the same Message-ID."),
        page=lambda: redirect(back),  # a stale form: back to the message, nothing changed
        refused=lambda error: done(back, error.message + ".", category="error"),
    )


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
    results = db.paginate(stmt, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/audit.html",
        page=results,
        event=event,
        event_labels=audit.EVENT_LABELS,
        event_choices=[{"value": k, "text": v} for k, v in audit.EVENT_LABELS.items()],
    )
