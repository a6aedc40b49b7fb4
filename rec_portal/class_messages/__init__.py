"""Messages to a class: an admin, or a facilitator rostered on the session, writes to
everyone booked on it (and, if they choose, everyone waiting or holding an offered
place). Each person's copy goes by their contact preference (notifications.contact).

Routes: /admin/courses/sessions/<id>/message and /facilitate/sessions/<id>/message."""

from flask import Blueprint

bp = Blueprint("class_messages", __name__)

from rec_portal.class_messages import views  # noqa: F401
