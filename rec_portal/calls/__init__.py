"""The staff call list (/admin/calls): people to phone, or write to, because a message
about their courses could not go by email or text (notifications.contact.tell puts the
lines there), with what to tell them and the outcome staff record."""

from flask import Blueprint

bp = Blueprint("calls", __name__)

from rec_portal.calls import views  # noqa: E402,F401
