"""Views for /admin. Every route checks the admin role."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from rec_portal.web.guards import current_person, get_outbox_message_or_404, get_person_or_404
from rec_portal import audit
from rec_portal.admin import added_people, bp, operations
from rec_portal.admin.forms import AddPersonForm, ConfirmForm, ContactDetailsForm, InviteForm, RolesForm
from rec_portal.auth import operations as accounts
from rec_portal.calls import queries as calls
from rec_portal.web.access import role_required
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.models import ROLES, AuditEvent, Booking, CourseSession, OutboxMessage, User, UserRole
from rec_portal.models.accounts import ADMIN
from rec_portal.models.bookings import CONFIRMED
from rec_portal.models.outbox import NEEDS_ATTENTION, STATUSES
from rec_portal.models.tutoring import Tutorship
from rec_portal.notifications import outbox as mail_outbox
from rec_portal.web.forms import add_error, done, page, run
from rec_portal.web.paging import page_number
from rec_portal.timeutil import utcnow

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
        support_lead_gap=operations.support_lead_gap(),
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


def _bookings_of(person: User) -> list[Booking]:
    return list(db.session.execute(
        select(Booking).join(CourseSession, CourseSession.id == Booking.session_id)
        .where(Booking.student_id == person.id)
        .options(selectinload(Booking.session).selectinload(CourseSession.course))
        .order_by(CourseSession.starts_at.desc())
    ).scalars())


def _person_context(person: User, roles_form: RolesForm | None = None,
                    invite_form: InviteForm | None = None):
    form = roles_form or RolesForm(data={"roles": sorted(person.role_names)})
    now = utcnow()
    return {
        "person": person, "roles_form": form, "confirm_form": ConfirmForm(),
        "invite_form": invite_form or InviteForm(data={"email": person.email or ""}),
        "invitation": None if person.has_online_account else accounts.current_invitation(person),
        "bookings": _bookings_of(person) if person.has_role("student") else [],
        # As attendance.certificates.may_have_certificate: the route itself checks the rest.
        "may_have_certificate": lambda b: b.status == CONFIRMED and b.session.ends_at <= now,
        "confirmed": CONFIRMED,
        "is_self": person.id == current_user.id,
        "tutorship": db.session.get(Tutorship, person.id) if person.has_role("student") else None,
    }


# --- Adding someone without an online account (admin/added_people.py) -----------------------


def _session_for_booking(raw) -> CourseSession | None:
    """The session staff came from (phone booking or walk-in), if the query names one."""
    try:
        session_id = int(raw or "")
    except ValueError:
        return None
    return db.session.get(CourseSession, session_id) if 0 < session_id < 2**31 else None


def _after_adding(person: User, session: CourseSession | None, then: str):
    """Back to the session's bookings page with the new person found, ready to book them
    (or add them as a walk-in) with the usual button; else to their page."""
    name = person.full_name
    if session is not None and then in ("book", "walk_in"):
        if then == "walk_in":
            url = url_for("scheduling.session_bookings", session_id=session.id,
                          walk_in_q=person.student_number) + "#walk-in"
            return done(url, f"{name} has been added ({person.student_number}). "
                             "Choose “Add” below to add them to this session.")
        url = url_for("scheduling.session_bookings", session_id=session.id,
                      q=person.student_number) + "#book"
        return done(url, f"{name} has been added ({person.student_number}). "
                         "Choose “Book” below to book them onto this session.")
    return done(_person_url(person), f"{name} has been added ({person.student_number}). "
                                     "They have no online account: the REC contacts them "
                                     "the way they chose.")


@bp.route("/people/new", methods=["GET", "POST"])
@keeps_typing(AddPersonForm)
@role_required(ADMIN)
def person_new():
    form = AddPersonForm()
    if request.method == "GET":
        form.session_id.data = request.args.get("session_id", "")[:12]
        form.then.data = request.args.get("then", "")[:10]
        if not form.contact_preference.data:
            form.contact_preference.data = "text"
    session = _session_for_booking(form.session_id.data)
    duplicates: list[User] = []
    show = lambda: page("admin/person_new.html", form=form, session=session,  # noqa: E731
                        duplicates=duplicates)

    def refused(error: DomainError):
        if isinstance(error, added_people.PossibleDuplicate):
            duplicates.extend(error.matches)
        add_error(form, error.field, error.message)
        return show()

    return run(
        form,
        lambda: added_people.add_person(
            current_person(), form.details(), consent_way=form.consent_way.data or "",
            consent_other=form.consent_other.data or "", not_duplicate=bool(form.not_duplicate.data),
        ),
        done=lambda person: _after_adding(person, session, form.then.data or ""),
        page=show,
        refused=refused,
    )


@bp.route("/people/<int:person_id>/contact", methods=["GET", "POST"])
@keeps_typing(ContactDetailsForm, keep_if=owner_may(ADMIN, User, "person_id"))
@role_required(ADMIN)
def person_contact(person_id: int):
    """"Edit contact details": as the person told them to staff. Not for one's own."""
    person = get_person_or_404(person_id)
    if person.id == current_user.id:
        return done(_person_url(person), "You cannot change your own details here. "
                                         "Use “Your account” instead.", category="error")
    profile = person.profile
    form = ContactDetailsForm(data={
        "full_name": person.full_name, "preferred_name": person.preferred_name,
        "email": person.email or "",
        "phone": profile.phone if profile else "",
        "contact_preference": profile.contact_preference if profile else "email",
        "postal_address": profile.postal_address if profile else "",
        "relationship_to_services": profile.relationship_to_services if profile else "",
        "access_needs": profile.access_needs if profile else "",
    })

    def saved(changed):
        message = ("Contact details saved." if changed
                   else "No change: the details were already like that.")
        return done(_person_url(person), message)

    return run(
        form,
        lambda: added_people.update_contact_details(current_person(), person, form.details()),
        done=saved,
        page=lambda: page("admin/person_contact.html", form=form, person=person),
    )


@bp.route("/people/<int:person_id>/invite", methods=["POST"])
@role_required(ADMIN)
def person_invite(person_id: int):
    """Send someone without an online account a link to set one up (auth/invitations.py)."""
    person = get_person_or_404(person_id)
    form = InviteForm()
    return run(
        form,
        lambda: accounts.invite(current_person(), person, form.email.data),
        done=lambda invitation: done(
            _person_url(person), f"An invitation to set up an online account has been sent to "
                                 f"{invitation.email}. The link works once, for "
                                 f"{current_app.config['REC_SIGNUP_CONFIRM_HOURS']} hours."),
        page=lambda: page("admin/person.html", **_person_context(person, invite_form=form)),
    )


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
