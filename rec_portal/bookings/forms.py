"""Booking forms: a button with a CSRF token, and the overlap confirmation."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class BookForm(FlaskForm):
    confirm_overlap = HiddenField(default="")
    # The answer to "you already have a booking on another date of this course": swap / keep.
    same_course = HiddenField(default="")


class CancelForm(FlaskForm):
    """Confirm a cancellation (CSRF token only)."""
