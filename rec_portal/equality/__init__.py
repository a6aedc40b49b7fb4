"""Equality monitoring: optional answers to the standard NHS equality questions, removable
at any time, counted by group in the term report only."""

from flask import Blueprint

bp = Blueprint("equality", __name__)

from rec_portal.equality import views  # noqa: E402,F401
