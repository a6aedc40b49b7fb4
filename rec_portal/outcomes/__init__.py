"""Outcome evidence: the optional questionnaire about being a victim of crime
(/my/outcomes: at enrolment, and 6 and 12 months after Staying Safe), the follow-up
invitations (``rec outcome-invitations``), and the admin report with small numbers held
back (/admin/outcomes)."""

from flask import Blueprint

bp = Blueprint("outcomes", __name__)

from rec_portal.outcomes import views  # noqa: F401
