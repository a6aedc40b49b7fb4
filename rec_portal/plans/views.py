"""Views for /my/plan and the learning advisor's view (thin)."""

from __future__ import annotations

from flask import render_template

from rec_portal.auth.access import login_required
from rec_portal.plans import bp


@bp.route("/my/plan")
@login_required
def index():
    return render_template("plans/index.html")
