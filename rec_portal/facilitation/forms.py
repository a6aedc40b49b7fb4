"""Forms for /facilitate. They read and check what was typed; the rules (a day in the
past, a day given twice ...) live in operations.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from rec_portal.facilitation.operations import BIO_MAX, NOTE_MAX
from rec_portal.models.courses import FACILITATOR_ROLES
from rec_portal.web.fields import DateParts


def _plain(value):
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class BioForm(FlaskForm):
    bio = TextAreaField(
        "Your bio",
        validators=[Length(max=BIO_MAX, message=f"Your bio must be {BIO_MAX:,} characters or fewer")],
        filters=[_plain],
    )


class UnavailableForm(FlaskForm):
    """A day I cannot work: NHS date input posted as date-day, date-month, date-year."""

    date = DateParts(
        "Date you cannot work",
        validators=[InputRequired("Enter the date you cannot work")],
        invalid_message="Enter a real date, for example 14 3 2027",
    )
    note = StringField(
        "Note (optional)",
        validators=[Length(max=NOTE_MAX, message=f"The note must be {NOTE_MAX} characters or fewer")],
        filters=[_plain],
    )


class ButtonForm(FlaskForm):
    """A button that changes something (CSRF token only): remove, withdraw."""


class OfferForm(FlaskForm):
    """An offer to cover a role (the button on the open roles page: nothing typed)."""

    session_id = IntegerField(validators=[DataRequired()])
    role = HiddenField(validators=[DataRequired(), AnyOf(FACILITATOR_ROLES)])


class RegisterForm(FlaskForm):
    """The register (CSRF token only): marks are read as ``booking-<id>`` = present or
    absent, one per person, by the view."""
