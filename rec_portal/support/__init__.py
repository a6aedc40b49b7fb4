"""The support options guide: /support (everyone) and /admin/support (admins)."""

from flask import Blueprint

bp = Blueprint("support", __name__)

from rec_portal.support import views  # noqa: F401
