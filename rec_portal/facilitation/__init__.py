"""/facilitate: what facilitators use to run their sessions."""

from flask import Blueprint

bp = Blueprint("facilitation", __name__, url_prefix="/facilitate")

from rec_portal.facilitation import views  # noqa: F401
