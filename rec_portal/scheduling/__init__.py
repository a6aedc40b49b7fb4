"""/admin/courses: REC staff create courses and schedule their sessions.

Named scheduling (not courses) so it cannot be confused with catalogue/, the public /courses.
"""

from flask import Blueprint

bp = Blueprint("scheduling", __name__, url_prefix="/admin/courses")

from rec_portal.scheduling import session_bookings, views  # noqa: F401
