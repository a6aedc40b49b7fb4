"""Views for /facilitate."""

from __future__ import annotations

from flask import render_template

from rec_portal.auth.access import role_required
from rec_portal.facilitation import bp
from rec_portal.models.accounts import FACILITATOR


@bp.route("")
@role_required(FACILITATOR)
def index():
    return render_template("facilitation/index.html")
