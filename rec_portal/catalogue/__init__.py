"""/courses: the public course catalogue (everyone, signed in or not)."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from rec_portal.catalogue import views  # noqa: F401
