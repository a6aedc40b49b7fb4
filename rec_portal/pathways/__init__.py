"""Learning pathways: courses grouped by the REC, progress through them, and the pathway
certificate."""

from flask import Blueprint

bp = Blueprint("pathways", __name__)

from rec_portal.pathways import views  # noqa: E402,F401
