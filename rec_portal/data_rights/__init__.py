"""Data rights: download my data, delete my account, retention."""

from flask import Blueprint

bp = Blueprint("data_rights", __name__, url_prefix="/my/account")
# For a person without an online account, by an admin: /admin/people/<id>/data.pdf and
# /admin/people/<id>/delete (linked from the admin person page).
staff_bp = Blueprint("data_rights_staff", __name__, url_prefix="/admin/people")

from rec_portal.data_rights import views  # noqa: F401
