"""Views for the support options guide (thin)."""

from __future__ import annotations

from flask import render_template

from rec_portal.support import bp


@bp.route("/support")
def index():
    return render_template("support/index.html")
