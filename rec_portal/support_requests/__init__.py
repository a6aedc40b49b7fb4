"""Asking for help: "I would like someone from the REC to contact me", and facilitators'
concerns about a student's safety, in a confidential queue (/support-requests) for staff
with the support lead role; every view is audited."""

from flask import Blueprint

bp = Blueprint("support_requests", __name__)

from rec_portal.support_requests import views  # noqa: E402,F401
