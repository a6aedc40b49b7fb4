"""Personal tutors: admins assign a tutor to each student; a tutor sees their caseload
(/tutor), the reviews due and each student's learning plan (audited, never the safety plan);
students ask for a conversation about their plan."""

from flask import Blueprint

bp = Blueprint("tutoring", __name__)

from rec_portal.tutoring import views  # noqa: E402,F401
