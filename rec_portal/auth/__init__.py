"""Signing in and out, registering, forgotten passwords."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from rec_portal.auth import views  # noqa: F401
