"""Booking forms: a button with a CSRF token, and the overlap confirmation."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class BookForm(FlaskForm):
    confirm_overlap = HiddenField(default="")


class CancelForm(FlaskForm):
    """Confirm a cancellation (CSRF token only)."""
