"""Views for the public pages."""

from __future__ import annotations

from flask import current_app, render_template

from rec_portal.web.access import public
from rec_portal.drafts import KEEP_FOR
from rec_portal.pages import bp


@bp.route("/accessibility")
@public
def accessibility():
    return render_template("pages/accessibility.html")


def _period(months: int) -> str:
    """'3 years' for 36, '18 months' for 18."""
    return f"{months // 12} years" if months % 12 == 0 and months > 12 else f"{months} months"


@bp.route("/privacy")
@public
def privacy():
    return render_template(
        "pages/privacy.html",
        signup_hours=current_app.config["REC_SIGNUP_CONFIRM_HOURS"],
        feedback_days=current_app.config["REC_FEEDBACK_OPEN_DAYS"],
        retention_period=_period(current_app.config["REC_RETENTION_MONTHS"]),
        audit_months=current_app.config["REC_AUDIT_RETENTION_MONTHS"],
        reset_minutes=current_app.config["REC_PASSWORD_RESET_MINUTES"],
        outbox_days=current_app.config["REC_OUTBOX_RETENTION_DAYS"],
        drafts_days=KEEP_FOR.days,
        # Issue 17's retention settings (defaults until their features add them to config).
        referral_days=current_app.config.get("REC_REFERRAL_RETENTION_DAYS", 180),
        support_request_days=current_app.config.get("REC_SUPPORT_REQUEST_RETENTION_DAYS", 730),
    )
