"""Views for the public pages."""

from __future__ import annotations

from flask import current_app, render_template

from rec_portal.pages import bp


@bp.route("/")
def home():
    return render_template("pages/home.html")


@bp.route("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")


@bp.route("/privacy")
def privacy():
    return render_template(
        "pages/privacy.html",
        signup_hours=current_app.config["REC_SIGNUP_CONFIRM_HOURS"],
        feedback_days=current_app.config["REC_FEEDBACK_OPEN_DAYS"],
    )
