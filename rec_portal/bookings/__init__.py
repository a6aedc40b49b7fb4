"""Booking places on sessions, waiting lists, cancellations, and /my/courses.

The rules are in ``operations.py``; ``queries.py`` reads what the pages show.
"""

from flask import Blueprint

bp = Blueprint("bookings", __name__)

from rec_portal.bookings import views  # noqa: F401
