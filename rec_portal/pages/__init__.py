"""Public pages: accessibility statement, privacy notice (the home page is ``home``)."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from rec_portal.pages import views  # noqa: F401
