"""Booking forms: a button with a CSRF token, and the overlap confirmation."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from rec_portal.models.bookings import SUPPORTERS

# Who comes with them: "" (nobody) or a key of SUPPORTERS. Checked by the operations
# (book_place, set_supporter), which say what is wrong next to the field.
SUPPORTER_CHOICES = [SelectChoice("", "No, nobody")] + [SelectChoice(k, v) for k, v in SUPPORTERS.items()]


class BookForm(FlaskForm):
    confirm_overlap = HiddenField(default="")
    # The answer to "you already have a booking on another date of this course": swap / keep.
    same_course = HiddenField(default="")
    supporter = SelectField(choices=SUPPORTER_CHOICES, default="", validate_choice=False)


class SupporterForm(FlaskForm):
    """Change who comes with them (My courses): checked by operations.set_supporter."""

    supporter = SelectField(choices=SUPPORTER_CHOICES, default="", validate_choice=False)


class CancelForm(FlaskForm):
    """Confirm a cancellation (CSRF token only)."""
