"""Data rights: download my data, delete my account, retention."""

from flask import Blueprint

bp = Blueprint("data_rights", __name__, url_prefix="/my/account")

from rec_portal.data_rights import views  # noqa: F401
