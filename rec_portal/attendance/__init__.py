"""Attendance: registers, session completion, certificates, attendance reports.

The facilitator-facing register pages live in rec_portal/facilitation (/facilitate);
the rules live here (operations.py)."""

from flask import Blueprint

bp = Blueprint("attendance", __name__)

from rec_portal.attendance import views  # noqa: F401
