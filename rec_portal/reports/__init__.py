"""The term report: one page of figures about a term for admins (/admin/reports/term),
each table as CSV and the whole report as a PDF. The figures are in queries.py."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")

from rec_portal.reports import views  # noqa: F401,E402
