"""Views (thin)."""

from flask import render_template

from rec_portal.auth.access import role_required
from rec_portal.feedback_review import bp
from rec_portal.models.accounts import FACILITATOR


@bp.route("/facilitate/feedback")
@role_required(FACILITATOR)
def my_courses():
    return render_template("feedback_review/my_courses.html", courses=[])
