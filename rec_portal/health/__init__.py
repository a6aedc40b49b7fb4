"""``/healthz``: whether this server can serve (database reachable, migrations current),
for the proxy in front of several servers (README, "Several servers")."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from rec_portal.health import views  # noqa: F401,E402
