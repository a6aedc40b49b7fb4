"""Booking forms: a button with a CSRF token, and the overlap confirmation."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField


class BookForm(FlaskForm):
    confirm_overlap = HiddenField(default="")
    # The answer to "you already have a booking on another date of this course": swap / keep.
    same_course = HiddenField(default="")
    # Who comes with them: a key of models.bookings.SUPPORTERS or "" (checked by book_place).
    supporter = StringField(default="")


class SupporterForm(FlaskForm):
    """Change who comes with them (My courses): checked by operations.set_supporter."""

    supporter = StringField(default="")


class CancelForm(FlaskForm):
    """Confirm a cancellation (CSRF token only)."""
