"""Individual workshops: a student who cannot attend a group course asks for a one-to-one
workshop from the course page; admins work through the requests (new, arranged,
completed, closed, with notes) and arrange one as an individual session (never in the
public catalogue) with the same roster rules, confirmation, calendar file, register,
certificate and feedback as any session."""

from flask import Blueprint

bp = Blueprint("workshops", __name__)

from rec_portal.workshops import views  # noqa: E402,F401
