"""Views for the support options guide (thin): /support for everyone, signed in or not,
and /admin/support for admins."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from rec_portal.web.guards import current_person, get_service_or_404
from rec_portal.drafts import keeps_typing, owner_may
from rec_portal.web.access import public, role_required
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
from rec_portal.web.forms import done, page, run


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
    return run(
        form,
        lambda: operations.create_service(current_person(), **form.service_fields()),
        done=lambda added: done(url_for("support.admin_index"), f"“{added.name}” has been added to the support guide."),
        page=lambda: page("support/admin_form.html", form=form, service=None),
    )


@bp.route("/admin/support/<int:service_id>/edit", methods=["GET", "POST"])
@keeps_typing(ServiceForm, keep_if=owner_may(ADMIN, SupportService, 'service_id'))
@role_required(ADMIN)
def admin_edit(service_id: int):
    found = get_service_or_404(service_id)
    form = ServiceForm() if request.method == "POST" else ServiceForm.for_service(found)
    return run(
        form,
        lambda: operations.update_service(current_person(), found, **form.service_fields()),
        done=lambda _: done(url_for("support.admin_index"), f"“{found.name}” has been saved."),
        page=lambda: page("support/admin_form.html", form=form, service=found),
    )


@bp.route("/admin/support/<int:service_id>/retire", methods=["GET", "POST"])
@role_required(ADMIN)
def admin_retire(service_id: int):
    found = get_service_or_404(service_id)
    back = url_for("support.admin_index")
    if request.method == "POST":
        return run(
            ConfirmForm(),
            lambda: operations.retire_service(current_person(), found),
            done=lambda _: done(back, f"“{found.name}” has been retired. It is no longer in the support guide."),
            refused=lambda error: done(back, error.message, category="error"),
            page=lambda: _retire_page(found),
        )
    return _retire_page(found)


def _retire_page(found: SupportService):
    if found.retired_at is not None:
        return done(url_for("support.admin_index"), "This entry is already retired.", category="info")
    return render_template("support/admin_retire.html", service=found, form=ConfirmForm())


@bp.route("/admin/support/<int:service_id>/reinstate", methods=["POST"])
@role_required(ADMIN)
def admin_reinstate(service_id: int):
    found = get_service_or_404(service_id)
    back = url_for("support.admin_index")
    return run(
        ConfirmForm(),
        lambda: operations.reinstate_service(current_person(), found),
        done=lambda _: done(back, f"“{found.name}” is back in the support guide."),
        refused=lambda error: done(back, error.message, category="error"),
        page=lambda: redirect(back),
    )
