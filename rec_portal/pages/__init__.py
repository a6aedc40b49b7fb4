"""Public pages: home, accessibility statement, privacy notice."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from rec_portal.pages import views  # noqa: F401
