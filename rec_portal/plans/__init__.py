"""Personal learning plans: /my/plan for the student, /admin/students/<id>/plan for a
learning advisor (admin)."""

from flask import Blueprint

bp = Blueprint("plans", __name__)

from rec_portal.plans import views  # noqa: F401
