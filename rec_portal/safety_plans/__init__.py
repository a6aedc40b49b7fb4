"""Personal safety plans at /my/safety-plan. Private to the student: there is no staff
route, export or report of their content."""

from flask import Blueprint

bp = Blueprint("safety_plans", __name__, url_prefix="/my")

from rec_portal.safety_plans import views  # noqa: F401
