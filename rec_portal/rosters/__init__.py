"""Rosters (admin): facilitator profiles, who covers which role on which session, offers
to cover, alerts about gaps, the fidelity report and the roster PDF."""

from flask import Blueprint

bp = Blueprint("rosters", __name__, url_prefix="/admin")

from rec_portal.rosters import views  # noqa: F401
