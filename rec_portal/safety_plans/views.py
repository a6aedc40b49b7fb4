"""Views for /my/safety-plan (thin: parse, call one operation, commit, render or redirect).
Only the student themselves ever reaches these routes."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from rec_portal.auth.access import login_required
from rec_portal.extensions import db
from rec_portal.htmx import is_htmx
from rec_portal.models import SupportService
from rec_portal.safety_plans import bp, operations
from rec_portal.security import safe_next


@bp.route("")
@login_required
def index():
    return render_template("safety_plans/index.html")


@bp.route("/services", methods=["POST"])
@login_required
def add_service():
    """"Add to my safety plan" from the support guide."""
    service = db.session.get(SupportService, request.form.get("service_id", type=int) or 0)
    if service is None or service.retired_at is not None:
        abort(404)
    operations.add_service(current_user, service)
    db.session.commit()
    back = safe_next(request.form.get("next"), default=url_for("support.index"))
    if is_htmx():
        return render_template(
            "safety_plans/_service_button.html", service=service, in_plan=True, back=back
        )
    return redirect(back)
