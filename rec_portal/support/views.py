"""Views for the support options guide (thin): /support for everyone, signed in or not,
and /admin/support for admins."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rec_portal.web.guards import get_service_or_404
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.web.access import public, role_required
from rec_portal.errors import DomainError
from rec_portal.extensions import db
from rec_portal.web.htmx import render
from rec_portal.models import SupportService
from rec_portal.models.accounts import ADMIN
from rec_portal.safety_plans.queries import chosen_service_ids
from rec_portal.support import bp, operations, queries
from rec_portal.support.forms import (
    NEED_CHOICES,
    ConfirmForm,
    GuideSearchForm,
    ServiceForm,
)
from rec_portal.web.forms import add_error


def _here() -> str:
    """The current guide URL with its query string (where "Add to my safety plan" returns)."""
    return request.full_path if request.query_string else request.path


# --- the public guide -------------------------------------------------------------------

@bp.route("/support")
@public
def index():
    form = GuideSearchForm(formdata=request.args)
    filters = form.filters()
    services = queries.guide_services(filters)
    return render(
        "support/index.html",
        "support/_results.html",
        form=form,
        filters=filters,
        services=services,
        need_choices=NEED_CHOICES,
        in_plan_ids=chosen_service_ids(current_user),
        back=_here(),
    )


@bp.route("/support/<int:service_id>")
@public
def service(service_id: int):
    found = queries.active_service(service_id)
    if found is None:
        abort(404)
    return render_template(
        "support/service.html",
        service=found,
        in_plan=found.id in chosen_service_ids(current_user),
        back=request.path,
    )


# --- admin ------------------------------------------------------------------------------



def _refused(form: ServiceForm, error: DomainError) -> None:
    db.session.rollback()
    add_error(form, error.field, error.message)


@bp.route("/admin/support")
@role_required(ADMIN)
def admin_index():
    status = request.args.get("status", "")
    if status not in queries.STATUSES:
        status = ""
    return render_template(
        "support/admin_index.html",
        services=queries.admin_services(status),
        status=status,
        counts=queries.status_counts(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/admin/support/new", methods=["GET", "POST"])
@keeps_typing(ServiceForm, keep_if=owner_may(ADMIN))
@role_required(ADMIN)
def admin_new():
    form = ServiceForm()
    if form.validate_on_submit():
        try:
            added = operations.create_service(current_user._get_current_object(), **form.service_fields())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(f"“{added.name}” has been added to the support guide.", "success")
            return redirect(url_for("support.admin_index"))
    return render_template("support/admin_form.html", form=form, service=None), (
        400 if form.errors else 200
    )


@bp.route("/admin/support/<int:service_id>/edit", methods=["GET", "POST"])
@keeps_typing(ServiceForm, keep_if=owner_may(ADMIN, SupportService, 'service_id'))
@role_required(ADMIN)
def admin_edit(service_id: int):
    found = get_service_or_404(service_id)
    form = ServiceForm() if request.method == "POST" else ServiceForm.for_service(found)
    if form.validate_on_submit():
        try:
            operations.update_service(current_user._get_current_object(), found, **form.service_fields())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(f"“{found.name}” has been saved.", "success")
            return redirect(url_for("support.admin_index"))
    return render_template("support/admin_form.html", form=form, service=found), (
        400 if form.errors else 200
    )


@bp.route("/admin/support/<int:service_id>/retire", methods=["GET", "POST"])
@role_required(ADMIN)
def admin_retire(service_id: int):
    found = get_service_or_404(service_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            operations.retire_service(current_user._get_current_object(), found)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"“{found.name}” has been retired. It is no longer in the support guide.", "success")
        return redirect(url_for("support.admin_index"))
    if found.retired_at is not None:
        flash("This entry is already retired.", "info")
        return redirect(url_for("support.admin_index"))
    return render_template("support/admin_retire.html", service=found, form=form)


@bp.route("/admin/support/<int:service_id>/reinstate", methods=["POST"])
@role_required(ADMIN)
def admin_reinstate(service_id: int):
    found = get_service_or_404(service_id)
    if ConfirmForm().validate_on_submit():
        try:
            operations.reinstate_service(current_user._get_current_object(), found)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"“{found.name}” is back in the support guide.", "success")
    return redirect(url_for("support.admin_index"))
