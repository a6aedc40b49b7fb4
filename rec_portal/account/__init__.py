"""/my/account: a signed-in person's own details and password."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/my/account")

from rec_portal.account import views  # noqa: F401
