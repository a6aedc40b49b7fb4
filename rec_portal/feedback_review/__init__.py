"""Reading feedback: the per-course dashboard (response rate, each question's
distribution as an SVG chart with a table, averages, trends across sessions and content
versions, comments), for admins at /admin/feedback and for facilitators, without names,
at /facilitate/feedback. Figures from fewer than 8 responses are not shown."""

from flask import Blueprint

bp = Blueprint("feedback_review", __name__)

from rec_portal.feedback_review import views  # noqa: F401
