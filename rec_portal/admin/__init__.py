"""/admin: REC staff manage people and roles, and read the outbox and audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from rec_portal.admin import views  # noqa: F401
