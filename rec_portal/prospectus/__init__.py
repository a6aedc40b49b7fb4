"""The prospectus: the courses and dates of a term grouped by theme, as a public page
(/prospectus) and a printable PDF (/prospectus.pdf) for people without internet access."""

from flask import Blueprint

bp = Blueprint("prospectus", __name__)

from rec_portal.prospectus import views  # noqa: F401,E402
