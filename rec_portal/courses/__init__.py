"""/admin/courses: REC staff create courses and schedule their sessions."""

from flask import Blueprint

bp = Blueprint("courses", __name__, url_prefix="/admin/courses")

from rec_portal.courses import session_bookings, views  # noqa: F401
